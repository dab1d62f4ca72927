"""pytest plugin (entry point `pytest11`): a devenv cluster for a test session, as the fixture `devenv_cluster`.

    def test_reads_hdfs(devenv_cluster):
        client = hdfs.InsecureClient(devenv_cluster.webhdfs_url.removesuffix("/webhdfs/v1"), user="hadoop")

The fixture starts (or, with reuse, attaches to) the profile's cluster once per
run and returns a frozen `devenv.cluster_info.ClusterInfo`. With pytest-xdist the
workers share one cluster (the first starts it, the others read its info file;
the controller removes it after the last worker), or each gets its own with
`--devenv-per-worker`. A failing test gets every service's log lines since it
started, in its report and in the artifacts directory. The decisions (names,
reuse, keep, the reaper of killed runs' clusters) live in `devenv.run_cluster`.

Loaded in every pytest run of an environment where devenv is installed, so it
costs nothing until a test asks for the fixture: only pytest and the standard
library are imported here at collection, and the engine is not called.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:
    from devenv.cluster_info import ClusterInfo

_STARTED = pytest.StashKey[float]()
_RUN_ID = pytest.StashKey[str]()
_NOTES = pytest.StashKey[list]()
_ACTIVE: dict[str, Any] = {}  # this process's cluster, once a test asked for it
REPORT_LINES = 200  # per service in a failing test's report; the artifacts directory has every line


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("devenv", "devenv cluster (the devenv_cluster fixture)")
    g.addoption("--devenv-profile", metavar="NAME|PATH", help="profile of the cluster (default: as devenv chooses: $DEVENV_PROFILE, devenv.toml, default)")
    g.addoption("--devenv-name", metavar="NAME", help="cluster name (default: pytest-PROFILE with reuse, else one per run)")
    g.addoption("--devenv-reuse", dest="devenv_reuse", action="store_true", default=None,
                help="attach to a running cluster of the same profile and lock (default: on, off under CI=true)")
    g.addoption("--devenv-no-reuse", dest="devenv_reuse", action="store_false", help="always start a new cluster")
    g.addoption("--devenv-keep", choices=("never", "on-failure", "always"),
                help="keep the cluster this run started (default: always with reuse, else never)")
    g.addoption("--devenv-seed", action="store_true", help="seed the cluster (TPC-H and the profile's [[seed]] steps) before the tests")
    g.addoption("--devenv-per-worker", action="store_true", help="pytest-xdist: one cluster per worker, on free ports")
    g.addoption("--devenv-ports", choices=("auto", "fixed"), help="auto (default): free host ports where the standard ones are busy")
    g.addoption("--devenv-wait-timeout", type=float, metavar="SECONDS", help="give up waiting for readiness after this long (default 600)")
    g.addoption("--devenv-artifacts", default="devenv-artifacts", metavar="DIR", help="where a failing test's service logs are written")
    parser.addini("devenv_scope", "scope of devenv_cluster and devenv_options: session (default) or module (a cluster per module)",
                  default="session")


def _identity(config: pytest.Config) -> tuple[str, int, str | None]:
    """(run id, owner pid, xdist worker id): a worker's run is its controller's, which owns the shared cluster."""
    worker = getattr(config, "workerinput", None)
    if worker:
        return str(worker["testrunuid"]), os.getppid(), str(worker["workerid"])
    if _RUN_ID not in config.stash:
        config.stash[_RUN_ID] = uuid.uuid4().hex
    return config.stash[_RUN_ID], os.getpid(), None


OPTION_KEYS = ("profile", "name", "reuse", "keep", "seed", "per_worker", "ports", "wait_timeout")


def _options(config: pytest.Config, defaults: dict[str, Any] | None = None) -> Any:
    """The command line's --devenv-* options; what it leaves unset comes from `defaults` (the devenv_options fixture)."""
    from devenv import run_cluster
    from devenv.errors import UsageError

    unknown = set(defaults or {}) - set(OPTION_KEYS)
    if unknown:
        raise UsageError(f"devenv_options: unknown key(s) {', '.join(sorted(unknown))}; known: {', '.join(OPTION_KEYS)}")
    given = {k: getattr(config.option, f"devenv_{k}") for k in OPTION_KEYS}
    chosen = {k: v if v not in (None, False) else (defaults or {}).get(k, v) for k, v in given.items()}
    chosen["ports"] = chosen["ports"] or "auto"
    chosen["wait_timeout"] = chosen["wait_timeout"] or 600
    return run_cluster.options(**chosen)


