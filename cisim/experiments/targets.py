"""Targets files: the evidence a calibration fits the assumed parameters to, as data.

A targets file (TOML) says which runs make the statistics, which statistics are held to which ranges
and why, which parameters are fitted and their priors, and how the fit runs::

    name = "evidence"
    seed = 20261202
    replicates = 8                 # runs per parameter set in each role
    months = 120                   # horizon of every run

    [scenarios]
    treatment = "collective"       # comparison: the treatment's isolated form unless named
    withdrawn = "backbone-withdrawn"

    [parameters."trust.growth"]    # a prior: uniform over low..high, or log-uniform with scale = "log"
    low = 0.015
    high = 0.08
    scale = "log"

    [targets.E1]
    statistic = "relative_improvement"   # cisim.experiments.evidence_stats.KINDS
    month = 48
    low = 0.20                     # the range the evidence supports
    high = 0.35
    source = "Hawkins et al. 2008, 2009"

    [abc]                          # the fit (cisim.experiments.calibration); all optional
    population = 400

A prior without ``low`` and ``high`` is uniform over the parameter's whole range.  A parameter that is the
treatment itself (a condition, the backbone's money) cannot be fitted: its comparison sets it to zero.
Every error is a ``ScenarioError`` naming the file and the key.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cisim.experiments.evidence_stats import KINDS, ROLES, EvidenceSimulator, StatSpec, roles_of
from cisim.model.scenario import (
    BUNDLED_DIR,
    Scenario,
    ScenarioError,
    _suggest,
    check_inside,
    isolated_form,
    load,
    read_toml,
    resolve,
    tree_of,
)
from cisim.model.schema import BY_PATH, MONTHS

TOP_KEYS = {"name": str, "description": str, "seed": int, "replicates": int, "months": int, "scenarios": dict,
            "changes": dict, "parameters": dict, "targets": dict, "abc": dict}
PRIOR_KEYS = {"low": float, "high": float, "scale": str}
TARGET_KEYS = {"statistic": str, "low": float, "high": float, "source": str, "figure": str, "note": str}
ABC_KEYS = {"population": int, "generations": int, "quantile": float, "min_acceptance": float,
            "max_runs": int, "final_epsilon": float, "chunk_sets": int}
ABC_DEFAULTS = {"population": 400, "generations": 12, "quantile": 0.5, "min_acceptance": 0.01,
                "max_runs": 3_000_000, "final_epsilon": 0.0, "chunk_sets": 0}
#: Parameters a calibration may not fit: the treatment, which the comparison sets to zero.
TREATMENT_PREFIXES = ("conditions.", "backbone.budget_share", "backbone.extra_budget")
SCALES = ("linear", "log")
BUNDLED_TARGETS = BUNDLED_DIR.parent / "experiments" / "targets"


def _type_ok(value: Any, t: type) -> bool:
    if t is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if t is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, t)


def _keys(file, prefix: str, table: dict, allowed: dict[str, type]) -> None:
    names = {float: "a finite number", int: "a whole number", str: "a string", dict: "a table"}
    for k, v in table.items():
        if k not in allowed:
            raise ScenarioError(file, f"{prefix}{k}", f"unknown key{_suggest(k, allowed)} "
                                f"(allowed here: {', '.join(sorted(allowed))})")
        if not _type_ok(v, allowed[k]):
            raise ScenarioError(file, f"{prefix}{k}", f"expected {names[allowed[k]]}, got {v!r}")


@dataclass(frozen=True)
class Prior:
    """A fitted parameter's prior: uniform over ``low``..``high``, on a log scale if ``log``."""

    path: str
    low: float
    high: float
    log: bool = False

    def from_unit(self, u):
        """Parameter values at points ``u`` of the unit interval (the prior is uniform there)."""
        import numpy as np

        u = np.asarray(u, dtype=float)
        if self.log:
            return np.exp(np.log(self.low) + u * (np.log(self.high) - np.log(self.low)))
        return self.low + u * (self.high - self.low)

    def to_unit(self, x):
        import numpy as np

        x = np.asarray(x, dtype=float)
        if self.log:
            return (np.log(x) - np.log(self.low)) / (np.log(self.high) - np.log(self.low))
        return (x - self.low) / (self.high - self.low)


@dataclass(frozen=True)
class Target:
    """A figure from the evidence: a statistic of the runs and the range it should fall in."""

    name: str
    stat: StatSpec
    low: float
    high: float
    source: str = ""
    figure: str = ""
    note: str = ""

    @property
    def centre(self) -> float:
        return 0.5 * (self.low + self.high)

    @property
    def half_width(self) -> float:
        return 0.5 * (self.high - self.low)


