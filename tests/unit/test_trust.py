"""The trust model, the bind opt-in and the host client config allow-list (issue 10).

A profile from elsewhere that acts is reviewed and trusted once; a change asks
again; CI needs an explicit opt-in; built-in and user profiles never ask; a
non-loopback bind needs the user config; host tools get only allow-listed keys.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from devenv import docker, host_config, profile, services, trust
from devenv.errors import DevenvError

REPO = Path(__file__).resolve().parents[2]

SEEDED = """schema = 1
name = "repo"
extends = "default"

[[seed]]
copy = "data"
to = "/seed/data"

[[seed]]
sql = "ddl.sql"

[[seed]]
shell = "hdfs dfs -touchz /seed/done"
service = "namenode"
"""


def repo_profile(root: Path, text: str = SEEDED) -> Path:
    """A cloned repository's devenv.toml with seed files beside it."""
    (root / "data" / "sub").mkdir(parents=True)
    (root / "data" / "a.csv").write_text("1,a\n")
    (root / "data" / "sub" / "b.csv").write_text("2,b\n")
    (root / "ddl.sql").write_text("CREATE TABLE t (x INT);\n")
    f = root / "devenv.toml"
    f.write_text(text)
    return f


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def gate(r) -> bool:
    """True when the command got past the trust check (here: to the offline cache, which is empty)."""
    return "not trusted" not in r.err and "changed since it was trusted" not in r.err and "--offline" in r.err


@pytest.fixture(autouse=True)
def no_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("CI", "DEVENV_TRUST"):
        monkeypatch.delenv(var, raising=False)


# --- the trust model -----------------------------------------------------------------

def test_first_use_without_a_terminal_refuses_and_shows_what_it_would_do(tmp_path: Path, cli) -> None:
    f = repo_profile(tmp_path / "repo")
    r = cli("--profile", str(f), "fetch", "--offline")
    assert r.code == 1
    assert f"error: profile {f.resolve()} is not trusted (no terminal to ask on)" in r.err
    assert f"seed[0] in devenv.toml: copy 2 files under {(f.parent / 'data').resolve()} -> /seed/data" in r.err
    assert f"seed[1] in devenv.toml: sql {(f.parent / 'ddl.sql').resolve()}" in r.err
    assert "seed[2] in devenv.toml: shell in namenode: hdfs dfs -touchz /seed/done" in r.err
    assert f"hint: review it, then: devenv trust {f.resolve()}" in r.err
    assert not trust.record_file().exists()


def test_discovery_from_a_subdirectory_is_checked_too(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    f = repo_profile(tmp_path / "repo")
    (f.parent / "src").mkdir()
    monkeypatch.chdir(f.parent / "src")
    r = cli("fetch", "--offline")
    assert r.code == 1 and f"profile {f.resolve()} is not trusted" in r.err


def test_first_use_on_a_terminal_asks_and_yes_records_trust(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    f = repo_profile(tmp_path / "repo")
    monkeypatch.setattr(sys, "stdin", _Tty("y\n"))
    r = cli("--profile", str(f), "fetch", "--offline")
    assert "trust this profile and go on?" in r.err and gate(r), r.err
    assert str(f.resolve()) in trust.records()
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))  # no terminal now: trusted, so no question
    r = cli("--profile", str(f), "fetch", "--offline")
    assert gate(r) and "trust this profile" not in r.err


