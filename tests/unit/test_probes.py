"""The doctor's real probes against real things the test makes: a process holding a port, HTTP and
HTTPS servers with a CA made here, pip's and Maven's own configuration, a filled and a half-filled
artifact cache, cluster state on disk. Only devenv.docker is replaced, and only where a probe calls it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from devenv.doctor import probes
from realworld import CA_NAME, clean_network_env, closed_port, http_server, make_pki, process_holding_a_port, process_name

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="the owner is read with ss, as on Linux")


# --- port_owner -------------------------------------------------------------------------------------

@linux_only
def test_port_owner_names_the_process_the_test_started() -> None:
    with process_holding_a_port() as (proc, port):
        # ss shows the processes of the user who asks, and the test started this one
        assert probes.port_owner(port) == f"{process_name(proc.pid)} (pid {proc.pid})"
        assert probes.bind_port("127.0.0.1", port) is not None
    assert probes.port_owner(port) is None


# --- TLS ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):
    return make_pki(tmp_path_factory.mktemp("pki"))


def test_tls_handshake_trusts_the_ca_it_is_given(pki) -> None:
    with http_server(pki.server_context()) as port:
        answer = probes.tls_handshake("localhost", port, [str(pki.ca)], None)
    assert (answer.verified, answer.issuer, answer.error, answer.connected) == (True, f"{CA_NAME}, devenv tests", "", True)


def test_tls_handshake_untrusted_names_the_issuer_and_why(pki) -> None:
    with http_server(pki.server_context()) as port:
        answer = probes.tls_handshake("localhost", port, [], None)
    assert (answer.verified, answer.issuer, answer.connected) == (False, f"{CA_NAME}, devenv tests", True)
    assert answer.error == "unable to get local issuer certificate"


def test_tls_handshake_with_nothing_listening_did_not_connect() -> None:
    answer = probes.tls_handshake("127.0.0.1", closed_port(), [], None)
    assert (answer.verified, answer.connected) == (False, False)
    assert answer.error.startswith("ConnectionRefusedError: ")


# --- HTTP -----------------------------------------------------------------------------------------

def test_http_status_reports_what_the_server_answers(monkeypatch) -> None:
    clean_network_env(monkeypatch)
    with http_server() as port:
        base = f"http://127.0.0.1:{port}"
        assert [probes.http_status(f"{base}/status/{c}", {}) for c in (200, 404, 503)] == [200, 404, 503]
        assert probes.http_status(f"{base}/anything", {}) == 200


def test_http_status_raises_when_nothing_answers(monkeypatch) -> None:
    clean_network_env(monkeypatch)
    with pytest.raises(OSError) as e:
        probes.http_status(f"http://127.0.0.1:{closed_port()}/", {})
    assert "Connection refused" in str(e.value)


def test_http_status_names_an_untrusted_certificate(pki, monkeypatch) -> None:
    clean_network_env(monkeypatch)
    with http_server(pki.server_context()) as port, pytest.raises(OSError) as e:
        probes.http_status(f"https://localhost:{port}/", {})
    assert str(e.value) == "certificate not trusted: unable to get local issuer certificate"


# --- pip and Maven --------------------------------------------------------------------------------

def test_pip_index_follows_pips_own_configuration(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = https://mirror.test/pypi/simple/\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert probes.pip_index() == ("https://mirror.test/pypi/simple", "pip config")
    conf.write_text("[install]\nindex-url = https://other.test/simple\n")
    assert probes.pip_index() == ("https://other.test/simple", "pip config")
    monkeypatch.setenv("PIP_INDEX_URL", "https://env.test/simple/")
    assert probes.pip_index() == ("https://env.test/simple", "PIP_INDEX_URL")


def test_pip_index_reads_the_users_pip_conf(tmp_path: Path, monkeypatch) -> None:
    for var in ("PIP_INDEX_URL", "PIP_CONFIG_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / ".config"))
    (tmp_path / ".config" / "pip").mkdir(parents=True)
    (tmp_path / ".config" / "pip" / "pip.conf").write_text("[global]\nindex-url = https://user.test/simple\n")
    assert probes.pip_index() == ("https://user.test/simple", "pip config")


def test_pip_index_on_this_machine_agrees_with_the_pip_command(monkeypatch) -> None:
    """The machine's configuration as it is: the answer `pip config` gives, else pip's built-in default."""
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    got = probes.pip_index()
    pip = lambda *a: subprocess.run([sys.executable, "-m", "pip", *a], capture_output=True, text=True)  # noqa: E731
    configured = [pip("config", "get", key).stdout.strip() for key in ("global.index-url", "install.index-url")]
    configured = [c for c in configured if c]
    if configured:
        assert got == (configured[0].rstrip("/"), "pip config")
    else:
        default = subprocess.run([sys.executable, "-c", "from pip._internal.models.index import PyPI; print(PyPI.simple_url)"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        assert got == (default.rstrip("/"), "pip's default")


def _super_pom_central() -> str:
    """Maven's default repository, read from the Maven home `mvn --version` reports."""
    out = subprocess.run(["mvn", "--version"], capture_output=True, text=True, check=True).stdout
    home = Path(re.search(r"^Maven home: (.+)$", out, re.M).group(1).strip())  # type: ignore[union-attr]
    jar = next(iter(sorted((home / "lib").glob("maven-model-builder*.jar"))))
    pom = zipfile.ZipFile(jar).read("org/apache/maven/model/pom-4.0.0.xml").decode()
    return re.search(r"<id>central</id>.*?<url>([^<]+)</url>", pom, re.S).group(1).strip()  # type: ignore[union-attr]


