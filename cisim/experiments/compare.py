"""Compare scenarios over replicates with common random numbers.

Every scenario runs the same seeds (``seed + 0 .. seed + R - 1``), so replicate k of
each scenario starts from the same organizations, budgets and starting trust, and
their difference is paired: the noise common to both cancels out.  For each
scenario we report the mean and 95% confidence interval (Student t) of every summary
output and of every monthly series; for each scenario after the first, the paired
difference from the first and the crossover month.

With ``uncertainty="parameters"`` replicate k of every scenario also takes the same parameter set
from an ensemble (chosen by its seed), so the intervals cover the calibrated parameters as well
as seed noise, and the differences stay paired.  Every table has an ``interval`` column saying
which (``cisim.experiments.uncertainty.interval_text``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cisim.experiments import metadata as meta
from cisim.experiments.ensemble import Ensemble
from cisim.experiments.intervals import mean_ci
from cisim.experiments.outputs import SUMMARY_COLUMNS
from cisim.experiments.runner import BatchResult, run_batch
from cisim.experiments.uncertainty import Uncertainty, interval_text
from cisim.experiments.uncertainty import resolve as resolve_uncertainty
from cisim.experiments.value import against
from cisim.model.scenario import Scenario, load


def crossover_month(diff: np.ndarray) -> int | None:
    """First month m with ``diff[k] > 0`` for every k from m to the end (None if the last is not > 0).

    This is the month the later scenario overtakes for good, after any early dip.
    """
    diff = np.asarray(diff, dtype=float)
    if len(diff) == 0 or not diff[-1] > 0:
        return None
    m = len(diff) - 1
    while m > 0 and diff[m - 1] > 0:
        m -= 1
    return int(m)


def monthly_stats(group, months: int | None = None) -> pd.DataFrame:
    """Per-month mean and CI of every output of a ``RunGroup``: columns ``<name>_mean``,
    ``<name>_ci_low``, ``<name>_ci_high`` for each output and coverage column."""
    T1 = group.out.shape[1] if months is None else months + 1
    cols: dict[str, np.ndarray] = {"month": np.arange(T1)}
    for name in group.columns():
        mean, lo, hi, _ = mean_ci(group.series(name)[:, :T1])
        cols[f"{name}_mean"] = mean
        cols[f"{name}_ci_low"] = lo
        cols[f"{name}_ci_high"] = hi
    return pd.DataFrame(cols)


@dataclass
class CompareResult:
    """What ``compare`` returns; tables are tidy DataFrames.

    Attributes:
        names: scenario names, the first is the baseline.
        summary: one row per scenario and run (seed): the per-run summary outputs.
        stats: one row per scenario and summary output: mean, ci_low, ci_high, sd, n.
        monthly: one row per scenario and month: ``<output>_mean/_ci_low/_ci_high`` for every
            output and coverage column, and for scenarios after the first
            ``outcome_diff_mean/_ci_low/_ci_high``, the paired difference from the baseline.
        comparison: one row per later scenario and summary output: the baseline's and the
            scenario's means, the paired difference with its CI, the share of seeds where the
            scenario is higher, and the scenario's crossover month.
        crossover: crossover month per later scenario (None if it never overtakes for good).
        value: one row per scenario: people helped over the horizon and per year, the people added
            against the baseline (the status quo), and the funder's and all dollars per person helped
            and per additional person (``cisim.experiments.value.against``).
        batches: the ``BatchResult`` of each scenario (raw monthly arrays).
    """

    names: list[str]
    seeds: np.ndarray
    summary: pd.DataFrame
    stats: pd.DataFrame
    monthly: pd.DataFrame
    comparison: pd.DataFrame
    crossover: dict[str, int | None]
    metadata: dict[str, Any]
    batches: list[BatchResult] = field(repr=False)
    value: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def replicates(self) -> int:
        return len(self.seeds)

    @property
    def baseline(self) -> str:
        return self.names[0]

    @property
    def scenarios(self) -> list[Scenario]:
        return [b.scenario for b in self.batches]

    def stat(self, name: str, metric: str) -> dict[str, float]:
        row = self.stats[(self.stats.scenario == name) & (self.stats.metric == metric)].iloc[0]
        return {"mean": float(row["mean"]), "ci_low": float(row.ci_low), "ci_high": float(row.ci_high)}

    def difference(self, name: str, metric: str) -> dict[str, float]:
        row = self.comparison[(self.comparison.scenario == name) & (self.comparison.metric == metric)].iloc[0]
        return {"mean": float(row.diff_mean), "ci_low": float(row.diff_ci_low), "ci_high": float(row.diff_ci_high),
                "share_higher": float(row.share_higher)}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready digest: per scenario the mean and CI of each summary output; for each
        scenario after the first, the paired differences and ``crossover_month``; what the intervals
        cover (``uncertainty``, ``ensemble``, ``interval``)."""
        scenarios: dict[str, Any] = {}
        for k, name in enumerate(self.names):
            entry: dict[str, Any] = {"source": self.batches[k].scenario.source,
                                     "months": self.batches[k].scenario.months}
            for metric in SUMMARY_COLUMNS:
                entry[metric] = self.stat(name, metric)
            if k > 0:
                entry["baseline"] = self.baseline
                entry["difference"] = {m: self.difference(name, m) for m in SUMMARY_COLUMNS}
                entry["crossover_month"] = self.crossover[name]
            if len(self.value):
                entry["value"] = self.value[self.value["scenario"] == name].iloc[0].drop("scenario").to_dict()
            scenarios[name] = entry
        return meta.jsonable({
            "scenarios": scenarios,
            "baseline": self.baseline,
            "replicates": self.replicates,
            "seeds": [int(s) for s in self.seeds],
            "changes": self.metadata.get("changes", {}),
            "uncertainty": self.metadata.get("uncertainty", "seeds"),
            "ensemble": self.metadata.get("ensemble"),
            "interval": self.interval,
        })

    @property
    def interval(self) -> str:
        """What the intervals cover, in words (``95% interval: seed noise (30 seeds)``)."""
        return interval_text(self.metadata, self.replicates)


