"""What the cluster exposes to the network: loopback by default, wider only when the user config allows it.

A profile's `[network] bind` decides the address every port is published on.
Anything but loopback exposes unauthenticated services (YARN's REST API runs
the code of whoever submits an application), so a profile alone can never
widen exposure: the address must also be listed in the *user* config,

    [network]
    allow_bind = ["0.0.0.0"]

and `devenv up` then warns, naming what becomes reachable.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from devenv.errors import DevenvError

if TYPE_CHECKING:
    from devenv.console import Ui
    from devenv.profile import Profile

# What a non-loopback bind makes reachable, without authentication (services devenv publishes).
REACHABLE = (
    "YARN ResourceManager REST API (submitting an application runs code on the cluster)",
    "HDFS NameNode RPC and WebHDFS, DataNodes (read and write every file)",
    "HiveServer2 JDBC (any query as any user)",
    "the Hive metastore Thrift API (create and drop any table)",
    "the web UIs of HDFS, YARN and the history servers",
)


def is_loopback(addr: str) -> bool:
    """127.0.0.0/8, ::1 and `localhost`."""
    if addr.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(addr.strip()).is_loopback
    except ValueError:
        return False


def allowed_binds(user_config: Mapping[str, Any]) -> list[str]:
    """The non-loopback addresses the user config allows profiles to bind to."""
    return [str(a) for a in (user_config.get("network") or {}).get("allow_bind") or []]


def _where(profile: "Profile") -> str:
    """file:line:col of `[network] bind` in the most derived file that sets it."""
    from devenv.tomlsource import load

    for label in profile.chain:
        try:
            src = load(Path(label))
        except Exception:  # a built-in label without a file: no better location
            continue
        if "bind" in (src.data.get("network") or {}):
            return src.where(("network", "bind"))
    return str(profile.path)


def check_bind(profile: "Profile", user_config: Mapping[str, Any]) -> None:
    """Refuse, with the location, a non-loopback bind the user config does not allow."""
    from devenv.paths import paths

    bind = str(profile.network.get("bind", "127.0.0.1"))
    if is_loopback(bind) or bind in allowed_binds(user_config):
        return
    raise DevenvError(
        f"{_where(profile)}: network.bind: {bind!r} would publish every port beyond this machine;"
        " a profile alone cannot widen exposure",
        details=["reachable from the network, without authentication:", *(f"- {r}" for r in REACHABLE)],
        hint=f"bind = \"127.0.0.1\" in the profile; or, if you mean it, allow it in your user config "
             f"{paths().user_config}: [network] allow_bind = [\"{bind}\"]",
    )


def warn(profile: "Profile", ui: "Ui") -> None:
    """On `up` with an allowed non-loopback bind: say what becomes reachable from the network."""
    bind = str(profile.network.get("bind", "127.0.0.1"))
    if is_loopback(bind):
        return
    ui.warn(f"ports bound to {bind} (allowed by your user config): reachable from the network without authentication: "
            + "; ".join(REACHABLE))
