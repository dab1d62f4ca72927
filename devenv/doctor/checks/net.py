"""Doctor checks of the way out: artifact sources, TLS interception, proxy settings.

The sources are found at run time, never written here: the user config's
`[sources]`, else the profile's, else pip's configured or built-in index and
the repository in the super POM of the Maven on PATH.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from devenv.doctor.model import Context, Finding, Skip, check, fail, ok, parallel, skip, warn, worst

CA_VARS = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT")


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
    """The host's proxies: the user config's [proxy], else the environment ({'https': ..., 'http': ..., 'no': ...})."""
    cfg = ctx.user_config.get("proxy", {})
    if cfg:
        out = {k: cfg[k] for k in ("http", "https") if cfg.get(k)}
        if cfg.get("no_proxy"):
            out["no"] = cfg["no_proxy"]
        return out
    env = ctx.probes.env()
    out = {}
    for k in ("http", "https", "no"):
        v = env.get(f"{k}_proxy") or env.get(f"{k.upper()}_PROXY")
        if v:
            out[k] = v
    return out


def _proxy_for(ctx: Context, url: str) -> str | None:
    p = proxies(ctx)
    u = urlsplit(url)
    if p.get("no") and urllib.request.proxy_bypass_environment(u.hostname or "", {"no": p["no"]}):
        return None
    return p.get(u.scheme)


def _user_config_path(ctx: Context) -> str:
    return str(ctx.paths.user_config)


@check("net.sources", "the artifact sources answer from this machine")
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


@check("net.tls", "TLS to the sources: interception and devenv's CA configuration")
def net_tls(ctx: Context) -> Finding:
    targets = {}
    for s in sources(ctx):
        u = urlsplit(s.url)
        if u.scheme == "https" and u.hostname:
            targets.setdefault((u.hostname, u.port or 443), s)
    if not targets:
        return skip("no https artifact source to check")
    cfg_path = _user_config_path(ctx)
    listed = [os.path.expanduser(str(c)) for c in ctx.user_config.get("tls", {}).get("ca_certificates", [])]
    missing = [c for c in listed if not ctx.probes.is_file(c)]
    devenv_cas = [c for c in listed if c not in missing]
    env = ctx.probes.env()
    env_cas = [(v, env[v]) for v in CA_VARS if env.get(v) and ctx.probes.is_file(env[v])]
    findings: list[Finding] = []
    if missing:
        findings.append(fail(f"[tls] ca_certificates names {', '.join(missing)}, which does not exist", found="missing CA file",
                             required="existing PEM files", fix=f"fix the paths in [tls] ca_certificates in {cfg_path}"))
    findings += parallel(*[lambda h=h, p=p, s=s: _tls_one(ctx, h, p, s, devenv_cas, env_cas, cfg_path) for (h, p), s in targets.items()])
    state = worst(findings)
    if all(f.state == "skip" for f in findings):
        return skip("; ".join(f.message for f in findings))
    return Finding(state, "; ".join(f.message for f in findings), found="; ".join(f.found for f in findings if f.found),
                   required="a certificate chain devenv's CA configuration trusts",
                   fix="; ".join(dict.fromkeys(f.fix for f in findings if f.fix and f.state == state)))


def _tls_one(ctx: Context, host: str, port: int, s: Source, devenv_cas: list[str], env_cas: list[tuple[str, str]], cfg_path: str) -> Finding:
    proxy = _proxy_for(ctx, s.url)
    first = ctx.probes.tls_handshake(host, port, [], proxy)
    if not first.connected:
        return skip(f"{s.name}: could not connect to {host}:{port} ({first.error}; see net.sources)")
    where = f"{s.name} ({host})"
    if first.verified:
        return ok(f"{where} presents a certificate from {first.issuer!r}, trusted by the default store", found=f"{host}: {first.issuer}")
    found = f"{host}: {first.issuer} (not in the default store)"
    if devenv_cas and ctx.probes.tls_handshake(host, port, devenv_cas, proxy).verified:
        return ok(f"{where} is intercepted: its certificate from {first.issuer!r} is not in the default store, "
                  "and devenv's CA configuration ([tls] ca_certificates) covers it", found=found)
    for var, ca in env_cas:
        if ctx.probes.tls_handshake(host, port, [ca], proxy).verified:
            return fail(f"{where} is intercepted: its certificate from {first.issuer!r} is trusted through {var}={ca}, "
                        "but devenv's CA configuration does not cover it, so downloads in image builds fail",
                        found=found, fix=f"add \"{ca}\" to [tls] ca_certificates in {cfg_path}")
    return fail(f"{where} presents a certificate from {first.issuer!r} that nothing here trusts ({first.error})", found=found,
                fix=f"get your organisation's root CA certificate (a PEM file) and add its path to [tls] ca_certificates in {cfg_path}")


@check("net.proxy", "proxy settings agree between the host and the engine")
def net_proxy(ctx: Context) -> Finding:
    host = proxies(ctx)
    details = ctx.engine_details()
    engine = {k: v for k, v in (("http", details.http_proxy), ("https", details.https_proxy)) if v}
    shown_host = host.get("https") or host.get("http") or "none"
    shown_engine = engine.get("https") or engine.get("http") or "none"
    found = f"host {shown_host}, engine {shown_engine}"
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
