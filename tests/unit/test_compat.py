"""compat.check and its helpers: every rule's exact problem, the keys it blames, and the nearest valid choice."""

from __future__ import annotations

import pytest

from devenv import compat

BASE = {"java": "17", "hadoop": "3.4.2", "hive": "4.0.1", "spark": "4.1.1"}
V, J = ("versions",), ("versions", "java")


def check(images: dict | None = None, **over: str) -> list:
    return compat.check({**BASE, **over}, images or {})


def test_the_default_combination_with_every_optional_pin_has_no_problem() -> None:
    assert check(scala="2.13", postgres="15", tez="0.10.4") == []
    assert compat.check({**BASE, "hadoop": 3.4}, {}) == [((("versions", "hadoop"),),
        'unknown hadoop version \'3.4\'. Nearest valid choice: hadoop = "3.4.3" '
        "(known: 3.3.6, 3.4.0, 3.4.1, 3.4.2, 3.4.3, 3.5.0)")]


def test_each_missing_required_pin_is_named() -> None:
    assert compat.check({}, {}) == [((V,), f"missing required key {c!r}") for c in ("java", "hadoop", "hive", "spark")]
    assert compat.check({"java": "17", "hadoop": "3.4.2", "hive": "4.0.1"}, {}) == [((V,), "missing required key 'spark'")]


def test_unknown_versions_give_the_reason_the_nearest_and_the_known_list() -> None:
    assert check(hive="4.1.0") == [((("versions", "hive"),),
        "unknown hive version '4.1.0': Hive 4.1's server artifacts (hive-service, hive-standalone-metastore-server) "
        'are not on Maven Central, where devenv builds from. Nearest valid choice: hive = "4.0.1" (known: 3.1.3, 4.0.0, 4.0.1)')]
    assert check(tez="0.9.9") == [((("versions", "tez"),),
        'unknown tez version \'0.9.9\'. Nearest valid choice: tez = "0.10.4" (known: 0.10.2, 0.10.3, 0.10.4)')]
    assert check(foo="1") == []  # pins devenv has no table for are not judged


def test_unknown_versions_stop_before_combination_rules() -> None:
    assert [p[0] for p in check(java="9", spark="3.6.0")] == [(("versions", "java"),), (("versions", "spark"),)]


def test_java_rules_name_the_component_the_reason_and_both_fixes() -> None:
    assert check(java="21") == [
        ((("versions", "hadoop"), J), "hadoop 3.4.2 does not run on Java 21: Hadoop 3.4 declares Java 8 and 11; 17 runs with "
         'the --add-opens flags of HADOOP-19310. Nearest valid choice: java = "17" or hadoop = "3.5.0"'),
        ((("versions", "hive"), J), "hive 4.0.1 does not run on Java 21: Hive 4.0 is released for Java 8 and runs on 17 with "
         '--add-opens (HIVE-26473). Nearest valid choice: java = "17"'),
        ((("images", "base"), J), 'debian:bookworm-slim has no Java 21 package (Debian bookworm has 17). '
         'Nearest valid choice: base = "debian:trixie-slim"'),
    ]
    assert check(hive="3.1.3") == [((("versions", "hive"), J),
        "hive 3.1.3 does not run on Java 17: Hive 3.1 runs only on Java 8: on 11+ SessionState fails with a URLClassLoader "
        'ClassCastException (HIVE-21584, never backported). Nearest valid choice: java = "8" or hive = "4.0.1"')]
    assert check(java="8")[0] == ((("versions", "spark"), J),
        'spark 4.1.1 does not run on Java 8: Spark 4 needs Java 17 or later. Nearest valid choice: java = "17" or spark = "3.5.9"')


def test_metastore_range_of_the_spark_line() -> None:
    assert check(spark="3.5.3", scala="2.12") == [((("versions", "hive"), ("versions", "spark")),
        "Spark 3.5 talks to Hive metastores 0.12.0 to 3.1.3 (spark.sql.hive.metastore.version), not 4.0.1. "
        'Nearest valid choice: hive = "3.1.3" or spark = "4.1.4"')]
    assert check(java="8", hadoop="3.3.6", hive="3.1.3", spark="3.5.3", scala="2.12",
                 images={"base": "eclipse-temurin:8-jre-jammy", "java_package": ""}) == []


def test_scala_and_tez_must_match_spark_and_hive() -> None:
    assert check(scala="2.12") == [((("versions", "scala"), ("versions", "spark")),
        'the pyspark 4.1.1 distribution is built for Scala 2.13, not 2.12. Nearest valid choice: scala = "2.13"')]
    assert check(tez="0.10.2") == [((("versions", "tez"), ("versions", "hive")),
        'Hive 4.0 is released against Tez 0.10.3, 0.10.4, not 0.10.2. Nearest valid choice: tez = "0.10.4"')]


