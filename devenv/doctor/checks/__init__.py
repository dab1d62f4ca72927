"""The doctor's checks, one module per category; importing this package registers them all.

Each module imports only `devenv.doctor.model` (and its sibling modules), never
the runner, so registration has no circle.
"""

from devenv.doctor.checks import cluster, engine, host, net, parity, profile

__all__ = ["cluster", "engine", "host", "net", "parity", "profile"]
