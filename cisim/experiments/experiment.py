"""Experiment files: a base scenario, factors, a design, replicates and the outputs to keep.

An experiment file (TOML) says what a parameter sweep runs::

    name = "backbone_investment"
    description = "How much should the funder give the backbone?"
    scenario = "collective"        # bundled name or path (relative to this file first)
    seed = 20261123                # every run's seed is derived from it (below)
    replicates = 20                # runs per design point
    outputs = ["outcome_60", "cost_per_point"]   # summary columns to keep (default: all)
    common_seeds = true            # replicate k uses the same seed at every point (default below)
    uncertainty = "seeds"          # or "parameters": each run also takes its seed's parameter set
    ensemble = "evidence"          # with "parameters": the ensemble (bundled name or path; default evidence)

    [changes]                      # fixed changes to the base scenario, by dotted path
    months = 60

    [design]
    kind = "grid"                  # "grid", "lhs" or "table"

    [factors."backbone.budget_share"]
    levels = [0.0, 0.02, 0.04]

Designs:

* ``grid``: every combination of the factors' ``levels``; the first factor varies slowest.
* ``lhs``: a Latin hypercube of ``points`` points (``[design] points = 64``); each factor
  gives ``low`` and ``high``.  Whole-number parameters such as ``coalition.size`` are
  rounded (each whole number from low to high equally often); ``integer = true`` is refused
  on any other parameter, whose values it would move off the design.  The hypercube is
  drawn with ``scipy.stats.qmc.LatinHypercube`` from ``np.random.default_rng([seed, 1])``.
* ``table``: the rows of a CSV file (``[design] file = "points.csv"``, relative to the
  experiment file) whose columns are dotted paths; no ``[factors]`` needed.  The file is
  streamed, never held whole, and refused before it is read if it is larger than the limit.

A factor is any scalar parameter (``cisim.model.schema``), ``months``, or ``domains.<name>.<key>``
of a domain of the base scenario; every level or bound is checked against the parameter's range.

Seeds.  Run ``replicate`` of design point ``point`` gets the seed
``np.random.SeedSequence([seed, point, replicate]).generate_state(1)[0]``, or, with
``common_seeds = true``, ``np.random.SeedSequence([seed, replicate]).generate_state(1)[0]``
at every point (common random numbers: differences between points are then paired,
which is what a grid or a table of alternatives is usually for).  ``common_seeds`` is
true by default for ``grid`` and ``table`` and false for ``lhs``.  Seeds depend only on
the experiment file, never on how or where the runs are executed.

Uncertainty.  With ``uncertainty = "parameters"`` every run also takes the parameter set that the
ensemble gives its seed (``cisim.experiments.uncertainty``), except for the parameters in ``[changes]``
and the factors, which keep their values.  The ensemble's values are columns of ``runs()`` (and of a
sweep's result rows), after the factors; ``cisim sweep --uncertainty`` overrides the file's choice.

Limits.  An experiment is counted before anything is built, and refused if it asks for more than a
two-core laptop runs in about a day (``LIMITS``): 100,000 replicates, 1,000,000 design points (a grid's
is the product of its levels' counts), 10,000,000 runs (points x replicates), 1,000,000,000 run-months
(runs x months), 4,000 MB for the runs and their results, and a design file of 200 MB.  The file raises
a limit with a ``[limits]`` table, or lifts them all; ``cisim validate|sweep|sensitivity --allow large``
lifts them all::

    [limits]
    runs = 50_000_000              # raise one limit (replicates, points, runs, run_months, memory_mb,
                                   # design_file_mb)
    allow_large = true             # or lift them all
    outside_paths = true           # read scenario, design.file and ensemble outside this file's tree

Paths.  ``scenario``, ``design.file`` and ``ensemble`` resolve relative to the experiment file (a
scenario or ensemble not found there is a bundled name), and must lie in the experiment file's folder
or below it, or among the bundled scenarios and experiments, as must every file the scenario extends;
``outside_paths`` or ``--allow outside-paths`` lifts that.  A design file must be a ``.csv`` file.

Every error is a ``ScenarioError`` naming the experiment file and key, as for scenario files.
Reading and checking a file needs neither numpy nor pandas, so that ``cisim validate`` answers at
once; they load when the design's points are drawn (``load_experiment(path, draw=False)`` only counts them).
"""

from __future__ import annotations

import array
import contextlib
import copy
import csv
import dataclasses
import hashlib
import itertools
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cisim.experiments.outputs import SUMMARY_COLUMNS, YEARLY_OUTCOMES
from cisim.experiments.sensitivity_factors import DISTS, UNBOUNDED, Factor, check_design, design_rows
from cisim.model.scenario import (
    DOMAIN_BY_KEY,
    Scenario,
    ScenarioError,
    _check_type,
    _suggest,
    check_inside,
    field_for,
    load,
    read_toml,
    resolve,
    tree_of,
)
from cisim.model.schema import BY_PATH, MONTHS, Field

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "experiments"
TOP_KEYS = {
    "name": str, "description": str, "scenario": str, "seed": int, "replicates": int, "outputs": list,
    "common_seeds": bool, "changes": dict, "design": dict, "factors": dict, "uncertainty": str, "ensemble": str,
    "limits": dict,
}
#: Sensitivity-analysis designs (``cisim sensitivity``): SALib's samplers, see ``cisim.experiments.sensitivity``.
SENSITIVITY_KINDS = ("sobol", "morris", "efast", "rbd_fast", "pawn", "delta")
DESIGN_KINDS = ("grid", "lhs", "table", *SENSITIVITY_KINDS)
_SA_COMMON = {"kind": str, "n": int, "dummy": bool, "bootstrap": int, "conf_level": float, "time_resolved": bool,
              "analyze": list}
