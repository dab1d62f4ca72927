"""Real things for probe tests to look at: a local HTTP(S) server, a CA and a certificate it signed,
a process holding a port, a filled artifact cache. Nothing here is a fake: each helper makes the thing.
"""

from __future__ import annotations

import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

CA_NAME = "devenv test CA"
OPENSSL = shutil.which("openssl") or "openssl"  # found before a test narrows PATH
SS = shutil.which("ss")


class _Handler(http.server.BaseHTTPRequestHandler):
    """GET /status/<code> answers with that code; anything else 200."""

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = self.path.strip("/").split("/")
        code = int(parts[1]) if len(parts) >= 2 and parts[0] == "status" else 200
        body = f"{code}\n".encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def http_server(tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """A real HTTP server on 127.0.0.1 in a thread (HTTPS with `tls`); yields its port."""
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    if tls is not None:
        srv.socket = tls.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    try:
        yield srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Pki:
    ca: Path        # the CA certificate (PEM), what a client trusts
    cert: Path      # the server certificate, signed by the CA, for localhost and 127.0.0.1
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def make_pki(d: Path, ca_name: str = CA_NAME) -> Pki:
    """A CA named `ca_name` and a server certificate it signed, made with the openssl CLI."""
    d.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run([OPENSSL, *args], cwd=d, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", f"/CN={ca_name}/O=devenv tests", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "ext.cnf").write_text("subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                               "extendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return Pki(d / "ca.pem", d / "server.pem", d / "server.key")


@contextmanager
def process_holding_a_port() -> Iterator[tuple[subprocess.Popen, int]]:
    """A child Python process listening on 127.0.0.1; yields (process, port)."""
    code = ("import socket, sys, time\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
            "print(s.getsockname()[1], flush=True)\n"
            "time.sleep(120)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        port = int(p.stdout.readline())  # type: ignore[union-attr]
        yield p, port
    finally:
        p.kill()
        p.wait()


def process_name(pid: int) -> str:
    """The program name the OS keeps for `pid` (Linux: /proc/<pid>/comm)."""
    return Path(f"/proc/{pid}/comm").read_text().strip()


def clean_network_env(monkeypatch) -> None:
    """No proxy and no CA variables from the machine running the tests: each test sets its own."""
    for var in list(os.environ):
        if var.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy") or var in (
                "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE", "PIP_CERT", "NODE_EXTRA_CA_CERTS"):
            monkeypatch.delenv(var, raising=False)


@contextmanager
def json_servers(routes: dict[int, dict[str, object]]) -> Iterator[list[str]]:
    """Real HTTP servers on 127.0.0.1, one per port, answering JSON by path (query included); yields the URLs asked."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            port = self.server.server_address[1]
            asked.append(f"http://127.0.0.1:{port}{self.path}")
            body = routes[port].get(self.path)
            data = json.dumps(body).encode()
            self.send_response(200 if body is not None else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    servers = [http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler) for port in routes]
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        yield asked
    finally:
        for srv in servers:
            srv.shutdown()
            srv.server_close()


def free_port_base(count: int) -> int:
    """The first of `count` consecutive ports free on 127.0.0.1 now (from 30000 up)."""
    for base in range(30000, 60000, count + 7):
        socks = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError(f"no {count} consecutive free ports")


@contextmanager
def port_bound_not_listening(port: int) -> Iterator[None]:
    """`port` bound by this process without listening: busy for bind(), invisible to `ss -l`."""
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    try:
        yield
    finally:
        s.close()


@contextmanager
def process_listening_on(port: int) -> Iterator[subprocess.Popen]:
    """A child Python process listening on 127.0.0.1:`port`."""
    code = ("import socket, time\n"
            f"s = socket.socket(); s.bind(('127.0.0.1', {port})); s.listen()\n"
            "print('ready', flush=True)\n"
            "time.sleep(120)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
        yield p
    finally:
        p.kill()
        p.wait()


def tool(bin_dir: Path, name: str, script: str) -> Path:
    """An executable `name` in `bin_dir` running the shell `script` (a host tool as the doctor finds it on PATH)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    f = bin_dir / name
    f.write_text("#!/bin/sh\n" + script + "\n")
    f.chmod(0o755)
    return f
