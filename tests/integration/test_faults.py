"""Issue 10: faults lose no data and leave no cluster half-changed, on the real engine.

One cluster, `ci-faults`, from a profile file that extends the built-in `default` (same versions, same images: a
file so that a config change can be made to it), started once for the module and removed with its data at the end.
Only containers named `devenv-ci-faults-*` are touched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from integration.conftest import REPO, devenv, integration_home

pytestmark = pytest.mark.docker

NAME = "ci-faults"
PROFILE = 'schema = 1\nname = "faults"\nextends = "default"\n'
CHANGE = '\n[config.hive-site]\n"hive.exec.parallel" = "true"\n'
TABLE_ROWS = 3


def up(profile: Path, *extra: str, check: bool = True):
    return devenv("--profile", str(profile), "--json", "up", "--name", NAME, "--ports", "auto", *extra, check=check)


def ex(service: str, script: str, *, check: bool = True):
    return devenv("exec", service, "--name", NAME, "--", "bash", "-c", script, check=check, timeout=900)


def container(service: str) -> str:
    from devenv import docker

    return next(c.name for c in docker.containers(NAME) if c.service == service)


def ready() -> bool:
    r = devenv("--json", "status", "--name", NAME, check=False)
    return r.code == 0 and r.json()["ready"] is True


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory):
    f = tmp_path_factory.mktemp("faults") / "faults.toml"
    f.write_text(PROFILE)
    devenv("down", "--name", NAME, "--volumes", "--yes", check=False)
    up(f)
    yield f
    devenv("logs", "--name", NAME, "--export", str(integration_home() / "exported-logs" / NAME), check=False)
    devenv("down", "--name", NAME, "--volumes", "--yes", check=False)


def _spawn_up(profile: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "DEVENV_HOME": str(integration_home()), "NO_COLOR": "1"}
    # a background job of a non-interactive shell starts with SIGINT ignored: give devenv the default, as a terminal does
    return subprocess.Popen([sys.executable, "-m", "devenv", "--profile", str(profile), "--json", "up", "--name", NAME,
                             "--ports", "auto"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


def test_two_concurrent_ups_of_one_cluster(profile: Path) -> None:
    devenv("down", "--name", NAME)  # stopped, data kept: the next up has real work to do
    procs = [_spawn_up(profile) for _ in range(2)]
    results = [(p.wait(timeout=1800), *p.communicate()) for p in procs]
    codes = sorted(code for code, _out, _err in results)
    assert codes == [0, 1], results
    refused = next(out + err for code, out, err in results if code == 1)  # --json: the error is a JSON object on stdout
    assert f"cluster '{NAME}' is being changed by process" in refused and " since " in refused
    assert ready()


def test_sigint_during_up_from_cold_then_up_completes(profile: Path) -> None:
    devenv("down", "--name", NAME)
    p = _spawn_up(profile)
    assert p.stdout is not None
    for line in p.stdout:  # Ctrl-C once the containers are being started and waited for
        if line.startswith("{") and json.loads(line).get("event") in ("start", "progress"):
            break
    p.send_signal(signal.SIGINT)
    code = p.wait(timeout=120)
    assert code == 130, p.communicate()
    up(profile)
    assert ready()


def test_a_config_change_keeps_every_running_container_configured(profile: Path) -> None:
    from devenv import docker

    before = {c.service: c.id for c in docker.containers(NAME)}
    profile.write_text(PROFILE + CHANGE)
    up(profile)
    after = {c.service: c.id for c in docker.containers(NAME)}
    untouched = [s for s in before if after.get(s) == before[s]]
    assert "namenode" in untouched and "spark-history" in untouched, (before, after)
    for service in ("namenode", "spark-history", "datanode-1"):
        assert ex(service, "hdfs getconf -confKey fs.defaultFS").out.strip().endswith("hdfs://devenv"), service
    assert "hive.exec.parallel" in ex("hiveserver2", "cat /etc/hive/conf/hive-site.xml").out
    assert ready()


def test_kill_9_of_namenode_datanode_and_metastore_db_is_healed_by_up(profile: Path) -> None:
    from python_on_whales import docker as pw

    rows = "\\n".join(str(i) for i in range(1, TABLE_ROWS + 1))
    ex("namenode", f"hdfs dfs -mkdir -p /faults/t && printf '{rows}\\n' | hdfs dfs -put -f - /faults/t/rows.txt"
                   " && echo kept | hdfs dfs -put -f - /faults/file.txt")
    beeline = "beeline -u jdbc:hive2://hiveserver2:10000/default -n hadoop --silent=true --outputformat=csv2"
    ex("hiveserver2", f"{beeline} -e \"CREATE EXTERNAL TABLE IF NOT EXISTS faults_t (i INT) LOCATION '/faults/t'\"")

    for service in ("namenode", "datanode-1", "metastore-db"):
        name = container(service)
        assert name.startswith(f"devenv-{NAME}-")
        pw.kill(name, signal="KILL")
    assert not ready()

    up(profile)
    assert ready()
    assert ex("namenode", "hdfs dfs -cat /faults/file.txt").out.strip() == "kept"
    out = ex("hiveserver2", f"{beeline} -e 'SELECT i FROM faults_t'").out
    assert [ln for ln in out.splitlines() if ln.strip().isdigit()] == [str(i) for i in range(1, TABLE_ROWS + 1)]
