"""Every place devenv keeps files, from platformdirs, in one object.

Tests point `DEVENV_HOME` at a temporary directory so they never touch the
real user directories; everything then lives under it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP = "devenv"


@dataclass(frozen=True)
class Paths:
    config: Path
    cache: Path
    state: Path
    logs: Path

    @property
    def user_config(self) -> Path:
        """The site configuration: artifact sources, proxy, CA certificates."""
        return self.config / "config.toml"

    @property
    def user_profiles(self) -> Path:
        return self.config / "profiles"

    @property
    def debug_log(self) -> Path:
        return self.logs / "devenv.log"


def paths() -> Paths:
    home = os.environ.get("DEVENV_HOME")
    if home:
        root = Path(home)
        return Paths(root / "config", root / "cache", root / "state", root / "logs")
    import platformdirs

    return Paths(
        config=Path(platformdirs.user_config_dir(APP, appauthor=False)),
        cache=Path(platformdirs.user_cache_dir(APP, appauthor=False)),
        state=Path(platformdirs.user_state_dir(APP, appauthor=False)),
        logs=Path(platformdirs.user_log_dir(APP, appauthor=False)),
    )


def resource_dir(name: str) -> Path:
    """`profiles` or `images`: inside the wheel as package data, at the repo root in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_data" / name
    if packaged.is_dir():
        return packaged
    return here.parent / name
