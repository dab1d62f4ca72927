"""Every doctor check in every state it can report, over faked probes; whole messages asserted."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from devenv import doctor, owner
from devenv.docker import ContainerInfo, EngineInfo, ImageInfo, ResourceInfo
from devenv.doctor import Context, Finding
from devenv.doctor.probes import Completed, Probes, TlsAnswer
from devenv.errors import DevenvError
from devenv.paths import paths

GB = 1024**3
ENGINE = EngineInfo("26.1.5", 8 * GB, 4, "linux", "x86_64", "/var/lib/docker", "default")
DETAILS = dataclasses.replace(ENGINE, kernel_version="6.1.0", operating_system="Debian GNU/Linux 12 (bookworm)")


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


def fake_probes(**kw: Any) -> Probes:
    """Probes whose every member fails the test when called, except those given."""

    def unexpected(name: str):
        def call(*a: Any, **k: Any) -> Any:
            raise AssertionError(f"unexpected probe {name}{a}")

        return call

    fields = {f.name: unexpected(f.name) for f in dataclasses.fields(Probes)}
    fields.update(kw)
    return Probes(**fields)


def down(*a: Any) -> Any:
    raise DOWN


def make_ctx(profile: str | Path = "default", user_config: dict | None = None, **kw: Any) -> Context:
    from devenv import profile as prof

    p = prof.load_profile(prof.select(str(profile))[0], user_config=user_config or {})
    return Context(fake_probes(**kw), paths(), profile=p, user_config=user_config or {})


def run(check_id: str, ctx: Context) -> Finding:
    doctor.all_checks()
    return doctor.core._run_one(doctor.REGISTRY[check_id], ctx)


def engine(**kw: Any) -> dict[str, Any]:
    return {"engine_info": lambda: dataclasses.replace(ENGINE, **kw), "engine_details": lambda: DETAILS}


def state_msg(f: Finding) -> tuple[str, str]:
    return f.state, f.message


# --- profile and engine ---------------------------------------------------------

def test_profile_valid_ok() -> None:
    f = run("profile.valid", make_ctx())
    assert f.state == "ok"
    assert f.message.startswith("profile 'default' is valid (") and f.message.endswith("default.toml)")


def test_profile_valid_fail() -> None:
    err = DevenvError("profile x.toml is invalid (1 problem)", hint="fix the lines above", details=["x.toml:1:1: name: bad"])
    ctx = Context(fake_probes(), paths(), profile_error=err)
    f = run("profile.valid", ctx)
    assert (f.state, f.message, f.found, f.fix) == ("fail", "profile x.toml is invalid (1 problem)", "x.toml:1:1: name: bad",
                                                   "fix the lines above; `devenv profile validate` lists every problem")
    assert state_msg(run("engine.resources", Context(fake_probes(**engine()), paths(), profile_error=err))) == (
        "skip", "the profile could not be read (see profile.valid)")


def test_engine_reachable_ok_and_fail() -> None:
    f = run("engine.reachable", make_ctx(env=lambda: {}, **engine()))
    assert state_msg(f) == ("ok", "Docker 26.1.5 answers through context 'default' (DOCKER_HOST unset)")
    f = run("engine.reachable", make_ctx(env=lambda: {"DOCKER_HOST": "tcp://h:2375"}, engine_info=down))
    assert (f.state, f.message, f.found, f.fix) == (
        "fail", "asking the Docker engine for its info: the Docker engine is not reachable", "no answer (DOCKER_HOST=tcp://h:2375)", "start Docker")


def test_engine_versions_ok() -> None:
    f = run("engine.versions", make_ctx(compose_version=lambda: "Docker Compose version v2.26.1", buildx_version=lambda: "github.com/docker/buildx v0.13.1 abc", **engine()))
    assert state_msg(f) == ("ok", "Engine 26.1.5, Compose 2.26.1, buildx 0.13.1")
    assert f.required == "Engine >= 20.10, Compose >= 2.17, buildx >= 0.10"


def test_engine_versions_fail_old_and_missing() -> None:
    f = run("engine.versions", make_ctx(compose_version=lambda: None, buildx_version=lambda: "buildx v0.9.1", **engine(server_version="19.03.12")))
    assert state_msg(f) == ("fail", "Engine 19.03.12 is older than 20.10; Compose is missing; buildx 0.9.1 is older than 0.10")
    assert f.fix == ("update Docker Engine (Docker Desktop: install the current release); "
                     "install the Compose v2 plugin (package docker-compose-plugin; Docker Desktop has it); "
                     "install the buildx plugin (package docker-buildx-plugin; Docker Desktop has it)")


def test_engine_checks_skip_when_engine_is_down() -> None:
    ctx = make_ctx(engine_info=down, env=lambda: {}, system=lambda: "Linux")
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
    base = dict(env=lambda: {}, system=lambda: "Linux", **engine())
    f = run("host.disk", make_ctx(disk_free=_disk(50, 20), **base))
    assert state_msg(f) == ("ok", f"Docker's data root (/var/lib/docker) has 50.0 GB free; devenv's cache ({cache}) has 20.0 GB free")
    f = run("host.disk", make_ctx(disk_free=_disk(9, 20), **base))
    assert state_msg(f) == ("warn", "Docker's data root (/var/lib/docker) has 9.0 GB free; images and data grow to about 15 GB")
    f = run("host.disk", make_ctx(disk_free=_disk(3, 1), **base))
    assert state_msg(f) == ("fail", f"Docker's data root (/var/lib/docker) has 3.0 GB free; devenv needs 15 GB; devenv's cache ({cache}) has 1.0 GB free; devenv needs 5 GB")
    assert f.fix == "free space there, or `docker system prune` unused images and build cache; free space there, or move the cache (DEVENV_HOME)"


def test_host_disk_does_not_measure_a_remote_data_root() -> None:
    cache = paths().cache
    f = run("host.disk", make_ctx(disk_free=_disk(1, 20), env=lambda: {"DOCKER_HOST": "ssh://builder"}, system=lambda: "Linux", **engine()))
    assert state_msg(f) == ("ok", f"Docker's data root /var/lib/docker is inside the engine's VM or remote host: not measured here; devenv's cache ({cache}) has 20.0 GB free")


def test_host_arch_ok_and_warns() -> None:
    base = LocalImage("sha256:1", ("debian:bookworm-slim",), "amd64", {})
    ours = LocalImage("sha256:2", ("devenv/hadoop:abc",), "arm64", {"devenv.managed": "true", "devenv.image": "hadoop"})
    other = LocalImage("sha256:3", ("someone/else:1",), "arm64", {})
    f = run("host.arch", make_ctx(machine=lambda: "x86_64", local_images=lambda: [base, other], **engine()))
    assert state_msg(f) == ("ok", "amd64 host, amd64 engine; 1 local image checked, none emulated")
    f = run("host.arch", make_ctx(machine=lambda: "x86_64", local_images=lambda: [base, ours], **engine()))
    assert state_msg(f) == ("warn", "devenv/hadoop:abc is arm64 on a amd64 engine: it runs under emulation (QEMU), several times slower, and JVMs crash under it")
    f = run("host.arch", make_ctx(machine=lambda: "arm64", local_images=lambda: [], **engine()))
    assert state_msg(f) == ("warn", "the engine runs amd64 on this arm64 machine: every container is emulated")


def test_ports_free_ok() -> None:
    f = run("ports.free", make_ctx(bind_port=lambda h, p: None))
    assert state_msg(f) == ("ok", "all 13 ports are free on 127.0.0.1 (8020, 9870, 9864, 9866, 8032, 8088, 8042, 10020, 19888, 18080, 9083, 10000, 10002)")


def test_ports_free_fail_names_the_owner_or_says_it_cannot() -> None:
    busy = {9870: "Address already in use", 8088: "Address already in use"}
    owners = {9870: "java (pid 4242)"}
    f = run("ports.free", make_ctx(bind_port=lambda h, p: busy.get(p), port_owner=owners.get, managed_containers=lambda: [], **engine()))
    assert state_msg(f) == ("fail", "9870 (namenode http) is in use by java (pid 4242); 8088 (resourcemanager http) is in use (the OS does not say by whom: Address already in use)")
    assert f.fix == "stop the program holding the port, or set [network] port_base in the profile to move every port (e.g. port_base = 20000)"


def test_ports_free_warn_when_a_devenv_cluster_publishes_it() -> None:
    c = ContainerState("old-namenode", "devenv/hadoop:1", "sha256:1", {"devenv.cluster": "old"}, True, (9870,))
    f = run("ports.free", make_ctx(bind_port=lambda h, p: "in use" if p == 9870 else None, managed_containers=lambda: [c], **engine()))
    assert state_msg(f) == ("warn", "9870 (namenode http) is published by devenv cluster 'old' (container old-namenode)")


def _container_ctx(run_container, targets_env: dict | None = None, **kw: Any) -> Context:
    return make_ctx(
        local_images=lambda: [LocalImage("sha256:1", ("debian:bookworm-slim",), "amd64", {})],
        env=lambda: targets_env or {}, run_container=run_container,
        maven_default_repository=lambda: ("https://maven.test/repo", "Maven's super POM"), pip_index=lambda: ("https://pypi.test/simple", "pip"),
        **engine(), **kw)


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
    f = run("engine.test-container", make_ctx(local_images=lambda: [LocalImage("sha256:3", ("someone/else:1",), "amd64", {})], **engine()))
    assert state_msg(f) == ("skip", "no image to test with is here yet, and doctor never pulls (devenv build fetches the base image)")


def test_test_container_tests_the_proxy_when_there_is_one() -> None:
    seen = {}

    def fake_run(image, command, volumes):
        Path(volumes[0][0], "written").write_text("ok")
        seen["script"] = command[2]
        return "mounted\nreach proxy yes\n"

    f = run("engine.test-container", _container_ctx(fake_run, {"HTTPS_PROXY": "http://proxy.test:3128"}))
    assert state_msg(f) == ("ok", "a container from debian:bookworm-slim started and wrote to a mounted directory, and reached proxy")
    assert "/dev/tcp/proxy.test/3128" in seen["script"]


# --- Windows ------------------------------------------------------------------------

def test_windows_wsl2_all_states() -> None:
    assert state_msg(run("windows.wsl2", make_ctx(system=lambda: "Linux"))) == ("skip", "not Windows")
    wsl = {"engine_info": lambda: ENGINE, "engine_details": lambda: dataclasses.replace(DETAILS, kernel_version="5.15.153.1-microsoft-standard-WSL2")}
    assert state_msg(run("windows.wsl2", make_ctx(system=lambda: "Windows", **wsl))) == ("ok", "Docker Desktop runs on WSL 2 (kernel 5.15.153.1-microsoft-standard-WSL2)")
    hyperv = {"engine_info": lambda: ENGINE, "engine_details": lambda: dataclasses.replace(DETAILS, kernel_version="5.10.16-linuxkit")}
    assert state_msg(run("windows.wsl2", make_ctx(system=lambda: "Windows", **hyperv))) == (
        "fail", "Docker Desktop does not run on WSL 2 (kernel 5.10.16-linuxkit): Hyper-V file sharing is slow and loses file events")
    wincont = {"engine_info": lambda: dataclasses.replace(ENGINE, os_type="windows"), "engine_details": lambda: DETAILS}
    assert state_msg(run("windows.wsl2", make_ctx(system=lambda: "Windows", **wincont))) == (
        "fail", "the engine runs Windows containers; the cluster's images are Linux images")


def test_windows_autocrlf_all_states() -> None:
    f = run("windows.autocrlf", make_ctx(crlf_scripts=lambda root: ["hadoop/entrypoint.sh"], system=lambda: "Linux"))
    assert state_msg(f) == ("fail", "1 image script have Windows line endings (CRLF): hadoop/entrypoint.sh; in a Linux container their #! line fails ('bad interpreter')")
    assert f.fix == "run `git config --global core.autocrlf input`, then clone devenv again"
    assert state_msg(run("windows.autocrlf", make_ctx(crlf_scripts=lambda root: [], system=lambda: "Linux"))) == (
        "skip", "not Windows; the image scripts have LF line endings")
    git_true = lambda argv: Completed(0, "true\n")  # noqa: E731
    assert state_msg(run("windows.autocrlf", make_ctx(crlf_scripts=lambda root: [], system=lambda: "Windows", command=git_true))) == (
        "warn", "git core.autocrlf is true: files you check out or add later get CRLF line endings and break in containers")
    git_unset = lambda argv: Completed(1, "")  # noqa: E731
    assert state_msg(run("windows.autocrlf", make_ctx(crlf_scripts=lambda root: [], system=lambda: "Windows", command=git_unset))) == (
        "ok", "the image scripts have LF line endings (core.autocrlf=unset)")


def test_crlf_scripts_finds_windows_line_endings(tmp_path: Path) -> None:
    from devenv.doctor.probes import crlf_scripts

    (tmp_path / "hadoop" / "bin").mkdir(parents=True)
    (tmp_path / "hadoop" / "entrypoint.sh").write_bytes(b"#!/bin/sh\r\necho hi\r\n")
    (tmp_path / "hadoop" / "bin" / "tool").write_bytes(b"#!/bin/sh\necho hi\n")
    (tmp_path / "hadoop" / "Dockerfile").write_bytes(b"FROM x\r\n")
    assert crlf_scripts(tmp_path) == [str(Path("hadoop/entrypoint.sh"))]


# --- cache ----------------------------------------------------------------------------

def test_cache_offline_creates_missing_directories_as_a_safe_fix() -> None:
    from devenv import artifacts

    ctx = make_ctx(is_dir=lambda p: False, is_file=lambda p: True, mkdir=lambda p: Path(p).mkdir(parents=True))
    f = run("cache.offline", ctx)
    dirs = f"{artifacts.maven_dir()}, {artifacts.pypi_dir()}"
    assert state_msg(f) == ("warn", f"devenv's cache directories do not exist yet: {dirs}")
    assert f.fix == "devenv doctor --fix creates them; devenv fetch then fills them"
    assert f.safe_fix is not None and f.safe_fix.description == f"create the cache directories {dirs}"
    f.safe_fix.apply()
    assert artifacts.maven_dir().is_dir() and artifacts.pypi_dir().is_dir()


def test_cache_offline_skip_warn_ok(tmp_path: Path) -> None:
    prof = tmp_path / "mine.toml"
    prof.write_text('schema = 1\nname = "mine"\nextends = "default"\n')
    f = run("cache.offline", make_ctx(prof, is_dir=lambda p: True, is_file=lambda p: False))
    assert state_msg(f) == ("skip", f"profile 'mine' has no lock file ({tmp_path / 'mine.lock'}); `devenv lock` writes one, then `devenv fetch` fills the cache for --offline")
    gone = ["org.apache.hadoop:hadoop-common:jar:3.4.2", "a:b:jar:1", "c:d:jar:1", "e:f:jar:1"]
    f = run("cache.offline", make_ctx(is_dir=lambda p: True, is_file=lambda p: True, cache_missing=lambda lock: (10, gone)))
    assert state_msg(f) == ("warn", "4 of 10 locked artifacts are not in the cache (org.apache.hadoop:hadoop-common:jar:3.4.2, a:b:jar:1, c:d:jar:1 and 1 more): --offline would stop before building")
    f = run("cache.offline", make_ctx(is_dir=lambda p: True, is_file=lambda p: True, cache_missing=lambda lock: (10, [])))
    assert state_msg(f) == ("ok", "all 10 locked artifacts of profile 'default' are in the cache (sizes match; checksums are checked when used)")


# --- network ----------------------------------------------------------------------------

SRC = dict(maven_default_repository=lambda: ("https://maven.test/repo", "Maven's super POM"), pip_index=lambda: ("https://pypi.test/simple", "pip"))


def test_net_sources_ok_fail_skip() -> None:
    f = run("net.sources", make_ctx(env=lambda: {}, http_status=lambda url, proxies: 200, **SRC))
    assert state_msg(f) == ("ok", "reached maven https://maven.test/repo (Maven's super POM, HTTP 200); pypi https://pypi.test/simple (pip, HTTP 200)")

    def status(url, proxies):
        if "maven" in url:
            raise OSError("[Errno -2] Name or service not known")
        return 503

    f = run("net.sources", make_ctx(env=lambda: {}, http_status=status, **SRC))
    assert state_msg(f) == ("fail", "maven https://maven.test/repo (Maven's super POM) does not answer: [Errno -2] Name or service not known; pypi https://pypi.test/simple (pip) answers HTTP 503")
    assert f.fix == f"check the network and proxy ([proxy] in {paths().user_config}), set mirrors in [sources] there, or work from a filled cache with --offline"
    f = run("net.sources", make_ctx(maven_default_repository=lambda: None, pip_index=lambda: None))
    assert state_msg(f) == ("skip", "no artifact source is configured, and neither pip nor Maven is here to name its default")


def test_net_sources_prefer_the_user_config_and_use_its_proxy() -> None:
    seen = []
    user = {"sources": {"maven": "https://mirror.test/maven2", "pypi": "https://mirror.test/pypi/simple"}, "proxy": {"https": "http://proxy.test:3128"}}
    f = run("net.sources", make_ctx(user_config=user, env=lambda: {}, http_status=lambda url, proxies: seen.append(proxies) or 200))
    assert state_msg(f) == ("ok", "reached maven https://mirror.test/maven2 (user config, HTTP 200); pypi https://mirror.test/pypi/simple (user config, HTTP 200)")
    assert seen == [{"https": "http://proxy.test:3128"}] * 2


def _tls(answers: dict[tuple[str, ...], TlsAnswer]):
    return lambda host, port, cas, proxy: answers[tuple(cas)]


def test_net_tls_ok_with_the_default_store() -> None:
    f = run("net.tls", make_ctx(env=lambda: {}, is_file=lambda p: True, tls_handshake=_tls({(): TlsAnswer(True, "Public CA")}), **SRC))
    assert state_msg(f) == ("ok", "maven (maven.test) presents a certificate from 'Public CA', trusted by the default store; pypi (pypi.test) presents a certificate from 'Public CA', trusted by the default store")


def test_net_tls_ok_when_devenvs_ca_configuration_covers_interception() -> None:
    user = {"tls": {"ca_certificates": ["/etc/corp-root.pem"]}}
    answers = {(): TlsAnswer(False, "Corp Proxy CA", "unable to get local issuer certificate"), ("/etc/corp-root.pem",): TlsAnswer(True, "Corp Proxy CA")}
    f = run("net.tls", make_ctx(user_config=user, env=lambda: {}, is_file=lambda p: True, tls_handshake=_tls(answers), pip_index=lambda: None, maven_default_repository=SRC["maven_default_repository"]))
    assert state_msg(f) == ("ok", "maven (maven.test) is intercepted: its certificate from 'Corp Proxy CA' is not in the default store, and devenv's CA configuration ([tls] ca_certificates) covers it")


def test_net_tls_fails_when_only_the_environment_trusts_the_interceptor() -> None:
    # [tls] ca_certificates lists a CA, so devenv.sources ignores the environment's CA variables
    user = {"tls": {"ca_certificates": ["/etc/other-root.pem"]}}
    answers = {(): TlsAnswer(False, "Corp Proxy CA", "unable to get local issuer certificate"), ("/etc/ssl/corp.pem",): TlsAnswer(True, "Corp Proxy CA"),
               ("/etc/other-root.pem",): TlsAnswer(False, "Corp Proxy CA", "unable to get local issuer certificate")}
    f = run("net.tls", make_ctx(user_config=user, env=lambda: {"REQUESTS_CA_BUNDLE": "/etc/ssl/corp.pem"}, is_file=lambda p: True, tls_handshake=_tls(answers), pip_index=lambda: None, maven_default_repository=SRC["maven_default_repository"]))
    assert state_msg(f) == ("fail", "maven (maven.test) is intercepted: its certificate from 'Corp Proxy CA' is trusted through REQUESTS_CA_BUNDLE=/etc/ssl/corp.pem, but devenv's CA configuration does not cover it, so downloads in image builds fail")
    assert f.fix == f"add \"/etc/ssl/corp.pem\" to [tls] ca_certificates in {paths().user_config}"


def test_net_tls_ok_when_the_environment_ca_is_devenvs_configuration() -> None:
    # without [tls] ca_certificates, devenv.sources takes the environment's CA files into builds: doctor says so
    answers = {(): TlsAnswer(False, "Corp Proxy CA", "unable to get local issuer certificate"), ("/etc/ssl/corp.pem",): TlsAnswer(True, "Corp Proxy CA")}
    f = run("net.tls", make_ctx(env=lambda: {"REQUESTS_CA_BUNDLE": "/etc/ssl/corp.pem"}, is_file=lambda p: True, tls_handshake=_tls(answers), pip_index=lambda: None, maven_default_repository=SRC["maven_default_repository"]))
    assert state_msg(f) == ("ok", "maven (maven.test) is intercepted: its certificate from 'Corp Proxy CA' is not in the default store, and devenv's CA configuration (REQUESTS_CA_BUNDLE) covers it")


def test_net_proxy_says_where_the_hosts_proxy_came_from() -> None:
    details = dataclasses.replace(DETAILS, https_proxy="http://b:2")
    user = {"proxy": {"https": "http://a:1"}}
    f = run("net.proxy", make_ctx(user_config=user, env=lambda: {"HTTPS_PROXY": "http://env:3"}, engine_info=lambda: ENGINE, engine_details=lambda: details))
    assert (f.state, f.found) == ("warn", "host http://a:1 (from user config), engine http://b:2")
    f = run("net.proxy", make_ctx(env=lambda: {"HTTPS_PROXY": "http://env:3"}, engine_info=lambda: ENGINE, engine_details=lambda: details))
    assert f.found == "host http://env:3 (from HTTPS_PROXY), engine http://b:2"


def test_net_tls_fails_when_nothing_trusts_it_or_a_ca_file_is_missing() -> None:
    answers = {(): TlsAnswer(False, "Corp Proxy CA", "self-signed certificate in certificate chain")}
    f = run("net.tls", make_ctx(env=lambda: {}, is_file=lambda p: True, tls_handshake=_tls(answers), pip_index=lambda: None, maven_default_repository=SRC["maven_default_repository"]))
    assert state_msg(f) == ("fail", "maven (maven.test) presents a certificate from 'Corp Proxy CA' that nothing here trusts (self-signed certificate in certificate chain)")
    assert f.fix == f"get your organisation's root CA certificate (a PEM file) and add its path to [tls] ca_certificates in {paths().user_config}"
    user = {"tls": {"ca_certificates": ["/nope.pem"]}}
    f = run("net.tls", make_ctx(user_config=user, env=lambda: {}, is_file=lambda p: False, tls_handshake=_tls({(): TlsAnswer(True, "Public CA")}), pip_index=lambda: None, maven_default_repository=SRC["maven_default_repository"]))
    assert state_msg(f) == ("fail", "[tls] ca_certificates names /nope.pem, which does not exist; maven (maven.test) presents a certificate from 'Public CA', trusted by the default store")


def test_net_tls_skips() -> None:
    f = run("net.tls", make_ctx(user_config={"sources": {"maven": "http://plain.test/m2"}}, pip_index=lambda: None))
    assert state_msg(f) == ("skip", "no https artifact source to check")
    gone = {(): TlsAnswer(False, "", "TimeoutError: timed out", connected=False)}
    f = run("net.tls", make_ctx(env=lambda: {}, is_file=lambda p: True, tls_handshake=_tls(gone), pip_index=lambda: None, maven_default_repository=SRC["maven_default_repository"]))
    assert state_msg(f) == ("skip", "maven: could not connect to maven.test:443 (TimeoutError: timed out; see net.sources)")


@pytest.mark.parametrize("host_env,engine_proxy,expected", [
    ({}, "", ("ok", "no proxy on the host or in the engine")),
    ({"HTTPS_PROXY": "http://p:3128"}, "http://p:3128", ("ok", "the host and the engine both use http://p:3128")),
    ({"HTTPS_PROXY": "http://p:3128"}, "", ("warn", "the host uses proxy http://p:3128 but the engine has none: pulls and downloads during builds go direct, and fail where only the proxy reaches out")),
    ({}, "http://p:3128", ("warn", "the engine uses proxy http://p:3128 but the host has none: devenv's downloads on the host go direct")),
    ({"https_proxy": "http://a:1"}, "http://b:2", ("warn", "the host uses proxy http://a:1 but the engine uses http://b:2")),
])
def test_net_proxy_all_states(host_env: dict, engine_proxy: str, expected: tuple[str, str]) -> None:
    details = dataclasses.replace(DETAILS, https_proxy=engine_proxy)
    f = run("net.proxy", make_ctx(env=lambda: host_env, engine_info=lambda: ENGINE, engine_details=lambda: details))
    assert state_msg(f) == expected


# --- parity ---------------------------------------------------------------------------------

def _cmd(outputs: dict[str, Completed | None]):
    return lambda argv, *a: outputs.get(argv[0] if argv[0] != "python3" else " ".join(argv[:2]))


JAVA17 = Completed(0, 'openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment\n')


def test_parity_java_all_states() -> None:
    assert state_msg(run("parity.java", make_ctx(command=_cmd({"java": JAVA17})))) == ("ok", "host Java 17 matches the cluster's Java 17")
    f = run("parity.java", make_ctx(command=_cmd({"java": Completed(0, 'openjdk version "21.0.2" 2024-01-16\n')})))
    assert state_msg(f) == ("warn", "host Java 21, cluster Java 17: classes compiled here target Java 21 by default and fail in the cluster with UnsupportedClassVersionError")
    f = run("parity.java", make_ctx(command=_cmd({"java": Completed(0, 'java version "1.8.0_392"\n')})))
    assert state_msg(f) == ("warn", "host Java 8, cluster Java 17: jars built for the cluster do not load here, and local Spark 4.1.1 needs the cluster's Java")
    assert state_msg(run("parity.java", make_ctx(command=_cmd({})))) == ("skip", "java is not installed on this machine (needed only to build jars or run Spark locally)")
    assert state_msg(run("parity.java", make_ctx(command=_cmd({"java": Completed(0, "weird\n")})))) == ("warn", "could not read the Java version from 'weird'")


def test_parity_python_all_states() -> None:
    linux = dict(system=lambda: "Linux")
    py = lambda v: _cmd({"python3 --version": Completed(0, f"Python {v}\n")})  # noqa: E731
    assert state_msg(run("parity.python", make_ctx(command=py("3.11.9"), **linux))) == ("ok", "host Python 3.11.9 matches the cluster's workers (3.11)")
    assert state_msg(run("parity.python", make_ctx(command=py("3.12.3"), **linux))) == (
        "warn", "host Python 3.12, cluster Python 3.11: a PySpark driver here with workers in the cluster fails with 'Python in worker has different version'")
    assert state_msg(run("parity.python", make_ctx(command=py("3.9.18"), **linux))) == ("fail", "Spark 4.1 needs Python 3.10 or later; the host has 3.9.18")
    assert state_msg(run("parity.python", make_ctx(command=_cmd({}), **linux))) == ("skip", "python3 is not installed on this machine")
    assert state_msg(run("parity.python", make_ctx(command=_cmd({"python3 --version": Completed(0, "Python ???\n")}), **linux))) == (
        "warn", "could not read the Python version from 'Python ???'")


def test_parity_pyspark_all_states() -> None:
    linux = dict(system=lambda: "Linux")
    ps = lambda out, rc=0: _cmd({"python3 -c": Completed(rc, out)})  # noqa: E731
    assert state_msg(run("parity.pyspark", make_ctx(command=ps("4.1.1\n"), **linux))) == ("ok", "pyspark 4.1.1 matches Spark 4.1.1")
    f = run("parity.pyspark", make_ctx(command=ps("3.5.1\n"), **linux))
    assert state_msg(f) == ("fail", "pyspark 3.5.1 on the host against Spark 4.1.1 in the cluster: the py4j gateway protocol and Spark Connect differ between lines, so sessions fail to connect, and pickled UDFs and Arrow batches fail to load")
    assert f.fix == "pip install 'pyspark==4.1.1'"
    assert state_msg(run("parity.pyspark", make_ctx(command=ps("4.1.0\n"), **linux))) == (
        "warn", "pyspark 4.1.0 against Spark 4.1.1: the same line works, but bugs fixed in 4.1.1 may show here")
    assert state_msg(run("parity.pyspark", make_ctx(command=ps("PackageNotFoundError: pyspark", 1), **linux))) == ("skip", "pyspark is not installed for python3")
    assert state_msg(run("parity.pyspark", make_ctx(command=_cmd({}), **linux))) == ("skip", "python3 is not installed on this machine")


def test_parity_scala_all_states() -> None:
    sc = lambda out: _cmd({"scala": Completed(0, out)})  # noqa: E731
    assert state_msg(run("parity.scala", make_ctx(command=sc("Scala code runner version 2.13.12 -- Copyright\n")))) == (
        "ok", "host Scala 2.13 matches the Scala Spark 4.1.1 is built for")
    assert state_msg(run("parity.scala", make_ctx(command=sc("Scala code runner version 2.12.18 -- Copyright\n")))) == (
        "warn", "host Scala 2.12, Spark 4.1.1 is built for Scala 2.13: jars compiled here fail in the cluster with NoSuchMethodError and similar binary incompatibilities")
    assert state_msg(run("parity.scala", make_ctx(command=_cmd({})))) == ("skip", "scala is not installed on this machine")
    assert state_msg(run("parity.scala", make_ctx(command=sc("nonsense\n")))) == ("warn", "could not read the Scala version from 'nonsense'")


def test_parity_hadoop_and_hive_cli_all_states() -> None:
    which = lambda name: f"/usr/bin/{name}"  # noqa: E731
    had = lambda v: _cmd({"hadoop": Completed(0, f"Hadoop {v}\nSource code repository\n")})  # noqa: E731
    assert state_msg(run("parity.hadoop-cli", make_ctx(which=which, command=had("3.4.2")))) == ("ok", "host hadoop 3.4.2 matches the cluster's Hadoop 3.4.2")
    assert state_msg(run("parity.hadoop-cli", make_ctx(which=which, command=had("3.4.1")))) == ("ok", "host hadoop 3.4.1 is on the cluster's Hadoop 3.4 line (pin 3.4.2)")
    assert state_msg(run("parity.hadoop-cli", make_ctx(which=which, command=had("3.3.6")))) == (
        "warn", "host hadoop 3.3.6, cluster Hadoop 3.4.2: basic `hdfs dfs` works over RPC, but client defaults and newer commands differ, and jobs submitted from here carry the host's Hadoop jars")
    assert state_msg(run("parity.hadoop-cli", make_ctx(which=lambda n: None))) == ("skip", "hadoop is not installed on this machine")
    assert state_msg(run("parity.hadoop-cli", make_ctx(which=which, command=_cmd({"hadoop": Completed(0, "?\n")})))) == ("warn", "`hadoop version` did not report a version")
    hive = lambda v: _cmd({"hive": Completed(0, f"Hive {v}\nGit ...\n")})  # noqa: E731
    assert state_msg(run("parity.hive-cli", make_ctx(which=which, command=hive("4.0.1")))) == ("ok", "host hive 4.0.1 matches the cluster's Hive 4.0.1")
    assert state_msg(run("parity.hive-cli", make_ctx(which=which, command=hive("3.1.3")))) == (
        "warn", "host hive 3.1.3, cluster Hive 4.0.1: its metastore client expects another schema version, and JDBC protocol features differ")
    assert state_msg(run("parity.hive-cli", make_ctx(which=lambda n: None))) == ("skip", "hive is not installed on this machine")


# --- a running cluster ----------------------------------------------------------------------------

def box(service: str, cluster: str = "default", running: bool = True, image_id: str = "sha256:new", profile: str = "default") -> ContainerState:
    image = {"namenode": "hadoop", "datanode-1": "hadoop", "resourcemanager": "hadoop", "nodemanager-1": "hadoop",
             "historyserver": "hadoop", "metastore": "hive", "spark-history": "spark"}.get(service, "hadoop")
    labels = {"devenv.managed": "true", "devenv.cluster": cluster, "devenv.service": service, "devenv.profile": profile}
    return ContainerState(f"{cluster}-{service}", f"devenv/{image}:abc", image_id, labels, running, ())


def owned(c: ContainerInfo, labels: dict[str, str]) -> ContainerInfo:
    """`c` with more labels (an owner id)."""
    return dataclasses.replace(c, labels={**c.labels, **labels})


CLUSTER = [box(s) for s in ("namenode", "datanode-1", "resourcemanager", "nodemanager-1", "historyserver", "metastore", "spark-history")]


def cluster_ctx(containers: list[ContainerState] = CLUSTER, **kw: Any) -> Context:
    return make_ctx(managed_containers=lambda: containers, **engine(), **kw)


def test_cluster_checks_skip_without_a_running_cluster() -> None:
    for cid in ("cluster.images", "cluster.versions", "cluster.config", "cluster.hdfs", "cluster.yarn"):
        assert state_msg(run(cid, cluster_ctx([box("namenode", running=False)]))) == ("skip", "no cluster is running (devenv up starts one)")
    assert state_msg(run("cluster.images", cluster_ctx([box("namenode", cluster="other", profile="legacy")]))) == (
        "skip", "no cluster of profile 'default' is running (running: other); devenv up starts one")


def test_cluster_found_by_its_profile_label() -> None:
    mine = [box("namenode", cluster="team")]
    f = run("cluster.images", cluster_ctx(mine, local_images=lambda: [LocalImage("sha256:new", ("devenv/hadoop:abc",), "amd64", {})]))
    assert state_msg(f) == ("ok", "cluster 'team': all 1 containers run the current builds of their images")


def test_cluster_images_ok_and_drift() -> None:
    built = [LocalImage("sha256:new", (f"devenv/{c}:abc",), "amd64", {}) for c in ("hadoop", "hive", "spark")]
    f = run("cluster.images", cluster_ctx(local_images=lambda: built))
    assert state_msg(f) == ("ok", "cluster 'default': all 7 containers run the current builds of their images")
    stale = [box("namenode", image_id="sha256:old"), box("metastore")]
    f = run("cluster.images", cluster_ctx(stale, local_images=lambda: built[:1]))
    assert state_msg(f) == ("warn", "cluster 'default': metastore runs devenv/hive:abc, which is no longer here; namenode runs an older build of devenv/hadoop:abc (rebuilt since it started)")
    assert f.fix == "devenv up recreates the containers from the current images"


REPORTS = {"hadoop": "Hadoop 3.4.2\nSource code repository", "hive": "Hive 4.0.1\nGit", "spark-submit": "Welcome to\n   version 4.1.1\nUsing Scala"}


def _report(reports: dict[str, str]):
    """Fake exec: `bash -c "spark-submit --version 2>&1"` answers like spark-submit itself."""
    return lambda name, argv: reports[argv[2].split()[0] if argv[0] == "bash" else argv[0]]


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


def test_cluster_config_ok_fail_skip() -> None:
    urls = []
    f = run("cluster.config", cluster_ctx(http_json=lambda url: urls.append(url) or _conf(GOOD_CONF)))
    assert state_msg(f) == ("ok", "cluster 'default': all 5 overrides are in effect (spark-defaults: no /conf endpoint to read)")
    assert urls == ["http://127.0.0.1:8088/conf?format=json", "http://127.0.0.1:19888/conf?format=json"]
    bad = dict(GOOD_CONF, **{"yarn.scheduler.minimum-allocation-mb": "1024"})
    f = run("cluster.config", cluster_ctx(http_json=lambda url: _conf(bad)))
    assert state_msg(f) == ("fail", "cluster 'default': resourcemanager: yarn.scheduler.minimum-allocation-mb is 1024, [config.yarn-site] sets 256 (spark-defaults: no /conf endpoint to read)")
    f = run("cluster.config", cluster_ctx([box("namenode")], http_json=lambda url: _conf({})))
    assert state_msg(f) == ("skip", "the profile overrides nothing a running daemon's /conf shows (yarn-site, mapred-site, spark-defaults: no /conf endpoint to read)")


def _nn(live: int, safemode: str = "") -> dict[str, Any]:
    import json

    return {"beans": [{"Safemode": safemode, "LiveNodes": json.dumps({f"dn{i}": {} for i in range(live)})}]}


def test_cluster_hdfs_all_states() -> None:
    assert state_msg(run("cluster.hdfs", cluster_ctx(http_json=lambda url: _nn(1)))) == ("ok", "HDFS is out of safe mode with 1 of 1 datanodes live")
    f = run("cluster.hdfs", cluster_ctx(http_json=lambda url: _nn(1, "Safe mode is ON. The reported blocks 0 needs additional 12 blocks.")))
    assert state_msg(f) == ("fail", "HDFS is in safe mode: Safe mode is ON. The reported blocks 0 needs additional 12 blocks.")
    assert state_msg(run("cluster.hdfs", cluster_ctx(http_json=lambda url: _nn(0)))) == ("fail", "0 of 1 datanodes are live")
    assert state_msg(run("cluster.hdfs", cluster_ctx(http_json=lambda url: {"beans": []}))) == ("fail", "the namenode's JMX endpoint has no NameNodeInfo yet")
    assert state_msg(run("cluster.hdfs", cluster_ctx([box("datanode-1")]))) == ("fail", "cluster 'default' has no running namenode")


def test_cluster_yarn_all_states() -> None:
    m = lambda active, lost=0: (lambda url: {"clusterMetrics": {"activeNodes": active, "unhealthyNodes": 0, "lostNodes": lost}})  # noqa: E731
    assert state_msg(run("cluster.yarn", cluster_ctx(http_json=m(1)))) == ("ok", "1 of 1 NodeManagers are active")
    assert state_msg(run("cluster.yarn", cluster_ctx(http_json=m(0, 1)))) == ("fail", "0 of 1 NodeManagers are active (1 unhealthy or lost)")
    assert state_msg(run("cluster.yarn", cluster_ctx([box("namenode")]))) == ("fail", "cluster 'default' has no running resourcemanager")


def test_cluster_leftovers_ok_and_warn_with_a_safe_fix() -> None:
    live = ResourceInfo("network", "default-net", {"devenv.cluster": "default"})
    stopped = box("namenode", cluster="kept", running=False)
    ctx = cluster_ctx([*CLUSTER, stopped], known_clusters=lambda: ["kept"], managed_networks_and_volumes=lambda: [live])
    assert state_msg(run("cluster.leftovers", ctx)) == ("ok", "nothing left of removed clusters")
    mine = {"devenv.owner": owner.home_id()}  # this home made them
    gone = owned(box("namenode", cluster="old", running=False), mine)
    old = [ResourceInfo("network", "old-net", {"devenv.cluster": "old", **mine}),
           ResourceInfo("volume", "old-namenode", {"devenv.cluster": "old", **mine})]
    removed: list[ResourceInfo] = []
    ctx = cluster_ctx([*CLUSTER, gone], known_clusters=lambda: [], managed_networks_and_volumes=lambda: [live, *old], remove_leftovers=removed.extend)
    f = run("cluster.leftovers", ctx)
    assert state_msg(f) == ("warn", "3 leftovers of clusters that no longer exist: container old-namenode (cluster 'old'), network old-net (cluster 'old'), volume old-namenode (cluster 'old')")
    assert f.safe_fix is not None and f.safe_fix.description == "remove container old-namenode (cluster 'old'), network old-net (cluster 'old'), volume old-namenode (cluster 'old')"
    f.safe_fix.apply()
    assert [r.name for r in removed] == ["old-namenode", "old-net", "old-namenode"]


def test_cluster_leftovers_leave_other_homes_and_unknown_owners_alone() -> None:
    """Another home's clusters have no state here either: their resources, and an older devenv's unlabelled ones, are not ours."""
    theirs = {"devenv.owner": "0123456789abcdef"}
    other = [owned(box("namenode", cluster="theirs", running=False), theirs),
             ResourceInfo("volume", "devenv-theirs-namenode-data", {"devenv.cluster": "theirs", **theirs}),
             ResourceInfo("network", "devenv-legacy", {"devenv.cluster": "legacy"})]  # no owner label
    mine = ResourceInfo("volume", "devenv-gone-namenode-data", {"devenv.cluster": "gone", "devenv.owner": owner.home_id()})
    removed: list[ResourceInfo] = []
    ctx = cluster_ctx([*CLUSTER, other[0]], known_clusters=lambda: [], managed_networks_and_volumes=lambda: [*other[1:], mine],
                      remove_leftovers=removed.extend)
    f = run("cluster.leftovers", ctx)
    assert state_msg(f) == ("warn", "1 leftover of clusters that no longer exist: volume devenv-gone-namenode-data (cluster 'gone')"
                                    " (3 of other devenv homes or an older devenv left alone: `devenv prune --all-owners` lists them)")
    assert f.safe_fix is not None
    f.safe_fix.apply()
    assert removed == [mine]
    ctx = cluster_ctx([*CLUSTER, other[0]], known_clusters=lambda: [], managed_networks_and_volumes=lambda: other[1:])
    assert state_msg(run("cluster.leftovers", ctx)) == (
        "ok", "nothing left of removed clusters (3 of other devenv homes or an older devenv left alone: `devenv prune --all-owners` lists them)")
