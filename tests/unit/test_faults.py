"""Faults that must not lose data or leave a cluster half-changed: atomic state, config rewritten in place, the
per-cluster lock, OSError as a user error, Ctrl-C during fetch, transient engine errors (issue 10, items 5, 8, 9, 11)."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import http.server
import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest

from devenv import cluster_lock, docker, fsutil, images, profile, services
from devenv.cluster_files import render_files, write_in_place
from devenv.cluster_state import Cluster, db_password
from devenv.errors import DevenvError

TAGS = {n: f"devenv/{n}:000000000000" for n in images.CLUSTER_IMAGES}


def _profile(**config):
    p = profile.resolve("default")
    d = p.to_dict()
    d["config"] = {**d.get("config", {}), **config}
    return dataclasses.replace(p, data=d)


# --- item 5: config rewritten in place ------------------------------------------------

@pytest.mark.skipif(os.name == "nt", reason="an open directory stands for a bind mount on Linux")
def test_a_config_change_rewrites_files_inside_the_mounted_directories() -> None:
    c = Cluster("demo")
    p = _profile()
    plan = services.ports(p)
    first = render_files(c, p, plan, TAGS, [])
    c.write_state({"rendered": first})
    nn_dir = c.dir / "conf" / "hadoop-namenode"
    mounted = os.open(nn_dir, os.O_RDONLY)  # what a running NameNode's bind mount holds: this directory itself
    try:
        changed = _profile(**{"hive-site": {"hive.exec.parallel": "true"}})
        second = render_files(c, changed, plan, TAGS, [])
        assert second != first
        assert "core-site.xml" in os.listdir(mounted)  # not a deleted, empty directory
        with open(os.open("core-site.xml", os.O_RDONLY, dir_fd=mounted)) as f:
            assert "fs.defaultFS" in f.read()
    finally:
        os.close(mounted)
    assert "hive.exec.parallel" in (c.dir / "conf" / "hive" / "hive-site.xml").read_text()


def test_only_files_no_longer_rendered_are_removed(tmp_path: Path) -> None:
    root = tmp_path / "c"
    write_in_place(root, {"conf/hadoop/a.xml": "a", "conf/hadoop/b.xml": "b", "client/spark/x.conf": "x"})
    write_in_place(root, {"conf/hadoop/a.xml": "a2", "client/spark/x.conf": "x"})
    assert (root / "conf/hadoop/a.xml").read_text() == "a2"
    assert not (root / "conf/hadoop/b.xml").exists()
    assert (root / "conf/hadoop").is_dir()


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_client_files_are_private_and_conf_is_readable_by_the_containers_inside_a_private_directory(tmp_path: Path) -> None:
    root = tmp_path / "c"
    write_in_place(root, {"conf/hive/hive-site.xml": "pw", "client/spark/hive-site.xml": "pw", "compose.json": "{}"})
    mode = lambda rel: (root / rel).stat().st_mode & 0o777  # noqa: E731
    assert mode(".") == 0o700
    assert (mode("client"), mode("client/spark"), mode("client/spark/hive-site.xml")) == (0o700, 0o700, 0o600)
    assert (mode("conf/hive"), mode("conf/hive/hive-site.xml")) == (0o755, 0o644)
    assert mode("compose.json") == 0o600


# --- item 8: state --------------------------------------------------------------------------

def test_a_truncated_state_json_falls_back_to_the_previous_version() -> None:
    c = Cluster("demo")
    c.write_state({"cluster": "demo", "profile": "default", "n": 1})
    c.write_state({"cluster": "demo", "profile": "default", "n": 2})
    c.state_file.write_text('{"cluster": "de')  # a crash or a full disk half-way
    assert c.state()["cluster"] == "demo"


def test_a_damaged_state_json_without_backup_is_an_error_naming_the_file_and_the_fix() -> None:
    c = Cluster("demo")
    c.dir.mkdir(parents=True)
    c.state_file.write_text("\x00\x00garbage")
    with pytest.raises(DevenvError) as e:
        c.state()
    assert str(c.state_file) in e.value.message
    assert "devenv up --name demo" in (e.value.hint or "")


def test_status_of_a_cluster_with_a_damaged_state_says_so_not_no_cluster(cli) -> None:
    c = Cluster("demo")
    c.dir.mkdir(parents=True)
    c.state_file.write_text("{")
    r = cli("status", "--name", "demo")
    assert r.code == 1
    assert "state.json is damaged" in r.err and "no cluster named" not in r.err


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_the_db_password_is_made_once_in_a_private_directory() -> None:
    c = Cluster("demo")
    first = db_password(c)
    f = c.dir / "secrets" / "db-password"
    inode = f.stat().st_ino
    assert db_password(c) == first and f.stat().st_ino == inode  # never replaced: it is bind-mounted as a file
    assert (f.parent.stat().st_mode & 0o777) == 0o700 and (c.dir.stat().st_mode & 0o777) == 0o700


def test_create_once_keeps_the_first_writer(tmp_path: Path) -> None:
    f = tmp_path / "secrets" / "pw"
    assert fsutil.create_once(f, "one") is True
    assert fsutil.create_once(f, "two") is False
    assert f.read_text() == "one"
    assert [p.name for p in f.parent.iterdir()] == ["pw"]  # no temporary file left


def test_images_json_keeps_a_profiles_other_images_after_a_partial_build() -> None:
    plan = lambda n, t: images.Plan(n, f"devenv/{n}:{t}", t * 4, {})  # noqa: E731
    images._remember(SimpleNamespace(name="a"), [plan("jvm", "j1"), plan("hadoop", "h1"), plan("hive", "v1")])
    images._remember(SimpleNamespace(name="b"), [plan("jvm", "j2")])
    images._remember(SimpleNamespace(name="a"), [plan("jvm", "j1"), plan("tools", "t1")])  # `devenv lock` builds tools only
    used = images.used_by()
    assert used["devenv/hive:v1"] == ["a"] and used["devenv/hadoop:h1"] == ["a"]
    assert used["devenv/tools:t1"] == ["a"] and used["devenv/jvm:j2"] == ["b"]


def test_images_json_in_the_old_list_format_is_still_read(isolated: Path) -> None:
    f = isolated / "state" / "images.json"
    f.parent.mkdir(parents=True)
    f.write_text(json.dumps({"a": ["devenv/jvm:j1", "devenv/hive:v1"]}))
    assert images.used_by() == {"devenv/jvm:j1": ["a"], "devenv/hive:v1": ["a"]}


def test_two_builds_of_one_image_stage_in_separate_directories() -> None:
    p = images.plan(profile.resolve("default"), None, ["tools"], "")[-1]
    first = images._stage(p, None, "")
    second = images._stage(p, None, "")
    assert first != second
    assert (first / "Dockerfile").is_file() and (second / "Dockerfile").is_file()


@pytest.mark.parametrize("code, words", [(errno.ENOSPC, "no space left"), (errno.EACCES, "permission denied"),
                                         (errno.EROFS, "read-only file system")])
def test_an_os_error_is_a_user_error_naming_the_path(cli, monkeypatch: pytest.MonkeyPatch, code: int, words: str) -> None:
    def full(*a, **k):
        raise OSError(code, os.strerror(code), "/var/devenv/state/clusters/demo/state.json")

    monkeypatch.setattr(cluster_lock, "_acquire", full)  # the first file `down` writes
    r = cli("down", "--name", "demo")
    assert r.code == 1, r.err
    assert words in r.err and "/var/devenv/state/clusters/demo/state.json" in r.err
    assert "bug in devenv" not in r.err


def test_an_os_error_without_a_known_errno_stays_a_bug(cli, monkeypatch: pytest.MonkeyPatch) -> None:
    def odd(*a, **k):
        raise OSError(errno.ENOTTY, "odd")

    monkeypatch.setattr(cluster_lock, "_acquire", odd)
    r = cli("down", "--name", "demo")
    assert r.code == 3 and "bug in devenv" in r.err


# --- the per-cluster lock -------------------------------------------------------------------

_HOLDER = textwrap.dedent("""
    import sys, time
    from devenv import cluster_lock
    with cluster_lock.changing(sys.argv[1]):
        print("held", flush=True)
        time.sleep(120)
