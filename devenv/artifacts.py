"""The verified host cache of locked artifacts, and `fetch` that fills it.

Layout under the platformdirs cache directory (copy it to another machine and
it works there as is):

    artifacts/maven/<repository layout path>    (also Maven's local repository for `devenv lock`)
    artifacts/pypi/<file name>

Every file is checked against the lock's sha256 and size. A verified file gets
a `.verified` stamp (size, mtime, sha256) so later builds need not hash it
again; a file whose size or mtime changed is hashed anew.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Mapping

from devenv import fsutil
from devenv.errors import DevenvError
from devenv.lock import Artifact, Lock, sha256_file
from devenv.paths import paths

if TYPE_CHECKING:
    from devenv.console import Ui

log = logging.getLogger("devenv.artifacts")
CHUNK = 1 << 16


def cache_root() -> Path:
    return paths().cache / "artifacts"


def maven_dir() -> Path:
    return cache_root() / "maven"


def pypi_dir() -> Path:
    return cache_root() / "pypi"


def cached_path(a: Artifact) -> Path:
    """Where `a` lives in the cache; a path that is not plain relative or leaves the cache is refused."""
    from devenv.confine import within

    roots = {"maven": maven_dir, "pypi": pypi_dir}
    if a.source not in roots:
        raise DevenvError(f"{a.coords}: unknown artifact source {a.source!r}", hint="regenerate the lock: devenv lock")
    return within(roots[a.source](), a.path, f"{a.coords}: lock path")


def _stamp(p: Path) -> Path:
    return p.with_name(p.name + ".verified")


def is_verified(a: Artifact) -> bool:
    """True if the cached file exists and matches the lock (hashing only when the file changed)."""
    p = cached_path(a)
    try:
        st = p.stat()
    except FileNotFoundError:
        return False
    if st.st_size != a.size:
        return False
    stamp = _stamp(p)
    key = f"{a.sha256} {st.st_size} {st.st_mtime_ns}"
    try:
        if stamp.read_text(encoding="ascii").strip() == key:
            return True
    except OSError:
        pass
    if sha256_file(p) != a.sha256:
        return False
    stamp.write_text(key + "\n", encoding="ascii")
    return True


class ChecksumError(DevenvError):
    pass


def verify_or_remove(a: Artifact) -> None:
    """Raise naming the file (and remove it) if the cached copy is corrupt, truncated or tampered with."""
    p = cached_path(a)
    if not p.exists():
        raise DevenvError(f"{a.coords}: {p} is missing from the cache", hint="run devenv fetch")
    size = p.stat().st_size
    digest = sha256_file(p)
    if size != a.size or digest != a.sha256:
        p.unlink(missing_ok=True)
        _stamp(p).unlink(missing_ok=True)
        raise ChecksumError(
            f"{p} does not match the lock and was removed: {a.coords} should be {a.size} bytes with sha256 {a.sha256}, "
            f"the file had {size} bytes with sha256 {digest}",
            hint="run devenv fetch to download it again; if it fails the same way, the repository or a proxy serves a different file",
        )
    _stamp(p).write_text(f"{a.sha256} {size} {p.stat().st_mtime_ns}\n", encoding="ascii")


def missing(lock: Lock) -> list[Artifact]:
    return [a for a in lock.unique() if not is_verified(a)]


# --- downloading ---------------------------------------------------------

@dataclass
class FetchResult:
    fetched: int = 0
    bytes_downloaded: int = 0
    already: int = 0
    seconds: float = 0.0


def _opener(ca_pem: str | None, proxies: Mapping[str, str]) -> urllib.request.OpenerDirector:
    ctx = ssl.create_default_context()
    if ca_pem:
        ctx.load_verify_locations(cadata=ca_pem)
    handlers: list[urllib.request.BaseHandler] = [urllib.request.HTTPSHandler(context=ctx)]
    prox = {k: proxies[v] for k, v in (("http", "HTTP_PROXY"), ("https", "HTTPS_PROXY")) if proxies.get(v)}
    handlers.append(urllib.request.ProxyHandler(prox or None))
    return urllib.request.build_opener(*handlers)


def pypi_urls(opener: urllib.request.OpenerDirector, index: str, artifacts: list[Artifact]) -> dict[str, str]:
    """File name -> download URL, from the simple index (PEP 691 JSON, or the HTML page)."""
    urls: dict[str, str] = {}
    projects = {re.sub(r"[-_.]+", "-", a.coords.split("==")[0]).lower() for a in artifacts}
    for project in sorted(projects):
        page = f"{index}/{project}/"
        req = urllib.request.Request(page, headers={"Accept": "application/vnd.pypi.simple.v1+json, text/html;q=0.1"})
        try:
            with opener.open(req, timeout=60) as r:
                body = r.read().decode("utf-8", "replace")
                ctype = r.headers.get("Content-Type", "")
        except (urllib.error.URLError, OSError) as e:
            raise DevenvError(f"cannot read the PyPI index page {page}: {e}", hint="check [sources] pypi and [proxy] in the user config; `devenv doctor` tests the connection") from None
        if "json" in ctype:
            for f in json.loads(body).get("files", []):
                urls[f["filename"]] = urllib.parse.urljoin(page, f["url"])
        else:
            for href, name in re.findall(r'<a[^>]+href="([^"]+)"[^>]*>([^<]+)</a>', body):
                urls[name.strip()] = urllib.parse.urljoin(page, href.split("#")[0])
    return urls


class Cancelled(Exception):
    """The fetch was interrupted: this download stopped, its `.part` file kept for the next fetch to resume."""


def _download(opener: urllib.request.OpenerDirector, url: str, a: Artifact, advance: Callable[[int], None],
              stop: threading.Event | None = None) -> int:
    """Download to `<file>.part` (resuming a partial one), verify, move into place; returns bytes transferred.

    `stop` set (Ctrl-C) ends the download between two chunks, leaving the `.part` file to resume."""
    stop = stop or threading.Event()
    if stop.is_set():
        raise Cancelled(a.path)
    dest = cached_path(a)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    if have > a.size:
        part.unlink()
        have = 0
    headers = {"Range": f"bytes={have}-"} if have else {}
    transferred = 0
    for attempt in range(3):
        try:
            with opener.open(urllib.request.Request(url, headers=headers), timeout=60) as r:
                mode = "ab" if have and r.status == 206 else "wb"
                if mode == "wb" and have:
                    advance(-have)
                    have = 0
                with part.open(mode) as f:
                    while chunk := r.read1(CHUNK):
                        f.write(chunk)
                        transferred += len(chunk)
                        advance(len(chunk))
                        if stop.is_set():
                            raise Cancelled(a.path)
            got = part.stat().st_size
            if got < a.size:  # the connection closed early: resume, do not verify a truncated file
                raise OSError(f"the connection closed after {got} of {a.size} bytes")
            break
        except urllib.error.HTTPError as e:
            if e.code == 416 and have == a.size:
                break
            raise DevenvError(f"{a.coords}: {url} answered HTTP {e.code}", hint="check [sources] in the user config; the artifact may not exist in that repository") from None
        except (urllib.error.URLError, OSError, TimeoutError) as e:
            if attempt == 2:
                raise DevenvError(f"{a.coords}: download from {url} failed: {e}", hint="run devenv fetch again: it resumes where it stopped; `devenv doctor` checks the network") from None
            have = part.stat().st_size if part.exists() else 0
            headers = {"Range": f"bytes={have}-"} if have else {}
            if stop.wait(1 + attempt):
                raise Cancelled(a.path) from None
    part.replace(dest)
    verify_or_remove(a)
    return transferred


def fetch(lock: Lock, *, ui: "Ui", maven_repo: Callable[[], str], pypi_index: Callable[[], str],
          ca_pem: str | None, proxies: Mapping[str, str], offline: bool = False, jobs: int = 8) -> FetchResult:
    """Make every locked artifact present and verified in the cache."""
    start = time.monotonic()
    todo = missing(lock)
    result = FetchResult(already=len(lock.unique()) - len(todo))
    if not todo:
        result.seconds = time.monotonic() - start
        return result
    if offline:
        lines = [f"{a.coords} ({a.size / 1e6:.1f} MB) -> {cached_path(a)}" for a in todo]
        raise DevenvError(f"--offline: {len(todo)} of {len(lock.unique())} locked artifacts are not in the cache ({cache_root()})",
                          details=lines, hint="run devenv fetch where the repositories are reachable, then copy the cache directory here")
    opener = _opener(ca_pem, proxies)
    urls: dict[str, str] = {}
    mv = [a for a in todo if a.source == "maven"]
    if mv:
        base = maven_repo()
        urls.update({a.path: f"{base}/{a.path}" for a in mv})
    py = [a for a in todo if a.source == "pypi"]
    if py:
        found = pypi_urls(opener, pypi_index(), py)
        for a in py:
            if a.filename not in found:
                raise DevenvError(f"{a.coords}: {a.filename} is not listed on the PyPI index", hint="check [sources] pypi in the user config")
            urls[a.path] = found[a.filename]

    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

    total = sum(a.size for a in todo)
    lock_ = threading.Lock()
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(), TimeRemainingColumn(),
                  console=ui.err, disable=not ui.interactive, transient=False) as progress:
        task = progress.add_task(f"fetching {len(todo)} artifacts", total=total)

        def advance(n: int) -> None:
            with lock_:
                progress.advance(task, n)

        errors = _run_downloads(opener, urls, todo, advance, result, jobs)
    _record_stats(result.bytes_downloaded)
    result.seconds = time.monotonic() - start
    if errors:
        raise DevenvError(f"{len(errors)} artifact(s) could not be fetched; the others are in the cache",
                          details=[e.message for e in errors], hint=errors[0].hint)
    return result


def _run_downloads(opener: urllib.request.OpenerDirector, urls: Mapping[str, str], todo: list[Artifact],
                   advance: Callable[[int], None], result: FetchResult, jobs: int) -> list[DevenvError]:
    """Download in parallel; on Ctrl-C, cancel the queued downloads and stop the running ones at their next chunk."""
    errors: list[DevenvError] = []
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        futures = {pool.submit(_download, opener, urls[a.path], a, advance, stop): a for a in todo}
        for fut in as_completed(futures):
            try:
                result.bytes_downloaded += fut.result()
                result.fetched += 1
            except DevenvError as e:
                errors.append(e)
    except BaseException:  # Ctrl-C: do not wait for the queue
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        _record_stats(result.bytes_downloaded)
        raise
    pool.shutdown(wait=True)
    return errors


def _record_stats(n: int) -> None:
    """Bytes this cache has ever downloaded (the fetch benchmark compares it with the lock)."""
    f = cache_root() / "downloaded-bytes.json"
    try:
        data = json.loads(f.read_text()) if f.exists() else {"bytes": 0}
    except (OSError, ValueError):
        data = {"bytes": 0}
    data["bytes"] = int(data.get("bytes", 0)) + n
    fsutil.atomic_write(f, json.dumps(data))
