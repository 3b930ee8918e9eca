"""Scenario discovery: where in a sweep's inputs an outcome condition holds, found with PRIM.

PRIM, the patient rule induction method (Friedman and Fisher 1999), starts from the box that
holds every run and peels it, one input's edge at a time: at each step it tries, for every input,
removing the ``peel_alpha`` share of the box's runs at the low end and at the high end of that
input, and keeps the peel after which the condition holds in the largest share of the runs left.
Each step is a box: its *coverage* (of the runs where the condition holds, the share inside it),
*density* (of the runs inside it, the share where the condition holds) and *mass* (of all runs,
the share inside it).  This module peels (:func:`_peel`), chooses a box on the trajectory
(:func:`_choose`), tests each restriction (:func:`quasi_p`), words the answer and writes the tables.

The peeling is cisim's own, in numpy, not a library's:

* The standalone ``prim`` package is GPL-3.0 (cisim is MIT) and fails under pandas 3 (its limits
  crash, its quasi-p-values truncate the counts and its peeling is recursive); EMA Workbench's
  PRIM (BSD-3) imports the GPL-3.0 ``platypus-opt`` with it, takes seconds to import and pulls in
  statsmodels, seaborn and scikit-learn.
* The peel of an input with many values removes the runs beyond the ``peel_alpha`` quantile of its
  values in the box (numpy's linear interpolation), and that quantile is the new limit; a discrete
  input (:func:`_discrete`: whole numbers only, or few levels) loses whole levels, the fewest
  end levels that hold at least the ``peel_alpha`` share, and its new limit is the next level.  A
  peel that would remove no run, or every run, is not tried.  The chosen peel has the highest
  density; of equal ones, the one removing fewest runs, then the first input, the low end first.
  Peeling stops when the chosen peel would leave less than ``mass_min`` of all runs, or when no
  peel is left.  Limits are inclusive (:func:`inside`), so the limits recorded at a step hold
  exactly the runs counted in it.
* No pasting: Friedman and Fisher's pasting (and EMA Workbench's) widens the chosen box again
  where that raises its density; it is optional in both and left out here, so every box reported
  is a step of the peeling trajectory.
* The quasi-p-value of a restriction is one binomial test per restricted input, against the box
  without the whole restriction (Bryant and Lempert 2010), on the limits as printed
  (:func:`quasi_p`).

Results come from a sweep's folder (``cisim sweep --out``), a calibration's folder
(``metadata.json`` with ``"kind": "calibration"`` and ``"parameters"``, and
``evaluations.parquet``) or a table file (:func:`read_results`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cisim.experiments.labels import label
from cisim.model.formats import percent
from cisim.model.scenario import ScenarioError, _suggest

DEFAULT_PEEL_ALPHA = 0.05
#: The smallest box PRIM peels to, as a share of all runs.
MASS_MIN = 0.05
#: The shares of the box a peel may remove (Friedman and Fisher suggest 0.05 to 0.1): below 0.01 the trajectory
#: takes hundreds of steps of a few runs each, above 0.4 PRIM is no longer patient.
PEEL_ALPHA_RANGE = (0.01, 0.4)
METHOD = "PRIM (Friedman and Fisher 1999)"
#: Fewer usable runs than this leave PRIM nothing to peel.
MIN_ROWS = 20
#: A quasi-p-value below this marks a restriction as one that matters.
SIGNIFICANT = 0.05
#: A factor with at most this many distinct values (or whole numbers only) is discrete: its limits are
#: levels that occur in the data, not quantiles between them.
DISCRETE_LEVELS = 25
KNEE, THRESHOLD = "knee", "threshold"
EXAMPLE = 'for example "outcome_60 > 0.7"'


class DiscoveryError(ScenarioError):
    """Input that scenario discovery cannot use: names the option (``--where``, ``--inputs``, ...) and what it
    expected, so that the command line prints it as one line and exits with status 2."""

    def __init__(self, option: str, message: str):
        super().__init__(option, None, message)
        self.option = option


# ---------------------------------------------------------------- reading results

@dataclass
class ResultsTable:
    """The runs to search and what they are: one row per run, the inputs among its columns."""

    rows: pd.DataFrame
    inputs: list[str]
    source: dict[str, Any]  # path, kind (sweep, calibration, table), runs read, runs that failed


def _check_inputs(wanted: Sequence[str], allowed: Sequence[str], columns: Iterable[str], what: str) -> list[str]:
    """``wanted`` in order, each a column and one of ``allowed``, or a DiscoveryError naming ``--inputs``."""
    columns = set(columns)
    for name in wanted:
        if name not in allowed:
            raise DiscoveryError("--inputs", f"'{name}' is not one of {what}{_suggest(name, allowed)} "
                                             f"(expected some of: {', '.join(allowed)})")
        if name not in columns:
            raise DiscoveryError("--inputs", f"'{name}' is not a column of the runs{_suggest(name, columns)}")
    return list(dict.fromkeys(wanted))


def read_results(results: str | Path, inputs: Sequence[str] | None = None) -> ResultsTable:
    """The runs of ``results`` and the inputs to search over.

    ``results`` is a sweep's folder (the inputs are its factors), a calibration's folder (the inputs
    are ``metadata["parameters"]``) or a ``.csv`` / ``.parquet`` table (``inputs`` required).  A
    given ``inputs`` narrows the folder's inputs.  Runs whose ``status`` is ``"error"`` are left
    out and counted in ``source``.
    """
    path = Path(results)
    wanted = list(inputs) if inputs else None
    if path.is_dir():
        meta_file = path / "metadata.json"
        if not meta_file.is_file():
            raise DiscoveryError(str(path), "expected the folder of a sweep ('cisim sweep --out') or of a calibration, "
                                            "with metadata.json inside, or a .csv or .parquet table")
        try:
            metadata = json.loads(meta_file.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DiscoveryError(str(meta_file), f"cannot read it as JSON ({exc.msg}, line {exc.lineno})") from None
        kind = metadata.get("kind") if isinstance(metadata, dict) else None
        if kind == "sweep":
            if not (path / "runs").is_dir():
                raise DiscoveryError(str(path), "expected a finished sweep's folder, with a runs/ dataset inside")
            from cisim.experiments.chunks import ChunkError
            from cisim.experiments.sweep import load_results  # loads the kernel's modules: only for a sweep

            try:
                table = load_results(path, complete=True)
            except ChunkError as exc:
                raise DiscoveryError(str(path), f"its runs do not match the sweep's plan: {_relative(exc.path, path)}: "
                                               f"{exc.reason}") from None
            declared = _sweep_factors(metadata)
            what = "the sweep's factors"
        elif kind == "calibration":
            evaluations = path / "evaluations.parquet"
            if not evaluations.is_file():
                raise DiscoveryError(str(path), "expected evaluations.parquet beside the calibration's metadata.json")
            table = _read_table(evaluations)
            _check_evaluations(path, metadata, table)
            declared = [p if isinstance(p, str) else str(p.get("name") or p.get("path"))
                        for p in metadata.get("parameters", [])]
            what = "the calibration's parameters"
        else:
            raise DiscoveryError(str(meta_file), f"expected \"kind\": \"sweep\" or \"calibration\", got {kind!r}")
        if not declared:
            raise DiscoveryError(str(meta_file), f"names no inputs ({what})")
        chosen = _check_inputs(wanted, declared, table.columns, what) if wanted else declared
        missing = [c for c in chosen if c not in table.columns]
        if missing:
            raise DiscoveryError(str(path), f"its runs have no column {', '.join(map(repr, missing))} "
                                            f"although metadata.json names {'it' if len(missing) == 1 else 'them'}")
    elif path.suffix.lower() in (".csv", ".parquet"):
        if not path.is_file():
            raise DiscoveryError(str(path), "no such file")
        kind = "table"
        table = _read_table(path)
        if not wanted:
            raise DiscoveryError("--inputs", "expected the input columns of a table file, comma-separated "
                                             f"(columns: {', '.join(map(str, table.columns))})")
        chosen = _check_inputs(wanted, [str(c) for c in table.columns], table.columns, "the table's columns")
    else:
        raise DiscoveryError(str(path), "expected the folder of a sweep or a calibration, or a .csv or .parquet table"
                                        + ("" if path.exists() else " (it does not exist)"))
    if table.empty:
        raise DiscoveryError(str(path), "holds no runs")
    source: dict[str, Any] = {"path": str(path), "kind": kind, "runs": len(table), "runs_failed": 0}
    if "status" in table.columns:
        from cisim.experiments.sweep import STATUS_ERROR

        failed = (table["status"] == STATUS_ERROR).fillna(False).to_numpy(dtype=bool)
        source["runs_failed"] = int(failed.sum())
        table = table.loc[~failed].reset_index(drop=True)
        if table.empty:
            raise DiscoveryError(str(path), f"holds no run without an error ({source['runs_failed']} failed)")
    return ResultsTable(table, chosen, source)


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).relative_to(root))
    except ValueError:
        return str(path)


def _check_evaluations(path: Path, metadata: dict[str, Any], table: pd.DataFrame) -> None:
    """A calibration's evaluations must be the finished calibration's, unchanged since it wrote them."""
    from cisim.experiments.chunks import digest

    if metadata.get("finished") is None:
        raise DiscoveryError(str(path), "the calibration has not finished; finish it with the same "
                                        "'cisim calibrate' command and --resume")
    wanted = metadata.get("evaluations_sha256")
    if wanted is not None and digest(table) != wanted:
        raise DiscoveryError(str(path / "evaluations.parquet"), "does not match its checksum in metadata.json "
                                                                 "(changed after the calibration wrote it)")


def _read_table(path: Path) -> pd.DataFrame:
    """A CSV or Parquet table; one that cannot be read is a DiscoveryError naming the file."""
    try:
        return pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        raise DiscoveryError(str(path), f"cannot read it as a table: {' '.join(str(exc).split())}") from None


def _sweep_factors(metadata: dict[str, Any]) -> list[str]:
    """The factors of a sweep: its experiment's, else the columns between the run columns and ``status``."""
    from cisim.experiments.experiment import RUN_COLUMNS

    factors = (metadata.get("experiment") or {}).get("factors")
    if isinstance(factors, dict):
        return list(factors)
    if isinstance(factors, list) and factors:
        return [str(f) for f in factors]
    columns = list(metadata.get("columns") or [])
    end = columns.index("status") if "status" in columns else len(columns)
    return [c for c in columns[:end] if c not in RUN_COLUMNS]