DESIGN_KEYS = {"grid": {"kind": str}, "lhs": {"kind": str, "points": int}, "table": {"kind": str, "file": str},
               "sobol": {**_SA_COMMON, "second_order": bool, "scramble": bool},
               "morris": {**_SA_COMMON, "num_levels": int},
               "efast": {**_SA_COMMON, "M": int},
               "rbd_fast": {**_SA_COMMON, "M": int},
               "pawn": {**_SA_COMMON, "S": int},
               "delta": dict(_SA_COMMON)}
_SA_FACTOR_KEYS = {"low": float, "high": float, "dist": str, "bounds": list, "integer": bool}
FACTOR_KEYS = {"grid": {"levels": list}, "lhs": {"low": float, "high": float, "integer": bool}, "table": {},
               **{k: _SA_FACTOR_KEYS for k in SENSITIVITY_KINDS}}
#: What ``cisim sensitivity`` analyses when the design names no outputs: the 5-year outcome,
#: the equity gap and cost-effectiveness (points per $1M: cost per point is undefined where
#: nothing is gained, and every design point needs a value).
DEFAULT_ANALYZED = ("outcome_60", "equity_gap_final", "points_per_million")
#: Columns of ``Experiment.runs()`` before the factors.
RUN_COLUMNS = ("point", "replicate", "seed")


def _keys(file, prefix: str, table: dict, allowed: dict) -> None:
    for k, v in table.items():
        if k not in allowed:
            names = ", ".join(sorted(allowed)) or "nothing"
            raise ScenarioError(file, f"{prefix}{k}", f"unknown key{_suggest(k, allowed)} (allowed here: {names})")
        _check_type(file, f"{prefix}{k}", v, allowed[k])


def factor_field(scenario: Scenario, path: str) -> Field | None:
    """The schema field of a parameter that a factor can set (a per-run parameter or the horizon),
    or None if ``path`` is not one."""
    return MONTHS if path == "months" else field_for(scenario, path, strict=False)


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
    import numpy as np

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
        uncertainty: ``seeds`` or ``parameters`` (see the module doc); ``ensemble`` the ensemble's name or path
            as given, ``spread`` the ``Uncertainty`` used (None until the points are drawn).

    Loaded with ``draw=False``, the points are counted but not drawn: ``points()``, ``runs()`` and
    ``fingerprint()`` then raise ``RuntimeError``.
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
    _points: pd.DataFrame | None = field(repr=False, default=None)
    #: The SALib design of a sensitivity experiment (``cisim.experiments.sensitivity.Design``), else None.
    sa_design: Any = field(repr=False, default=None)
    #: Analysis settings of a sensitivity experiment: analyze (outputs), bootstrap, conf_level, time_resolved.
    analysis: dict[str, Any] = field(default_factory=dict)
    _n_points: int = field(repr=False, default=0)
    uncertainty: str = "seeds"
    ensemble: str | None = None
    spread: Any = field(repr=False, default=None)
    #: The command line's ``--set`` changes (already in ``changes`` and ``scenario``), and its ``--scenario``.
    sets: dict[str, Any] = field(default_factory=dict)
    scenario_given: str | None = None

    @property
    def is_sensitivity(self) -> bool:
        return self.design in SENSITIVITY_KINDS

    def _drawn(self) -> pd.DataFrame:
        if self._points is None:
            raise RuntimeError(f"experiment {self.name} was loaded with draw=False: its points were counted, "
                               "not drawn")
        return self._points

    def points(self) -> pd.DataFrame:
        """The design points: a row per point, column ``point`` then one column per factor."""
        return self._drawn().copy()

    @property
    def n_points(self) -> int:
        return self._n_points

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replicates

    def runs(self) -> pd.DataFrame:
        """Every run: ``point``, ``replicate``, ``seed`` and the factor values, ordered by point then replicate."""
        import numpy as np
        import pandas as pd

        pts = self._drawn()
        if self.sa_design is not None:
            seeds = self.sa_design.seeds(self.replicates)  # per point and replicate, never shared
        else:
            seeds = derive_seeds(self.seed, len(pts), self.replicates, self.common_seeds)
        rep = np.tile(np.arange(self.replicates), len(pts))
        idx = np.repeat(np.arange(len(pts)), self.replicates)
        df = pd.DataFrame({"point": idx, "replicate": rep, "seed": seeds.reshape(-1)})
        for c in self.factors:
            df[c] = pts[c].to_numpy()[idx]
        if self.spread is not None and self.spread.parameters:
            paths, values = self.spread.columns(df["seed"].to_numpy(), self.kept)
            for j, c in enumerate(paths):
                f = BY_PATH.get(c)
                df[c] = values[:, j].astype(np.int64) if f is not None and f.integer else values[:, j]
        return df

    @property
    def kept(self) -> set[str]:
        """The parameters set on purpose (``[changes]`` and the factors): the ensemble's values never replace them."""
        return {*self.changes, *self.factors}

    @property
    def parameter_columns(self) -> list[str]:
        """The per-run parameter columns of ``runs()``: the factors, then the ensemble's parameters (with
        ``uncertainty = "parameters"``)."""
        if self.spread is None or not self.spread.parameters:
            return list(self.factors)
        return [*self.factors, *(p for p in self.spread.ensemble.parameters if p not in self.kept)]

    def uncertainty_record(self) -> dict[str, Any]:
        """The ``uncertainty`` and ``ensemble`` entries of the sweep's metadata."""
        if self.spread is None:  # loaded with draw=False: the ensemble was found, not read
            return {"uncertainty": self.uncertainty, "ensemble": None if self.ensemble is None else
                    {"name": Path(self.ensemble).stem, "file": self.ensemble}}
        return self.spread.record(self.kept)

    def with_uncertainty(self, uncertainty: str | None = None, ensemble: str | None = None,
                         where: tuple[str, str] = ("--uncertainty", "--ensemble")) -> Experiment:
        """This experiment with another kind of uncertainty or ensemble (``cisim sweep --uncertainty``);
        None keeps the file's.  A bad value is a ``ScenarioError`` naming ``where``."""
        from cisim.experiments.uncertainty import resolve

        kind = uncertainty or self.uncertainty
        if ensemble is None and kind == self.uncertainty:
            return self
        spread = resolve(kind, ensemble, where=where)
        name = None if spread.ensemble is None else str(ensemble or spread.ensemble.name)
        return dataclasses.replace(self, uncertainty=spread.kind, ensemble=name, spread=spread)

    def to_record(self) -> dict[str, Any]:
        """What the metadata says about the experiment."""
        return {
            "name": self.name, "description": self.description, "file": str(self.source),
            "content": self.raw, "scenario": self.scenario.name, "scenario_source": self.scenario.source,
            "seed": self.seed, "replicates": self.replicates, "common_seeds": self.common_seeds,
            "design": self.design, "factors": self.factors, "points": self.n_points, "runs": self.n_runs,
            "outputs": list(self.outputs), "changes": self.changes, "sets": self.sets,
            "scenario_given": self.scenario_given, "uncertainty": self.uncertainty,
            "ensemble": self.ensemble,
            **({"sensitivity": self.sensitivity_record()} if self.sa_design is not None else {}),
        }

    def sensitivity_record(self) -> dict[str, Any]:
        """The SALib design and analysis settings, for the metadata."""
        d = self.sa_design
        return {"method": d.method, "n": d.n, "second_order": d.second_order, "dummy": d.dummy,
                "options": d.options, "design_rows": d.n_points,
                "factors": [{"name": f.name, "dist": f.dist, "bounds": list(f.bounds), "integer": f.integer}
                            for f in d.factors], **self.analysis}

    def fingerprint(self) -> str:
        """A hash of everything that decides the runs and their numbers (to refuse resuming another experiment)."""
        import pandas as pd

        h = hashlib.sha256()
        h.update(json.dumps(self.scenario.to_dict(), sort_keys=True, default=str).encode())
        h.update(json.dumps(list(self.outputs)).encode())
        if self.spread is not None and self.spread.parameters:  # (a seeds sweep keeps the fingerprint it always had)
            h.update(json.dumps(["parameters", self.spread.sha256]).encode())
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


