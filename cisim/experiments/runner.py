"""Run many replicates (or many parameter rows) of a scenario at once.

``run_batch`` steps every run of a batch together in one ``World`` (the same
compiled processes the Mesa model uses), records every month's outputs, and returns
tidy tables.  Each run draws its numbers from its own ``np.random.default_rng(seed)``
and only reads its own row of the state arrays, so a run gives exactly the numbers
of ``CoalitionModel(scenario, rng=seed)``, whatever else shares its batch and
however the batch is split into chunks.  With ``uncertainty="parameters"`` a run also takes the
parameter set an ensemble gives its seed (``cisim.experiments.uncertainty``), which depends on nothing
else either.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cisim.experiments import metadata as meta
from cisim.experiments.batch import available_cores, batch_size_for, check_values, simulate
from cisim.experiments.ensemble import Ensemble
from cisim.experiments.outputs import SUMMARY_COLUMNS
from cisim.experiments.summary import summarize
from cisim.experiments.uncertainty import Uncertainty
from cisim.experiments.uncertainty import resolve as resolve_uncertainty
from cisim.model import layout as L
from cisim.model.scenario import ROWS, Scenario, ScenarioError, field_for, load
from cisim.model.schema import BY_PATH
from cisim.model.state import param_matrix

_OUTPUT_KINDS = ("summary", "steps", "both")


@dataclass
class RunGroup:
    """The runs of one scenario in a batch and their recorded months."""

    scenario: Scenario
    index: np.ndarray  # positions of these runs in the batch (row order of the input)
    seeds: np.ndarray
    out: np.ndarray  # (runs, months + 1, len(layout.OUTPUTS))
    steps_out: np.ndarray  # (runs, months + 1, 2 * domains): coverage per step, then drop-outs per step
    books: dict[str, np.ndarray]  # cumulative money per run at the end
    params: pd.DataFrame  # the changed parameters per run (may have no columns)

    @property
    def cov(self) -> np.ndarray:
        """Coverage per step, (runs, months + 1, domains): the share of the people wanting it in service."""
        return self.steps_out[:, :, : len(self.scenario.domains)]

    @property
    def drop(self) -> np.ndarray:
        """Drop-outs per step, (runs, months + 1, domains): people who gave up waiting there that month."""
        return self.steps_out[:, :, len(self.scenario.domains):]

    @property
    def months(self) -> int:
        return self.out.shape[1] - 1

    def series(self, name: str) -> np.ndarray:
        """One output over months, (runs, months + 1): a name in ``layout.OUTPUTS``, ``coverage_<domain>`` or
        ``dropped_<domain>``."""
        if name in L.OUTPUTS:
            return self.out[:, :, L.OUTPUTS.index(name)]
        if name in self.columns():
            return self.steps_out[:, :, self.columns().index(name) - L.N_OUTPUTS]
        raise KeyError(name)

    def columns(self) -> list[str]:
        names = self.scenario.domain_names
        return [*L.OUTPUTS, *(f"coverage_{d}" for d in names), *(f"dropped_{d}" for d in names)]


@dataclass
class BatchResult:
    """What ``run_batch`` returns.

    Attributes:
        summary: one row per run: scenario, run, seed, the changed parameters, summary outputs.
        steps: one row per run and month (or None if not asked for): scenario, run, seed,
            month, every output in ``layout.OUTPUTS``, ``coverage_<domain>`` and ``dropped_<domain>``.
        metadata: what was run, with which seeds and package versions.
        groups: the raw monthly arrays, one ``RunGroup`` per scenario.
    """

    summary: pd.DataFrame
    steps: pd.DataFrame | None
    metadata: dict[str, Any]
    groups: list[RunGroup] = field(repr=False)

    def _single(self) -> RunGroup:
        if len(self.groups) != 1:
            raise ValueError("this batch ran several scenarios; use .groups")
        return self.groups[0]

    @property
    def scenario(self) -> Scenario:
        return self._single().scenario

    @property
    def out(self) -> np.ndarray:
        """Every month's outputs, (runs, months + 1, len(layout.OUTPUTS)) (one-scenario batches)."""
        return self._single().out

    @property
    def cov(self) -> np.ndarray:
        """Every month's coverage per domain, (runs, months + 1, domains) (one-scenario batches)."""
        return self._single().cov

    @property
    def drop(self) -> np.ndarray:
        """Every month's drop-outs per step, (runs, months + 1, domains) (one-scenario batches)."""
        return self._single().drop

    @property
    def seeds(self) -> np.ndarray:
        return self.summary["seed"].to_numpy()

    def series(self, name: str) -> np.ndarray:
        """One output over months, (runs, months + 1) (one-scenario batches)."""
        return self._single().series(name)


# ---------------------------------------------------------------- inputs

def _show_progress(progress: bool | str) -> bool:
    if progress == "force":
        return True
    return bool(progress) and sys.stderr.isatty()