@dataclass
class TargetsFile:
    """A parsed targets file: what a calibration fits, to what, and how."""

    path: Path
    name: str
    description: str
    seed: int
    replicates: int
    months: int
    scenarios: dict[str, Scenario]
    priors: list[Prior]
    targets: list[Target]
    abc: dict[str, Any]
    content: dict[str, Any] = field(repr=False, default_factory=dict)

    @property
    def parameters(self) -> list[str]:
        return [p.path for p in self.priors]

    def simulator(self) -> EvidenceSimulator:
        return EvidenceSimulator(tuple(self.scenarios.items()), tuple(self.parameters),
                                 tuple(t.stat for t in self.targets), self.replicates)

    def fingerprint(self) -> str:
        """Changes whenever anything that decides the calibration's numbers changes."""
        text = json.dumps(self.content, sort_keys=True, default=str)
        scen = json.dumps({r: sc.to_dict() if hasattr(sc, "to_dict") else repr(sc.values)
                           for r, sc in self.scenarios.items()}, sort_keys=True, default=str)
        return hashlib.sha256((text + scen).encode()).hexdigest()[:16]

    def to_record(self) -> dict[str, Any]:
        return {"file": str(self.path), "name": self.name, "fingerprint": self.fingerprint(),
                "content": self.content}


def resolve_targets(name_or_path: str | Path) -> Path:
    """A bundled targets file by name (``experiments/targets/``), or a path."""
    text = str(name_or_path)
    for c in (Path(text), Path(f"{text}.toml"), BUNDLED_TARGETS / f"{text}.toml", BUNDLED_TARGETS / text):
        if c.is_file():
            return c
    bundled = sorted(p.stem for p in BUNDLED_TARGETS.glob("*.toml")) if BUNDLED_TARGETS.is_dir() else []
    raise ScenarioError(text, None, f"no such targets file (bundled: {', '.join(bundled) or 'none'})")


