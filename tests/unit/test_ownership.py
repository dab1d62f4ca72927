"""Ownership: one engine, many devenv homes. Each home's id is stable and its own; prune, doctor --fix and
down touch only this home's resources unless --all-owners (asked first, or --yes); `up` refuses a cluster
name another home's containers hold. Only devenv.docker is faked."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from devenv import cluster, docker, owner
from devenv.errors import DevenvError
from devenv.paths import paths

THEIRS = "0123456789abcdef"  # another home's id


def labels(cluster_: str, who: str | None) -> dict[str, str]:
    """devenv's labels for `cluster_`, owned by `who` (None: an older devenv, no owner label)."""
    return {"devenv.managed": "true", "devenv.cluster": cluster_, **({"devenv.owner": who} if who else {})}


def box(name: str, cluster_: str, who: str | None, running: bool = False) -> docker.ContainerInfo:
    return docker.ContainerInfo("id-" + name, name, "namenode", cluster_, "default", "running" if running else "exited",
                                0, "devenv/hadoop:t", "", (), "sha256:1", {**labels(cluster_, who), "devenv.service": "namenode"})


def res(kind: str, name: str, cluster_: str, who: str | None) -> docker.ResourceInfo:
    return docker.ResourceInfo(kind, name, labels(cluster_, who))


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch):
    """A fake engine holding leftovers of three owners: this home ('mine'), another home ('theirs'), an older devenv ('old')."""
    me = owner.home_id()
    conts = [box("mine-nn", "mine", me), box("theirs-nn", "theirs", THEIRS), box("old-nn", "old", None)]
    vols = [res("volume", "mine-data", "mine", me), res("volume", "theirs-data", "theirs", THEIRS), res("volume", "old-data", "old", None)]
    nets = [res("network", "mine-net", "mine", me), res("network", "theirs-net", "theirs", THEIRS), res("network", "old-net", "old", None)]
    pick = lambda items, c: [r for r in items if c is None or r.cluster == c]  # noqa: E731
    monkeypatch.setattr(docker, "containers", lambda cluster=None, all=True: pick(conts, cluster))
    monkeypatch.setattr(docker, "volumes", lambda cluster=None: pick(vols, cluster))
    monkeypatch.setattr(docker, "networks", lambda cluster=None: pick(nets, cluster))
    monkeypatch.setattr(docker, "engine_info", lambda: docker.EngineInfo("26", 8 << 30, 4, "linux", "x86_64", "/var/lib/docker", "default"))
    removed: list[str] = []
    monkeypatch.setattr(docker, "remove", lambda containers_=(), volumes_=(), networks_=(): removed.extend([*containers_, *volumes_, *networks_]))
    return removed


MINE = ["mine-nn", "mine-data", "mine-net"]
OTHERS = ["theirs-nn", "old-nn", "theirs-data", "old-data", "theirs-net", "old-net"]


# --- the owner id ---------------------------------------------------------------------

def test_owner_id_is_stable_in_one_home_and_differs_between_homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert owner.home_id(create=False) is None  # a fresh home has none, and asking does not make one
    assert not (paths().state / "owner-id").exists()
    first = owner.home_id()
    assert first is not None and len(first) == 16
    assert owner.home_id() == owner.home_id(create=False) == first
    assert (paths().state / "owner-id").read_text(encoding="ascii").strip() == first
    assert list(paths().state.iterdir()) == [paths().state / "owner-id"]  # no temp file left behind
    monkeypatch.setenv("DEVENV_HOME", str(tmp_path / "second-home"))
    second = owner.home_id()
    assert second != first and owner.home_id() == second


def test_a_damaged_owner_id_is_a_located_error() -> None:
    f = paths().state / "owner-id"
    f.parent.mkdir(parents=True)
    f.write_text("not an id\n", encoding="ascii")
    with pytest.raises(DevenvError, match=r"owner id .*owner-id\) is damaged: 'not an id'"):
        owner.home_id()


# --- prune ---------------------------------------------------------------------------

