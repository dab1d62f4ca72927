"""Issue 10, ownership: one engine, many devenv homes. A second home's volume and network (and an older
devenv's unlabelled volume) survive `prune --yes` and `doctor --fix --yes` run under the test home; the
second home's own prune then removes its resources. Cheap: no cluster is started, only a labelled volume
and network are created, all named with a random prefix this test owns."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from integration.conftest import devenv, integration_home

pytestmark = pytest.mark.docker


def _labels(cluster: str, who: str | None) -> dict[str, str]:
    from devenv import labels as lb

    return {lb.MANAGED: "true", lb.CLUSTER: cluster, lb.PROFILE: "default", **({lb.OWNER: who} if who else {})}


def _home_id(home: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The owner id of the devenv home at `home` (made on first use, as devenv itself does)."""
    from devenv import owner

    with monkeypatch.context() as m:
        m.setenv("DEVENV_HOME", str(home))
        return str(owner.home_id())


def _exist(volumes: list[str], network: str) -> dict[str, bool]:
    from python_on_whales import docker as pw

    return {**{v: pw.volume.exists(v) for v in volumes}, network: pw.network.exists(network)}


def _only_the_test_homes(listed: dict[str, list[str]], mine: str) -> None:
    """Before anything is deleted: every volume and network the test home's prune would remove carries its id."""
    from python_on_whales import docker as pw

    for v in listed["volumes"]:
        assert pw.volume.inspect(v).labels.get("devenv.owner") == mine, f"prune would remove volume {v}, not the test home's"
    for n in listed["networks"]:
        assert pw.network.inspect(n).labels.get("devenv.owner") == mine, f"prune would remove network {n}, not the test home's"


def test_another_homes_resources_survive_prune_and_doctor_fix(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from python_on_whales import docker as pw

    other_home = tmp_path / "other-home"
    theirs = _home_id(other_home, monkeypatch)
    mine = _home_id(integration_home(), monkeypatch)
    assert theirs != mine
    prefix = f"devenv-owntest-{secrets.token_hex(4)}"
    cluster = prefix.removeprefix("devenv-")  # no state for it in the test home: to the old rule, a leftover
    volume, legacy, network = f"{prefix}-namenode-data", f"{prefix}-legacy-data", prefix
    mine_created = [volume, legacy, network]
    try:
        pw.volume.create(volume, labels=_labels(cluster, theirs))
        pw.volume.create(legacy, labels=_labels(cluster, None))  # an older devenv's: unknown owner
        pw.network.create(network, labels=_labels(cluster, theirs))

        wide = devenv("--json", "prune", "--dry-run", "--all-owners").json()
        assert {volume, legacy} <= set(wide["volumes"]) and network in wide["networks"]  # devenv does see them
        narrow = devenv("--json", "prune", "--dry-run").json()
        assert volume not in narrow["volumes"] and legacy not in narrow["volumes"] and network not in narrow["networks"]
        _only_the_test_homes(narrow, mine)

        devenv("--json", "prune", "--yes")
        assert _exist([volume, legacy], network) == {volume: True, legacy: True, network: True}
        fix = devenv("doctor", "--check", "cluster.leftovers", "--fix", "--yes", check=False)
        assert "left alone" in fix.out, fix.out
        assert _exist([volume, legacy], network) == {volume: True, legacy: True, network: True}

        gone = devenv("--json", "prune", "--yes", env={"DEVENV_HOME": str(other_home)}).json()  # the owner's own prune
        assert (gone["volumes"], gone["networks"]) == ([volume], [network])
        assert _exist([volume, legacy], network) == {volume: False, legacy: True, network: False}
    finally:
        for v in mine_created[:2]:
            if pw.volume.exists(v):
                pw.volume.remove(v)
        if pw.network.exists(network):
            pw.network.remove(network)
