"""Profile rules across keys, exact: memory budget with disabled services, replication, blame, resolve, accessors."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv import profile
from devenv.errors import DevenvError, ProfileError

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
        f"{f}:7:1: resources.total: the services need 3456 MB plus 2048 MB for YARN containers (1 x yarn_memory) "
        '= 5504 MB, over the budget of 5120 MB. Nearest valid choice: total = "5632m", or less memory per service']
    g = write(tmp_path / "g.toml", CHILD + '[resources]\ntotal = "5g"\n')
    assert problems(g) == [
        f"{g}:5:1: resources.total: the services need 4480 MB plus 2048 MB for YARN containers (1 x yarn_memory) "
        '= 6528 MB, over the budget of 5120 MB. Nearest valid choice: total = "6656m", or less memory per service']


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


def test_error_headline_counts_distinct_problems_sorted_by_line(tmp_path: Path) -> None:
    one = write(tmp_path / "one.toml", CHILD + '[topology]\ndatanodes = 0\n')
    with pytest.raises(ProfileError) as e:
        profile.load_profile(one)
    assert e.value.message == f"profile {one} is invalid (1 problem)"
    assert e.value.hint == "fix the lines above; `devenv profile validate` checks again without doing anything else"
    lines = "".join(f"# {i}\n" for i in range(4))  # problems on lines 9, 10 and 12: sorted as numbers
    many = write(tmp_path / "many.toml", CHILD + lines + '[topology]\ndatanodes = 0\nnodemanagers = 0\n'
                 '[images]\nbsae = "x"\n')
    with pytest.raises(ProfileError) as e:
        profile.load_profile(many)
    assert e.value.message == f"profile {many} is invalid (3 problems)"
    assert e.value.problems == [
        f"{many}:9:1: topology.datanodes: must be between 1 and 9, got 0",
        f"{many}:10:1: topology.nodemanagers: must be between 1 and 9, got 0",
        f"{many}:12:1: images.bsae: unknown key 'bsae' in [images]; did you mean 'base'?",
    ]


def test_a_profile_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    d = tmp_path / "dir.toml"
    d.mkdir()
    with pytest.raises(ProfileError) as e:
        profile.load_profile(d)
    assert e.value.problems == [f"{d}: cannot read: Is a directory"]


def test_extends_by_name_finds_a_sibling_file(tmp_path: Path) -> None:
    write(tmp_path / "base-x.toml", 'schema = 1\nname = "base-x"\nextends = "default"\ndescription = "the base"\n')
    f = write(tmp_path / "c.toml", 'schema = 1\nname = "c"\nextends = "base-x"\n')
    p = profile.load_profile(f)
    assert p.chain == (str(f), str(tmp_path / "base-x.toml"), str(profile.builtin_dir() / "default.toml"))
    assert (p.name, p.description, p.data["extends"]) == ("c", "", "base-x")
    assert "extends" not in profile.resolve("default").data


def test_unknown_name_without_a_close_match_lists_the_known_profiles() -> None:
    with pytest.raises(DevenvError) as e:
        profile.select("zzzz")
    assert e.value.message == "no profile named 'zzzz' (from --profile)"
    assert e.value.hint == "known profiles: ci, default, legacy, spark40; see devenv profile list"


def test_env_reference_is_named_as_its_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DEVENV_PROFILE", "missing/p.toml")
    with pytest.raises(DevenvError) as e:
        profile.select(None)
    assert e.value.message == f"profile file not found: {Path.cwd() / 'missing/p.toml'} (from DEVENV_PROFILE)"
    assert e.value.hint == "check the path, or give a profile name: devenv profile list"
    monkeypatch.setenv("DEVENV_PROFILE", "legacy")
    assert profile.select(None) == (profile.builtin_dir() / "legacy.toml", "DEVENV_PROFILE")
    assert profile.select("legacy")[1] == "--profile"


def test_find_project_file_from_a_start_directory(tmp_path: Path) -> None:
    f = write(tmp_path / "proj" / "devenv.toml", CHILD)
    (tmp_path / "proj" / "sub").mkdir()
    assert profile.find_project_file(tmp_path / "proj" / "sub") == f
    assert profile.find_project_file(tmp_path) is None
    (tmp_path / "other" / "devenv.toml").mkdir(parents=True)  # a directory of that name is not a project file
    assert profile.find_project_file(tmp_path / "other") is None


def test_user_config_syntax_error_and_invalid_headline(isolated: Path) -> None:
    f = write(isolated / "config" / "config.toml", "[proxy\n")
    with pytest.raises(DevenvError) as e:
        profile.load_user_config()
    assert e.value.message.startswith(f"{f}:1:")
    assert e.value.hint == f"fix {f}, or move it aside"
    write(f, '[proxy]\nhttp = 1\n')
    with pytest.raises(ProfileError) as e2:
        profile.load_user_config()
    assert e2.value.message == f"user config {f} is invalid"
    assert e2.value.hint == f"fix {f}"
    assert e2.value.problems == [f"{f}:2:1: proxy.http: must be a string, not an integer (1)"]
    write(f, '[proxy]\nhttp = "http://p:3128"\n')
    assert profile.load_user_config() == {"proxy": {"http": "http://p:3128"}}


def test_available_lists_builtin_then_user_profiles(isolated: Path) -> None:
    write(isolated / "config" / "profiles" / "mine.toml", CHILD)
    write(isolated / "config" / "profiles" / "notes.txt", "not a profile")
    names = profile.available()
    assert list(names) == ["ci", "default", "legacy", "spark40", "mine"]
    assert names["default"] == profile.builtin_dir() / "default.toml"


def test_budget_problem_blames_whichever_budget_key_the_child_set(tmp_path: Path) -> None:
    nm = write(tmp_path / "nm.toml", CHILD + "[topology]\nnodemanagers = 3\n")
    assert problems(nm) == [
        f"{nm}:5:1: topology.nodemanagers: the services need 5120 MB plus 6144 MB for YARN containers (3 x yarn_memory) "
        '= 11264 MB, over the budget of 7168 MB. Nearest valid choice: total = "11264m", or less memory per service']
    ym = write(tmp_path / "ym.toml", CHILD + '[resources]\nyarn_memory = "6g"\n')
    assert problems(ym) == [
        f"{ym}:5:1: resources.yarn_memory: the services need 4480 MB plus 6144 MB for YARN containers (1 x yarn_memory) "
        '= 10624 MB, over the budget of 7168 MB. Nearest valid choice: total = "10752m", or less memory per service']
    mem = write(tmp_path / "mem.toml", CHILD + '[resources.memory]\nnamenode = "4g"\n')
    assert problems(mem) == [
        f"{mem}:4:1: resources.memory: the services need 8192 MB plus 2048 MB for YARN containers (1 x yarn_memory) "
        '= 10240 MB, over the budget of 7168 MB. Nearest valid choice: total = "10240m", or less memory per service']


def test_budget_exactly_met_is_valid_and_the_suggestion_rounds_up_to_256m(tmp_path: Path) -> None:
    exact = write(tmp_path / "exact.toml", CHILD + '[resources]\ntotal = "6528m"\n')
    assert profile.load_profile(exact).resources["total"] == "6528m"
    odd = write(tmp_path / "odd.toml", CHILD + '[resources]\ntotal = "6g"\n[resources.memory]\nnamenode = "330m"\n')
    assert problems(odd) == [
        f"{odd}:5:1: resources.total: the services need 4426 MB plus 2048 MB for YARN containers (1 x yarn_memory) "
        '= 6474 MB, over the budget of 6144 MB. Nearest valid choice: total = "6656m", or less memory per service']


def test_minimum_allocation_against_what_a_nodemanager_offers(tmp_path: Path) -> None:
    equal = write(tmp_path / "eq.toml", CHILD + '[config.yarn-site]\n"yarn.scheduler.minimum-allocation-mb" = 2048\n')
    assert profile.load_profile(equal).config["yarn-site"]["yarn.scheduler.minimum-allocation-mb"] == 2048
    small = write(tmp_path / "small.toml", CHILD + '[resources]\nyarn_memory = "128m"\n')
    assert problems(small) == [
        f"{small}:5:1: resources.yarn_memory: 256 MB is more than a NodeManager offers (resources.yarn_memory = 128m): "
        "no container could start"]


def test_a_required_version_missing_in_the_chain_is_blamed_on_the_file_that_set_versions(tmp_path: Path) -> None:
    parent = write(tmp_path / "parent.toml", 'schema = 1\nname = "p"\n[versions]\nhadoop = "3.4.2"\nhive = "4.0.1"\n'
                   'spark = "4.1.1"\n')
    kid = write(tmp_path / "kid.toml", 'schema = 1\nname = "kid"\nextends = "parent.toml"\n[versions]\nhadoop = "3.4.1"\n')
    assert problems(kid) == [f"{parent}:3:1: versions: missing required key 'java'"]


def test_a_seed_that_is_not_an_array_is_reported_not_merged(tmp_path: Path) -> None:
    f = write(tmp_path / "c.toml", CHILD + "seed = 5\n")
    assert problems(f) == [f"{f}:4:1: seed: must be an array of tables ([[seed]] entries), not an integer"]
    g = write(tmp_path / "g.toml", CHILD + "[config.core-site]\nseed = 1\n")
    assert profile.load_profile(g).config["core-site"]["seed"] == 1


def test_select_resolves_env_paths_and_the_project_file_from_the_given_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    proj = tmp_path / "proj"
    f = write(proj / "devenv.toml", CHILD)
    assert profile.select(None, cwd=proj) == (f, str(f))  # the process's own directory has no devenv.toml
    mine = write(proj / "mine.toml", CHILD)
    monkeypatch.setenv("DEVENV_PROFILE", "mine.toml")
    assert profile.select(None, cwd=proj) == (mine, "DEVENV_PROFILE")
