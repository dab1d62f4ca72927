"""Just enough Thrift to ask the metastore and HiveServer2 a real question from Python, without a JVM.

The binary protocol (strict, unframed) over a socket; for HiveServer2, the SASL
PLAIN handshake its default `NONE` authentication expects, then length-prefixed
frames. Values travel as (type, value) pairs: a struct is {field id: (type,
value)}, a list (element type, [values]), a map (key type, value type, [(k, v)]),
a string bytes. What a reply holds is read generically, so a handle the server
returns is sent back as it came.
"""

from __future__ import annotations

import io
import socket
import struct
from typing import Any, Callable

BOOL, BYTE, DOUBLE, I16, I32, I64, STRING, STRUCT, MAP, SET, LIST = 2, 3, 4, 6, 8, 10, 11, 12, 13, 14, 15
_FIXED = {BOOL: "!b", BYTE: "!b", DOUBLE: "!d", I16: "!h", I32: "!i", I64: "!q"}
_CALL, _REPLY = 1, 2
_VERSION_1 = -2147418112  # 0x80010000: strict binary protocol
MAX_BYTES = 16 << 20  # no answer to these calls is anywhere near this: a larger length is garbage
Read = Callable[[int], bytes]


def encode(t: int, v: Any) -> bytes:
    """One value of Thrift type `t` in the binary protocol."""
    if t in _FIXED:
        return struct.pack(_FIXED[t], v)
    if t == STRING:
        b = v.encode("utf-8") if isinstance(v, str) else bytes(v)
        return struct.pack("!i", len(b)) + b
    if t == STRUCT:
        return b"".join(struct.pack("!bh", ft, fid) + encode(ft, fv) for fid, (ft, fv) in v.items()) + b"\x00"
    if t in (LIST, SET):
        et, items = v
        return struct.pack("!bi", et, len(items)) + b"".join(encode(et, x) for x in items)
    if t == MAP:
        kt, vt, pairs = v
        return struct.pack("!bbi", kt, vt, len(pairs)) + b"".join(encode(kt, k) + encode(vt, x) for k, x in pairs)
    raise ValueError(f"no Thrift type {t}")


def decode(read: Read, t: int) -> Any:
    """One value of Thrift type `t`, read with `read(n)`."""
    if t in _FIXED:
        fmt = _FIXED[t]
        return struct.unpack(fmt, read(struct.calcsize(fmt)))[0]
    if t == STRING:
        return read(_length(read(4)))
    if t == STRUCT:
        out: dict[int, tuple[int, Any]] = {}
        while (ft := read(1)[0]) != 0:
            (fid,) = struct.unpack("!h", read(2))
            out[fid] = (ft, decode(read, ft))
        return out
    if t in (LIST, SET):
        et = read(1)[0]
        return et, [decode(read, et) for _ in range(_length(read(4)))]
    if t == MAP:
        kt, vt = read(1)[0], read(1)[0]
        return kt, vt, [(decode(read, kt), decode(read, vt)) for _ in range(_length(read(4)))]
    raise OSError(f"the server sent an unknown Thrift type {t}")


def _length(b: bytes) -> int:
    (n,) = struct.unpack("!i", b)
    if not 0 <= n <= MAX_BYTES:
        raise OSError(f"the server sent a length of {n}: not a Thrift answer")
    return n


def call(name: str, args: dict[int, tuple[int, Any]], seqid: int = 1) -> bytes:
    """A CALL message: `name` with its argument struct."""
    n = name.encode()
    return struct.pack("!ii", _VERSION_1 | _CALL, len(n)) + n + struct.pack("!i", seqid) + encode(STRUCT, args)


def reply(read: Read, who: str = "the server") -> dict[int, tuple[int, Any]]:
    """The result struct of a REPLY; an EXCEPTION (the server could not run the call) raises OSError with its message."""
    (version,) = struct.unpack("!i", read(4))
    read(_length(read(4)) + 4)  # name, seqid
    if version & 0xFF != _REPLY:
        try:
            why = f": {text(decode(read, STRUCT), 1)}"  # TApplicationException.message
        except OSError:
            why = ""
        raise OSError(f"{who} answered with a Thrift exception (message type {version & 0xFF}){why}")
    return decode(read, STRUCT)


