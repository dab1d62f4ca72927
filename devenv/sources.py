"""Where artifacts come from, and how to get there: repository URLs, proxy, CA certificates.

These belong to a site, not to a profile, so they come from the user config
first, then the profile's `[sources]` defaults, then what the machine's own
tools are configured with. No repository host name is written in devenv: the
defaults are read at run time from pip and from Maven's own super POM.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

from devenv.errors import DevenvError

log = logging.getLogger("devenv.sources")

CA_ENV = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "CURL_CA_BUNDLE")
PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")


@dataclass(frozen=True)
class CaFile:
    path: Path
    origin: str  # "user config", "SSL_CERT_FILE", ...


def ca_search(user_config: Mapping[str, Any], environ: Mapping[str, str] | None = None,
              is_file: Callable[[str], bool] = os.path.isfile) -> tuple[list[CaFile], list[Path]]:
    """(the extra CA certificates devenv trusts, each with where it came from; listed files that do not exist).

    The user config's `[tls] ca_certificates` when it lists any, else the files
    the environment's CA variables point at (`environ`, default os.environ).
    """
    listed = (user_config.get("tls") or {}).get("ca_certificates") or []
    if listed:
        paths = [Path(os.path.expanduser(str(entry))) for entry in listed]
        return [CaFile(p, "user config") for p in paths if is_file(str(p))], [p for p in paths if not is_file(str(p))]
    return env_ca_files(os.environ if environ is None else environ, is_file), []


def env_ca_files(environ: Mapping[str, str], is_file: Callable[[str], bool] = os.path.isfile) -> list[CaFile]:
    """The existing files the CA variables of `environ` point at, each once, with the first variable naming it."""
    found: list[CaFile] = []
    seen: set[Path] = set()
    for var in CA_ENV:
        value = environ.get(var)
        if value and is_file(value) and Path(value).resolve() not in seen:
            seen.add(Path(value).resolve())
            found.append(CaFile(Path(value), var))
    return found


def ca_files(user_config: Mapping[str, Any]) -> list[CaFile]:
    """Extra CA certificates to trust in builds and containers: the user config's, else those the environment points at."""
    found, missing = ca_search(user_config)
    if missing:
        raise DevenvError(f"CA certificate file not found: {missing[0]} (from [tls] ca_certificates in the user config)",
                          hint="fix the path in the user config, or remove the entry")
    return found


def ca_bundle_text(files: list[CaFile]) -> str:
    """All PEM certificates of `files`, one bundle, duplicates dropped, in a stable order."""
    certs: dict[str, None] = {}
    for f in files:
        text = f.path.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", text, re.S):
            certs[m.group(0).strip()] = None
    return "\n".join(certs) + ("\n" if certs else "")


@dataclass(frozen=True)
class Setting:
    value: str
    origin: str  # "user config", "HTTPS_PROXY", ...


def proxies(user_config: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> dict[str, Setting]:
    """The proxy for 'http', 'https' and 'no' (no_proxy), each with where it came from.

    The user config's `[proxy]` wins over the environment key by key; of the
    environment's variables the lower-case one wins (as curl and pip read them).
    """
    environ = os.environ if environ is None else environ
    out: dict[str, Setting] = {}
    for var in PROXY_ENV:
        if environ.get(var):
            out[var.split("_")[0].lower()] = Setting(environ[var], var)
    proxy = user_config.get("proxy") or {}
    for key, name in (("http", "http"), ("https", "https"), ("no_proxy", "no")):
        if proxy.get(key):
            out[name] = Setting(str(proxy[key]), "user config")
    return out


def proxy_env(user_config: Mapping[str, Any]) -> dict[str, str]:
    """Proxy variables to pass into builds and containers (user config wins over the environment)."""
    out: dict[str, str] = {}
    for name, setting in proxies(user_config).items():
        out[f"{name.upper()}_PROXY"] = out[f"{name}_proxy"] = setting.value
    return out


# --- repository URLs -----------------------------------------------------

def pypi_index(user_config: Mapping[str, Any], profile_sources: Mapping[str, Any]) -> str:
    """The PyPI simple index: user config, profile, pip's configuration, pip's built-in default."""
    for src in (user_config.get("sources") or {}, profile_sources):
        if src.get("pypi"):
            return str(src["pypi"]).rstrip("/")
    env = os.environ.get("PIP_INDEX_URL")
    if env:
        return env.rstrip("/")
    try:
        out = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"],
                             capture_output=True, text=True, timeout=20)
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip().rstrip("/")
    except (OSError, subprocess.SubprocessError):
        pass
    try:
        from pip._internal.models.index import PyPI  # pip's own default, read at run time

        return PyPI.simple_url.rstrip("/")
    except Exception as e:  # pragma: no cover - pip always ships with venvs
        raise DevenvError("no PyPI index is configured and pip is not importable",
                          hint="set [sources] pypi in the user config") from e


def maven_repository(user_config: Mapping[str, Any], profile_sources: Mapping[str, Any], super_pom: str | None = None) -> str:
    """The Maven repository: user config, profile, a central mirror in ~/.m2/settings.xml, Maven's own default.

    `super_pom` is the text of Maven's built-in super POM (read from the tools
    image by the caller); its `central` URL is Maven's default.
    """
    for src in (user_config.get("sources") or {}, profile_sources):
        if src.get("maven"):
            return str(src["maven"]).rstrip("/")
    settings = Path.home() / ".m2" / "settings.xml"
    if settings.is_file():
        url = _central_mirror(settings.read_text(encoding="utf-8", errors="replace"))
        if url:
            return url.rstrip("/")
    if super_pom:
        m = re.search(r"<repository>.*?<id>central</id>.*?<url>([^<]+)</url>", super_pom, re.S)
        if m:
            return m.group(1).strip().rstrip("/")
    raise DevenvError("no Maven repository is configured",
                      hint="set [sources] maven in the user config (`devenv doctor` shows where it is)")


def _central_mirror(settings_xml: str) -> str | None:
    for m in re.finditer(r"<mirror>(.*?)</mirror>", settings_xml, re.S):
        body = m.group(1)
        of = re.search(r"<mirrorOf>([^<]+)</mirrorOf>", body)
        url = re.search(r"<url>([^<]+)</url>", body)
        if of and url and any(x.strip() in ("*", "central", "external:*") for x in of.group(1).split(",")):
            return url.group(1).strip()
    return None