# ---------------------------------------------------------------- the condition

_QUOTED = re.compile(r"(\"[^\"]*\"|'[^']*'|`[^`]*`)")
_UNDEFINED = re.compile(r"name '(.+?)' is not defined")


def quote_names(expression: str, columns: Iterable[Any]) -> str:
    """``expression`` with backticks around the column names that are not Python names (dotted paths).

    pandas reads ``backbone.budget_share`` as an attribute of ``backbone``; a whole column name,
    not part of a longer name and not inside quotes or backticks already, is quoted instead.
    """
    names = sorted({c for c in columns if isinstance(c, str) and not c.isidentifier()}, key=len, reverse=True)
    if not names:
        return expression
    pattern = re.compile(r"(?<![\w.`])(" + "|".join(map(re.escape, names)) + r")(?![\w.`])")
    parts = _QUOTED.split(expression)
    return "".join(p if k % 2 else pattern.sub(r"`\1`", p) for k, p in enumerate(parts))


def evaluate(table: pd.DataFrame, expression: str) -> tuple[np.ndarray, int]:
    """Whether the condition holds in each row, and in how many rows it was missing (counted as not holding).

    ``expression`` is a pandas expression over the columns (``DataFrame.eval``); dotted column
    names need no backticks (:func:`quote_names`).  Anything but a true or false per row, or a
    condition that holds in every row or in none, is a DiscoveryError naming ``--where``.
    """
    text = expression.strip()
    if not text:
        raise DiscoveryError("--where", f"expected a condition on the runs' columns, {EXAMPLE}")
    try:
        value = table.eval(quote_names(text, table.columns), local_dict={}, global_dict={})
    except NameError as exc:  # pandas' UndefinedVariableError
        found = _UNDEFINED.search(str(exc))
        name = found.group(1) if found else str(exc)
        raise DiscoveryError("--where", f"no column '{name}' in the runs{_suggest(name, map(str, table.columns))} "
                                        f"(expected a condition on the columns, {EXAMPLE})") from None
    except SyntaxError as exc:
        raise DiscoveryError("--where", f"cannot read {text!r} ({exc.msg}); expected a condition on the columns, "
                                        f"{EXAMPLE}") from None
    except Exception as exc:  # pandas raises many kinds: each means an expression it cannot evaluate
        detail = " ".join(str(exc).split()) or type(exc).__name__
        raise DiscoveryError("--where", f"cannot evaluate {text!r}: {detail}; expected a condition on the columns, "
                                        f"{EXAMPLE}") from None
    if isinstance(value, pd.DataFrame):
        raise DiscoveryError("--where", f"{text!r} gives a table, not a condition (use == to compare); "
                                        f"expected true or false for each run, {EXAMPLE}")
    values = value.array if isinstance(value, pd.Series) else value
    if np.ndim(values) == 0 or len(values) != len(table):
        raise DiscoveryError("--where", f"{text!r} gives one value, not one per run; expected a condition on the "
                                        f"runs' columns, {EXAMPLE}")
    dtype = getattr(values, "dtype", None)
    if not pd.api.types.is_bool_dtype(dtype):
        raise DiscoveryError("--where", f"{text!r} gives {dtype} values, not true or false; expected a condition, "
                                        "such as a comparison (coalition_alive_final == 1, outcome_60 > 0.7)")
    holds = pd.array(values, dtype="boolean")
    missing = int(holds.isna().sum())
    hits = holds.fillna(False).to_numpy(dtype=bool)
    n_hits = int(hits.sum())
    if n_hits == 0 or n_hits == len(hits):
        raise DiscoveryError("--where", f"{text!r} holds in {'none' if n_hits == 0 else 'every one'} of the "
                                        f"{len(hits)} runs; expected a condition that holds in some runs and not in "
                                        "others")
    return hits, missing


