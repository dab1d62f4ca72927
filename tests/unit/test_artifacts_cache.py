"""The artifact cache in detail: stamps, verify_or_remove, the PyPI simple index (JSON and HTML), resume edge cases,
the download counter. A real local HTTP server stands in for the repositories."""

from __future__ import annotations

import hashlib
import http.server
import json
import os
import threading
from pathlib import Path

import pytest

from devenv import artifacts
from devenv.console import Ui
from devenv.errors import DevenvError
from devenv.lock import Artifact, Lock


def jar(path: str, data: bytes) -> Artifact:
    return Artifact("hadoop", "maven", f"g:{Path(path).stem}:jar:1", path, len(data), hashlib.sha256(data).hexdigest())


def wheel(name: str, data: bytes, coords: str) -> Artifact:
    return Artifact("spark", "pypi", coords, name, len(data), hashlib.sha256(data).hexdigest())


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a) -> None:
        pass

    def do_GET(self) -> None:
        srv = self.server
        srv.requests.append((self.path, dict(self.headers)))  # type: ignore[attr-defined]
        if srv.resets:  # type: ignore[attr-defined]
            srv.resets -= 1  # type: ignore[attr-defined]
            self.close_connection = True  # no answer at all
            return
        body, ctype = srv.files.get(self.path, (None, ""))  # type: ignore[attr-defined]
        if body is None:
            self.send_error(404)
            return
        rng = self.headers.get("Range")
        start = int(rng.split("=")[1].split("-")[0]) if rng and srv.ranges else 0  # type: ignore[attr-defined]
        if rng and srv.ranges and start >= len(body):  # type: ignore[attr-defined]
            self.send_error(416)
            return
        self.send_response(206 if start else 200)
        if ctype:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if srv.drops:  # type: ignore[attr-defined]
            srv.drops -= 1  # type: ignore[attr-defined]
            self.wfile.write(body[start:start + 300])  # then the connection breaks
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body[start:])


@pytest.fixture
def server():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.files, srv.requests, srv.ranges, srv.drops, srv.resets = {}, [], True, 0, 0  # type: ignore[attr-defined]
    srv.base = f"http://127.0.0.1:{srv.server_address[1]}"  # type: ignore[attr-defined]
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    t.start()
    yield srv
    srv.shutdown()


def fetch(lock: Lock, srv, **kw):
    return artifacts.fetch(lock, ui=Ui(), maven_repo=lambda: srv.base + "/maven", pypi_index=lambda: srv.base + "/simple",
                           ca_pem=None, proxies={}, jobs=1, **kw)


def test_cache_layout_under_the_cache_directory(isolated: Path) -> None:
    root = isolated / "cache" / "artifacts"
    assert artifacts.cache_root() == root
    assert artifacts.cached_path(jar("g/a/1/a-1.jar", b"x")) == root / "maven" / "g/a/1/a-1.jar"
    assert artifacts.cached_path(wheel("p-1.whl", b"x", "p==1")) == root / "pypi" / "p-1.whl"


def test_is_verified_hashes_once_then_trusts_the_stamp() -> None:
    a = jar("g/a/1/a-1.jar", b"0123456789")
    p = artifacts.cached_path(a)
    assert artifacts.is_verified(a) is False  # absent
    p.parent.mkdir(parents=True)
    p.write_bytes(b"012345678")
    assert artifacts.is_verified(a) is False  # wrong size: not even hashed
    assert not p.with_name("a-1.jar.verified").exists()
    p.write_bytes(b"0123456789")
    assert artifacts.is_verified(a) is True
    st = p.stat()
    stamp = p.with_name("a-1.jar.verified")
    assert stamp.read_text(encoding="ascii") == f"{a.sha256} 10 {st.st_mtime_ns}\n"
    p.write_bytes(b"9876543210")  # same size, new content: the stamp's mtime no longer matches
    os.utime(p, ns=(st.st_mtime_ns + 10**9, st.st_mtime_ns + 10**9))
    assert artifacts.is_verified(a) is False
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))  # a stamp that matches is trusted without hashing
    assert artifacts.is_verified(a) is True


def test_verify_or_remove_names_a_missing_file_and_stamps_a_good_one() -> None:
    a = jar("g/a/1/a-1.jar", b"abc")
    p = artifacts.cached_path(a)
    with pytest.raises(DevenvError) as e:
        artifacts.verify_or_remove(a)
    assert e.value.message == f"g:a-1:jar:1: {p} is missing from the cache"
    assert e.value.hint == "run devenv fetch"
    p.parent.mkdir(parents=True)
    p.write_bytes(b"abc")
    artifacts.verify_or_remove(a)
    assert p.with_name("a-1.jar.verified").read_text(encoding="ascii") == f"{a.sha256} 3 {p.stat().st_mtime_ns}\n"


