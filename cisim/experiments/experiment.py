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
  gives ``low`` and ``high`` (and ``integer = true`` to round; integer parameters such as
  ``coalition.size`` are always rounded).  The hypercube is drawn with
  ``scipy.stats.qmc.LatinHypercube`` from ``np.random.default_rng([seed, 1])``.
* ``table``: the rows of a CSV file (``[design] file = "points.csv"``, relative to the
  experiment file) whose columns are dotted paths; no ``[factors]`` needed.

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

Every error is a ``ScenarioError`` naming the experiment file and key, as for scenario files.
Reading and checking a file needs neither numpy nor pandas, so that ``cisim validate`` answers at
once; they load when the design's points are drawn (``load_experiment(path, draw=False)`` only counts them).
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import hashlib
import itertools
import json
import math
import re
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
    field_for,
    load,
    read_toml,
    resolve,
)
from cisim.model.schema import BY_PATH, MONTHS, Field

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "experiments"
TOP_KEYS = {
    "name": str, "description": str, "scenario": str, "seed": int, "replicates": int, "outputs": list,
    "common_seeds": bool, "changes": dict, "design": dict, "factors": dict, "uncertainty": str, "ensemble": str,
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
            "outputs": list(self.outputs), "changes": self.changes, "uncertainty": self.uncertainty,
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


def load_experiment(path: str | Path, draw: bool = True) -> Experiment:
    """Read and validate an experiment file.  Raises ``ScenarioError`` naming the file and key.

    With ``draw=False`` the design's points are counted, not drawn, without numpy, pandas, scipy or
    SALib (what ``cisim validate`` needs), and every check is still made: a sensitivity design with a
    norm or lognorm factor is sampled all the same, as only its sample says whether it stays in range.
    """
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
    uncertainty, ensemble, spread = _uncertainty(file, path, raw, draw)

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

    sa_design = None
    analysis: dict[str, Any] = {}
    points: pd.DataFrame | None = None
    if kind in SENSITIVITY_KINDS:
        sa_factors, sa_args, n_points = _sensitivity_factors(file, kind, design, factors, fields)
        if draw or any(f.dist in UNBOUNDED for f in sa_factors):
            sa_design = _sample_sensitivity(file, kind, sa_factors, sa_args, int(seed), fields)
        analysis = _sensitivity_analysis(file, design, factors, outputs, base.months)
        if draw:
            points = sa_design.points()
    elif kind == "grid":
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
        n_points = math.prod(len(v) for v in levels)
        if draw:
            import pandas as pd

            points = pd.DataFrame(list(itertools.product(*levels)), columns=list(factors))
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
        n_points = n
        if draw:
            points = _lhs_points(list(factors), lows, highs, ints, n, seed)
    else:
        if "file" not in design:
            raise ScenarioError(file, "design.file", "missing (a CSV file of points; columns are dotted paths)")
        table_path = (path.parent / design["file"]).resolve()
        columns = _read_table(file, table_path)
        if not columns or not len(next(iter(columns.values()))):
            raise ScenarioError(file, "design.file", f"{table_path} has no rows")
        table_fields = {}
        for c, vals in columns.items():
            key = f"design.file column {c}"
            f = table_fields[c] = _check_factor(file, key, base, c)
            for r, v in enumerate(vals):
                try:
                    _check_level(file, key, f, v)
                except ScenarioError as exc:
                    raise ScenarioError(file, f"{key}, row {r + 1}", str(exc).split(": ", 2)[-1]) from None
        factors = {c: {} for c in columns}
        n_points = len(next(iter(columns.values())))
        if draw:
            import numpy as np
            import pandas as pd

            points = pd.DataFrame({c: np.asarray(v, dtype=np.int64 if table_fields[c].integer else float)
                                   for c, v in columns.items()})
    if points is not None:
        import numpy as np

        points.insert(0, "point", np.arange(len(points)))

    if kind in SENSITIVITY_KINDS and raw.get("common_seeds"):
        raise ScenarioError(file, "common_seeds", "a sensitivity design derives a seed per point and replicate; "
                            "common seeds would correlate the points' noise (remove common_seeds)")
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
    )


