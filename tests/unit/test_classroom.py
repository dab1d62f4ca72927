"""The classroom without an engine: capacity from a fake `docker info`, port blocks, the roster page, refusals."""

from __future__ import annotations

import json

import pytest

from devenv import classroom, docker, profile
from devenv.engine_types import EngineInfo
from devenv.errors import DevenvError

GB = 1024**3


def engine(monkeypatch: pytest.MonkeyPatch, memory: int, cpus: int) -> None:
    info = EngineInfo("27.0", memory, cpus, "linux", "x86_64", "/var/lib/docker", "default")
    monkeypatch.setattr(docker, "engine_info", lambda: info)


def test_capacity_names_the_exact_numbers_and_the_largest_class_that_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    engine(monkeypatch, 24 * GB, 2)
    p = profile.resolve("default")  # [resources] total = "7g"
    cap = classroom.capacity(p, 3)
    assert (cap.ok, cap.fits, cap.jobs, cap.budget_bytes) == (True, 3, 1, 7 * GB)
    cap = classroom.capacity(p, 4)
    assert not cap.ok
    assert cap.describe() == ("4 students x 7.0 GB (the profile's memory budget) = 28.0 GB; the engine has 24.0 GB and 2 CPUs: "
                              "at most 3 students fit, 1 started at a time")
    engine(monkeypatch, 64 * GB, 16)
    assert (classroom.capacity(p, 9).fits, classroom.capacity(p, 9).jobs) == (9, 8)


def test_class_up_refuses_a_class_that_does_not_fit_before_anything_starts(monkeypatch: pytest.MonkeyPatch, cli) -> None:
    engine(monkeypatch, 8 * GB, 4)
    r = cli("class", "up", "--students", "2", "--prefix", "cls")
    assert r.code == 1
    assert "2 students do not fit on this engine: 2 students x 7.0 GB (the profile's memory budget) = 14.0 GB; " \
           "the engine has 8.0 GB and 4 CPUs: at most 1 students fit" in " ".join(r.err.split())
    assert "--students 1 or fewer" in r.err
    assert not classroom.roster_file("cls").exists()


def test_port_blocks_are_deterministic_disjoint_and_recorded_before_start(monkeypatch: pytest.MonkeyPatch) -> None:
    p = profile.resolve("default")
    one, two = classroom.port_block(p, 1), classroom.port_block(p, 2)
    assert one == classroom.port_block(p, 1)
    assert min(one.values()) == 20000 and min(two.values()) == 20100
    assert not set(one.values()) & set(two.values())
    assert len(set(one.values())) == len(one) and max(two.values()) < 20200
    assert one["namenode/http"] == 20000 + list(one).index("namenode/http")
    data = classroom._prepare(p, "cls", 2, 30000)
    from devenv.cluster_state import Cluster

    assert [s["student"] for s in data["students"]] == ["cls-1", "cls-2"]
    assert Cluster("cls-2").port_overrides()[("namenode", "http")] == 30100 + list(one).index("namenode/http")
    assert json.loads(classroom.roster_file("cls").read_text())["students"][1]["ports"] == classroom.port_block(p, 2, 30000)


def test_the_roster_page_escapes_and_links_every_ui() -> None:
    st = {"prefix": "cls", "profile": "default", "students": [
        {"student": "cls-1", "ready": True, "health": "ready", "web": {"namenode": "http://127.0.0.1:20001/"},
         "jdbc": "jdbc:hive2://127.0.0.1:20010/default", "hdfs": "hdfs://127.0.0.1:20000"},
        {"student": "cls-2", "ready": False, "health": "metastore: <down>", "web": {}, "jdbc": "", "hdfs": ""}]}
    page = classroom.html(st)
    assert '<a href="http://127.0.0.1:20001/">namenode</a>' in page
    assert "<code>jdbc:hive2://127.0.0.1:20010/default</code>" in page and "<code>hdfs://127.0.0.1:20000</code>" in page
    assert '<td class="bad">metastore: &lt;down&gt;</td>' in page and "<down>" not in page


def test_reset_and_status_name_an_unknown_class_or_student(cli) -> None:
    r = cli("class", "status", "--prefix", "nope")
    assert r.code == 1 and "no class with prefix 'nope'" in r.err
    classroom._prepare(profile.resolve("default"), "cls", 1, 30000)
    with pytest.raises(DevenvError, match="no student cls-7 in class 'cls'"):
        classroom.reset(None, "cls", ["cls-7"])  # type: ignore[arg-type]
    r = cli("class", "reset", "--prefix", "cls")
    assert r.code == 1 and "name the students to reset, or --all" in r.err
