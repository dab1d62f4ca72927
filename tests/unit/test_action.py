"""The GitHub Action's scripts (ci/action/devenv_action.py), run for real with fake $GITHUB_ENV and
$GITHUB_OUTPUT files and fake `devenv` and `docker` commands on PATH that log their arguments."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO

SCRIPT = REPO / "ci" / "action" / "devenv_action.py"
READY = {"event": "ready", "cluster": "ci", "already_running": False, "seconds": 41.5, "services": {"namenode": 12.0},
         "endpoints": [{"service": "namenode", "what": "HDFS web UI", "url": "http://localhost:9870"},
                       {"service": "namenode", "what": "HDFS RPC", "url": "hdfs://localhost:8020"},
                       {"service": "resourcemanager", "what": "YARN web UI", "url": "http://localhost:8088"},
                       {"service": "metastore", "what": "Hive metastore", "url": "thrift://localhost:9083"},
                       {"service": "hiveserver2", "what": "HiveServer2 JDBC", "url": "jdbc:hive2://localhost:10000/default"}]}


def fake_tools(tmp: Path, *, up_rc: int = 0, logs_rc: int = 0) -> Path:
    """`devenv` and `docker` that append their arguments to calls.log and answer like the real ones."""
    bindir = tmp / "bin"
    bindir.mkdir()
    (tmp / "ready.json").write_text(json.dumps({"event": "start", "project": "devenv-ci"}) + "\n" + json.dumps(READY) + "\n")
    (tmp / "cc.json").write_text(json.dumps({"schema": 1, "env": {"HADOOP_CONF_DIR": "/h/client/hadoop",
                                                                   "SPARK_CONF_DIR": "/h/client/spark", "HADOOP_USER_NAME": "hadoop"}}))
    (tmp / "images.json").write_text(json.dumps({"schema": 1, "images": [
        {"tag": "devenv/hadoop:abc", "in_use": True}, {"tag": "devenv/old:1", "in_use": False}, {"tag": "<untagged>", "in_use": True}]}))
    log = tmp / "calls.log"
    (bindir / "devenv").write_text(f"""#!/bin/sh
echo "devenv $*" >> '{log}'
case "$*" in
  *" up "*) [ {up_rc} = 0 ] && cat '{tmp}/ready.json'; echo "building" >&2; exit {up_rc} ;;
  *client-config*) cat '{tmp}/cc.json' ;;
  *images*) cat '{tmp}/images.json' ;;
  logs*) mkdir -p "$5"; echo log > "$5/namenode.log"; exit {logs_rc} ;;
