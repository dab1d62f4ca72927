"""Snapshots without an engine: names, listing, removal, and a damaged snapshot refused before the cluster is touched."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from devenv import docker, snapshot
from devenv.errors import DevenvError


def make(cluster: str, name: str, archives: dict[str, bytes], created: str = "2026-11-28T00:00:00Z") -> Path:
    d = snapshot.root(cluster) / name
    d.mkdir(parents=True)
    for svc, data in archives.items():
        (d / f"{svc}.tar").write_bytes(data)
    (d / "manifest.json").write_text(json.dumps({
        "schema": 1, "name": name, "cluster": cluster, "profile": "default", "created": created, "images": {},
        "volumes": {s: {"file": f"{s}.tar", "size": len(b), "sha256": hashlib.sha256(b).hexdigest()} for s, b in archives.items()}}))
    return d


def test_names_are_checked_before_any_path_is_built() -> None:
    for bad in ("../x", "A", "", "a/b", "x" * 41):
        with pytest.raises(DevenvError, match="must be 1-40 lower-case letters"):
            snapshot.remove("c1", bad)


def test_list_and_rm(cli) -> None:
    make("c1", "seeded", {"namenode": b"n" * 10, "metastore-db": b"p" * 5}, "2026-11-28T01:00:00Z")
    make("c1", "before", {"namenode": b"n"}, "2026-11-28T00:00:00Z")
    assert [(s["name"], s["bytes"], s["volumes"]) for s in snapshot.listing("c1")] == [("before", 1, 1), ("seeded", 15, 2)]
    r = cli("--json", "snapshot", "list", "--name", "c1")
    assert r.code == 0 and [s["name"] for s in json.loads(r.out)["snapshots"]] == ["before", "seeded"]
    r = cli("snapshot", "rm", "before", "--name", "c1")
    assert r.code == 0 and "removed snapshot 'before' of cluster 'c1'" in r.out
    assert [s["name"] for s in snapshot.listing("c1")] == ["seeded"]
    r = cli("snapshot", "rm", "before", "--name", "c1")
    assert r.code == 1 and "cluster 'c1' has no snapshot 'before'" in r.err


def test_a_damaged_snapshot_is_refused_before_the_cluster_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    d = make("c1", "seeded", {"namenode": b"n" * 10, "metastore-db": b"p" * 5})
    (d / "metastore-db.tar").write_bytes(b"p" * 4 + b"q")
    stopped: list[str] = []
    monkeypatch.setattr(docker, "compose_stop", lambda f, p: stopped.append(p))
    with pytest.raises(DevenvError) as e:
        snapshot.restore(None, "c1", "seeded")  # type: ignore[arg-type]  # never reaches the context
    assert e.value.message.startswith(f"snapshot 'seeded': {d / 'metastore-db.tar'} is damaged or missing (size 5, sha256 ")
    assert e.value.message.endswith("; the cluster was not touched")
    (d / "metastore-db.tar").unlink()
    with pytest.raises(DevenvError, match=r"is damaged or missing \(size None, sha256 missing"):
        snapshot.restore(None, "c1", "seeded")  # type: ignore[arg-type]
    assert stopped == []


def test_save_refuses_a_name_in_use_and_an_unknown_cluster(monkeypatch: pytest.MonkeyPatch) -> None:
    make("c1", "seeded", {"namenode": b"n"})
    with pytest.raises(DevenvError, match="cluster 'c1' already has a snapshot 'seeded'"):
        snapshot.save(None, "c1", "seeded")  # type: ignore[arg-type]
    with pytest.raises(DevenvError, match="no cluster named 'c2'"):
        snapshot.save(None, "c2", "seeded")  # type: ignore[arg-type]
