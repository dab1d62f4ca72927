"""All terminal output goes through here: one rich Console for data, one for messages.

Without a TTY, rich prints plain text: no colour codes, no spinners or live
displays. `--no-color` and the NO_COLOR variable turn colour off everywhere.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.markup import escape


@dataclass
class Ui:
    json: bool = False
    verbose: bool = False
    no_color: bool = False
    out: Console = field(init=False)
    err: Console = field(init=False)

    def __post_init__(self) -> None:
        no_color = self.no_color or "NO_COLOR" in os.environ
        # Without a terminal (CI logs, pipes) tables keep whole lines instead of wrapping at 80 columns.
        wide = None if sys.stdout.isatty() or os.environ.get("COLUMNS") else 200
        self.out = Console(file=sys.stdout, no_color=no_color, highlight=False, soft_wrap=True, width=wide)
        self.err = Console(file=sys.stderr, no_color=no_color, highlight=False, soft_wrap=True, width=wide)

    @property
    def interactive(self) -> bool:
        return self.out.is_terminal and not self.json

    def print(self, *objects: Any, **kwargs: Any) -> None:
        self.out.print(*objects, **kwargs)

    def text(self, message: str) -> None:
        """Print plain text that must not be read as rich markup."""
        self.out.print(escape(message))

    def emit_json(self, data: Any) -> None:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
        sys.stdout.flush()

    def emit_event(self, data: Any) -> None:
        """One JSON object per line: the event stream of `up`, `seed` and other long commands."""
        sys.stdout.write(json.dumps(data) + "\n")
        sys.stdout.flush()

    def info(self, message: str) -> None:
        self.err.print(message)

    def warn(self, message: str) -> None:
        self.err.print(f"[yellow]warning:[/] {escape(message)}")

    def error(self, message: str, *, details: list[str] | None = None, hint: str | None = None) -> None:
        self.err.print(f"[bold red]error:[/] {escape(message)}")
        for line in details or []:
            self.err.print(f"  {escape(line)}")
        if hint:
            self.err.print(f"[cyan]hint:[/] {escape(hint)}")
