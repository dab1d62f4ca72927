"""Profiles: lookup order, extends, defaults, user config, the compatibility table, locating keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO
from devenv import compat, images, profile, schema
from devenv.errors import DevenvError, ProfileError
from devenv.tomlsource import format_path, locate


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


CHILD = 'schema = 1\nname = "child"\nextends = "default"\n'


# --- built-in profiles ----------------------------------------------------

@pytest.mark.parametrize("name", ["default", "spark40", "legacy"])
def test_builtin_profiles_validate(name: str) -> None:
    p = profile.load_profile(REPO / "profiles" / f"{name}.toml")
    assert p.name == name
    assert set(p.versions) >= {"java", "hadoop", "hive", "spark"}


def test_default_runs_entirely_on_java_17() -> None:
    p = profile.resolve("default")
    assert p.versions["java"] == "17"
    for comp in ("hadoop", "hive", "spark"):
        support = compat.java_for(comp, p.versions[comp])
        assert support is not None and "17" in support.java


def test_legacy_pins_java_8_from_the_one_debian_suite_that_has_it() -> None:
    p = profile.resolve("legacy")
    assert (p.versions["hadoop"], p.versions["hive"], p.versions["java"]) == ("3.3.6", "3.1.3", "8")
    assert p.versions["spark"].startswith("3.5.")
    assert compat.debian_suite(p.images["base"]) == "sid" and "java_package" not in p.images
    assert images.build_args(p)["JAVA_PACKAGE"] == "openjdk-8-jre-headless"
    assert compat.check(dict(p.versions), {"base": "debian:bookworm-slim"})[0][1].endswith('Nearest valid choice: base = "debian:sid-slim"')


# --- lookup order ---------------------------------------------------------

def test_lookup_falls_back_to_builtin_default(tmp_path: Path) -> None:
    path, why = profile.select(None)
    assert path == REPO / "profiles" / "default.toml"
    assert why == "built-in default"


def test_lookup_finds_devenv_toml_in_a_parent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = write(tmp_path / "proj" / "devenv.toml", CHILD)
    deep = tmp_path / "proj" / "a" / "b"
    deep.mkdir(parents=True)
    monkeypatch.chdir(deep)
    assert profile.select(None) == (project, str(project))


def test_env_beats_project_file_and_flag_beats_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(Path.cwd() / "devenv.toml", CHILD)
    monkeypatch.setenv("DEVENV_PROFILE", "legacy")
    assert profile.select(None)[0].name == "legacy.toml"
    assert profile.select("spark40")[0].name == "spark40.toml"


def test_path_reference_is_relative_to_cwd(tmp_path: Path) -> None:
    f = write(Path.cwd() / "mine.toml", CHILD)
    assert profile.select("mine.toml")[0] == f


def test_unknown_name_suggests_the_closest() -> None:
    with pytest.raises(DevenvError) as e:
        profile.select("legacyy")
    assert e.value.message == "no profile named 'legacyy' (from --profile)"
    assert e.value.hint == "did you mean 'legacy'? known profiles: ci, default, legacy, spark40; see devenv profile list"


def test_missing_file_is_named() -> None:
    with pytest.raises(DevenvError) as e:
        profile.select("nope/x.toml")
    assert e.value.message == f"profile file not found: {Path.cwd() / 'nope/x.toml'} (from --profile)"


def test_user_profiles_shadow_builtin(isolated: Path) -> None:
    f = write(isolated / "config" / "profiles" / "legacy.toml", 'schema = 1\nname = "legacy"\nextends = "default"\n')
    assert profile.available()["legacy"] == f


# --- extends and defaults ------------------------------------------------

def test_child_overrides_parent_and_inherits_the_rest(tmp_path: Path) -> None:
    f = write(tmp_path / "c.toml", CHILD + '[versions]\nspark = "4.0.1"\n[topology]\ndatanodes = 2\n')
    p = profile.load_profile(f)
    assert p.versions["spark"] == "4.0.1"
    assert p.versions["hadoop"] == "3.4.2"
    assert p.topology["datanodes"] == 2
    assert p.chain == (str(f), str(REPO / "profiles" / "default.toml"))


def test_seed_steps_of_a_child_run_after_its_parents(tmp_path: Path) -> None:
    write(tmp_path / "base.toml", CHILD.replace("child", "base") + '[[seed]]\nsql = "one.sql"\n')
    f = write(tmp_path / "c.toml", 'schema = 1\nname = "c"\nextends = "base"\n[[seed]]\nsql = "two.sql"\n')
    assert [s["sql"] for s in profile.load_profile(f).seeds] == ["one.sql", "two.sql"]


def test_unquoted_dotted_properties_are_joined(tmp_path: Path) -> None:
    f = write(tmp_path / "c.toml", CHILD + "[config.core-site]\nfs.trash.interval = 60\n")
    assert profile.load_profile(f).config["core-site"]["fs.trash.interval"] == 60


def test_user_config_sources_override_profile_defaults(tmp_path: Path, isolated: Path) -> None:
    write(isolated / "config" / "config.toml", '[sources]\nmaven = "https://mirror.internal/maven2"\n')
    f = write(tmp_path / "c.toml", CHILD + '[sources]\nmaven = "https://profile.default/m2"\npypi = "https://profile.default/simple"\n')
    p = profile.load_profile(f, user_config=profile.load_user_config())
    assert dict(p.sources) == {"maven": "https://mirror.internal/maven2", "pypi": "https://profile.default/simple"}


def test_invalid_user_config_is_located(isolated: Path) -> None:
    write(isolated / "config" / "config.toml", '[proxy]\nhttps = "http://p:3128"\n[tls]\nca_certificates = "corp.pem"\n')
    with pytest.raises(ProfileError) as e:
        profile.load_user_config()
    assert e.value.problems == [f"{isolated / 'config' / 'config.toml'}:4:1: tls.ca_certificates: must be an array of file paths, not a string ('corp.pem')"]


# --- the compatibility table ------------------------------------------------

def test_hive_31_needs_java_8() -> None:
    problems = compat.check({"java": "17", "hadoop": "3.3.6", "hive": "3.1.3", "spark": "3.5.8"}, {})
    assert problems == [
        ((("versions", "hadoop"), ("versions", "java")), "hadoop 3.3.6 does not run on Java 17: Hadoop 3.3 supports Java 8 and 11 at run time (Hadoop wiki, Hadoop Java Versions). Nearest valid choice: java = \"11\" or hadoop = \"3.4.3\""),
        ((("versions", "hive"), ("versions", "java")), "hive 3.1.3 does not run on Java 17: Hive 3.1 runs only on Java 8: on 11+ SessionState fails with a URLClassLoader ClassCastException (HIVE-21584, never backported). Nearest valid choice: java = \"8\" or hive = \"4.0.1\""),
    ]


def test_spark_4_needs_java_17() -> None:
    (keys, msg), = compat.check({"java": "8", "hadoop": "3.3.6", "hive": "3.1.3", "spark": "4.0.1"}, {"base": "eclipse-temurin:8-jre", "java_package": ""})
    assert keys[0] == ("versions", "spark")
    assert msg == 'spark 4.0.1 does not run on Java 8: Spark 4 needs Java 17 or later. Nearest valid choice: java = "17" or spark = "3.5.9"'


def test_spark_metastore_range() -> None:
    (keys, msg), = compat.check({"java": "17", "hadoop": "3.4.2", "hive": "4.0.1", "spark": "3.5.8"}, {})
    assert msg == 'Spark 3.5 talks to Hive metastores 0.12.0 to 3.1.3 (spark.sql.hive.metastore.version), not 4.0.1. Nearest valid choice: hive = "3.1.3" or spark = "4.1.4"'


def test_hadoop_35_needs_java_17() -> None:
    problems = compat.check({"java": "11", "hadoop": "3.5.0", "hive": "3.1.3", "spark": "3.5.8"}, {"base": "debian:bullseye-slim"})
    assert problems[0][1].startswith("hadoop 3.5.0 does not run on Java 11: Hadoop 3.5 is Java 17 bytecode")


def test_unknown_version_names_nearest() -> None:
    (keys, msg), = compat.check({"java": "17", "hadoop": "3.4.2", "hive": "4.0.1", "spark": "4.1.9"}, {})
    assert msg == "unknown spark version '4.1.9'. Nearest valid choice: spark = \"4.1.4\" (known: " + ", ".join(compat.KNOWN["spark"]) + ")"


def _blamed_by_the_tables(v: dict[str, str], suite: str) -> set[tuple[str, str]]:
    """The keys compat's tables say are wrong in `v` on Debian `suite`, read table by table."""
    blamed = set()
    for comp in ("hadoop", "hive", "spark"):
        support = compat.java_for(comp, v[comp])
        if support is not None and v["java"] not in support.java:
            blamed.add(("versions", comp))
    lo, hi = compat.SPARK_METASTORE[compat.line_of(v["spark"])]
    if not compat.vkey(lo) <= compat.vkey(v["hive"]) <= compat.vkey(hi):
        blamed.add(("versions", "hive"))
    if v["scala"] != compat.SPARK_SCALA[compat.line_of(v["spark"])]:
        blamed.add(("versions", "scala"))
    if "tez" in v and v["tez"] not in compat.HIVE_TEZ.get(compat.line_of(v["hive"]), ()):
        blamed.add(("versions", "tez"))
    if v["java"] not in compat.DEBIAN_JAVA[suite]:
        blamed.add(("images", "base"))
    if v["postgres"] != compat.DEBIAN_POSTGRES[suite]:
        blamed.add(("versions", "postgres"))
    return blamed