#: What an experiment may ask for unless its file raises a limit (``[limits]``) or ``--allow large`` lifts them
#: all: about what a two-core laptop runs in a day (a 60-month run of 30 organizations takes about a
#: millisecond on one core), counted before anything is built.
LIMITS = {"replicates": 100_000, "points": 1_000_000, "runs": 10_000_000, "run_months": 1_000_000_000,
          "memory_mb": 4_000, "design_file_mb": 200}
_LIMIT_WORDS = {"replicates": "replicates per point", "points": "design points", "runs": "runs (points x replicates)",
                "run_months": "run-months (runs x months)", "memory_mb": "MB for the runs and their results "
                "(estimated)", "design_file_mb": "MB of design file"}
LIMITS_KEYS: dict[str, type] = {**{k: int for k in LIMITS}, "allow_large": bool, "outside_paths": bool}
#: What lifts the folder rule for the paths an experiment file names.
OUTSIDE_HINT = "pass --allow outside-paths, or set [limits] outside_paths = true in the experiment file"
#: Most bootstrap resamples of a sensitivity analysis (each one recomputes every index).
MAX_BOOTSTRAP = 10_000
#: Seeds are 64-bit signed integers in the runs' tables.
MAX_SEED = 2**63 - 1


#: What ``--allow`` lifts: ``large``, the limits on an experiment's size; ``outside-paths``, the rule that the
#: files a file names lie in its folder (or below it) or among the bundled ones.
ALLOW = ("large", "outside-paths")
ALLOW_HELP = ("'large': run an experiment beyond its limits on runs, points, replicates and memory (an experiment "
              "file raises one limit with [limits]); 'outside-paths': read files an extends, scenario, design.file or "
              "ensemble names outside the folder of the file given here and the bundled folders (repeat for both)")
#: Most replicates of run and compare (their runs' monthly tables are kept in memory); a sweep runs more.
MAX_REPLICATES = 10_000
#: Largest first seed of run and compare (seeds S .. S+R-1 are 64-bit numbers).
MAX_FIRST_SEED = 2**62
#: Most memory the monthly tables of run and compare may take, unless --allow large.
MAX_RUN_MEMORY = 4e9


def check_run_memory(scenario: Scenario, replicates: int) -> None:
    """Refuse replicates whose monthly tables would not fit in memory (about 60 numbers a run and month)."""
    need = replicates * (scenario.months + 1) * (60 + 2 * len(scenario.domains)) * 8
    if need > MAX_RUN_MEMORY:
        raise ScenarioError(f"--replicates {replicates}", None, f"the monthly tables of {replicates:,} runs of "
                            f"{scenario.months} months take about {need / 1e9:.0f} GB, more than the limit of "
                            f"{MAX_RUN_MEMORY / 1e9:.0f} GB; pass --allow large to run them anyway, or ask for fewer")


