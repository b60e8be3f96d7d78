"""The layout keeps data flowing one way (docs/architecture.md): every import, at module level
or inside a function, runs from a higher layer to a lower one, and no modules import each
other in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

# Package prefix -> layer; the longest prefix that fits a module decides. The modules at the
# root of `intent` are the intent itself, the lowest layer.
LAYERS = {
    "intent": 0,
    "intent.generate": 1,
    "intent.observe": 1,
    "intent.check": 2,
    "intent.evidence": 3,
    "intent.adopt": 3,
    "intent.rollout": 3,
    "intent.history": 3,
    "intent.cli": 4,
    "intent.__main__": 5,  # `python -m intent`: only runs the CLI
    "translators": 2,  # plugins of generate and observe: above both, below check
}
# Siblings of one layer that must not know each other.
APART = {("intent.generate", "intent.observe"), ("intent.observe", "intent.generate")}
# translators are loaded by name (intent/plugins.py), never imported by intent.
NEVER_IMPORTED_BY_INTENT = "translators"


def _modules() -> dict[str, Path]:
    found = {}
    for package in ("intent", "translators", "templates"):
        for path in (ROOT / package).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The project modules `name` imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _home(name: str) -> str:
    return max((prefix for prefix in LAYERS if name == prefix or name.startswith(prefix + ".")), key=len, default="")


def _package_of(name: str) -> str:
    return name.rpartition(".")[0] if MODULES[name].name != "__init__.py" else name


def test_every_module_has_a_layer():
    assert [name for name in MODULES if name.startswith("intent") and _home(name) == ""] == []


def test_imports_run_down_the_layers():
    upward = []
    for name, targets in GRAPH.items():
        home = _home(name)
        if not home:
            continue
        for target in targets:
            there = _home(target)
            if not there:
                continue
            if home.startswith("intent") and there == NEVER_IMPORTED_BY_INTENT:
                upward.append(f"{name} -> {target} (translators are loaded by name, not imported)")
            elif (home, there) in APART:
                upward.append(f"{name} -> {target} ({home} and {there} are siblings)")
            elif LAYERS[there] > LAYERS[home] or (LAYERS[there] == LAYERS[home] and home != there and there != "intent"):
                upward.append(f"{name} (layer {LAYERS[home]}) -> {target} (layer {LAYERS[there]})")
    assert upward == []


def test_no_modules_import_each_other_in_a_circle():
    # Tarjan's strongly connected components over the import graph (package __init__ files
    # that only gather their modules would show as circles too: they must not import them).
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in GRAPH[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for node in sorted(GRAPH):
        if node not in index:
            visit(node)
    assert circles == []


def test_each_package_says_what_it_owns_and_may_import():
    for package in ("intent", "intent.generate", "intent.observe", "intent.check", "intent.evidence", "intent.cli"):
        doc = ast.get_docstring(ast.parse(MODULES[package].read_text(encoding="utf-8"))) or ""
        assert "import" in doc, f"{package}/__init__.py does not say what it may import"
