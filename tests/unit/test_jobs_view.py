"""The production view of a run, and peak memory from overlapping containers."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv import profile as prof
from devenv.jobs import production, report

BANK = Path(__file__).resolve().parents[1] / "fixtures" / "import" / "bank-etl" / "expected.toml"


def _app(peak: int, largest: int, queue: str = "root.etl.daily") -> report.App:
    return report.App(id="application_1_0001", name="n", queue=queue, user="hadoop", type="SPARK", state="FINISHED",
                      final_status="SUCCEEDED", elapsed_s=10.0, wait_s=1.0, attempts=1, memory_seconds=1, vcore_seconds=1,
                      containers=2, peak_mb=peak, largest_container_mb=largest)


@pytest.mark.parametrize("spans, expected", [
    ([(0, 10, 512), (5, 15, 512), (20, 30, 1024)], 1024),
    ([(0, 10, 512), (10, 20, 512)], 512),   # one ends as the next starts: never both
    ([(0, 100, 768), (1, 2, 768), (1, 3, 768)], 2304),
    ([], 0),
])
def test_peak_is_the_largest_overlap(spans: list[tuple[float, float, int]], expected: int) -> None:
    assert report.peak(spans) == expected


def test_a_run_that_borrows_beyond_the_guarantee_still_fits_and_a_large_container_warns() -> None:
    v = production.view(_app(1152, 768), prof.load_profile(BANK))
    assert v["queue"] == "root.etl.daily"
    assert (v["peak_mb"], v["guarantee_mb"], v["maximum_mb"]) == (55297, 34407, 78644)
    assert v["verdict"] == "needs 161% of queue daily's guarantee; fits only by borrowing beyond the guarantee (up to its maximum)"
    assert v["fits"] is True
    assert v["warnings"] == ["its largest container would be 36865 MB in production, over yarn.scheduler.maximum-allocation-mb 32768"]
    assert v["basis"] == "assumed 1 NodeManager(s) as here (set production.nodemanagers)"


def test_a_run_over_the_queue_maximum_does_not_fit(tmp_path: Path) -> None:
    v = production.view(_app(2048, 512, queue="daily"), prof.load_profile(BANK))
    assert v["fits"] is False
    assert v["verdict"] == "needs 286% of queue daily's guarantee; over its maximum"
    assert "over queue daily's maximum capacity of 78644 MB" in v["warnings"][0]


def test_production_size_from_the_profile(tmp_path: Path) -> None:
    p = tmp_path / "bank.toml"
    p.write_text(BANK.read_text().replace("[production]", "[production]\nnodemanagers = 100"))
    v = production.view(_app(512, 512), prof.load_profile(p))
    assert v["basis"] == "production.nodemanagers x nodemanager_memory_mb"
    assert (v["guarantee_mb"], v["percent_of_guarantee"], v["fits"]) == (3440640, 1, True)


def test_an_unknown_queue_and_a_profile_that_was_not_imported() -> None:
    assert production.view(_app(512, 512, queue="nightly"), prof.load_profile(BANK))["verdict"] == (
        "queue nightly is not in the profile's capacity-scheduler layout")
    default = prof.load_profile(prof.builtin_dir() / "default.toml")
    assert production.view(_app(512, 512, queue="default"), default) == {}