def _limits(file: str, raw: dict[str, Any], allow_large: bool) -> dict[str, int | None]:
    """The file's limits: the defaults, raised by ``[limits]``; all None (none) with ``allow_large``."""
    spec = raw.get("limits", {})
    _keys(file, "limits.", spec, LIMITS_KEYS)
    for k in LIMITS:
        if k in spec and spec[k] < 1:
            raise ScenarioError(file, f"limits.{k}", f"expected 1 or more, got {spec[k]!r}")
    if allow_large or spec.get("allow_large", False):
        return dict.fromkeys(LIMITS)
    return {k: spec.get(k, v) for k, v in LIMITS.items()}


def _check_limit(file: str, limits: dict[str, int | None], name: str, value: int, key: str) -> None:
    """Refuse ``value`` of limit ``name`` above its limit, saying how to ask for it anyway."""
    limit = limits[name]
    if limit is not None and value > limit:
        raise ScenarioError(file, key, f"asks for {value:,} {_LIMIT_WORDS[name]}, more than the limit of {limit:,}; "
                            f"to run it anyway raise the limit in the file ([limits] {name} = {value}) or pass "
                            "--allow large")


def _check_size(file: str, limits: dict[str, int | None], replicates: int, n_points: int, columns: int,
                months: int, points_key: str) -> None:
    """Refuse an experiment larger than its limits, from its counts alone (nothing is built)."""
    _check_limit(file, limits, "replicates", replicates, "replicates")
    _check_limit(file, limits, "points", n_points, points_key)
    runs = n_points * replicates
    _check_limit(file, limits, "runs", runs, "replicates")
    _check_limit(file, limits, "run_months", runs * months, "replicates")
    _check_limit(file, limits, "memory_mb", runs * (len(RUN_COLUMNS) + columns) * 8 // 1_000_000, "replicates")


def _base_scenario(file: str, path: Path, raw: dict[str, Any], tree: tuple[Path, ...] | None,
                   scenario: str | Path | None = None, sets: dict[str, Any] | None = None) -> Scenario:
    """The ``scenario`` the file names (beside it or bundled, inside its tree), or the one given in its
    place (``cisim sweep --scenario``), with ``[changes]`` applied, then ``sets`` (``--set``)."""
    if scenario is not None:  # the person's own file, named on the command line: read as they gave it
        try:
            base = load(scenario, outside_paths=tree is None)
        except ScenarioError as exc:
            raise ScenarioError(f"--scenario {scenario}", None, f"does not load: {exc}") from None
    else:
        given = raw["scenario"]
        try:
            spath = resolve(given, relative_to=path.parent)
            check_inside(file, "scenario", given, spath, tree, OUTSIDE_HINT)
            base = load(spath, tree=tree, outside_paths=tree is None)
        except ScenarioError as exc:
            if exc.file == file:
                raise
            raise ScenarioError(file, "scenario", f"{given!r} does not load: {exc}") from None
    for k, v in raw.get("changes", {}).items():
        try:
            base = base.replace({k: v})
        except ScenarioError as exc:
            raise ScenarioError(file, f"changes.{k}", _after_place(exc)) from None
    for k, v in (sets or {}).items():
        try:
            base = base.replace({k: v})
        except ScenarioError as exc:
            raise ScenarioError(f"--set {k}={v} (scenario {base.name}, {base.source})", exc.key,
                                _after_place(exc)) from None
    return base


def _seed_and_replicates(file: str, raw: dict[str, Any]) -> tuple[int, int]:
    seed = raw.get("seed", 0)
    if not 0 <= seed <= MAX_SEED:
        raise ScenarioError(file, "seed", f"expected a whole number from 0 to 2**63 - 1, got {seed!r}")
    replicates = raw.get("replicates", 1)
    if replicates < 1:
        raise ScenarioError(file, "replicates", f"expected 1 or more, got {replicates!r}")
    return seed, replicates


def _outputs(file: str, raw: dict[str, Any]) -> list[str]:
    outputs = raw.get("outputs", list(SUMMARY_COLUMNS))
    if not outputs:
        raise ScenarioError(file, "outputs", "expected a non-empty list of summary outputs")
    for o in outputs:
        if not isinstance(o, str) or o not in SUMMARY_COLUMNS:
            raise ScenarioError(file, "outputs", f"unknown output {o!r}{_suggest(str(o), SUMMARY_COLUMNS)} "
                                f"(outputs: {', '.join(SUMMARY_COLUMNS)})")
    if len(set(outputs)) != len(outputs):
        raise ScenarioError(file, "outputs", "an output is listed twice")
    return list(outputs)


def _check_integer(file: str, key: str, f: Field, spec: dict[str, Any]) -> bool:
    """Whether a factor's values are whole numbers: those of an integer parameter; ``integer = true`` on any
    other parameter would round its values to numbers the design never asked for."""
    if spec.get("integer", False) and not f.integer:
        raise ScenarioError(file, key + ".integer", f"{f.path} is not a whole-number parameter (its range is "
                            f"{f.lo:g} to {f.hi:g} {f.unit}); remove integer = true, or list whole levels in a grid")
    return f.integer


def _check_months_factor(file: str, key: str, base: Scenario, lowest: float) -> None:
    """A horizon shorter than a scenario's last event would silently drop the event."""
    last = max((e.month for e in base.events), default=0)
    if lowest < last:
        raise ScenarioError(file, key, f"a horizon of {lowest:g} months ends before scenario {base.name}'s event at "
                            f"month {last}; start months at {last} or more")


def load_experiment(path: str | Path, draw: bool = True, *, allow_large: bool = False,
                    outside_paths: bool = False, scenario: str | Path | None = None,
                    sets: dict[str, Any] | None = None) -> Experiment:
    """Read and validate an experiment file.  Raises ``ScenarioError`` naming the file and key.

    With ``draw=False`` the design's points are counted, not drawn, without numpy, pandas, scipy or
    SALib (what ``cisim validate`` needs), and every check is still made: a sensitivity design with a
    norm or lognorm factor is sampled all the same, as only its sample says whether it stays in range.
    Its size is checked against its limits before anything is built (``allow_large`` lifts them), and the
    paths it names must stay inside its tree (``outside_paths`` lifts that); see the module doc.
    ``scenario`` runs the design on another scenario than the file's (a funder's own community) and ``sets``
    changes values after the file's ``[changes]``; both are recorded in the metadata and the fingerprint.
    """
    path = resolve_experiment(path)
    file = str(path)
    raw = read_toml(path)
    _keys(file, "", raw, TOP_KEYS)
    limits = _limits(file, raw, allow_large)
    tree = None if outside_paths or raw.get("limits", {}).get("outside_paths") else tree_of(path)
    if "scenario" not in raw:
        raise ScenarioError(file, "scenario", "missing (a bundled scenario name or a path to a scenario file)")
    base = _base_scenario(file, path, raw, tree, scenario, sets)
    changes = {**raw.get("changes", {}), **(sets or {})}
    seed, replicates = _seed_and_replicates(file, raw)
    outputs = _outputs(file, raw)
    uncertainty, ensemble, spread = _uncertainty(file, path, raw, draw, tree)

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
    if kind in SENSITIVITY_KINDS and raw.get("common_seeds"):
        raise ScenarioError(file, "common_seeds", "a sensitivity design derives a seed per point and replicate; "
                            "common seeds would correlate the points' noise (remove common_seeds)")

    sa_design = None
    analysis: dict[str, Any] = {}
    if kind in SENSITIVITY_KINDS:
        sa_factors, sa_args, n_points, months = _sensitivity_factors(file, kind, design, factors, fields, base)
        analysis = _sensitivity_analysis(file, design, factors, outputs, base.months)
        _check_size(file, limits, replicates, n_points, len(factors) + 1 + len(outputs), months, "design.n")
        if draw or any(f.dist in UNBOUNDED for f in sa_factors):
            sa_design = _sample_sensitivity(file, kind, sa_factors, sa_args, int(seed), fields)
        drawer = sa_design.points if sa_design is not None else None
    elif kind == "grid":
        n_points, drawer, months = _grid(file, factors, fields, base)
        _check_size(file, limits, replicates, n_points, len(factors) + len(outputs), months, "factors")
    elif kind == "lhs":
        n_points, drawer, months = _lhs(file, design, factors, fields, base, seed)
        _check_size(file, limits, replicates, n_points, len(factors) + len(outputs), months, "design.points")
    else:
        columns, n_points, drawer, months = _table(file, path, design, base, limits, draw, tree)
        factors = dict.fromkeys(columns, {})
        _check_size(file, limits, replicates, n_points, len(factors) + len(outputs), months, "design.file")
    points: pd.DataFrame | None = None
    if draw:
        import numpy as np

        points = drawer()
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
        sa_design=sa_design,
        analysis=analysis,
        _n_points=n_points,
        uncertainty=uncertainty,
        ensemble=ensemble,
        spread=spread,
        sets=dict(sets or {}),
        scenario_given=None if scenario is None else str(scenario),
    )


