"""`devenv lock`: resolve every artifact with the real resolvers and pin it.

Maven runs inside the tools image (so users need no Maven) against each
component's `images/<name>/pom.xml`, with the host cache mounted as its local
repository: what it downloads is already in the cache for builds. pip on the
host downloads the PyPI packages. The result is written as the lock.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping
from xml.sax.saxutils import escape

from devenv import artifacts, docker, fsutil, images, redact
from devenv.errors import DevenvError
from devenv.lock import Artifact, Lock, inputs_digest, sha256_file
from devenv.paths import paths

if TYPE_CHECKING:
    from devenv.console import Ui
    from devenv.profile import Profile

log = logging.getLogger("devenv.resolve")
redact.install(log)

MAVEN_IMAGES = ("hadoop", "hive")
PYPI_IMAGES = {"spark": "pyspark"}

# hadoop-mapreduce-examples is not published for every Hadoop release; the
# examples use only the public MapReduce API, so the nearest release serves.
EXAMPLES_RELEASE = {"3.3.3": "3.3.6", "3.4.0": "3.4.2", "3.4.1": "3.4.2", "3.4.3": "3.4.2", "3.5.0": "3.4.2"}

_LIST_LINE = re.compile(
    r"^\s*(?P<g>[^:\s]+):(?P<a>[^:\s]+):(?P<t>[^:\s]+)(?::(?P<c>[^:\s]+))?:(?P<v>[^:\s]+)"
    r":(?P<scope>compile|runtime|provided|system|test|import):(?P<path>/\S+)"
)


def recipes() -> list[Path]:
    return [images.templates() / n / "pom.xml" for n in MAVEN_IMAGES]


def digest_for(profile: "Profile") -> str:
    return inputs_digest(dict(profile.versions), recipes())


def maven_properties(image: str, versions: Mapping[str, str]) -> dict[str, str]:
    if image == "hadoop":
        return {"hadoop.version": versions["hadoop"], "hadoop.examples.version": EXAMPLES_RELEASE.get(versions["hadoop"], versions["hadoop"])}
    if image == "hive":
        props = {"hive.version": versions["hive"], "hadoop.version": versions["hadoop"]}
        if versions["hive"].startswith("3."):
            props["metastore.artifact"] = "hive-standalone-metastore"
        return props
    raise KeyError(image)


def parse_dependency_list(text: str, image: str, m2: Path) -> list[Artifact]:
    """Artifacts from `mvn dependency:list -DoutputAbsoluteArtifactFilename=true` output."""
    out: list[Artifact] = []
    for line in text.splitlines():
        m = _LIST_LINE.match(line)
        if not m or m.group("scope") in ("test", "system"):
            continue
        rel = m.group("path").split("/m2/", 1)[-1]
        local = m2 / rel
        if not local.is_file():
            raise DevenvError(f"Maven listed {rel} but it is not in the cache ({local})")
        coords = ":".join(x for x in (m.group("g"), m.group("a"), m.group("t"), m.group("c"), m.group("v")) if x)
        out.append(Artifact(image, "maven", coords, rel, local.stat().st_size, sha256_file(local)))
    return out


def maven_settings(proxies: Mapping[str, str], mirror: str | None) -> str:
    """A settings.xml for the containerised Maven: the site's proxy and mirror (Maven reads no proxy variables)."""
    from urllib.parse import urlparse

    parts = ["<settings>"]
    if mirror:
        parts.append(f"<mirrors><mirror><id>devenv-mirror</id><mirrorOf>*</mirrorOf><url>{escape(mirror)}</url></mirror></mirrors>")
    proxy_xml = []
    for proto, var in (("http", "HTTP_PROXY"), ("https", "HTTPS_PROXY")):
        url = proxies.get(var)
        if not url:
            continue
        u = urlparse(url if "://" in url else f"http://{url}")
        non = "|".join(h.strip() for h in proxies.get("NO_PROXY", "").split(",") if h.strip())
        auth = f"<username>{escape(u.username)}</username><password>{escape(u.password or '')}</password>" if u.username else ""
        proxy_xml.append(f"<proxy><id>devenv-{proto}</id><active>true</active><protocol>{proto}</protocol><host>{escape(u.hostname or '')}</host>"
                         f"<port>{u.port or 3128}</port>{auth}<nonProxyHosts>{escape(non)}</nonProxyHosts></proxy>")
    if proxy_xml:
        parts.append("<proxies>" + "".join(proxy_xml) + "</proxies>")
    parts.append("</settings>")
    return "".join(parts) + "\n"


def _user() -> str | None:
    return f"{os.getuid()}:{os.getgid()}" if hasattr(os, "getuid") else None


