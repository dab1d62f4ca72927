"""Build the profile's images from `images/` templates, the lock and the verified cache.

Each image's tag is content-addressed: a digest of its template files (and,
for the images that install it, the shared entrypoint library `images/lib/`), its
build arguments (including its parent's tag), the locked artifacts it holds
and, for the root JVM image, the extra CA certificates. `devenv build` with
nothing changed finds every tag present and runs no Docker build; changing one
component rebuilds that image and the images built on it, nothing else.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from devenv import docker, fsutil, labels, owner, redact
from devenv.confine import safe_rmtree
from devenv.errors import DevenvError
from devenv.paths import paths, resource_dir
from devenv.services import SERVICE_IMAGE

if TYPE_CHECKING:
    from devenv.console import Ui
    from devenv.context import Context
    from devenv.lock import Lock
    from devenv.profile import Profile

log = logging.getLogger("devenv.images")
redact.install(log)
REPO = "devenv"
SHARED_LIB = "lib"  # images/lib/: sourced by every entrypoint; installed by the images whose Spec says shared_lib


@dataclass(frozen=True)
class Spec:
    name: str
    parent: str | None        # image built FROM (its tag goes into parent_arg)
    parent_arg: str | None
    artifacts: str | None     # "lib" (Maven jars) or "dist" (PyPI files) in the build context
    ca: bool = False          # root images get the extra CA certificates
    shared_lib: bool = False  # images/lib/ (the entrypoint library) goes into the context as lib/


SPECS: dict[str, Spec] = {
    "jvm": Spec("jvm", None, None, None, ca=True, shared_lib=True),
    "tools": Spec("tools", "jvm", "JVM_IMAGE", None),
    "hadoop": Spec("hadoop", "jvm", "JVM_IMAGE", "lib"),
    "hive": Spec("hive", "hadoop", "HADOOP_IMAGE", "lib"),
    "spark": Spec("spark", "hive", "HIVE_IMAGE", "dist"),
    "postgres": Spec("postgres", None, None, None, shared_lib=True),
    "gateway": Spec("gateway", None, None, None),
}
CLUSTER_IMAGES = ("jvm", "hadoop", "hive", "spark", "postgres", "gateway")


TEMPLATES_ENV = "DEVENV_IMAGE_TEMPLATES"


def templates() -> Path:
    """devenv's image templates, or a copy a team keeps (DEVENV_IMAGE_TEMPLATES=DIR): tags follow their content."""
    own = os.environ.get(TEMPLATES_ENV)
    if not own:
        return resource_dir("images")
    root = Path(own).expanduser()
    if not (root / "jvm" / "Dockerfile").is_file():
        raise DevenvError(f"{TEMPLATES_ENV}={own} is not a directory of image templates (no jvm/Dockerfile in it)",
                          hint=f"point it at a copy of devenv's images/ directory, or unset {TEMPLATES_ENV}")
    return root


def image_for(service: str) -> str:
    svc = re.sub(r"-\d+$", "", service)
    if svc in SERVICE_IMAGE:
        return SERVICE_IMAGE[svc]
    if svc in SPECS:
        return svc
    raise DevenvError(f"unknown service or image {service!r}", hint=f"services: {', '.join(SERVICE_IMAGE)}; images: {', '.join(SPECS)}")


def with_parents(names: Iterable[str]) -> list[str]:
    """`names` and every image they build on, parents first."""
    out: list[str] = []
    def add(n: str) -> None:
        p = SPECS[n].parent
        if p:
            add(p)
        if n not in out:
            out.append(n)
    for n in names:
        add(n)
    return out


def build_args(profile: "Profile") -> dict[str, str]:
    """Every build argument a template may declare, from the profile."""
    v, im = profile.versions, profile.images
    java_pkg = im.get("java_package")
    return {
        "BASE_IMAGE": im.get("base", "debian:bookworm-slim"),
        "JAVA_PACKAGE": f"openjdk-{v['java']}-jre-headless" if java_pkg is None else java_pkg,
        "JAVA_VERSION": v["java"],
        "HADOOP_VERSION": v["hadoop"],
        "HIVE_VERSION": v["hive"],
        "SPARK_VERSION": v["spark"],
        "SCALA_VERSION": v.get("scala", ""),
        "PG_MAJOR": v.get("postgres", "15"),
    }


def declared_args(dockerfile: Path) -> list[str]:
    return re.findall(r"^\s*ARG\s+([A-Za-z_][A-Za-z0-9_]*)", dockerfile.read_text(encoding="utf-8"), re.M)


def _files(root: Path) -> list[Path]:
    skip = {"NOTES.md", ".gitignore"}
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name not in skip and "__pycache__" not in p.parts)


def _template_files(name: str) -> list[tuple[str, Path]]:
    """(path in the build context, file) for the image's template and, if it installs it, the shared lib."""
    root = templates() / name
    if not (root / "Dockerfile").is_file():
        raise DevenvError(f"image template {root / 'Dockerfile'} is missing", hint="reinstall devenv (./install.sh)")
    out = [(f.relative_to(root).as_posix(), f) for f in _files(root)]
    if SPECS[name].shared_lib:
        lib = templates() / SHARED_LIB
        out += [(f"{SHARED_LIB}/{f.relative_to(lib).as_posix()}", f) for f in _files(lib)]
    return out


