"""Seed atomicity with a step that fails partway: the previous data stays in place, the record unchanged.

Only devenv.docker is faked, and the fake runs the very shell devenv sends to the
container with real bash, on this machine. Its `hdfs` is a small stand-in for the
`hdfs dfs` commands seeding uses, over a local directory, that fails on demand at
the upload or at the rename: so what is checked is what the generated shell does
when a command in it fails, not what its text looks like.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from devenv import docker, seed
from devenv.errors import DevenvError

HDFS = r"""#!/usr/bin/env bash
# hdfs dfs over a local directory ($HDFS_ROOT); fails when the regex $HDFS_FAIL matches "<op> <paths>".
set -uo pipefail
[ "${1:-}" = dfs ] || { echo "only dfs" >&2; exit 2; }
op=$2; shift 2
paths=(); force=0
for a in "$@"; do case $a in -f) force=1 ;; -*) [ "$a" = - ] && paths+=("$a") ;; *) paths+=("$a") ;; esac; done
if [ -n "${HDFS_FAIL:-}" ] && [[ "$op ${paths[*]}" =~ $HDFS_FAIL ]]; then echo "$op: injected failure at ${paths[-1]}" >&2; exit 1; fi
p() { printf '%s/%s' "$HDFS_ROOT" "${1#/}"; }
case $op in
  -mkdir) for h in "${paths[@]}"; do mkdir -p "$(p "$h")"; done ;;
  -test) [ -e "$(p "${paths[0]}")" ] ;;
  -mv) s=$(p "${paths[0]}"); d=$(p "${paths[1]}")
       { [ -e "$s" ] && [ ! -e "$d" ] && [ -d "$(dirname "$d")" ]; } || { echo "mv: cannot move ${paths[0]} to ${paths[1]}" >&2; exit 1; }
       mv "$s" "$d" ;;
  -put) s=${paths[0]}; d=$(p "${paths[1]}")
        { [ -d "$(dirname "$d")" ] && { [ ! -e "$d" ] || [ $force = 1 ]; }; } || { echo "put: cannot write ${paths[1]}" >&2; exit 1; }
        if [ "$s" = - ]; then cat > "$d"; else cp -r "$s" "$d"; fi ;;
  -rm) for h in "${paths[@]}"; do rm -rf "$(p "$h")"; done ;;
  -cat) cat "$(p "${paths[0]}")" ;;
  *) echo "unsupported: $op" >&2; exit 2 ;;
esac
"""

PROFILE = """schema = 1
name = "s"
extends = "default"

[[seed]]
copy = "data/people.csv"
to = "/seed/people/people.csv"
"""


class LocalContainers:
    """devenv.docker for seeding: every service's shell is bash on this machine, HDFS a local directory."""

    def __init__(self, tmp: Path) -> None:
        self.hdfs = tmp / "hdfs"
        self.hdfs.mkdir()
        self.bin = tmp / "bin"
        self.bin.mkdir()
        shim = self.bin / "hdfs"
        shim.write_text(HDFS)
        shim.chmod(0o755)
        self.fail = ""
        self.scratch: set[str] = set()

    def containers(self, cluster=None, *, all=True):
        return [docker.ContainerInfo(f"id-{s}", f"devenv-{cluster}-{s}-1", s, cluster, "s", "running", 0, "img", "", ())
                for s in ("namenode", "datanode-1", "metastore", "hiveserver2", "spark-history")]

    def exec_in(self, container, command, *, user=None, envs=None, idempotent=False):
        env = {**os.environ, "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}", "HDFS_ROOT": str(self.hdfs), "HDFS_FAIL": self.fail}
        p = subprocess.run(list(command), capture_output=True, text=True, env=env)
        return p.stdout + p.stderr

    def copy_to(self, container, source: Path, dest: str) -> None:
        self.scratch.add(dest.rsplit("/", 1)[0])
        Path(dest).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)

    def read(self, hdfs_path: str) -> str:
        return (self.hdfs / hdfs_path.lstrip("/")).read_text()


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    c = LocalContainers(tmp_path)
    monkeypatch.setattr(docker, "containers", c.containers)
    monkeypatch.setattr(docker, "exec_in", c.exec_in)
    monkeypatch.setattr(docker, "copy_to", c.copy_to)
    yield c
    for d in c.scratch:  # the edge node's scratch directory (seed removes it; this is in case it did not)
        shutil.rmtree(d, ignore_errors=True)


def _ctx(path: Path):
    from devenv.console import Ui
    from devenv.context import Context

    return Context.load(str(path), Ui())


def _seeded_once(tmp_path: Path, local: LocalContainers) -> tuple[Path, dict]:
    d = tmp_path / "prof"
    (d / "data").mkdir(parents=True)
    (d / "data" / "people.csv").write_text("1,ada\n")
    (d / "s.toml").write_text(PROFILE)
    assert seed.seed(_ctx(d / "s.toml"), "c1").seeded == ["people.csv"]
    assert local.read("/seed/people/people.csv") == "1,ada\n"
    (d / "data" / "people.csv").write_text("2,bob\n")  # a changed input: the next seed replaces the data
    return d / "s.toml", json.loads(seed.record_path("c1").read_text())


@pytest.mark.parametrize("failing", [r"-mv /seed/\.tmp/\w+-0 /seed/people/people\.csv$", r"-put \S+ /seed/\.tmp/"], ids=["rename", "upload"])
def test_a_copy_that_fails_partway_keeps_the_previous_data_and_record(tmp_path: Path, local: LocalContainers, failing: str) -> None:
    prof, record = _seeded_once(tmp_path, local)
    local.fail = failing  # the rename of the upload into place (not the move back), or the upload under /seed/.tmp
    with pytest.raises(DevenvError) as e:
        seed.seed(_ctx(prof), "c1")
    assert e.value.message.startswith("seed[0] people.csv: copying people.csv to /seed/people/people.csv failed (exit ")
    assert local.read("/seed/people/people.csv") == "1,ada\n"
    assert json.loads(seed.record_path("c1").read_text()) == record
    local.fail = ""
    assert seed.seed(_ctx(prof), "c1").seeded == ["people.csv"]  # and the next seed puts the new version in place
    assert local.read("/seed/people/people.csv") == "2,bob\n"
    assert sorted(p.name for p in (local.hdfs / "seed" / ".tmp").iterdir()) == []  # nothing half-written left behind
