"""Profile rules across keys, exact: memory budget with disabled services, replication, blame, resolve, accessors."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv import profile
from devenv.errors import ProfileError

CHILD = 'schema = 1\nname = "c"\nextends = "default"\n'


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(ProfileError) as e:
        profile.load_profile(path)
    return e.value.problems


def test_memory_budget_counts_only_enabled_services(tmp_path: Path) -> None:
    f = write(tmp_path / "c.toml", CHILD + '[topology.services]\nhiveserver2 = false\n[resources]\ntotal = "5g"\n')
    assert problems(f) == [
        f"{f}:7:1: resources.total: the services need 3392 MB plus 2048 MB for YARN containers (1 x yarn_memory) "
        '= 5440 MB, over the budget of 5120 MB. Nearest valid choice: total = "5632m", or less memory per service']
    g = write(tmp_path / "g.toml", CHILD + '[resources]\ntotal = "5g"\n')
    assert problems(g) == [
        f"{g}:5:1: resources.total: the services need 4416 MB plus 2048 MB for YARN containers (1 x yarn_memory) "
        '= 6464 MB, over the budget of 5120 MB. Nearest valid choice: total = "6656m", or less memory per service']


def test_replication_equal_to_datanodes_is_valid(tmp_path: Path) -> None:
    p = profile.load_profile(write(tmp_path / "c.toml", CHILD + '[config.hdfs-site]\n"dfs.replication" = 1\n'))
    assert p.config["hdfs-site"]["dfs.replication"] == 1


def test_replication_problem_blames_the_key_the_child_changed(tmp_path: Path) -> None:
    write(tmp_path / "parent.toml", 'schema = 1\nname = "parent"\nextends = "default"\n'
          '[config.hdfs-site]\n"dfs.replication" = 3\n[topology]\ndatanodes = 3\n')
    kid = write(tmp_path / "kid.toml", 'schema = 1\nname = "kid"\nextends = "parent.toml"\n[topology]\ndatanodes = 2\n')
    assert problems(kid) == [
        f'{kid}:5:1: topology.datanodes: replication 3 needs at least 3 datanodes; topology.datanodes is 2. '
        'Nearest valid choice: "dfs.replication" = 2 or datanodes = 3']


def test_memory_mb_and_to_dict_are_copies_of_the_resolved_data() -> None:
    p = profile.resolve("default")
    assert [p.memory_mb(s) for s in ("namenode", "hiveserver2", "spark-history")] == [384, 1024, 1280]
    d = p.to_dict()
    assert d["versions"] == dict(p.versions) and list(d)[:4] == ["schema", "name", "description", "versions"]
    d["topology"]["datanodes"] = 9
    d["versions"]["java"] = "8"
    assert p.topology["datanodes"] == 1 and p.versions["java"] == "17"


def test_resolve_reads_a_relative_path_from_the_given_directory(tmp_path: Path) -> None:
    write(tmp_path / "proj" / "p.toml", CHILD)
    p = profile.resolve("p.toml", cwd=tmp_path / "proj")
    assert (p.name, p.path) == ("c", tmp_path / "proj" / "p.toml")


def test_resolve_applies_the_user_config_sources(isolated: Path) -> None:
    write(isolated / "config" / "config.toml", '[sources]\nmaven = "https://mirror.example/maven2"\n')
    assert profile.resolve("default").sources["maven"] == "https://mirror.example/maven2"
