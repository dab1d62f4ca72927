"""Seed planning in detail: default specs, names, the copy target rule, exact fingerprints, the record file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from devenv import profile
from devenv.errors import DevenvError, UsageError
from devenv.seed.plan import _save_record, load_record, plan, record_path
from devenv.seed import tpch


def load(tmp_path: Path, seeds: str, files: dict[str, bytes] | None = None) -> profile.Profile:
    d = tmp_path / "prof"
    d.mkdir(parents=True, exist_ok=True)
    for rel, data in (files or {}).items():
        (d / rel).parent.mkdir(parents=True, exist_ok=True)
        (d / rel).write_bytes(data)
    f = d / "s.toml"
    f.write_text(f'schema = 1\nname = "s"\nextends = "default"\n{seeds}', encoding="utf-8")
    return profile.load_profile(f)


def definition_digest(kind: str, spec: dict, generator: str | None = None) -> "hashlib._Hash":
    return hashlib.sha256(json.dumps({"kind": kind, "spec": spec, "generator": generator},
                                     sort_keys=True, default=str).encode())


def test_dataset_keeps_its_own_scale_and_format_and_options_override_each_alone(tmp_path: Path) -> None:
    p = load(tmp_path, '[[seed]]\ndataset = "tpch"\nscale = 0.1\nformat = "csv"\n')
    assert dict(plan(p)[0].spec) == {"dataset": "tpch", "scale": 0.1, "format": "csv"}
    assert dict(plan(p, fmt="parquet")[0].spec) == {"dataset": "tpch", "scale": 0.1, "format": "parquet"}
    assert dict(plan(p, tpch_scale=1)[0].spec) == {"dataset": "tpch", "scale": 1, "format": "csv"}
    bare = load(tmp_path / "b", '[[seed]]\ndataset = "tpch"\n')
    assert dict(plan(bare)[0].spec) == {"dataset": "tpch", "scale": 0.01, "format": "parquet"}


def test_format_option_alone_adds_tpch_at_the_default_scale(tmp_path: Path) -> None:
    p = load(tmp_path, '[[seed]]\nshell = "true"\nservice = "namenode"\n')
    steps = plan(p, fmt="csv")
    assert [(s.index, s.name, s.kind, dict(s.spec), s.base) for s in steps][0] == (
        None, "tpch", "dataset", {"dataset": "tpch", "scale": 0.01, "format": "csv"}, Path("."))
    assert [s.label for s in steps] == ["tpch (built-in default)", "seed[0] shell@namenode"]


def test_names_explicit_default_and_numbered_when_repeated(tmp_path: Path) -> None:
    p = load(tmp_path, '[[seed]]\nsql = "a/x.sql"\n[[seed]]\nsql = "b/x.sql"\n[[seed]]\nsql = "c/x.sql"\n'
                       '[[seed]]\nname = "mine"\nsql = "a/x.sql"\n')
    steps = plan(p)
    assert [s.name for s in steps] == ["x.sql", "x.sql-2", "x.sql-3", "mine"]
    assert "name" not in steps[3].spec


def test_copy_to_accepts_absolute_and_hdfs_urls_only(tmp_path: Path) -> None:
    p = load(tmp_path, '[[seed]]\ncopy = "d.csv"\nto = "hdfs://devenv/x"\n[[seed]]\ncopy = "d.csv"\nto = "/x"\n')
    assert [s.spec["to"] for s in plan(p)] == ["hdfs://devenv/x", "/x"]
    bad = load(tmp_path / "b", '[[seed]]\ndataset = "tpch"\n[[seed]]\ncopy = "d.csv"\nto = "x/hdfs://y"\n')
    with pytest.raises(DevenvError) as e:
        plan(bad)
    assert e.value.message == "seed[1]: 'to' must be an absolute HDFS path such as /data/x, got 'x/hdfs://y'"


def test_only_names_every_unknown_step(tmp_path: Path) -> None:
    p = load(tmp_path, "")
    with pytest.raises(UsageError) as e:
        plan(p, only=["a", "tpch", "b"])
    assert e.value.message == "--only: no seed step named 'a', 'b'"
    assert e.value.hint == "the steps: tpch"
    assert [s.name for s in plan(p, only=["tpch"])] == ["tpch"]


def test_fingerprint_of_a_file_step_is_definition_then_name_and_bytes(tmp_path: Path) -> None:
    p = load(tmp_path, '[[seed]]\ncopy = "data/d.csv"\nto = "/x"\n', {"data/d.csv": b"1,a\n"})
    step = plan(p)[0]
    h = definition_digest("copy", {"copy": "data/d.csv", "to": "/x"})
    h.update(b"d.csv\0" + b"1,a\n")
    assert step.fingerprint() == h.hexdigest()


def test_fingerprint_of_a_directory_covers_each_file_in_order(tmp_path: Path) -> None:
    files = {"data/dir/b.csv": b"B", "data/dir/sub/a.csv": b"A", "data/dir/a.csv": b"a"}
    p = load(tmp_path, '[[seed]]\ncopy = "data/dir"\nto = "/x"\n', files)
    step = plan(p)[0]
    h = definition_digest("copy", {"copy": "data/dir", "to": "/x"})
    for rel, data in ((b"dir/a.csv", b"a"), (b"dir/b.csv", b"B"), (b"dir/sub/a.csv", b"A")):
        h.update(rel + b"\0" + data)
    assert step.fingerprint() == h.hexdigest()


def test_fingerprint_of_a_dataset_names_the_generator_and_reads_no_file(tmp_path: Path) -> None:
    step = plan(load(tmp_path, ""))[0]
    spec = {"dataset": "tpch", "scale": 0.01, "format": "parquet"}
    assert step.fingerprint() == definition_digest("dataset", spec, tpch.GENERATOR).hexdigest()
    shell = plan(load(tmp_path / "s", '[[seed]]\nshell = "true"\nservice = "namenode"\n'))[0]
    assert shell.fingerprint() == definition_digest("shell", {"shell": "true", "service": "namenode"}).hexdigest()


@pytest.mark.parametrize("kind", ["copy", "sql", "pyspark", "jar"])
def test_a_missing_input_file_names_the_step_and_the_base(tmp_path: Path, kind: str) -> None:
    extra = 'to = "/x"\n' if kind == "copy" else ""
    p = load(tmp_path, f'[[seed]]\n{kind} = "gone.bin"\n{extra}')
    step = plan(p)[0]
    with pytest.raises(DevenvError) as e:
        step.fingerprint()
    base = tmp_path / "prof"
    assert e.value.message == f"seed[0] gone.bin: {kind} file not found: {(base / 'gone.bin').resolve()}"
    assert e.value.hint == f"paths in [[seed]] are relative to the profile file's directory ({base})"


def test_path_with_an_explicit_key(tmp_path: Path) -> None:
    p = load(tmp_path, '[[seed]]\njar = "lib/app.jar"\nclass = "C"\n')
    step = plan(p)[0]
    assert step.path() == (tmp_path / "prof" / "lib" / "app.jar").resolve()
    assert step.path("class") == (tmp_path / "prof" / "C").resolve()


def test_record_is_read_only_when_it_is_a_schema_1_object() -> None:
    path = record_path("c1")
    assert load_record("c1") == {}  # no file
    path.parent.mkdir(parents=True)
    for text in ("{not json", "[1]", '{"schema": 2, "steps": {}}', '{"steps": {}}'):
        path.write_text(text, encoding="utf-8")
        assert load_record("c1") == {}, text
    path.write_text('{"schema": 1, "steps": {"tpch": "f"}}', encoding="utf-8")
    assert load_record("c1") == {"schema": 1, "steps": {"tpch": "f"}}


def test_saving_the_record_creates_the_directory_and_leaves_no_temporary_file() -> None:
    rec = {"schema": 1, "steps": {"tpch": "f"}}
    _save_record("c2", rec)
    path = record_path("c2")
    assert json.loads(path.read_text(encoding="utf-8")) == rec
    assert path.read_text(encoding="utf-8") == json.dumps(rec, indent=1)
    assert sorted(p.name for p in path.parent.iterdir()) == ["seed.json"]


def test_fingerprint_of_a_step_with_a_toml_date(tmp_path: Path) -> None:
    import datetime

    p = load(tmp_path, '[[seed]]\npyspark = "job.py"\nargs = [2024-01-31]\n', {"job.py": b"print(1)\n"})
    step = plan(p)[0]
    assert step.spec["args"] == [datetime.date(2024, 1, 31)]
    h = definition_digest("pyspark", {"pyspark": "job.py", "args": ["2024-01-31"]})
    h.update(b"job.py\0print(1)\n")
    assert step.fingerprint() == h.hexdigest()
