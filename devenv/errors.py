"""One error root and the exit codes the CLI maps errors to.

Every error a user can cause is a `DevenvError`: it carries the message and,
where there is one, the next step to take. Anything else that escapes a
command is a bug and exits with `EXIT_INTERNAL`.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_USER = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130


class DevenvError(Exception):
    """A problem the user can fix; printed without a traceback."""

    exit_code = EXIT_USER

    def __init__(self, message: str, *, hint: str | None = None, details: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.details = details or []


class UsageError(DevenvError):
    """The command line itself is wrong."""

    exit_code = EXIT_USAGE


class ProfileError(DevenvError):
    """A profile could not be read or is invalid; `problems` holds every located error."""

    def __init__(self, message: str, problems: list[str], *, hint: str | None = None):
        super().__init__(message, hint=hint, details=problems)
        self.problems = problems
