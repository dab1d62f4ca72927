"""Command-line parsing, dispatch and the single top-level error handler.

Each subcommand lives in `devenv/commands/<name>.py` as a `run(args, ui) -> int`
function and is imported only when it runs, so `devenv --help` stays fast.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import TYPE_CHECKING, Callable, Sequence

if TYPE_CHECKING:
    from devenv.console import Ui

from devenv import __version__
from devenv.errors import EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_USAGE, DevenvError, from_os_error

log = logging.getLogger("devenv")

EPILOG = """\
profiles: --profile NAME|PATH, else $DEVENV_PROFILE, else devenv.toml in this
directory or a parent, else the built-in 'default'.
exit codes: 0 ok, 1 user error, 2 usage, 3 internal error, 130 interrupted.
"""


def _global_options(parser: argparse.ArgumentParser, *, suppress: bool) -> None:
    """Options valid before or after the subcommand (`devenv --json profile list` or `devenv profile list --json`)."""
    d = {"default": argparse.SUPPRESS} if suppress else {}
    g = parser.add_argument_group("global options")
    g.add_argument("--profile", metavar="NAME|PATH", help="profile to use", **({"default": None} | d))
    g.add_argument("-v", "--verbose", action="store_true", help="more detail on the terminal", **({"default": False} | d))
    g.add_argument("--json", action="store_true", help="machine-readable output where the output is data", **({"default": False} | d))
    g.add_argument("--no-color", action="store_true", help="no colour (also: NO_COLOR=1)", **({"default": False} | d))
    g.add_argument("--trust", action="store_true", help="with CI=true: trust the profile for this run (also: DEVENV_TRUST=1); see devenv trust", **({"default": False} | d))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="devenv",
        description="A pinned, production-like Hadoop, Hive and Spark cluster on your machine.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"devenv {__version__}")
    _global_options(parser, suppress=False)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, suppress=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    from devenv.commands import REGISTRY

    for name, (help_text, add_arguments) in REGISTRY.items():
        p = sub.add_parser(name, help=help_text, description=help_text, parents=[common])
        add_arguments(p, common)
    return parser


def _setup_logging(logfile: os.PathLike[str] | str) -> None:
    """DEBUG log to a file; a repeated call (tests run main() many times) replaces the handler."""
    from logging.handlers import RotatingFileHandler

    log.setLevel(logging.DEBUG)
    log.propagate = False
    for old in list(log.handlers):
        log.removeHandler(old)
        old.close()
    from pathlib import Path

    path = Path(logfile)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = RotatingFileHandler(path, maxBytes=2_000_000, backupCount=3, encoding="utf-8")
    except OSError:
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    from devenv.redact import LogFilter

    handler.addFilter(LogFilter())  # no credentials (proxy URLs, passwords) in the debug log
    log.addHandler(handler)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # argparse: --help, --version, usage errors
        return int(e.code or 0) if not isinstance(e.code, str) else EXIT_USAGE

    from devenv.console import Ui
    from devenv.paths import paths

    ui = Ui(json=args.json, verbose=args.verbose, no_color=args.no_color)
    logfile = paths().debug_log
    _setup_logging(logfile)
    log.debug("devenv %s argv=%s", __version__, argv)

    run: Callable[..., int] = args.run
    try:
        return run(args, ui)
    except DevenvError as e:
        return _user_error(args, ui, e)
    except KeyboardInterrupt:
        ui.err.print("interrupted")
        return EXIT_INTERRUPTED
    except OSError as e:  # no space, no permission, read-only: the user's to fix; anything else is a bug
        user = from_os_error(e)
        if user is None:
            return _internal(args, ui, logfile)
        log.debug("os error: %r", e)
        return _user_error(args, ui, user)
    except Exception:  # a bug: keep the traceback in the log, not on the screen
        return _internal(args, ui, logfile)


def _user_error(args: argparse.Namespace, ui: "Ui", e: DevenvError) -> int:
    log.debug("user error: %s %s", e.message, e.details)
    if args.json:
        ui.emit_json({"error": e.message, "details": e.details, "hint": e.hint, "exit_code": e.exit_code})
    else:
        ui.error(e.message, details=e.details, hint=e.hint)
    return e.exit_code


def _internal(args: argparse.Namespace, ui: "Ui", logfile: object) -> int:
    log.exception("internal error")
    ui.error(
        "internal error: this is a bug in devenv, not something you did.",
        hint=f"the traceback is in {logfile}; please attach it to a bug report (run with -v to print it).",
    )
    if args.verbose:
        import traceback

        traceback.print_exc()
    return EXIT_INTERNAL
