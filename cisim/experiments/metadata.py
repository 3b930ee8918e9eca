"""The metadata record written beside every output, and writing files safely.

A record says what was run (scenario names, their files and every resolved
parameter), with which seeds and changes, by which command, when, and with which
package versions, so that any table or figure can be traced and rerun.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import platform
import shlex
import sys
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from importlib import metadata as _ilm
from pathlib import Path
from typing import Any

PACKAGES = ("cisim", "mesa", "numpy", "pandas", "numba", "matplotlib", "SALib", "dask", "distributed")


def package_versions() -> dict[str, str | None]:
    """Versions of cisim and the packages its numbers depend on (None if not installed)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = _ilm.version(name)
        except _ilm.PackageNotFoundError:
            versions[name] = None
    versions["python"] = platform.python_version()
    return versions


def source_revision() -> dict[str, Any] | None:
    """The git commit of the cisim source tree and whether it has uncommitted changes (None outside git)."""
    import subprocess

    root = Path(__file__).resolve().parents[2]
    if not (root / ".git").exists():
        return None
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                timeout=5, check=True).stdout.strip()
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                                capture_output=True, text=True, timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "uncommitted_changes": bool(status.strip())}


def command_line(argv: Sequence[str] | None = None, prog: str = "cisim") -> str:
    """The command as typed: ``prog`` plus ``argv`` (default: this process's arguments)."""
    if argv is None:
        return shlex.join([Path(sys.argv[0]).name or prog, *sys.argv[1:]]) if sys.argv and sys.argv[0] else prog
    return shlex.join([prog, *argv])


def scenario_record(scenario) -> dict[str, Any]:
    """Name, files and every resolved parameter of a scenario."""
    return {
        "name": scenario.name,
        "source": scenario.source,
        "sources": list(scenario.sources),
        "months": scenario.months,
        "parameters": scenario.to_dict(),
    }


def build(scenarios: Sequence, seeds: Sequence[int] | dict[str, Sequence[int]], *, replicates: int | None = None,
          changes: dict[str, Any] | None = None, command: str | None = None, kind: str = "batch",
          uncertainty: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """A metadata record.

    Args:
        scenarios: the ``Scenario`` objects run (after any changes).
        seeds: the seeds of the runs (one list, or one per scenario name).
        replicates: runs per scenario, when every scenario had the same number.
        changes: values changed from the scenario files, by dotted path.
        command: the command line (default: this process's).
        kind: what produced the outputs (``run``, ``compare``, ``batch``).
        uncertainty: what varied between replicates, ``Uncertainty.record()`` (``cisim.experiments.uncertainty``):
            ``uncertainty`` (seeds or parameters) and ``ensemble`` (name, file, sha256, sets; None for seeds).
            Default: seed noise only.
        **extra: further entries (output files, parameter columns, ...).
    """
    seeds_json = {k: [int(s) for s in v] for k, v in seeds.items()} if isinstance(seeds, dict) \
        else [int(s) for s in seeds]
    record: dict[str, Any] = {
        "kind": kind,
        "scenario_names": [s.name for s in scenarios],
        "scenarios": [scenario_record(s) for s in scenarios],
        "replicates": replicates,
        "seeds": seeds_json,
        "changes": dict(changes or {}),
        **(dict(uncertainty) if uncertainty else {"uncertainty": "seeds", "ensemble": None}),
        "command": command if command is not None else command_line(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "versions": package_versions(),
        "source_revision": source_revision(),
    }
    record.update(extra)
    return record


def jsonable(obj: Any) -> Any:
    """``obj`` with numpy scalars as Python numbers, NaN and infinities as None, paths as strings."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "ndim", 1) == 0:
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if hasattr(obj, "tolist"):
        return jsonable(obj.tolist())
    return obj


def dumps(obj: Any, indent: int | None = 2) -> str:
    """Strict JSON (no NaN) of ``obj``."""
    return json.dumps(jsonable(obj), indent=indent, allow_nan=False)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``, on error remove it.

    Readers never see a half-written file, and a failed write leaves nothing behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes files private; give them the usual mode
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()
        raise


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as strict JSON, atomically."""
    return write_text(path, dumps(obj) + "\n")


def write_table(df, stem: str | Path, formats: Sequence[str] = ("csv", "parquet")) -> list[Path]:
    """Write a DataFrame as ``stem.csv`` and ``stem.parquet``, each atomically."""
    written = []
    for fmt in formats:
        path = Path(f"{stem}.{fmt}")
        with atomic_path(path) as tmp:
            if fmt == "csv":
                df.to_csv(tmp, index=False)
            elif fmt == "parquet":
                df.to_parquet(tmp, index=False)
            else:
                raise ValueError(f"unknown table format {fmt!r}")
        written.append(path)
    return written