def _scope(fixture_name: str, config: pytest.Config) -> Any:
    scope = config.getini("devenv_scope") or "session"
    if scope not in ("session", "module"):
        raise pytest.UsageError(f"devenv_scope = {scope!r}: choose session or module")
    return scope


@pytest.fixture(scope=_scope)
def devenv_options() -> dict[str, Any]:
    """Defaults for the --devenv-* options (keys: profile, name, reuse, keep, seed, per_worker, ports, wait_timeout).

    Override it in a conftest.py (or, with `devenv_scope = module`, in a test module) to choose the cluster
    in code; options given on the command line still win.
    """
    return {}


def _failure(e: Any) -> str:
    return "\n".join([e.message, *(f"  {d}" for d in e.details), *([f"hint: {e.hint}"] if e.hint else [])])


@pytest.fixture(scope=_scope)
def devenv_cluster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                   devenv_options: dict[str, Any]) -> Iterator["ClusterInfo"]:
    """The profile's cluster, started or reused once per run (shared by xdist workers), as a frozen ClusterInfo."""
    from devenv import run_cluster
    from devenv.console import Ui
    from devenv.errors import DevenvError

    config = request.config
    run_id, pid, worker = _identity(config)
    try:
        opts = _options(config, devenv_options)
        start = lambda: run_cluster.acquire(opts, run_id=run_id, owner_pid=pid, worker=worker, ui=Ui(no_color=True))  # noqa: E731
        if worker and not opts.per_worker:  # the controller removes the shared cluster (pytest_sessionfinish)
            info, owned = run_cluster.shared(tmp_path_factory.getbasetemp().parent, start, wait=opts.wait_timeout + 300, keep=opts.keep), False
        else:
            info, owned = start()
    except DevenvError as e:
        pytest.fail(_failure(e), pytrace=False)
    _ACTIVE["info"] = info
    yield info
    _ACTIVE.pop("info", None)
    if owned:
        _note(config, run_cluster.finish(info.name, owned=True, keep=opts.keep, failed=request.session.testsfailed > 0))


def _note(config: pytest.Config, text: str) -> None:
    config.stash.setdefault(_NOTES, []).append(text)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    item.stash[_STARTED] = time.time()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    info = _ACTIVE.get("info")
    if info is not None and report.failed:
        _attach_logs(item, report, info)


def _attach_logs(item: pytest.Item, report: pytest.TestReport, info: "ClusterInfo") -> None:
    """Each service's log lines since the test started: in the report (the last REPORT_LINES) and in the artifacts directory."""
    from devenv.errors import DevenvError
    from devenv.redact import redact

    since = item.stash.get(_STARTED, None)
    out = Path(item.config.option.devenv_artifacts)
    out = (out if out.is_absolute() else item.config.invocation_params.dir / out) / re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)
    out.mkdir(parents=True, exist_ok=True)
    for svc in info.services:
        try:
            text = redact(info.logs(svc, since=since))
        except DevenvError as e:
            text = f"(no log: {e.message})\n"
        (out / f"{svc}.log").write_text(text, encoding="utf-8")
        lines = text.splitlines()
        shown = "\n".join(lines[-REPORT_LINES:]) or "(no lines since the test started)"
        report.sections.append((f"devenv {info.name} {svc} log ({len(lines)} lines; all in {out})", shown))


def _xdist_controller(config: pytest.Config) -> bool:
    return not hasattr(config, "workerinput") and getattr(config.option, "dist", "no") != "no"


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """pytest-xdist's controller removes (or keeps) the cluster its workers shared, after the last of them ended."""
    config = session.config
    if not _xdist_controller(config) or config.option.devenv_per_worker:
        return
    root = config._tmp_path_factory.getbasetemp()  # type: ignore[attr-defined]  # the workers' basetemp parent
    if not (root / "devenv-cluster.json").is_file():
        return  # no worker asked for the cluster
    from devenv import run_cluster

    record = run_cluster.shared_record(root)
    if record and record.get("owned"):
        _note(config, run_cluster.finish(record["info"]["name"], owned=True, keep=record["keep"], failed=session.testsfailed > 0))


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    for text in config.stash.get(_NOTES, []):
        terminalreporter.write_line(f"devenv: {text}")
