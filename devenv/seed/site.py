"""The running cluster as seed steps see it: run shell in its containers, put files there, run SQL through HiveServer2.

Data appears atomically: copies and TPC-H are written under /seed/.tmp and
renamed into place with `hdfs dfs -mv`; the previous version is moved aside
first and deleted only after the new one is in place.
"""

from __future__ import annotations

import re
import secrets
import shlex
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from devenv import docker
from devenv.errors import DevenvError

TMP = "/seed/.tmp"
BEELINE = "beeline -u jdbc:hive2://hiveserver2:10000/default -n hadoop --outputformat=csv2"


class StepFailed(DevenvError):
    pass


@dataclass
class Site:
    """The running cluster: its containers, a scratch directory in the edge node, HDFS scratch paths."""

    cluster: str
    containers: dict[str, str]
    edge: str
    token: str = field(default_factory=lambda: secrets.token_hex(6))

    @property
    def scratch(self) -> str:
        return f"/tmp/devenv-seed-{self.token}"

    def container(self, service: str) -> str:
        if service not in self.containers:
            raise DevenvError(f"cluster {self.cluster!r} has no service {service!r}",
                              hint=f"services: {', '.join(sorted(self.containers))}")
        return self.containers[service]

    def run(self, command: str, *, service: str | None = None, idempotent: bool = False) -> tuple[str, str]:
        """Run a bash command in `service` (default: the edge node); (its stdout and stderr, its exit code as text).

        `idempotent`: running it twice does no harm, so a transient engine error is retried."""
        wrapped = f"out=$( {command} 2>&1 ); rc=$?; printf '%s\\n__devenv_rc=%d\\n' \"$out\" $rc"
        raw = docker.exec_in(self.container(service or self.edge), ["bash", "-c", wrapped], idempotent=idempotent)
        body, _, rc = raw.rstrip().rpartition("__devenv_rc=")
        return body, rc

    def sh(self, script: str, *, service: str | None = None, what: str, tail: int = 25, idempotent: bool = False) -> str:
        """Run a bash script; its output (stdout and stderr) if it succeeds, else StepFailed with the tail."""
        body, rc = self.run(f"{{ set -o pipefail; {script}\n}}", service=service, idempotent=idempotent)
        if rc.strip() != "0":
            lines = [ln for ln in body.rstrip().splitlines() if ln.strip()]
            raise StepFailed(f"{what} failed (exit {rc.strip()})", details=lines[-tail:])
        return body

    def put(self, local: Path, remote: str) -> None:
        """Copy a host file or directory into the edge node's scratch directory, as `remote` (relative)."""
        docker.copy_to(self.container(self.edge), local, f"{self.scratch}/{remote}")

    def hdfs_replace(self, source: str, target: str) -> str:
        """Shell that renames `source` (HDFS) to `target`, moving an old `target` aside first and deleting it after.

        If the rename fails, `source` is removed and the old `target` moved back before the script fails."""
        old = f"{TMP}/{self.token}-old"
        parent = target.rstrip("/").rsplit("/", 1)[0] or "/"
        src, tgt = shlex.quote(source), shlex.quote(target)
        return (f"hdfs dfs -mkdir -p {shlex.quote(parent)} {TMP}"
                f" && {{ hdfs dfs -test -e {tgt} && hdfs dfs -mv {tgt} {old} || true; }}"
                f" && {{ hdfs dfs -mv {src} {tgt} || {{ hdfs dfs -rm -r -f -skipTrash {src} >/dev/null; hdfs dfs -test -e {old} && hdfs dfs -mv {old} {tgt}; false; }}; }}"
                f" && hdfs dfs -rm -r -f -skipTrash {old} >/dev/null")


def split_sql(text: str) -> list[tuple[int, str]]:
    """Statements of a SQL file with the line each starts on; comments dropped, quotes respected."""
    out: list[tuple[int, str]] = []
    buf: list[str] = []
    line, start = 1, None
    i, n = 0, len(text)
    quote: str | None = None
    while i < n:
        c = text[i]
        if quote:
            buf.append(c)
            if c == "\\" and i + 1 < n:
                buf.append(text[i + 1])
                line += text[i + 1] == "\n"
                i += 1
            elif c == quote:
                quote = None
        elif c in "'\"`":
            quote = c
            start = start or line
            buf.append(c)
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            line += text.count("\n", i, j)
            i = j
            continue
        elif c == ";":
            if "".join(buf).strip():
                out.append((start or line, "".join(buf).strip()))
            buf, start = [], None
        else:
            if not c.isspace() and start is None:
                start = line
            if start is not None:
                buf.append(c)
        line += c == "\n"
        i += 1
    if "".join(buf).strip():
        out.append((start or line, "".join(buf).strip()))
    return out


def run_sql(site: Site, statements: list[tuple[int, str]], *, source: str, remote: str) -> str:
    """Run statements through HiveServer2 with beeline; on an error name the statement and its line in `source`."""
    with tempfile.TemporaryDirectory(prefix="devenv-seed-") as d:
        f = Path(d) / "script.sql"
        f.write_text("".join(s + ";\n" for _, s in statements), encoding="utf-8")
        site.put(f, remote)
    body, rc = site.run(f"{BEELINE} --silent=false -f {site.scratch}/{remote}")
    if rc.strip() == "0":
        return body
    done = len(re.findall(r"(No rows affected|\d+ rows? (selected|affected)) \(", body))
    err = next((ln[ln.index("Error: "):] for ln in body.splitlines() if "Error: " in ln), "")
    if done >= len(statements) or not err:
        lines = [ln for ln in body.splitlines() if ln.strip()]
        raise StepFailed(f"beeline failed (exit {rc.strip()})", details=lines[-20:])
    start, stmt = statements[done]
    m = re.search(r"[Ll]ine (\d+):(\d+)", err)
    at = start + int(m.group(1)) - 1 if m else start
    shown = stmt if len(stmt) < 400 else stmt[:400] + " ..."
    raise StepFailed(f"SQL error in statement {done + 1} at {source}:{at}",
                     details=[f"{start + k}: {ln}" for k, ln in enumerate(shown.splitlines())] + [err.removeprefix("Error: ")])
