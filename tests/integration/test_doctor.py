"""`devenv doctor` against the real engine, in-process; nothing is faked."""

from __future__ import annotations

import json
from typing import Any

import pytest

ENGINE_CHECKS = ("engine.reachable", "engine.versions", "engine.resources", "engine.test-container")


def doctor_json(cli, *args: str) -> tuple[int, dict[str, Any], dict[str, dict[str, Any]]]:
    """Run `devenv --json doctor ARGS` and check the document's shape.

    Returns (exit code, the document, checks by id). The running-cluster test
    reuses it: `code, doc, checks = doctor_json(cli, "--profile", name)`, then
    asserts `checks["cluster.hdfs"]["state"] == "ok"` and so on.
    """
    r = cli("--json", "doctor", *args)
    doc = json.loads(r.out)
    assert doc["schema"] == 1
    assert set(doc["summary"]) == {"ok", "warn", "fail", "skip", "error", "strict", "exit_code", "seconds"}
    assert doc["summary"]["exit_code"] == r.code
    assert sum(doc["summary"][s] for s in ("ok", "warn", "fail", "skip", "error")) == len(doc["checks"])
    for c in doc["checks"]:
        assert set(c) == {"id", "category", "title", "state", "message", "found", "required", "fix", "safe_fix", "seconds"}
        assert c["state"] in ("ok", "warn", "fail", "skip", "error"), c
        assert c["message"], c
        if c["state"] in ("warn", "fail"):
            assert c["fix"], c
    return r.code, doc, {c["id"]: c for c in doc["checks"]}


@pytest.mark.docker
def test_doctor_with_no_cluster_up_reports_the_engine_ok(cli) -> None:
    code, doc, checks = doctor_json(cli)
    assert doc["profile"] == "default"
    # .ci/run provisions the base image, so the test container has one to run: every engine check is ok
    for cid in ENGINE_CHECKS:
        assert checks[cid]["state"] == "ok", checks[cid]
    assert checks["profile.valid"]["state"] == "ok"
    for cid in ("cluster.images", "cluster.versions", "cluster.config", "cluster.hdfs", "cluster.yarn"):
        assert checks[cid]["state"] == "skip"
    assert code == (1 if doc["summary"]["fail"] else 0)


@pytest.mark.docker
def test_doctor_check_selects_one(cli) -> None:
    code, doc, checks = doctor_json(cli, "--check", "engine.reachable")
    assert list(checks) == ["engine.reachable"]
    assert code == 0 and checks["engine.reachable"]["state"] == "ok"