def test_verify_or_remove_removes_a_wrong_size_file_and_its_stamp() -> None:
    a = jar("g/a/1/a-1.jar", b"abc")
    p = artifacts.cached_path(a)
    p.parent.mkdir(parents=True)
    p.write_bytes(b"abcd")
    p.with_name("a-1.jar.verified").write_text("old\n", encoding="ascii")
    with pytest.raises(artifacts.ChecksumError) as e:
        artifacts.verify_or_remove(a)
    assert e.value.message == (f"{p} does not match the lock and was removed: g:a-1:jar:1 should be 3 bytes with sha256 "
                               f"{a.sha256}, the file had 4 bytes with sha256 {hashlib.sha256(b'abcd').hexdigest()}")
    assert e.value.hint == ("run devenv fetch to download it again; if it fails the same way, the repository or a proxy "
                            "serves a different file")
    assert sorted(p.parent.iterdir()) == []


def test_pypi_urls_from_the_json_index(server) -> None:
    a = wheel("Foo_Bar-1.0-py3-none-any.whl", b"w", "Foo_Bar==1.0")
    server.files["/simple/foo-bar/"] = (json.dumps({"files": [
        {"filename": "Foo_Bar-1.0-py3-none-any.whl", "url": "../../files/fb.whl#sha256=00"},
        {"filename": "other.whl", "url": "https://elsewhere.example/o.whl"}]}).encode(), "application/vnd.pypi.simple.v1+json")
    urls = artifacts.pypi_urls(artifacts._opener(None, {}), server.base + "/simple", [a])
    assert urls == {"Foo_Bar-1.0-py3-none-any.whl": server.base + "/files/fb.whl#sha256=00",
                    "other.whl": "https://elsewhere.example/o.whl"}
    path, headers = server.requests[0]
    assert path == "/simple/foo-bar/"
    assert headers["Accept"] == "application/vnd.pypi.simple.v1+json, text/html;q=0.1"


def test_pypi_urls_from_the_html_index_drop_the_fragment(server) -> None:
    a = wheel("p-1.whl", b"w", "p.q==1")
    server.files["/simple/p-q/"] = (b'<html><a href="/f/p-1.whl#sha256=ab" data-x="1"> p-1.whl </a>\n'
                                    b'<a href="rel/p-2.whl">p-2.whl</a></html>', "text/html")
    urls = artifacts.pypi_urls(artifacts._opener(None, {}), server.base + "/simple", [a])
    assert urls == {"p-1.whl": server.base + "/f/p-1.whl", "p-2.whl": server.base + "/simple/p-q/rel/p-2.whl"}


def test_pypi_html_index_without_a_content_type_or_with_bad_bytes(server) -> None:
    a = wheel("p-1.whl", b"w", "p==1")
    server.files["/simple/p/"] = (b'<a href="/f/p-1.whl">p-1.whl</a> \xff\xfe <a href="/f/q.whl">q\xff.whl</a>', "")
    urls = artifacts.pypi_urls(artifacts._opener(None, {}), server.base + "/simple", [a])
    assert urls == {"p-1.whl": server.base + "/f/p-1.whl", "q\ufffd.whl": server.base + "/f/q.whl"}


def test_pypi_json_index_without_files_lists_nothing(server) -> None:
    a = wheel("p-1.whl", b"w", "p==1")
    server.files["/simple/p/"] = (b'{"meta": {"api-version": "1.1"}}', "application/vnd.pypi.simple.v1+json")
    assert artifacts.pypi_urls(artifacts._opener(None, {}), server.base + "/simple", [a]) == {}


def test_pypi_index_that_cannot_be_read_is_named(server) -> None:
    a = wheel("p-1.whl", b"w", "p==1")
    with pytest.raises(DevenvError) as e:
        artifacts.pypi_urls(artifacts._opener(None, {}), server.base + "/simple", [a])
    assert e.value.message == f"cannot read the PyPI index page {server.base}/simple/p/: HTTP Error 404: Not Found"
    assert e.value.hint == ("check [sources] pypi and [proxy] in the user config; `devenv doctor` tests the connection")


def test_fetch_takes_wheels_from_the_index_and_counts_bytes(server) -> None:
    data = b"wheel-bytes" * 100
    a = wheel("p-1.whl", data, "p==1")
    server.files["/simple/p/"] = (b'<a href="/files/p-1.whl">p-1.whl</a>', "text/html")
    server.files["/files/p-1.whl"] = (data, "application/octet-stream")
    r = fetch(Lock("x", "i", {}, (a,)), server)
    assert (r.fetched, r.bytes_downloaded, r.already) == (1, len(data), 0)
    assert artifacts.cached_path(a).read_bytes() == data
    counter = artifacts.cache_root() / "downloaded-bytes.json"
    assert json.loads(counter.read_text()) == {"bytes": len(data)}
    counter.write_text("{broken")
    artifacts._record_stats(5)
    assert json.loads(counter.read_text()) == {"bytes": 5}
    artifacts._record_stats(7)
    assert json.loads(counter.read_text()) == {"bytes": 12}