def test_answering_no_refuses_and_records_nothing(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    f = repo_profile(tmp_path / "repo")
    monkeypatch.setattr(sys, "stdin", _Tty("n\n"))
    r = cli("--profile", str(f), "fetch", "--offline")
    assert r.code == 1 and f"error: not trusted: {f.resolve()}" in r.err
    assert trust.records() == {}


def test_trust_then_no_prompt(tmp_path: Path, cli) -> None:
    f = repo_profile(tmp_path / "repo")
    r = cli("trust", str(f))
    assert r.code == 0 and f"trusted: {f.resolve()} (4 files recorded in {trust.record_file()})" in r.out
    assert gate(cli("--profile", str(f), "fetch", "--offline"))
    rec = json.loads(trust.record_file().read_text())
    assert set(rec["profiles"][str(f.resolve())]["files"]) == {
        str(p.resolve()) for p in (f, f.parent / "ddl.sql", f.parent / "data" / "a.csv", f.parent / "data" / "sub" / "b.csv")}


def test_a_changed_seed_file_asks_again_naming_it(tmp_path: Path, cli) -> None:
    f = repo_profile(tmp_path / "repo")
    assert cli("trust", str(f)).code == 0
    (f.parent / "data" / "sub" / "b.csv").write_text("2,changed\n")
    r = cli("--profile", str(f), "fetch", "--offline")
    assert r.code == 1
    assert f"profile {f.resolve()} changed since it was trusted" in r.err
    assert f"changed: {(f.parent / 'data' / 'sub' / 'b.csv').resolve()}" in r.err


def test_a_new_file_under_a_seeded_directory_asks_again(tmp_path: Path, cli) -> None:
    f = repo_profile(tmp_path / "repo")
    assert cli("trust", str(f)).code == 0
    (f.parent / "data" / "c.csv").write_text("3,c\n")
    r = cli("--profile", str(f), "fetch", "--offline")
    assert r.code == 1 and f"new: {(f.parent / 'data' / 'c.csv').resolve()}" in r.err


def test_a_changed_lock_asks_again_naming_it(tmp_path: Path, cli) -> None:
    f = repo_profile(tmp_path / "repo", 'schema = 1\nname = "repo"\nextends = "default"\n')
    lock = f.with_suffix(".lock")
    lock.write_text((REPO / "profiles" / "default.lock").read_text())
    r = cli("--profile", str(f), "fetch", "--offline")
    assert r.code == 1 and f"lock {lock}" in r.err and "entries)" in r.err  # a lock of its own is enough to ask
    assert cli("trust", str(f)).code == 0
    assert gate(cli("--profile", str(f), "fetch", "--offline"))
    lock.write_text(lock.read_text() + "\n# edited\n")
    r = cli("--profile", str(f), "fetch", "--offline")
    assert r.code == 1 and f"changed: {lock.resolve()}" in r.err


def test_a_changed_parent_in_the_extends_chain_asks_again(tmp_path: Path, cli) -> None:
    root = tmp_path / "repo"
    f = repo_profile(root, SEEDED.replace('extends = "default"', 'extends = "base.toml"'))
    (root / "base.toml").write_text('schema = 1\nname = "base"\nextends = "default"\n')
    assert cli("trust", str(f)).code == 0
    (root / "base.toml").write_text('schema = 1\nname = "base"\nextends = "default"\n[sources]\nmaven = "http://evil.example/m2"\n')
    r = cli("--profile", str(f), "fetch", "--offline")
    assert r.code == 1 and f"changed: {(root / 'base.toml').resolve()}" in r.err
    assert "[sources] maven = http://evil.example/m2" in r.err


def test_ci_without_opt_in_refuses_and_with_trust_proceeds(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    f = repo_profile(tmp_path / "repo")
    monkeypatch.setenv("CI", "true")
    monkeypatch.setattr(sys, "stdin", _Tty("y\n"))  # even with a terminal: CI never asks
    r = cli("--profile", str(f), "fetch", "--offline")
    assert r.code == 1 and "is not trusted (CI=true and no opt-in (--trust or DEVENV_TRUST=1))" in r.err
    r = cli("--trust", "--profile", str(f), "fetch", "--offline")
    assert gate(r) and f"trusting {f.resolve()} for this run" in r.err
    r = cli("--profile", str(f), "fetch", "--offline")  # the opt-in is per run, nothing was recorded
    assert r.code == 1 and "is not trusted" in r.err
    monkeypatch.setenv("DEVENV_TRUST", "1")
    assert gate(cli("--profile", str(f), "fetch", "--offline"))


def test_the_opt_in_does_not_count_outside_ci(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    f = repo_profile(tmp_path / "repo")
    monkeypatch.setenv("DEVENV_TRUST", "1")
    r = cli("--trust", "--profile", str(f), "fetch", "--offline")
    assert r.code == 1 and "is not trusted (no terminal to ask on)" in r.err


def test_built_in_and_user_profiles_never_ask(tmp_path: Path, cli, isolated: Path) -> None:
    assert gate(cli("fetch", "--offline"))  # the built-in default
    user = isolated / "config" / "profiles"
    repo_profile(user)
    (user / "devenv.toml").rename(user / "mine.toml")
    r = cli("--profile", "mine", "fetch", "--offline")
    assert gate(r) and "trust" not in r.err


def test_a_profile_that_does_not_act_needs_no_trust(tmp_path: Path, cli) -> None:
    f = tmp_path / "devenv.toml"
    f.write_text('schema = 1\nname = "quiet"\nextends = "default"\n[topology]\ndatanodes = 1\n')
    assert gate(cli("--profile", str(f), "fetch", "--offline"))
    assert "needs no trust" in cli("trust", str(f)).out


def test_reading_commands_do_not_ask(tmp_path: Path, cli) -> None:
    f = repo_profile(tmp_path / "repo")
    for argv in (("profile", "show"), ("profile", "validate"), ("profile", "list")):
        r = cli("--profile", str(f), *argv)
        assert r.code == 0 and "trust" not in r.err, (argv, r.err)


def test_list_and_revoke(tmp_path: Path, cli) -> None:
    f = repo_profile(tmp_path / "repo")
    assert cli("trust", str(f)).code == 0
    (f.parent / "ddl.sql").write_text("DROP TABLE t;\n")
    rows = json.loads(cli("--json", "trust", "--list").out)["profiles"]
    assert [(r["profile"], r["state"]) for r in rows] == [(str(f.resolve()), "changed (1 files)")]
    assert cli("trust", "--revoke", str(f)).code == 0
    assert trust.records() == {}
    r = cli("trust", "--revoke", str(f))
    assert r.code == 1 and f"{f.resolve()} is not trusted" in r.err


def test_the_record_is_written_atomically(tmp_path: Path, cli) -> None:
    f = repo_profile(tmp_path / "repo")
    assert cli("trust", str(f)).code == 0
    assert [p.name for p in trust.record_file().parent.iterdir()] == ["trust.json"]  # no temporary file left


def test_acting_commands_load_their_profile_through_the_one_gate() -> None:
    """Every command that builds a Context goes through _args.acting_context (where trust is checked)."""
    direct = [p.name for p in (REPO / "devenv" / "commands").glob("*.py")
              if p.name != "_args.py" and "Context.load(" in p.read_text()]
    assert direct == []
    for name in ("lock", "fetch", "build", "up", "seed", "client_config"):
        assert "acting_context(" in (REPO / "devenv" / "commands" / f"{name}.py").read_text(), name


def test_a_fresh_home_refuses_the_integration_seeded_profile_without_the_opt_in(tmp_path: Path) -> None:
    """As tests/integration/conftest.py runs devenv: a subprocess, no terminal, CI=true; DEVENV_TRUST=1 is what lets it in."""
    env = {**os.environ, "DEVENV_HOME": str(tmp_path / "home"), "NO_COLOR": "1", "CI": "true"}
    env.pop("DEVENV_TRUST", None)
    argv = [sys.executable, "-m", "devenv", "--profile", str(REPO / "tests/profiles/seeded/seeded.toml"), "fetch", "--offline"]
    p = subprocess.run(argv, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, cwd=tmp_path, timeout=120)
    assert p.returncode == 1 and "seeded.toml is not trusted (CI=true and no opt-in" in p.stderr, p.stderr
    p = subprocess.run(argv, capture_output=True, text=True, env={**env, "DEVENV_TRUST": "1"}, stdin=subprocess.DEVNULL,
                       cwd=tmp_path, timeout=120)
    assert "not trusted" not in p.stderr and "--offline" in p.stderr, p.stderr


# --- the bind opt-in ---------------------------------------------------------------------

WIDE = 'schema = 1\nname = "wide-open"\nextends = "default"\n\n[network]\nbind = "0.0.0.0"\n'


def test_a_wide_bind_is_refused_without_the_user_opt_in(tmp_path: Path, cli) -> None:
    f = tmp_path / "devenv.toml"
    f.write_text(WIDE)
    r = cli("--profile", str(f), "up")
    assert r.code == 1
    assert f"error: {f}:6:1: network.bind: '0.0.0.0' would publish every port beyond this machine" in r.err
    assert 'allow_bind = ["0.0.0.0"]' in r.err


def test_a_wide_bind_allowed_by_the_user_config_warns_on_up(tmp_path: Path, cli, isolated: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "devenv.toml"
    f.write_text(WIDE)
    (isolated / "config").mkdir(parents=True)
    (isolated / "config" / "config.toml").write_text('[network]\nallow_bind = ["0.0.0.0"]\n')
    r = cli("--profile", str(f), "up")
    assert r.code == 1 and "[network] bind = '0.0.0.0'" in r.err and "is not trusted" in r.err  # still a profile to trust
    assert cli("trust", str(f)).code == 0

    def no_engine(*a, **k):
        raise DevenvError("fake engine: not reachable")

    monkeypatch.setattr(docker, "engine_info", no_engine)
    for listing in ("containers", "volumes", "networks"):
        monkeypatch.setattr(docker, listing, lambda *a, **k: [])
    r = cli("--profile", str(f), "up")
    assert "warning: ports bound to 0.0.0.0 (allowed by your user config)" in r.err
    assert "YARN ResourceManager REST API (submitting an application runs code" in r.err
    assert "fake engine: not reachable" in r.err


def test_the_user_config_allow_bind_is_checked() -> None:
    from devenv import schema

    assert schema.check({"network": {"allow_bind": ["0.0.0.0"]}}, schema.USER_CONFIG) == []
    assert schema.check({"network": {"allow_bind": ["everywhere"]}}, schema.USER_CONFIG) == [
        (("network", "allow_bind"), 'must be IP addresses such as "0.0.0.0", got \'everywhere\'')]


# --- the host's client configuration ---------------------------------------------------------------

HOSTILE = """schema = 1
name = "hostile"
extends = "default"

[config.spark-defaults]
"spark.plugins" = "com.evil.Plugin"
"spark.jars.packages" = "com.evil:payload:1.0"
"spark.driver.extraJavaOptions" = "-javaagent:/tmp/x.jar"
"spark.sql.sources.commitProtocolClass" = "com.evil.Commit"
"spark.sql.shuffle.partitions" = 8
"spark.executor.memory" = "1g"

[config.core-site]
"fs.s3a.impl" = "com.evil.FS"
"hadoop.security.authentication" = "simple"
"fs.trash.interval" = 60

[config.hdfs-site]
"dfs.client.block.write.retries" = 5
"""


def test_host_client_config_drops_dangerous_keys_and_keeps_tuning(tmp_path: Path) -> None:
    from devenv.cluster_files import config_files

    f = tmp_path / "hostile.toml"
    f.write_text(HOSTILE)
    p = profile.load_profile(f)
    files = config_files(p, services.ports(p), "pw", [])
    host, inside = files["client/spark/spark-defaults.conf"], files["conf/spark/spark-defaults.conf"]
    for key in ("spark.plugins", "spark.jars.packages", "spark.driver.extraJavaOptions", "spark.sql.sources.commitProtocolClass"):
        assert key in inside and key not in host, key
    assert "spark.sql.shuffle.partitions 8" in host and "spark.executor.memory 1g" in host
    core = files["client/hadoop/core-site.xml"]
    assert "fs.s3a.impl" not in core and "hadoop.security.authentication" not in core
    assert "<name>fs.trash.interval</name><value>60</value>" in core
    assert "<name>dfs.client.block.write.retries</name><value>5</value>" in files["client/hadoop/hdfs-site.xml"]
    _, dropped = host_config.host_profile(p)
    assert {(d.file, d.key) for d in dropped} == {
        ("spark-defaults", "spark.plugins"), ("spark-defaults", "spark.jars.packages"),
        ("spark-defaults", "spark.driver.extraJavaOptions"), ("spark-defaults", "spark.sql.sources.commitProtocolClass"),
        ("core-site", "fs.s3a.impl"), ("core-site", "hadoop.security.authentication")}


@pytest.mark.parametrize("file,key", [
    ("spark-defaults", "spark.jars"), ("spark-defaults", "spark.executor.extraClassPath"),
    ("spark-defaults", "spark.driver.extraLibraryPath"), ("spark-defaults", "spark.sql.extensions"),
    ("spark-defaults", "spark.sql.catalog.evil"), ("spark-defaults", "spark.sql.queryExecutionListeners"),
    ("spark-defaults", "spark.sql.hive.metastore.jars"), ("spark-defaults", "spark.sql.warehouse.dir"),
    ("core-site", "fs.defaultFS"), ("core-site", "fs.AbstractFileSystem.x.impl"),
    ("hdfs-site", "dfs.client.failover.proxy.provider.devenv"), ("hive-site", "hive.metastore.uris"),
    ("hive-site", "hive.exec.pre.hooks"), ("mapred-site", "mapreduce.job.map.class"),
])
def test_dangerous_keys_never_reach_the_host(file: str, key: str) -> None:
    assert host_config.verdict(file, key) == "could run code or redirect data on this machine"


def started(f: Path, name: str) -> None:
    """A cluster `name` as `up` leaves it (state, conf/ and client/ rendered) from the profile file `f`, without an engine."""
    from devenv.cluster_files import render_files
    from devenv.cluster_state import Cluster, save_state

    p = profile.load_profile(f)
    c = Cluster(name)
    tags = {k: f"devenv/{k}:t" for k in ("hadoop", "hive", "spark", "postgres", "gateway")}
    save_state(c, p, {}, render_files(c, p, services.ports(p), tags, []), tags)


def test_client_config_warns_about_the_dropped_keys(tmp_path: Path, cli) -> None:
    f = tmp_path / "hostile.toml"
    f.write_text(HOSTILE)
    started(f, "hostile")
    r = cli("client-config", "--name", "hostile")
    assert r.code == 0 and "export SPARK_CONF_DIR=" in r.out
    assert "warning: 6 profile override(s) kept out of the host's client configuration" in r.err
    assert "spark-defaults: spark.plugins (could run code or redirect data on this machine)" in r.err
    data = json.loads(cli("--json", "client-config", "--name", "hostile").out)
    assert {"file": "spark-defaults", "key": "spark.plugins", "reason": "could run code or redirect data on this machine"} in data["dropped"]


def test_client_config_still_prints_the_variables_when_the_profile_is_gone(tmp_path: Path, cli) -> None:
    f = tmp_path / "gone.toml"
    f.write_text(HOSTILE)
    started(f, "gone")
    f.unlink()
    r = cli("client-config", "--name", "gone")
    assert r.code == 0 and "export HADOOP_CONF_DIR=" in r.out
    assert f"the profile cluster 'gone' was created from is gone ({f})" in r.err
