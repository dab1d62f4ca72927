"""Reading TOML files so that every later error can say file, line and column.

tomlkit keeps comments and layout (for files devenv edits) but no positions, so
`locate` finds the line of a key path by scanning the text: table headers,
arrays of tables, dotted and quoted keys.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

KeyPath = tuple[Union[str, int], ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
MAX_BYTES = 1 << 20  # a profile, lock or user config larger than this is refused before parsing


def format_path(path: KeyPath) -> str:
    """`versions.hive`, `config.core-site."fs.defaultFS"`, `seed[2].sql`."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            continue
        text = part if _BARE.fullmatch(part) else json.dumps(part, ensure_ascii=False)  # escapes quotes and control characters
        out += ("." if out else "") + text
    return out


@dataclass(frozen=True)
class Source:
    """A TOML document with its origin, for locating errors."""

    path: Path | None
    text: str
    data: dict[str, Any]

    @property
    def label(self) -> str:
        return str(self.path) if self.path else "<built-in>"

    def where(self, path: KeyPath) -> str:
        line, col = locate(self.text, path)
        return f"{self.label}:{line or 1}:{col or 1}"


class TomlSyntaxError(Exception):
    def __init__(self, location: str, message: str):
        super().__init__(f"{location}: {message}")
        self.location = location
        self.message = message


def _fast_parse(text: str) -> dict[str, Any] | None:
    """The data by the standard library's parser (Python 3.11+; ten times faster than tomlkit on a
    3,400-line lock), or None when it is missing or refuses the text: tomlkit then locates the error."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return None


def load(path: Path) -> Source:
    """Parse a TOML file; a syntax error names file, line and column."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise TomlSyntaxError(f"{path}:1:1", f"the file is {size} bytes; devenv reads TOML files of at most {MAX_BYTES // 1024} KiB (is this the right file?)")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw.count(b"\n", 0, e.start) + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        raise TomlSyntaxError(f"{path}:{line}:{col}", f"not UTF-8 text (byte {e.start} is 0x{raw[e.start]:02x}): save the file as UTF-8") from None
    text = text.removeprefix("\ufeff")
    fast = _fast_parse(text)
    if fast is not None:
        return Source(path, text, fast)
    import tomlkit
    from tomlkit.exceptions import ParseError

    try:
        doc = tomlkit.parse(text)
    except ParseError as e:
        msg = re.sub(r"\s*at line \d+ col \d+$", "", str(e))
        if msg.startswith("Control characters"):
            msg = "a string is not closed before the end of the line (add the closing quote, or use \"\"\" for a multi-line string)"
        raise TomlSyntaxError(f"{path}:{e.line}:{max(e.col, 1)}", f"TOML syntax: {msg}") from None
    return Source(path, text, doc.unwrap())


def parse_text(text: str, label: Path | None = None) -> Source:
    import tomlkit

    return Source(label, text, tomlkit.parse(text).unwrap())


# --- locating key paths -----------------------------------------------------

def _split_key(s: str) -> list[str] | None:
    """Split a TOML key (`a."b.c".d`) into parts; None if it is not a key."""
    parts: list[str] = []
    i, n = 0, len(s)
    while i < n:
        while i < n and s[i] in " \t":
            i += 1
        if i >= n:
            break
        if s[i] in "\"'":
            q = s[i]
            j = s.find(q, i + 1)
            if j < 0:
                return None
            parts.append(s[i + 1 : j])
            i = j + 1
        else:
            m = _BARE.match(s, i)
            if not m:
                return None
            parts.append(m.group(0))
            i = m.end()
        while i < n and s[i] in " \t":
            i += 1
        if i < n:
            if s[i] != ".":
                return None
            i += 1
    return parts or None


def _key_of_line(line: str) -> tuple[list[str], int] | None:
    """The key parts of a `key = value` line and the column where the key starts."""
    stripped = line.lstrip()
    col = len(line) - len(stripped) + 1
    if not stripped or stripped[0] in "#[":
        return None
    depth_q = None
    for i, ch in enumerate(stripped):
        if depth_q:
            if ch == depth_q:
                depth_q = None
        elif ch in "\"'":
            depth_q = ch
        elif ch == "=":
            key = _split_key(stripped[:i])
            return (key, col) if key else None
    return None


def locate(text: str, path: KeyPath) -> tuple[int, int]:
    """Line and column (1-based) of `path` in `text`; the nearest enclosing key or table if the key itself is absent; (0, 0) if nothing matches."""
    want = list(path)
    best: tuple[int, int, int] = (0, 0, 0)  # (matched length, line, col)
    table: list[str | int] = []
    counters: dict[tuple[str | int, ...], int] = {}
    in_multiline = None
    for lineno, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        stripped = line.strip()
        if stripped.startswith("[["):
            end = stripped.find("]]")
            key = _split_key(stripped[2:end]) if end > 0 else None
            if key:
                base = tuple(key)
                counters[base] = counters.get(base, -1) + 1
                table = [*key, counters[base]]
                cand: list[str | int] = table
                col = line.index("[") + 1
            else:
                continue
        elif stripped.startswith("["):
            end = stripped.find("]")
            key = _split_key(stripped[1:end]) if end > 0 else None
            if not key:
                continue
            # a sub-table of the latest array-of-tables element keeps its index
            resolved: list[str | int] = []
            for i, part in enumerate(key):
                resolved.append(part)
                idx = counters.get(tuple(key[: i + 1]))
                if idx is not None:
                    resolved.append(idx)
            table = resolved
            cand = table
            col = line.index("[") + 1
        else:
            found = _key_of_line(line)
            if not found:
                continue
            key, col = found
            cand = [*table, *key]
            rest = line.split("=", 1)[1].strip()
            for q in ('"""', "'''"):
                if rest.startswith(q) and rest.count(q) == 1:
                    in_multiline = q
        n = 0
        while n < len(cand) and n < len(want) and cand[n] == want[n]:
            n += 1
        if n == len(cand) and n > best[0]:
            best = (n, lineno, col)
            if n == len(want):
                break
    return best[1], best[2]
