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


def _stamp(path: Path) -> tuple[int, int]:
    """(mtime, size) of a file, or (-1, -1) when it is missing: enough to see it changed."""
    try:
        st = path.stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


@dataclass
class Context:
    profile: "Profile"
    user_config: dict[str, Any]
    ui: "Ui"
    # (lock file, its mtime and size) -> the checked lock: read once per process unless the file changes
    _lock_memo: "tuple[tuple[Path, tuple[int, ...]], Lock] | None" = field(default=None, init=False, repr=False)

    @classmethod
    def load(cls, ref: str | None, ui: "Ui") -> "Context":
        from devenv import profile as prof

        user_config = prof.load_user_config()
        path, _ = prof.select(ref)
        profile = prof.load_profile(path, user_config=user_config)
        for w in profile.warnings:
            ui.warn(w)
        return cls(profile, user_config, ui)

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

        digest = self.inputs_digest
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

    def lock_digest(self) -> str:
        """sha256 of the lock file this profile uses: clusters with the same digest run the same artifacts."""
        from devenv.lock import sha256_file

        return sha256_file(self.lock_source())

    @cached_property
    def inputs_digest(self) -> str:
        """The digest a lock for this profile must carry (versions and image recipes)."""
        from devenv import resolve

        return resolve.digest_for(self.profile)

    def lock(self) -> "Lock":
        """The profile's lock, refusing a stale one (versions or recipes changed since it was made).

        Read once per Context; read again only if the lock file it came from, or the
        profile's own lock file, changed since (`devenv lock` writes the latter).
        """
        from devenv import lock as lk

        if self._lock_memo is not None:
            source, stamp = self._lock_memo[0]
            if _stamp(source) + _stamp(self.lock_path) == stamp:
                return self._lock_memo[1]
        source = self.lock_source()
        key = (source, _stamp(source) + _stamp(self.lock_path))
        lock = lk.read(source)
        if lock.inputs != self.inputs_digest:
            changed = [f"{k}: lock {lock.versions.get(k)!r}, profile {v!r}" for k, v in self.profile.versions.items() if lock.versions.get(k) != v]
            raise DevenvError(
                f"the lock {self.lock_path} is out of date for profile {self.profile.name!r}",
                details=changed or ["the image recipes (images/*/pom.xml) changed since it was made"],
                hint=f"regenerate it: devenv lock {self.profile.name}",
            )
        self._lock_memo = (key, lock)
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