@pytest.mark.skipif(shutil.which("mvn") is None, reason="no Maven on PATH")
def test_maven_default_repository_from_the_super_pom_then_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert probes.maven_default_repository() == (_super_pom_central().rstrip("/"), "Maven's super POM")
    m2 = tmp_path / ".m2"
    m2.mkdir()
    (m2 / "settings.xml").write_text("<settings><mirrors><mirror><id>corp</id><mirrorOf>central</mirrorOf>"
                                     "<url>https://mirror.test/maven2/</url></mirror></mirrors></settings>")
    assert probes.maven_default_repository() == ("https://mirror.test/maven2", "~/.m2/settings.xml")


def test_maven_default_repository_without_maven_or_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    assert probes.maven_default_repository() is None


# --- the artifact cache ---------------------------------------------------------------------------

def write_lock_and_cache(tmp_path: Path, files: dict[str, bytes]) -> Path:
    """A lock naming `files` (real sizes and sha256) and a cache holding each of them; returns the lock."""
    import hashlib

    from devenv import artifacts, lock

    arts = []
    for i, (name, data) in enumerate(files.items()):
        if name.endswith(".whl"):
            a = lock.Artifact("spark", "pypi", f"{name.split('-')[0]}==1.0", name, len(data), hashlib.sha256(data).hexdigest())
        else:
            a = lock.Artifact("hadoop", "maven", f"org.test:{name}:jar:1.{i}", f"org/test/{name}/1.{i}/{name}-1.{i}.jar",
                              len(data), hashlib.sha256(data).hexdigest())
        arts.append(a)
        p = artifacts.cached_path(a)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    path = tmp_path / "t.lock"
    lock.write(path, lock.Lock("t", "inputs", {"hadoop": "3.4.2"}, tuple(arts)))
    return path


def test_cache_missing_complete_cache(tmp_path: Path) -> None:
    lk = write_lock_and_cache(tmp_path, {"alpha": b"a" * 100, "beta": b"b" * 7, "demo-1.0-py3-none-any.whl": b"wheel"})
    assert probes.cache_missing(str(lk)) == (3, [])


def test_cache_missing_names_absent_and_wrong_size_files(tmp_path: Path) -> None:
    from devenv import artifacts, lock

    lk = write_lock_and_cache(tmp_path, {"alpha": b"a" * 100, "beta": b"b" * 7, "demo-1.0-py3-none-any.whl": b"wheel"})
    arts = {a.coords: a for a in lock.read(lk).artifacts}
    artifacts.cached_path(arts["org.test:alpha:jar:1.0"]).unlink()
    artifacts.cached_path(arts["demo==1.0"]).write_bytes(b"truncated wheel")
    assert probes.cache_missing(str(lk)) == (3, ["org.test:alpha:jar:1.0", "demo==1.0"])


# --- cluster state and leftovers (devenv.docker faked) ---------------------------------------------

def test_known_clusters_reads_the_state_directory() -> None:
    from devenv.paths import paths

    root = paths().state / "clusters"
    assert probes.known_clusters() == []
    for name, compose in (("alpha", True), ("beta", False), ("gamma", True)):
        (root / name).mkdir(parents=True)
        if compose:
            (root / name / "compose.json").write_text("{}")
    assert probes.known_clusters() == ["alpha", "gamma"]


def test_remove_leftovers_removes_each_kind_through_the_engine(monkeypatch) -> None:
    from devenv import docker
    from devenv.docker import ResourceInfo

    calls = []
    monkeypatch.setattr(docker, "remove", lambda **kw: calls.append(kw))
    probes.remove_leftovers([ResourceInfo("volume", "old-namenode", {}), ResourceInfo("container", "old-nn", {}),
                             ResourceInfo("network", "old-net", {}), ResourceInfo("container", "old-dn", {})])
    assert calls == [{"containers_": ["old-nn", "old-dn"], "volumes_": ["old-namenode"], "networks_": ["old-net"]}]
