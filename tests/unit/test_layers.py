"""The package's layers, read from its source with `ast`: no import circles, and the library never imports the CLI.

Every import counts, at module level and inside functions, except those under
`if TYPE_CHECKING:` (they never run). An import names the module it loads:
`from devenv import docker` is an edge to `devenv.docker`, `from devenv.doctor
import Finding` an edge to the package `devenv.doctor`. Importing a submodule
also runs its parent packages' `__init__`, but that is not counted as an edge:
a package whose `__init__` imports its own submodules is the usual way to
build one, not a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Iterable, Mapping

import devenv

ROOT = Path(devenv.__file__).parent
CLI_LAYER = ("devenv.cli", "devenv.__main__", "devenv.pytest_plugin", "devenv.commands")
UPPER = ("devenv.commands", "devenv.cli")


def module_name(path: Path, root: Path = ROOT) -> str:
    """'devenv/doctor/core.py' -> 'devenv.doctor.core'; a package's __init__ is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterable[ast.Import | ast.ImportFrom]:
    """Every import statement in `tree` that can run: module level and in functions, not under TYPE_CHECKING."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))


def imported_modules(tree: ast.AST, name: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules of `known` that `tree` (the source of module `name`) imports."""
    out: set[str] = set()
    for node in _imports(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
            continue
        base = node.module or ""
        if node.level:
            anchor = name.split(".") if is_package else name.split(".")[:-1]
            anchor = anchor[: len(anchor) - (node.level - 1)]
            base = ".".join(anchor + ([base] if base else []))
        for a in node.names:
            sub = f"{base}.{a.name}"
            out.add(sub if sub in known else base)
    return {m for m in out if m in known}


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """module -> the devenv modules it imports, for every module of the package at `root`."""
    files = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    known = set(files)
    return {name: imported_modules(ast.parse(p.read_text(encoding="utf-8"), str(p)), name, p.name == "__init__.py", known) - {name}
            for name, p in files.items()}


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every import circle: the strongly connected components of `graph` with more than one module (Tarjan),
    each as one concrete path that returns to its start, e.g. ['a', 'b', 'a']."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(_path_through(graph, set(comp)))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(found)


def _path_through(graph: Mapping[str, Iterable[str]], comp: set[str]) -> list[str]:
    """A shortest circle inside the component `comp`, starting from its first module by name."""
    start = min(comp)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph.get(v, ())):
            if w == start:
                return paths[v] + [start]
            if w in comp and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    raise AssertionError(f"no circle through {start} in {sorted(comp)}")  # a component always has one


def upward_imports(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """'library -> cli layer' edges: a module outside the CLI layer importing devenv.commands or devenv.cli."""

    def under(m: str, prefixes: Iterable[str]) -> bool:
        return any(m == p or m.startswith(p + ".") for p in prefixes)

    return sorted(f"{m} imports {t}" for m, ts in graph.items() if not under(m, CLI_LAYER) for t in ts if under(t, UPPER))


# --- the package itself ---------------------------------------------------------

def test_no_import_circles() -> None:
    found = cycles(import_graph())
    assert not found, "import circles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_the_library_never_imports_the_cli_layer() -> None:
    found = upward_imports(import_graph())
    assert not found, "library modules importing the CLI layer:\n" + "\n".join(found)


def test_the_graph_sees_the_package() -> None:
    g = import_graph()
    assert "devenv.doctor.core" in g["devenv.doctor"]
    assert "devenv.doctor.checks" in g["devenv.doctor.core"]
    assert "devenv.doctor.model" in g["devenv.doctor.checks.net"]
    assert "devenv.commands._args" in g["devenv.commands.down"]  # an import inside a function counts
    assert "devenv.context" not in g["devenv.seed.steps"]  # one under TYPE_CHECKING does not


# --- the graph functions on synthetic input ----------------------------------------

def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "devenv"
    for rel, text in {"__init__.py": "", **files}.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def test_cycles_finds_a_circle_and_names_its_modules() -> None:
    g = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    assert cycles(g) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
    assert cycles({"x": {"y"}, "y": {"x"}, "p": {"q"}, "q": {"p"}}) == [["p", "q", "p"], ["x", "y", "x"]]


def test_a_lazy_import_in_a_function_closes_a_circle(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "low.py": "def f():\n    from devenv import high\n",
        "high.py": "from devenv.low import f\n",
        "typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from devenv import high\n",
        "pkg/__init__.py": "from devenv.pkg.a import x\n",
        "pkg/a.py": "from . import b\nx = 1\n",
        "pkg/b.py": "from ..low import f\n",
    })
    g = import_graph(root)
    assert g["devenv.pkg.a"] == {"devenv.pkg.b"} and g["devenv.pkg.b"] == {"devenv.low"}
    assert g["devenv.typed"] == set()
    assert cycles(g) == [["devenv.high", "devenv.low", "devenv.high"]]


def test_upward_imports_name_the_library_module_and_its_target(tmp_path: Path) -> None:
    root = _package(tmp_path, {
        "cluster.py": "def up():\n    from devenv.commands.build import build_profile\n",
        "cli.py": "from devenv import commands\n",
        "commands/__init__.py": "",
        "commands/build.py": "from devenv import cluster\n",
    })
    assert upward_imports(import_graph(root)) == ["devenv.cluster imports devenv.commands.build"]


MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def oversized(root: Path = ROOT) -> list[str]:
    """Modules over MAX_MODULE_LINES lines and functions over MAX_FUNCTION_LINES, as 'path[:line name]: N lines'."""
    found: list[str] = []
    for f in sorted(root.rglob("*.py")):
        src = f.read_text(encoding="utf-8")
        rel = f.relative_to(root.parent).as_posix()
        if (n := len(src.splitlines())) > MAX_MODULE_LINES:
            found.append(f"{rel}: {n} lines")
        for node in ast.walk(ast.parse(src)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if (n := node.end_lineno - node.lineno + 1) > MAX_FUNCTION_LINES:
                    found.append(f"{rel}:{node.lineno} {node.name}: {n} lines")
    return found


def test_modules_and_functions_stay_small() -> None:
    assert oversized() == []


def test_oversized_names_a_long_function_and_a_long_module(tmp_path: Path) -> None:
    pkg = tmp_path / "devenv"
    pkg.mkdir()
    (pkg / "long.py").write_text("def f():\n" + "    x = 1\n" * 61 + "\n" * 340)
    assert oversized(pkg) == ["devenv/long.py: 402 lines", "devenv/long.py:1 f: 62 lines"]