def test_every_known_combination_of_builtin_lines_is_judged() -> None:
    import itertools

    ok = compat.check({"java": "17", "hadoop": "3.4.2", "hive": "4.0.1", "spark": "4.1.1", "scala": "2.13", "postgres": "15"}, {"base": "debian:bookworm-slim"})
    assert ok == []
    k = compat.KNOWN

    def judge(v: dict[str, str], suite: str) -> bool:
        problems = compat.check(v, {"base": f"debian:{suite}-slim"})
        assert {p[0][0] for p in problems} == _blamed_by_the_tables(v, suite), (v, suite)
        assert all("Nearest valid choice: " in msg for _, msg in problems), v
        return not problems

    # every pin of the four components with both Scala lines (Java, metastore and Scala tables)
    pins = [{"java": j, "hadoop": h, "hive": hv, "spark": sp, "scala": sc, "postgres": "15"}
            for j, h, hv, sp, sc in itertools.product(k["java"], k["hadoop"], k["hive"], k["spark"], k["scala"])]
    assert len(pins) == 4 * 6 * 3 * 21 * 2 and sum(judge(v, "bookworm") for v in pins) > 0
    # every Hive with every Tez (the Tez table), on an otherwise valid stack
    base = {"java": "17", "hadoop": "3.4.2", "spark": "4.1.1", "scala": "2.13", "postgres": "15"}
    assert sum(judge({**base, "hive": hv, "tez": tz}, "bookworm") for hv, tz in itertools.product(k["hive"], k["tez"])) == 4  # Hive 4.0.0 and 4.0.1 with Tez 0.10.3 and 0.10.4
    # every Debian suite with every Java and PostgreSQL (the image tables)
    for suite, java, pg in itertools.product(compat.DEBIAN_JAVA, k["java"], k["postgres"]):
        judge({**base, "hive": "4.0.1", "java": java, "postgres": pg}, suite)


# --- schema helpers -------------------------------------------------------

@pytest.mark.parametrize("text,mb", [("512m", 512), ("2g", 2048), ("1.5G", 1536), ("2GiB", 2048), ("lots", None), ("", None)])
def test_parse_memory(text: str, mb: int | None) -> None:
    assert schema.parse_memory(text) == mb


def test_locate_and_format_paths() -> None:
    text = '[versions]\n  java = "17"\n[config.core-site]\n"fs.trash.interval" = 1\n[[seed]]\nsql = "a"\n[[seed]]\ncopy = "b"\nto = "/x"\n'
    assert locate(text, ("versions", "java")) == (2, 3)
    assert locate(text, ("versions", "hive")) == (1, 1)  # absent: its table
    assert locate(text, ("config", "core-site", "fs.trash.interval")) == (4, 1)
    assert locate(text, ("seed", 1, "to")) == (9, 1)
    assert format_path(("config", "core-site", "fs.trash.interval")) == 'config.core-site."fs.trash.interval"'
    assert format_path(("seed", 1, "to")) == "seed[1].to"