def text(s: dict[int, tuple[int, Any]], fid: int) -> str:
    """A string field of a decoded struct, '' when absent."""
    v = s.get(fid, (STRING, b""))[1]
    return v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)


def reader(f: Any) -> Read:
    """`read(n)` of exactly n bytes from a file object; OSError when the peer closed the connection first."""
    def read(n: int) -> bytes:
        b = f.read(n)
        if len(b) != n:
            raise OSError("the server closed the connection")
        return b
    return read


# --- the metastore ----------------------------------------------------------

def get_all_databases(host: str, port: int, timeout: float = 5.0) -> list[str]:
    """ThriftHiveMetastore.get_all_databases(): the metastore reads them from its database."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(call("get_all_databases", {}))
        result = reply(reader(s.makefile("rb")), "the metastore")
    if 0 not in result:
        raise OSError("the metastore answered get_all_databases with an error: " + text(result.get(1, (STRUCT, {}))[1], 1))
    return [d.decode("utf-8") for d in result[0][1][1]]


# --- HiveServer2 ----------------------------------------------------------------

_SASL_START, _SASL_OK, _SASL_COMPLETE = 1, 2, 5
PROTOCOL_V10 = 9  # TProtocolVersion.HIVE_CLI_SERVICE_PROTOCOL_V10: Hive 2.3 and later speak it


class _Session:
    """A SASL PLAIN connection to HiveServer2 and its TCLIService calls."""

    def __init__(self, sock: socket.socket, user: str):
        self.sock, self.read = sock, reader(sock.makefile("rb"))
        cred = f"\0{user}\0anonymous".encode()  # NONE authentication takes any password
        sock.sendall(bytes([_SASL_START]) + struct.pack("!i", 5) + b"PLAIN" + bytes([_SASL_OK]) + struct.pack("!i", len(cred)) + cred)
        status, payload = self.read(1)[0], self.read(_length(self.read(4)))
        if status != _SASL_COMPLETE:
            raise OSError(f"HiveServer2 refused the SASL PLAIN login: {payload[:200].decode('utf-8', 'replace')}")

    def call(self, name: str, req: dict[int, tuple[int, Any]]) -> dict[int, tuple[int, Any]]:
        """`name`(req) and its response struct; an error status raises OSError with the server's message."""
        msg = call(name, {1: (STRUCT, req)})
        self.sock.sendall(struct.pack("!i", len(msg)) + msg)
        result = reply(reader(io.BytesIO(self.read(_length(self.read(4))))), "HiveServer2")
        resp = result.get(0, (STRUCT, {}))[1]
        status = resp.get(1, (STRUCT, {}))[1]
        if status.get(1, (I32, -1))[1] not in (0, 1):  # SUCCESS, SUCCESS_WITH_INFO
            raise OSError(f"{name}: {text(status, 5) or 'error status ' + str(status.get(1, (I32, '?'))[1])}")
        return resp


def hiveserver2_query(host: str, port: int, statement: str, *, user: str, timeout: float) -> None:
    """Open a session, run `statement` synchronously to its end, close both: what a JDBC client does for a query."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        hs2 = _Session(s, user)
        handle = hs2.call("OpenSession", {1: (I32, PROTOCOL_V10), 2: (STRING, user), 3: (STRING, "anonymous")}).get(3)
        if handle is None:
            raise OSError("OpenSession: HiveServer2 gave no session handle")
        try:
            op = hs2.call("ExecuteStatement", {1: handle, 2: (STRING, statement), 4: (BOOL, 0)}).get(2)
            if op is not None:
                hs2.call("CloseOperation", {1: op})
        finally:
            hs2.call("CloseSession", {1: handle})
