"""Doctor checks of the way out: artifact sources, TLS interception, proxy settings.

The sources are found at run time, never written here: the user config's
`[sources]`, else the profile's, else pip's configured or built-in index and
the repository in the super POM of the Maven on PATH. Proxy and CA settings
are `devenv.sources`' answer (with where each came from), never derived here.
"""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from devenv.doctor.model import WAITING_TIMEOUT, Context, Finding, Skip, check, fail, ok, parallel, skip, warn, worst
from devenv.sources import CaFile, Setting, ca_search, env_ca_files
from devenv.sources import proxies as proxy_settings


@dataclass(frozen=True)
class Source:
    name: str      # maven, pypi, debian
    url: str
    origin: str    # where the URL came from


def sources(ctx: Context) -> list[Source]:
    """The artifact sources devenv would use, each with where its URL came from (computed once per run)."""
    return ctx.once("sources", lambda: _sources(ctx))


def _sources(ctx: Context) -> list[Source]:
    user = dict(ctx.user_config.get("sources", {}))
    try:
        configured = dict(ctx.profile.sources)
    except Skip:
        configured = user
    out = []
    for name in ("maven", "pypi", "debian"):
        if name in user:
            out.append(Source(name, user[name], "user config"))
        elif name in configured:
            out.append(Source(name, configured[name], "profile"))
        elif name == "maven":
            found = ctx.probes.maven_default_repository()
            if found:
                out.append(Source(name, found[0], found[1]))
        elif name == "pypi":
            found = ctx.probes.pip_index()
            if found:
                out.append(Source(name, found[0], found[1]))
    return out


def proxies(ctx: Context) -> dict[str, str]:
    """The host's proxies as devenv passes them on ({'https': ..., 'http': ..., 'no': ...}); see `host_proxies`."""
    return {k: v.value for k, v in host_proxies(ctx).items()}


def host_proxies(ctx: Context) -> dict[str, Setting]:
    """`devenv.sources.proxies` for this run's user config and environment: each value with where it came from."""
    return proxy_settings(ctx.user_config, ctx.probes.env())


def _proxy_for(ctx: Context, url: str) -> str | None:
    p = proxies(ctx)
    u = urlsplit(url)
    if p.get("no") and urllib.request.proxy_bypass_environment(u.hostname or "", {"no": p["no"]}):
        return None
    return p.get(u.scheme)


def _user_config_path(ctx: Context) -> str:
    return str(ctx.paths.user_config)


@check("net.sources", "the artifact sources answer from this machine", timeout=WAITING_TIMEOUT)
def net_sources(ctx: Context) -> Finding:
    found = sources(ctx)
    if not found:
        return skip("no artifact source is configured, and neither pip nor Maven is here to name its default")
    def status_of(s: Source) -> int | OSError:
        proxy = _proxy_for(ctx, s.url)
        try:
            return ctx.probes.http_status(s.url, {urlsplit(s.url).scheme: proxy} if proxy else {})
        except OSError as e:
            return e

    good, bad = [], []
    for s, status in zip(found, parallel(*[lambda s=s: status_of(s) for s in found])):
        if isinstance(status, OSError):
            bad.append(f"{s.name} {s.url} ({s.origin}) does not answer: {status}")
        elif status >= 500:
            bad.append(f"{s.name} {s.url} ({s.origin}) answers HTTP {status}")
        else:
            good.append(f"{s.name} {s.url} ({s.origin}, HTTP {status})")
    summary = ", ".join(f"{s.name}: {s.url}" for s in found)
    if bad:
        return fail("; ".join(bad + [f"reached {g}" for g in good]), found=f"{len(good)} of {len(found)} answer", required=summary,
                    fix=f"check the network and proxy ([proxy] in {_user_config_path(ctx)}), set mirrors in [sources] there, "
                        "or work from a filled cache with --offline")
    return ok("reached " + "; ".join(good), found=f"{len(good)} of {len(found)} answer", required=summary)


