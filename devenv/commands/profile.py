"""`devenv profile`: list, show, validate, diff and create version profiles."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devenv.console import Ui

HELP = "list, show, validate, compare, create, import and upgrade version profiles"


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    sub.required = True
    s = sub.add_parser("list", help="the profiles devenv can find", parents=[common])
    s.set_defaults(run=lambda args, ui: _list(args, ui))
    s = sub.add_parser("show", help="print a profile as written, or --resolved", parents=[common])
    s.add_argument("name", nargs="?", metavar="NAME|PATH", help="default: the selected profile")
    s.add_argument("--resolved", action="store_true", help="after extends, defaults and the user config")
    s.set_defaults(run=lambda args, ui: _show(args, ui))
    s = sub.add_parser("validate", help="check profiles and report every problem", parents=[common])
    s.add_argument("names", nargs="*", metavar="NAME|PATH", help="default: the selected profile")
    s.add_argument("--all", action="store_true", help="every profile in `devenv profile list`")
    s.set_defaults(run=lambda args, ui: _validate(args, ui))
    s = sub.add_parser("diff", help="compare two resolved profiles", parents=[common])
    s.add_argument("a", metavar="A")
    s.add_argument("b", metavar="B")
    s.set_defaults(run=lambda args, ui: _diff(args, ui))
    s = sub.add_parser("new", help="write a new, commented profile that extends another", parents=[common])
    s.add_argument("name", metavar="NAME")
    s.add_argument("--from", dest="base", default="default", metavar="BASE", help="profile to extend (default: default)")
    s.add_argument("-o", "--output", metavar="PATH", help="file to write (default: NAME.toml in the user profile directory)")
    s.add_argument("--force", action="store_true", help="overwrite an existing file")
    s.set_defaults(run=lambda args, ui: _new(args, ui))
    from devenv.commands._profile_import import add_parsers

    add_parsers(sub, common)


def _ref(args: argparse.Namespace, name: str | None) -> str | None:
    return name or args.profile


def _list(args: argparse.Namespace, ui: "Ui") -> int:
    from rich.table import Table

    from devenv import profile as prof
    from devenv.errors import DevenvError

    try:
        selected, why = prof.select(args.profile)
    except DevenvError:
        selected, why = None, ""
    rows: list[dict[str, Any]] = []
    entries = dict(prof.available())
    project = prof.find_project_file()
    if project:
        entries[f"{project}"] = project
    for name, path in entries.items():
        row: dict[str, Any] = {"name": name, "path": str(path), "selected": selected is not None and path.resolve() == selected.resolve()}
        try:
            p = prof.load_profile(path)
            row.update(valid=True, description=p.description, versions=dict(p.versions))
        except DevenvError as e:
            row.update(valid=False, description=e.message, versions={})
        row["origin"] = "project" if path == project else ("built-in" if path.parent == prof.builtin_dir() else "user")
        rows.append(row)
    if args.json:
        ui.emit_json({"schema": 1, "selected": str(selected) if selected else None, "profiles": rows})
        return 0
    t = Table(box=None, pad_edge=False)
    for col in ("", "name", "java", "hadoop", "hive", "spark", "origin", "description"):
        t.add_column(col)
    for r in rows:
        v = r["versions"]
        mark = "*" if r["selected"] else ""
        desc = r["description"] if r["valid"] else f"[red]invalid:[/] run devenv profile validate {r['path']}"
        t.add_row(mark, r["name"], v.get("java", ""), v.get("hadoop", ""), v.get("hive", ""), v.get("spark", ""), r["origin"], desc)
    ui.print(t)
    if selected:
        ui.print(f"\n* selected ({why}); choose another with --profile NAME or DEVENV_PROFILE")
    return 0


def _show(args: argparse.Namespace, ui: "Ui") -> int:
    import tomlkit

    from devenv import profile as prof

    path, _ = prof.select(_ref(args, args.name))
    p = prof.load_profile(path, user_config=prof.load_user_config())  # validate either way
    if args.json:
        ui.emit_json(p.to_dict() if args.resolved else tomlkit.parse(path.read_text(encoding="utf-8")).unwrap())
    elif args.resolved:
        header = f"# profile {p.name}, resolved from: {' <- '.join(p.chain)}\n"
        ui.text(header + tomlkit.dumps(_plain(p.to_dict())).rstrip())
    else:
        ui.text(f"# {path}\n" + path.read_text(encoding="utf-8").rstrip())
    return 0


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _validate(args: argparse.Namespace, ui: "Ui") -> int:
    from devenv import profile as prof
    from devenv.errors import ProfileError

    if args.all:
        refs = [str(p) for p in prof.available().values()]
    else:
        refs = args.names or [None]
    user_config = prof.load_user_config()
    results: list[dict[str, Any]] = []
    for ref in refs:
        path, _ = prof.select(_ref(args, ref))
        try:
            p = prof.load_profile(path, user_config=user_config)
            results.append({"profile": str(path), "valid": True, "problems": [], "chain": list(p.chain), "warnings": list(p.warnings)})
            for w in p.warnings if not args.json else ():
                ui.warn(w)
        except ProfileError as e:
            results.append({"profile": str(path), "valid": False, "problems": e.problems, "chain": [], "warnings": []})
    bad = [r for r in results if not r["valid"]]
    if args.json:
        ui.emit_json({"schema": 1, "results": results})
    else:
        for r in results:
            if r["valid"]:
                ui.print(f"[green]ok[/] {r['profile']}")
            else:
                ui.error(f"profile {r['profile']} is invalid ({len(r['problems'])} problem{'s' if len(r['problems']) != 1 else ''})", details=r["problems"])
        if bad:
            ui.err.print("[cyan]hint:[/] each line is file:line:column: key: problem")
    return 1 if bad else 0


def _flatten(data: Any, prefix: tuple = ()) -> dict[str, Any]:
    from devenv.tomlsource import format_path

    out: dict[str, Any] = {}
    if isinstance(data, dict):
        for k, v in data.items():
            out.update(_flatten(v, (*prefix, k)))
    elif isinstance(data, list) and data and all(isinstance(x, dict) for x in data):
        for i, v in enumerate(data):
            out.update(_flatten(v, (*prefix, i)))
    else:
        out[format_path(prefix)] = data
    return out


def _diff(args: argparse.Namespace, ui: "Ui") -> int:
    from rich.table import Table

    from devenv import profile as prof

    user_config = prof.load_user_config()
    pa = prof.load_profile(prof.select(args.a)[0], user_config=user_config)
    pb = prof.load_profile(prof.select(args.b)[0], user_config=user_config)
    fa, fb = _flatten(pa.to_dict()), _flatten(pb.to_dict())
    keys = [k for k in dict.fromkeys([*fa, *fb]) if fa.get(k) != fb.get(k)]
    changes = [{"key": k, "a": fa.get(k), "b": fb.get(k)} for k in keys]
    if args.json:
        ui.emit_json({"schema": 1, "a": pa.name, "b": pb.name, "changes": changes})
        return 0
    if not changes:
        ui.print(f"{pa.name} and {pb.name} resolve to the same settings")
        return 0
    t = Table(box=None, pad_edge=False)
    t.add_column("key")
    t.add_column(pa.name)
    t.add_column(pb.name)
    for c in changes:
        t.add_row(c["key"], _show_value(c["a"]), _show_value(c["b"]))
    ui.print(t)
    return 0


def _show_value(v: Any) -> str:
    from rich.markup import escape

    return "[dim](unset)[/]" if v is None else escape(repr(v) if isinstance(v, str) else str(v))


def _new(args: argparse.Namespace, ui: "Ui") -> int:
    import os
    import re
    from pathlib import Path

    from devenv import fsutil
    from devenv import profile as prof
    from devenv.errors import DevenvError, UsageError
    from devenv.paths import paths

    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", args.name):
        raise UsageError(f"profile name {args.name!r} must be lower-case letters, digits and '-' (it names hosts and Compose projects)")
    base_path, _ = prof.select(args.base)
    base = prof.load_profile(base_path)
    out = Path(args.output) if args.output else paths().user_profiles / f"{args.name}.toml"
    if out.exists() and not args.force:
        raise DevenvError(f"{out} already exists; nothing was written", hint="choose another name or --output, or add --force to overwrite it")
    base_ref = args.base if not prof._looks_like_path(args.base) else os.path.relpath(base_path, out.parent.resolve() if out.parent.exists() else Path.cwd())
    text = render_new(args.name, base_ref, base)
    fsutil.write_validated(out, text, prof.load_profile)  # never leave an invalid file behind
    if args.json:
        ui.emit_json({"schema": 1, "written": str(out), "extends": base_ref})
    else:
        ui.print(f"wrote {out} (extends {base_ref})")
        use = args.name if not args.output else str(out)
        ui.print(f"next: edit it, then run: devenv profile validate {use}")
    return 0


def render_new(name: str, base_ref: str, base: Any) -> str:
    """A profile that extends `base_ref`, with the base's settings as comments to uncomment."""
    import tomlkit

    doc = tomlkit.document()
    doc.add(tomlkit.comment(f"devenv profile {name!r}, extending {base_ref!r}."))
    doc.add(tomlkit.comment("Only what you set here differs from the base; uncomment a line to change it."))
    doc.add(tomlkit.comment(f"Check it with: devenv profile validate {name}"))
    doc.add("schema", 1)
    doc.add("name", name)
    doc.add("description", f"Based on {base.name}: {base.description}")
    doc.add("extends", base_ref)
    text = tomlkit.dumps(doc)
    data = base.to_dict()
    sections = [
        ("versions", "pinned versions: must match production"),
        ("topology", "how many of each"),
        ("resources", "memory limits; total is the budget `devenv up` checks"),
        ("network", "bind address; port_base moves every host port"),
    ]
    for key, what in sections:
        text += f"\n# [{key}]  {what}\n"
        body = tomlkit.dumps({key: data.get(key, {})}).splitlines()
        text += "".join(f"# {line}\n" for line in body if line and not line.startswith(f"[{key}]"))
    text += "\n# Production configuration overrides, one property per line, e.g.:\n"
    text += '# [config.hdfs-site]\n# "dfs.blocksize" = "128m"\n'
    text += '# [config.capacity-scheduler]\n# "yarn.scheduler.capacity.root.queues" = "default,etl"\n'
    for f, props in data.get("config", {}).items():
        if props:
            text += f"# [config.{f}]  (from {base.name})\n"
            text += "".join(f"# {line}\n" for line in tomlkit.dumps(dict(props)).splitlines())
    text += "\n# Data loaded by `devenv seed`, in order:\n# [[seed]]\n# dataset = \"tpch\"\n# scale = 0.01\n"
    return text