def _grid(file: str, factors: dict[str, Any], fields: dict[str, Field], base: Scenario):
    """A grid's number of points (the product of its levels' counts, never built here), a function that draws
    its points, and the longest horizon it runs."""
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
        if fpath == "months":
            _check_months_factor(file, key, base, min(vals))
        levels.append(vals)
    months = max(levels[list(factors).index("months")]) if "months" in factors else base.months

    def draw() -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(list(itertools.product(*levels)), columns=list(factors))

    return math.prod(len(v) for v in levels), draw, int(months)


def _lhs(file: str, design: dict[str, Any], factors: dict[str, Any], fields: dict[str, Field], base: Scenario,
         seed: int):
    """A Latin hypercube's number of points, a function that draws them, and the longest horizon it runs."""
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
        if fpath == "months":
            _check_months_factor(file, f"factors.{fpath}.low", base, lo)
        lows.append(lo)
        highs.append(hi)
        ints.append(_check_integer(file, f"factors.{fpath}", fields[fpath], spec))
    months = highs[list(factors).index("months")] if "months" in factors else base.months
    return n, lambda: _lhs_points(list(factors), lows, highs, ints, n, seed), int(months)


def _table(file: str, path: Path, design: dict[str, Any], base: Scenario, limits: dict[str, int | None],
           draw: bool, tree: tuple[Path, ...] | None):
    """A table design's columns, its number of points, a function that gives its points and the longest
    horizon, from its CSV file streamed twice (to type its columns as pandas does, then to check every cell);
    the file is refused before it is read if it is larger than the limit, and while read if it has more rows."""
    if "file" not in design:
        raise ScenarioError(file, "design.file", "missing (a CSV file of points; columns are dotted paths)")
    table_path = (path.parent / design["file"]).resolve()
    check_inside(file, "design.file", design["file"], table_path, tree, OUTSIDE_HINT)
    if table_path.suffix.lower() != ".csv":
        raise ScenarioError(file, "design.file", f"expected a .csv file, got {design['file']!r}")
    with contextlib.suppress(OSError):
        mb = -(-table_path.stat().st_size // 1_000_000)
        if limits["design_file_mb"] is not None and mb > limits["design_file_mb"]:
            _check_limit(file, limits, "design_file_mb", mb, "design.file")
    header, kinds, n_points = _scan_table(file, table_path, limits["points"])
    if not n_points:
        raise ScenarioError(file, "design.file", f"{table_path} has no rows")
    fields = {c: _check_factor(file, f"design.file column {c}", base, c) for c in header}
    values = _table_values(file, table_path, header, kinds, fields, keep=draw)
    months = base.months
    if "months" in fields:
        lowest, months = _table_span(file, table_path, header, kinds, "months")
        _check_months_factor(file, "design.file column months", base, lowest)

    def points() -> pd.DataFrame:
        import numpy as np
        import pandas as pd

        return pd.DataFrame({c: np.asarray(values[c], dtype=np.int64 if fields[c].integer else float)
                             for c in header})

    return header, n_points, points, int(months)


def _uncertainty(file: str, path: Path, raw: dict[str, Any], draw: bool, tree: tuple[Path, ...] | None = None
                 ) -> tuple[str, str | None, Any]:
    """The file's ``uncertainty`` and ``ensemble`` keys, checked: the kind, the ensemble (a CSV file beside the
    experiment file, inside its tree, else a bundled name) and, when drawing, the ``Uncertainty`` (the ensemble
    read and its values checked; without drawing it is only found, with no numpy)."""
    from cisim.experiments.ensemble import UNCERTAINTY

    kind = raw.get("uncertainty", "seeds")
    if kind not in UNCERTAINTY:
        raise ScenarioError(file, "uncertainty", f"expected {' or '.join(repr(k) for k in UNCERTAINTY)}, got "
                            f"{kind!r}{_suggest(kind, UNCERTAINTY)}")
    given = raw.get("ensemble")
    if given is not None and kind != "parameters":
        raise ScenarioError(file, "ensemble", "applies with uncertainty = \"parameters\" only (this file's runs "
                            "keep the scenario's parameters; add uncertainty = \"parameters\" or remove ensemble)")
    if kind != "parameters":
        return kind, None, None
    from cisim.experiments import uncertainty as un

    name = _ensemble_file(file, path, given, tree) if given else un.DEFAULT_ENSEMBLE
    try:
        un.find(name, where="ensemble")
        spread = un.resolve(kind, name, where=("uncertainty", "ensemble")) if draw else None
    except ScenarioError as exc:
        raise ScenarioError(file, "ensemble", f"{given or name!r}: {_after_file(exc)}") from None
    return kind, name, spread


def _ensemble_file(file: str, path: Path, given: str, tree: tuple[Path, ...] | None) -> str:
    """The ensemble an experiment file names: a CSV file beside it (inside its tree), else a bundled name."""
    from cisim.experiments.ensemble import ENSEMBLE_DIR

    beside = [c for c in (path.parent / given, path.parent / f"{given}.csv") if _is_file(c)]
    if beside:
        check_inside(file, "ensemble", given, beside[0], tree, OUTSIDE_HINT)
        if beside[0].suffix.lower() != ".csv":
            raise ScenarioError(file, "ensemble", f"expected a .csv file, got {given!r}")
        return str(beside[0].resolve())
    bundled = ENSEMBLE_DIR / f"{given}.csv"
    if "/" in given or "\\" in given or not bundled.is_file():
        names = sorted(p.stem for p in ENSEMBLE_DIR.glob("*.csv")) if ENSEMBLE_DIR.is_dir() else []
        raise ScenarioError(file, "ensemble", f"{given!r}: no such ensemble file beside the experiment file, nor a "
                            f"bundled ensemble (bundled: {', '.join(names) or 'none'})")
    return str(bundled.resolve())


def _is_file(path: Path) -> bool:
    """Whether ``path`` is a file (False for a name the file system cannot hold)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


#: Cells ``pandas.read_csv`` reads as missing or as booleans: a design table is read as pandas would.
_NA_CELLS = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                       "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})
_TRUE_CELLS, _FALSE_CELLS = frozenset({"True", "TRUE", "true"}), frozenset({"False", "FALSE", "false"})
_WHOLE_CELL = re.compile(r"[+-]?\d+")
_NUMBER_CELL = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity)", re.IGNORECASE)


def _table_rows(file: str, path: Path) -> Iterator[tuple[int, list[str]]]:
    """The non-blank rows of a design table's CSV file with their line numbers, streamed (header first)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            for r in reader:
                if r and (len(r) > 1 or r[0].strip()):
                    yield reader.line_num, r
    except FileNotFoundError:
        raise ScenarioError(file, "design.file", f"no such file: {path}") from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(file, "design.file", f"cannot read {path}: not UTF-8 text (an invalid byte at offset "
                            f"{exc.start})") from None
    except (OSError, csv.Error) as exc:
        raise ScenarioError(file, "design.file", f"cannot read {path}: {exc}") from None


def _scan_table(file: str, path: Path, max_rows: int | None) -> tuple[list[str], list[str], int]:
    """A design table's header, the type of each column as ``pandas.read_csv`` types it (``int``: all whole
    numbers; ``float``: numbers, NaN where missing; ``bool``: all booleans; else ``text``) and its number of
    rows, in one pass that keeps no row (refused past ``max_rows``)."""
    rows = _table_rows(file, path)
    first = next(rows, None)
    if first is None:
        raise ScenarioError(file, "design.file", f"cannot read {path}: no columns to parse from file")
    header = first[1]
    for c in header:
        if header.count(c) > 1:
            raise ScenarioError(file, "design.file", f"cannot read {path}: column {c!r} appears twice")
    whole, number, boolean = [True] * len(header), [True] * len(header), [True] * len(header)
    n = 0
    for line, r in rows:
        if len(r) != len(header):
            raise ScenarioError(file, "design.file", f"cannot read {path}: expected {len(header)} fields in "
                                f"line {line}, saw {len(r)}")
        n += 1
        if max_rows is not None and n > max_rows:
            raise ScenarioError(file, "design.file", f"{path} has more than {max_rows:,} rows, the limit of design "
                                f"points; to run it anyway raise the limit in the file ([limits] points = ...) or "
                                "pass --allow large")
        for j, cell in enumerate(r):
            t = cell.strip()
            missing = t in _NA_CELLS
            whole[j] = whole[j] and not missing and _WHOLE_CELL.fullmatch(t) is not None
            number[j] = number[j] and (missing or _NUMBER_CELL.fullmatch(t) is not None)
            boolean[j] = boolean[j] and (t in _TRUE_CELLS or t in _FALSE_CELLS)
    kinds = ["int" if w else "float" if f else "bool" if b else "text" for w, f, b in zip(whole, number, boolean)]
    return header, kinds, n


def _typed(kind: str, cell: str) -> Any:
    """One cell as its column's type (see ``_scan_table``)."""
    t = cell.strip()
    if kind == "int":
        return int(t)
    if kind == "bool":
        return t in _TRUE_CELLS
    if t in _NA_CELLS:
        return math.nan
    return float(t) if kind == "float" else cell


def _body(file: str, path: Path) -> Iterator[list[str]]:
    rows = _table_rows(file, path)
    next(rows, None)
    return (r for _, r in rows)


def _read_table(file: str, path: Path, max_rows: int | None = None) -> dict[str, list]:
    """The columns of a table design's CSV file (a header row of dotted paths), each typed as pandas types it."""
    header, kinds, _ = _scan_table(file, path, max_rows)
    columns: dict[str, list] = {c: [] for c in header}
    for r in _body(file, path):
        for c, kind, cell in zip(header, kinds, r):
            columns[c].append(_typed(kind, cell))
    return columns


def _table_values(file: str, path: Path, header: list[str], kinds: list[str], fields: dict[str, Field],
                  keep: bool) -> dict[str, array.array] | None:
    """Every cell of a design table checked against its parameter's range, streamed; kept (as compact arrays)
    only if ``keep``."""
    values = {c: array.array("q" if fields[c].integer else "d") for c in header} if keep else None
    for r, row in enumerate(_body(file, path)):
        for c, kind, cell in zip(header, kinds, row):
            key = f"design.file column {c}"
            try:
                v = _check_level(file, key, fields[c], _typed(kind, cell))
            except ScenarioError as exc:
                raise ScenarioError(file, f"{key}, row {r + 1}", str(exc).split(": ", 2)[-1]) from None
            if values is not None:
                values[c].append(v)
    return values


def _table_span(file: str, path: Path, header: list[str], kinds: list[str], column: str) -> tuple[float, float]:
    """The lowest and highest value of one (checked) column of a design table."""
    j = header.index(column)
    cells = [float(_typed(kinds[j], r[j])) for r in _body(file, path)]
    return min(cells), max(cells)


def _after_place(exc: ScenarioError) -> str:
    """A ScenarioError's text without its file and key."""
    prefix = f"{exc.file}: " + (f"key '{exc.key}': " if exc.key else "")
    text = str(exc)
    return text[len(prefix):] if text.startswith(prefix) else text


def _after_file(exc: ScenarioError) -> str:
    """A ScenarioError's text without its file (it becomes part of the message about another file)."""
    text = str(exc)
    return text[len(exc.file) + 2:] if text.startswith(f"{exc.file}: ") else text


def _lhs_points(names: list[str], lows: list[float], highs: list[float], ints: list[bool], n: int,
                seed: int) -> pd.DataFrame:
    """The Latin hypercube's points (see the module doc)."""
    import numpy as np
    import pandas as pd
    from scipy.stats import qmc

    unit = qmc.LatinHypercube(d=len(names), rng=np.random.default_rng([seed, 1])).random(n)
    scaled = qmc.scale(unit, lows, highs)
    points = pd.DataFrame(scaled, columns=names)
    for j, (c, is_int) in enumerate(zip(names, ints)):
        if is_int:
            # every whole number from low to high gets an equal share of the hypercube's strata
            lo, hi = int(np.ceil(lows[j])), int(np.floor(highs[j]))
            points[c] = np.clip(np.floor(lo + unit[:, j] * (hi - lo + 1)), lo, hi).astype(np.int64)
    return points


def _sensitivity_factors(file: str, kind: str, design: dict[str, Any], factors: dict[str, Any],
                         fields: dict[str, Field], base: Scenario) -> tuple[list[Factor], dict[str, Any], int, int]:
    """A sensitivity design's factors, the other arguments of ``make_design``, its number of points and its
    longest horizon, all checked without sampling (see ``cisim.experiments.sensitivity``)."""
    n = design.get("n")
    if n is None:
        raise ScenarioError(file, "design.n", "missing (the base sample size: N for Sobol', a power of two; "
                            "trajectories for Morris; points per curve for eFAST; points for the others)")
    sa_factors = []
    months = base.months
    for fpath, spec in factors.items():
        key = f"factors.{fpath}"
        f = fields[fpath]
        dist = spec.get("dist", "unif")
        if dist not in DISTS:
            raise ScenarioError(file, key + ".dist", f"expected one of {', '.join(DISTS)}, got {dist!r}"
                                f"{_suggest(str(dist), DISTS)}")
        if "bounds" in spec:
            if "low" in spec or "high" in spec:
                raise ScenarioError(file, key, "give either low and high, or bounds, not both")
            bounds = spec["bounds"]
            for v in bounds:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise ScenarioError(file, key + ".bounds", f"expected numbers, got {v!r}")
        elif dist in ("unif", "logunif"):
            for b in ("low", "high"):
                if b not in spec:
                    raise ScenarioError(file, f"{key}.{b}", f"missing (a {dist} factor needs low and high)")
            bounds = [spec["low"], spec["high"]]
        else:
            want = ", ".join(DISTS[dist])
            raise ScenarioError(file, key + ".bounds", f"missing (a {dist} factor needs bounds = [{want}])")
        if dist in ("unif", "logunif", "triang", "truncnorm") and len(bounds) >= 2:
            # the support must lie inside the parameter's range
            _check_level(file, key + (".bounds" if "bounds" in spec else ".low"), _float_field(f), bounds[0])
            _check_level(file, key + (".bounds" if "bounds" in spec else ".high"), _float_field(f), bounds[1])
        integer = _check_integer(file, key, f, spec)
        try:
            sa_factors.append(Factor(fpath, tuple(bounds), dist, integer))
        except ValueError as exc:
            raise ScenarioError(file, key, str(exc).replace(f"factor {fpath!r}", "").lstrip(" :")) from None
        if fpath == "months":
            bounded = dist in ("unif", "logunif", "triang", "truncnorm")
            _check_months_factor(file, key, base, bounds[0] if bounded else MONTHS.lo)
            months = int(bounds[1]) if bounded else int(MONTHS.hi)
    options = {k: design[k] for k in ("scramble", "num_levels", "M", "S") if k in design}
    args = {"n": n, "second_order": design.get("second_order", False), "dummy": design.get("dummy", True), **options}
    try:
        _, n, checked, _ = check_design(sa_factors, kind, **args)
    except (ValueError, TypeError) as exc:
        option = getattr(exc, "option", None)
        raise ScenarioError(file, f"design.{option}" if option else "design", str(exc)) from None
    return sa_factors, args, design_rows(kind, n, len(checked), args["second_order"]), months


def _sample_sensitivity(file: str, kind: str, sa_factors: list[Factor], args: dict[str, Any], seed: int,
                        fields: dict[str, Field]):
    """The sampled SALib design, whose values must all lie in their parameters' ranges."""
    from cisim.experiments import sensitivity as sa

    try:
        d = sa.make_design(sa_factors, kind, seed=seed, **args)
    except (ValueError, TypeError) as exc:
        raise ScenarioError(file, "design", str(exc)) from None
    points = d.points()
    for fac in d.model_factors:
        f = fields[fac.name]
        vals = points[fac.name].to_numpy(dtype=float)
        bad = (vals < f.lo) | (vals > f.hi)
        if bad.any():
            raise ScenarioError(file, f"factors.{fac.name}", f"{int(bad.sum())} sampled values fall outside the "
                                f"parameter's range {f.lo:g} to {f.hi:g} (e.g. {vals[bad][0]:g}); narrow the "
                                "distribution or use truncnorm")
    return d


def _sensitivity_analysis(file: str, design: dict[str, Any], factors: dict[str, Any], outputs: list[str],
                          months: int) -> dict[str, Any]:
    """The analysis settings of a sensitivity experiment: the outputs analysed, bootstrap, level, time-resolved."""
    def defined(o: str) -> bool:  # outcome_<month> is NaN for every run past the horizon
        m = re.fullmatch(r"outcome_(\d+)", o)
        return m is None or int(m.group(1)) <= months

    if "analyze" in design:
        analyzed = list(design["analyze"])
        key = "design.analyze"
        for o in analyzed:
            if not isinstance(o, str):
                raise ScenarioError(file, key, f"expected names of outputs, got {o!r}")
    else:
        wanted = [o if defined(o) else "outcome_final" for o in DEFAULT_ANALYZED]
        analyzed = [o for o in dict.fromkeys(wanted) if o in outputs] or [o for o in outputs if defined(o)]
        key = "outputs"
    for o in analyzed:
        if o not in outputs:
            raise ScenarioError(file, key, f"output {o!r} is not among the outputs kept ({', '.join(outputs)})")
        if not defined(o) and "months" not in factors:
            raise ScenarioError(file, key, f"output {o!r} is undefined for a {months}-month horizon; analyse "
                                "outcome_final or an earlier month")
    if not analyzed:
        raise ScenarioError(file, "outputs", "no output to analyse is defined for this horizon")
    bootstrap = design.get("bootstrap", 500)
    if not 2 <= bootstrap <= MAX_BOOTSTRAP:
        raise ScenarioError(file, "design.bootstrap", f"expected from 2 to {MAX_BOOTSTRAP:,} resamples, got "
                            f"{bootstrap!r}")
    conf = design.get("conf_level", 0.95)
    if not 0 < conf < 1:
        raise ScenarioError(file, "design.conf_level", f"expected a value between 0 and 1, got {conf!r}")
    time_resolved = bool(design.get("time_resolved", False))
    if time_resolved:
        if "months" in factors:
            raise ScenarioError(file, "design.time_resolved", "needs a fixed horizon; months is a factor here")
        missing = [c for y, c in YEARLY_OUTCOMES if 12 * y <= months and c not in outputs]
        if missing:
            raise ScenarioError(file, "outputs", f"time-resolved indices need the outcome at the end of each year: "
                                f"add {', '.join(missing)} to outputs")
    analysis = {"analyze": list(analyzed), "bootstrap": int(bootstrap), "conf_level": float(conf),
                "time_resolved": time_resolved}
    return analysis


def _float_field(f: Field) -> Field:
    """``f`` without its whole-number rule (bounds of an integer factor may be any number in range)."""
    return dataclasses.replace(f, integer=False)
