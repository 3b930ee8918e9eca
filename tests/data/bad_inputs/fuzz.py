"""Mutate the bundled scenario and experiment files and check that every mutant loads or fails cleanly.

    uv run python tests/data/bad_inputs/fuzz.py [--runs]

Each leaf value of each bundled file is replaced by values of the wrong type, huge, infinite or missing
numbers, unicode and empty tables, and each key is deleted in turn; every mutant goes through
``cisim validate`` in-process.  With ``--runs``, a mutant scenario that validates is also run for 12 months
and its outputs checked to be finite.  Prints the tally and every mutant that ended in a traceback (or in
non-finite outputs); exit status 1 if there was any.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
import tomllib
import traceback
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
MUTATIONS: tuple[Any, ...] = ("x", "", "ünï😀", [1, "a"], [], {"a": 1}, {}, True, 0, -1, 10**18, -(10**18), 1e308,
                              -1e308, math.inf, -math.inf, math.nan, 0.5, 2**70)


def toml_value(v: Any) -> str:
    """``v`` as an inline TOML value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return "nan" if v != v else ("inf" if v > 0 else "-inf") if math.isinf(v) else repr(v)
    if isinstance(v, int):
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(x)}" for k, x in v.items()) + "}"


def dump(raw: dict) -> str:
    """A TOML document of ``raw``: one inline assignment per top-level key."""
    return "".join(f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in raw.items())


def leaves(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value in ``node`` (tables and arrays included)."""
    out = [prefix] if prefix else []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out.extend(leaves(v, (*prefix, k)))
    return out


def mutate(raw: dict, path: tuple, value: Any, delete: bool = False) -> dict:
    """A copy of ``raw`` with the value at ``path`` replaced by ``value`` (or deleted)."""
    out = _copy(raw)
    node = out
    for k in path[:-1]:
        node = node[k]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return out


def _copy(v: Any) -> Any:
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_copy(x) for x in v]
    return v


def cli(argv: list[str]) -> tuple[int, str, str]:
    """The tests' in-process CLI call (``tests/cli_call.py``)."""
    sys.path.insert(0, str(ROOT / "tests"))
    from cli_call import call

    return call(argv)


def clean(status: int, err: str) -> bool:
    lines = err.strip().splitlines()
    return status == 0 or (status == 2 and len(lines) == 1 and lines[0].startswith("cisim: error:"))


def run_check(path: Path) -> str | None:
    """None if the scenario runs 12 months with finite outputs, else what went wrong."""
    import numpy as np

    from cisim.experiments.batch import run_rows
    from cisim.model.scenario import load

    sc = load(path, outside_paths=True)
    sc = sc.replace({"months": max(12, max((e.month for e in sc.events), default=0))})
    with np.errstate(all="ignore"):
        out = run_rows(sc, [], np.zeros((2, 0)), np.arange(2), ["outcome_final", "total_spend"])
    return None if np.isfinite(out).all() else f"non-finite outputs {out.tolist()}"


def sources() -> list[Path]:
    return [*sorted((ROOT / "scenarios").glob("*.toml")), *sorted((ROOT / "experiments").glob("*.toml")),
            ROOT / "experiments" / "targets" / "evidence.toml"]


def main(argv: list[str]) -> int:
    runs = "--runs" in argv
    tried = cleanly = 0
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for src in sources():
            raw = tomllib.loads(src.read_text())
            if "extends" in raw:
                raw["extends"] = str(ROOT / "scenarios" / f"{raw['extends']}.toml")
            if "scenario" in raw and src.parent.name == "experiments":
                raw["scenario"] = str(ROOT / "scenarios" / f"{raw['scenario']}.toml")
            targets = src.parent.name == "targets"
            for k, path in enumerate(leaves(raw)):
                for j, value in enumerate((*MUTATIONS, None)):
                    mutant = mutate(raw, path, value, delete=value is None)
                    file = Path(tmp) / f"{src.stem}-{k}-{j}.toml"
                    file.write_text(dump(mutant), encoding="utf-8")
                    argv = ["calibrate", str(file), "--allow", "outside-paths"] if targets else \
                        ["validate", "--allow", "outside-paths", str(file)]
                    tried += 1
                    try:
                        if targets:
                            from cisim.experiments.targets import load_targets

                            try:
                                load_targets(file, outside_paths=True)
                                status, err = 0, ""
                            except Exception as exc:  # noqa: BLE001 - the point is to see every kind
                                from cisim.model.scenario import ScenarioError

                                if not isinstance(exc, ScenarioError):
                                    raise
                                status, err = 2, f"cisim: error: {exc}\n"
                        else:
                            status, _, err = cli(argv)
                        problem = None if clean(status, err) else f"status {status}: {err.strip()[:300]}"
                        if problem is None and status == 0 and runs and src.parent.name == "scenarios":
                            problem = run_check(file)
                    except Exception:  # noqa: BLE001
                        problem = traceback.format_exc(limit=3).strip().splitlines()[-1]
                    if problem is None:
                        cleanly += 1
                    else:
                        problems.append(f"{src.name} {'.'.join(map(str, path))} = {value!r}: {problem}")
    for p in problems:
        print(p)
    print(f"{tried} mutants tried, {cleanly} handled cleanly, {len(problems)} not")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
