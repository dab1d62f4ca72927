"""Which host ports are free, who holds a busy one, and free ones for `--ports auto`."""

from __future__ import annotations

import platform
import re
import socket
import subprocess


def is_free(bind: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        if platform.system() == "Windows":
            s.setsockopt(socket.SOL_SOCKET, getattr(socket, "SO_EXCLUSIVEADDRUSE", socket.SO_REUSEADDR), 1)
        else:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT leftovers
        try:
            s.bind((bind, port))
        except OSError:
            return False
    return True


def free_port(bind: str) -> int:
    family = socket.AF_INET6 if ":" in bind else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((bind, 0))
        return int(s.getsockname()[1])


def owner(port: int) -> str | None:
    """The process listening on `port`, where the OS tells (best effort, never raises)."""
    system = platform.system()
    try:
        if system == "Linux":
            out = subprocess.run(["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, timeout=2).stdout
            m = re.search(r'users:\(\("([^"]+)",pid=(\d+)', out)
            if m:
                return f"{m.group(1)} (pid {m.group(2)})"
            if out.strip():
                return "another process (run as root to see which)"
        elif system == "Darwin":
            out = subprocess.run(["lsof", "-nP", f"-iTCP:{port}", "-sTCP:LISTEN"], capture_output=True, text=True, timeout=2).stdout
            lines = out.splitlines()[1:]
            if lines:
                parts = lines[0].split()
                return f"{parts[0]} (pid {parts[1]})"
        elif system == "Windows":
            out = subprocess.run(["netstat", "-ano", "-p", "TCP"], capture_output=True, text=True, timeout=3).stdout
            for line in out.splitlines():
                cols = line.split()
                if len(cols) >= 5 and cols[1].endswith(f":{port}") and cols[3].upper() == "LISTENING":
                    return f"pid {cols[4]}"
    except (OSError, subprocess.SubprocessError, IndexError):
        return None
    return None
