"""CA certificates and proxy settings: detected, and passed on; repository URLs derived, never written."""

from __future__ import annotations

from pathlib import Path

import pytest

from devenv import resolve, sources
from devenv.errors import DevenvError

PEM = "-----BEGIN CERTIFICATE-----\nMIIB{n}\n-----END CERTIFICATE-----\n"


def test_user_config_ca_wins_over_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    corp = tmp_path / "corp.pem"
    corp.write_text(PEM.format(n=1))
    env = tmp_path / "env.pem"
    env.write_text(PEM.format(n=2))
    monkeypatch.setenv("SSL_CERT_FILE", str(env))
    found = sources.ca_files({"tls": {"ca_certificates": [str(corp)]}})
    assert [(f.path, f.origin) for f in found] == [(corp, "user config")]


def test_ca_detected_from_environment_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for v in sources.CA_ENV:
        monkeypatch.delenv(v, raising=False)
    a = tmp_path / "a.pem"
    a.write_text(PEM.format(n=1) + PEM.format(n=2))
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(a))
    monkeypatch.setenv("PIP_CERT", str(a))  # the same file once
    found = sources.ca_files({})
    assert [(f.path, f.origin) for f in found] == [(a, "REQUESTS_CA_BUNDLE")]
    assert sources.ca_bundle_text(found).count("BEGIN CERTIFICATE") == 2


def test_missing_ca_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DevenvError) as e:
        sources.ca_files({"tls": {"ca_certificates": [str(tmp_path / "nope.pem")]}})
    assert e.value.message == f"CA certificate file not found: {tmp_path / 'nope.pem'} (from [tls] ca_certificates in the user config)"


def test_proxy_from_environment_and_user_config(monkeypatch: pytest.MonkeyPatch) -> None:
    for v in sources.PROXY_ENV:
        monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("https_proxy", "http://env-proxy:3128")
    monkeypatch.setenv("NO_PROXY", "localhost")
    got = sources.proxy_env({"proxy": {"http": "http://corp:8080"}})
    assert got == {"HTTPS_PROXY": "http://env-proxy:3128", "NO_PROXY": "localhost", "HTTP_PROXY": "http://corp:8080",
                   "https_proxy": "http://env-proxy:3128", "no_proxy": "localhost", "http_proxy": "http://corp:8080"}


def test_maven_settings_carry_proxy_and_mirror() -> None:
    xml = resolve.maven_settings({"HTTPS_PROXY": "http://user:pw@proxy.corp:3128", "NO_PROXY": "localhost,.corp"}, "https://mirror.corp/m2")
    assert "<mirrorOf>*</mirrorOf><url>https://mirror.corp/m2</url>" in xml
    assert "<protocol>https</protocol><host>proxy.corp</host><port>3128</port><username>user</username><password>pw</password><nonProxyHosts>localhost|.corp</nonProxyHosts>" in xml


def test_maven_repository_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    pom = "<project><repositories><repository><id>central</id><name>C</name><url>https://maven.example/repo2</url></repository></repositories></project>"
    assert sources.maven_repository({}, {}, super_pom=pom) == "https://maven.example/repo2"
    (tmp_path / ".m2").mkdir()
    (tmp_path / ".m2" / "settings.xml").write_text("<settings><mirrors><mirror><id>m</id><mirrorOf>central</mirrorOf><url>https://nexus.corp/m2/</url></mirror></mirrors></settings>")
    assert sources.maven_repository({}, {}, super_pom=pom) == "https://nexus.corp/m2"
    assert sources.maven_repository({}, {"maven": "https://profile/m2"}) == "https://profile/m2"
    assert sources.maven_repository({"sources": {"maven": "https://user/m2"}}, {"maven": "https://profile/m2"}) == "https://user/m2"


def test_no_maven_repository_says_where_to_set_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(DevenvError) as e:
        sources.maven_repository({}, {})
    assert e.value.message == "no Maven repository is configured"


def test_dependency_list_parsing(tmp_path: Path) -> None:
    m2 = tmp_path / "m2"
    for rel in ("org/x/a/1/a-1.jar", "org/x/b/2/b-2-tests.jar", "org/x/c/3/c-3-bin.tar.gz"):
        (m2 / rel).parent.mkdir(parents=True)
        (m2 / rel).write_bytes(b"x")
    text = """
The following files have been resolved:
   org.x:a:jar:1:compile:/m2/org/x/a/1/a-1.jar
   org.x:b:test-jar:tests:2:compile:/m2/org/x/b/2/b-2-tests.jar -- module b
   org.x:c:tar.gz:bin:3:runtime:/m2/org/x/c/3/c-3-bin.tar.gz
   org.x:t:jar:9:test:/m2/org/x/t/9/t-9.jar
"""
    arts = resolve.parse_dependency_list(text, "hive", m2)
    assert [(a.coords, a.path, a.filename) for a in arts] == [
        ("org.x:a:jar:1", "org/x/a/1/a-1.jar", "a-1.jar"),
        ("org.x:b:test-jar:tests:2", "org/x/b/2/b-2-tests.jar", "b-2-tests.jar"),
        ("org.x:c:tar.gz:bin:3", "org/x/c/3/c-3-bin.tar.gz", "c-3-bin.tar.gz"),
    ]


def test_proxies_say_where_each_value_came_from() -> None:
    env = {"HTTPS_PROXY": "http://upper:1", "https_proxy": "http://lower:2", "NO_PROXY": "localhost"}
    got = sources.proxies({"proxy": {"http": "http://corp:8080"}}, env)
    assert got == {"https": sources.Setting("http://lower:2", "https_proxy"), "no": sources.Setting("localhost", "NO_PROXY"),
                   "http": sources.Setting("http://corp:8080", "user config")}


def test_ca_search_reports_missing_listed_files_instead_of_raising(tmp_path: Path) -> None:
    corp = tmp_path / "corp.pem"
    corp.write_text(PEM.format(n=1))
    found, missing = sources.ca_search({"tls": {"ca_certificates": [str(corp), str(tmp_path / "nope.pem")]}}, {"SSL_CERT_FILE": str(corp)})
    assert [(f.path, f.origin) for f in found] == [(corp, "user config")]
    assert missing == [tmp_path / "nope.pem"]
    found, missing = sources.ca_search({}, {"SSL_CERT_FILE": str(corp), "PIP_CERT": str(tmp_path / "nope.pem")})
    assert ([(f.path, f.origin) for f in found], missing) == ([(corp, "SSL_CERT_FILE")], [])