""")


@pytest.fixture
def held_by_another_process():
    proc = subprocess.Popen([sys.executable, "-c", _HOLDER, "demo"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_a_second_process_is_told_who_changes_the_cluster(cli, held_by_another_process, monkeypatch) -> None:
    monkeypatch.setattr(cluster_lock, "WAIT_SECONDS", 0.3)
    r = cli("down", "--name", "demo")
    assert r.code == 1
    assert f"cluster 'demo' is being changed by process {held_by_another_process.pid} since " in r.err


def test_the_lock_of_a_killed_process_is_taken_over(held_by_another_process) -> None:
    held_by_another_process.kill()
    held_by_another_process.wait()
    with cluster_lock.changing("demo", wait=5):
        info = json.loads(cluster_lock.lock_file("demo").read_text())
    assert info["pid"] == os.getpid()


def test_the_lock_is_reentrant_in_one_process_and_released_after() -> None:
    with cluster_lock.changing("demo"):
        with cluster_lock.changing("demo", wait=0):
            pass
    r = subprocess.run([sys.executable, "-c", "from devenv import cluster_lock\nwith cluster_lock.changing('demo', wait=0): print('ok')"],
                       capture_output=True, text=True)
    assert r.stdout.strip() == "ok", r.stderr


def test_the_lock_refuses_a_name_that_is_not_a_cluster_name() -> None:
    with pytest.raises(DevenvError):
        cluster_lock.lock_file("../../x")


# --- item 11: transient engine errors -----------------------------------------------------

def _engine_error(text: str) -> Exception:
    from python_on_whales.exceptions import DockerException

    return DockerException(["docker", "exec"], 126, b"", text.encode())


class Flaky:
    def __init__(self, failures: int, text: str = "OCI runtime exec failed: read init-p: connection reset by peer"):
        self.failures, self.text, self.calls = failures, text, 0

    def __call__(self, *a, **k):
        self.calls += 1
        if self.calls <= self.failures:
            raise _engine_error(self.text)
        return "answer"


def test_an_idempotent_call_is_retried_with_backoff_on_a_transient_error(monkeypatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr(docker, "_sleep", slept.append)
    fn = Flaky(2)
    assert docker._call("probing", fn, idempotent=True) == "answer"
    assert fn.calls == 3 and slept == [0.5, 1.0]


def test_a_call_that_is_not_idempotent_is_not_retried(monkeypatch) -> None:
    monkeypatch.setattr(docker, "_sleep", lambda s: None)
    fn = Flaky(1)
    with pytest.raises(DevenvError):
        docker._call("loading data", fn)
    assert fn.calls == 1


def test_a_permanent_error_is_not_retried(monkeypatch) -> None:
    monkeypatch.setattr(docker, "_sleep", lambda s: None)
    fn = Flaky(1, "No such container: x")
    with pytest.raises(DevenvError):
        docker._call("probing", fn, idempotent=True)
    assert fn.calls == 1


def test_the_final_error_says_it_was_transient_and_retried(monkeypatch) -> None:
    monkeypatch.setattr(docker, "_sleep", lambda s: None)
    fn = Flaky(10, "Error response from daemon: 503 Service Unavailable")
    with pytest.raises(DevenvError) as e:
        docker._call("listing containers", fn, idempotent=True)
    assert fn.calls == docker.RETRIES + 1
    assert f"transient engine error: retried {docker.RETRIES} times" in e.value.message


# --- item 9: Ctrl-C during fetch ----------------------------------------------------------

FILES = 30
SIZE = 48 * 1024


class _SlowFiles(http.server.BaseHTTPRequestHandler):
    served: list[str] = []
    ranges: list[str] = []
    interrupt_at = 0
    body = bytes(range(256)) * (SIZE // 256)

    def do_GET(self) -> None:  # noqa: N802
        cls = type(self)
        cls.served.append(self.path)
        if self.headers.get("Range"):
            cls.ranges.append(self.path)
        if len(cls.served) == cls.interrupt_at:
            import _thread

            _thread.interrupt_main()  # what Ctrl-C does to the main thread
        start = int((self.headers.get("Range") or "bytes=0-").split("=")[1].rstrip("-") or 0)
        self.send_response(206 if start else 200)
        self.send_header("Content-Length", str(SIZE - start))
        self.end_headers()
        data = self.body[start:]
        for i in range(0, len(data), 8192):
            self.wfile.write(data[i:i + 8192])
            self.wfile.flush()
            threading.Event().wait(0.02)

    def log_message(self, *a) -> None:
        pass


def _lock():
    from devenv.lock import Artifact, Lock

    digest = hashlib.sha256(_SlowFiles.body).hexdigest()
    arts = tuple(Artifact("hadoop", "maven", f"g:a{i}:jar:1", f"g/a{i}/1/a{i}-1.jar", SIZE, digest) for i in range(FILES))
    return Lock(profile="t", inputs="x", versions={}, artifacts=arts)


def test_ctrl_c_during_fetch_cancels_the_queue_and_leaves_only_resumable_parts(monkeypatch) -> None:
    from devenv import artifacts
    from devenv.console import Ui

    _SlowFiles.served, _SlowFiles.ranges, _SlowFiles.interrupt_at = [], [], 5
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowFiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    lock, ui, jobs = _lock(), Ui(no_color=True), 3
    go = lambda: artifacts.fetch(lock, ui=ui, maven_repo=lambda: base, pypi_index=lambda: "", ca_pem=None, proxies={}, jobs=jobs)  # noqa: E731
    try:
        with pytest.raises(KeyboardInterrupt):
            go()
        for t in [t for t in threading.enumerate() if t.name.startswith("ThreadPoolExecutor")]:
            t.join(30)  # the running downloads stop at their next chunk
        requested = len(_SlowFiles.served)
        assert requested < FILES and requested <= _SlowFiles.interrupt_at + 2 * jobs  # the queue was cancelled
        on_disk = [p for p in artifacts.maven_dir().rglob("*") if p.is_file() and not p.name.endswith(".verified")]
        for p in on_disk:  # a final name holds a whole, verified file; anything else is a resumable .part
            assert p.name.endswith(".part") or p.read_bytes() == _SlowFiles.body, p
        parts = [p for p in on_disk if p.name.endswith(".part") and p.stat().st_size > 0]
        assert parts, "the interrupted downloads keep their .part files"
        _SlowFiles.interrupt_at = 0
        r = go()
        assert r.fetched + r.already == FILES and not artifacts.missing(lock)
        assert len(_SlowFiles.ranges) >= len(parts)  # they were resumed, not downloaded again
    finally:
        server.shutdown()