# ---------------------------------------------------------------- boxes

def inside(x: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Which rows of ``x`` (runs x inputs) lie in the box ``[low, high]``, edges included (as PRIM's)."""
    return np.all((x >= low) & (x <= high), axis=1)


def quasi_p(x: np.ndarray, hits: np.ndarray, low: np.ndarray, high: np.ndarray, j: int) -> float:
    """PRIM's quasi-p-value of the restriction on input ``j`` (after Bryant and Lempert 2010).

    A one-sided binomial test: the chance of at least as many runs where the condition holds among
    the box's runs, were each to hold with the density of the box without the restriction on ``j``
    (both its limits dropped).  Small: the restriction picks out runs where the condition holds more
    often, not by chance.  The runs are counted exactly, not as a truncated ``mass * runs``, and a
    two-sided restriction gets one value, not one per limit.
    """
    from scipy.special import bdtrc  # binom.sf without importing scipy.stats (a second or more at start-up)

    box = inside(x, low, high)
    wider_low, wider_high = low.copy(), high.copy()
    wider_low[j], wider_high[j] = -np.inf, np.inf
    wider = inside(x, wider_low, wider_high)
    n_box, hits_box = int(box.sum()), int(hits[box].sum())
    density = hits[wider].sum() / wider.sum()
    return float(bdtrc(hits_box - 1, n_box, density))  # P(at least hits_box of n_box), each with that density


def _discrete(values: np.ndarray) -> bool:
    levels = np.unique(values)
    return len(levels) <= DISCRETE_LEVELS or bool(np.all(levels == np.round(levels)))


def _snap(values: np.ndarray, low: float, high: float) -> tuple[float, float]:
    """A discrete input's limits as the levels of the data inside them (the same runs, in the values people chose)."""
    levels = np.unique(values)
    within = levels[(levels >= low) & (levels <= high)]
    return (float(within[0]), float(within[-1])) if len(within) else (low, high)


@dataclass
class Discovery:
    """PRIM's answer: the peeling trajectory, the box chosen on it, and each restriction's limits and quasi-p."""

    expression: str
    evaluated: str  # the expression as pandas read it (dotted names in backticks)
    inputs: list[str]
    runs: int
    hits: int
    trajectory: pd.DataFrame  # a row per step: coverage, density, mass, runs, hits, limits, restricted dims
    box: pd.DataFrame  # a row per input: limits, its range in the data, restricted, quasi_p
    step: int
    rule: str  # KNEE or THRESHOLD
    threshold: float | None
    peel_alpha: float
    mass_min: float = MASS_MIN
    missing: int = 0  # runs where the condition was missing (NaN), counted as not holding
    incomplete: int = 0  # runs left out for a missing input value
    left_out: dict[str, str] = field(default_factory=dict)  # inputs not searched, and why

    @property
    def base_rate(self) -> float:
        return self.hits / self.runs

    @property
    def chosen(self) -> pd.Series:
        return self.trajectory.iloc[self.step]

    @property
    def coverage(self) -> float:
        return float(self.chosen["coverage"])

    @property
    def density(self) -> float:
        return float(self.chosen["density"])

    @property
    def mass(self) -> float:
        return float(self.chosen["mass"])

    @property
    def restricted(self) -> pd.DataFrame:
        """The chosen box's restricted inputs, most significant first."""
        return self.box[self.box["restricted"]]

    def rule_text(self) -> str:
        """How the box was chosen, in words."""
        if self.rule == THRESHOLD:
            return (f"the widest box (highest coverage) with a density of {percent(self.threshold, 0)} or more "
                    "(--threshold)")
        return ("the knee of the trajectory, where the harmonic mean of coverage and density is highest "
                "(--threshold D chooses the widest box with density D or more)")

    def conditions_text(self) -> str:
        """The restrictions in words: "backbone's share of the budget is 0.08 to 0.20 and trust ... is below 0.45"."""
        parts = [_restriction_text(r) for r in self.restricted.itertuples()]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]

    def sentence(self) -> str:
        """The answer in one plain sentence."""
        cond = self.expression.strip()
        if self.restricted.empty:
            return (f"PRIM found no region of the inputs where {cond} holds more often than in all runs "
                    f"({percent(self.base_rate, 0)}): the chosen box restricts no input.")
        return (f"In {percent(self.density, 0)} of the runs where {self.conditions_text()} "
                f"({percent(self.mass, 0)} of all runs), {cond} holds, against {percent(self.base_rate, 0)} of all "
                f"runs; the box holds {percent(self.coverage, 0)} of the runs where it holds.")

    def method_text(self) -> str:
        """How the boxes were found, in one line: the method, its options and whose implementation."""
        return (f"{METHOD}, peel_alpha {self.peel_alpha:g}, mass_min {self.mass_min:g}: the peeling trajectory, "
                "no pasting (cisim's own implementation)")

    def to_record(self) -> dict[str, Any]:
        """The answer as plain data, for the JSON record and ``--json``."""
        box = [{k: (None if v is pd.NA else v) for k, v in row.items()} for row in self.box.to_dict(orient="records")]
        return {
            "method": self.method_text(),
            "expression": self.expression,
            "expression_evaluated": self.evaluated,
            "inputs": self.inputs,
            "inputs_left_out": self.left_out,
            "runs": self.runs,
            "runs_left_out_for_missing_inputs": self.incomplete,
            "runs_where_it_holds": self.hits,
            "runs_where_it_is_missing": self.missing,
            "base_rate": self.base_rate,
            "options": {"rule": self.rule, "threshold": self.threshold, "peel_alpha": self.peel_alpha,
                        "mass_min": self.mass_min},
            "chosen_step": self.step,
            "steps": len(self.trajectory),
            "box": {"coverage": self.coverage, "density": self.density, "mass": self.mass,
                    "runs": int(self.chosen["runs"]), "runs_where_it_holds": int(self.chosen["hits"]),
                    "limits": box},
            "sentence": self.sentence(),
        }


def _value(x: float, span: float, discrete: bool) -> str:
    """A limit in as many digits as the factor's range calls for: ``0.20`` on [0, 1], ``35`` on [10, 60]."""
    if discrete:
        return str(int(x)) if x == int(x) else f"{x:g}"
    digits = 2 if span <= 0 else min(6, max(0, 2 - round(math.log10(span))))
    return f"{x:.{digits}f}"


def _name(path: str) -> str:
    """A parameter's label in a sentence ("backbone's share of the budget"); a bare column name as itself."""
    text = label(path)
    return text[0].lower() + text[1:] if text != path and text[1:2].islower() else text


def _restriction_text(r) -> str:
    span = r.max - r.min
    lo, hi = _value(r.low, span, r.discrete), _value(r.high, span, r.discrete)
    name = _name(r.factor)
    low_cut, high_cut = r.low > r.min, r.high < r.max
    if low_cut and high_cut:
        return f"{name} is {lo}" if lo == hi else f"{name} is {lo} to {hi}"
    if low_cut:
        return f"{name} is {'at least' if r.discrete else 'above'} {lo}"
    return f"{name} is {'at most' if r.discrete else 'below'} {hi}"


def limits_text(row: pd.Series | Any, which: str) -> str:
    """``low`` or ``high`` of a box row, or ``min`` / ``max`` of its range, written as the sentence writes it."""
    r = row if isinstance(row, pd.Series) else pd.Series(row._asdict())
    return _value(float(r[which]), float(r["max"] - r["min"]), bool(r["discrete"]))


def quasi_p_text(p: float) -> str:
    """A quasi-p-value in two digits: ``0.31``, ``0.0042``, ``7e-167``."""
    if p != p:
        return ""
    return f"{p:.2g}" if p >= 1e-3 else f"{p:.0e}".replace("e-0", "e-")


def record(result: Discovery, table: ResultsTable, command: str | None = None,
           files: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON record written beside the figures: what was read, the expression, the options, the answer, versions."""
    from datetime import UTC, datetime
    from importlib import metadata as ilm

    from cisim.experiments import metadata as meta

    versions = meta.package_versions()
    try:  # the quasi-p-values' binomial distribution; the peeling is cisim's own
        versions["scipy"] = ilm.version("scipy")
    except ilm.PackageNotFoundError:
        versions["scipy"] = None
    return {"kind": "discovery", "results": table.source, **result.to_record(),
            "command": command if command is not None else meta.command_line(),
            "created": datetime.now(UTC).isoformat(timespec="seconds"), "versions": versions,
            "source_revision": meta.source_revision(), "files": {k: str(v) for k, v in (files or {}).items()}}


def _choose(trajectory: pd.DataFrame, threshold: float | None) -> tuple[int, str]:
    """The chosen step: the knee (highest harmonic mean of coverage and density), or the widest box dense enough."""
    if threshold is None:
        return int(trajectory["f_score"].to_numpy().argmax()), KNEE
    dense = trajectory[trajectory["density"] >= threshold - 1e-12]
    if dense.empty:
        best = float(trajectory["density"].max())
        raise DiscoveryError("--threshold", f"no box on the peeling trajectory has a density of "
                                            f"{percent(threshold)}; the densest has {percent(best)}: expected a "
                                            "--threshold at most that, or none for the knee")
    order = dense.sort_values(["coverage", "restricted_dims", "step"], ascending=[False, True, True], kind="stable")
    return int(order["step"].iloc[0]), THRESHOLD


def discover(table: pd.DataFrame, where: str, inputs: Sequence[str], *, threshold: float | None = None,
             peel_alpha: float = DEFAULT_PEEL_ALPHA, mass_min: float = MASS_MIN) -> Discovery:
    """Find with PRIM the box of ``inputs`` where the condition ``where`` holds most.

    Args:
        table: a row per run, with the ``inputs`` and the columns ``where`` reads.
        where: a pandas expression true or false for each run (:func:`evaluate`).
        inputs: the numeric columns to search over; one with a single value is left out, with a note.
        threshold: the least density of the chosen box (the widest such box is chosen); None for the knee.
        peel_alpha: the share of the box's runs each peel removes.
        mass_min: the smallest box, as a share of all runs.
    """
    if threshold is not None and not 0 < threshold <= 1:
        raise DiscoveryError("--threshold", f"expected a share above 0 and at most 1 (the least density of the "
                                            f"chosen box), got {threshold}")
    lo_alpha, hi_alpha = PEEL_ALPHA_RANGE
    if not lo_alpha <= peel_alpha <= hi_alpha:
        raise DiscoveryError("--peel-alpha", f"expected a share from {lo_alpha} to {hi_alpha} of the box's runs "
                                             f"to peel at each step, got {peel_alpha}")
    inputs = list(dict.fromkeys(inputs))
    x = pd.DataFrame(index=table.index)
    for name in inputs:
        col = table[name]
        if not (pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col)):
            raise DiscoveryError("--inputs", f"'{name}' holds {col.dtype} values; expected numeric inputs")
        x[name] = pd.to_numeric(col, errors="coerce").astype("float64")
    complete = x.notna().all(axis=1).to_numpy()
    rows, x = table.loc[complete].reset_index(drop=True), x.loc[complete].reset_index(drop=True)
    left_out = {c: "one value in every run" for c in inputs if x[c].nunique() < 2}
    searched = [c for c in inputs if c not in left_out]
    if not searched:
        raise DiscoveryError("--inputs", f"every input ({', '.join(inputs)}) has one value in every run; "
                                         "expected inputs that vary")
    if len(rows) < MIN_ROWS:
        raise DiscoveryError("RESULTS", f"only {len(rows)} runs have a value for every input; PRIM needs "
                                        f"{MIN_ROWS} or more")
    hits, missing = evaluate(rows, where)
    trajectory = _peel(x[searched], hits, peel_alpha, mass_min)
    step, rule = _choose(trajectory, threshold)
    trajectory["chosen"] = trajectory["step"] == step
    return Discovery(expression=where.strip(), evaluated=quote_names(where.strip(), rows.columns), inputs=searched,
                     runs=len(rows), hits=int(hits.sum()), trajectory=trajectory,
                     box=_box_table(x[searched], hits, trajectory.iloc[step]), step=step, rule=rule,
                     threshold=threshold, peel_alpha=peel_alpha, mass_min=mass_min, missing=missing,
                     incomplete=int((~complete).sum()), left_out=left_out)


def _peel(x: pd.DataFrame, hits: np.ndarray, peel_alpha: float, mass_min: float) -> pd.DataFrame:
    """PRIM's peeling trajectory (see the module's docstring): a row per step with the limits of every input.

    Step 0 is the box of every run, its limits the inputs' ranges; each further step is the previous
    box with the best peel removed.  A loop, not a recursion: any ``peel_alpha`` and any number of
    steps.
    """
    names = list(x.columns)
    data = x.to_numpy(dtype="float64")
    y = np.asarray(hits, dtype=bool)
    n, total = len(y), int(y.sum())
    full_low, full_high = data.min(axis=0), data.max(axis=0)
    discrete = [_discrete(data[:, j]) for j in range(len(names))]
    levels = {j: np.unique(data[:, j]) for j in range(len(names)) if discrete[j]}
    low, high = full_low.copy(), full_high.copy()
    members = np.arange(n)  # the rows in the box
    rows = [_step_row(0, names, low, high, full_low, full_high, n, total, n, total)]
    while True:
        best = None  # (hits kept, runs kept, input, side, new limit, which of the members stay)
        in_box = y[members]
        for j in range(len(names)):
            for side, limit, keep in _peels(data[members, j], peel_alpha, discrete[j]):
                kept = int(keep.sum())
                if kept == 0 or kept == len(members):
                    continue
                kept_hits = int(in_box[keep].sum())
                # the higher density (compared exactly, in whole numbers), then the more runs kept; else the first
                if best is None or (kept_hits * best[1], kept) > (best[0] * kept, best[1]):
                    best = (kept_hits, kept, j, side, limit, keep)
        if best is None or best[1] / n < mass_min:
            break
        kept_hits, kept, j, side, limit, keep = best
        members = members[keep]
        if side == "low":
            low[j] = limit
        else:
            high[j] = limit
        if discrete[j]:  # a level already; snapped all the same, so that a discrete limit is always one
            low[j], high[j] = _snap(levels[j], low[j], high[j])
        rows.append(_step_row(len(rows), names, low, high, full_low, full_high, kept, kept_hits, n, total))
    return pd.DataFrame(rows)


def _peels(values: np.ndarray, alpha: float, discrete: bool):
    """The peels of one input in the box, low end and high end: ``("low" or "high", new limit, runs that stay)``.

    ``values`` are the input's values in the box's runs.  A continuous input's new limit is the
    ``alpha`` (or ``1 - alpha``) quantile of them; a discrete one's is the first level left after
    removing the fewest end levels that hold at least the ``alpha`` share of the runs, and there is
    no such peel when that would remove every level.  The caller skips a peel that removes no run.
    """
    if not discrete:
        q_low, q_high = np.quantile(values, [alpha, 1 - alpha])
        yield "low", float(q_low), values >= q_low
        yield "high", float(q_high), values <= q_high
        return
    levels, counts = np.unique(values, return_counts=True)
    need = alpha * len(values) * (1 - 1e-12)  # at least alpha of the runs, whatever the rounding of alpha * runs
    m = int(np.searchsorted(np.cumsum(counts), need, side="left"))  # levels[: m + 1] hold at least that
    if m + 1 < len(levels):
        yield "low", float(levels[m + 1]), values >= levels[m + 1]
    m = int(np.searchsorted(np.cumsum(counts[::-1]), need, side="left"))
    if m + 1 < len(levels):
        yield "high", float(levels[-m - 2]), values <= levels[-m - 2]


def _step_row(step: int, names: list[str], low: np.ndarray, high: np.ndarray, full_low: np.ndarray,
              full_high: np.ndarray, runs: int, hits: int, n: int, total: int) -> dict[str, Any]:
    """One step of the trajectory: its coverage, density, mass, counts, restricted inputs and limits."""
    restricted = [name for j, name in enumerate(names) if low[j] > full_low[j] or high[j] < full_high[j]]
    coverage, density = hits / total, hits / runs
    row = {"step": step, "coverage": coverage, "density": density, "mass": runs / n, "runs": runs, "hits": hits,
           "f_score": 2 * coverage * density / (coverage + density) if hits else 0.0,
           "restricted_dims": len(restricted), "restricted": ", ".join(restricted)}
    for j, name in enumerate(names):
        row[f"{name} low"], row[f"{name} high"] = float(low[j]), float(high[j])
    return row


def _box_table(x: pd.DataFrame, hits: np.ndarray, step: pd.Series) -> pd.DataFrame:
    """Per input, the chosen box's limits against its range in the data, and each restriction's quasi-p."""
    names = list(x.columns)
    data = x.to_numpy(dtype=float)
    low = np.array([step[f"{c} low"] for c in names], dtype=float)
    high = np.array([step[f"{c} high"] for c in names], dtype=float)
    rows = []
    for j, name in enumerate(names):
        lo_data, hi_data = float(data[:, j].min()), float(data[:, j].max())
        restricted = bool(low[j] > lo_data or high[j] < hi_data)
        span = hi_data - lo_data
        rows.append({"factor": name, "label": label(name), "low": low[j], "high": high[j], "min": lo_data,
                     "max": hi_data, "restricted": restricted,
                     "low_share": (low[j] - lo_data) / span, "high_share": (high[j] - lo_data) / span,
                     "quasi_p": quasi_p(data, hits, low, high, j) if restricted else float("nan"),
                     "significant": None, "discrete": _discrete(data[:, j])})
    table = pd.DataFrame(rows)
    table["significant"] = pd.array([bool(p < SIGNIFICANT) if r else None
                                     for p, r in zip(table["quasi_p"], table["restricted"])], dtype="boolean")
    table["_order"] = np.where(table["restricted"], table["quasi_p"].fillna(1.0), 2.0)
    return table.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


__all__ = ["DEFAULT_PEEL_ALPHA", "Discovery", "DiscoveryError", "ResultsTable", "discover", "evaluate", "inside",
           "limits_text", "quasi_p", "quasi_p_text", "quote_names", "read_results", "record"]
