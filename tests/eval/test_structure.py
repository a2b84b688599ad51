"""The eval package's shape: no import cycle, no module over 500 lines, ``__all__`` in every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parents[2] / "eval"
MODULES = {
    ".".join(p.relative_to(EVAL.parent).with_suffix("").parts).removesuffix(".__init__"): p
    for p in sorted(EVAL.rglob("*.py"))
    if (p.parent / "__init__.py").is_file()  # not a question set's own checker (eval/unseen2/validate.py)
}


def _eval_imports(path: Path) -> set[str]:
    """eval modules imported at module level (in-function imports are deferred and do not form cycles)."""
    found: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "eval":
            found.add(node.module)
            found.update(
                f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in MODULES
            )
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "eval")
    return {m for m in found if m in MODULES}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle in ``graph`` (module -> modules it imports), or None."""
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> list[str] | None:
        if state.get(node) == 1:
            return [*trail[trail.index(node) :], node]
        if state.get(node) == 2:
            return None
        state[node] = 1
        for nxt in sorted(graph.get(node, set())):
            found = visit(nxt, [*trail, node])
            if found:
                return found
        state[node] = 2
        return None

    for name in sorted(graph):
        found = visit(name, [])
        if found:
            return found
    return None


def test_no_import_cycle() -> None:
    graph = {name: _eval_imports(path) - {name} for name, path in MODULES.items()}
    # a package's __init__ re-exporting its modules is not a cycle with them
    for name in graph:
        graph[name] = {
            m for m in graph[name] if not m.startswith(name + ".") and not name.startswith(m + ".")
        }
    cycle = _cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_the_check_finds_a_cycle(tmp_path: Path) -> None:
    """The check itself: the old naive -> runner -> naive would be caught."""
    (tmp_path / "naive.py").write_text("from eval.runner import score_item\n")
    assert "eval.runner" in _eval_imports(tmp_path / "naive.py")
    graph = {
        "eval.naive": {"eval.runner"},
        "eval.runner": {"eval.scoring", "eval.naive"},
        "eval.scoring": set(),
    }
    assert _cycle(graph) == ["eval.naive", "eval.runner", "eval.naive"]
    graph["eval.runner"].discard("eval.naive")
    assert _cycle(graph) is None


@pytest.mark.parametrize("name", sorted(MODULES))
def test_module_size_and_public_surface(name: str) -> None:
    text = MODULES[name].read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 500, f"{name} is over 500 lines"
    if name != "eval":  # the package's own __init__ holds only its docstring
        assert "__all__" in {
            t.id
            for n in ast.parse(text).body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        }, name