def test_base_image_java_rules() -> None:
    assert check({"java_package": ""}) == [((("images", "java_package"), ("images", "base")),
        'java_package = "" means the base image already has Java, but debian:bookworm-slim has none. '
        "Nearest valid choice: remove java_package to install Debian's openjdk-17-jre-headless")]
    assert check({"base": "debian:trixie-slim"}) == [((("images", "base"), J),
        'debian:trixie-slim has no Java 17 package (Debian trixie has 21). Nearest valid choice: base = "debian:bullseye-slim"')]
    assert check({"base": "debian:trixie-slim", "java_package": "temurin-17-jre"}) == []
    assert check({"base": "eclipse-temurin:17-jre-jammy", "java_package": ""}) == []
    assert check(java="8", hadoop="3.3.6", hive="3.1.3", spark="3.5.3", scala="2.12") == [((("images", "base"), J),
        'debian:bookworm-slim has no Java 8 package (Debian bookworm has 17). Nearest valid choice: base = "debian:sid-slim"')]


def test_postgres_comes_from_the_database_base_image() -> None:
    assert check(postgres="13") == [((("versions", "postgres"), ("images", "db_base")),
        "the metastore database comes from debian:bookworm-slim's packages, which have PostgreSQL 15, not 13. "
        'Nearest valid choice: postgres = "15"')]
    assert check({"db_base": "debian:bullseye-slim"}, postgres="13") == []
    assert check({"base": "debian:bullseye-slim", "java_package": "x"}, postgres="13") == []
    assert check({"db_base": "postgres:13"}, postgres="99") == [((("versions", "postgres"),),
        'unknown postgres version \'99\'. Nearest valid choice: postgres = "17" (known: 13, 15, 17)')]


def test_version_helpers() -> None:
    assert compat.vkey("3.4.2-rc1") == (3, 4, 2, 1)
    assert compat.line_of("3.4.2") == "3.4" and compat.line_of("17") == "17"
    assert compat.java_for("hive", "3.1.3") == compat.JAVA_SUPPORT[3]
    assert compat.java_for("hive", "9.9") is None
    assert compat._nearest([], "1") is None
    assert compat._nearest(["3.5.0", "3.5.9", "4.0.1"], "3.6.0") == "3.5.9"
    assert compat._nearest(["3.4.0", "3.4.3", "3.5.0"], "3.4") == "3.4.3"
    assert compat._nearest(["4.0", "3.9"], "4") == "4.0"
    assert compat._nearest(["2.0.0", "1.9.0"], "1.5") == "1.9.0"


def test_nearest_breaks_ties_towards_the_newer_release() -> None:
    assert compat._nearest(["4.0", "4.1"], "4") == "4.0"  # a bare major means its .0 line
    assert compat._nearest(["3.0", "5.0"], "4.0") == "5.0"
    assert compat._nearest(["4.1", "4.3"], "4.2") == "4.3"
    assert compat._nearest(["4.3.1", "4.3.9", "4.3.2"], "4.3") == "4.3.9"
    # equal versions keep the order they were given in: "3" and "3.0" are the same release
    assert compat._nearest(["3.0", "3"], "3.1") == "3.0"
    assert compat._nearest(["3.0", "3"], "3") == "3.0"


@pytest.mark.parametrize(("name", "docker", "kernel"), [
    ("x86_64", "amd64", "x86_64"), ("X86-64", "amd64", "x86_64"), ("x64", "amd64", "x86_64"),
    ("aarch64", "arm64", "aarch64"), ("arm64/v8", "arm64", "aarch64"), ("ARM64V8", "arm64", "aarch64"),
    ("riscv64", "riscv64", "riscv64"),
])
def test_architecture_names(name: str, docker: str, kernel: str) -> None:
    assert compat.norm_arch(name) == docker
    assert compat.kernel_arch(name) == kernel


@pytest.mark.parametrize(("image", "suite"), [
    ("debian:bookworm-slim", "bookworm"), ("docker.io/library/debian:trixie", "trixie"),
    ("library/debian:bullseye@sha256:ab", "bullseye"), ("ubuntu:jammy", None), ("debian:12", None),
    ("mydebian:bookworm", None), ("debian:bookworm-slim-x", None),
])
def test_debian_suite(image: str, suite: str | None) -> None:
    assert compat.debian_suite(image) == suite


def test_a_suite_with_two_java_packages_lists_both() -> None:
    assert check({"base": "debian:bullseye-slim"}, java="21", hadoop="3.5.0", hive="4.0.1")[-1] == (
        (("images", "base"), J),
        'debian:bullseye-slim has no Java 21 package (Debian bullseye has 11, 17). Nearest valid choice: base = "debian:trixie-slim"')