def run_maven(tools_tag: str, image: str, props: Mapping[str, str], settings: str, ui: "Ui") -> str:
    m2 = artifacts.maven_dir()
    m2.mkdir(parents=True, exist_ok=True)
    # settings.xml may hold the proxy password: a private (0700) directory, removed after use. Maven runs as this
    # user (`_user()`), so it can read the file and write its output there.
    with tempfile.TemporaryDirectory(prefix="devenv-lock-") as out:
        fsutil.private_dir(Path(out))
        fsutil.atomic_write(Path(out, "settings.xml"), settings, mode=0o600)
        cmd = ["mvn", "-B", "-q", "-Dstyle.color=never", "-s", "/out/settings.xml", "-f", f"/src/{image}/pom.xml", "-Dmaven.repo.local=/m2",
               *(f"-D{k}={v}" for k, v in props.items()),
               "dependency:list", f"-DoutputFile=/out/{image}.txt", "-DoutputAbsoluteArtifactFilename=true", "-DappendOutput=false"]
        ui.info(f"resolving the {image} image's jars with Maven ({', '.join(f'{k}={v}' for k, v in props.items())})")
        # Maven's own stderr (ANSI resets even in batch mode) is kept out of devenv's output.
        import shlex

        docker.run(tools_tag, ["bash", "-c", shlex.join(cmd) + " 2>&1"], volumes=[(str(images.templates()), "/src", "ro"), (str(m2), "/m2"), (out, "/out")],
                   envs={"HOME": "/tmp", "MAVEN_OPTS": "-Xmx512m"}, user=_user(), workdir="/tmp")
        return Path(out, f"{image}.txt").read_text(encoding="utf-8")


def maven_default_url(tools_tag: str) -> str:
    """Maven's built-in central URL, read from the super POM inside the tools image (and remembered)."""
    f = paths().state / "sources.json"
    try:
        known = json.loads(f.read_text())
        if known.get("maven_default"):
            return known["maven_default"]
    except (OSError, ValueError):
        pass
    code = ("import glob,re,zipfile;j=glob.glob('/usr/share/maven/lib/maven-model-builder*.jar')[0];"
            "x=zipfile.ZipFile(j).read('org/apache/maven/model/pom-4.0.0.xml').decode();print(x)")
    pom = docker.run(tools_tag, ["python3", "-c", code])
    from devenv.sources import maven_repository

    url = maven_repository({}, {}, super_pom=pom)
    fsutil.atomic_write(f, json.dumps({"maven_default": url}))
    return url


def pip_download(requirement: str, image: str, ui: "Ui") -> list[Artifact]:
    """Resolve and download a PyPI requirement with pip; the files go into the cache."""
    dest = artifacts.pypi_dir()
    dest.mkdir(parents=True, exist_ok=True)
    ui.info(f"resolving {requirement} with pip")
    with tempfile.TemporaryDirectory(prefix="devenv-pip-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-binary", "pyspark", "-d", tmp, requirement]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            raise DevenvError(f"pip could not download {requirement}", details=r.stderr.strip().splitlines()[-10:],
                              hint="check [sources] pypi and [proxy] in the user config; `devenv doctor` tests the connection")
        out: list[Artifact] = []
        for f in sorted(Path(tmp).iterdir()):
            m = re.match(r"^(.+?)-(\d[^-]*?)(?:\.tar\.gz|\.zip|-py|-cp)", f.name)
            name, version = (m.group(1), m.group(2)) if m else (f.stem, "")
            target = dest / f.name
            shutil.move(str(f), target)
            out.append(Artifact(image, "pypi", f"{name}=={version}", f.name, target.stat().st_size, sha256_file(target)))
        return out


def generate(profile: "Profile", *, ui: "Ui", ca_pem: str, proxies: Mapping[str, str], user_config: Mapping[str, Any]) -> Lock:
    results = images.build(profile, None, ui=ui, names=["tools"], ca_pem=ca_pem, proxies=proxies)
    tools_tag = next(p.tag for p, _ in results if p.name == "tools")
    mirror = (user_config.get("sources") or {}).get("maven") or profile.sources.get("maven")
    settings = maven_settings(proxies, mirror)
    arts: list[Artifact] = []
    for image in MAVEN_IMAGES:
        text = run_maven(tools_tag, image, maven_properties(image, profile.versions), settings, ui)
        found = parse_dependency_list(text, image, artifacts.maven_dir())
        if not found:
            raise DevenvError(f"Maven resolved no artifacts for the {image} image", details=text.splitlines()[-10:])
        arts.extend(found)
    maven_default_url(tools_tag)
    for image, package in PYPI_IMAGES.items():
        arts.extend(pip_download(f"{package}=={profile.versions['spark']}", image, ui))
    return Lock(profile=profile.name, inputs=digest_for(profile), versions=dict(profile.versions), artifacts=tuple(arts))
