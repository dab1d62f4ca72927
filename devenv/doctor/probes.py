"""The questions `devenv doctor` asks the machine, as one injectable object.

`Probes()` asks the real world: the engine through `devenv.docker`, the rest
through plain Python and subprocess, each bounded by a short timeout. Unit
tests run these very functions against servers, files and processes they make,
faking only `devenv.docker`; what a test machine cannot be (another OS, CPU or
disk size) they pass to `Probes(...)`.
"""

from __future__ import annotations

import os
import platform
import shutil
import socket
import ssl
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

TIMEOUT = 2.0


@dataclass(frozen=True)
class Completed:
    """A finished command: exit code and stdout+stderr together (`java -version` writes to stderr)."""

    rc: int
    output: str


def run_command(argv: Sequence[str], timeout: float = TIMEOUT) -> Completed | None:
    """Run a host tool; None when it is not installed. Raises TimeoutError when it hangs."""
    exe = shutil.which(argv[0])
    if exe is None:
        return None
    try:
        p = subprocess.run([exe, *argv[1:]], capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL, errors="replace")
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"`{' '.join(argv)}` did not answer within {timeout:g} s") from None
    except OSError as e:
        return Completed(127, str(e))
    return Completed(p.returncode, (p.stdout or "") + (p.stderr or ""))