def test_a_wheel_missing_from_the_index_is_named(server) -> None:
    a = wheel("p-1.whl", b"w", "p==1")
    server.files["/simple/p/"] = (b'<a href="/files/p-2.whl">p-2.whl</a>', "text/html")
    with pytest.raises(DevenvError) as e:
        fetch(Lock("x", "i", {}, (a,)), server)
    assert e.value.message == "p==1: p-1.whl is not listed on the PyPI index"
    assert e.value.hint == "check [sources] pypi in the user config"


def test_maven_urls_are_the_repository_layout(server) -> None:
    a = jar("g/a/1/a-1.jar", b"jar")
    server.files["/maven/g/a/1/a-1.jar"] = (b"jar", "application/java-archive")
    assert fetch(Lock("x", "i", {}, (a,)), server).fetched == 1
    assert [p for p, _ in server.requests] == ["/maven/g/a/1/a-1.jar"]
    assert "Range" not in server.requests[0][1]


def test_failure_message_lists_every_failed_artifact(server) -> None:
    a, b = jar("g/a/1/a-1.jar", b"a"), jar("g/b/1/b-1.jar", b"b")
    with pytest.raises(DevenvError) as e:
        fetch(Lock("x", "i", {}, (a, b)), server)
    assert e.value.message == "2 artifact(s) could not be fetched; the others are in the cache"
    assert sorted(e.value.details) == [f"g:a-1:jar:1: {server.base}/maven/g/a/1/a-1.jar answered HTTP 404",
                                       f"g:b-1:jar:1: {server.base}/maven/g/b/1/b-1.jar answered HTTP 404"]
    assert e.value.hint == "check [sources] in the user config; the artifact may not exist in that repository"