def _uncertainty(file: str, path: Path, raw: dict[str, Any], draw: bool) -> tuple[str, str | None, Any]:
    """The file's ``uncertainty`` and ``ensemble`` keys, checked: the kind, the ensemble (a path beside the
    experiment file first, else a bundled name or a path from here) and, when drawing, the ``Uncertainty``
    (the ensemble read and its values checked; without drawing it is only found, with no numpy)."""
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

    name = given or un.DEFAULT_ENSEMBLE
    beside = [c for c in (path.parent / name, path.parent / f"{name}.csv") if given and c.is_file()]
    name = str(beside[0].resolve()) if beside else name
    try:
        un.find(name, where="ensemble")
        spread = un.resolve(kind, name, where=("uncertainty", "ensemble")) if draw else None
    except ScenarioError as exc:
        raise ScenarioError(file, "ensemble", f"{given or name!r}: {_after_file(exc)}") from None
    return kind, name, spread


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


#: Cells ``pandas.read_csv`` reads as missing or as booleans: a design table is read as pandas would.
_NA_CELLS = frozenset({"", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                       "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"})
_TRUE_CELLS, _FALSE_CELLS = frozenset({"True", "TRUE", "true"}), frozenset({"False", "FALSE", "false"})
_WHOLE_CELL = re.compile(r"[+-]?\d+")
_NUMBER_CELL = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity)", re.IGNORECASE)


def _cells(cells: list[str]) -> list:
    """One column's cells typed as ``pandas.read_csv`` types a column: all whole numbers; else numbers
    (NaN where missing); else all booleans; else the text (NaN where missing)."""
    text = [c.strip() for c in cells]
    missing = [t in _NA_CELLS for t in text]
    if not any(missing) and all(_WHOLE_CELL.fullmatch(t) for t in text):
        return [int(t) for t in text]
    if all(m or _NUMBER_CELL.fullmatch(t) for t, m in zip(text, missing)):
        return [math.nan if m else float(t) for t, m in zip(text, missing)]
    if not any(missing) and all(t in _TRUE_CELLS or t in _FALSE_CELLS for t in text):
        return [t in _TRUE_CELLS for t in text]
    return [math.nan if m else c for c, m in zip(cells, missing)]


def _read_table(file: str, path: Path) -> dict[str, list]:
    """The columns of a table design's CSV file (a header row of dotted paths), each typed by ``_cells``."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            rows = [(reader.line_num, r) for r in reader if r and (len(r) > 1 or r[0].strip())]
    except FileNotFoundError:
        raise ScenarioError(file, "design.file", f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ScenarioError(file, "design.file", f"cannot read {path}: {exc}") from None
    if not rows:
        raise ScenarioError(file, "design.file", f"cannot read {path}: no columns to parse from file")
    (_, header), body = rows[0], rows[1:]
    for c in header:
        if header.count(c) > 1:
            raise ScenarioError(file, "design.file", f"cannot read {path}: column {c!r} appears twice")
    for line, r in body:
        if len(r) != len(header):
            raise ScenarioError(file, "design.file", f"cannot read {path}: expected {len(header)} fields in "
                                f"line {line}, saw {len(r)}")
    return {c: _cells([r[j] for _, r in body]) for j, c in enumerate(header)}


def _sensitivity_factors(file: str, kind: str, design: dict[str, Any], factors: dict[str, Any],
                         fields: dict[str, Field]) -> tuple[list[Factor], dict[str, Any], int]:
    """A sensitivity design's factors, the other arguments of ``make_design`` and its number of points,
    all checked without sampling (see ``cisim.experiments.sensitivity``)."""
    n = design.get("n")
    if n is None:
        raise ScenarioError(file, "design.n", "missing (the base sample size: N for Sobol', a power of two; "
                            "trajectories for Morris; points per curve for eFAST; points for the others)")
    sa_factors = []
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
        integer = bool(f.integer or spec.get("integer", False))
        try:
            sa_factors.append(Factor(fpath, tuple(bounds), dist, integer))
        except ValueError as exc:
            raise ScenarioError(file, key, str(exc).replace(f"factor {fpath!r}", "").lstrip(" :")) from None
    options = {k: design[k] for k in ("scramble", "num_levels", "M", "S") if k in design}
    args = {"n": n, "second_order": bool(design.get("second_order", False)), "dummy": bool(design.get("dummy", True)),
            **options}
    try:
        _, n, checked, _ = check_design(sa_factors, kind, **args)
    except (ValueError, TypeError) as exc:
        raise ScenarioError(file, "design", str(exc)) from None
    return sa_factors, args, design_rows(kind, n, len(checked), args["second_order"])


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
    if bootstrap < 2:
        raise ScenarioError(file, "design.bootstrap", f"expected 2 or more resamples, got {bootstrap!r}")
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
