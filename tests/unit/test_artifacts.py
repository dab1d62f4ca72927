"""The verified cache and fetch: real downloads from a local HTTP server, checksum failures, resume, offline."""

from __future__ import annotations

import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from devenv import artifacts
from devenv.console import Ui
from devenv.errors import DevenvError
from devenv.lock import Artifact, Lock, read, write


def art(path: str, data: bytes, image: str = "hadoop", source: str = "maven") -> Artifact:
    return Artifact(image, source, f"g:{Path(path).stem}:jar:1", path, len(data), hashlib.sha256(data).hexdigest())


class _Handler(http.server.SimpleHTTPRequestHandler):
    served: list[str] = []

    def log_message(self, *a) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        _Handler.served.append(self.path)
        body = self.server.files.get(self.path.lstrip("/"))  # type: ignore[attr-defined]
        if body is None:
            self.send_error(404)
            return
        start = 0
        rng = self.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].split("-")[0])
            self.send_response(206)
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:])


@pytest.fixture
def repo():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.files = {}  # type: ignore[attr-defined]
    _Handler.served = []
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    yield server
    server.shutdown()


def _fetch(lock: Lock, server, offline: bool = False):
    base = f"http://127.0.0.1:{server.server_address[1]}"
    return artifacts.fetch(lock, ui=Ui(), maven_repo=lambda: base, pypi_index=lambda: base, ca_pem=None, proxies={}, offline=offline, jobs=4)


def test_fetch_downloads_verifies_and_is_idempotent(repo) -> None:
    a = art("g/a/1/a-1.jar", b"A" * 1000)
    b = art("g/b/1/b-1.jar", b"B" * 3000)
    repo.files = {a.path: b"A" * 1000, b.path: b"B" * 3000}
    lock = Lock("p", "x", {}, (a, b))
    r = _fetch(lock, repo)
    assert (r.fetched, r.bytes_downloaded, r.already) == (2, 4000, 0)
    assert artifacts.cached_path(a).read_bytes() == b"A" * 1000
    again = _fetch(lock, repo)
    assert (again.fetched, again.bytes_downloaded, again.already) == (0, 0, 2)
    assert len(_Handler.served) == 2  # nothing fetched twice


def test_tampered_download_is_rejected_removed_and_named(repo) -> None:
    a = art("g/a/1/a-1.jar", b"good bytes")
    repo.files = {a.path: b"evil bytes"}
    with pytest.raises(DevenvError) as e:
        _fetch(Lock("p", "x", {}, (a,)), repo)
    assert e.value.message == "1 artifact(s) could not be fetched; the others are in the cache"
    p = artifacts.cached_path(a)
    assert e.value.details == [
        f"{p} does not match the lock and was removed: g:a-1:jar:1 should be 10 bytes with sha256 {a.sha256}, "
        f"the file had 10 bytes with sha256 {hashlib.sha256(b'evil bytes').hexdigest()}"
    ]
    assert not p.exists()


def test_corrupt_cached_file_is_detected_and_refetched(repo) -> None:
    a = art("g/a/1/a-1.jar", b"0123456789")
    repo.files = {a.path: b"0123456789"}
    lock = Lock("p", "x", {}, (a,))
    _fetch(lock, repo)
    p = artifacts.cached_path(a)
    p.write_bytes(b"0123456780")  # same size, different content: the stamp no longer matches mtime
    import os
    os.utime(p, ns=(1, 1))
    assert artifacts.missing(lock) == [a]
    r = _fetch(lock, repo)
    assert r.fetched == 1 and p.read_bytes() == b"0123456789"


def test_truncated_partial_download_resumes(repo) -> None:
    data = bytes(range(256)) * 40
    a = art("g/a/1/a-1.jar", data)
    repo.files = {a.path: data}
    part = artifacts.cached_path(a).with_name("a-1.jar.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:4000])
    r = _fetch(Lock("p", "x", {}, (a,)), repo)
    assert r.bytes_downloaded == len(data) - 4000
    assert artifacts.cached_path(a).read_bytes() == data


def test_offline_lists_everything_missing_before_any_work(repo) -> None:
    a = art("g/a/1/a-1.jar", b"x" * 2_000_000)
    b = art("g/b/1/b-1.jar", b"y" * 10)
    with pytest.raises(DevenvError) as e:
        _fetch(Lock("p", "x", {}, (a, b)), repo, offline=True)
    assert e.value.message == f"--offline: 2 of 2 locked artifacts are not in the cache ({artifacts.cache_root()})"
    assert e.value.details == [
        f"g:a-1:jar:1 (2.0 MB) -> {artifacts.cached_path(a)}",
        f"g:b-1:jar:1 (0.0 MB) -> {artifacts.cached_path(b)}",
    ]
    assert _Handler.served == []


def test_missing_artifact_in_repository_is_named(repo) -> None:
    a = art("g/a/1/a-1.jar", b"x")
    with pytest.raises(DevenvError) as e:
        _fetch(Lock("p", "x", {}, (a,)), repo)
    assert e.value.details[0].startswith("g:a-1:jar:1: http://127.0.0.1:") and e.value.details[0].endswith("/g/a/1/a-1.jar answered HTTP 404")


def test_lock_round_trip_and_errors(tmp_path: Path) -> None:
    a = art("g/a/1/a-1.jar", b"x")
    p = art("pyspark-4.1.1.tar.gz", b"y", image="spark", source="pypi")
    lock = Lock("default", "abc", {"java": "17"}, (p, a))
    f = tmp_path / "default.lock"
    write(f, lock)
    back = read(f)
    assert back.artifacts == (a, p)  # sorted by image
    assert back.versions == {"java": "17"}
    f.write_text("schema = 1\nprofile = [", encoding="utf-8")
    with pytest.raises(DevenvError) as e:
        read(f)
    assert e.value.message.startswith(f"{f}:2:") and e.value.message.endswith(": the lock file is not valid TOML")
    with pytest.raises(DevenvError) as e2:
        read(tmp_path / "none.lock")
    assert e2.value.hint == "create it with: devenv lock none   (needs the Docker engine and network access)"
