"""The scripts of devenv's GitHub Action (action.yml at the repository root), one subcommand per step.

    devenv_action.py up --name N [--profile P] [--wait-timeout S] [--seed]
    devenv_action.py cache-key --action-dir DIR [--profile P]
    devenv_action.py images-load FILE | images-save FILE
    devenv_action.py cleanup --name N --logs-dir DIR [--keep]

Standard library only: it runs on the runner's python3 before and after devenv itself. It talks to
devenv through its CLI (`devenv --json ...`) and to the runner through the files GitHub names in
$GITHUB_ENV (variables for the later steps) and $GITHUB_OUTPUT (the step's outputs).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Sequence

# (service, URL scheme) of an endpoint -> the variable later steps read it from
ENDPOINT_VARIABLES = {
    ("namenode", "hdfs"): "DEVENV_HDFS_URL",
    ("namenode", "http"): "DEVENV_HDFS_WEB_URL",
    ("resourcemanager", "http"): "DEVENV_YARN_URL",
    ("historyserver", "http"): "DEVENV_MAPRED_HISTORY_URL",
    ("spark-history", "http"): "DEVENV_SPARK_HISTORY_URL",
    ("metastore", "thrift"): "DEVENV_METASTORE_URI",
    ("hiveserver2", "jdbc"): "DEVENV_HIVE_JDBC_URL",
    ("hiveserver2", "http"): "DEVENV_HIVE_WEB_URL",
}


class ActionError(Exception):
    """A step failed; the message is printed as a GitHub error annotation."""


def devenv(*args: str, capture: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the installed `devenv` (the one on PATH) with plain output."""
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(["devenv", *args], text=True, env=env, capture_output=capture)


def append(var: str, values: dict[str, str]) -> None:
    """Append `key=value` lines to the file $`var` names (GITHUB_ENV or GITHUB_OUTPUT)."""
    path = os.environ.get(var)
    if not path:
        raise ActionError(f"${var} is not set: run this inside a GitHub Actions step")
    for k, v in values.items():
        if "\n" in v or "\r" in v:
            raise ActionError(f"{k}: a value with a line break cannot be written to ${var}")
    with open(path, "a", encoding="utf-8") as f:
        f.writelines(f"{k}={v}\n" for k, v in values.items())


def ready_event(stdout: str) -> dict[str, Any]:
    """The last JSON event of `devenv --json up` (`ready`), or an error naming the last thing said."""
    events = []
    for line in stdout.splitlines():
        if line.startswith("{"):
            try:
                events.append(json.loads(line))
            except ValueError:
                continue
    for ev in reversed(events):
        if ev.get("event") == "ready":
            return ev
    raise ActionError("devenv up printed no ready event" + (f" (last event: {events[-1]})" if events else ""))


def endpoint_variables(endpoints: Sequence[dict[str, str]]) -> dict[str, str]:
    """DEVENV_HDFS_URL, DEVENV_HIVE_JDBC_URL, ... from the ready event's endpoints (first instance of each)."""
    out: dict[str, str] = {}
    for ep in endpoints:
        base = ep["service"].rsplit("-", 1)[0] if ep["service"][-1:].isdigit() else ep["service"]
        var = ENDPOINT_VARIABLES.get((base, ep["url"].split(":", 1)[0]))
        if var and var not in out:
            out[var] = ep["url"]
    return out


def up(args: argparse.Namespace) -> None:
    """`devenv --json up`, its events echoed; then the connection variables and outputs."""
    cmd = ([] if not args.profile else ["--profile", args.profile]) + ["--json", "up", "--name", args.name,
                                                                       "--wait-timeout", str(args.wait_timeout)]
    p = devenv(*cmd, *(["--seed"] if args.seed else []))
    sys.stdout.write(p.stdout)
    sys.stderr.write(p.stderr)
    if p.returncode != 0:
        raise ActionError(f"devenv up failed (exit {p.returncode}); the cluster's logs are exported by the cleanup step")
    ev = ready_event(p.stdout)
    cc = devenv("--json", "client-config", "--name", args.name)
    if cc.returncode != 0:
        raise ActionError(f"devenv client-config failed: {cc.stderr.strip()}")
    env = {"DEVENV_CLUSTER": args.name, **json.loads(cc.stdout)["env"], **endpoint_variables(ev.get("endpoints", []))}
    append("GITHUB_ENV", env)
    append("GITHUB_OUTPUT", {"cluster": args.name, "seconds": str(ev.get("seconds", "")),
                             "endpoints": json.dumps(ev.get("endpoints", []), separators=(",", ":"))})
    print(f"cluster {args.name} ready in {ev.get('seconds')} s; set {', '.join(sorted(env))}")


