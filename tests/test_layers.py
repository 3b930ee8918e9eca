"""The package's layers: ``cisim.model`` < ``cisim.experiments`` < ``cisim.interfaces``.

Imports run downward only, including the imports inside functions that load a module when
first used: a lower layer that imports a higher one fails here, naming both.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cisim"
LAYERS = ("model", "experiments", "interfaces")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[int, str]]:
    """Every cisim module a file imports, at any depth, as (line, dotted name)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "cisim"]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] == "cisim":
                # ``from cisim.model import layout`` imports cisim.model.layout
                found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
    return found


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE)


def test_every_module_sits_in_a_layer():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert loose == [], f"modules outside the three layers: {loose}"
    assert {p.relative_to(PACKAGE).parts[0] for p in MODULES} <= set(LAYERS)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _module_name(p))
def test_imports_run_downward(path):
    here = _layer(_module_name(path))
    upward = [f"line {line}: {name}" for line, name in _imports(path)
              if (there := _layer(name)) is not None and there > here]
    assert not upward, f"{_module_name(path)} ({LAYERS[here]}) imports a higher layer: {'; '.join(upward)}"


def test_the_walk_sees_an_upward_import(tmp_path):
    """The check itself: an upward import written into a model module is found."""
    fake = tmp_path / "state.py"
    fake.write_text("def f():\n    from cisim.interfaces import plots\n")
    assert [name for _, name in _imports(fake)] == ["cisim.interfaces.plots"]
    assert _layer("cisim.interfaces.plots") > _layer("cisim.model.state")