def _seed_list(seeds) -> np.ndarray:
    if isinstance(seeds, (int, np.integer)):
        raise TypeError(f"seeds must be a sequence of whole numbers (for example range({seeds})), got {seeds!r}")
    arr = np.asarray(list(seeds))
    if arr.ndim != 1 or len(arr) == 0:
        raise ValueError("seeds must be a non-empty sequence of whole numbers")
    if not np.issubdtype(arr.dtype, np.integer):
        if not np.all(np.mod(arr.astype(float), 1) == 0):
            raise ValueError(f"seeds must be whole numbers, got {arr[:5].tolist()}...")
        arr = arr.astype(np.int64)
    if (arr < 0).any():
        raise ValueError("seeds must be 0 or more")
    return arr.astype(np.int64)


def _check_column(scenario: Scenario, path: str, values: pd.Series) -> np.ndarray:
    numeric = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    check_values(field_for(scenario, path), path, numeric, shown=values.tolist())
    return numeric


def _prepare(scenario: Scenario, params: pd.DataFrame) -> tuple[Scenario, list[dict], pd.DataFrame]:
    """Per-run override dicts for ``param_matrix``; columns that cannot vary per run but are
    constant are applied to the scenario instead."""
    constant: dict[str, Any] = {}
    checked: dict[str, np.ndarray] = {}
    for path in params.columns:
        path = str(path)
        if field_for(scenario, path) is not None:
            checked[path] = _check_column(scenario, path, params[path])
            continue
        values = params[path].tolist()
        if any(v != values[0] for v in values[1:]):
            raise ScenarioError(ROWS, path, "cannot vary from run to run (only scalar parameters and "
                                "domains.<name>.<value> can); run each value as its own batch")
        constant[path] = values[0].item() if hasattr(values[0], "item") else values[0]
    if constant:
        scenario = scenario.replace(constant)
    n = len(params)
    rows = [{p: v[r] for p, v in checked.items()} for r in range(n)]
    table = pd.DataFrame({p: (v.astype(np.int64) if BY_PATH.get(p) is not None and BY_PATH[p].integer else v)
                          for p, v in checked.items()}, index=range(n))
    for p, v in constant.items():
        table[p] = [v] * n
    return scenario, rows, table


# ---------------------------------------------------------------- running

def _threads(threads: int | None) -> int:
    """Threads to step the runs on: all cores this process may use, unless told fewer."""
    available = available_cores()
    return available if threads is None else max(1, min(int(threads), available))


def _summary_frame(group: RunGroup) -> pd.DataFrame:
    target = group.scenario.get("problem.target")
    if "problem.target" in group.params:
        target = group.params["problem.target"].to_numpy(dtype=float)
    stats = summarize(group.out, target)
    head = pd.DataFrame({"scenario": group.scenario.name, "run": group.index, "seed": group.seeds})
    params = group.params.reset_index(drop=True)
    return pd.concat([head, params, pd.DataFrame({k: stats[k] for k in SUMMARY_COLUMNS})], axis=1)


def _steps_frame(group: RunGroup) -> pd.DataFrame:
    n, T1, _ = group.out.shape
    table = np.concatenate((group.out, group.steps_out), axis=2).reshape(n * T1, -1)
    head = pd.DataFrame({
        "scenario": np.repeat(np.array([group.scenario.name], dtype=object), n * T1),
        "run": np.repeat(group.index, T1),
        "seed": np.repeat(group.seeds, T1),
        "month": np.tile(np.arange(T1), n),
    })
    return pd.concat([head, pd.DataFrame(table, columns=group.columns())], axis=1)