def test_prune_removes_only_this_homes_leftovers(engine, cli) -> None:
    r = cli("--json", "prune", "--yes")
    assert r.code == 0, r.err
    assert json.loads(r.out) == {"schema": 1, "dry_run": False, "containers": ["mine-nn"], "volumes": ["mine-data"], "networks": ["mine-net"]}
    assert engine == MINE


def test_prune_without_yes_and_without_a_terminal_refuses_volumes_and_removes_nothing(engine, cli) -> None:
    r = cli("prune")
    assert r.code == 1
    assert "prune would delete 1 volume(s) with HDFS and metastore data: mine-data; nothing was removed" in r.err
    assert "add --yes" in r.err
    assert engine == []
    r = cli("--json", "prune", "--dry-run")  # lists without asking
    assert r.code == 0 and json.loads(r.out)["volumes"] == ["mine-data"] and engine == []


def test_prune_all_owners_asks_naming_the_others_and_yes_removes_them(engine, cli) -> None:
    r = cli("prune", "--all-owners")
    assert r.code == 1 and engine == []
    assert f"container theirs-nn (owner {THEIRS})" in r.err
    assert "volume old-data (no owner label (an older devenv))" in r.err
    r = cli("--json", "prune", "--all-owners", "--yes")
    assert r.code == 0, r.err
    assert sorted(engine) == sorted(MINE + OTHERS)


def test_prune_removes_containers_and_networks_without_asking(monkeypatch: pytest.MonkeyPatch, engine, cli) -> None:
    monkeypatch.setattr(docker, "volumes", lambda cluster=None: [])
    r = cli("prune")
    assert r.code == 0, r.err
    assert engine == ["mine-nn", "mine-net"]
    assert "removed container mine-nn" in r.out


# --- doctor --fix ---------------------------------------------------------------------

def test_doctor_fix_removes_only_this_homes_leftovers(engine, cli) -> None:
    r = cli("doctor", "--check", "cluster.leftovers", "--fix", "--yes")
    assert "6 of other devenv homes or an older devenv left alone" in r.out
    assert engine == MINE


# --- down --------------------------------------------------------------------------------

def _state(name: str) -> Path:
    d = paths().state / "clusters" / name
    d.mkdir(parents=True)
    (d / "compose.json").write_text("{}", encoding="utf-8")
    return d


def test_down_volumes_removes_only_this_homes_volumes_and_networks(monkeypatch: pytest.MonkeyPatch, engine, cli) -> None:
    me = owner.home_id()
    monkeypatch.setattr(docker, "volumes", lambda cluster=None: [res("volume", "v-mine", "team", me), res("volume", "v-theirs", "team", THEIRS),
                                                                 res("volume", "v-old", "team", None)])
    monkeypatch.setattr(docker, "networks", lambda cluster=None: [res("network", "n-mine", "team", me), res("network", "n-old", "team", None)])
    monkeypatch.setattr(docker, "containers", lambda cluster=None, all=True: [box("team-nn", "team", me, running=True)])
    downs: list[tuple] = []
    monkeypatch.setattr(docker, "compose_down", lambda f, project, volumes: downs.append((project, volumes)))
    d = _state("team")
    r = cli("down", "--name", "team", "--volumes", "--yes")
    assert r.code == 0, r.err
    assert downs == [("devenv-team", False)]  # Compose never removes volumes by itself: only ours, below
    assert engine == ["v-mine", "n-mine"]
    assert "kept what this devenv home did not make" in r.err and f"volume v-theirs (owner {THEIRS})" in r.err
    assert not d.exists()
    engine.clear()
    r = cli("down", "--name", "team", "--volumes", "--all-owners", "--yes")
    assert r.code == 0, r.err
    assert engine == ["team-nn", "v-mine", "v-theirs", "v-old", "n-mine", "n-old"]  # no state left: containers directly