def cache_key(args: argparse.Namespace) -> None:
    """Output `key`: a digest of what the images are built from (the action's templates and built-in
    profiles with their locks, and the workspace's profile and lock), so a new pin or template is a cache miss."""
    import hashlib

    root = Path(args.action_dir)
    files = sorted(f for d in ("images", "profiles") for f in (root / d).rglob("*") if f.is_file())
    prof = Path(args.profile) if args.profile.endswith(".toml") else Path("devenv.toml")
    files += [f for f in (prof, prof.with_suffix(".lock")) if f.is_file()]
    h = hashlib.sha256()
    for f in files:
        name = f.relative_to(root) if f.is_relative_to(root) else f
        h.update(f"{name}\0".encode() + hashlib.sha256(f.read_bytes()).digest())
    append("GITHUB_OUTPUT", {"key": f"devenv-{h.hexdigest()[:24]}"})


def images_save(args: argparse.Namespace) -> None:
    """Save this home's devenv images into one tar (for actions/cache); nothing to save is not an error."""
    p = devenv("--json", "images")
    if p.returncode != 0:
        raise ActionError(f"devenv images failed: {p.stderr.strip()}")
    tags = sorted({r["tag"] for r in json.loads(p.stdout)["images"] if r["tag"] != "<untagged>" and r.get("in_use")})
    if not tags:
        print("no devenv images to save")
        return
    Path(args.file).parent.mkdir(parents=True, exist_ok=True)
    if subprocess.run(["docker", "save", "-o", args.file, *tags]).returncode != 0:
        raise ActionError(f"docker save of {len(tags)} images failed")
    print(f"saved {len(tags)} images to {args.file}")


def images_load(args: argparse.Namespace) -> None:
    """Load the cached image tar when there is one (a cache miss just builds)."""
    if not Path(args.file).is_file():
        print(f"no image cache at {args.file}: devenv up builds the images")
        return
    if subprocess.run(["docker", "load", "-i", args.file]).returncode != 0:
        raise ActionError(f"docker load -i {args.file} failed (a corrupt cache? delete it in the repository's Actions caches)")


def cleanup(args: argparse.Namespace) -> None:
    """Export every service's logs to `logs_dir` (even after a failed up), then `down` unless `keep`. Both are tried."""
    problems = []
    p = devenv("logs", "--name", args.name, "--export", args.logs_dir)
    if p.returncode != 0:
        problems.append(f"log export failed: {(p.stderr or p.stdout).strip()}")
    append("GITHUB_OUTPUT", {"logs-dir": args.logs_dir})
    if not args.keep:
        d = devenv("down", "--name", args.name, "--volumes", "--yes")
        if d.returncode != 0:
            problems.append(f"devenv down failed: {(d.stderr or d.stdout).strip()}")
    if problems:
        raise ActionError("; ".join(problems))


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="step", required=True)
    u = sub.add_parser("up")
    u.add_argument("--name", required=True)
    u.add_argument("--profile", default="")
    u.add_argument("--wait-timeout", default="900")
    u.add_argument("--seed", action="store_true")
    u.set_defaults(run=up)
    k = sub.add_parser("cache-key")
    k.add_argument("--action-dir", required=True)
    k.add_argument("--profile", default="")
    k.set_defaults(run=cache_key)
    for name, fn in (("images-save", images_save), ("images-load", images_load)):
        s = sub.add_parser(name)
        s.add_argument("file")
        s.set_defaults(run=fn)
    c = sub.add_parser("cleanup")
    c.add_argument("--name", required=True)
    c.add_argument("--logs-dir", required=True)
    c.add_argument("--keep", action="store_true")
    c.set_defaults(run=cleanup)
    args = ap.parse_args(argv)
    try:
        args.run(args)
    except ActionError as e:
        print(f"::error title=devenv::{e}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
