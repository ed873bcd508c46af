"""The codebase stays one a newcomer can hold in their head: no import cycles, layers that
import only downwards, small modules, tests that stand on their own."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from fnmatch import fnmatch
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "packages" / "headroom" / "src" / "headroom"
SOURCE_ROOTS = sorted([*REPO.glob("packages/*/src"), *REPO.glob("integrations/*/src")])
MAX_MODULE_LINES = 400

# The spine of the engine package, lowest first (docs/architecture.md): a module imports
# modules of its own layer or of a lower one. Each layer is a list of module prefixes; a
# module belongs to the layer of its longest matching prefix.
LAYERS: list[tuple[str, list[str]]] = [
    (
        "shared",
        [
            "headroom._version",
            "headroom.errors",
            "headroom.redact",
            "headroom.config",
            "headroom.compressed",
            "headroom.tokens",
        ],
    ),
    ("store", ["headroom.ccr"]),
    (
        "detection",
        [
            "headroom.engine.detect",
            "headroom.engine.query",
            "headroom.engine.languages",
            "headroom.engine.line_kinds",
            "headroom.engine.line_patterns",
            "headroom.engine.wellformed",
        ],
    ),
    ("compressors", ["headroom.compressors"]),
    # segments < providers < messages within this layer; the cycle test keeps it so.
    ("conversation", ["headroom.conversation", "headroom.providers"]),
    ("engine", ["headroom.engine"]),
    ("server", ["headroom.server"]),
    ("surfaces", ["headroom.surfaces", "headroom.__main__"]),
    ("api", ["headroom"]),
    ("adapters", ["headroom_langchain", "headroom_llamaindex", "headroom_litellm"]),
]


def source_modules() -> dict[str, Path]:
    """Every module of the packages and adapters, by dotted name."""
    modules: dict[str, Path] = {}
    for root in SOURCE_ROOTS:
        for path in root.rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The modules of `known` that `module` imports, at any depth of its code (inside
    functions too), except under `if TYPE_CHECKING:`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            skipped.update(id(inner) for stmt in node.body for inner in ast.walk(stmt))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in known:
                    found.add(submodule)
                elif base in known:
                    found.add(base)
    found.discard(module)
    return found


def cycles(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> Iterator[list[str]]:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                yield from visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                yield sorted(component)

    for node in sorted(graph):
        if node not in index:
            yield from visit(node)


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg.b import thing\n")
    (package / "b.py").write_text("def thing():\n    from pkg import a\n    return a\n")
    (package / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.a import x\n"
    )
    known = {"pkg": package / "__init__.py", **{f"pkg.{n}": package / f"{n}.py" for n in "abc"}}
    graph = {name: imported_modules(name, path, known) for name, path in known.items()}
    assert list(cycles(graph)) == [["pkg.a", "pkg.b"]]
    assert graph["pkg.c"] == set()  # imports only for type checking do not count


def test_no_import_cycles() -> None:
    known = source_modules()
    graph = {name: imported_modules(name, path, known) for name, path in known.items()}
    assert list(cycles(graph)) == []


def layer_of(module: str) -> int | None:
    """The index in LAYERS of the layer `module` belongs to; None if no prefix names it."""
    best: tuple[int, int] | None = None  # (prefix length, layer index)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and (
                best is None or len(prefix) > best[0]
            ):
                best = (len(prefix), index)
    return None if best is None else best[1]


def test_every_module_has_a_layer() -> None:
    assert [name for name in source_modules() if layer_of(name) is None] == []
    assert LAYERS[layer_of("headroom.engine.detect") or 0][0] == "detection"
    assert LAYERS[layer_of("headroom.engine.router") or 0][0] == "engine"


def test_layers_import_only_downwards() -> None:
    """A compressor never imports the pipeline, a provider or a surface; the engine never
    imports the server or a surface; the store knows only the shared records."""
    known = source_modules()
    upward = sorted(
        f"{module} ({LAYERS[low][0]}) imports {target} ({LAYERS[high][0]})"
        for module, path in known.items()
        for target in imported_modules(module, path, known)
        if (low := layer_of(module)) is not None
        and (high := layer_of(target)) is not None
        and high > low
    )
    assert upward == []


def module_map() -> list[str]:
    """The paths the module table of docs/architecture.md names (first column), relative
    to the engine package: files, globs (`ccr/sql_*.py`) and directories (`server/`); a
    bold row only heads a group and names nothing."""
    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text.split("## Modules", 1)[1].split("\n## ", 1)[0]
    named: list[str] = []
    for line in section.splitlines():
        cells = line.split("|")
        if len(cells) < 3 or cells[1].strip() in ("module", "---") or "**" in cells[1]:
            continue
        named += [p for p in re.findall(r"`([^`]+)`", cells[1]) if "." in p or p.endswith("/")]
    return named


def test_the_module_map_names_every_module_where_it_lives() -> None:
    named = module_map()
    assert "engine/pipeline.py" in named
    assert [p for p in named if not list(PACKAGE.glob(p.rstrip("/")))] == []  # all exist
    unnamed = [
        module
        for path in sorted(PACKAGE.rglob("*.py"))
        if (module := path.relative_to(PACKAGE).as_posix()).count("/") == 0
        or path.name != "__init__.py"  # a subpackage's __init__ is named by its modules
        if not any(module.startswith(p) if p.endswith("/") else fnmatch(module, p) for p in named)
    ]
    assert unnamed == []


def test_no_source_module_is_over_400_lines() -> None:
    long = {
        str(path.relative_to(REPO)): count
        for path in source_modules().values()
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_test_module_imports_another() -> None:
    """Shared data and helpers live in tests/conversations.py, tests/servers.py, ... (and
    fixtures in conftest.py), never in a test module another one imports."""
    offenders = []
    for path in sorted((REPO / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            for name in names:
                last = name.rsplit(".", 1)[-1]
                if (name.startswith("tests.") and last.startswith("test_")) or name.startswith(
                    "benchmarks"
                ):
                    offenders.append(f"{path.relative_to(REPO)} imports {name}")
    assert offenders == []