def _unique_names(scenarios: list[Scenario]) -> list[Scenario]:
    seen: dict[str, int] = {}
    out = []
    for s in scenarios:
        count = seen.get(s.name, 0) + 1
        seen[s.name] = count
        if count > 1:
            s = s.copy()
            s.name = f"{s.name}#{count}"
        out.append(s)
    return out


def compare(scenarios: Sequence[str | Path | Scenario], replicates: int = 30, seed: int = 0,
            changes: dict[str, Any] | None = None, progress: bool | str = False, *,
            batch_size: int | None = None, command: str | None = None, uncertainty: str | Uncertainty = "seeds",
            ensemble: str | Path | Ensemble | None = None) -> CompareResult:
    """Run each scenario for the same ``replicates`` seeds and compare them with the first.

    Args:
        scenarios: bundled names, paths or ``Scenario`` objects; the first is the baseline.
        replicates: runs per scenario (seeds ``seed`` .. ``seed + replicates - 1``).
        seed: the first seed.
        changes: values changed in every scenario, by dotted path (``{"months": 36}``).
        progress: progress bar when stderr is a terminal; ``"force"`` always.
        batch_size: runs per chunk (default: as many as fit in about 200 MB).
        command: command line for the metadata.
        uncertainty: ``"seeds"`` (default: replicates differ in their seed only) or ``"parameters"``: replicate
            k of every scenario also takes the parameter set the ensemble gives seed k (the same in every
            scenario), except for the parameters in ``changes``.
        ensemble: with ``"parameters"``, a bundled ensemble's name or a CSV path (default ``"evidence"``).
    """
    if len(scenarios) < 1:
        raise ValueError("give at least one scenario")
    if replicates < 1:
        raise ValueError(f"replicates must be 1 or more, got {replicates}")
    changes = dict(changes or {})
    spread = resolve_uncertainty(uncertainty, ensemble)
    loaded = _unique_names([load(s) for s in scenarios])
    for s in loaded:  # validate every change in every scenario before running anything
        if changes:
            s.replace(changes)
    seeds = np.arange(seed, seed + replicates, dtype=np.int64)
    batches = [run_batch(s, seeds, "summary", changes=changes, progress=progress, batch_size=batch_size,
                         command=command, uncertainty=spread) for s in loaded]
    names = [b.scenario.name for b in batches]
    groups = [b.groups[0] for b in batches]

    summary = pd.concat([b.summary for b in batches], ignore_index=True)

    stats_rows = []
    for name, b in zip(names, batches):
        for metric in SUMMARY_COLUMNS:
            x = b.summary[metric].to_numpy(dtype=float)
            mean, lo, hi, n = mean_ci(x)
            sd = float(np.nanstd(x, ddof=1)) if n >= 2 else float("nan")
            stats_rows.append({"scenario": name, "metric": metric, "mean": float(mean), "ci_low": float(lo),
                               "ci_high": float(hi), "sd": sd, "n": int(n)})
    stats = pd.DataFrame(stats_rows)

    T = min(g.months for g in groups)
    base_outcome = groups[0].series("outcome")[:, :T + 1]
    monthly_parts = []
    crossover: dict[str, int | None] = {}
    diff_rows = []
    for k, (name, g) in enumerate(zip(names, groups)):
        part = monthly_stats(g)
        part.insert(0, "scenario", name)
        if k > 0:
            d = g.series("outcome")[:, :T + 1] - base_outcome
            mean, lo, hi, _ = mean_ci(d)
            pad = np.full(len(part) - len(mean), np.nan)
            part["outcome_diff_mean"] = np.concatenate((mean, pad))
            part["outcome_diff_ci_low"] = np.concatenate((lo, pad))
            part["outcome_diff_ci_high"] = np.concatenate((hi, pad))
            crossover[name] = crossover_month(mean)
            for metric in SUMMARY_COLUMNS:
                a = batches[0].summary[metric].to_numpy(dtype=float)
                b = batches[k].summary[metric].to_numpy(dtype=float)
                dm, dlo, dhi, n = mean_ci(b - a)
                both = np.isfinite(a) & np.isfinite(b)
                diff_rows.append({
                    "scenario": name, "baseline": names[0], "metric": metric,
                    "baseline_mean": float(np.nanmean(a)) if np.isfinite(a).any() else np.nan,
                    "scenario_mean": float(np.nanmean(b)) if np.isfinite(b).any() else np.nan,
                    "diff_mean": float(dm), "diff_ci_low": float(dlo), "diff_ci_high": float(dhi),
                    "share_higher": float((b[both] > a[both]).mean()) if both.any() else np.nan,
                    "n": int(n), "crossover_month": crossover[name],
                })
        monthly_parts.append(part)
    monthly = pd.concat(monthly_parts, ignore_index=True)
    columns = ["scenario", "baseline", "metric", "baseline_mean", "scenario_mean", "diff_mean", "diff_ci_low",
               "diff_ci_high", "share_higher", "n", "crossover_month"]
    comparison = pd.DataFrame(diff_rows, columns=columns)
    comparison["crossover_month"] = comparison["crossover_month"].astype("Int64")

    record = meta.build([b.scenario for b in batches], seeds.tolist(), replicates=replicates, changes=changes,
                        command=command, kind="compare", uncertainty=spread.record(changes), seed_base=int(seed),
                        baseline=names[0], crossover_month=crossover)
    words = interval_text(record, replicates)
    value = pd.DataFrame([{"scenario": name, **against(b.summary, batches[0].summary, T)}
                          for name, b in zip(names, batches)])
    for table in (stats, monthly, comparison, value):
        table["interval"] = words
    return CompareResult(names=names, seeds=seeds, summary=summary, stats=stats, monthly=monthly,
                         comparison=comparison, crossover=crossover, metadata=record, batches=batches, value=value)


def coverage_at_end(group) -> pd.DataFrame:
    """Mean and CI of each domain's coverage at the last month of a ``RunGroup``."""
    rows = []
    s = group.scenario
    for d, (name, label) in enumerate(zip(s.domain_names, s.domain_labels)):
        mean, lo, hi, _ = mean_ci(group.cov[:, -1, d])
        rows.append({"domain": name, "label": label, "mean": float(mean), "ci_low": float(lo), "ci_high": float(hi)})
    return pd.DataFrame(rows)


def dropouts_by_step(group) -> pd.DataFrame:
    """Mean and CI of the people who gave up waiting at each step over months 1..T of a ``RunGroup``."""
    rows = []
    s = group.scenario
    for d, (name, label) in enumerate(zip(s.domain_names, s.domain_labels)):
        mean, lo, hi, _ = mean_ci(group.drop[:, 1:, d].sum(axis=1))
        rows.append({"domain": name, "label": label, "mean": float(mean), "ci_low": float(lo), "ci_high": float(hi)})
    return pd.DataFrame(rows)


__all__ = ["CompareResult", "compare", "coverage_at_end", "crossover_month", "dropouts_by_step", "mean_ci",
           "monthly_stats"]