@dataclass(frozen=True)
class Plan:
    name: str
    tag: str
    digest: str
    args: dict[str, str]
    platform: str | None = None


def plan(profile: "Profile", lock: "Lock | None", names: Iterable[str], ca_pem: str, platform: str | None = None) -> list[Plan]:
    """Tags and build arguments for `names` and their parents, parents first.

    An explicit platform (`--platform`, else `[images] platform`) is hashed and ends the tag
    (`devenv/hadoop:<digest>-arm64`); without one, images are the engine's own architecture.
    """
    platform = platform or profile.images.get("platform") or None
    suffix = f"-{platform.rsplit('/', 1)[-1]}" if platform else ""
    all_args = build_args(profile)
    plans: dict[str, Plan] = {}
    for name in with_parents(names):
        spec = SPECS[name]
        root = templates() / name
        dockerfile = root / "Dockerfile"
        args = {a: all_args[a] for a in declared_args(dockerfile) if a in all_args}
        if spec.name in ("postgres", "gateway"):  # plain Debian images: no JVM base
            args["BASE_IMAGE"] = profile.images.get("db_base", "debian:bookworm-slim")
        if spec.parent_arg:
            args[spec.parent_arg] = plans[spec.parent].tag
        h = hashlib.sha256()
        h.update(f"image={name}\n".encode())
        for rel, f in _template_files(name):
            h.update(f"{rel}\n".encode())
            h.update(f.read_bytes().replace(b"\r\n", b"\n"))  # a CRLF checkout builds the same image
        for k in sorted(args):
            h.update(f"arg {k}={args[k]}\n".encode())
        if spec.artifacts:
            if lock is None:
                raise DevenvError("internal: an image with artifacts needs a lock")
            arts = lock.for_image(name)
            if not arts:
                raise DevenvError(f"the lock has no artifacts for the {name} image", hint=f"regenerate it: devenv lock {profile.name}")
            for a in sorted(arts, key=lambda a: a.path):
                h.update(f"artifact {a.path} {a.sha256}\n".encode())
        if spec.ca:
            h.update(ca_pem.encode())
        if platform:
            h.update(f"platform {platform}\n".encode())
        digest = h.hexdigest()
        plans[name] = Plan(name, f"{REPO}/{name}:{digest[:12]}{suffix}", digest, args, platform)
    return list(plans.values())


def existing_tags() -> set[str]:
    return {t for i in docker.images() for t in i.tags}


def _stage(p: Plan, lock: "Lock | None", ca_pem: str) -> Path:
    """The build context: the template, ca/, and lib/ or dist/ hard-linked from the cache."""
    from devenv import artifacts

    spec = SPECS[p.name]
    # one directory per process: a parallel build of the same image never deletes this one's context
    root = paths().state / "build"
    root.mkdir(parents=True, exist_ok=True)
    ctx = Path(tempfile.mkdtemp(prefix=f"{p.name}-{p.digest[:12]}-", dir=root)) / "context"
    shutil.copytree(templates() / p.name, ctx, ignore=shutil.ignore_patterns("NOTES.md", "__pycache__"))
    if spec.shared_lib:
        shutil.copytree(templates() / SHARED_LIB, ctx / SHARED_LIB, ignore=shutil.ignore_patterns("NOTES.md", "__pycache__"))
    (ctx / "ca").mkdir(exist_ok=True)
    if spec.ca and ca_pem:
        (ctx / "ca" / "devenv-extra.crt").write_text(ca_pem, encoding="utf-8")
    if spec.artifacts and lock is not None:
        dest = ctx / spec.artifacts
        dest.mkdir(exist_ok=True)
        for a in lock.for_image(p.name):
            if not artifacts.is_verified(a):
                artifacts.verify_or_remove(a)  # raises, naming the file
            src = artifacts.cached_path(a)
            target = dest / a.filename
            if target.exists():
                raise DevenvError(f"two locked artifacts of the {p.name} image share the file name {a.filename}", hint=f"regenerate the lock: devenv lock {lock.profile}")
            try:
                os.link(src, target)
            except OSError:  # another file system, or no hard links (some Windows setups)
                shutil.copy2(src, target)
    return ctx


