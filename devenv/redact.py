"""Secrets out of logs and exported bundles: credentials in URLs, and the values of password-like keys.

`redact(text)` turns `http://user:pass@proxy:3128` into `http://***@proxy:3128`
and hides the value of any property or key whose name contains password,
secret or token (site XML, `key=value` / `key value` lines, JSON). `LogFilter`
applies `redact` to every log record it sees.
"""

from __future__ import annotations

import logging
import re

MASK = "***"
_SECRET_KEY = r"[^<>\"'\s=:]*(?:password|passwd|secret|token)[^<>\"'\s=:]*"

_RULES: list[tuple[re.Pattern[str], str]] = [
    # scheme://user:pass@host and scheme://token@host
    (re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"<>]+@"), rf"\g<scheme>{MASK}@"),
    # <name>...password...</name><value>X</value>  (site XML, one property per line or not)
    (re.compile(rf"(<name>\s*{_SECRET_KEY}\s*</name>\s*<value>)[^<]*(</value>)", re.I), rf"\g<1>{MASK}\g<2>"),
    # "…password…": "X"  (JSON)
    (re.compile(rf"(\"{_SECRET_KEY}\"\s*:\s*\")(?:[^\"\\]|\\.)*(\")", re.I), rf"\g<1>{MASK}\g<2>"),
    # KEY=VALUE or KEY: VALUE or `key value` (env, properties, spark-defaults)
    (re.compile(rf"(?m)^(\s*(?:export\s+)?{_SECRET_KEY}(?:\s*[=:]\s*|\s+))(?!{re.escape(MASK)})\S.*$", re.I), rf"\g<1>{MASK}"),
    (re.compile(rf"(\b{_SECRET_KEY}=)(?!{re.escape(MASK)})[^\s,'\"]+", re.I), rf"\g<1>{MASK}"),
]


def redact(text: str) -> str:
    """`text` with credentials in URLs and the values of password/secret/token keys replaced by ***."""
    for pattern, repl in _RULES:
        text = pattern.sub(repl, text)
    return text


class LogFilter(logging.Filter):
    """Redact every record (message and arguments, formatted once) before a handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it to logging's own error report
            return True
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        return True


def install(logger: logging.Logger) -> None:
    """Add one LogFilter to `logger` (repeated calls add nothing)."""
    if not any(isinstance(f, LogFilter) for f in logger.filters):
        logger.addFilter(LogFilter())
