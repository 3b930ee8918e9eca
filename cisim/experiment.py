"""Experiment files: a base scenario, factors, a design, replicates and the outputs to keep.

An experiment file (TOML) says what a parameter sweep runs::

    name = "backbone_investment"
    description = "How much should the funder give the backbone?"
    scenario = "collective"        # bundled name or path (relative to this file first)
    seed = 20261123                # every run's seed is derived from it (below)
    replicates = 20                # runs per design point
    outputs = ["outcome_60", "cost_per_point"]   # summary columns to keep (default: all)
    common_seeds = true            # replicate k uses the same seed at every point (default below)

    [changes]                      # fixed changes to the base scenario, by dotted path
    months = 60

    [design]
    kind = "grid"                  # "grid", "lhs" or "table"

    [factors."backbone.budget_share"]
    levels = [0.0, 0.02, 0.04]

Designs:

* ``grid``: every combination of the factors' ``levels``; the first factor varies slowest.
* ``lhs``: a Latin hypercube of ``points`` points (``[design] points = 64``); each factor
  gives ``low`` and ``high`` (and ``integer = true`` to round; integer parameters such as
  ``coalition.size`` are always rounded).  The hypercube is drawn with
  ``scipy.stats.qmc.LatinHypercube`` from ``np.random.default_rng([seed, 1])``.
* ``table``: the rows of a CSV file (``[design] file = "points.csv"``, relative to the
  experiment file) whose columns are dotted paths; no ``[factors]`` needed.

A factor is any scalar parameter (``cisim.params``), ``months``, or ``domains.<name>.<key>``
of a domain of the base scenario; every level or bound is checked against the parameter's range.

Seeds.  Run ``replicate`` of design point ``point`` gets the seed
``np.random.SeedSequence([seed, point, replicate]).generate_state(1)[0]``, or, with
``common_seeds = true``, ``np.random.SeedSequence([seed, replicate]).generate_state(1)[0]``
at every point (common random numbers: differences between points are then paired,
which is what a grid or a table of alternatives is usually for).  ``common_seeds`` is
true by default for ``grid`` and ``table`` and false for ``lhs``.  Seeds depend only on
the experiment file, never on how or where the runs are executed.

Every error is a ``ScenarioError`` naming the experiment file and key, as for scenario files.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cisim.params import BY_PATH, Field
from cisim.scenario import (
    DOMAIN_BY_KEY,
    Scenario,
    ScenarioError,
    _check_type,
    _suggest,
    load,
    read_toml,
    resolve,
)
from cisim.summary import SUMMARY_COLUMNS

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "experiments"
TOP_KEYS = {
    "name": str, "description": str, "scenario": str, "seed": int, "replicates": int, "outputs": list,
    "common_seeds": bool, "changes": dict, "design": dict, "factors": dict,
}
DESIGN_KINDS = ("grid", "lhs", "table")
DESIGN_KEYS = {"grid": {"kind": str}, "lhs": {"kind": str, "points": int}, "table": {"kind": str, "file": str}}
FACTOR_KEYS = {"grid": {"levels": list}, "lhs": {"low": float, "high": float, "integer": bool}, "table": {}}
MONTHS = Field("months", 60, 1, 600, "months", "Months simulated.", integer=True)
#: Columns of ``Experiment.runs()`` before the factors.
RUN_COLUMNS = ("point", "replicate", "seed")


def _keys(file, prefix: str, table: dict, allowed: dict) -> None:
    for k, v in table.items():
        if k not in allowed:
            names = ", ".join(sorted(allowed)) or "nothing"
            raise ScenarioError(file, f"{prefix}{k}", f"unknown key{_suggest(k, allowed)} (allowed here: {names})")
        _check_type(file, f"{prefix}{k}", v, allowed[k])


def factor_field(scenario: Scenario, path: str) -> Field | None:
    """The schema field of a parameter that a factor can set, or None if ``path`` is not one."""
    if path in BY_PATH:
        return BY_PATH[path]
    if path == "months":
        return MONTHS
    parts = path.split(".")
    if len(parts) == 3 and parts[0] == "domains" and parts[1] in scenario.domains and parts[2] in DOMAIN_BY_KEY:
        return DOMAIN_BY_KEY[parts[2]]
    return None


def _factor_paths(scenario: Scenario) -> list[str]:
    return [*BY_PATH, "months", *(f"domains.{d}.{k}" for d in scenario.domains for k in DOMAIN_BY_KEY)]


def _check_factor(file, key: str, scenario: Scenario, path: str) -> Field:
    f = factor_field(scenario, path)
    if f is None:
        parts = path.split(".")
        if len(parts) == 3 and parts[0] == "domains" and parts[1] not in scenario.domains:
            hint = f"unknown domain{_suggest(parts[1], scenario.domains)} (domains of scenario {scenario.name}: " \
                   f"{', '.join(scenario.domains)})"
        else:
            hint = f"not a parameter of scenario {scenario.name}{_suggest(path, _factor_paths(scenario))} " \
                   f"(factors are scalar parameters, months, or domains.<name>.<key>)"
        raise ScenarioError(file, key, hint)
    return f


def _check_level(file, key: str, f: Field, value) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ScenarioError(file, key, f"expected a number, got {value!r} ({type(value).__name__})")
    if not (f.lo <= value <= f.hi):
        raise ScenarioError(file, key, f"expected a value from {f.lo:g} to {f.hi:g} ({f.unit}), got {value!r}")
    if f.integer:
        if value != int(value):
            raise ScenarioError(file, key, f"expected a whole number, got {value!r}")
        return int(value)
    return float(value)


def derive_seeds(seed: int, points: int, replicates: int, common: bool) -> np.ndarray:
    """Seeds of every run, (points, replicates), derived from the experiment seed (see the module doc)."""
    out = np.empty((points, replicates), dtype=np.int64)
    if common:
        row = [int(np.random.SeedSequence([seed, r]).generate_state(1)[0]) for r in range(replicates)]
        out[:] = row
        return out
    for p in range(points):
        for r in range(replicates):
            out[p, r] = int(np.random.SeedSequence([seed, p, r]).generate_state(1)[0])
    return out


@dataclass
class Experiment:
    """A validated experiment file.

    Attributes:
        name, description: from the file (name defaults to the file's stem).
        source: the experiment file.
        scenario: the base scenario with ``changes`` applied.
        seed, replicates, common_seeds: how many runs per point and how their seeds are derived.
        outputs: summary columns kept per run.
        changes: fixed changes to the base scenario by dotted path.
        design: ``grid``, ``lhs`` or ``table``.
        factors: the factor paths, in column order.
        raw: the file's content as read.
    """

    name: str
    description: str
    source: Path
    scenario: Scenario
    seed: int
    replicates: int
    outputs: tuple[str, ...]
    changes: dict[str, Any]
    design: str
    factors: list[str]
    common_seeds: bool
    raw: dict[str, Any] = field(repr=False)
    _points: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    def points(self) -> pd.DataFrame:
        """The design points: a row per point, column ``point`` then one column per factor."""
        return self._points.copy()

    @property
    def n_points(self) -> int:
        return len(self._points)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replicates

    def runs(self) -> pd.DataFrame:
        """Every run: ``point``, ``replicate``, ``seed`` and the factor values, ordered by point then replicate."""
        pts = self._points
        seeds = derive_seeds(self.seed, len(pts), self.replicates, self.common_seeds)
        rep = np.tile(np.arange(self.replicates), len(pts))
        idx = np.repeat(np.arange(len(pts)), self.replicates)
        df = pd.DataFrame({"point": idx, "replicate": rep, "seed": seeds.reshape(-1)})
        for c in self.factors:
            df[c] = pts[c].to_numpy()[idx]
        return df

    def to_record(self) -> dict[str, Any]:
        """What the metadata says about the experiment."""
        return {
            "name": self.name, "description": self.description, "file": str(self.source),
            "content": self.raw, "scenario": self.scenario.name, "scenario_source": self.scenario.source,
            "seed": self.seed, "replicates": self.replicates, "common_seeds": self.common_seeds,
            "design": self.design, "factors": self.factors, "points": self.n_points, "runs": self.n_runs,
            "outputs": list(self.outputs), "changes": self.changes,
        }

    def fingerprint(self) -> str:
        """A hash of everything that decides the runs and their numbers (to refuse resuming another experiment)."""
        h = hashlib.sha256()
        h.update(json.dumps(self.scenario.to_dict(), sort_keys=True, default=str).encode())
        h.update(json.dumps(list(self.outputs)).encode())
        h.update(pd.util.hash_pandas_object(self.runs(), index=False).to_numpy().tobytes())
        return h.hexdigest()[:16]


def resolve_experiment(name_or_path: str | Path) -> Path:
    """A path to an experiment file, or the name of a bundled one (``experiments/<name>.toml``)."""
    p = Path(name_or_path)
    for c in (p, BUNDLED_DIR / f"{name_or_path}.toml"):
        if c.is_file():
            return c.resolve()
    bundled = sorted(q.stem for q in BUNDLED_DIR.glob("*.toml")) if BUNDLED_DIR.is_dir() else []
    raise ScenarioError(str(name_or_path), None, f"no such experiment file{_suggest(str(name_or_path), bundled)}"
                        + (f" (bundled: {', '.join(bundled)})" if bundled else ""))


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate an experiment file.  Raises ``ScenarioError`` naming the file and key."""
    path = resolve_experiment(path)
    file = str(path)
    raw = read_toml(path)
    _keys(file, "", raw, TOP_KEYS)
    for k in ("scenario",):
        if k not in raw:
            raise ScenarioError(file, k, "missing (a bundled scenario name or a path to a scenario file)")

    # -- the base scenario and fixed changes
    try:
        base = load(resolve(raw["scenario"], relative_to=path.parent))
    except ScenarioError as exc:
        text = str(exc)
        raise ScenarioError(file, "scenario", f"{raw['scenario']!r} does not load: {text}") from None
    changes = dict(raw.get("changes", {}))
    for k, v in changes.items():
        try:
            base = base.replace({k: v})
        except ScenarioError as exc:
            prefix = f"{exc.file}: " + (f"key '{exc.key}': " if exc.key else "")
            raise ScenarioError(file, f"changes.{k}", str(exc)[len(prefix):]) from None

    seed = raw.get("seed", 0)
    if seed < 0:
        raise ScenarioError(file, "seed", f"expected a whole number of 0 or more, got {seed!r}")
    replicates = raw.get("replicates", 1)
    if replicates < 1:
        raise ScenarioError(file, "replicates", f"expected 1 or more, got {replicates!r}")
    outputs = raw.get("outputs", list(SUMMARY_COLUMNS))
    if not outputs:
        raise ScenarioError(file, "outputs", "expected a non-empty list of summary outputs")
    for o in outputs:
        if o not in SUMMARY_COLUMNS:
            raise ScenarioError(file, "outputs", f"unknown output {o!r}{_suggest(str(o), SUMMARY_COLUMNS)} "
                                f"(outputs: {', '.join(SUMMARY_COLUMNS)})")
    if len(set(outputs)) != len(outputs):
        raise ScenarioError(file, "outputs", "an output is listed twice")

    # -- design and factors
    design = dict(raw.get("design", {}))
    kind = design.get("kind", "grid")
    _check_type(file, "design.kind", kind, str)
    if kind not in DESIGN_KINDS:
        raise ScenarioError(file, "design.kind", f"expected one of {', '.join(DESIGN_KINDS)}, got {kind!r}"
                            f"{_suggest(kind, DESIGN_KINDS)}")
    _keys(file, "design.", design, DESIGN_KEYS[kind])
    factors = raw.get("factors", {})
    if kind == "table" and factors:
        raise ScenarioError(file, "factors", "a table design takes its factors from the columns of design.file; "
                            "remove [factors]")
    if kind != "table" and not factors:
        raise ScenarioError(file, "factors", "expected at least one [factors.\"<dotted.path>\"] table")
    fields: dict[str, Field] = {}
    for fpath, spec in factors.items():
        key = f"factors.{fpath}"
        fields[fpath] = _check_factor(file, key, base, fpath)
        if not isinstance(spec, dict):
            raise ScenarioError(file, key, f"expected a table, got {spec!r}")
        _keys(file, key + ".", spec, FACTOR_KEYS[kind])

    if kind == "grid":
        levels = []
        for fpath, spec in factors.items():
            key = f"factors.{fpath}.levels"
            if "levels" not in spec:
                raise ScenarioError(file, key, "missing (a grid needs a list of levels per factor)")
            if not spec["levels"]:
                raise ScenarioError(file, key, "expected a non-empty list of levels")
            vals = [_check_level(file, key, fields[fpath], v) for v in spec["levels"]]
            if len(set(vals)) != len(vals):
                raise ScenarioError(file, key, "a level is listed twice")
            levels.append(vals)
        combos = list(itertools.product(*levels))
        points = pd.DataFrame(combos, columns=list(factors))
    elif kind == "lhs":
        n = design.get("points")
        if n is None:
            raise ScenarioError(file, "design.points", "missing (how many points the Latin hypercube has)")
        if n < 1:
            raise ScenarioError(file, "design.points", f"expected 1 or more, got {n!r}")
        lows, highs, ints = [], [], []
        for fpath, spec in factors.items():
            for b in ("low", "high"):
                if b not in spec:
                    raise ScenarioError(file, f"factors.{fpath}.{b}", "missing (a Latin hypercube needs low and high)")
            lo = _check_level(file, f"factors.{fpath}.low", fields[fpath], spec["low"])
            hi = _check_level(file, f"factors.{fpath}.high", fields[fpath], spec["high"])
            if not lo < hi:
                raise ScenarioError(file, f"factors.{fpath}.high", f"expected more than low ({lo!r}), got {hi!r}")
            lows.append(lo)
            highs.append(hi)
            ints.append(fields[fpath].integer or spec.get("integer", False))
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=len(factors), rng=np.random.default_rng([seed, 1])).random(n)
        scaled = qmc.scale(unit, lows, highs)
        points = pd.DataFrame(scaled, columns=list(factors))
        for j, (c, is_int) in enumerate(zip(factors, ints)):
            if is_int:
                # every whole number from low to high gets an equal share of the hypercube's strata
                lo, hi = int(np.ceil(lows[j])), int(np.floor(highs[j]))
                points[c] = np.clip(np.floor(lo + unit[:, j] * (hi - lo + 1)), lo, hi).astype(np.int64)
    else:
        if "file" not in design:
            raise ScenarioError(file, "design.file", "missing (a CSV file of points; columns are dotted paths)")
        table_path = (path.parent / design["file"]).resolve()
        try:
            points = pd.read_csv(table_path)
        except FileNotFoundError:
            raise ScenarioError(file, "design.file", f"no such file: {table_path}") from None
        except (OSError, ValueError, pd.errors.ParserError) as exc:
            raise ScenarioError(file, "design.file", f"cannot read {table_path}: {exc}") from None
        if points.empty or not len(points.columns):
            raise ScenarioError(file, "design.file", f"{table_path} has no rows")
        for c in points.columns:
            c = str(c)
            key = f"design.file column {c}"
            f = _check_factor(file, key, base, c)
            vals = [v.item() if hasattr(v, "item") else v for v in points[c].tolist()]
            for r, v in enumerate(vals):
                try:
                    _check_level(file, key, f, v)
                except ScenarioError as exc:
                    raise ScenarioError(file, f"{key}, row {r + 1}", str(exc).split(": ", 2)[-1]) from None
            points[c] = points[c].astype(np.int64 if f.integer else float)
        factors = {str(c): {} for c in points.columns}
    points.insert(0, "point", np.arange(len(points)))

    return Experiment(
        name=raw.get("name") or path.stem,
        description=" ".join(raw.get("description", "").split()),
        source=path,
        scenario=base,
        seed=int(seed),
        replicates=int(replicates),
        outputs=tuple(outputs),
        changes=changes,
        design=kind,
        factors=list(factors),
        common_seeds=bool(raw.get("common_seeds", kind != "lhs")),
        raw=copy.deepcopy(raw),
        _points=points,
    )
