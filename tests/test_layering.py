"""The package's layering, read from its import graph (every import, top level or inside a function).

Floors, lowest first: the engine (rnnviz/*.py, cells/, compat/) -> app/ (NumPy application logic)
-> figures/ (drawing) -> ui/ (Streamlit). A floor never imports a higher one; only ui/ imports
streamlit; plotly only in figures/ (and the ui's chart wrapper); nothing forms an import cycle;
ui/session.py imports nothing else from ui/.
"""
from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from rnnviz import cells

PACKAGE = Path(__file__).resolve().parents[1] / "rnnviz"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute, relative imports resolved (``from . import x``
    counts as importing ``package.x`` when x is a module)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


@cache
def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules or not m.startswith("rnnviz")} for name, path in modules.items()}


def floor(module: str) -> int:
    for level, prefix in ((3, "rnnviz.ui"), (2, "rnnviz.figures"), (1, "rnnviz.app")):
        if module == prefix or module.startswith(prefix + "."):
            return level
    return 0


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle found by a depth-first search (each reported once, from where it closes)."""
    found, state, path = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state and nxt in edges:
                visit(nxt)
        path.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def internal(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    """Edges between rnnviz modules only; a package's __init__ counts as its own module."""
    return {a: {b for b in bs if b in edges and b != a} for a, bs in edges.items()}


def test_the_cycle_finder_finds_a_cycle():  # the checker itself can fail
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_in_the_package():
    assert cycles(internal(graph())) == []


def violations(module: str, imported: set[str]) -> list[str]:
    found = []
    for target in sorted(imported):
        top = target.split(".")[0]
        if target.startswith("rnnviz") and floor(target) > floor(module):
            found.append(f"imports the higher floor {target}")
        if target.startswith("rnnviz.compat") and not module.startswith("rnnviz.compat") and floor(module) == 0:
            found.append(f"the engine leans on the adapter {target}")
        if top == "streamlit" and floor(module) != 3:
            found.append("imports streamlit")
        if top == "plotly" and not (module.startswith("rnnviz.figures") or module == "rnnviz.ui.charts"):
            found.append("imports plotly")
    return found


def test_the_floor_check_catches_what_it_should():  # the checker itself can fail
    assert sorted(violations("rnnviz.network", {"rnnviz.ui.session", "streamlit", "plotly.graph_objects"})) == [
        "imports plotly", "imports streamlit", "imports the higher floor rnnviz.ui.session"]
    assert violations("rnnviz.weights_io", {"rnnviz.compat.torch_naming"}) == [
        "the engine leans on the adapter rnnviz.compat.torch_naming"]


@pytest.mark.parametrize("module", sorted(graph()))
def test_no_floor_imports_a_higher_one(module):
    assert violations(module, graph()[module]) == []


def test_session_module_imports_nothing_else_from_ui():
    ui_imports = {m for m in graph()["rnnviz.ui.session"] if m.startswith("rnnviz.ui")}
    assert ui_imports == set()


@pytest.mark.parametrize("name", sorted(cells.REGISTRY))
def test_each_cell_keeps_forward_backward_and_equation_in_one_module(name):
    cell = cells.REGISTRY[name]
    modules = {cell.forward.__module__, cell.backward.__module__, cell.equation.__module__}
    assert modules == {f"rnnviz.cells.{name}"}


def test_only_the_registry_lists_the_cells():
    """No module but cells/__init__.py spells out the cell names as a tuple (a second list)."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if module_name(path) == "rnnviz.cells":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
                values = {elt.value for elt in node.elts if isinstance(elt, ast.Constant)}
                if {"rnn", "lstm", "gru"} <= values:
                    offenders.append(f"{module_name(path)}:{node.lineno}")
    assert offenders == []
