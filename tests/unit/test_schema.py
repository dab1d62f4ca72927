"""schema.check: every structural problem with its exact key path and message; memory sizes; config flattening."""

from __future__ import annotations

import pytest

from devenv import schema

P = schema.PROFILE
OK = {"schema": 1, "name": "a-1"}


def check(**over) -> list:
    return schema.check({**OK, **over}, P)


def test_not_a_table_and_missing_required_keys() -> None:
    assert schema.check([1], P) == [((), "must be a table, not an array ([1])")]
    assert schema.check({}, P) == [((), "missing required key 'schema'"), ((), "missing required key 'name'")]
    assert schema.check(OK, P) == []


def test_types_and_version_values() -> None:
    assert schema.check({"schema": True, "name": "A", "description": 3,
                         "versions": {"java": 17.0, "hadoop": "3.4", "hive": "x4", "spark": "3.4.2.1"}}, P) == [
        (("schema",), "must be an integer, not a boolean (True)"),
        (("name",), "must be lower-case letters, digits and '-' (a valid host and project name), got 'A'"),
        (("description",), "must be a string, not an integer (3)"),
        (("versions", "java"), 'must be a Java major version such as "17", not a number (17.0)'),
        (("versions", "hive"), "must be a version such as \"3.4.2\", got 'x4'"),
        (("versions", "spark"), "must be a version such as \"3.4.2\", got '3.4.2.1'"),
    ]


def test_integer_ranges_are_inclusive() -> None:
    assert check(topology={"datanodes": 0, "nodemanagers": 10, "services": {"hiveserver2": "yes"}}) == [
        (("topology", "datanodes"), "must be between 1 and 9, got 0"),
        (("topology", "nodemanagers"), "must be between 1 and 9, got 10"),
        (("topology", "services", "hiveserver2"), "must be true or false, not a string ('yes')"),
    ]
    assert check(topology={"datanodes": 1, "nodemanagers": 9}, resources={"yarn_vcores": 64},
                 network={"bind": "::1", "port_base": 65000}) == []
    assert check(network={"bind": "localhost", "port_base": 1023}) == [
        (("network", "bind"), "must be an IP address such as \"127.0.0.1\", got 'localhost'"),
        (("network", "port_base"), "must be between 1024 and 65000, got 1023"),
    ]


def test_memory_sizes_and_the_64m_floor() -> None:
    assert check(resources={"total": "lots", "yarn_memory": "63m", "yarn_vcores": 65,
                            "memory": {"namenode": "64m", "hivesrv2": "1g"}}) == [
        (("resources", "total"), "must be a size such as \"512m\" or \"2g\", got 'lots'"),
        (("resources", "yarn_memory"), "'63m' is 63 MB; at least 64m is needed"),
        (("resources", "yarn_vcores"), "must be between 1 and 64, got 65"),
        (("resources", "memory", "hivesrv2"), "unknown key 'hivesrv2' in [resources.memory]; did you mean 'hiveserver2'?"),
    ]


@pytest.mark.parametrize(("text", "mb"), [
    ("512m", 512), ("2g", 2048), ("1.5G", 1536), ("2GiB", 2048), (" 3 mb ", 3), ("1024k", 1), ("1t", 1048576),
    ("1048576", 1), ("x", None), ("2gg", None), ("-1m", None), ("1.m", None),
])
def test_parse_memory_units(text: str, mb: int | None) -> None:
    assert schema.parse_memory(text) == mb


def test_config_values_are_scalars_and_files_are_known() -> None:
    assert check(config={"core-site": {"a": [1], "b": {"c": 1}, "d": 1.5, "e": True}, "hive": {}}) == [
        (("config", "core-site", "a"), "must be a string, number or boolean, not an array"),
        (("config", "core-site", "b"), "must be a string, number or boolean, not a table"),
        (("config", "hive"), "unknown key 'hive' in [config]; did you mean 'hive-site'?"),
    ]


def test_source_urls() -> None:
    assert check(sources={"maven": "ftp://x", "pypi": "file:///x", "debian": "https://d"}) == [
        (("sources", "maven"), "must be an http(s):// or file:// URL, got 'ftp://x'")]
    assert check(sources={"maven": "http://m", "pypi": "x https://y"}) == [
        (("sources", "pypi"), "must be an http(s):// or file:// URL, got 'x https://y'")]


