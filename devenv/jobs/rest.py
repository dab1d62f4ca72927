"""HTTP JSON from the ResourceManager, the MapReduce JobHistory server and the Spark history server."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from devenv.errors import DevenvError

TIMEOUT = 20


@dataclass(frozen=True)
class Endpoints:
    """Base URLs (scheme://host:port) of the three REST services; None when a service is not in the profile."""

    rm: str
    jhs: str | None = None
    shs: str | None = None

    @classmethod
    def of_cluster(cls, plan: Any) -> "Endpoints":
        """From a cluster's port plan (services.PortPlan): the ports published on this machine."""
        def url(service: str) -> str | None:
            port = plan.find(service, "http")
            return port.url_to() if port else None

        rm = url("resourcemanager")
        if rm is None:
            raise DevenvError("the cluster publishes no ResourceManager web port")
        return cls(rm, url("historyserver"), url("spark-history"))


def get(base: str | None, path: str, *, what: str, missing_ok: bool = False) -> Any:
    """GET base+path as JSON; a DevenvError naming the service when it does not answer (None if `missing_ok` and 404)."""
    if base is None:
        return None
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # the cluster is local: no proxy
    req = urllib.request.Request(base.rstrip("/") + path, headers={"Accept": "application/json", "User-Agent": "devenv-jobs"})
    try:
        with opener.open(req, timeout=TIMEOUT) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        if missing_ok and e.code == 404:
            return None
        raise DevenvError(f"{what} answered {e.code} for {path}", hint="is the cluster up? devenv status") from None
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise DevenvError(f"{what} at {base} does not answer: {reason}", hint="is the cluster up? devenv status") from None
