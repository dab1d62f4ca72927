"""The gateway: every web UI of a cluster under one loopback port, every link in them working.

The UIs link to each other by container host names and internal ports
(http://nodemanager-1:8042/node/..., the NameNode's WebHDFS redirect to
http://localhost:9864/webhdfs/...), and to themselves by root paths ("/static/",
"/jmx?qry=", "/proxy/application_.../"). Behind one port each UI gets a prefix
(/namenode/, /yarn/, ...), so nginx rewrites, in every HTML, JavaScript, CSS and
JSON answer and in every Location header:

- each address a UI is known by (its instance name and port inside the cluster,
  and for datanodes the published address they advertise) to that UI's prefix;
- the root paths a UI's pages and scripts use, in quotes, to its own prefix.

The Spark history server is also told its base path in the X-Forwarded-Context
header (as behind Apache Knox); the links it then writes already carry the prefix. The driver UI
of a Spark shell on the edge node (/spark-ui/) redirects to YARN's proxy (its
AmIpFilter), which the rewritten Location sends to /yarn/proxy/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from devenv.services import PortPlan, base_service

if TYPE_CHECKING:
    from devenv.profile import Profile

PORT = 8480  # inside the container (the image's EXPOSE)
CONF = "nginx.conf"
# The driver UI of a Spark application started on the edge node (pyspark, spark-submit in client mode).
DRIVER_UI = ("spark-history", 4040)

# Root paths each kind of UI uses in quoted strings of its pages and scripts.
_HADOOP = ("static", "jmx", "conf", "logs", "stacks", "logLevel")
_HDFS = (*_HADOOP, "webhdfs", "startupProgress", "dfshealth.html", "explorer.html", "datanode.html")
_YARN = (*_HADOOP, "cluster", "node", "proxy", "jobhistory", "ws", "app")
_HIVE = (*_HADOOP, "hiveserver2.jsp", "query_page.html", "llap.html", "logconf.jsp")
# service -> (prefix, what, root paths); counted services get one prefix per instance.
UIS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "namenode": ("namenode", "HDFS web UI", _HDFS),
    "datanode": ("", "DataNode web UI", _HDFS),
    "resourcemanager": ("yarn", "YARN web UI", _YARN),
    "nodemanager": ("", "NodeManager web UI", _YARN),
    "historyserver": ("jobhistory", "MapReduce history", _YARN),
    "spark-history": ("spark-history", "Spark history", ("static", "history", "api")),
    "hiveserver2": ("hiveserver2", "HiveServer2 web UI", _HIVE),
}
# The first page of each UI, below its prefix.
HOME = {"historyserver": "jobhistory", "resourcemanager": "cluster"}


@dataclass(frozen=True)
class Route:
    """One UI behind the gateway: /prefix/ -> http://upstream/."""

    prefix: str                  # "namenode", "datanode-1", ...
    upstream: str                # host:port inside the cluster
    what: str
    aliases: tuple[str, ...]     # every host:port the cluster's pages use for this UI
    roots: tuple[str, ...]       # root paths rewritten in quotes
    home: str = ""               # the UI's first page, below the prefix
    forwarded_context: bool = False


def routes(plan: PortPlan) -> list[Route]:
    """Every UI the plan publishes, in start order, then the edge node's Spark driver UI."""
    out: list[Route] = []
    for p in plan:
        svc = base_service(p.service)
        if p.name != "http" or svc not in UIS:
            continue
        prefix, what, roots = UIS[svc]
        inside = p.hostport(inside=True)
        aliases = [inside]
        if svc == "datanode":  # WebHDFS redirects and the NameNode's links name the address it advertises
            aliases += [p.hostport(), p.hostport(numeric=True)]
        out.append(Route(prefix or p.service, inside, what if prefix else f"{what} ({p.service})",
                         tuple(dict.fromkeys(aliases)), roots, HOME.get(svc, ""), svc == "spark-history"))
    if plan.find("spark-history", "http"):
        host, port = DRIVER_UI
        out.append(Route("spark-ui", f"{host}:{port}", "Spark UI of the edge node's running application",
                         (f"{host}:{port}",), ()))
    return out


def url(plan: PortPlan, prefix: str = "", *, numeric: bool = False) -> str | None:
    """The gateway URL of one UI (its first page), or the gateway's own page; None without a gateway."""
    gw = plan.find("gateway", "http")
    if gw is None:
        return None
    route = next((r for r in routes(plan) if r.prefix == prefix), None)
    path = f"/{prefix}/{route.home}" if route else "/"
    return gw.url_to(path, numeric=numeric)