def test_down_refuses_another_homes_containers_unless_all_owners(monkeypatch: pytest.MonkeyPatch, engine, cli) -> None:
    downs: list[str] = []
    monkeypatch.setattr(docker, "compose_down", lambda f, project, volumes: downs.append(project))
    _state("theirs")
    r = cli("down", "--name", "theirs", "--volumes", "--yes")
    assert r.code == 1
    assert f"cluster name 'theirs' is taken on this engine by another devenv home (owner {THEIRS}" in r.err
    assert downs == [] and engine == []
    r = cli("down", "--name", "theirs", "--volumes", "--all-owners")  # no terminal to ask
    assert r.code == 1 and downs == [] and engine == []
    r = cli("down", "--name", "theirs", "--volumes", "--all-owners", "--yes")
    assert r.code == 0, r.err
    assert downs == ["devenv-theirs"] and engine == ["theirs-data", "theirs-net"]


# --- up: one cluster name, one owner ----------------------------------------------------------

def test_up_refuses_a_cluster_name_another_home_holds(monkeypatch: pytest.MonkeyPatch, cli) -> None:
    calls: list[str] = []
    monkeypatch.setattr(docker, "containers", lambda cluster=None, all=True: [box("devenv-default-namenode-1", "default", THEIRS, running=True)])
    monkeypatch.setattr(docker, "volumes", lambda cluster=None: [])
    monkeypatch.setattr(docker, "networks", lambda cluster=None: [])
    monkeypatch.setattr(docker, "compose_up", lambda *a, **k: calls.append("compose_up"))
    monkeypatch.setattr(docker, "build", lambda *a, **k: calls.append("build"))
    r = cli("up", "--name", "default")
    assert r.code == 1
    assert f"cluster name 'default' is taken on this engine by another devenv home (owner {THEIRS}; this home is owner {owner.home_id()})" in r.err
    assert "use another --name here" in r.err and "devenv down --name default --all-owners" in r.err
    assert calls == []


def test_up_refuses_another_homes_data_even_with_no_container_left(monkeypatch: pytest.MonkeyPatch, cli) -> None:
    """The other home ran `down` (data kept): its volumes still hold its metastore, made with its password."""
    monkeypatch.setattr(docker, "containers", lambda cluster=None, all=True: [])
    monkeypatch.setattr(docker, "volumes", lambda cluster=None: [res("volume", "devenv-default-metastore-db-data", "default", THEIRS)])
    monkeypatch.setattr(docker, "networks", lambda cluster=None: [])
    monkeypatch.setattr(docker, "compose_up", lambda *a, **k: pytest.fail("another home's data: no compose up"))
    r = cli("up", "--name", "default")
    assert r.code == 1
    assert f"taken on this engine by another devenv home (owner {THEIRS}" in r.err
    assert "devenv down --name default --volumes --all-owners" in r.err


def test_existing_volumes_and_network_are_declared_with_the_labels_they_were_made_with(tmp_path: Path) -> None:
    """Newer Compose hashes a volume's labels: declaring an owner label an older devenv did not set would make it
    offer to re-create the volume (deleting the data). New ones get this home's id."""
    from devenv import compose, profile, services

    p = profile.resolve("default")
    old = {"devenv.managed": "true", "devenv.cluster": "team", "devenv.profile": "default", "devenv.service": "namenode"}
    existing = {"devenv-team-namenode-data": {**old, "com.docker.compose.project": "devenv-team"}, "devenv-team": labels("team", None)}
    m = compose.render(p, cluster="team", tags={k: f"devenv/{k}:t" for k in ("hadoop", "hive", "spark", "postgres", "gateway")},
                       conf_dir=tmp_path / "conf", ports=services.ports(p), secrets_dir=tmp_path / "s", existing=existing)
    assert m["volumes"]["namenode-data"]["labels"] == old
    assert m["networks"]["cluster"]["labels"] == labels("team", None)
    assert m["volumes"]["metastore-db-data"]["labels"]["devenv.owner"] == owner.home_id()
    assert m["services"]["namenode"]["labels"]["devenv.owner"] == owner.home_id()  # containers are re-created labelled


def test_unlabelled_containers_are_adopted_by_up_but_not_removed_by_down() -> None:
    old = [box("old-nn", "old", None)]
    cluster.check_owner("old", old, adopt_unlabelled=True)  # up labels them (Compose re-creates them with this home's id)
    cluster.check_owner("old", [box("x", "old", owner.home_id())], adopt_unlabelled=False)
    with pytest.raises(DevenvError, match="have no owner label"):
        cluster.check_owner("old", old, adopt_unlabelled=False)


