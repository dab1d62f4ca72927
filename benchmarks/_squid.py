"""A private squid forward proxy for the benchmarks, and the sums of its access log.

`Squid` starts Debian's squid (not the system service) on a free port with its
own config, access log and pid file in a temporary directory, bound to the
loopback address and to the Docker bridge gateway (an address of this
machine), so both devenv on the host and the RUN steps of image builds reach
it. Its access log is squid's native format, one line per request; a CONNECT
line carries the bytes of the whole tunnel, so HTTPS traffic is counted too.

`totals` sums the log per source (maven, pypi, debian, other). No repository
host name is written here: the hosts come from devenv's own view of its
sources (`devenv --json doctor --check net.sources`) and pip's built-in
file-storage domain, read at run time; Debian traffic is also known by its
archive layout (`/dists/`, `/pool/`), which apt fetches over plain HTTP.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

SOURCES = ("maven", "pypi", "debian", "other")
DEBIAN_PATH = re.compile(r"/(dists|pool)/|\.deb$")


@dataclass(frozen=True)
class Entry:
    """One access-log line: end time, client, squid result code, HTTP status, bytes to the client, method, URL."""

    time: float
    client: str
    result: str
    status: int
    bytes: int
    method: str
    url: str

    @property
    def host(self) -> str:
        if self.method == "CONNECT":
            return self.url.rsplit(":", 1)[0].strip("[]").lower()
        return (urlsplit(self.url).hostname or "").lower()

    @property
    def denied(self) -> bool:
        return "DENIED" in self.result


def parse_access_log(text: str) -> list[Entry]:
    """Entries of a squid access log in the native `squid` format; other lines are skipped."""
    out: list[Entry] = []
    for line in text.splitlines():
        f = line.split()
        if len(f) < 7 or "/" not in f[3]:
            continue
        try:
            result, status = f[3].split("/", 1)
            out.append(Entry(float(f[0]), f[2], result, int(status), int(f[4]), f[5], f[6]))
        except ValueError:
            continue
    return out


@dataclass
class Totals:
    """Bytes and requests per source, and the requests squid refused or that failed."""

    bytes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    requests: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SOURCES, 0))
    hosts: dict[str, set[str]] = field(default_factory=lambda: {s: set() for s in SOURCES})
    denied: int = 0
    failed: int = 0

    @property
    def total(self) -> int:
        return sum(self.bytes.values())


def totals(entries: Iterable[Entry], hosts: dict[str, str], since: float = 0.0, until: float = float("inf")) -> Totals:
    """Sum the entries that ended in [since, until) per source.

    `hosts` maps a host name to its source; a host that served Debian archive
    paths over HTTP counts as Debian for its CONNECT tunnels as well.
    """
    chosen = [e for e in entries if since <= e.time < until and e.method != "-"]  # "-": a connection with no request
    known = dict(hosts)
    for e in chosen:
        if e.method != "CONNECT" and DEBIAN_PATH.search(urlsplit(e.url).path or ""):
            known.setdefault(e.host, "debian")
    t = Totals()
    for e in chosen:
        src = known.get(e.host, "other")
        t.bytes[src] += e.bytes
        t.requests[src] += 1
        t.hosts[src].add(e.host)
        t.denied += e.denied
        t.failed += (not e.denied) and (e.status == 0 or e.status >= 400)
    return t


def source_hosts(doctor_required: str) -> dict[str, str]:
    """Host -> source from devenv's net.sources `required` text ("maven: URL, pypi: URL"), plus pip's file host."""
    out: dict[str, str] = {}
    for name, url in re.findall(r"(maven|pypi|debian): (\S+?)(?:,|$)", doctor_required):
        host = urlsplit(url).hostname
        if host:
            out[host.lower()] = name
    if "pypi" in out.values():
        try:
            from pip._internal.models.index import PyPI  # pip's own default, read at run time

            out.setdefault(PyPI.file_storage_domain, "pypi")
        except Exception:  # noqa: BLE001 - pip missing or reorganised: its files count as "other"
            pass
    return out


def bridge_gateway() -> tuple[str, str]:
    """(gateway address, subnet) of Docker's default bridge network, as the engine reports it."""
    out = subprocess.run(["docker", "network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}"],
                         capture_output=True, text=True, check=True).stdout
    cfg = json.loads(out)[0]
    return cfg["Gateway"], cfg["Subnet"]


def local_addresses() -> list[str]:
    """This machine's IPv4 addresses (`ip -4 -o addr`): squid sees the host's requests from one of them."""
    out = subprocess.run(["ip", "-4", "-o", "addr", "show"], capture_output=True, text=True, check=True).stdout
    return [m.split("/")[0] for m in re.findall(r"\binet (\S+)", out)]


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class Squid:
    """squid -N on a private config; `with Squid() as sq:` gives `sq.url` and `sq.read()`."""

    def __init__(self, bind: list[str] | None = None, clients: list[str] | None = None) -> None:
        if not shutil.which("squid"):
            raise SystemExit("squid is not installed (Debian: apt-get install -y squid)")
        gateway, subnet = bridge_gateway()
        self.bind = bind or ["127.0.0.1", gateway]
        for a in self.bind:
            if not ipaddress.ip_address(a).is_loopback and a not in local_addresses():
                raise SystemExit(f"refusing to bind squid to {a}: not an address of this machine")
        self.clients = clients or ["127.0.0.0/8", subnet, *local_addresses()]
        self.dir = Path(tempfile.mkdtemp(prefix="devenv-squid-"))
        self.port = _free_port(self.bind[-1])
        self.url = f"http://{self.bind[-1]}:{self.port}"
        self.log = self.dir / "access.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def config(self) -> str:
        ports = "\n".join(f"http_port {a}:{self.port}" for a in self.bind)
        return f"""{ports}
acl clients src {' '.join(self.clients)}
http_access allow clients
http_access deny all
cache deny all
cache_mem 8 MB
access_log stdio:{self.log} squid
buffered_logs off
cache_log {self.dir / 'cache.log'}
pid_filename {self.dir / 'squid.pid'}
coredump_dir {self.dir}
logfile_rotate 0
pinger_enable off
netdb_filename none
visible_hostname devenv-bench
shutdown_lifetime 1 seconds
"""

    def __enter__(self) -> "Squid":
        (self.dir / "squid.conf").write_text(self.config(), encoding="utf-8")
        if os.geteuid() == 0:  # squid drops to its own user, which must write the logs
            shutil.chown(self.dir, user="proxy", group="proxy")
        self.proc = subprocess.Popen(["squid", "-N", "-f", str(self.dir / "squid.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"squid exited ({self.proc.returncode}); see {self.dir / 'cache.log'}")
            log = self.dir / "cache.log"
            text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
            if text.count("Accepting HTTP Socket connections") >= len(self.bind):  # no probe request in the log
                return self
            time.sleep(0.2)
        self.__exit__(None, None, None)
        raise SystemExit(f"squid did not listen on {self.url} within 30 s; see {self.dir / 'cache.log'}")

    def read(self) -> list[Entry]:
        return parse_access_log(self.log.read_text(encoding="utf-8", errors="replace")) if self.log.exists() else []

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def env(self) -> dict[str, str]:
        """Proxy variables that send devenv (host fetch) and its image builds (build args) through this squid."""
        v = {"HTTP_PROXY": self.url, "HTTPS_PROXY": self.url, "NO_PROXY": "localhost,127.0.0.1"}
        return {**v, **{k.lower(): x for k, x in v.items()}}
