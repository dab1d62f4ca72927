"""Every doctor check in every state it can report, over the real probes; whole messages asserted.

Only devenv.docker is faked (`ENG`, answers set per test, anything unset fails the
test). The rest is real: environment variables, files under tmp_path, host tools
as scripts on a PATH the test makes, local HTTP(S) servers with a CA made here,
processes holding ports. What cannot be made on the test machine (another OS, CPU
architecture or disk size, and a certificate the default trust store accepts) is
given through the few probes in `HOST_FACTS`, and only those.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Callable

import pytest

from devenv import doctor, docker, owner
from devenv.docker import ContainerInfo, EngineInfo, ImageInfo, ResourceInfo
from devenv.doctor import Context, Finding
from devenv.doctor.probes import Probes, TlsAnswer
from devenv.errors import DevenvError
from devenv.paths import paths
from realworld import CA_NAME, SS, closed_port, free_port_base, http_server, json_servers, make_pki, tool

GB = 1024**3
DETAILS = EngineInfo("26.1.5", 8 * GB, 4, "linux", "x86_64", "/var/lib/docker", "default",
                     kernel_version="6.1.0", operating_system="Debian GNU/Linux 12 (bookworm)")
ENGINE = DETAILS  # `docker info` answers both: the engine and its details are one cached call
# Facts of the machine a test cannot change for real: its OS, its CPU, free disk space, the
# templates' line endings in this checkout, which CAs the default trust store holds, and
# whether pip is installed (it is: devenv runs from a venv that has it).
HOST_FACTS = {"system", "machine", "disk_free", "crlf_scripts", "tls_handshake", "pip_index"}
PIP_DEFAULT = "http://127.0.0.1:9/simple"  # what this test machine's pip.conf names: local, never https


def LocalImage(id: str, tags: tuple[str, ...], architecture: str, labels: dict[str, str]) -> ImageInfo:  # noqa: N802
    """An image as `docker.images(managed=False)` lists it."""
    return ImageInfo(id, tags, 0, labels, "", architecture)


def ContainerState(name: str, image_ref: str, image_id: str, labels: dict[str, str], running: bool,  # noqa: N802
                   host_ports: tuple[int, ...]) -> ContainerInfo:
    """A container as `docker.containers()` lists it."""
    ports = tuple(("127.0.0.1", p, p) for p in host_ports)
    return ContainerInfo("id-" + name, name, labels.get("devenv.service", ""), labels.get("devenv.cluster", ""), labels.get("devenv.profile", ""),
                         "running" if running else "exited", 0, image_ref, "", ports, image_id, labels)


DOWN = DevenvError("asking the Docker engine for its info: the Docker engine is not reachable", hint="start Docker")
ENGINE_SKIP = "the Docker engine is not reachable (see engine.reachable)"


class FakeEngine:
    """devenv.docker as the doctor asks it: each answer set by the test; an unset one fails the test when asked."""

    ANSWERS = ("engine_info", "compose_version", "buildx_version", "containers", "networks", "volumes", "images", "run", "exec_in", "remove")

    def __init__(self) -> None:
        self.answers: dict[str, Callable[..., Any]] = {}

    def set(self, name: str, answer: Any) -> None:
        assert name in self.ANSWERS, name
        self.answers[name] = answer if callable(answer) else (lambda *a, **k: answer)

    def call(self, name: str, *a: Any, **k: Any) -> Any:
        if name not in self.answers:
            raise AssertionError(f"unexpected engine call {name}{a}")
        return self.answers[name](*a, **k)


ENG = FakeEngine()
BIN = Path()  # this test's PATH: host tools are scripts written here


@pytest.fixture(autouse=True)
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A clean machine: no engine answers until set, no proxy or CA variables, an empty HOME and PATH, pip without config."""
    global ENG, BIN
    ENG = FakeEngine()
    for name in FakeEngine.ANSWERS:
        monkeypatch.setattr(docker, name, lambda *a, _n=name, **k: ENG.call(_n, *a, **k))
    for var in list(os.environ):
        if var.lower().endswith("_proxy") or var in ("DOCKER_HOST", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR", "CURL_CA_BUNDLE",
                                                      "PIP_CERT", "NODE_EXTRA_CA_CERTS", "PIP_INDEX_URL"):
            monkeypatch.delenv(var, raising=False)
    (tmp_path / "home").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "home" / ".config"))
    (tmp_path / "home" / "pip.conf").write_text(f"[global]\nindex-url = {PIP_DEFAULT}\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(tmp_path / "home" / "pip.conf"))
    BIN = tmp_path / "bin"
    BIN.mkdir()
    if SS:
        (BIN / "ss").symlink_to(SS)
    monkeypatch.setenv("PATH", str(BIN))


def make_ctx(profile: str | Path = "default", user_config: dict | None = None, **kw: Any) -> Context:
    """A Context over the real probes; `kw` sets engine answers (devenv.docker) and HOST_FACTS."""
    from devenv import profile as prof

    host = {k: kw.pop(k) for k in list(kw) if k in HOST_FACTS}
    for name, answer in kw.items():
        ENG.set(name, answer)
    p = prof.load_profile(prof.select(str(profile))[0], user_config=user_config or {})
    return Context(Probes(**host), paths(), profile=p, user_config=user_config or {})


def run(check_id: str, ctx: Context) -> Finding:
    doctor.all_checks()
    return doctor.core._run_one(doctor.REGISTRY[check_id], ctx)


def engine(**kw: Any) -> dict[str, Any]:
    return {"engine_info": dataclasses.replace(ENGINE, **kw)}


def down(*a: Any) -> Any:
    raise DOWN


def state_msg(f: Finding) -> tuple[str, str]:
    return f.state, f.message


def sources(maven: str | None, pypi: str | None) -> None:
    """Where Maven and pip say their repositories are: ~/.m2/settings.xml and pip's configuration file."""
    home = Path(os.environ["HOME"])
    if maven:
        (home / ".m2").mkdir(exist_ok=True)
        (home / ".m2" / "settings.xml").write_text(f"<settings><mirrors><mirror><id>m</id><mirrorOf>central</mirrorOf><url>{maven}</url></mirror></mirrors></settings>")
    if pypi:
        conf = home / "pip.conf"
        conf.write_text(f"[global]\nindex-url = {pypi}\n")
        os.environ["PIP_CONFIG_FILE"] = str(conf)  # restored by the world fixture's monkeypatch


# --- profile and engine ---------------------------------------------------------

def test_profile_valid_ok() -> None:
    f = run("profile.valid", make_ctx())
    assert f.state == "ok"
    assert f.message.startswith("profile 'default' is valid (") and f.message.endswith("default.toml)")


def test_profile_valid_fail() -> None:
    err = DevenvError("profile x.toml is invalid (1 problem)", hint="fix the lines above", details=["x.toml:1:1: name: bad"])
    ctx = Context(Probes(), paths(), profile_error=err)
    f = run("profile.valid", ctx)
    assert (f.state, f.message, f.found, f.fix) == ("fail", "profile x.toml is invalid (1 problem)", "x.toml:1:1: name: bad",
                                                   "fix the lines above; `devenv profile validate` lists every problem")
    ENG.set("engine_info", ENGINE)
    assert state_msg(run("engine.resources", Context(Probes(), paths(), profile_error=err))) == (
        "skip", "the profile could not be read (see profile.valid)")


def test_engine_reachable_ok_and_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    f = run("engine.reachable", make_ctx(**engine()))
    assert state_msg(f) == ("ok", "Docker 26.1.5 answers through context 'default' (DOCKER_HOST unset)")
    monkeypatch.setenv("DOCKER_HOST", "tcp://h:2375")
    f = run("engine.reachable", make_ctx(engine_info=down))
    assert (f.state, f.message, f.found, f.fix) == (
        "fail", "asking the Docker engine for its info: the Docker engine is not reachable", "no answer (DOCKER_HOST=tcp://h:2375)", "start Docker")


def test_engine_versions_ok() -> None:
    f = run("engine.versions", make_ctx(compose_version="Docker Compose version v2.26.1", buildx_version="github.com/docker/buildx v0.13.1 abc", **engine()))
    assert state_msg(f) == ("ok", "Engine 26.1.5, Compose 2.26.1, buildx 0.13.1")
    assert f.required == "Engine >= 20.10, Compose >= 2.17, buildx >= 0.10"


def test_engine_versions_fail_old_and_missing() -> None:
    f = run("engine.versions", make_ctx(compose_version=lambda: None, buildx_version="buildx v0.9.1", **engine(server_version="19.03.12")))
    assert state_msg(f) == ("fail", "Engine 19.03.12 is older than 20.10; Compose is missing; buildx 0.9.1 is older than 0.10")
    assert f.fix == ("update Docker Engine (Docker Desktop: install the current release); "
                     "install the Compose v2 plugin (package docker-compose-plugin; Docker Desktop has it); "
                     "install the buildx plugin (package docker-buildx-plugin; Docker Desktop has it)")


def test_engine_checks_skip_when_engine_is_down() -> None:
    ctx = make_ctx(engine_info=down, system=lambda: "Linux")
    for cid in ("engine.versions", "engine.resources", "host.disk", "host.arch", "engine.test-container", "net.proxy", "cluster.leftovers", "cluster.hdfs"):
        assert state_msg(run(cid, ctx)) == ("skip", ENGINE_SKIP), cid


def test_engine_resources_ok_fail_warn() -> None:
    f = run("engine.resources", make_ctx(**engine()))
    assert state_msg(f) == ("ok", "Docker has 8.0 GB and 4 CPUs, profile 'default' needs 7.0 GB")
    f = run("engine.resources", make_ctx(**engine(memory_bytes=int(3.8 * GB))))
    assert state_msg(f) == ("fail", "Docker has 3.8 GB, profile 'default' needs 7.0 GB")
    assert f.found == "3.8 GB, 4 CPUs" and f.required == "7.0 GB (resources.total), 2 CPUs"
    assert f.fix == "give Docker at least 7.0 GB (Docker Desktop: Settings > Resources > Memory), or lower [resources] total and the services' memory in the profile"
    f = run("engine.resources", make_ctx(**engine(cpus=1)))
    assert state_msg(f) == ("warn", "Docker has 1 CPU; the cluster's JVMs start slowly and YARN jobs crawl with fewer than 2")


# --- host -------------------------------------------------------------------------

def _disk(docker_free: float, cache_free: float):
    return lambda path: int((docker_free if path == "/var/lib/docker" else cache_free) * GB)


def test_host_disk_ok_warn_fail() -> None:
    cache = paths().cache
    base = dict(system=lambda: "Linux", **engine())
    f = run("host.disk", make_ctx(disk_free=_disk(50, 20), **base))
    assert state_msg(f) == ("ok", f"Docker's data root (/var/lib/docker) has 50.0 GB free; devenv's cache ({cache}) has 20.0 GB free")
    f = run("host.disk", make_ctx(disk_free=_disk(9, 20), **base))
    assert state_msg(f) == ("warn", "Docker's data root (/var/lib/docker) has 9.0 GB free; images and data grow to about 15 GB")
    f = run("host.disk", make_ctx(disk_free=_disk(3, 1), **base))
    assert state_msg(f) == ("fail", f"Docker's data root (/var/lib/docker) has 3.0 GB free; devenv needs 15 GB; devenv's cache ({cache}) has 1.0 GB free; devenv needs 5 GB")
    assert f.fix == "free space there, or `docker system prune` unused images and build cache; free space there, or move the cache (DEVENV_HOME)"


def test_host_disk_does_not_measure_a_remote_data_root(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = paths().cache
    monkeypatch.setenv("DOCKER_HOST", "ssh://builder")
    f = run("host.disk", make_ctx(disk_free=_disk(1, 20), system=lambda: "Linux", **engine()))
    assert state_msg(f) == ("ok", f"Docker's data root /var/lib/docker is inside the engine's VM or remote host: not measured here; devenv's cache ({cache}) has 20.0 GB free")


def test_host_arch_ok_and_warns() -> None:
    base = LocalImage("sha256:1", ("debian:bookworm-slim",), "amd64", {})
    ours = LocalImage("sha256:2", ("devenv/hadoop:abc",), "arm64", {"devenv.managed": "true", "devenv.image": "hadoop"})
    other = LocalImage("sha256:3", ("someone/else:1",), "arm64", {})
    f = run("host.arch", make_ctx(machine=lambda: "x86_64", images=[base, other], **engine()))
    assert state_msg(f) == ("ok", "amd64 host, amd64 engine; 1 local image checked, none emulated")
    f = run("host.arch", make_ctx(machine=lambda: "x86_64", images=[base, ours], **engine()))
    assert state_msg(f) == ("warn", "devenv/hadoop:abc is arm64 on a amd64 engine: it runs under emulation (QEMU), several times slower, and JVMs crash under it")
    f = run("host.arch", make_ctx(machine=lambda: "arm64", images=[], **engine()))
    assert state_msg(f) == ("warn", "the engine runs amd64 on this arm64 machine: every container is emulated")


def test_host_arch_on_this_machine() -> None:
    """The real platform.machine() against an engine of the same architecture."""
    import platform

    from devenv import compat

    here = compat.norm_arch(platform.machine())
    f = run("host.arch", make_ctx(images=[], **engine(architecture=platform.machine())))
    assert state_msg(f) == ("ok", f"{here} host, {here} engine; 0 local images checked, none emulated")


# --- ports: a profile whose ports are free here, and processes that take them ------------------

N_PORTS = 14  # 13 and the gateway's


def free_profile(tmp_path: Path) -> tuple[Path, list[int]]:
    """A profile (named 'free') whose 13 ports are free on this machine now, and those ports."""
    base = free_port_base(N_PORTS)
    f = tmp_path / "free.toml"
    f.write_text(f'schema = 1\nname = "free"\nextends = "default"\n\n[network]\nport_base = {base}\n')
    return f, list(range(base, base + N_PORTS))


def test_ports_free_ok(tmp_path: Path) -> None:
    prof, ports = free_profile(tmp_path)
    f = run("ports.free", make_ctx(prof))
    assert state_msg(f) == ("ok", f"all 14 ports are free on 127.0.0.1 ({', '.join(map(str, ports))})")


@pytest.mark.skipif(SS is None, reason="the owner of a port is read with ss (Linux)")
def test_ports_free_fail_names_the_owner_or_says_it_cannot(tmp_path: Path) -> None:
    from realworld import port_bound_not_listening, process_listening_on, process_name

    prof, ports = free_profile(tmp_path)
    nn_http, rm_http = ports[1], ports[5]  # namenode http and resourcemanager http, in the port plan's order
    with process_listening_on(nn_http) as proc, port_bound_not_listening(rm_http):
        f = run("ports.free", make_ctx(prof, containers=[], **engine()))
        owner = f"{process_name(proc.pid)} (pid {proc.pid})"
    assert state_msg(f) == ("fail", f"{nn_http} (namenode http) is in use by {owner}; {rm_http} (resourcemanager http) is in use (the OS does not say by whom: Address already in use)")
    assert f.fix == "stop the program holding the port, or set [network] port_base in the profile to move every port (e.g. port_base = 20000)"


def test_ports_free_warn_when_a_devenv_cluster_publishes_it(tmp_path: Path) -> None:
    from realworld import process_listening_on

    prof, ports = free_profile(tmp_path)
    c = ContainerState("old-namenode", "devenv/hadoop:1", "sha256:1", {"devenv.cluster": "old"}, True, (ports[1],))
    with process_listening_on(ports[1]):  # what docker-proxy does for a published port
        f = run("ports.free", make_ctx(prof, containers=[c], **engine()))
    assert state_msg(f) == ("warn", f"{ports[1]} (namenode http) is published by devenv cluster 'old' (container old-namenode)")


# --- the test container ------------------------------------------------------------------

def _container_ctx(run_container, **kw: Any) -> Context:
    sources("https://maven.test/repo", "https://pypi.test/simple")
    return make_ctx(images=[LocalImage("sha256:1", ("debian:bookworm-slim",), "amd64", {})], run=run_container, **engine(), **kw)


def test_test_container_ok_writes_through_the_mount_and_reaches_the_sources() -> None:
    seen = {}

    def fake_run(image, command, volumes):
        Path(volumes[0][0], "written").write_text("ok")
        seen["script"] = command[2]
        return "mounted\nreach maven yes\nreach pypi yes\n"

    f = run("engine.test-container", _container_ctx(fake_run))
    assert state_msg(f) == ("ok", "a container from debian:bookworm-slim started and wrote to a mounted directory, and reached maven, pypi")
    assert "exec 3<>/dev/tcp/maven.test/443" in seen["script"]
    assert list(paths().cache.glob("doctor-*")) == []  # the probe directory is gone


def test_test_container_warns_when_sources_are_out_of_reach() -> None:
    def fake_run(image, command, volumes):
        Path(volumes[0][0], "written").write_text("ok")
        return "mounted\nreach maven no\nreach pypi yes\n"

    f = run("engine.test-container", _container_ctx(fake_run))
    assert state_msg(f) == ("warn", "a container from debian:bookworm-slim started and mounted a directory, but could not reach maven")


def test_test_container_fails_when_it_cannot_run_or_mount() -> None:
    def broken(image, command, volumes):
        raise DevenvError("running sh in debian:bookworm-slim failed (exit 125)", details=["docker: Error response from daemon: OCI runtime create failed"])

    f = run("engine.test-container", _container_ctx(broken))
    assert state_msg(f) == ("fail", "a test container from debian:bookworm-slim did not run: running sh in debian:bookworm-slim failed (exit 125)")
    assert f.found == "docker: Error response from daemon: OCI runtime create failed"
    f = run("engine.test-container", _container_ctx(lambda image, command, volumes: "sh: can't create /probe/written: Permission denied\n"))
    assert state_msg(f) == ("fail", f"a container from debian:bookworm-slim started but could not write to a mounted directory ({paths().cache})")


def test_test_container_skips_without_a_local_image() -> None:
    f = run("engine.test-container", make_ctx(images=[LocalImage("sha256:3", ("someone/else:1",), "amd64", {})], **engine()))
    assert state_msg(f) == ("skip", "no image to test with is here yet, and doctor never pulls (devenv build fetches the base image)")


def test_test_container_tests_the_proxy_when_there_is_one(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_run(image, command, volumes):
        Path(volumes[0][0], "written").write_text("ok")
        seen["script"] = command[2]
        return "mounted\nreach proxy yes\n"

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    f = run("engine.test-container", _container_ctx(fake_run))
    assert state_msg(f) == ("ok", "a container from debian:bookworm-slim started and wrote to a mounted directory, and reached proxy")
    assert "/dev/tcp/proxy.test/3128" in seen["script"]


# --- Windows ------------------------------------------------------------------------

def test_windows_wsl2_all_states() -> None:
    assert state_msg(run("windows.wsl2", make_ctx(system=lambda: "Linux"))) == ("skip", "not Windows")
    wsl = engine(kernel_version="5.15.153.1-microsoft-standard-WSL2")
    assert state_msg(run("windows.wsl2", make_ctx(system=lambda: "Windows", **wsl))) == ("ok", "Docker Desktop runs on WSL 2 (kernel 5.15.153.1-microsoft-standard-WSL2)")
    hyperv = engine(kernel_version="5.10.16-linuxkit")
    assert state_msg(run("windows.wsl2", make_ctx(system=lambda: "Windows", **hyperv))) == (
        "fail", "Docker Desktop does not run on WSL 2 (kernel 5.10.16-linuxkit): Hyper-V file sharing is slow and loses file events")
    wincont = engine(os_type="windows")
    assert state_msg(run("windows.wsl2", make_ctx(system=lambda: "Windows", **wincont))) == (
        "fail", "the engine runs Windows containers; the cluster's images are Linux images")


def test_windows_autocrlf_all_states() -> None:
    f = run("windows.autocrlf", make_ctx(crlf_scripts=lambda root: ["hadoop/entrypoint.sh"], system=lambda: "Linux"))
    assert state_msg(f) == ("fail", "1 image script have Windows line endings (CRLF): hadoop/entrypoint.sh; in a Linux container their #! line fails ('bad interpreter')")
    assert f.fix == "run `git config --global core.autocrlf input`, then clone devenv again"
    # the real crlf_scripts over this checkout's templates, which have LF line endings
    assert state_msg(run("windows.autocrlf", make_ctx(system=lambda: "Linux"))) == ("skip", "not Windows; the image scripts have LF line endings")
    tool(BIN, "git", 'echo true')
    assert state_msg(run("windows.autocrlf", make_ctx(system=lambda: "Windows"))) == (
        "warn", "git core.autocrlf is true: files you check out or add later get CRLF line endings and break in containers")
    tool(BIN, "git", 'exit 1')
    assert state_msg(run("windows.autocrlf", make_ctx(system=lambda: "Windows"))) == (
        "ok", "the image scripts have LF line endings (core.autocrlf=unset)")


def test_crlf_scripts_finds_windows_line_endings(tmp_path: Path) -> None:
    from devenv.doctor.probes import crlf_scripts

    tmp_path = tmp_path / "templates"

    (tmp_path / "hadoop" / "bin").mkdir(parents=True)
    (tmp_path / "hadoop" / "entrypoint.sh").write_bytes(b"#!/bin/sh\r\necho hi\r\n")
    (tmp_path / "hadoop" / "bin" / "tool").write_bytes(b"#!/bin/sh\necho hi\n")
    (tmp_path / "hadoop" / "Dockerfile").write_bytes(b"FROM x\r\n")
    assert crlf_scripts(tmp_path) == [str(Path("hadoop/entrypoint.sh"))]


# --- cache ----------------------------------------------------------------------------

def test_cache_offline_creates_missing_directories_as_a_safe_fix() -> None:
    from devenv import artifacts

    assert not artifacts.maven_dir().exists() and not artifacts.pypi_dir().exists()  # a fresh DEVENV_HOME
    f = run("cache.offline", make_ctx())
    dirs = f"{artifacts.maven_dir()}, {artifacts.pypi_dir()}"
    assert state_msg(f) == ("warn", f"devenv's cache directories do not exist yet: {dirs}")
    assert f.fix == "devenv doctor --fix creates them; devenv fetch then fills them"
    assert f.safe_fix is not None and f.safe_fix.description == f"create the cache directories {dirs}"
    f.safe_fix.apply()
    assert artifacts.maven_dir().is_dir() and artifacts.pypi_dir().is_dir()


def test_cache_offline_skip_warn_ok(tmp_path: Path) -> None:
    from devenv import artifacts, lock
    from test_probes import write_lock_and_cache

    artifacts.maven_dir().mkdir(parents=True)
    artifacts.pypi_dir().mkdir(parents=True)
    prof = tmp_path / "mine.toml"
    prof.write_text('schema = 1\nname = "mine"\nextends = "default"\n')
    f = run("cache.offline", make_ctx(prof))
    assert state_msg(f) == ("skip", f"profile 'mine' has no lock file ({tmp_path / 'mine.lock'}); `devenv lock` writes one, then `devenv fetch` fills the cache for --offline")
    written = write_lock_and_cache(tmp_path, {f"lib{i}": bytes([i]) * (100 + i) for i in range(10)})
    written.rename(tmp_path / "mine.lock")
    f = run("cache.offline", make_ctx(prof))
    assert state_msg(f) == ("ok", "all 10 locked artifacts of profile 'mine' are in the cache (sizes match; checksums are checked when used)")
    arts = lock.read(tmp_path / "mine.lock").artifacts
    for a in arts[:3]:
        artifacts.cached_path(a).unlink()
    artifacts.cached_path(arts[3]).write_bytes(b"short")  # the wrong size counts as missing
    gone = [a.coords for a in arts[:4]]
    f = run("cache.offline", make_ctx(prof))
    assert state_msg(f) == ("warn", f"4 of 10 locked artifacts are not in the cache ({gone[0]}, {gone[1]}, {gone[2]} and 1 more): --offline would stop before building")


# --- network: local HTTP(S) servers, a CA made here ----------------------------------------------

@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory):
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory: pytest.TempPathFactory):
    return make_pki(tmp_path_factory.mktemp("other-pki"), "another CA")


ISSUER = f"{CA_NAME}, devenv tests"


def test_net_sources_ok_fail_skip() -> None:
    with http_server() as port:
        maven, pypi = f"http://127.0.0.1:{port}/maven2", f"http://127.0.0.1:{port}/simple"
        sources(maven, pypi)
        f = run("net.sources", make_ctx())
        assert state_msg(f) == ("ok", f"reached maven {maven} (~/.m2/settings.xml, HTTP 200); pypi {pypi} (pip config, HTTP 200)")
        maven, pypi = f"http://127.0.0.1:{closed_port()}/maven2", f"http://127.0.0.1:{port}/status/503"
        sources(maven, pypi)
        f = run("net.sources", make_ctx())
    assert state_msg(f) == ("fail", f"maven {maven} (~/.m2/settings.xml) does not answer: [Errno 111] Connection refused; pypi {pypi} (pip config) answers HTTP 503")
    assert f.fix == f"check the network and proxy ([proxy] in {paths().user_config}), set mirrors in [sources] there, or work from a filled cache with --offline"


def test_net_sources_skip_without_maven_or_pip() -> None:
    # no mvn on PATH and no ~/.m2/settings.xml (real); pip absent is the one fact given
    f = run("net.sources", make_ctx(pip_index=lambda: None))
    assert state_msg(f) == ("skip", "no artifact source is configured, and neither pip nor Maven is here to name its default")


def test_net_sources_prefer_the_user_config_and_use_its_proxy() -> None:
    proxy = closed_port()
    wanted = ["http://mirror.test/maven2", "http://mirror.test/pypi/simple"]
    with json_servers({proxy: {u: {} for u in wanted}}) as asked:  # a forward proxy gets the absolute URL
        user = {"sources": {"maven": wanted[0], "pypi": wanted[1]}, "proxy": {"http": f"http://127.0.0.1:{proxy}"}}
        f = run("net.sources", make_ctx(user_config=user))
    assert state_msg(f) == ("ok", "reached maven http://mirror.test/maven2 (user config, HTTP 200); pypi http://mirror.test/pypi/simple (user config, HTTP 200)")
    assert sorted(asked) == [f"http://127.0.0.1:{proxy}{u}" for u in wanted]


def test_net_tls_ok_with_the_default_store() -> None:
    # a certificate the default store trusts cannot be made here: the one probe given is the handshake
    sources("https://maven.test/repo", "https://pypi.test/simple")
    f = run("net.tls", make_ctx(tls_handshake=lambda host, port, cas, proxy: TlsAnswer(True, "Public CA")))
    assert state_msg(f) == ("ok", "maven (maven.test) presents a certificate from 'Public CA', trusted by the default store; pypi (pypi.test) presents a certificate from 'Public CA', trusted by the default store")


def test_net_tls_ok_when_devenvs_ca_configuration_covers_interception(pki) -> None:
    with http_server(pki.server_context()) as port:
        sources(f"https://localhost:{port}/maven2", None)
        user = {"tls": {"ca_certificates": [str(pki.ca)]}}
        f = run("net.tls", make_ctx(user_config=user))
    assert state_msg(f) == ("ok", f"maven (localhost) is intercepted: its certificate from '{ISSUER}' is not in the default store, and devenv's CA configuration ([tls] ca_certificates) covers it")


def test_net_tls_fails_when_only_the_environment_trusts_the_interceptor(pki, other_pki, monkeypatch: pytest.MonkeyPatch) -> None:
    # [tls] ca_certificates lists a CA, so devenv.sources ignores the environment's CA variables
    user = {"tls": {"ca_certificates": [str(other_pki.ca)]}}
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca))
    with http_server(pki.server_context()) as port:
        sources(f"https://localhost:{port}/maven2", None)
        f = run("net.tls", make_ctx(user_config=user))
    assert state_msg(f) == ("fail", f"maven (localhost) is intercepted: its certificate from '{ISSUER}' is trusted through REQUESTS_CA_BUNDLE={pki.ca}, but devenv's CA configuration does not cover it, so downloads in image builds fail")
    assert f.fix == f"add \"{pki.ca}\" to [tls] ca_certificates in {paths().user_config}"