@check("net.tls", "TLS to the sources: interception and devenv's CA configuration", timeout=WAITING_TIMEOUT)
def net_tls(ctx: Context) -> Finding:
    targets = {}
    for s in sources(ctx):
        u = urlsplit(s.url)
        if u.scheme == "https" and u.hostname:
            targets.setdefault((u.hostname, u.port or 443), s)
    if not targets:
        return skip("no https artifact source to check")
    cfg_path = _user_config_path(ctx)
    env = ctx.probes.env()
    trusted, missing = ca_search(ctx.user_config, env, ctx.probes.is_file)
    devenv_cas = [str(f.path) for f in trusted]
    env_cas = [(f.origin, str(f.path)) for f in env_ca_files(env, ctx.probes.is_file) if str(f.path) not in devenv_cas]
    findings: list[Finding] = []
    if missing:
        findings.append(fail(f"[tls] ca_certificates names {', '.join(map(str, missing))}, which does not exist", found="missing CA file",
                             required="existing PEM files", fix=f"fix the paths in [tls] ca_certificates in {cfg_path}"))
    findings += parallel(*[lambda h=h, p=p, s=s: _tls_one(ctx, h, p, s, trusted, env_cas, cfg_path) for (h, p), s in targets.items()])
    state = worst(findings)
    if all(f.state == "skip" for f in findings):
        return skip("; ".join(f.message for f in findings))
    return Finding(state, "; ".join(f.message for f in findings), found="; ".join(f.found for f in findings if f.found),
                   required="a certificate chain devenv's CA configuration trusts",
                   fix="; ".join(dict.fromkeys(f.fix for f in findings if f.fix and f.state == state)))


def _origins(cas: list[CaFile]) -> str:
    return ", ".join(dict.fromkeys("[tls] ca_certificates" if f.origin == "user config" else f.origin for f in cas))


def _tls_one(ctx: Context, host: str, port: int, s: Source, trusted: list[CaFile], env_cas: list[tuple[str, str]], cfg_path: str) -> Finding:
    proxy = _proxy_for(ctx, s.url)
    first = ctx.probes.tls_handshake(host, port, [], proxy)
    if not first.connected:
        return skip(f"{s.name}: could not connect to {host}:{port} ({first.error}; see net.sources)")
    where = f"{s.name} ({host})"
    if first.verified:
        return ok(f"{where} presents a certificate from {first.issuer!r}, trusted by the default store", found=f"{host}: {first.issuer}")
    found = f"{host}: {first.issuer} (not in the default store)"
    if trusted and ctx.probes.tls_handshake(host, port, [str(f.path) for f in trusted], proxy).verified:
        return ok(f"{where} is intercepted: its certificate from {first.issuer!r} is not in the default store, "
                  f"and devenv's CA configuration ({_origins(trusted)}) covers it", found=found)
    for var, ca in env_cas:
        if ctx.probes.tls_handshake(host, port, [ca], proxy).verified:
            return fail(f"{where} is intercepted: its certificate from {first.issuer!r} is trusted through {var}={ca}, "
                        "but devenv's CA configuration does not cover it, so downloads in image builds fail",
                        found=found, fix=f"add \"{ca}\" to [tls] ca_certificates in {cfg_path}")
    return fail(f"{where} presents a certificate from {first.issuer!r} that nothing here trusts ({first.error})", found=found,
                fix=f"get your organisation's root CA certificate (a PEM file) and add its path to [tls] ca_certificates in {cfg_path}")


@check("net.proxy", "proxy settings agree between the host and the engine", timeout=WAITING_TIMEOUT)
def net_proxy(ctx: Context) -> Finding:
    settings = host_proxies(ctx)
    host = {k: v.value for k, v in settings.items()}
    details = ctx.engine_details()
    engine = {k: v for k, v in (("http", details.http_proxy), ("https", details.https_proxy)) if v}
    shown_host = host.get("https") or host.get("http") or "none"
    shown_engine = engine.get("https") or engine.get("http") or "none"
    origin = next((settings[k].origin for k in ("https", "http") if k in settings), "")
    found = f"host {shown_host}" + (f" (from {origin})" if origin else "") + f", engine {shown_engine}"
    engine_fix = ("give the engine the same proxy (Docker Desktop: Settings > Resources > Proxies; Linux: "
                  "Environment=HTTPS_PROXY=... in a systemd drop-in for docker.service)")
    if not host and not engine:
        return ok("no proxy on the host or in the engine", found=found, required="the same proxy on both")
    if {k: host.get(k) for k in ("http", "https")} == {k: engine.get(k) for k in ("http", "https")}:
        return ok(f"the host and the engine both use {shown_host}", found=found, required="the same proxy on both")
    if not engine:
        return warn(f"the host uses proxy {shown_host} but the engine has none: pulls and downloads during builds go direct, and fail where only the proxy reaches out",
                    found=found, required="the same proxy on both", fix=engine_fix)
    if not host:
        return warn(f"the engine uses proxy {shown_engine} but the host has none: devenv's downloads on the host go direct",
                    found=found, required="the same proxy on both", fix=f"set [proxy] https = \"{shown_engine}\" in {_user_config_path(ctx)}")
    return warn(f"the host uses proxy {shown_host} but the engine uses {shown_engine}", found=found, required="the same proxy on both",
                fix=f"make them agree: [proxy] in {_user_config_path(ctx)}, or " + engine_fix)
