"""The modules of faasgi/state import each other without a circle: every import statement
counts, at module level, inside a function or under TYPE_CHECKING, because each of them
is an edge a reader (and a lazy import at run time) has to follow."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import faasgi.state

STATE = Path(faasgi.state.__file__).parent


def imports_of(path: Path) -> set[str]:
    """The faasgi.state modules a module imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {name for name in found if name.startswith("faasgi.state.")}


def test_the_state_modules_import_each_other_without_a_circle() -> None:
    graph = {
        f"faasgi.state.{path.stem}": imports_of(path)
        for path in STATE.glob("*.py")
        if path.stem != "__init__"
    }
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        if module in trail:
            cycle = [*trail[trail.index(module) :], module]
            raise AssertionError("import circle: " + " -> ".join(cycle))
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, [*trail, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_the_flask_interface_imports_first_and_through_the_sessions_module() -> None:
    code = (
        "import faasgi.state.flask as direct;"
        "from faasgi.state.sessions import FlaskSessionInterface;"
        "assert FlaskSessionInterface is direct.FlaskSessionInterface"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