def test_net_tls_ok_when_the_environment_ca_is_devenvs_configuration(pki, monkeypatch: pytest.MonkeyPatch) -> None:
    # without [tls] ca_certificates, devenv.sources takes the environment's CA files into builds: doctor says so
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.ca))
    with http_server(pki.server_context()) as port:
        sources(f"https://localhost:{port}/maven2", None)
        f = run("net.tls", make_ctx())
    assert state_msg(f) == ("ok", f"maven (localhost) is intercepted: its certificate from '{ISSUER}' is not in the default store, and devenv's CA configuration (REQUESTS_CA_BUNDLE) covers it")


def test_net_proxy_says_where_the_hosts_proxy_came_from(monkeypatch: pytest.MonkeyPatch) -> None:
    details = engine(https_proxy="http://b:2")
    user = {"proxy": {"https": "http://a:1"}}
    monkeypatch.setenv("HTTPS_PROXY", "http://env:3")
    f = run("net.proxy", make_ctx(user_config=user, **details))
    assert (f.state, f.found) == ("warn", "host http://a:1 (from user config), engine http://b:2")
    f = run("net.proxy", make_ctx(**details))
    assert f.found == "host http://env:3 (from HTTPS_PROXY), engine http://b:2"


def test_net_tls_fails_when_nothing_trusts_it_or_a_ca_file_is_missing(pki, tmp_path: Path) -> None:
    with http_server(pki.server_context()) as port:
        sources(f"https://localhost:{port}/maven2", None)
        f = run("net.tls", make_ctx())
        assert state_msg(f) == ("fail", f"maven (localhost) presents a certificate from '{ISSUER}' that nothing here trusts (unable to get local issuer certificate)")
        assert f.fix == f"get your organisation's root CA certificate (a PEM file) and add its path to [tls] ca_certificates in {paths().user_config}"
        nope = tmp_path / "nope.pem"
        user = {"tls": {"ca_certificates": [str(nope), str(pki.ca)]}}
        f = run("net.tls", make_ctx(user_config=user))
    assert state_msg(f) == ("fail", f"[tls] ca_certificates names {nope}, which does not exist; maven (localhost) is intercepted: its certificate from '{ISSUER}' is not in the default store, and devenv's CA configuration ([tls] ca_certificates) covers it")


