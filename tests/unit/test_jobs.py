"""`devenv jobs`: against real HTTP servers this test starts, answering with what a real cluster's ResourceManager,
JobHistory server and Spark history server answered (recorded by tests/fixtures/jobs/README.md's steps)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest

from devenv.jobs import production, report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RECORDED: dict[str, Any] = json.loads((FIXTURES / "jobs" / "recorded.json").read_text())
CLUSTER = "imp-bank"


def _server(prefix: str) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            body = RECORDED.get(path) if path.startswith(prefix) else None
            data = json.dumps(body).encode() if body is not None else b'{"RemoteException": "not found"}'
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict[str, int]]:
    """A cluster state whose published ports are the three servers; its profile is the bank-etl import."""
    from devenv.cluster_state import Cluster

    servers = {"resourcemanager": _server("/ws/v1/cluster"), "historyserver": _server("/ws/v1/history"),
               "spark-history": _server("/api/v1")}
    profile = tmp_path / "bank-etl.toml"
    profile.write_text((FIXTURES / "import" / "bank-etl" / "expected.toml").read_text())
    ports = {svc: s.server_address[1] for svc, s in servers.items()}
    Cluster(CLUSTER).write_state({"schema": 1, "cluster": CLUSTER, "profile": "bank-etl", "profile_path": str(profile),
                                  "ports": {f"{svc}/http": port for svc, port in ports.items()}})
    yield ports
    for s in servers.values():
        s.shutdown()
        s.server_close()


def _apps() -> list[dict[str, Any]]:
    return sorted(RECORDED["/ws/v1/cluster/apps"]["apps"]["app"], key=lambda a: a["startedTime"], reverse=True)
