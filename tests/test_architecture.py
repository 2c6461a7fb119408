"""The house stays in order (issue 12): import contracts, no import cycles, size limits.

The contracts themselves live in pyproject.toml ([tool.importlinter]) and are checked by
`lint-imports` in scripts/test.sh; these tests pin what the contracts cannot say (module-level
cycles, sizes) and prove that the checks bite on a deliberately broken graph.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PY_LIMIT, JS_LIMIT = 500, 600


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(start: str) -> None:
        nonlocal counter
        # iterative Tarjan: the graph is deep enough to trouble the recursion limit
        work = [(start, iter(sorted(graph.find_modules_directly_imported_by(start))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append(
                        (child, iter(sorted(graph.find_modules_directly_imported_by(child))))
                    )
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.append(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return sorted(found)


def _without_packages(graph: grimp.ImportGraph) -> grimp.ImportGraph:
    """A package's __init__ importing its own children is not a cycle worth naming."""
    for module in list(graph.modules):
        for imported in list(graph.find_modules_directly_imported_by(module)):
            if imported.startswith(module + ".") or module.startswith(imported + "."):
                graph.remove_import(importer=module, imported=imported)
    return graph


@pytest.fixture(scope="module")
def graph():
    return _without_packages(grimp.build_graph("app", "miniprogram_api"))


def test_no_import_cycles(graph):
    cycles = import_cycles(graph)
    assert cycles == [], "import cycles (break them): " + "; ".join(" <-> ".join(c) for c in cycles)


def test_a_deliberate_cycle_is_caught_and_named():
    graph = _without_packages(grimp.build_graph("app", "miniprogram_api"))
    graph.add_import(importer="app.errors", imported="app.activities.services")
    cycles = import_cycles(graph)
    assert any({"app.errors", "app.activities.services"} <= set(c) for c in cycles), cycles


def test_the_contracts_hold():
    out = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def test_an_upward_import_breaks_a_contract(tmp_path):
    """Copy the tree, add one upward import, and watch lint-imports name both modules."""
    import shutil

    for name in ("app", "miniprogram_api"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    errors = tmp_path / "app" / "errors.py"
    errors.write_text(errors.read_text() + "\nfrom app.api import activities  # noqa\n")
    out = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode != 0
    assert "app.errors" in out.stdout and "app.api.activities" in out.stdout, out.stdout


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_python_module_over_the_limit():
    files = [*ROOT.glob("app/**/*.py"), *ROOT.glob("miniprogram_api/**/*.py")]
    big = {
        str(p.relative_to(ROOT)): _lines(p)
        for p in files
        if "migrations/versions" not in str(p) and _lines(p) > PY_LIMIT
    }
    assert big == {}, f"split these along their seams (≤ {PY_LIMIT} lines): {big}"


def test_no_page_script_over_the_limit():
    big = {
        str(p.relative_to(ROOT)): _lines(p)
        for p in ROOT.glob("app/web/static/js/*.js")
        if _lines(p) > JS_LIMIT
    }
    assert big == {}, f"split these page scripts (≤ {JS_LIMIT} lines): {big}"