def test_a_complete_part_file_is_moved_into_place_after_416(server) -> None:
    data = b"0123456789"
    a = jar("g/a/1/a-1.jar", data)
    server.files["/maven/g/a/1/a-1.jar"] = (data, "application/java-archive")
    part = artifacts.cached_path(a).with_name("a-1.jar.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(data)
    r = fetch(Lock("x", "i", {}, (a,)), server)
    assert (r.fetched, r.bytes_downloaded) == (1, 0)
    assert server.requests[0][1]["Range"] == "bytes=10-"
    assert artifacts.cached_path(a).read_bytes() == data and not part.exists()


def test_a_part_file_longer_than_the_artifact_is_discarded(server) -> None:
    data = b"0123456789"
    a = jar("g/a/1/a-1.jar", data)
    server.files["/maven/g/a/1/a-1.jar"] = (data, "application/java-archive")
    part = artifacts.cached_path(a).with_name("a-1.jar.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(data + b"extra")
    r = fetch(Lock("x", "i", {}, (a,)), server)
    assert r.bytes_downloaded == 10
    assert "Range" not in server.requests[0][1]
    assert artifacts.cached_path(a).read_bytes() == data


def test_a_server_without_ranges_restarts_the_file(server) -> None:
    data = bytes(range(200))
    a = jar("g/a/1/a-1.jar", data)
    server.files["/maven/g/a/1/a-1.jar"] = (data, "application/java-archive")
    server.ranges = False
    part = artifacts.cached_path(a).with_name("a-1.jar.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:50])
    r = fetch(Lock("x", "i", {}, (a,)), server)
    assert r.bytes_downloaded == 200
    assert server.requests[0][1]["Range"] == "bytes=50-"
    assert artifacts.cached_path(a).read_bytes() == data


def test_opener_uses_only_the_configured_proxies() -> None:
    opener = artifacts._opener(None, {"HTTP_PROXY": "http://proxy:3128", "HTTPS_PROXY": ""})
    proxy = next(h for h in opener.handlers if type(h).__name__ == "ProxyHandler")
    assert proxy.proxies == {"http": "http://proxy:3128"}
    https = next(h for h in opener.handlers if type(h).__name__ == "HTTPSHandler")
    assert https._context.verify_mode.name == "CERT_REQUIRED"


def test_a_connection_that_breaks_mid_file_is_resumed(server) -> None:
    data = bytes(range(256)) * 4
    a = jar("g/a/1/a-1.jar", data)
    server.files["/maven/g/a/1/a-1.jar"] = (data, "application/java-archive")
    server.drops = 1
    r = fetch(Lock("x", "i", {}, (a,)), server)
    assert (r.fetched, r.bytes_downloaded) == (1, 1024)
    assert [h.get("Range") for _, h in server.requests] == [None, "bytes=300-"]
    assert artifacts.cached_path(a).read_bytes() == data


def test_a_connection_that_keeps_breaking_gives_up_after_three_tries(server) -> None:
    data = bytes(range(256)) * 4
    a = jar("g/a/1/a-1.jar", data)
    server.files["/maven/g/a/1/a-1.jar"] = (data, "application/java-archive")
    server.drops = 3
    with pytest.raises(DevenvError) as e:
        fetch(Lock("x", "i", {}, (a,)), server)
    url = f"{server.base}/maven/g/a/1/a-1.jar"
    assert e.value.details == [f"g:a-1:jar:1: download from {url} failed: the connection closed after 900 of 1024 bytes"]
    assert e.value.hint == "run devenv fetch again: it resumes where it stopped; `devenv doctor` checks the network"
    assert [h.get("Range") for _, h in server.requests] == [None, "bytes=300-", "bytes=600-"]
    part = artifacts.cached_path(a).with_name("a-1.jar.part")
    assert part.read_bytes() == data[:900] and not artifacts.cached_path(a).exists()


def _progress_of_download(server, a: Artifact, part_bytes: bytes) -> list[int]:
    part = artifacts.cached_path(a).with_name(Path(a.path).name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(part_bytes)
    calls: list[int] = []
    got = artifacts._download(artifacts._opener(None, {}), f"{server.base}/maven/{a.path}", a, calls.append)
    assert got == sum(c for c in calls if c > 0)
    return calls


def test_progress_of_a_resumed_download_counts_only_the_new_bytes(server) -> None:
    data = bytes(range(200))
    a = jar("g/a/1/a-1.jar", data)
    server.files["/maven/g/a/1/a-1.jar"] = (data, "application/java-archive")
    assert _progress_of_download(server, a, data[:50]) == [150]


def test_progress_of_a_restarted_download_takes_back_the_partial_bytes(server) -> None:
    data = bytes(range(200))
    a = jar("g/a/1/a-1.jar", data)
    server.files["/maven/g/a/1/a-1.jar"] = (data, "application/java-archive")
    server.ranges = False
    assert _progress_of_download(server, a, data[:50]) == [-50, 200]


def test_an_http_error_is_reported_even_when_the_part_file_is_complete(server) -> None:
    a = jar("g/a/1/a-1.jar", b"0123456789")
    part = artifacts.cached_path(a).with_name("a-1.jar.part")
    part.parent.mkdir(parents=True)
    part.write_bytes(b"0123456789")
    with pytest.raises(DevenvError) as e:
        fetch(Lock("x", "i", {}, (a,)), server)
    assert e.value.details == [f"g:a-1:jar:1: {server.base}/maven/g/a/1/a-1.jar answered HTTP 404"]
    assert not artifacts.cached_path(a).exists()


def test_a_request_without_an_answer_is_retried_from_the_start(server) -> None:
    data = b"0123456789"
    a = jar("g/a/1/a-1.jar", data)
    server.files["/maven/g/a/1/a-1.jar"] = (data, "application/java-archive")
    server.resets = 1
    r = fetch(Lock("x", "i", {}, (a,)), server)
    assert (r.fetched, r.bytes_downloaded) == (1, 10)
    assert [h.get("Range") for _, h in server.requests] == [None, None]
    assert artifacts.cached_path(a).read_bytes() == data


def test_offline_hint_and_sizes_in_megabytes(server) -> None:
    a = jar("g/a/1/a-1.jar", b"x" * 1_050_000)
    with pytest.raises(DevenvError) as e:
        fetch(Lock("x", "i", {}, (a,)), server, offline=True)
    assert e.value.details == [f"g:a-1:jar:1 (1.1 MB) -> {artifacts.cached_path(a)}"]
    assert e.value.hint == "run devenv fetch where the repositories are reachable, then copy the cache directory here"


def test_nothing_to_fetch_reports_a_duration() -> None:
    r = fetch(Lock("x", "i", {}, ()), None)
    assert (r.fetched, r.bytes_downloaded, r.already) == (0, 0, 0)
    assert isinstance(r.seconds, float) and r.seconds >= 0


def test_download_counter_starts_from_nothing() -> None:
    counter = artifacts.cache_root() / "downloaded-bytes.json"
    assert not counter.parent.parent.exists()  # not even the cache directory yet
    artifacts._record_stats(3)
    assert json.loads(counter.read_text()) == {"bytes": 3}
    counter.write_text("{}")
    artifacts._record_stats(5)
    assert json.loads(counter.read_text()) == {"bytes": 5}
