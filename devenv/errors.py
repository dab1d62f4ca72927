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


def _os_error_table() -> dict[int, tuple[str, str]]:
    import errno

    space = ("there is no space left on the device holding {path}",
             "free space on that file system (`devenv images prune`, `devenv prune`, `docker system df`), then run the command again")
    perm = ("permission denied on {path}",
            "devenv's files must belong to you: check `ls -l` on that path (a file created by `sudo devenv` is root's; "
            "remove it or `chown` it back), or point DEVENV_HOME at a directory you own")
    return {
        errno.ENOSPC: space,
        errno.EDQUOT: ("your disk quota is exhausted on the file system holding {path}", space[1]),
        errno.EACCES: perm,
        errno.EPERM: perm,
        errno.EROFS: ("{path} is on a read-only file system",
                      "point DEVENV_HOME (or the platform's data directories) at a writable location, or remount it read-write"),
        errno.EMFILE: ("too many open files (at {path})", "raise the limit (`ulimit -n 4096`) and run the command again"),
        errno.EIO: ("an input/output error on {path}", "the disk or network file system is failing: check `dmesg` and the device"),
    }


def from_os_error(e: OSError) -> DevenvError | None:
    """A user error for an OSError the user can fix (no space, no permission, read-only...), naming the path; None for a bug."""
    if e.errno is None:
        return None
    known = _os_error_table().get(e.errno)
    if known is None:
        return None
    path = e.filename if e.filename is not None else "a file devenv writes"
    other = f" (and {e.filename2})" if e.filename2 is not None else ""
    message, hint = known
    return DevenvError(message.format(path=f"{path}{other}") + f": {e.strerror or e}", hint=hint)