def ui_urls(plan: PortPlan) -> list[tuple[str, str, str]]:
    """(prefix, what, URL) for every UI behind the gateway; empty without one."""
    gw = plan.find("gateway", "http")
    if gw is None:
        return []
    return [(r.prefix, r.what, gw.url_to(f"/{r.prefix}/{r.home}")) for r in routes(plan)]


def enabled(profile: "Profile") -> bool:
    return bool(profile.topology.get("services", {}).get("gateway", True))


def _q(text: str) -> str:
    """`text` as an nginx string, single-quoted."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _links(all_routes: list[Route]) -> list[str]:
    """Rewrites every location shares: each UI's addresses to its prefix, in bodies and Location headers."""
    lines = []
    for r in all_routes:
        for a in r.aliases:
            lines.append(f"sub_filter {_q('http://' + a)} {_q('/' + r.prefix)};")
            lines.append(f"sub_filter {_q('//' + a)} {_q('/' + r.prefix)};")
            lines.append(f"proxy_redirect {_q('http://' + a + '/')} {_q('/' + r.prefix + '/')};")
    return lines


def _location(r: Route) -> list[str]:
    body = [f"set $gw_up {r.upstream};", "proxy_pass http://$gw_up$gw_path;", "include /etc/nginx/devenv/links.conf;"]
    for root in r.roots:
        for quote in ('"', "'", "("):
            body.append(f"sub_filter {_q(quote + '/' + root)} {_q(quote + '/' + r.prefix + '/' + root)};")
    body.append(f"sub_filter 'href=\"/\"' 'href=\"/{r.prefix}/\"';")  # a link to the UI's own root
    if r.forwarded_context:
        body.append(f"proxy_set_header X-Forwarded-Context /{r.prefix};")
    # a Location the links left root-relative stays inside this UI
    body.append(f"proxy_redirect ~^(/.*)$ /{r.prefix}$1;")
    return [f"location /{r.prefix}/ {{", *(f"    {b}" for b in body), "}",
            f"location = /{r.prefix} {{ return 302 /{r.prefix}/{r.home}; }}"]


def _index(all_routes: list[Route]) -> str:
    items = "".join(f'<li><a href="/{r.prefix}/{r.home}">{r.what}</a></li>' for r in all_routes)
    return f"<!doctype html><title>devenv</title><h1>devenv cluster</h1><ul>{items}</ul>"


def files(plan: PortPlan) -> dict[str, str]:
    """conf/gateway/: nginx.conf and the shared links.conf, relative name -> text."""
    all_routes = routes(plan)
    head = [
        "# Rendered by devenv from the cluster's port plan (devenv/gateway.py); not edited by hand.",
        # notice: nginx's start (version, workers) shows in `devenv logs gateway`, as every service's start does
        "worker_processes 1;", "pid /tmp/nginx.pid;", "error_log stderr notice;",
        "events { worker_connections 512; }",
        "http {",
        "    access_log off;",
        "    client_body_temp_path /data/body; proxy_temp_path /data/proxy;",
        "    fastcgi_temp_path /data/fastcgi; uwsgi_temp_path /data/uwsgi; scgi_temp_path /data/scgi;",
        "    default_type application/octet-stream;",
        "    # Docker's resolver: upstreams are looked up per request, so the gateway starts before the UIs do",
        "    resolver 127.0.0.11 valid=10s ipv6=off;",
        "    # the request's path after the prefix, as sent (still percent-encoded), with its query",
        "    map $request_uri $gw_path { ~^/[^/?]+(?<rest>/.*)$ $rest; default /; }",
        "    proxy_http_version 1.1;",
        "    proxy_set_header Host $gw_up;",
        "    proxy_set_header Accept-Encoding \"\";  # sub_filter reads plain text",
        "    proxy_set_header X-Forwarded-Host $http_host;",
        "    proxy_read_timeout 300s;",
        "    # Locations stay relative: the published port is not the one nginx listens on",
        "    absolute_redirect off;",
        "    sub_filter_once off;",
        "    sub_filter_types text/css text/javascript application/javascript application/x-javascript application/json;",
        f"    server {{",
        f"        listen {PORT};",
        "        location = /healthz { default_type text/plain; return 200 'ok\\n'; }",
        f"        location = / {{ default_type text/html; return 200 {_q(_index(all_routes))}; }}",
    ]
    locs = [f"        {line}" for r in all_routes for line in _location(r)]
    conf = "\n".join([*head, *locs, "    }", "}"]) + "\n"
    return {CONF: conf, "links.conf": "\n".join(_links(all_routes)) + "\n"}
