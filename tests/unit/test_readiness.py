"""Readiness probes against real local servers the tests start: HTTP (JMX, REST) and HiveServer2's Thrift.

Each fast probe keeps a test that it still sees the failure it exists for: a daemon
that stopped answering, a query HiveServer2 refuses. Only devenv.docker is faked.
"""

from __future__ import annotations

import io
import json
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from devenv import docker, profile, readiness, services, thrift
from devenv.services import NAMENODE_INFO


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Daemon:
    """A local HTTP server answering fixed JSON per path, counting the requests."""

    def __init__(self, answers: dict[str, Any]):
        hits: list[str] = []
        self.hits = hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                hits.append(self.path)
                body = json.dumps(answers.get(self.path, {})).encode()
                self.send_response(200 if self.path in answers else 404)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _plan(**ports: int):
    prof = profile.resolve("default")
    overrides = {tuple(k.split("__")): v for k, v in ports.items()}
    return prof, services.ports(prof, overrides)


def _namenode_info(live: dict[str, Any], safemode: str = "") -> dict[str, Any]:
    return {NAMENODE_INFO: {"beans": [{"LiveNodes": json.dumps(live), "Safemode": safemode}]}}


def test_a_round_asks_the_namenode_once_for_all_the_probes_that_read_it() -> None:
    data_port = _plan()[1].get("datanode-1", "data").container
    d = _Daemon(_namenode_info({f"datanode-1:{data_port}": {}}))
    try:
        prof, plan = _plan(namenode__http=d.port)
        found = readiness.probes(prof, plan, {})
        assert found["namenode"]() is None and found["datanode-1"]() is None
        assert d.hits == [NAMENODE_INFO]  # one GET for both probes
        again = readiness.probes(prof, plan, {})  # a new round asks again
        assert again["namenode"]() is None and len(d.hits) == 2
    finally:
        d.stop()


def test_a_namenode_that_stopped_answering_is_not_ready() -> None:
    d = _Daemon(_namenode_info({}, safemode="Safe mode is ON"))
    prof, plan = _plan(namenode__http=d.port)
    assert readiness.probes(prof, plan, {})["namenode"]() == "in safe mode (0/1 datanodes live)"
    assert readiness.probes(prof, plan, {})["datanode-1"]() == "not registered with the NameNode yet"
    d.stop()
    found = readiness.probes(prof, plan, {})
    assert found["namenode"]() == "web UI not answering yet"
    assert found["datanode-1"]() == "waiting for the NameNode"


def test_nodemanagers_share_one_answer_and_see_a_stopped_resourcemanager() -> None:
    nodes = {"/ws/v1/cluster/nodes": {"nodes": {"node": [{"nodeHostName": "nodemanager-1", "state": "UNHEALTHY"}]}},
             "/ws/v1/cluster/info": {"clusterInfo": {"state": "STARTED"}}}
    d = _Daemon(nodes)
    prof, plan = _plan(resourcemanager__http=d.port)
    found = readiness.probes(prof, plan, {})
    assert found["resourcemanager"]() is None
    assert found["nodemanager-1"]() == "state UNHEALTHY"
    d.stop()
    assert readiness.probes(prof, plan, {})["nodemanager-1"]() == "waiting for the ResourceManager"


# --- HiveServer2 over Thrift ---------------------------------------------------------

class _HiveServer2:
    """Speaks HiveServer2's side: SASL PLAIN, then framed TCLIService calls; `refuse` makes a call answer ERROR."""

    def __init__(self, refuse: str = "", message: str = ""):
        self.calls: list[tuple[str, dict]] = []
        self.login = b""
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(1)
        self.port = self.srv.getsockname()[1]
        self.refuse, self.message = refuse, message
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self.srv.accept()
        read = thrift.reader(conn.makefile("rb"))
        for _ in range(2):  # START "PLAIN", then OK with the credentials
            status, n = read(1)[0], struct.unpack("!i", read(4))[0]
            self.login = read(n)
        conn.sendall(bytes([5]) + struct.pack("!i", 0))  # COMPLETE
        try:
            while True:
                frame = thrift.reader(io.BytesIO(read(struct.unpack("!i", read(4))[0])))
                (_v,), name = struct.unpack("!i", frame(4)), frame(struct.unpack("!i", frame(4))[0]).decode()
                frame(4)
                self.calls.append((name, thrift.decode(frame, thrift.STRUCT)[1][1]))
                conn.sendall(self._answer(name))
        except OSError:
            conn.close()

    def _answer(self, name: str) -> bytes:
        code = 3 if name == self.refuse else 0
        status = {1: (thrift.I32, code), **({5: (thrift.STRING, self.message)} if code else {})}
        resp = {1: (thrift.STRUCT, status)}
        if name == "OpenSession":
            resp[3] = (thrift.STRUCT, {1: (thrift.STRUCT, {1: (thrift.STRING, b"guid"), 2: (thrift.STRING, b"secret")})})
        if name == "ExecuteStatement" and not code:
            resp[2] = (thrift.STRUCT, {1: (thrift.STRUCT, {1: (thrift.STRING, b"op"), 2: (thrift.STRING, b"s")}),
                                       2: (thrift.I32, 0), 3: (thrift.BOOL, 1)})
        body = struct.pack("!ii", -2147418112 | 2, len(name)) + name.encode() + struct.pack("!i", 1)
        body += thrift.encode(thrift.STRUCT, {0: (thrift.STRUCT, resp)})
        return struct.pack("!i", len(body)) + body


