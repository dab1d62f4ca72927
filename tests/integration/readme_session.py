"""Drive the README as a user reads it: type its quickstart and `devenv shell` commands into a real terminal.

The commands come from README.md (between the `quickstart` and `shell-session`
markers), so the README and this test cannot drift: a command the README
shows but this module has no check for fails the test. Each command is typed
into bash on a pseudo-terminal (pexpect), as a person would, and its answer is
checked; inside `devenv shell` the prompt, the banner and every promised tool
are checked too.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
# Commands that change the machine rather than show something: the test's own setup does them.
NOT_TYPED = ("./install.sh", r".\install.ps1", "devenv down")


def readme_block(marker: str, readme: Path = REPO / "README.md") -> list[str]:
    """The commands of the ```sh blocks between `<!-- marker... -->` and `<!-- /marker -->`, comments removed."""
    text = readme.read_text(encoding="utf-8")
    m = re.search(rf"<!-- {re.escape(marker)}\b.*?-->(.*?)<!-- /{re.escape(marker)} -->", text, re.S)
    if not m:
        raise AssertionError(f"README.md has no <!-- {marker} --> block")
    cmds: list[str] = []
    for block in re.findall(r"```sh\n(.*?)```", m.group(1), re.S):
        for line in block.splitlines():
            cmd = _strip_comment(line).strip()
            if cmd:
                cmds.append(cmd)
    return cmds


def _strip_comment(line: str) -> str:
    """`cmd   # comment` -> `cmd` (the README writes comments after two or more spaces)."""
    return re.sub(r"\s{2,}#\s.*$", "", line)


@dataclass
class Pins:
    hadoop: str
    spark: str
    cluster: str


Check = Callable[[str, Pins], None]


def _has(*needles: str) -> Check:
    def check(out: str, pins: Pins) -> None:
        for n in needles:
            n = n.format(hadoop=pins.hadoop, spark=pins.spark, cluster=pins.cluster)
            assert n in out, f"expected {n!r} in the answer:\n{out}"
    return check


# What each command the README shows must answer, by the command's first words.
SHELL_CHECKS: dict[str, Check] = {
    "hdfs dfs -ls": _has("/user", "/tmp"),
    "yarn node -list": _has("Total Nodes:", "RUNNING"),
    "hadoop version": _has("Hadoop {hadoop}"),
    "mapred version": _has("Hadoop {hadoop}"),
    "spark-submit --version": _has("version {spark}"),
    "beeline -e": _has("default"),
}
HOST_CHECKS: dict[str, Check] = {
    "devenv up": _has("cluster {cluster}", "already running"),
    "devenv exec": _has("Live datanodes"),
    'eval "$(devenv client-config': lambda out, pins: None,  # checked by the echo that follows it
}


def check_for(cmd: str, table: dict[str, Check]) -> Check:
    for prefix, check in table.items():
        if cmd.startswith(prefix):
            return check
    raise AssertionError(f"README shows {cmd!r}, which this test has no check for: add one to {__name__}")


def with_name(cmd: str, name: str) -> str:
    """`devenv SUB ...` -> `devenv SUB --name NAME ...`: the README's commands, pointed at the test's cluster."""
    return re.sub(r"\bdevenv ([a-z-]+)", lambda m: f"devenv {m.group(1)} --name {name}", cmd, count=1)


def plain(text: str) -> str:
    """Terminal output without escape sequences (rich's bold, readline's bracketed-paste switches) or CRs."""
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text).replace("\r", "")


class Terminal:
    """bash on a pseudo-terminal; `run` types a command and returns what it printed and its exit status."""

    PROMPT = "__devenv_test_prompt__$ "

    def __init__(self, env: dict[str, str], timeout: float = 120) -> None:
        import pexpect

        self.pexpect = pexpect
        self.child = pexpect.spawn("bash", ["--norc", "--noprofile", "-i"], env={**env, "PS1": self.PROMPT},
                                   encoding="utf-8", codec_errors="replace", dimensions=(60, 250), timeout=timeout)
        self.log: list[str] = []
        self.child.logfile_read = _Tee(self.log)
        self.child.expect_exact(self.PROMPT)

    def run(self, cmd: str, prompt: str | None = None, timeout: float = 180) -> tuple[str, int]:
        prompt = prompt or re.escape(self.PROMPT)
        self.child.sendline(cmd)
        self.child.expect(prompt, timeout=timeout)
        out = plain(self.child.before)
        # drop the echo of the typed command
        return out.split("\n", 1)[1] if "\n" in out else "", self.last_rc(prompt)

    def last_rc(self, prompt: str | None = None) -> int:
        """The exit status of the command that just ended (asked of the shell at `prompt`)."""
        self.child.sendline("echo __rc=$?")
        self.child.expect(r"__rc=(\d+)", timeout=30)
        rc = int(self.child.match.group(1))
        self.child.expect(prompt or re.escape(self.PROMPT), timeout=30)
        return rc

    def transcript(self) -> str:
        return "".join(self.log)[-6000:]


class _Tee:
    def __init__(self, sink: list[str]) -> None:
        self.sink = sink

    def write(self, s: str) -> None:
        self.sink.append(s)

    def flush(self) -> None:
        pass


def host_env(home: Path) -> dict[str, str]:
    """The user's environment with devenv on PATH (the venv the tests run in) and the test's devenv home."""
    bindir = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env.update({"PATH": bindir + os.pathsep + env.get("PATH", ""), "DEVENV_HOME": str(home), "TERM": "xterm", "NO_COLOR": "1"})
    if os.environ.get("DEVENV_IT_PROFILE"):  # benchmarks/profiles.py
        env["DEVENV_PROFILE"] = os.environ["DEVENV_IT_PROFILE"]
    return env
