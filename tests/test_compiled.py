"""The compiled cache never serves code built for other source.

numba's own cache checks only the compiled function's file: a constant imported from another
module (the schema's columns) is baked in unchecked.  ``cisim.model.compiled`` keys the cache on
a fingerprint of the whole source closure and the versions.  These tests change a copy of the
code between two processes and check the second computes with the new code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cisim.model import compiled as C

ROOT = Path(__file__).resolve().parents[1]

KERNEL = """\
from cisim.model.compiled import compiled
from toy.columns import COL


@compiled
def pick(x):
    return x[COL]
"""

PLAIN = """\
from numba import njit

from toy.columns import COL


@njit(cache=True)
def pick_plain(x):
    return x[COL]
"""

PROBE = """\
import json, sys
import numpy as np
if len(sys.argv) > 1:
    import numba
    numba.__version__ = sys.argv[1]  # as if another numba release had written the cache
from toy.kernel import pick
from toy.plain import pick_plain
x = np.array([10.0, 20.0, 30.0])
out = {"guarded": pick(x), "plain": pick_plain(x),
       "hits": sum(pick.stats.cache_hits.values()), "misses": sum(pick.stats.cache_misses.values())}
print(json.dumps(out))
"""


def _toy(tmp_path: Path, col: int) -> Path:
    pkg = tmp_path / "toy"
    pkg.mkdir(exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "columns.py").write_text(f"COL = {col}\n")
    (pkg / "kernel.py").write_text(KERNEL)
    (pkg / "plain.py").write_text(PLAIN)
    (tmp_path / "probe.py").write_text(PROBE)
    return tmp_path


def _probe(where: Path, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(where), str(ROOT)])}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, str(where / "probe.py"), *args], capture_output=True, text=True,
                          env=env, cwd=where, timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_changed_helper_module_recompiles_where_plain_numba_serves_stale_code(tmp_path):
    where = _toy(tmp_path, col=0)
    first = _probe(where)
    assert first["guarded"] == first["plain"] == 10.0 and first["misses"] == 1
    again = _probe(where)
    assert again["hits"] == 1 and again["misses"] == 0  # unchanged source: the cache serves

    (where / "toy" / "columns.py").write_text("COL = 2\n")  # the "schema" gains two columns in front
    changed = _probe(where)
    assert changed["guarded"] == 30.0 and changed["misses"] == 1
    # numba's own cache (keyed on kernel.py alone) still serves the old column: the bug guarded against
    assert changed["plain"] == 10.0

    (where / "toy" / "columns.py").write_text("COL = 1\n")  # and back the other way
    assert _probe(where)["guarded"] == 20.0


def test_a_changed_numba_version_recompiles(tmp_path):
    where = _toy(tmp_path, col=1)
    assert _probe(where)["misses"] == 1
    assert _probe(where)["hits"] == 1
    other = _probe(where, "0.0.1")
    assert other["misses"] == 1 and other["guarded"] == 20.0


def test_the_fingerprint_covers_the_closure_and_the_versions(tmp_path):
    where = _toy(tmp_path, col=0)
    kernel = where / "toy" / "kernel.py"
    closure = {p.name for p in C.source_closure(kernel, where)}
    assert {"kernel.py", "columns.py", "__init__.py"} <= closure
    base = C.fingerprint(kernel, where)
    assert C.fingerprint(kernel, where) == base
    assert C.fingerprint(kernel, where, {**C.versions(), "numba": "0.0.1"}) != base
    (where / "toy" / "columns.py").write_text("COL = 0  # same value, other text\n")
    assert C.fingerprint(kernel, where) != base


def test_the_model_closure_holds_the_schema_and_no_higher_layer():
    state = ROOT / "cisim" / "model" / "state.py"
    closure = [p.relative_to(ROOT).as_posix() for p in C.source_closure(state)]
    assert "cisim/model/schema.py" in closure
    assert "cisim/model/compiled.py" in closure
    compiled_modules = [p.relative_to(ROOT).as_posix() for p in (ROOT / "cisim" / "model").rglob("*.py")
                        if "@compiled" in p.read_text()]
    assert compiled_modules and set(compiled_modules) <= set(closure)
    assert not [p for p in closure if p.startswith(("cisim/experiments/", "cisim/interfaces/"))]


def test_inline_asks_llvm_to_always_inline():
    def twice(x):
        return 2.0 * x

    assert C.compiled(inline=True)(twice).targetoptions["forceinline"] is True
    assert C.compiled(twice).targetoptions["forceinline"] is False
    assert C.compiled(nogil=True, inline=True)(twice).targetoptions["nogil"] is True


MODEL_PROBE = """\
import json
import cisim
batch = cisim.run_batch("collective", [0, 1], changes={"months": 12})
print(json.dumps(batch.out[:, -1, :].tolist()))
"""


@pytest.mark.slow
def test_a_schema_field_added_or_removed_in_a_copy_of_the_package_recompiles(tmp_path):
    """The bug itself: add a field in front of the schema, then remove it; each run must match a fresh one."""
    shutil.copytree(ROOT / "cisim", tmp_path / "cisim", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    (tmp_path / "probe.py").write_text(MODEL_PROBE)

    def run() -> list:
        env = {**os.environ, "PYTHONPATH": str(tmp_path)}
        env.pop("NUMBA_CACHE_DIR", None)
        done = subprocess.run([sys.executable, "probe.py"], capture_output=True, text=True, cwd=tmp_path,
                              env=env, timeout=900)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    want = run()
    schema = tmp_path / "cisim" / "model" / "schema.py"
    text = schema.read_text()
    anchor = "FIELDS: tuple[Field, ...] = (\n"
    extra = textwrap.indent('_F("aa.unused", 0.5, 0, 1, "level", "A field nobody reads."),\n', "    ")
    schema.write_text(text.replace(anchor, anchor + extra, 1))
    assert run() == want
    schema.write_text(text)
    assert run() == want
