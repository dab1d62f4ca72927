"""Secrets never in logs, files others can read, or exported bundles (issue 10, item 10)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

from devenv import docker


PROXY = "http://alice:s3cr3t@proxy.example:3128"


def _fake_docker_cli(tmp: Path) -> tuple[Path, Path]:
    """A `docker` program (a real process, as the engine's CLI is) that records its argv and the proxy it was given."""
    record = tmp / "record.json"
    script = tmp / "docker"
    script.write_text(
        "#!/usr/bin/env python3\n"
        "import json, os, sys\n"
        f"json.dump({{'argv': sys.argv[1:], 'proxy': os.environ.get('HTTPS_PROXY')}}, open({str(record)!r}, 'w'))\n"
        "print('#1 [internal] using proxy ' + str(os.environ.get('HTTPS_PROXY')), flush=True)\n")
    script.chmod(0o755)
    return script, record


def test_proxy_credentials_are_in_no_command_line_and_no_debug_log(isolated: Path, tmp_path: Path, monkeypatch) -> None:
    from devenv.cli import _setup_logging

    logfile = isolated / "logs" / "devenv.log"
    _setup_logging(logfile)
    script, record = _fake_docker_cli(tmp_path)
    monkeypatch.setattr(docker, "_client", SimpleNamespace(client_config=SimpleNamespace(docker_cmd=[str(script)])))
    monkeypatch.delenv("HTTPS_PROXY", raising=False)
    lines = list(docker.build(isolated, "devenv/jvm:x", build_args={"HTTPS_PROXY": PROXY, "JAVA_VERSION": "17"}, labels={"a": "b"}))
    assert lines == [f"#1 [internal] using proxy {PROXY}"]  # the build's own output is still shown to the user
    seen = json.loads(record.read_text())
    argv = seen["argv"]
    # the proxy by name only: the Docker CLI takes its value from its environment, where devenv put it
    assert argv[argv.index("HTTPS_PROXY") - 1] == "--build-arg" and "JAVA_VERSION=17" in argv and "a=b" in argv
    assert not any("s3cr3t" in a for a in argv) and seen["proxy"] == PROXY
    assert argv[:2] == ["buildx", "build"] and argv[-1] == str(isolated)
    text = logfile.read_text()
    assert "proxy.example:3128" in text and "JAVA_VERSION" in text
    assert "s3cr3t" not in text and "alice" not in text


def test_maven_settings_with_the_proxy_password_live_in_a_private_directory_removed_after(monkeypatch) -> None:
    from devenv import resolve
    from devenv.console import Ui

    seen: dict[str, object] = {}

    def fake_run(image, command, *, volumes=(), **k):
        out = Path(next(v[0] for v in volumes if v[1] == "/out"))
        seen["dir"], seen["dir_mode"] = out, out.stat().st_mode & 0o777
        seen["file_mode"] = (out / "settings.xml").stat().st_mode & 0o777
        seen["settings"] = (out / "settings.xml").read_text()
        (out / "hadoop.txt").write_text("listed\n")
        return ""

    monkeypatch.setattr(docker, "run", fake_run)
    settings = resolve.maven_settings({"HTTPS_PROXY": PROXY}, None)
    assert resolve.run_maven("devenv/tools:x", "hadoop", {}, settings, Ui(no_color=True)) == "listed\n"
    assert "<password>s3cr3t</password>" in str(seen["settings"])
    if os.name != "nt":
        assert (seen["dir_mode"], seen["file_mode"]) == (0o700, 0o600)
    assert not Path(str(seen["dir"])).exists()


def test_redact_hides_passwords_tokens_and_url_credentials() -> None:
    from devenv import render
    from devenv.redact import redact

    site = render.site_xml({"javax.jdo.option.ConnectionPassword": "pw-123", "hive.metastore.uris": "thrift://metastore:9083"})
    spark = "spark.ssl.keyStorePassword  ks-pw\nspark.master yarn\n"
    inspect = json.dumps({"Env": [f"HTTPS_PROXY={PROXY}", "GITHUB_TOKEN=ghp_abc"], "api_token": "t-9"}, indent=1)
    out = redact("\n".join([site, spark, inspect]))
    for secret in ("pw-123", "ks-pw", "s3cr3t", "alice", "ghp_abc", "t-9"):
        assert secret not in out
    assert "thrift://metastore:9083" in out and "spark.master yarn" in out and "proxy.example:3128" in out
    assert json.loads(redact(inspect))["api_token"] == "***"


def test_logs_export_redacts_every_file(cli, monkeypatch, tmp_path: Path) -> None:
    box = docker.ContainerInfo("id1", "devenv-demo-metastore", "metastore", "demo", "default", "running", 0, "img", "", ())
    monkeypatch.setattr(docker, "containers", lambda *a, **k: [box])
    monkeypatch.setattr(docker, "logs", lambda name, tail=None: f"connecting through {PROXY}\npassword=hunter2\n")
    monkeypatch.setattr(docker, "inspect_json", lambda name: json.dumps({"Env": ["DB_PASSWORD=hunter2"]}))
    from devenv.paths import paths

    started = paths().state / "clusters" / "demo"  # a cluster this home has started (export refuses one it has not)
    started.mkdir(parents=True)
    (started / "compose.json").write_text("{}")
    r = cli("logs", "--name", "demo", "--export", str(tmp_path / "bundle"))
    assert r.code == 0, r.err
    text = "".join(p.read_text() for p in (tmp_path / "bundle").rglob("*") if p.is_file())
    assert (tmp_path / "bundle" / "metastore.log").is_file() and "proxy.example" in text
    assert "hunter2" not in text and "s3cr3t" not in text