def load_targets(name_or_path: str | Path, *, outside_paths: bool = False) -> TargetsFile:
    """Read and check a targets file.  The scenarios it names resolve beside it first, then among the bundled
    ones, and must lie in its folder (or below it) or among the bundled ones, unless ``outside_paths``."""
    path = resolve_targets(name_or_path)
    raw = read_toml(path)
    file = str(path)
    _keys(file, "", raw, TOP_KEYS)
    for key in ("seed", "replicates"):
        if key not in raw:
            raise ScenarioError(file, key, "missing (expected a whole number)")
    seed, replicates = raw["seed"], raw["replicates"]
    if not 0 <= seed < 2**63:
        raise ScenarioError(file, "seed", f"expected a whole number from 0 to 2**63 - 1, got {seed}")
    if not 1 <= replicates <= 1000:
        raise ScenarioError(file, "replicates", f"expected a whole number from 1 to 1000, got {replicates}")
    months = raw.get("months", 120)
    if not MONTHS.lo <= months <= MONTHS.hi:
        raise ScenarioError(file, "months", f"expected a whole number from {MONTHS.lo:g} to {MONTHS.hi:g}")

    # the roles' scenarios, each with the fixed changes and the horizon
    roles = raw.get("scenarios", {})
    _keys(file, "scenarios.", roles, {r: str for r in ROLES})
    if "treatment" not in roles:
        raise ScenarioError(file, "scenarios.treatment", "missing (expected a scenario name or path)")
    changes = dict(raw.get("changes", {}))
    changes["months"] = months
    scenarios: dict[str, Scenario] = {}
    tree = None if outside_paths else tree_of(path)
    for role, name in roles.items():
        try:
            spath = resolve(name, relative_to=path.parent)
            check_inside(file, f"scenarios.{role}", name, spath, tree)
            scenarios[role] = load(spath, tree=tree, outside_paths=outside_paths).replace(changes)
        except ScenarioError as exc:
            if exc.file == file:
                raise
            raise ScenarioError(file, f"scenarios.{role}", str(exc)) from None
    if "comparison" not in scenarios:
        scenarios["comparison"] = isolated_form(scenarios["treatment"])

    priors = []
    params = raw.get("parameters", {})
    if not params:
        raise ScenarioError(file, "parameters", "expected at least one [parameters.\"<dotted path>\"] table")
    for p, spec in params.items():
        key = f"parameters.{p}"
        if p not in BY_PATH:
            raise ScenarioError(file, key, f"expected a scalar parameter's dotted path{_suggest(p, BY_PATH)}")
        if p.startswith(TREATMENT_PREFIXES):
            raise ScenarioError(file, key, "is the treatment (the comparison sets it to zero): it cannot be fitted")
        if p in changes:
            raise ScenarioError(file, key, "is also fixed in [changes]: fit it or fix it, not both")
        if not isinstance(spec, dict):
            raise ScenarioError(file, key, "expected a table with low, high and scale")
        _keys(file, f"{key}.", spec, PRIOR_KEYS)
        f = BY_PATH[p]
        lo, hi = float(spec.get("low", f.lo)), float(spec.get("high", f.hi))
        scale = spec.get("scale", "linear")
        if scale not in SCALES:
            raise ScenarioError(file, f"{key}.scale", f"expected one of {', '.join(SCALES)}, got {scale!r}")
        if not f.lo <= lo < hi <= f.hi:
            raise ScenarioError(file, key, f"expected {f.lo:g} <= low < high <= {f.hi:g} ({f.unit}), "
                                f"got low {lo:g}, high {hi:g}")
        if scale == "log" and lo <= 0:
            raise ScenarioError(file, f"{key}.low", "expected a low above 0 on a log scale")
        priors.append(Prior(p, lo, hi, scale == "log"))

    targets = []
    table = raw.get("targets", {})
    if not table:
        raise ScenarioError(file, "targets", "expected at least one [targets.<name>] table")
    for name, spec in table.items():
        key = f"targets.{name}"
        if not isinstance(spec, dict):
            raise ScenarioError(file, key, "expected a table with statistic, low and high")
        kind = spec.get("statistic")
        if not isinstance(kind, str) or kind not in KINDS:
            raise ScenarioError(file, f"{key}.statistic", f"expected one of {', '.join(KINDS)}, got {kind!r}")
        k = KINDS[kind]
        _keys(file, f"{key}.", spec, {**TARGET_KEYS, **k.args})
        for a in k.args:
            if a not in spec and a not in k.defaults:
                raise ScenarioError(file, f"{key}.{a}", f"missing: the {kind} statistic needs it")
        for b in ("low", "high"):
            if b not in spec:
                raise ScenarioError(file, f"{key}.{b}", "missing (expected the range the evidence supports)")
        if not spec["low"] < spec["high"]:
            raise ScenarioError(file, key, f"expected low < high, got {spec['low']} and {spec['high']}")
        args = {**k.defaults, **{a: spec[a] for a in k.args if a in spec}}
        if "role" in args and args["role"] not in scenarios:
            raise ScenarioError(file, f"{key}.role", f"expected one of the roles {', '.join(scenarios)}")
        for role in roles_of(kind, args):
            if role not in scenarios:
                raise ScenarioError(file, key, f"the {kind} statistic reads the {role} role: name it in [scenarios]")
        last = k.months(args)
        if not 0 <= last <= months:
            which = next((a for a in ("month", "end", "last_year", "years", "start") if a in spec), None)
            raise ScenarioError(file, f"{key}.{which}" if which else key,
                                f"reads month {last}, outside the horizon (months = {months})")
        for a in ("start", "end", "month", "first_year", "years"):
            if a in args and args[a] < (1 if a in ("first_year", "years") else 0):
                raise ScenarioError(file, f"{key}.{a}", f"expected a whole number of 0 or more, got {args[a]}")
        stat = StatSpec(name, kind, tuple(sorted(args.items())))
        targets.append(Target(name, stat, float(spec["low"]), float(spec["high"]), spec.get("source", ""),
                              spec.get("figure", ""), spec.get("note", "")))
    used = {r for t in targets for r in roles_of(t.stat.kind, dict(t.stat.args))}
    scenarios = {r: sc for r, sc in scenarios.items() if r in used}

    abc = dict(ABC_DEFAULTS)
    spec = raw.get("abc", {})
    _keys(file, "abc.", spec, ABC_KEYS)
    abc.update(spec)
    checks = {"population": (2, 100_000), "generations": (1, 100), "quantile": (0.05, 0.95),
              "min_acceptance": (1e-6, 1.0), "max_runs": (1, 10**10), "final_epsilon": (0.0, 1e6),
              "chunk_sets": (0, 100_000)}
    for k, (lo, hi) in checks.items():
        if not lo <= abc[k] <= hi:
            raise ScenarioError(file, f"abc.{k}", f"expected a value from {lo:g} to {hi:g}, got {abc[k]!r}")
    return TargetsFile(path, raw.get("name", path.stem), raw.get("description", "").strip(), seed, replicates,
                       months, scenarios, priors, targets, abc, raw)
