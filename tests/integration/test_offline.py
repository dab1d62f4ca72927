"""Issue 11: `--offline` for real. A fresh devenv home whose artifact cache is a hard-linked copy of the
test home's full cache, every source in its user config at an unreachable address (127.0.0.1:9), and
HTTP(S)_PROXY pointed at a TCP listener this test starts that records every connection made to it.

- with the full cache, `devenv fetch --offline` and `devenv build --offline` succeed and the listener
  sees no connection (the images are present, so build has nothing to build);
- with one cached file removed, `devenv fetch --offline` and `devenv build --offline --no-cache` (which
  must build, so it needs every artifact) name that file and exit 1 before any work: no connection,
  no image built.
- with the full cache, `devenv up` starts a cluster (`--ports auto`) and the listener sees no connection.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
from pathlib import Path

import pytest

from integration.conftest import devenv, integration_home

pytestmark = pytest.mark.docker

UNREACHABLE = "http://127.0.0.1:9"


class Listener:
    """A TCP listener on 127.0.0.1 that records who connected (and what they sent first), then hangs up."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.seen: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.seen.append(conn.recv(200) or b"(connected, sent nothing)")
                except OSError:
                    self.seen.append(b"(connected)")

    def close(self) -> None:
        self.sock.close()


def unreachable_everywhere(home: Path) -> tuple[dict[str, str], Listener]:
    """Point every source of devenv home `home` at an address that refuses, and every proxy variable at a
    Listener that records connections: (the environment for devenv, the listener; the caller closes it)."""
    (home / "config").mkdir(parents=True)
    (home / "config" / "config.toml").write_text(
        f'[sources]\nmaven = "{UNREACHABLE}/maven2"\npypi = "{UNREACHABLE}/simple"\ndebian = "{UNREACHABLE}/debian"\n')
    listener = Listener()
    proxy = f"http://127.0.0.1:{listener.port}"
    return ({"DEVENV_HOME": str(home), "HTTP_PROXY": proxy, "HTTPS_PROXY": proxy, "http_proxy": proxy, "https_proxy": proxy,
             "NO_PROXY": "", "no_proxy": "", "ALL_PROXY": "", "all_proxy": ""}, listener)


def _link_tree(src: Path, dst: Path) -> None:
    """Hard links where the file system allows (the copy's removals never touch the original), else copies."""
    try:
        shutil.copytree(src, dst, copy_function=os.link)
    except (OSError, shutil.Error):
        shutil.rmtree(dst, ignore_errors=True)
        shutil.copytree(src, dst)


@pytest.fixture(scope="module")
def offline_home(tmp_path_factory: pytest.TempPathFactory):
    """(home, env for devenv, the listener): a fresh home with the full cache and nothing reachable."""
    source = integration_home() / "cache" / "artifacts"
    assert (source / "maven").is_dir(), f"the test home's artifact cache {source} is not filled (run the image tests first)"
    home = Path(tmp_path_factory.mktemp("offline-home", numbered=True))
    if os.stat(home).st_dev != os.stat(source).st_dev:  # hard links need the same file system
        home = Path(integration_home()) / "tmp-offline-home"
        shutil.rmtree(home, ignore_errors=True)
    _link_tree(source, home / "cache" / "artifacts")
    env, listener = unreachable_everywhere(home)
    try:
        yield home, env, listener
    finally:
        listener.close()
        shutil.rmtree(home, ignore_errors=True)


def _smallest_cached(home: Path) -> Path:
    files = [p for p in (home / "cache" / "artifacts").rglob("*")
             if p.is_file() and p.suffix not in (".verified", ".json") and p.with_name(p.name + ".verified").exists()]
    return min(files, key=lambda p: p.stat().st_size)


def _image_ids() -> set[str]:
    from devenv import docker

    return {i.id for i in docker.images(managed=True)}


def test_full_cache_fetch_and_build_offline_make_no_network_request(offline_home) -> None:
    home, env, listener = offline_home
    # the listener records connections: check it does (so "saw none" below means something)
    with socket.create_connection(("127.0.0.1", listener.port)) as s:
        s.sendall(b"probe")
    threading.Event().wait(0.2)
    assert listener.seen == [b"probe"]
    listener.seen.clear()

    fetched = devenv("--json", "fetch", "--offline", env=env).json()
    assert fetched["fetched"] == 0 and fetched["bytes_downloaded"] == 0 and fetched["already"] > 0, fetched
    built = devenv("build", "--offline", env=env)
    assert "built " not in built.out + built.err, built
    assert listener.seen == [], listener.seen


def test_one_missing_file_is_named_and_offline_exits_1_before_any_work(offline_home) -> None:
    home, env, listener = offline_home
    gone = _smallest_cached(home)
    gone.unlink()
    before = _image_ids()
    for args in (("fetch", "--offline"), ("build", "--offline", "--no-cache")):
        r = devenv(*args, check=False, env=env)
        assert r.code == 1, (args, r)
        assert "--offline: 1 of " in r.err and str(gone) in r.err, (args, r.err)
        assert "Traceback" not in r.err
    assert listener.seen == [], listener.seen
    assert _image_ids() == before  # nothing was built


def test_up_from_a_full_cache_makes_no_network_request(offline_home) -> None:
    """`up` on a machine with nothing reachable: the images and the cache are all it needs."""
    home, env, listener = offline_home
    name = "ci-offline"
    devenv("down", "--name", name, "--volumes", "--yes", check=False, env=env)
    try:
        ready = devenv("--json", "up", "--name", name, "--ports", "auto", env=env).events()[-1]
        assert ready["event"] == "ready" and ready["cluster"] == name, ready
        assert devenv("--json", "status", "--name", name, env=env).json()["ready"] is True
        assert listener.seen == [], listener.seen
    finally:
        devenv("down", "--name", name, "--volumes", "--yes", check=False, env=env)
