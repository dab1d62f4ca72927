"""The subcommands: one module each, registered here in help order.

A command module defines `HELP`, `add_arguments(parser, common)` and
`run(args, ui) -> int`; heavy imports stay inside `run`.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Callable

_COMMANDS = [
    "profile", "lock", "fetch", "build", "bundle", "class", "images", "up", "down", "status", "logs",
    "seed", "snapshot", "shell", "exec", "restart", "client-config", "prune", "doctor", "trust",
    "jobs",
    "open",
]

REGISTRY: dict[str, tuple[str, Callable[[argparse.ArgumentParser, argparse.ArgumentParser], None]]] = {}

for _name in _COMMANDS:
    _mod = importlib.import_module(f"devenv.commands.{_name.replace('-', '_')}")
    REGISTRY[_name] = (_mod.HELP, _mod.add_arguments)
