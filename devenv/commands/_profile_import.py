"""`devenv profile import` and `devenv profile upgrade`: argument handling and output (the work is in devenv.importer, devenv.upgrade)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devenv.console import Ui


def add_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """`profile import` and `profile upgrade`, added to `devenv profile`'s actions."""
    s = sub.add_parser("import", help="a commented profile from production's client configuration directory", parents=[common])
    s.add_argument("conf_dir", metavar="CONF_DIR", help="core-site.xml, hdfs-site.xml, yarn-site.xml, ..., spark-defaults.conf (any subset)")
    s.add_argument("--versions", metavar="FILE", help="outputs of `hadoop version`, `hive --version`, `spark-submit --version`, or a TOML/JSON of versions")
    s.add_argument("-o", "--output", metavar="PATH", help="file to write (default: NAME.toml in the user profile directory)")
    s.add_argument("--name", help="profile name (default: from --output, else the directory's name)")
    s.add_argument("--force", action="store_true", help="overwrite an existing file")
    s.set_defaults(run=lambda args, ui: import_(args, ui))
    s = sub.add_parser("upgrade", help="a candidate profile and lock beside the current one, for other versions", parents=[common])
    s.add_argument("name", nargs="?", metavar="NAME|PATH", help="default: the selected profile")
    s.add_argument("--to", required=True, metavar="VERSIONS", help="a profile name or path, or pins such as spark=4.1.1,hadoop=3.4.2")
    s.add_argument("--no-lock", action="store_true", help="write the candidate profile only")
    s.set_defaults(run=lambda args, ui: upgrade(args, ui))


def _name(args: argparse.Namespace, conf_dir: Path) -> str:
    from devenv.errors import UsageError
    from devenv.schema import NAME_PATTERN

    if args.name:
        if not re.fullmatch(NAME_PATTERN, args.name):
            raise UsageError(f"profile name {args.name!r} must be lower-case letters, digits and '-'")
        return str(args.name)
    from devenv.importer import source_name

    stem = Path(args.output).stem if args.output else source_name(conf_dir).split("/")[0]
    name = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-")[:40] or "imported"
    return name if re.fullmatch(NAME_PATTERN, name) else f"p{name}"[:40]


def import_(args: argparse.Namespace, ui: "Ui") -> int:
    """Write the imported profile (validated before it replaces anything) and say what was kept, scaled and dropped."""
    from devenv import fsutil, importer
    from devenv import profile as prof
    from devenv.errors import DevenvError
    from devenv.importer import versions, write
    from devenv.paths import paths

    conf_dir = Path(args.conf_dir)
    name = _name(args, conf_dir)
    found = versions.read(Path(args.versions)) if args.versions else {}
    base = prof.load_profile(prof.builtin_dir() / f"{importer.base_for(found)}.toml")
    imp = importer.build(conf_dir, name, found, base)
    out = Path(args.output) if args.output else paths().user_profiles / f"{name}.toml"
    if out.exists() and not args.force:
        raise DevenvError(f"{out} already exists; nothing was written", hint="choose another --output, or add --force to overwrite it")
    text = write.render(imp, base)
    fsutil.write_validated(out, text, prof.load_profile)
    summary = {"schema": 1, "written": str(out), "extends": imp.extends, "factor": imp.production["factor"],
               "kept": len(imp.settings), "dropped": {g: len(p) for g, p in imp.dropped.items() if g != "secrets"},
               "secrets": [f"{p.where} {p.name}" for p in imp.secrets],
               "versions": {p.component: p.chosen for p in imp.pins}}
    if args.json:
        ui.emit_json(summary)
        return 0
    ui.print(f"wrote {out} (extends {imp.extends}; {len(imp.settings)} settings kept or scaled, scale factor {imp.production['factor']:g})")
    for pin in imp.pins:
        if pin.comment:
            ui.warn(f"{pin.component}: {pin.comment}")
    if imp.secrets:
        ui.warn("secrets found and not copied: " + ", ".join(f"{p.name} ({p.where})" for p in imp.secrets))
    ui.print(f"next: devenv profile diff default {out}")
    return 0


def upgrade(args: argparse.Namespace, ui: "Ui") -> int:
    """Write the candidate profile and its lock beside the selected profile; print each change and why."""
    from devenv import profile as prof
    from devenv import upgrade as up

    path, _ = prof.select(args.name or args.profile)
    plan = up.plan(path, args.to)
    written = up.write_candidate(plan)
    lock = None if args.no_lock else _lock(written, ui, args)
    if args.json:
        ui.emit_json({"schema": 1, "profile": str(path), "candidate": str(written), "lock": str(lock) if lock else None,
                      "changes": [c._asdict() for c in plan.changes]})
        return 0
    for c in plan.changes:
        ui.print(f"{c.component}: {c.old} -> {c.new}  [dim]{c.why}[/]")
    ui.print(f"wrote {written}" + (f" and {lock}" if lock else ""))
    ui.print(f"next: run your tests against both (--profile {path} and --profile {written}); keep the one that passes "
             "by committing the profile and its lock together")
    return 0


def _lock(candidate: Path, ui: "Ui", args: argparse.Namespace) -> Path:
    """Resolve and write the candidate's lock beside it, exactly as `devenv lock CANDIDATE` does."""
    from devenv.commands import lock as lock_command
    from devenv.lock import lock_path

    ns = argparse.Namespace(name=str(candidate), profile=None, json=False, trust=getattr(args, "trust", False))
    lock_command.run(ns, ui)
    return lock_path(candidate)