def test_net_tls_skips() -> None:
    f = run("net.tls", make_ctx(user_config={"sources": {"maven": "http://plain.test/m2"}}))
    assert state_msg(f) == ("skip", "no https artifact source to check")
    port = closed_port()
    sources(f"https://localhost:{port}/maven2", None)
    f = run("net.tls", make_ctx())
    assert state_msg(f) == ("skip", f"maven: could not connect to localhost:{port} (ConnectionRefusedError: [Errno 111] Connection refused; see net.sources)")


@pytest.mark.parametrize("host_env,engine_proxy,expected", [
    ({}, "", ("ok", "no proxy on the host or in the engine")),
    ({"HTTPS_PROXY": "http://p:3128"}, "http://p:3128", ("ok", "the host and the engine both use http://p:3128")),
    ({"HTTPS_PROXY": "http://p:3128"}, "", ("warn", "the host uses proxy http://p:3128 but the engine has none: pulls and downloads during builds go direct, and fail where only the proxy reaches out")),
    ({}, "http://p:3128", ("warn", "the engine uses proxy http://p:3128 but the host has none: devenv's downloads on the host go direct")),
    ({"https_proxy": "http://a:1"}, "http://b:2", ("warn", "the host uses proxy http://a:1 but the engine uses http://b:2")),
])
def test_net_proxy_all_states(host_env: dict, engine_proxy: str, expected: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    for k, v in host_env.items():
        monkeypatch.setenv(k, v)
    f = run("net.proxy", make_ctx(**engine(https_proxy=engine_proxy)))
    assert state_msg(f) == expected


# --- parity: host tools are scripts on PATH --------------------------------------------------

def java(version_line: str) -> None:
    tool(BIN, "java", f"echo '{version_line}' >&2\necho 'OpenJDK Runtime Environment' >&2")


def python3(version: str | None = None, pyspark: str | None = None, rc: int = 0) -> None:
    tool(BIN, "python3", f'if [ "$1" = --version ]; then echo "Python {version}"; else echo "{pyspark}"; exit {rc}; fi')


def test_parity_java_all_states() -> None:
    java('openjdk version "17.0.15" 2025-04-15')
    assert state_msg(run("parity.java", make_ctx())) == ("ok", "host Java 17 matches the cluster's Java 17")
    java('openjdk version "21.0.2" 2024-01-16')
    f = run("parity.java", make_ctx())
    assert state_msg(f) == ("warn", "host Java 21, cluster Java 17: classes compiled here target Java 21 by default and fail in the cluster with UnsupportedClassVersionError")
    java('java version "1.8.0_392"')
    f = run("parity.java", make_ctx())
    assert state_msg(f) == ("warn", "host Java 8, cluster Java 17: jars built for the cluster do not load here, and local Spark 4.1.1 needs the cluster's Java")
    tool(BIN, "java", "echo weird")
    assert state_msg(run("parity.java", make_ctx())) == ("warn", "could not read the Java version from 'weird'")
    (BIN / "java").unlink()
    assert state_msg(run("parity.java", make_ctx())) == ("skip", "java is not installed on this machine (needed only to build jars or run Spark locally)")


def test_parity_python_all_states() -> None:
    linux = dict(system=lambda: "Linux")
    python3("3.11.9")
    assert state_msg(run("parity.python", make_ctx(**linux))) == ("ok", "host Python 3.11.9 matches the cluster's workers (3.11)")
    python3("3.12.3")
    assert state_msg(run("parity.python", make_ctx(**linux))) == (
        "warn", "host Python 3.12, cluster Python 3.11: a PySpark driver here with workers in the cluster fails with 'Python in worker has different version'")
    python3("3.9.18")
    assert state_msg(run("parity.python", make_ctx(**linux))) == ("fail", "Spark 4.1 needs Python 3.10 or later; the host has 3.9.18")
    python3("???")
    assert state_msg(run("parity.python", make_ctx(**linux))) == ("warn", "could not read the Python version from 'Python ???'")
    (BIN / "python3").unlink()
    assert state_msg(run("parity.python", make_ctx(**linux))) == ("skip", "python3 is not installed on this machine")


def test_parity_pyspark_all_states() -> None:
    linux = dict(system=lambda: "Linux")
    python3(pyspark="4.1.1")
    assert state_msg(run("parity.pyspark", make_ctx(**linux))) == ("ok", "pyspark 4.1.1 matches Spark 4.1.1")
    python3(pyspark="3.5.1")
    f = run("parity.pyspark", make_ctx(**linux))
    assert state_msg(f) == ("fail", "pyspark 3.5.1 on the host against Spark 4.1.1 in the cluster: the py4j gateway protocol and Spark Connect differ between lines, so sessions fail to connect, and pickled UDFs and Arrow batches fail to load")
    assert f.fix == "pip install 'pyspark==4.1.1'"
    python3(pyspark="4.1.0")
    assert state_msg(run("parity.pyspark", make_ctx(**linux))) == (
        "warn", "pyspark 4.1.0 against Spark 4.1.1: the same line works, but bugs fixed in 4.1.1 may show here")
    python3(pyspark="PackageNotFoundError: pyspark", rc=1)
    assert state_msg(run("parity.pyspark", make_ctx(**linux))) == ("skip", "pyspark is not installed for python3")
    (BIN / "python3").unlink()
    assert state_msg(run("parity.pyspark", make_ctx(**linux))) == ("skip", "python3 is not installed on this machine")


def test_parity_scala_all_states() -> None:
    sc = lambda out: tool(BIN, "scala", f"echo '{out}' >&2")  # noqa: E731
    sc("Scala code runner version 2.13.12 -- Copyright")
    assert state_msg(run("parity.scala", make_ctx())) == ("ok", "host Scala 2.13 matches the Scala Spark 4.1.1 is built for")
    sc("Scala code runner version 2.12.18 -- Copyright")
    assert state_msg(run("parity.scala", make_ctx())) == (
        "warn", "host Scala 2.12, Spark 4.1.1 is built for Scala 2.13: jars compiled here fail in the cluster with NoSuchMethodError and similar binary incompatibilities")
    sc("nonsense")
    assert state_msg(run("parity.scala", make_ctx())) == ("warn", "could not read the Scala version from 'nonsense'")
    (BIN / "scala").unlink()
    assert state_msg(run("parity.scala", make_ctx())) == ("skip", "scala is not installed on this machine")


def test_parity_hadoop_and_hive_cli_all_states() -> None:
    had = lambda v: tool(BIN, "hadoop", f"printf 'Hadoop {v}\\nSource code repository\\n'")  # noqa: E731
    had("3.4.2")
    assert state_msg(run("parity.hadoop-cli", make_ctx())) == ("ok", "host hadoop 3.4.2 matches the cluster's Hadoop 3.4.2")
    had("3.4.1")
    assert state_msg(run("parity.hadoop-cli", make_ctx())) == ("ok", "host hadoop 3.4.1 is on the cluster's Hadoop 3.4 line (pin 3.4.2)")
    had("3.3.6")
    assert state_msg(run("parity.hadoop-cli", make_ctx())) == (
        "warn", "host hadoop 3.3.6, cluster Hadoop 3.4.2: basic `hdfs dfs` works over RPC, but client defaults and newer commands differ, and jobs submitted from here carry the host's Hadoop jars")
    tool(BIN, "hadoop", "echo '?'")
    assert state_msg(run("parity.hadoop-cli", make_ctx())) == ("warn", "`hadoop version` did not report a version")
    (BIN / "hadoop").unlink()
    assert state_msg(run("parity.hadoop-cli", make_ctx())) == ("skip", "hadoop is not installed on this machine")
    hive = lambda v: tool(BIN, "hive", f"printf 'Hive {v}\\nGit ...\\n'")  # noqa: E731
    hive("4.0.1")
    assert state_msg(run("parity.hive-cli", make_ctx())) == ("ok", "host hive 4.0.1 matches the cluster's Hive 4.0.1")
    hive("3.1.3")
    assert state_msg(run("parity.hive-cli", make_ctx())) == (
        "warn", "host hive 3.1.3, cluster Hive 4.0.1: its metastore client expects another schema version, and JDBC protocol features differ")
    (BIN / "hive").unlink()
    assert state_msg(run("parity.hive-cli", make_ctx())) == ("skip", "hive is not installed on this machine")


# --- a running cluster: containers from the engine, daemons' HTTP answers from local servers ------------

def box(service: str, cluster: str = "default", running: bool = True, image_id: str = "sha256:new", profile: str = "default") -> ContainerState:
    image = {"namenode": "hadoop", "datanode-1": "hadoop", "resourcemanager": "hadoop", "nodemanager-1": "hadoop",
             "historyserver": "hadoop", "metastore": "hive", "spark-history": "spark"}.get(service, "hadoop")
    labels = {"devenv.managed": "true", "devenv.cluster": cluster, "devenv.service": service, "devenv.profile": profile}
    return ContainerState(f"{cluster}-{service}", f"devenv/{image}:abc", image_id, labels, running, ())


SERVICES = ("namenode", "datanode-1", "resourcemanager", "nodemanager-1", "historyserver", "metastore", "spark-history")
CLUSTER = [box(s) for s in SERVICES]


def owned(c: ContainerInfo, labels: dict[str, str]) -> ContainerInfo:
    """`c` with more labels (an owner id)."""
    return dataclasses.replace(c, labels={**c.labels, **labels})




def cluster_ctx(containers: list[ContainerState] = CLUSTER, profile: str | Path = "default", **kw: Any) -> Context:
    return make_ctx(profile, containers=containers, **engine(), **kw)


class Daemons:
    """The cluster's web endpoints as local servers on the ports of a profile whose ports are free here."""

    def __init__(self, tmp_path: Path) -> None:
        from devenv import profile as prof
        from devenv import services

        self.profile, _ = free_profile(tmp_path)
        plan = services.ports(prof.load_profile(self.profile))
        self.port = {svc: plan.find(svc, "http").host for svc in ("namenode", "resourcemanager", "historyserver")}
        self.cluster = [box(s, profile="free") for s in SERVICES]

    def ctx(self, containers: list[ContainerState] | None = None) -> Context:
        return cluster_ctx(self.cluster if containers is None else containers, self.profile)

    def serve(self, **answers: dict[str, Any]):
        """answers: service -> {path: JSON}."""
        return json_servers({self.port[svc]: paths_ for svc, paths_ in answers.items()})


@pytest.fixture
def daemons(tmp_path: Path) -> Daemons:
    return Daemons(tmp_path)


def test_cluster_checks_skip_without_a_running_cluster() -> None:
    for cid in ("cluster.images", "cluster.versions", "cluster.config", "cluster.hdfs", "cluster.yarn"):
        assert state_msg(run(cid, cluster_ctx([box("namenode", running=False)]))) == ("skip", "no cluster is running (devenv up starts one)")
    assert state_msg(run("cluster.images", cluster_ctx([box("namenode", cluster="other", profile="legacy")]))) == (
        "skip", "no cluster of profile 'default' is running (running: other); devenv up starts one")


def test_cluster_found_by_its_profile_label() -> None:
    mine = [box("namenode", cluster="team")]
    f = run("cluster.images", cluster_ctx(mine, images=[LocalImage("sha256:new", ("devenv/hadoop:abc",), "amd64", {})]))
    assert state_msg(f) == ("ok", "cluster 'team': all 1 containers run the current builds of their images")


def test_cluster_images_ok_and_drift() -> None:
    built = [LocalImage("sha256:new", (f"devenv/{c}:abc",), "amd64", {}) for c in ("hadoop", "hive", "spark")]
    f = run("cluster.images", cluster_ctx(images=built))
    assert state_msg(f) == ("ok", "cluster 'default': all 7 containers run the current builds of their images")
    stale = [box("namenode", image_id="sha256:old"), box("metastore")]
    f = run("cluster.images", cluster_ctx(stale, images=built[:1]))
    assert state_msg(f) == ("warn", "cluster 'default': metastore runs devenv/hive:abc, which is no longer here; namenode runs an older build of devenv/hadoop:abc (rebuilt since it started)")
    assert f.fix == "devenv up recreates the containers from the current images"


REPORTS = {"hadoop": "Hadoop 3.4.2\nSource code repository", "hive": "Hive 4.0.1\nGit", "spark-submit": "Welcome to\n   version 4.1.1\nUsing Scala"}


def _report(reports: dict[str, str]):
    """Engine exec: `bash -c "spark-submit --version 2>&1"` answers like spark-submit itself."""
    return lambda name, argv, **kw: reports[argv[2].split()[0] if argv[0] == "bash" else argv[0]]


def test_cluster_versions_ok_fail_skip() -> None:
    f = run("cluster.versions", cluster_ctx(exec_in=_report(REPORTS)))
    assert state_msg(f) == ("ok", "cluster 'default': hadoop 3.4.2, hive 4.0.1, spark 4.1.1 as pinned")
    wrong = dict(REPORTS, hive="Hive 3.1.3\n")
    f = run("cluster.versions", cluster_ctx(exec_in=_report(wrong)))
    assert state_msg(f) == ("fail", "cluster 'default': metastore reports Hive 3.1.3, the profile pins 4.0.1")
    f = run("cluster.versions", cluster_ctx([box("datanode-1")]))
    assert state_msg(f) == ("skip", "cluster 'default' runs none of namenode, metastore, spark-history")


def _conf(props: dict[str, Any]) -> dict[str, Any]:
    return {"properties": [{"key": k, "value": v, "isFinal": False, "resource": "x"} for k, v in props.items()]}


GOOD_CONF = {"yarn.scheduler.minimum-allocation-mb": "256", "yarn.scheduler.maximum-allocation-mb": "2048",
             "mapreduce.map.memory.mb": "512", "mapreduce.reduce.memory.mb": "512", "yarn.app.mapreduce.am.resource.mb": "512"}
CONF = "/conf?format=json"


def test_cluster_config_ok_fail_skip(daemons: Daemons) -> None:
    with daemons.serve(resourcemanager={CONF: _conf(GOOD_CONF)}, historyserver={CONF: _conf(GOOD_CONF)}) as asked:
        f = run("cluster.config", daemons.ctx())
    assert state_msg(f) == ("ok", "cluster 'default': all 5 overrides are in effect (spark-defaults: no /conf endpoint to read)")
    assert asked == [f"http://127.0.0.1:{daemons.port['resourcemanager']}{CONF}", f"http://127.0.0.1:{daemons.port['historyserver']}{CONF}"]
    bad = _conf(dict(GOOD_CONF, **{"yarn.scheduler.minimum-allocation-mb": "1024"}))
    with daemons.serve(resourcemanager={CONF: bad}, historyserver={CONF: bad}):
        f = run("cluster.config", daemons.ctx())
    assert state_msg(f) == ("fail", "cluster 'default': resourcemanager: yarn.scheduler.minimum-allocation-mb is 1024, [config.yarn-site] sets 256 (spark-defaults: no /conf endpoint to read)")
    f = run("cluster.config", daemons.ctx([box("namenode", profile="free")]))
    assert state_msg(f) == ("skip", "the profile overrides nothing a running daemon's /conf shows (yarn-site, mapred-site, spark-defaults: no /conf endpoint to read)")


def _nn(live: int, safemode: str = "") -> dict[str, Any]:
    import json

    return {"beans": [{"Safemode": safemode, "LiveNodes": json.dumps({f"dn{i}": {} for i in range(live)})}]}


def test_cluster_hdfs_all_states(daemons: Daemons) -> None:
    from devenv.doctor.checks.cluster import NAMENODE_INFO

    def hdfs(answer: dict[str, Any]) -> Finding:
        with daemons.serve(namenode={NAMENODE_INFO: answer}):
            return run("cluster.hdfs", daemons.ctx())

    assert state_msg(hdfs(_nn(1))) == ("ok", "HDFS is out of safe mode with 1 of 1 datanodes live")
    f = hdfs(_nn(1, "Safe mode is ON. The reported blocks 0 needs additional 12 blocks."))
    assert state_msg(f) == ("fail", "HDFS is in safe mode: Safe mode is ON. The reported blocks 0 needs additional 12 blocks.")
    assert state_msg(hdfs(_nn(0))) == ("fail", "0 of 1 datanodes are live")
    assert state_msg(hdfs({"beans": []})) == ("fail", "the namenode's JMX endpoint has no NameNodeInfo yet")
    assert state_msg(run("cluster.hdfs", cluster_ctx([box("datanode-1")]))) == ("fail", "cluster 'default' has no running namenode")


def test_cluster_yarn_all_states(daemons: Daemons) -> None:
    def yarn(active: int, lost: int = 0) -> Finding:
        metrics = {"clusterMetrics": {"activeNodes": active, "unhealthyNodes": 0, "lostNodes": lost}}
        with daemons.serve(resourcemanager={"/ws/v1/cluster/metrics": metrics}):
            return run("cluster.yarn", daemons.ctx())

    assert state_msg(yarn(1)) == ("ok", "1 of 1 NodeManagers are active")
    assert state_msg(yarn(0, 1)) == ("fail", "0 of 1 NodeManagers are active (1 unhealthy or lost)")
    assert state_msg(run("cluster.yarn", cluster_ctx([box("namenode")]))) == ("fail", "cluster 'default' has no running resourcemanager")


def test_cluster_leftovers_ok_and_warn_with_a_safe_fix() -> None:
    live = ResourceInfo("network", "default-net", {"devenv.cluster": "default"})
    kept = paths().state / "clusters" / "kept"  # devenv keeps state for a cluster `devenv down` stopped
    kept.mkdir(parents=True)
    (kept / "compose.json").write_text("{}")
    stopped = box("namenode", cluster="kept", running=False)
    ctx = cluster_ctx([*CLUSTER, stopped], networks=[live], volumes=[])
    assert state_msg(run("cluster.leftovers", ctx)) == ("ok", "nothing left of removed clusters")
    mine = {"devenv.owner": owner.home_id()}  # this home made them
    gone = owned(box("namenode", cluster="old", running=False), mine)
    old_net = ResourceInfo("network", "old-net", {"devenv.cluster": "old", **mine})
    old_vol = ResourceInfo("volume", "old-namenode", {"devenv.cluster": "old", **mine})
    removed: list[dict[str, Any]] = []
    ctx = cluster_ctx([*CLUSTER, gone], networks=[live, old_net], volumes=[old_vol], remove=lambda **kw: removed.append(kw))
    f = run("cluster.leftovers", ctx)
    assert state_msg(f) == ("warn", "3 leftovers of clusters that no longer exist: container old-namenode (cluster 'old'), network old-net (cluster 'old'), volume old-namenode (cluster 'old')")
    assert f.safe_fix is not None and f.safe_fix.description == "remove container old-namenode (cluster 'old'), network old-net (cluster 'old'), volume old-namenode (cluster 'old')"
    f.safe_fix.apply()
    assert removed == [{"containers_": ["old-namenode"], "volumes_": ["old-namenode"], "networks_": ["old-net"]}]


def test_cluster_leftovers_leave_other_homes_and_unknown_owners_alone() -> None:
    """Another home's clusters have no state here either: their resources, and an older devenv's unlabelled ones, are not ours."""
    theirs = {"devenv.owner": "0123456789abcdef"}
    their_box = owned(box("namenode", cluster="theirs", running=False), theirs)
    their_vol = ResourceInfo("volume", "devenv-theirs-namenode-data", {"devenv.cluster": "theirs", **theirs})
    legacy_net = ResourceInfo("network", "devenv-legacy", {"devenv.cluster": "legacy"})  # no owner label
    mine = ResourceInfo("volume", "devenv-gone-namenode-data", {"devenv.cluster": "gone", "devenv.owner": owner.home_id()})
    removed: list[dict[str, Any]] = []
    ctx = cluster_ctx([*CLUSTER, their_box], networks=[legacy_net], volumes=[their_vol, mine], remove=lambda **kw: removed.append(kw))
    f = run("cluster.leftovers", ctx)
    assert state_msg(f) == ("warn", "1 leftover of clusters that no longer exist: volume devenv-gone-namenode-data (cluster 'gone')"
                                    " (3 of other devenv homes or an older devenv left alone: `devenv prune --all-owners` lists them)")
    assert f.safe_fix is not None
    f.safe_fix.apply()
    assert removed == [{"containers_": [], "volumes_": ["devenv-gone-namenode-data"], "networks_": []}]
    ctx = cluster_ctx([*CLUSTER, their_box], networks=[legacy_net], volumes=[their_vol])
    assert state_msg(run("cluster.leftovers", ctx)) == (
        "ok", "nothing left of removed clusters (3 of other devenv homes or an older devenv left alone: `devenv prune --all-owners` lists them)")


def _labelled(versions: dict[str, str]) -> list[ContainerState]:
    """The cluster's containers with the version labels their images' builds recorded."""
    out = []
    for c in CLUSTER:
        image = c.image_ref.split("/")[1].split(":")[0]
        upto = {"hadoop": ["hadoop"], "hive": ["hadoop", "hive"], "spark": ["hadoop", "hive", "spark"]}[image]
        out.append(dataclasses.replace(c, labels={**c.labels, **{f"devenv.version.{k}": versions[k] for k in upto}}))
    return out


def test_cluster_versions_reads_the_labels_without_starting_a_jvm() -> None:
    pinned = {"hadoop": "3.4.2", "hive": "4.0.1", "spark": "4.1.1"}
    no_exec = lambda *a, **k: pytest.fail("a labelled image's version is not asked of the service")  # noqa: E731
    f = run("cluster.versions", cluster_ctx(_labelled(pinned), exec_in=no_exec))
    assert state_msg(f) == ("ok", "cluster 'default': hadoop 3.4.2, hive 4.0.1, spark 4.1.1 as pinned")


def test_cluster_versions_sees_a_label_that_differs_from_the_pin() -> None:
    drifted = {"hadoop": "3.4.2", "hive": "4.0.0", "spark": "4.1.1"}
    f = run("cluster.versions", cluster_ctx(_labelled(drifted), exec_in=lambda *a, **k: pytest.fail("labelled")))
    assert state_msg(f) == ("fail", "cluster 'default': metastore's image recorded Hive 4.0.0 at build, the profile pins 4.0.1")
    assert f.found == "hadoop 3.4.2, hive 4.0.0, spark 4.1.1" and f.fix == "the images were built from another profile: devenv build, then devenv up"


def test_cache_runnable_offline_names_missing_images_and_files_then_ok() -> None:
    """What `devenv bundle import` must leave behind: every planned image tag, every locked file, the generator wheel."""
    from devenv import artifacts, images, lock, profile
    from devenv.seed import tpch

    lk = lock.read(profile.builtin_dir() / "default.lock")
    tags = [p.tag for p in images.plan(profile.resolve("default"), lk, images.CLUSTER_IMAGES, "")]
    wheel = tpch.wheel_for("x86_64")
    f = run("cache.runnable-offline", make_ctx(**engine(), images=[]))
    n = len(lk.unique())
    assert state_msg(f) == ("warn", f"profile 'default' cannot run offline here: {len(tags) + n + 1} missing "
                                    f"(image {tags[0]}, image {tags[1]}, image {tags[2]} and {len(tags) + n - 2} more)")
    assert f.found == f"0 of {len(tags)} images, 0 of {n + 1} files"
    for a in [*lk.unique(), wheel]:  # sizes are what the check reads (it never hashes): sparse files will do
        p = artifacts.cached_path(a)
        p.parent.mkdir(parents=True, exist_ok=True)
        with p.open("wb") as fh:
            fh.truncate(a.size)
    present = [LocalImage(f"sha256:{i}", (t,), "amd64", {}) for i, t in enumerate(tags)]
    f = run("cache.runnable-offline", make_ctx(**engine(), images=present))
    assert state_msg(f) == ("ok", f"profile 'default' can run with no network: its {len(tags)} images are here, its {n} locked "
                                  "artifacts and the TPC-H generator are cached")
    artifacts.cached_path(wheel).unlink()
    f = run("cache.runnable-offline", make_ctx(**engine(), images=present[1:]))
    assert state_msg(f) == ("warn", f"profile 'default' cannot run offline here: 2 missing (image {tags[0]}, {wheel.coords})")
    assert f.fix.startswith("devenv bundle import FILE")