def _hs2_probe(port: int):
    prof, plan = _plan(hiveserver2__jdbc=port)
    return readiness.probes(prof, plan, {})["hiveserver2"]


def test_hiveserver2_is_ready_when_a_query_runs_to_its_end() -> None:
    hs2 = _HiveServer2()
    assert _hs2_probe(hs2.port)() is None
    assert hs2.login == b"\0hadoop\0anonymous"
    assert [c for c, _ in hs2.calls] == ["OpenSession", "ExecuteStatement", "CloseOperation", "CloseSession"]
    execute = hs2.calls[1][1]
    assert execute[2] == (thrift.STRING, b"SELECT 1") and execute[1] == hs2.calls[3][1][1]  # in the session it opened


def test_hiveserver2_that_refuses_the_query_is_not_ready() -> None:
    hs2 = _HiveServer2(refuse="ExecuteStatement", message="Error while compiling statement: metastore down")
    assert _hs2_probe(hs2.port)() == "query failed: ExecuteStatement: Error while compiling statement: metastore down"
    assert [c for c, _ in hs2.calls] == ["OpenSession", "ExecuteStatement", "CloseSession"]


def test_a_stopped_hiveserver2_is_not_ready() -> None:
    assert _hs2_probe(_free_port())() == "JDBC port not open yet"


def test_a_port_that_answers_something_else_is_not_hiveserver2() -> None:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve() -> None:
        conn, _ = srv.accept()
        conn.recv(64)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        conn.close()

    threading.Thread(target=serve, daemon=True).start()
    assert _hs2_probe(srv.getsockname()[1])().startswith("query failed: ")


# --- one round ---------------------------------------------------------------------

def _box(inst: str, state: str) -> docker.ContainerInfo:
    return docker.ContainerInfo("id-" + inst, f"devenv-t-{inst}-1", inst, "t", "default", state, 0, "img", "", ())


def test_a_round_reports_a_stopped_container_without_asking_it(monkeypatch: pytest.MonkeyPatch) -> None:
    d = _Daemon(_namenode_info({}))
    prof, plan = _plan(namenode__http=d.port)
    execs: list[str] = []
    monkeypatch.setattr(docker, "containers", lambda cluster=None, **k: [_box("namenode", "running"), _box("metastore-db", "exited")])
    monkeypatch.setattr(docker, "exec_in", lambda c, cmd, **k: execs.append(c) or "")
    conts, health = readiness.check(prof, plan, "t", only=["namenode", "metastore-db", "hiveserver2"])
    d.stop()
    assert health == {"namenode": "0/1 datanodes live",
                      "metastore-db": "container not running", "hiveserver2": "container not running"}
    assert execs == [] and set(conts) == {"namenode", "metastore-db"}


def test_a_round_runs_pg_isready_in_the_listed_container(monkeypatch: pytest.MonkeyPatch) -> None:
    prof, plan = _plan()
    execs: list[tuple[str, list[str]]] = []
    monkeypatch.setattr(docker, "containers", lambda cluster=None, **k: [_box("metastore-db", "running")])
    monkeypatch.setattr(docker, "exec_in", lambda c, cmd, **k: execs.append((c, cmd)) or "")
    _conts, health = readiness.check(prof, plan, "t", only=["metastore-db"])
    assert health == {"metastore-db": None}
    assert execs[0][0] == "devenv-t-metastore-db-1" and execs[0][1][0] == "pg_isready"
