"""The access-log sums of benchmarks/build.py's proxy measurement (benchmarks/_squid.py).

SAMPLE is real squid 6.13 access-log lines (native `squid` format), captured in two runs on the
build machine with the benchmark's own config: a proxy that first refused the
host (403 on CONNECT), `pip download --no-deps six` through HTTPS_PROXY (two
CONNECT tunnels: the index page and the 11,050-byte wheel), a Debian `Release`
file fetched over plain HTTP from a container on the Docker bridge (the
container counted 149,485 bytes received, the figure in the log), and the
bare connection of a readiness probe. Only the host names were replaced by
example.test names (no registry host is written in the repository).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import _squid  # noqa: E402

SAMPLE = """\
1795817073.513      2 192.0.2.2 TCP_DENIED_ABORTED/403 327 CONNECT index.example.test:443 - HIER_NONE/- text/html
1795817073.513      0 192.0.2.2 TCP_DENIED/403 3383 CONNECT index.example.test:443 - HIER_NONE/- text/html
1795817136.397      0 192.0.2.2 NONE_NONE/000 0 - error:transaction-end-before-headers - HIER_NONE/- -
1795817151.794     77 192.0.2.2 TCP_TUNNEL/200 13689 CONNECT files.example.test:443 - HIER_DIRECT/203.0.113.80 -
1795817151.794    167 192.0.2.2 TCP_TUNNEL/200 21241 CONNECT index.example.test:443 - HIER_DIRECT/203.0.113.80 -
1795817153.244     57 172.17.0.3 TCP_MISS/200 149485 GET http://debian.example.test/debian/dists/bookworm/Release - HIER_DIRECT/203.0.113.80 application/octet-stream
"""

HOSTS = {"index.example.test": "pypi", "files.example.test": "pypi", "maven.example.test": "maven"}


def test_parse_reads_every_field_of_a_native_line() -> None:
    entries = _squid.parse_access_log(SAMPLE + "not a log line\n")
    assert len(entries) == 6
    tunnel = entries[3]
    assert (tunnel.time, tunnel.client, tunnel.result, tunnel.status, tunnel.bytes, tunnel.method) == (
        1795817151.794, "192.0.2.2", "TCP_TUNNEL", 200, 13689, "CONNECT")
    assert tunnel.host == "files.example.test"
    assert entries[5].host == "debian.example.test"
    assert entries[0].denied and not tunnel.denied


def test_totals_per_source_count_tunnels_and_plain_http() -> None:
    t = _squid.totals(_squid.parse_access_log(SAMPLE), HOSTS)
    # pypi: the two refused CONNECTs (squid's error pages) and the two tunnels
    assert t.bytes["pypi"] == 327 + 3383 + 13689 + 21241
    assert t.bytes["debian"] == 149485  # known by the archive layout, not by a host list
    assert t.bytes["maven"] == 0 and t.bytes["other"] == 0
    assert t.total == 327 + 3383 + 13689 + 21241 + 149485
    assert t.requests == {"maven": 0, "pypi": 4, "debian": 1, "other": 0}  # the probe's bare connection is no request
    assert t.denied == 2 and t.failed == 0
    assert t.hosts["debian"] == {"debian.example.test"}


def test_a_tunnel_to_a_debian_host_counts_as_debian() -> None:
    extra = "1795817160.000     10 172.17.0.3 TCP_TUNNEL/200 5000 CONNECT debian.example.test:443 - HIER_DIRECT/203.0.113.80 -\n"
    t = _squid.totals(_squid.parse_access_log(SAMPLE + extra), HOSTS)
    assert t.bytes["debian"] == 149485 + 5000


def test_unknown_hosts_are_other_and_time_windows_split_phases() -> None:
    entries = _squid.parse_access_log(SAMPLE)
    t = _squid.totals(entries, {})
    assert t.bytes["other"] == 327 + 3383 + 13689 + 21241
    before = _squid.totals(entries, HOSTS, until=1795817152.0)
    after = _squid.totals(entries, HOSTS, since=1795817152.0)
    assert before.bytes["debian"] == 0 and after.bytes["debian"] == 149485
    assert before.total + after.total == t.total


@pytest.mark.parametrize("required, expected", [
    ("maven: https://maven.example.test/maven2, pypi: https://index.example.test/simple",
     {"maven.example.test": "maven", "index.example.test": "pypi"}),
    ("maven: https://maven.example.test/maven2", {"maven.example.test": "maven"}),
])
def test_source_hosts_from_the_doctor_text(required: str, expected: dict[str, str]) -> None:
    found = _squid.source_hosts(required)
    assert {h: s for h, s in found.items() if h in expected} == expected
    assert set(found.values()) <= {"maven", "pypi", "debian"}
