"""Issue 17: nothing devenv downloads ties an image to one CPU architecture; an explicit platform is in the tag.

The arm64 build itself runs under QEMU in benchmarks/arm64.py (too slow for every CI run); these checks
keep the inputs of that build honest on every run.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest

from conftest import REPO
from devenv import docker, images, lock, profile
from devenv.console import Ui

LOCKS = sorted((REPO / "profiles").glob("*.lock"))
# Maven classifiers that name an OS and CPU, e.g. linux-x86_64, osx-aarch_64
NATIVE = re.compile(r"^(linux|osx|windows)-(x86_64|aarch_64|riscv64|ppcle_64|s390_64)$")


def test_there_are_locks_to_check() -> None:
    assert {p.stem for p in LOCKS} >= {"default", "spark40"}


@pytest.mark.parametrize("path", LOCKS, ids=lambda p: p.stem)
def test_every_native_jar_for_linux_amd64_has_its_arm64_twin(path: Path) -> None:
    """Native jars come in sets (netty's epoll for linux-x86_64 and linux-aarch_64): an image of either
    architecture finds its own, so the same lock builds both."""
    natives: dict[str, set[str]] = defaultdict(set)
    for a in lock.read(path).artifacts:
        if a.source != "maven":
            continue
        parts = a.coords.split(":")
        if len(parts) == 5 and NATIVE.match(parts[3]):
            natives[f"{parts[0]}:{parts[1]}:{parts[4]}"].add(parts[3])
    one_sided = {k: v for k, v in natives.items() if ("linux-x86_64" in v) != ("linux-aarch_64" in v)}
    assert one_sided == {}


@pytest.mark.parametrize("path", LOCKS, ids=lambda p: p.stem)
def test_python_artifacts_are_sources_or_pure_wheels(path: Path) -> None:
    pypi = [a.path for a in lock.read(path).artifacts if a.source == "pypi"]
    assert pypi, "a lock with no pyspark"
    assert [p for p in pypi if not (p.endswith(".tar.gz") or p.endswith("-none-any.whl"))] == []


def test_image_templates_download_nothing_themselves() -> None:
    """Only apt (which picks the platform's packages) and the staged, locked artifacts enter an image."""
    fetchers = re.compile(r"\b(curl|wget)\b|^\s*ADD\s+https?://|x86_64|amd64|aarch64", re.I)
    found = [f"{p.relative_to(REPO)}: {line.strip()}" for p in sorted((REPO / "images").rglob("*"))
             if p.is_file() and p.suffix in ("", ".sh", ".conf")
             for line in p.read_text().splitlines() if fetchers.search(line) and not line.lstrip().startswith("#")]
    assert found == []


def test_an_explicit_platform_is_in_the_tag_and_the_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker, "image_exists", lambda ref: True)
    monkeypatch.setattr(docker, "images", lambda **kw: [])
    calls: list[tuple[str, str | None]] = []
    monkeypatch.setattr(docker, "build", lambda ctx, tag, *, platform=None, **kw: calls.append((tag, platform)) or iter(()))
    prof = profile.resolve("default")
    native = {p.name: p.tag for p in images.plan(prof, None, ["jvm", "postgres"], "")}
    arm = {p.name: p.tag for p in images.plan(prof, None, ["jvm", "postgres"], "", "linux/arm64")}
    assert all(re.fullmatch(r"devenv/\w+:[0-9a-f]{12}", t) for t in native.values())
    assert all(t.endswith("-arm64") for t in arm.values())
    assert native["jvm"][:-13] == arm["jvm"][:-19] and native["jvm"][-12:] != arm["jvm"][-18:-6]  # other digest too
    images.build(prof, None, ui=Ui(), names=["postgres"], platform="linux/arm64")
    assert calls == [(arm["postgres"], "linux/arm64")]