def build(profile: "Profile", lock: "Lock | None", *, ui: "Ui", names: Iterable[str] = CLUSTER_IMAGES,
          ca_pem: str = "", proxies: Mapping[str, str] | None = None, no_cache: bool = False,
          pull: bool = False, before_first_build: "Callable[[], object] | None" = None,
          platform: str | None = None) -> list[tuple[Plan, str]]:
    """Build what is missing; returns (plan, "built" | "present") per image.

    `before_first_build` runs once, only if some image must be built (the
    caller fetches artifacts there, so a no-op build touches no network).
    """
    plans = plan(profile, lock, names, ca_pem, platform)
    have = existing_tags() if not no_cache else set()
    if not pull:
        _require_bases([p for p in plans if p.tag not in have], profile)
    results: list[tuple[Plan, str]] = []
    for p in plans:
        if p.tag in have:
            results.append((p, "present"))
            continue
        if before_first_build is not None:
            before_first_build()
            before_first_build = None
        ctx = _stage(p, lock, ca_pem)
        args = dict(p.args)
        for k, v in (proxies or {}).items():
            args[k] = v
        image_labels = {
            labels.MANAGED: "true", labels.IMAGE: p.name, labels.INPUTS: p.digest, labels.OWNER: str(owner.home_id()),
            labels.VERSIONS: ",".join(f"{k}={v}" for k, v in profile.versions.items()),
        }
        started = time.monotonic()
        tail: list[str] = []
        with ui.err.status(f"building {p.tag}", spinner="dots") if ui.interactive else _Null():
            try:
                for line in docker.build(ctx, p.tag, build_args=args, labels=image_labels, no_cache=no_cache,
                                         pull=pull and SPECS[p.name].parent is None, platform=p.platform):
                    tail = (tail + [line])[-40:]
                    if ui.verbose:
                        ui.err.print(line, markup=False, highlight=False)
            except DevenvError as e:
                e.details = (tail[-25:] or e.details)
                e.message = f"building the {p.name} image ({p.tag}) failed"
                e.hint = f"the full build log is in {paths().debug_log}; build context kept in {ctx}"
                raise
        safe_rmtree(ctx.parent, paths().state / "build")
        ui.info(f"built {p.tag} in {time.monotonic() - started:.0f} s")
        results.append((p, "built"))
    _remember(profile, plans)
    return results


def build_profile(ctx: "Context", *, services: Iterable[str] | None = None, no_cache: bool = False,
                  pull: bool = False, offline: bool = False, platform: str | None = None) -> list[tuple[Plan, str]]:
    """Build the images a profile needs, or those of `services` (`devenv build`, and `devenv up` before it starts)."""
    names = [image_for(s) for s in services] if services else list(CLUSTER_IMAGES)
    needs_lock = any(SPECS[n].artifacts for n in with_parents(names))
    lock = ctx.lock() if needs_lock else None
    fetch = (lambda: ctx.fetch(lock, offline=offline)) if lock is not None else None
    return build(ctx.profile, lock, ui=ctx.ui, names=names, ca_pem=ctx.ca_pem, proxies=ctx.proxies,
                 no_cache=no_cache, pull=pull, before_first_build=fetch, platform=platform)


def _require_bases(to_build: Iterable[Plan], profile: "Profile") -> None:
    """Fail before anything is fetched or built when a base image is missing: devenv never pulls unless asked."""
    bases = dict.fromkeys(p.args["BASE_IMAGE"] for p in to_build if SPECS[p.name].parent is None and "BASE_IMAGE" in p.args)
    missing = [b for b in bases if not docker.image_exists(b)]
    if not missing:
        return
    java = profile.versions.get("java", "")
    have = ('with Java ' + java + ' (e.g. a Temurin ' + java + ' JRE image from your registry), and java_package = ""'
            if profile.images.get("java_package") == "" else f"of the same Debian release (apt installs Java {java} in it)")
    raise DevenvError(
        f"the base image{'s' if len(missing) > 1 else ''} {', '.join(missing)} {'are' if len(missing) > 1 else 'is'} "
        f"not on this Docker engine, and devenv pulls only when asked (profile {profile.name!r}, [images] base)",
        hint=f"either pull it from a registry you can reach (`docker pull {missing[0]}`, or pull your registry's copy and "
             f"`docker tag` it as {missing[0]}), or run `devenv build --pull`; or set [images] base in the profile to an "
             f"image you already have {have}. Nothing was fetched or built.")


class _Null:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *a: Any) -> None:
        return None


def _images_file() -> Path:
    return paths().state / "images.json"


def _read_used() -> dict[str, dict[str, str]]:
    """images.json: profile -> image name -> the tag it last built or used (an older list-per-profile file is read too)."""
    data = fsutil.read_json(_images_file(), default={}, fix=f"remove {_images_file()}; `devenv build` writes it again")
    out: dict[str, dict[str, str]] = {}
    for prof, tags in (data.items() if isinstance(data, dict) else ()):
        if isinstance(tags, dict):
            out[prof] = {str(k): str(v) for k, v in tags.items()}
        elif isinstance(tags, list):  # the old format: a list of tags
            out[prof] = {str(t).split("/")[-1].split(":")[0]: str(t) for t in tags}
    return out


def _remember(profile: "Profile", plans: list[Plan]) -> None:
    """Which profile uses which tags (for `devenv images` and prune): merged per image, so building some images
    (`build --service`, `lock` builds only tools) keeps the profile's other images."""
    data = _read_used()
    data.setdefault(profile.name, {}).update({p.name: p.tag for p in plans})
    fsutil.write_json(_images_file(), data)


def used_by() -> dict[str, list[str]]:
    """tag -> profiles that last built or used it."""
    out: dict[str, list[str]] = {}
    for prof, tags in _read_used().items():
        for t in tags.values():
            out.setdefault(t, []).append(prof)
    return out
