"""Read a production client configuration directory: Hadoop XML and spark-defaults.conf, as untrusted input.

A conf dir comes from elsewhere, so reading it is careful the way defusedxml is:
no DTD, no entity declarations or references (nothing expands), no XInclude
followed, one size cap per file, and only the known file names directly inside
the directory (a symlink that leads out of it is refused). Every property
keeps where it came from (`hive-site.xml:42`), so each later message is located.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from xml.parsers import expat

from devenv.errors import DevenvError

# The files an import reads, by the profile's [config.<file>] name.
XML_FILES = ("core-site", "hdfs-site", "yarn-site", "mapred-site", "capacity-scheduler", "hive-site")
SPARK_FILE = "spark-defaults"
MAX_BYTES = 2_000_000


@dataclass(frozen=True)
class Prop:
    """One property as production sets it, and where."""

    file: str    # the profile's name for the file: hdfs-site, spark-defaults...
    name: str
    value: str
    where: str   # file:line


class ConfError(DevenvError):
    """A configuration file that cannot be read safely; `details` are located."""


class _Refused(Exception):
    pass


def _file_path(conf_dir: Path, filename: str) -> Path | None:
    f = conf_dir / filename
    if not f.exists() and not f.is_symlink():
        return None
    real = f.resolve()
    if real.parent != conf_dir.resolve() or not real.is_file():
        raise ConfError(f"{f}: refused: it leads outside {conf_dir} or is not a regular file",
                        hint="copy the real file into the directory")
    if real.stat().st_size > MAX_BYTES:
        raise ConfError(f"{f}: refused: larger than {MAX_BYTES // 1_000_000} MB; a client configuration file is far smaller")
    return real


def read_dir(conf_dir: Path) -> list[Prop]:
    """Every property of the known files in `conf_dir`; a located ConfError for anything unsafe or broken."""
    if not conf_dir.is_dir():
        raise ConfError(f"{conf_dir}: not a directory", hint="give the directory holding core-site.xml, hdfs-site.xml, ...")
    props: list[Prop] = []
    problems: list[str] = []
    for name in XML_FILES:
        path = _file_path(conf_dir, f"{name}.xml")
        if path is not None:
            found, bad = parse_xml(path.read_bytes(), name, f"{name}.xml")
            props += found
            problems += bad
    path = _file_path(conf_dir, f"{SPARK_FILE}.conf")
    if path is not None:
        props += parse_spark_conf(path.read_text(encoding="utf-8", errors="replace"))
    if problems:
        raise ConfError(f"{conf_dir}: {len(problems)} problem(s) in the configuration", details=problems,
                        hint="each line is file:line: key: problem")
    if not props:
        raise ConfError(f"{conf_dir}: no properties found", hint=f"expected some of {', '.join(f + '.xml' for f in XML_FILES)}, {SPARK_FILE}.conf")
    return props


def _refuse(what: str):  # noqa: ANN202 - expat handler
    def handler(*_args: object) -> None:
        raise _Refused(what)
    return handler


class _Collector:
    """expat callbacks: <property><name/><value/></property>, each with its line."""

    def __init__(self, parser: expat.XMLParserType, file: str, label: str) -> None:
        self.p, self.file, self.label = parser, file, label
        self.stack: list[str] = []
        self.text: list[str] = []
        self.current: dict[str, str] = {}
        self.line = 0
        self.props: list[Prop] = []
        self.problems: list[str] = []

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag.endswith("include"):
            raise _Refused("XInclude is not followed (it reads other files)")
        self.stack.append(tag)
        self.text = []
        if tag == "property":
            self.current, self.line = {}, self.p.CurrentLineNumber

    def end(self, tag: str) -> None:
        self.stack.pop()
        if tag in ("name", "value") and self.stack[-1:] == ["property"]:
            text = "".join(self.text)  # a value keeps its spaces: an ACL's leading space means "groups only"
            self.current[tag] = text.strip() if tag == "name" else text
        elif tag == "property":
            where = f"{self.label}:{self.line}"
            if "name" not in self.current:
                self.problems.append(f"{where}: (property): has no <name>")
            else:
                self.props.append(Prop(self.file, self.current["name"], self.current.get("value", ""), where))

    def chars(self, data: str) -> None:
        self.text.append(data)


def parse_xml(data: bytes, file: str, label: str) -> tuple[list[Prop], list[str]]:
    """Properties of one Hadoop XML file and its located problems; DTDs and entities are refused, never expanded."""
    p = expat.ParserCreate()
    c = _Collector(p, file, label)
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = c.start, c.end, c.chars
    p.StartDoctypeDeclHandler = _refuse("a DTD (<!DOCTYPE>) is refused: it could declare entities")
    p.EntityDeclHandler = _refuse("an entity declaration is refused: entities are never expanded")
    p.UnparsedEntityDeclHandler = _refuse("an external entity is refused")
    p.ExternalEntityRefHandler = _refuse("an external entity reference is refused")
    p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    try:
        p.Parse(data, True)
    except _Refused as e:
        return [], [f"{label}:{p.CurrentLineNumber}: (file): {e}"]
    except expat.ExpatError as e:
        return [], [f"{label}:{e.lineno}: (file): not well-formed XML: {expat.ErrorString(e.code)} (column {e.offset + 1})"]
    return c.props, c.problems


_SPARK_LINE = re.compile(r"^\s*(\S+?)\s*(?:=|\s)\s*(.*?)\s*$")


def parse_spark_conf(text: str) -> list[Prop]:
    """spark-defaults.conf: `key value` or `key=value` per line, `#` comments."""
    out: list[Prop] = []
    for i, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = _SPARK_LINE.match(line)
        if m:
            out.append(Prop(SPARK_FILE, m.group(1), m.group(2), f"{SPARK_FILE}.conf:{i}"))
    return out