def test_seed_steps() -> None:
    assert check(seed={"x": 1}) == [(("seed",), "must be an array of tables ([[seed]] entries), not a table")]
    assert check(seed=[{"name": "n"}, {"copy": "a", "sql": "b"}, {"copy": "a"}, {"shell": "x"},
                       {"dataset": "tpcds", "scale": 0, "format": "orc"},
                       {"dataset": "tpch", "scale": 100, "format": "csv", "args": "x", "sclae": 1}, 3]) == [
        (("seed", 0), "needs one of dataset, copy, sql, pyspark, jar, shell"),
        (("seed", 1, "sql"), "a seed step does one thing; it has both 'copy' and 'sql': split it into two [[seed]] entries"),
        (("seed", 2), "a 'copy' step needs 'to'"),
        (("seed", 3), "a 'shell' step needs 'service'"),
        (("seed", 4, "scale"), "must be > 0 and <= 100, got 0"),
        (("seed", 4, "format"), "must be \"parquet\" or \"csv\", got 'orc'"),
        (("seed", 4, "dataset"), "unknown dataset 'tpcds'; built-in datasets: tpch"),
        (("seed", 5, "args"), "must be an array of strings, not a string ('x')"),
        (("seed", 5, "sclae"), "unknown key 'sclae' in [seed]; did you mean 'scale'?"),
        (("seed", 6), "must be a table, not an integer (3)"),
    ]
    assert check(seed=[{"copy": "a", "to": "/x"}, {"shell": "x", "service": "namenode"}, {"dataset": "tpch"}]) == []


def test_unknown_keys_suggest_or_list() -> None:
    assert check(verisons={}, images={"bsae": "x", "zzz": 1}) == [
        (("verisons",), "unknown key 'verisons' at the top level; did you mean 'versions'?"),
        (("images", "bsae"), "unknown key 'bsae' in [images]; did you mean 'base'?"),
        (("images", "zzz"), "unknown key 'zzz' in [images]; known keys: base, java_package, db_base, platform"),
    ]


def test_a_platform_must_be_one_devenv_builds_for() -> None:
    assert check(images={"platform": "linux/arm64"}) == []
    assert check(images={"platform": "arm64"}) == [
        (("images", "platform"), "must be one of linux/amd64, linux/arm64, got 'arm64'")]


def test_user_config() -> None:
    assert schema.check({"sources": {"maven": "http://m"}, "proxy": {"http": "h", "htps": "x"},
                         "tls": {"ca_certificates": "a"}}, schema.USER_CONFIG) == [
        (("proxy", "htps"), "unknown key 'htps' in [proxy]; did you mean 'https'?"),
        (("tls", "ca_certificates"), "must be an array of file paths, not a string ('a')"),
    ]


def test_normalise_joins_dotted_properties_and_leaves_the_rest() -> None:
    data = {"config": {"core-site": {"fs": {"trash": {"interval": 1}}, "a.b": 2}, "x": 3}, "name": "n"}
    assert schema.normalise(data) == {"config": {"core-site": {"fs.trash.interval": 1, "a.b": 2}, "x": 3}, "name": "n"}
    assert data["config"]["core-site"] == {"fs": {"trash": {"interval": 1}}, "a.b": 2}  # the input is not changed
    assert schema.normalise({"config": 5}) == {"config": 5}


def test_type_names() -> None:
    assert [schema._type_name(v) for v in (None, True, 1, 1.0, "s", [], {})] == [
        "NoneType", "a boolean", "an integer", "a number", "a string", "an array", "a table"]


def test_a_toml_date_is_named_by_its_type() -> None:
    import datetime

    day = datetime.date(2024, 1, 31)
    assert check(description=day, config={"core-site": {"x": day}}) == [
        (("description",), "must be a string, not date (datetime.date(2024, 1, 31))"),
        (("config", "core-site", "x"), "must be a string, number or boolean, not date (datetime.date(2024, 1, 31))"),
    ]