def run_batch(what: str | Path | Scenario | pd.DataFrame, seeds: Sequence[int] | None = None,
              outputs: str = "summary", changes: dict[str, Any] | None = None, progress: bool | str = False, *,
              scenario: str | Path | Scenario | None = None, batch_size: int | None = None,
              command: str | None = None, threads: int | None = None, uncertainty: str | Uncertainty = "seeds",
              ensemble: str | Path | Ensemble | None = None) -> BatchResult:
    """Run one scenario for many seeds, or one run per row of a table of parameter values.

    Args:
        what: a bundled scenario name, a path to a scenario file, a ``Scenario``, or a DataFrame
            with one row per run whose columns are dotted parameter paths
            (``backbone.budget_share``, ``domains.transportation.extra_funding``), plus optionally
            a ``scenario`` column (name or path per row) and a ``seed`` column.
        seeds: one seed per run (``range(30)``); may be omitted when ``what`` has a ``seed`` column.
        outputs: ``"summary"`` (one row per run), ``"steps"`` or ``"both"`` (also one row per run and month).
        changes: values to change in the scenario for every run, by dotted path (validated).
        progress: show a progress bar when stderr is a terminal; ``"force"`` shows it always.
        scenario: the base scenario for a DataFrame without a ``scenario`` column.
        batch_size: runs per chunk (default: as many as fit in about 200 MB).
        command: command line for the metadata (default: this process's).
        threads: cores to step the runs on (default: all; 1 steps them one after another).
            The numbers do not depend on it.
        uncertainty: ``"seeds"`` (default: replicates differ in their seed only) or ``"parameters"``: each
            run also takes the parameter set the ensemble gives its seed, except for the parameters set on
            purpose (``changes`` and the parameter columns of a DataFrame), which keep their values.  The
            ensemble's values are columns of ``.summary`` like any changed parameter.
        ensemble: with ``"parameters"``, a bundled ensemble's name, a CSV path or an ``Ensemble``
            (default ``"evidence"``).

    Returns:
        A ``BatchResult`` with ``.summary``, ``.steps`` (if asked), ``.metadata`` and the raw arrays.

    Raises:
        ScenarioError: a scenario that does not load, a change or parameter value out of range, or an
            unknown uncertainty or ensemble.
    """
    if outputs not in _OUTPUT_KINDS:
        raise ValueError(f"outputs must be one of {', '.join(_OUTPUT_KINDS)}, got {outputs!r}")
    changes = dict(changes or {})
    spread = resolve_uncertainty(uncertainty, ensemble)

    # -- one (scenario, positions, parameter table) per scenario in the batch
    plan: list[tuple[Scenario, np.ndarray, pd.DataFrame]] = []
    if isinstance(what, pd.DataFrame):
        df = what.reset_index(drop=True)
        if seeds is None:
            if "seed" not in df:
                raise ValueError("give seeds, or a 'seed' column in the parameter rows")
            seeds = df["seed"].tolist()
        seed_arr = _seed_list(seeds)
        if len(seed_arr) != len(df):
            raise ValueError(f"expected one seed per parameter row ({len(df)}), got {len(seed_arr)}")
        params = df.drop(columns=[c for c in ("scenario", "seed") if c in df])
        if "scenario" in df:
            if scenario is not None:
                raise ValueError("give either a 'scenario' column or scenario=, not both")
            specs = df["scenario"].tolist()
            keys = [s if isinstance(s, (str, Path)) else id(s) for s in specs]
            first: dict[Any, int] = {}
            for r, k in enumerate(keys):
                first.setdefault(k, r)
            for k, r0 in first.items():
                idx = np.array([r for r, kk in enumerate(keys) if kk == k])
                plan.append((load(specs[r0]), idx, params.iloc[idx].reset_index(drop=True)))
        else:
            if scenario is None:
                raise ValueError("parameter rows need a 'scenario' column or scenario=")
            plan.append((load(scenario), np.arange(len(df)), params))
    else:
        if scenario is not None:
            raise ValueError("scenario= is only for a DataFrame of parameter rows")
        if seeds is None:
            raise ValueError("give seeds, for example range(30)")
        seed_arr = _seed_list(seeds)
        plan.append((load(what), np.arange(len(seed_arr)), pd.DataFrame(index=range(len(seed_arr)))))

    # -- each run's parameter set from the ensemble, where asked; what was set on purpose wins
    added: set[str] = set()
    kept: set[str] = set()
    if spread.parameters:
        for k, (base, idx, params) in enumerate(plan):
            keep = {*changes, *map(str, params.columns)}
            paths, values = spread.columns(seed_arr[idx], keep)
            params = params.copy()
            for j, path in enumerate(paths):
                params[path] = values[:, j]
            plan[k] = (base, idx, params)
            added.update(paths)
            kept.update(keep)

    # -- validate everything before running anything
    prepared = []
    for base, idx, params in plan:
        if changes:
            base = base.replace(changes)
        base, rows, table = _prepare(base, params)
        for path, value in changes.items():
            if path not in table:
                table[path] = [value] * len(idx)
        P, PD = param_matrix(base, rows)
        prepared.append((base, idx, table, P, PD))

    total = sum(len(idx) * base.months for base, idx, *_ in prepared)
    bar = None
    if _show_progress(progress):
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc="simulating", unit=" run-months", unit_scale=True, leave=False)
    groups = []
    try:
        for base, idx, table, P, PD in prepared:
            if bar is not None:
                bar.set_description(base.name)
            out, cov, books = simulate(base, P, PD, seed_arr[idx], batch_size, bar, threads=_threads(threads))
            groups.append(RunGroup(base, idx, seed_arr[idx], out, cov, books, table))
    finally:
        if bar is not None:
            bar.close()

    summary = pd.concat([_summary_frame(g) for g in groups], ignore_index=True)
    summary = summary.sort_values("run", kind="stable").reset_index(drop=True)
    steps = None
    if outputs in ("steps", "both"):
        steps = pd.concat([_steps_frame(g) for g in groups], ignore_index=True)
        steps = steps.sort_values(["run", "month"], kind="stable").reset_index(drop=True)
    param_columns = sorted({c for g in groups for c in g.params.columns} - added)
    record = meta.build(
        [g.scenario for g in groups], seed_arr.tolist(),
        replicates=len(seed_arr) if len(groups) == 1 and not param_columns else None,
        changes=changes, command=command, kind="batch", uncertainty=spread.record(kept),
        runs=len(seed_arr), parameter_columns=param_columns,
        batch_size=batch_size or min(batch_size_for(g.scenario, p[3]) for g, p in zip(groups, prepared)),
    )
    return BatchResult(summary=summary, steps=steps, metadata=record, groups=groups)
