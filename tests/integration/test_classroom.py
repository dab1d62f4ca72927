"""Issue 13, the trainer's path end to end on the real engine, in one test (a CI budget of a few minutes):

export a bundle from the test home; import it into a fresh home whose every source is unreachable
(HTTP(S)_PROXY at a listener that records connections); import again (nothing changes); doctor says
the profile can run offline; `class up --students 2 --seed` (capacity checked, a port block each,
seeded, a class snapshot each); the roster as JSON and HTML; break student 1 (drop a Hive table,
delete a table's files, add a directory); `class reset` it: the HDFS checksums and Hive row counts
equal those before; student 2 was never touched; `class down --volumes`; the listener saw nothing.

The engine is shared with other devenv homes, so the test does not delete the profile's images to
prove the load: `bundle import --reload-images` runs the real `docker load` of the bundle's archive.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from integration.conftest import devenv, integration_home
from integration.test_offline import unreachable_everywhere

pytestmark = [pytest.mark.docker, pytest.mark.classroom]  # opt-in: pytest -m classroom (about 10 min)

PREFIX = "cls-ci"
PORT_BASE = 42000
HIVE = ("hiveserver2", "beeline", "-u", "jdbc:hive2://hiveserver2:10000/default", "-n", "hadoop", "--silent=true", "--outputformat=csv2", "-e")
TABLES = ("region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem")


def _checksums(env: dict[str, str], name: str) -> dict[str, str]:
    """HDFS file checksum of every file under /seed (HDFS's own MD5-of-CRC checksums)."""
    out = devenv("exec", "--name", name, "namenode", "--", "bash", "-c",
                 "hdfs dfs -ls -R /seed | awk '$1 !~ /^d/ {print $8}' | xargs hdfs dfs -checksum", env=env).out
    found = dict(line.split("\t", 1) for line in out.splitlines() if line.startswith("/seed/"))
    assert len(found) >= len(TABLES), out
    return found


def _counts(env: dict[str, str], name: str) -> dict[str, int]:
    """Each table's count(*) through HiveServer2, answered from the metastore's statistics (the seed computed them):
    a count(*) that ran a YARN job per table would take minutes on a 2-core machine with two clusters up."""
    sql = "set hive.compute.query.using.stats=true; " + " ".join(f"SELECT count(*) FROM tpch.{t};" for t in TABLES)
    out = devenv("exec", "--name", name, *HIVE[:1], "--", *HIVE[1:-1], "--showHeader=false", "-e", sql, env=env).out
    numbers = [int(line) for line in out.split() if line.isdigit()]
    assert len(numbers) == len(TABLES), out
    return dict(zip(TABLES, numbers))


@pytest.fixture
def trainer():
    """(the bundle, a fresh home's env with nothing reachable, the listener); the class and the home are removed afterwards."""
    home = integration_home() / "tmp-classroom-home"  # a fixed place: a turn cut short can still `class down` it
    shutil.rmtree(home, ignore_errors=True)
    env, listener = unreachable_everywhere(home)
    bundle = integration_home() / "tmp-classroom.devenv-bundle.tar.zst"
    try:
        yield bundle, env, listener
    finally:
        devenv("class", "down", "--prefix", PREFIX, "--volumes", check=False, env=env)
        listener.close()
        bundle.unlink(missing_ok=True)
        shutil.rmtree(home, ignore_errors=True)


def test_a_trainer_exports_imports_offline_runs_a_class_breaks_resets_and_ends_it(trainer) -> None:
    bundle, env, listener = trainer
    t = time.monotonic()
    exported = devenv("--json", "bundle", "export", "-o", str(bundle)).json()
    print(f"\nexport: {exported['bytes'] / 1e6:.0f} MB (images {exported['image_bytes'] / 1e6:.0f} MB, "
          f"artifacts {exported['artifact_bytes'] / 1e6:.0f} MB) in {time.monotonic() - t:.0f} s")

    t = time.monotonic()
    first = devenv("--json", "bundle", "import", "--reload-images", str(bundle), env=env).json()
    print(f"import: {time.monotonic() - t:.0f} s")
    assert first["artifacts_added"] == exported["members"] - 5 and first["artifacts_present"] == 0, first  # header, 2 profile files, images, manifest
    assert {tag.split(":")[0] for tag in first["images_loaded"]} >= {"devenv/jvm", "devenv/hadoop", "devenv/hive", "devenv/spark", "devenv/postgres"}
    again = devenv("--json", "bundle", "import", str(bundle), env=env).json()
    assert (again["artifacts_added"], again["images_loaded"]) == (0, []) and again["artifacts_present"] == first["artifacts_added"]
    doctor = devenv("doctor", "--check", "cache.runnable-offline", env=env)
    assert "profile 'default' can run with no network" in doctor.out, doctor.out

    t = time.monotonic()
    devenv("class", "up", "--students", "2", "--prefix", PREFIX, "--port-base", str(PORT_BASE), "--seed", "--jobs", "2", env=env)
    print(f"class up --students 2 --seed --jobs 2: {time.monotonic() - t:.0f} s")
    page = Path(env["DEVENV_HOME"]) / "roster.html"
    roster = devenv("--json", "class", "status", "--prefix", PREFIX, "--html", str(page), env=env).json()
    students = {s["student"]: s for s in roster["students"]}
    assert list(students) == [f"{PREFIX}-1", f"{PREFIX}-2"] and all(s["ready"] for s in students.values()), roster
    assert students[f"{PREFIX}-2"]["hdfs"].endswith(f":{students[f'{PREFIX}-2']['ports']['namenode/rpc']}")
    assert not set(students[f"{PREFIX}-1"]["ports"].values()) & set(students[f"{PREFIX}-2"]["ports"].values())
    assert page.read_text().count("<tr><td>cls-ci-") == 2 and students[f"{PREFIX}-1"]["jdbc"] in page.read_text()

    one, two = f"{PREFIX}-1", f"{PREFIX}-2"
    sums, counts, counts_two = _checksums(env, one), _counts(env, one), _counts(env, two)
    assert set(counts) == set(TABLES) and counts["nation"] == 25, counts
    lineitem = next(p for p in sums if "/lineitem/" in p)
    devenv("exec", "--name", one, *HIVE[:1], "--", *HIVE[1:], "DROP TABLE tpch.nation", env=env)
    devenv("exec", "--name", one, "namenode", "--", "hdfs", "dfs", "-rm", "-skipTrash", lineitem, env=env)
    devenv("exec", "--name", one, "namenode", "--", "hdfs", "dfs", "-mkdir", "-p", "/seed/broken", env=env)
    assert _checksums(env, one) != sums

    t = time.monotonic()
    devenv("class", "reset", one, "--prefix", PREFIX, env=env)
    print(f"class reset: {time.monotonic() - t:.0f} s")
    assert _checksums(env, one) == sums
    assert _counts(env, one) == counts
    assert _counts(env, two) == counts_two

    down = devenv("--json", "class", "down", "--prefix", PREFIX, "--volumes", env=env).json()
    assert any(r.endswith("namenode-data") for r in down["removed"]), down
    from devenv import docker

    assert [c.name for c in docker.containers() if c.name.startswith(f"devenv-{PREFIX}-")] == []
    with socket.create_connection(("127.0.0.1", listener.port)) as s:  # the listener works, so "saw nothing" means something
        s.sendall(b"probe")
    threading.Event().wait(0.2)
    assert listener.seen == [b"probe"], listener.seen