# --- images prune ---------------------------------------------------------------------------

def test_images_prune_removes_only_this_homes_unused_images(monkeypatch: pytest.MonkeyPatch, cli) -> None:
    me = owner.home_id()
    image = lambda tag, who: docker.ImageInfo("sha256:" + tag, (tag,), 1, {"devenv.managed": "true", **({"devenv.owner": who} if who else {})}, "")  # noqa: E731
    monkeypatch.setattr(docker, "images", lambda managed=True: [image("devenv/hadoop:mine", me), image("devenv/hive:theirs", THEIRS),
                                                                image("devenv/spark:old", None), image("devenv/jvm:running", me)])
    monkeypatch.setattr(docker, "containers", lambda cluster=None, all=True: [
        dataclasses.replace(box("c", "c", me, running=True), image="devenv/jvm:running")])
    removed: list[str] = []
    monkeypatch.setattr(docker, "remove_images", lambda refs: removed.extend(refs))
    r = cli("--json", "images", "prune")
    assert r.code == 0, r.err
    assert json.loads(r.out)["removed"] == ["devenv/hadoop:mine"]
    assert removed == ["devenv/hadoop:mine"]


# --- a shared engine is busy ------------------------------------------------------------------

FAKE_CLI = """#!/bin/sh
# a docker CLI on a busy engine: volume b is removed between `ls` and `inspect`
case "$2" in
  ls) echo a; echo b ;;
  inspect) echo '[{"Name": "a", "Labels": {"devenv.cluster": "x"}}]'; echo "Error response from daemon: %s" >&2; exit 1 ;;
esac
"""


def _fake_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: str) -> None:
    from python_on_whales import DockerClient

    cli_ = tmp_path / "docker"
    cli_.write_text(FAKE_CLI % error, encoding="utf-8")
    cli_.chmod(0o755)
    monkeypatch.setattr(docker, "_client", DockerClient(client_call=[str(cli_)]))


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="the fake docker CLI is a POSIX shell script")
def test_a_resource_removed_between_listing_and_inspecting_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_cli(tmp_path, monkeypatch, "No such volume: b")
    assert docker.volumes() == [docker.ResourceInfo("volume", "a", {"devenv.cluster": "x"})]
    _fake_cli(tmp_path, monkeypatch, "permission denied")  # any other failure is still an error
    with pytest.raises(DevenvError, match=r"inspecting volumes failed \(exit 1\)"):
        docker.volumes()


def test_on_a_terminal_prune_all_owners_names_the_others_and_asks(engine, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # a terminal (rich decides Ui.interactive)
    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    r = cli("prune", "--all-owners")
    assert r.code == 1 and engine == []
    assert f"container theirs-nn (owner {THEIRS})" in r.out + r.err and "nothing was removed" in r.err
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    r = cli("prune", "--all-owners")
    assert r.code == 0, r.err
    assert sorted(engine) == sorted(MINE + OTHERS)


def test_the_compose_model_is_the_same_before_and_after_its_volumes_exist(tmp_path: Path) -> None:
    """`up` on a running cluster takes its fast path only if the model it renders is unchanged: the engine lists a
    volume's labels sorted and adds Compose's own, so declaring existing volumes must give the very same model."""
    import json

    from devenv import compose, profile, services

    p = profile.resolve("default")
    args = dict(cluster="team", tags={k: f"devenv/{k}:t" for k in ("hadoop", "hive", "spark", "postgres", "gateway")},
                conf_dir=tmp_path / "conf", ports=services.ports(p), secrets_dir=tmp_path / "s")
    first = compose.render(p, **args)
    made = {v["name"]: {**dict(sorted(v["labels"].items())), "com.docker.compose.volume": k} for k, v in first["volumes"].items()}
    made[first["networks"]["cluster"]["name"]] = dict(sorted(first["networks"]["cluster"]["labels"].items()))
    assert json.dumps(compose.render(p, existing=made, **args)) == json.dumps(first)
