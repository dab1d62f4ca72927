"""`devenv doctor`: is this machine ready for the profile, and is the running cluster what it says?"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:
    from devenv.console import Ui
    from devenv.doctor import Context, Result

HELP = "check the machine, the engine and a running cluster against the profile"

MARKS = {"ok": ("✓", "[green]"), "warn": ("!", "[yellow]"), "fail": ("✗", "[bold red]"), "skip": ("-", "[dim]"), "error": ("?", "[magenta]")}
ASCII = {"ok": "ok", "warn": "!!", "fail": "XX", "skip": "--", "error": "??"}


def add_arguments(p: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    p.add_argument("--check", action="append", default=[], metavar="ID", help="run only this check, or a category (repeatable)")
    p.add_argument("--list-checks", action="store_true", help="list the checks and exit")
    p.add_argument("--strict", action="store_true", help="warnings and errors fail too (exit 1)")
    p.add_argument("--fix", action="store_true", help="apply the safe fixes found (listed first; asks on a terminal)")
    p.add_argument("--yes", action="store_true", help="with --fix: do not ask")
    p.epilog = "exit codes: 0 nothing failed, 1 something failed (with --strict: or warned)."
    p.set_defaults(run=run)


def context(profile_ref: str | None, probes: Any = None) -> "Context":
    """A doctor Context for the selected profile; a broken profile becomes the profile.valid failure."""
    from devenv import profile as prof
    from devenv.doctor import Context
    from devenv.doctor.probes import Probes
    from devenv.errors import DevenvError
    from devenv.paths import paths

    user_config, p, error = {}, None, None
    try:
        user_config = prof.load_user_config()
        p = prof.load_profile(prof.select(profile_ref)[0], user_config=user_config)
    except DevenvError as e:
        error = e
    return Context(probes or Probes(), paths(), profile=p, user_config=user_config, profile_error=error)


def run(args: argparse.Namespace, ui: "Ui") -> int:
    import time

    from devenv import doctor

    checks = doctor.select(args.check)
    if args.list_checks:
        return _list(checks, ui, args.json)
    ctx = context(args.profile)
    start = time.perf_counter()
    results = doctor.run_checks(checks, ctx)
    if args.fix:
        results = _fix(results, ctx, ui, args)
    seconds = time.perf_counter() - start
    name = ctx.profile_name
    data = doctor.to_json(results, profile=name, strict=args.strict, seconds=seconds)
    if args.json:
        ui.emit_json(data)
    else:
        _render(results, data["summary"], ui, name)
    return int(data["summary"]["exit_code"])


def _list(checks: Sequence[Any], ui: "Ui", as_json: bool) -> int:
    if as_json:
        ui.emit_json({"schema": 1, "checks": [{"id": c.id, "category": c.category, "title": c.title, "timeout": c.timeout} for c in checks]})
        return 0
    from rich.table import Table

    t = Table(box=None, pad_edge=False)
    for col in ("id", "category", "checks that"):
        t.add_column(col)
    for c in checks:
        t.add_row(c.id, c.category, c.title)
    ui.print(t)
    return 0


def _mark(state: str, ui: "Ui") -> str:
    enc = (ui.out.encoding or "").lower().replace("-", "")
    sym, style = MARKS[state]
    if enc not in ("utf8", "utf16", "utf32"):
        sym = ASCII[state]
    return f"{style}{sym}[/]"


def _render(results: Sequence["Result"], summary: dict[str, Any], ui: "Ui", profile: str | None) -> None:
    from rich.markup import escape

    from devenv.doctor import CATEGORIES

    ui.print(f"devenv doctor, profile {escape(repr(profile)) if profile else '(unreadable)'}")
    width = max((len(r.check.id) for r in results), default=0)
    for cat, title in CATEGORIES.items():
        group = [r for r in results if r.check.category == cat]
        if not group:
            continue
        ui.print(f"\n[bold]{title}[/]")
        for r in group:
            f = r.finding
            ui.print(f"  {_mark(f.state, ui)} {r.check.id:<{width}}  {escape(f.message)}")
            if f.state in ("warn", "fail", "error"):
                indent = " " * (width + 6)
                if f.found or f.required:
                    ui.print(f"{indent}[dim]found:[/] {escape(f.found or '-')}  [dim]required:[/] {escape(f.required or '-')}")
                if f.fix:
                    ui.print(f"{indent}[cyan]fix:[/] {escape(f.fix)}")
                if f.safe_fix:
                    ui.print(f"{indent}[cyan]devenv doctor --fix[/] would {escape(f.safe_fix.description)}")
    counts = ", ".join(f"{summary[s]} {w}" for s, w in (("ok", "ok"), ("warn", "warnings"), ("fail", "failed"), ("skip", "skipped"), ("error", "errors")) if summary[s])
    verdict = "[bold red]something failed[/]" if summary["exit_code"] else "[green]nothing failed[/]"
    strict = " (--strict: warnings and errors count)" if summary["strict"] else ""
    ui.print(f"\n{counts}: {verdict}{strict}")


def _fix(results: list["Result"], ctx: "Context", ui: "Ui", args: argparse.Namespace) -> list["Result"]:
    """List the safe fixes, ask on a terminal (unless --yes), apply them, and run their checks again."""
    from devenv import doctor

    todo = [r for r in results if r.finding.safe_fix]
    if not todo:
        ui.info("--fix: nothing to fix safely")
        return results
    ui.info("--fix will:")
    for r in todo:
        ui.info(f"  - {r.finding.safe_fix.description} ({r.check.id})")  # type: ignore[union-attr]
    if not args.yes:
        if not ui.interactive:
            ui.info("not applied: without a terminal devenv never asks; run again with --fix --yes")
            return results
        from rich.prompt import Confirm

        if not Confirm.ask("apply these fixes?", console=ui.err, default=False):
            ui.info("nothing changed")
            return results
    for r in todo:
        try:
            r.finding.safe_fix.apply()  # type: ignore[union-attr]
            ui.info(f"done: {r.finding.safe_fix.description}")  # type: ignore[union-attr]
        except Exception as e:  # report and go on: the re-run shows what is still wrong
            ui.warn(f"could not {r.finding.safe_fix.description}: {e}")  # type: ignore[union-attr]
    ctx.forget()
    again = {r.check.id: r for r in doctor.run_checks([r.check for r in todo], ctx)}
    return [again.get(r.check.id, r) for r in results]