esac
""")
    (bindir / "docker").write_text(f'#!/bin/sh\necho "docker $*" >> \'{log}\'\n')
    for f in bindir.iterdir():
        f.chmod(0o755)
    return bindir


def run(tmp: Path, bindir: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str], dict[str, str], list[str]]:
    """Run one step; (process, GITHUB_ENV as a dict, GITHUB_OUTPUT as a dict, the logged tool calls)."""
    env_f, out_f = tmp / "github_env", tmp / "github_output"
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "GITHUB_ENV": str(env_f), "GITHUB_OUTPUT": str(out_f)}
    p = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, env=env, cwd=tmp, timeout=60)
    read = lambda f: dict(line.split("=", 1) for line in f.read_text().splitlines()) if f.exists() else {}  # noqa: E731
    calls = (tmp / "calls.log").read_text().splitlines() if (tmp / "calls.log").exists() else []
    return p, read(env_f), read(out_f), calls


def test_up_exports_connection_variables_and_outputs(tmp_path: Path) -> None:
    p, env, out, calls = run(tmp_path, fake_tools(tmp_path), "up", "--name", "ci", "--wait-timeout", "300", "--seed")
    assert p.returncode == 0, p.stdout + p.stderr
    assert calls[0] == "devenv --json up --name ci --wait-timeout 300 --seed"
    assert calls[1] == "devenv --json client-config --name ci"
    assert env == {"DEVENV_CLUSTER": "ci", "HADOOP_CONF_DIR": "/h/client/hadoop", "SPARK_CONF_DIR": "/h/client/spark",
                   "HADOOP_USER_NAME": "hadoop", "DEVENV_HDFS_URL": "hdfs://localhost:8020", "DEVENV_HDFS_WEB_URL": "http://localhost:9870",
                   "DEVENV_YARN_URL": "http://localhost:8088", "DEVENV_METASTORE_URI": "thrift://localhost:9083",
                   "DEVENV_HIVE_JDBC_URL": "jdbc:hive2://localhost:10000/default"}
    assert out["cluster"] == "ci" and out["seconds"] == "41.5"
    assert json.loads(out["endpoints"]) == READY["endpoints"]
    assert '"event": "ready"' in p.stdout  # the events stay in the step's log


def test_up_passes_the_profile_and_fails_with_an_annotation(tmp_path: Path) -> None:
    p, env, out, calls = run(tmp_path, fake_tools(tmp_path, up_rc=1), "up", "--name", "ci", "--profile", "ci/devenv.toml")
    assert p.returncode == 1
    assert calls == ["devenv --profile ci/devenv.toml --json up --name ci --wait-timeout 900"]
    assert "::error title=devenv::devenv up failed (exit 1)" in p.stdout
    assert env == {} and out == {}


def test_up_without_a_github_env_file_says_so(tmp_path: Path) -> None:
    bindir = fake_tools(tmp_path)
    p = subprocess.run([sys.executable, str(SCRIPT), "up", "--name", "ci"], capture_output=True, text=True, timeout=60,
                       env={k: v for k, v in {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}"}.items()
                            if k not in ("GITHUB_ENV", "GITHUB_OUTPUT")})
    assert p.returncode == 1
    assert "$GITHUB_ENV is not set" in p.stdout


def test_cleanup_exports_logs_then_removes_the_cluster(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    p, _env, out, calls = run(tmp_path, fake_tools(tmp_path), "cleanup", "--name", "ci", "--logs-dir", str(logs))
    assert p.returncode == 0, p.stdout + p.stderr
    assert calls == [f"devenv logs --name ci --export {logs}", "devenv down --name ci --volumes --yes"]
    assert out == {"logs-dir": str(logs)}
    assert (logs / "namenode.log").read_text() == "log\n"


def test_cleanup_still_stops_the_cluster_when_the_export_fails_and_keep_skips_down(tmp_path: Path) -> None:
    bindir = fake_tools(tmp_path, logs_rc=3)
    p, _env, _out, calls = run(tmp_path, bindir, "cleanup", "--name", "ci", "--logs-dir", "x")
    assert p.returncode == 1 and "log export failed" in p.stdout
    assert calls[-1] == "devenv down --name ci --volumes --yes"
    (tmp_path / "calls.log").unlink()
    _p, _env, _out, calls = run(tmp_path, bindir, "cleanup", "--name", "ci", "--logs-dir", "x", "--keep")
    assert calls == ["devenv logs --name ci --export x"]


def test_images_save_only_the_images_in_use_and_load_only_an_existing_tar(tmp_path: Path) -> None:
    bindir = fake_tools(tmp_path)
    tar = tmp_path / "c" / "images.tar"
    p, *_ , calls = run(tmp_path, bindir, "images-load", str(tar))
    assert p.returncode == 0 and "no image cache" in p.stdout and calls == []
    p, *_ , calls = run(tmp_path, bindir, "images-save", str(tar))
    assert p.returncode == 0
    assert calls == ["devenv --json images", f"docker save -o {tar} devenv/hadoop:abc"]
    tar.write_text("tar")
    _p, *_ , calls = run(tmp_path, bindir, "images-load", str(tar))
    assert calls[-1] == f"docker load -i {tar}"


def test_the_cache_key_follows_the_templates_and_the_workspace_profile(tmp_path: Path) -> None:
    bindir = fake_tools(tmp_path)
    key = lambda: run(tmp_path, bindir, "cache-key", "--action-dir", str(REPO))[2]["key"]  # noqa: E731
    first = key()
    assert first.startswith("devenv-") and first == key()
    (tmp_path / "devenv.toml").write_text('schema = 1\nname = "x"\n')
    assert key() != first


def test_action_files_declare_the_inputs_and_run_each_script_step() -> None:
    main = (REPO / "action.yml").read_text()
    inputs = main.split("\ninputs:\n", 1)[1].split("\noutputs:\n", 1)[0]
    assert re.findall(r"^  ([a-z-]+):$", inputs, re.M) == ["profile", "name", "seed", "wait-timeout"]
    assert "  using: composite" in main
    for step in ("cache-key", "images-load", "images-save"):
        assert f'devenv_action.py" {step} ' in main
    assert 'devenv_action.py" "${args[@]}"' in main and "args=(up --name" in main
    cleanup = (REPO / "ci" / "action" / "cleanup" / "action.yml").read_text()
    assert 'python3 "$GITHUB_ACTION_PATH/../devenv_action.py" "${args[@]}"' in cleanup
    assert "      if: always()\n      uses: actions/upload-artifact@v4" in cleanup