def bind_port(host: str, port: int) -> str | None:
    """None if `host:port` can be bound now, else the OS's reason."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        if os.name == "nt":  # there SO_REUSEADDR would let us bind a busy port
            s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_EXCLUSIVEADDRUSE", socket.SO_REUSEADDR), 1)
        else:  # ignore TIME_WAIT leftovers
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        return None
    except OSError as e:
        return e.strerror or str(e)
    finally:
        s.close()


def port_owner(port: int) -> str | None:
    """Best effort: the program listening on `port`, where the OS tells (ss, lsof, netstat)."""
    from devenv import hostports

    return hostports.owner(port)


def known_clusters() -> list[str]:
    """Clusters devenv has state for (`devenv down` keeps it; they still exist)."""
    from devenv import cluster

    return cluster.known_clusters()


def remove_leftovers(resources: Sequence[Any]) -> None:
    from devenv import cluster

    cluster.remove_resources(resources)


def disk_free(path: str) -> int | None:
    """Free bytes on the file system holding `path` (its nearest existing parent), None if not on this machine."""
    p = Path(path)
    while not p.exists():
        if p.parent == p:
            return None
        p = p.parent
    return shutil.disk_usage(p).free


@dataclass(frozen=True)
class TlsAnswer:
    """One TLS handshake: verified or why not, and the issuer of the certificate the far end presented."""

    verified: bool
    issuer: str
    error: str = ""
    connected: bool = True


def _issuer(cert: Mapping[str, Any]) -> str:
    parts = {k: v for rdn in cert.get("issuer", ()) for k, v in rdn}
    names = [parts[k] for k in ("commonName", "organizationName") if k in parts]
    return ", ".join(dict.fromkeys(names)) or "an unnamed issuer"


def _issuer_of_der(der: bytes) -> str:
    """Decode a certificate we could not verify, to name its issuer (CPython's own decoder)."""
    import tempfile

    fd, tmp = tempfile.mkstemp(suffix=".pem")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(ssl.DER_cert_to_PEM_cert(der))
        return _issuer(ssl._ssl._test_decode_cert(tmp))  # type: ignore[attr-defined]
    except Exception:
        return "an unknown issuer"
    finally:
        os.unlink(tmp)


def default_store_context() -> ssl.SSLContext:
    """Python's default trust: certifi if installed, else OpenSSL's built-in store, ignoring SSL_CERT_FILE."""
    try:
        import certifi

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:
        paths = ssl.get_default_verify_paths()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.load_verify_locations(cafile=paths.openssl_cafile if os.path.exists(paths.openssl_cafile) else None,
                                  capath=paths.openssl_capath if os.path.isdir(paths.openssl_capath) else None)
        return ctx


def tls_handshake(host: str, port: int, extra_cas: Sequence[str], proxy: str | None, timeout: float = TIMEOUT) -> TlsAnswer:
    """Handshake with `host:port` trusting the default store plus `extra_cas` (None: no verification)."""
    import http.client
    from urllib.parse import urlsplit

    ctx = default_store_context()
    for ca in extra_cas:
        ctx.load_verify_locations(cafile=ca)
    unverified = ssl.create_default_context()
    unverified.check_hostname = False
    unverified.verify_mode = ssl.CERT_NONE

    def connect(context: ssl.SSLContext) -> ssl.SSLSocket:
        if proxy:
            u = urlsplit(proxy)
            conn = http.client.HTTPSConnection(u.hostname or "", u.port or 3128, timeout=timeout, context=context)
            conn.set_tunnel(host, port)
        else:
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
        conn.connect()
        return conn.sock  # type: ignore[return-value]

    try:
        sock = connect(ctx)
        issuer = _issuer(sock.getpeercert() or {})
        sock.close()
        return TlsAnswer(True, issuer)
    except ssl.SSLCertVerificationError as e:
        why = e.verify_message or str(e)
    except (OSError, ssl.SSLError) as e:
        return TlsAnswer(False, "", f"{type(e).__name__}: {e}", connected=False)
    try:
        sock = connect(unverified)
        der = sock.getpeercert(binary_form=True) or b""
        sock.close()
        return TlsAnswer(False, _issuer_of_der(der), why)
    except (OSError, ssl.SSLError) as e:
        return TlsAnswer(False, "an unknown issuer", f"{why}; then {e}")


def http_status(url: str, proxies: Mapping[str, str], timeout: float = TIMEOUT) -> int:
    """The HTTP status `url` answers with (through `proxies`); raises OSError when nothing answers."""
    import urllib.error
    import urllib.request

    opener = urllib.request.build_opener(urllib.request.ProxyHandler(dict(proxies)))
    req = urllib.request.Request(url, method="GET", headers={"User-Agent": "devenv-doctor"})
    try:
        with opener.open(req, timeout=timeout) as r:
            return int(r.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
    except urllib.error.URLError as e:
        reason = e.reason
        if isinstance(reason, ssl.SSLCertVerificationError):
            raise OSError(f"certificate not trusted: {reason.verify_message}") from None
        raise OSError(str(reason)) from None


def maven_default_repository() -> tuple[str, str] | None:
    """(URL, where from) of the Maven repository devenv falls back to: a central mirror in
    ~/.m2/settings.xml, else the super POM of the Maven on PATH (see `devenv.sources`)."""
    import zipfile

    from devenv import sources
    from devenv.errors import DevenvError

    super_pom = None
    mvn = shutil.which("mvn")
    if mvn:
        home = Path(os.path.realpath(mvn)).parent.parent
        for jar in sorted((home / "lib").glob("maven-model-builder*.jar")):
            try:
                with zipfile.ZipFile(jar) as z:
                    super_pom = z.read("org/apache/maven/model/pom-4.0.0.xml").decode("utf-8", "replace")
                break
            except (OSError, KeyError, zipfile.BadZipFile):
                continue
    try:
        url = sources.maven_repository({}, {}, super_pom=super_pom)
    except DevenvError:
        return None
    settings = Path.home() / ".m2" / "settings.xml"
    return url, ("~/.m2/settings.xml" if settings.is_file() and (super_pom is None or url not in super_pom) else "Maven's super POM")


def pip_index() -> tuple[str, str] | None:
    """(URL, where from) of the PyPI index pip uses: PIP_INDEX_URL, pip's configuration, or pip's default.

    Read in-process through pip's own configuration API when pip is importable
    (fast); otherwise as `devenv.sources` does, through `pip config`.
    """
    if os.environ.get("PIP_INDEX_URL"):
        return os.environ["PIP_INDEX_URL"].rstrip("/"), "PIP_INDEX_URL"
    try:
        from pip._internal.configuration import Configuration
        from pip._internal.models.index import PyPI

        conf = Configuration(isolated=False)
        conf.load()
        for key in ("global.index-url", "install.index-url"):
            try:
                return str(conf.get_value(key)).rstrip("/"), "pip config"
            except Exception:
                continue
        return PyPI.simple_url.rstrip("/"), "pip's default"
    except Exception:
        pass
    from devenv import sources
    from devenv.errors import DevenvError

    try:
        return sources.pypi_index({}, {}), "pip"
    except DevenvError:
        return None


def cache_missing(lock_file: str) -> tuple[int, list[str]]:
    """(artifacts in the lock, coordinates of those absent from the cache or of the wrong size). Never hashes."""
    from devenv import artifacts, lock

    lk = lock.read(Path(lock_file))
    wanted = lk.unique()
    gone = []
    for a in wanted:
        p = artifacts.cached_path(a)
        try:
            if p.stat().st_size == a.size:
                continue
        except OSError:
            pass
        gone.append(a.coords)
    return len(wanted), gone


def host_python() -> str:
    return "python" if os.name == "nt" else "python3"


def crlf_scripts(root: Path) -> list[str]:
    """Shell scripts under `root` (the image templates) that have Windows line endings."""
    if not root.is_dir():
        return []
    bad = []
    for f in sorted(root.rglob("*")):
        if f.is_file() and (f.suffix == ".sh" or f.parent.name == "bin"):
            try:
                if b"\r\n" in f.read_bytes():
                    bad.append(str(f.relative_to(root)))
            except OSError:
                continue
    return bad


def _docker(name: str, **fixed: Any) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        from devenv import docker

        return getattr(docker, name)(*args, **fixed, **kwargs)

    return call


def _mkdir(path: str) -> None:
    Path(path).mkdir(parents=True, exist_ok=True)


def http_json(url: str, timeout: float = TIMEOUT) -> Any:
    """GET a daemon's JSON endpoint on the host (no proxy: it is local)."""
    from devenv import readiness

    return readiness.http_json(url, timeout)


@dataclass(frozen=True)
class Probes:
    """Every probe a check may call. Fields are plain callables so tests pass their own."""

    engine_info: Callable[[], Any] = field(default=_docker("engine_info"))
    engine_details: Callable[[], Any] = field(default=_docker("engine_info"))  # the same cached `docker info`
    compose_version: Callable[[], str | None] = field(default=_docker("compose_version"))
    buildx_version: Callable[[], str | None] = field(default=_docker("buildx_version"))
    managed_containers: Callable[[], list[Any]] = field(default=_docker("containers"))
    managed_networks_and_volumes: Callable[[], list[Any]] = lambda: [*_docker("networks")(), *_docker("volumes")()]
    known_clusters: Callable[[], list[str]] = known_clusters
    remove_leftovers: Callable[[Sequence[Any]], None] = remove_leftovers
    local_images: Callable[[], list[Any]] = field(default=_docker("images", managed=False))
    run_container: Callable[..., str] = field(default=_docker("run"))
    exec_in: Callable[[str, Sequence[str]], str] = field(default=_docker("exec_in"))
    env: Callable[[], Mapping[str, str]] = lambda: dict(os.environ)
    system: Callable[[], str] = platform.system
    machine: Callable[[], str] = platform.machine
    disk_free: Callable[[str], int | None] = disk_free
    bind_port: Callable[[str, int], str | None] = bind_port
    port_owner: Callable[[int], str | None] = port_owner
    command: Callable[..., Completed | None] = run_command
    which: Callable[[str], str | None] = shutil.which
    http_status: Callable[..., int] = http_status
    tls_handshake: Callable[..., TlsAnswer] = tls_handshake
    maven_default_repository: Callable[[], tuple[str, str] | None] = maven_default_repository
    pip_index: Callable[[], tuple[str, str] | None] = pip_index
    cache_missing: Callable[[str], tuple[int, list[str]]] = cache_missing
    crlf_scripts: Callable[[Path], list[str]] = crlf_scripts
    is_file: Callable[[str], bool] = os.path.isfile
    is_dir: Callable[[str], bool] = os.path.isdir
    mkdir: Callable[[str], None] = _mkdir
    http_json: Callable[[str], Any] = http_json

