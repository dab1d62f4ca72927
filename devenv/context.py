"""What most commands need, gathered once: the profile, the site config, trust and proxy, the lock."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devenv.errors import DevenvError

if TYPE_CHECKING:
    from devenv.console import Ui
    from devenv.lock import Lock
    from devenv.profile import Profile


@dataclass
class Context:
    profile: "Profile"
    user_config: dict[str, Any]
    ui: "Ui"

    @classmethod
    def load(cls, ref: str | None, ui: "Ui") -> "Context":
        from devenv import profile as prof

        user_config = prof.load_user_config()
        path, _ = prof.select(ref)
        return cls(prof.load_profile(path, user_config=user_config), user_config, ui)

    @cached_property
    def ca_pem(self) -> str:
        from devenv import sources

        return sources.ca_bundle_text(sources.ca_files(self.user_config))

    @cached_property
    def proxies(self) -> dict[str, str]:
        from devenv import sources

        return sources.proxy_env(self.user_config)

    @property
    def lock_path(self) -> Path:
        """Where `devenv lock` writes this profile's lock: beside the profile file."""
        from devenv.lock import lock_path

        assert self.profile.path is not None
        return lock_path(self.profile.path)

    def lock_source(self) -> Path:
        """The profile's own lock, else the nearest parent's whose pins are the same.

        A profile that only changes topology or config (not versions) needs no
        lock of its own: the artifacts are the same.
        """
        from devenv import lock as lk
        from devenv import resolve

        digest = resolve.digest_for(self.profile)
        for label in self.profile.chain:
            candidate = lk.lock_path(Path(label))
            if candidate.is_file():
                try:
                    if lk.read(candidate).inputs == digest:
                        return candidate
                except DevenvError:
                    pass
            if candidate == self.lock_path and candidate.is_file():
                return candidate
        return self.lock_path

    def lock(self) -> "Lock":
        """The profile's lock, refusing a stale one (versions or recipes changed since it was made)."""
        from devenv import lock as lk
        from devenv import resolve

        lock = lk.read(self.lock_source())
        if lock.inputs != resolve.digest_for(self.profile):
            changed = [f"{k}: lock {lock.versions.get(k)!r}, profile {v!r}" for k, v in self.profile.versions.items() if lock.versions.get(k) != v]
            raise DevenvError(
                f"the lock {self.lock_path} is out of date for profile {self.profile.name!r}",
                details=changed or ["the image recipes (images/*/pom.xml) changed since it was made"],
                hint=f"regenerate it: devenv lock {self.profile.name}",
            )
        return lock

    def fetch(self, lock: "Lock", *, offline: bool = False):
        from devenv import artifacts, resolve, sources

        def maven_repo() -> str:
            try:
                return sources.maven_repository(self.user_config, self.profile.sources)
            except DevenvError:
                from devenv import images

                tools = images.build(self.profile, None, ui=self.ui, names=["tools"], ca_pem=self.ca_pem, proxies=self.proxies)
                return resolve.maven_default_url(tools[-1][0].tag)

        return artifacts.fetch(
            lock, ui=self.ui, maven_repo=maven_repo,
            pypi_index=lambda: sources.pypi_index(self.user_config, self.profile.sources),
            ca_pem=self.ca_pem or None, proxies=self.proxies, offline=offline,
        )
