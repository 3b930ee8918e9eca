"""The tables of the funder reports: statistics over a results table, with no figure and no text.

Both functions take a tidy results table, one row per run: factor columns named by
dotted parameter path (``backbone.budget_share``, ``conditions.common_agenda``), a
``seed`` column, optionally ``point``, ``replicate`` and ``status`` (rows whose status
is not ``"ok"`` are ignored), and the per-run outputs of ``cisim.experiments.summary``
(``outcome_36``, ``outcome_60``, ``cost_per_point``, ...). ``run_batch(...).summary``
is such a table.  ``cisim.interfaces.reports`` draws and words them.

Intervals are 95% Student t intervals (``cisim.experiments.compare.mean_ci``). When the runs of
the levels being compared share their seeds (common random numbers), differences are
taken seed by seed and the interval is that of the paired differences; otherwise the
runs are treated as independent samples (Welch interval for two levels; for factorial
effects, the pooled within-cell variance).
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cisim.experiments.compare import LEVEL, mean_ci, t_quantile
from cisim.experiments.labels import CONDITIONS, factor_label
from cisim.experiments.outputs import OUTCOME_COLUMNS
from cisim.model.scenario import Scenario

#: A share whose cost per point is at most this much above the best's (with 95% confidence) is near the best.
NEAR_BEST = 0.05


# ---------------------------------------------------------------- helpers

def ok_rows(results: pd.DataFrame) -> pd.DataFrame:
    """The successful runs of a results table (all of them when it has no ``status`` column)."""
    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame, got {type(results).__name__}")
    df = results
    if "status" in df:
        df = df[df["status"].astype(str) == "ok"]
    if df.empty:
        raise ValueError("no successful runs in the results table")
    return df.reset_index(drop=True)


def _need(df: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in df]
    if missing:
        raise ValueError(f"results table lacks column(s) {', '.join(missing)} (has {', '.join(map(str, df.columns))})")


def _ci(x: np.ndarray) -> tuple[float, float, float, int]:
    mean, lo, hi, n = mean_ci(np.asarray(x, dtype=float))
    return float(mean), float(lo), float(hi), int(n)


def _welch(a: np.ndarray, b: np.ndarray, level: float = LEVEL) -> tuple[float, float, float]:
    """Mean of b minus mean of a with a Welch t interval (independent samples), ignoring NaN."""
    a = a[np.isfinite(a)]
    b = b[np.isfinite(b)]
    if len(a) == 0 or len(b) == 0:
        return math.nan, math.nan, math.nan
    d = float(b.mean() - a.mean())
    if len(a) < 2 or len(b) < 2:
        return d, math.nan, math.nan
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = math.sqrt(va + vb)
    if se == 0:
        return d, d, d
    df = (va + vb) ** 2 / (va ** 2 / (len(a) - 1) + vb ** 2 / (len(b) - 1))
    half = t_quantile(0.5 + level / 2, df) * se
    return d, d - half, d + half


def _per_seed(df: pd.DataFrame, column: str) -> pd.Series | None:
    """Values of ``column`` indexed by seed, or None when a seed occurs more than once."""
    if df["seed"].duplicated().any():
        return None
    return df.set_index("seed")[column].astype(float)


def _difference(lo_rows: pd.DataFrame, hi_rows: pd.DataFrame, column: str) -> dict[str, Any]:
    """hi minus lo: paired by seed when both levels ran the same seeds once each, else independent."""
    a, b = _per_seed(lo_rows, column), _per_seed(hi_rows, column)
    if a is not None and b is not None and set(a.index) == set(b.index):
        mean, lo, hi, n = _ci((b - a.reindex(b.index)).to_numpy())
        return {"mean": mean, "ci_low": lo, "ci_high": hi, "paired": True, "n": n}
    mean, lo, hi = _welch(lo_rows[column].to_numpy(dtype=float), hi_rows[column].to_numpy(dtype=float))
    return {"mean": mean, "ci_low": lo, "ci_high": hi, "paired": False,
            "n": int(min(lo_rows[column].notna().sum(), hi_rows[column].notna().sum()))}


# ---------------------------------------------------------------- backbone

@dataclass(frozen=True)
class BackboneTable:
    """The backbone report's numbers: one row per level of the backbone share, and the runs behind them."""

    table: pd.DataFrame  # one row per level, the table the report writes
    runs: pd.DataFrame  # the successful runs, with ``cost_per_point`` filled in
    factor: str
    horizon: str  # the column read as the long-run outcome: ``outcome_60``, or ``outcome_final`` for shorter runs
    funder_budget: float | None
    tolerance: float

    @property
    def levels(self) -> np.ndarray:
        return self.table["share"].to_numpy(dtype=float)

    @property
    def best(self) -> pd.Series:
        """The level with the lowest mean cost per point."""
        return self.table[self.table["best_cost_effectiveness"]].iloc[0]

    @property
    def near(self) -> np.ndarray:
        """Whether each level's cost per point is within ``tolerance`` of the best's, with 95% confidence."""
        return self.table["cost_near_best"].to_numpy(dtype=bool)

    @property
    def peak(self) -> pd.Series:
        """The level with the highest mean long-run outcome."""
        return self.table.iloc[int(np.nanargmax(self.table["outcome_60_mean"].to_numpy(dtype=float)))]


def backbone_table(results: pd.DataFrame, factor: str = "backbone.budget_share", funder_budget: float | None = None,
                   scenario: Scenario | None = None, tolerance: float = NEAR_BEST,
                   varied: Sequence[str] = ()) -> BackboneTable:
    """How the outcome and its cost depend on the backbone's share of the funder's budget.

    Per level of ``factor``: mean and 95% CI of the outcome at 3 years (``outcome_36``) and
    5 years (``outcome_60``; ``outcome_final`` when the runs are shorter), of the cost per
    outcome point (``cost_per_point``: all money spent over the outcome points gained, runs
    with no gain left out), and the marginal return of the step from the level before: the
    difference in the 5-year outcome in percentage points, paired seed by seed when both
    levels ran the same seeds, per step, per 1 percentage point of share and, with a funder
    budget, per extra $1,000 of backbone money a month. The best share is the one with the
    lowest mean cost per point. Where the cost per point is flat, the best share wins by a
    trifle, so the table also marks the shares that come within ``tolerance`` of the best's
    cost per point with 95% confidence (``cost_near_best``): the upper end of the interval of
    their difference from the best is at most ``tolerance`` times the best's cost.

    ``funder_budget`` (in $ a month) defaults to a constant ``funder.budget`` column of the
    results, else to the ``scenario``'s; without either, returns are per step of share only.
    ``varied`` are columns that vary from run to run by design and are no factor (the ensemble's
    parameter values of runs with parameters uncertainty): other factors that vary draw a warning, these do not.
    """
    df = ok_rows(results)
    _need(df, [factor, "seed"])
    if funder_budget is None:
        if "funder.budget" in df and df["funder.budget"].nunique() == 1:
            funder_budget = float(df["funder.budget"].iloc[0])
        elif scenario is not None:
            funder_budget = float(scenario.get("funder.budget"))
    long = "outcome_60" if "outcome_60" in df and df["outcome_60"].notna().any() else "outcome_final"
    _need(df, ["outcome_36", long])
    df = df.copy()
    if "cost_per_point" not in df:
        _need(df, ["total_spend", "outcome_start", "outcome_final"])
        points = (df["outcome_final"] - df["outcome_start"]) * 100.0
        df["cost_per_point"] = np.where(points > 0, df["total_spend"] / points.where(points > 0), np.nan)
    df[factor] = df[factor].astype(float)
    others = [c for c in df.columns if "." in str(c) and c != factor and c not in set(varied)
              and df[c].nunique(dropna=False) > 1]
    if others:
        warnings.warn(f"backbone_report: other factors vary too ({', '.join(others)}); each level of {factor} "
                      f"averages over them", stacklevel=3)
    levels = np.sort(df[factor].unique())
    if len(levels) < 2:
        raise ValueError(f"{factor} takes only one value ({levels[0]}); a backbone report needs at least two")

    rows = []
    by = {lv: df[df[factor] == lv] for lv in levels}
    for k, lv in enumerate(levels):
        part = by[lv]
        row: dict[str, Any] = {"share": float(lv), "runs": len(part)}
        if funder_budget is not None:
            row["backbone_dollars_per_month"] = float(lv) * funder_budget
        for col, name in (("outcome_36", "outcome_36"), (long, "outcome_60"), ("cost_per_point", "cost_per_point")):
            mean, lo, hi, n = _ci(part[col].to_numpy(dtype=float))
            row[f"{name}_mean"], row[f"{name}_ci_low"], row[f"{name}_ci_high"] = mean, lo, hi
            if name == "cost_per_point":
                row["cost_per_point_n"] = n
        if k == 0:
            row.update({"step_from": np.nan, "marginal_points": np.nan, "marginal_points_ci_low": np.nan,
                        "marginal_points_ci_high": np.nan, "marginal_paired": pd.NA})
        else:
            d = _difference(by[levels[k - 1]], part, long)
            step = float(lv - levels[k - 1])
            row.update({"step_from": float(levels[k - 1]), "marginal_points": 100 * d["mean"],
                        "marginal_points_ci_low": 100 * d["ci_low"], "marginal_points_ci_high": 100 * d["ci_high"],
                        "marginal_paired": d["paired"]})
            for suffix in ("", "_ci_low", "_ci_high"):
                row[f"marginal_per_share_point{suffix}"] = row[f"marginal_points{suffix}"] / (100 * step)
                if funder_budget:
                    row[f"marginal_per_1k_dollars{suffix}"] = row[f"marginal_points{suffix}"] / (
                        step * funder_budget / 1000.0)
        rows.append(row)
    table = pd.DataFrame(rows)
    table["marginal_paired"] = table["marginal_paired"].astype("boolean")
    costs = table["cost_per_point_mean"]
    if not np.isfinite(costs).any():
        raise ValueError("no level gained any outcome points, so no cost per point can be computed")
    best_idx = int(np.nanargmin(costs.to_numpy(dtype=float)))
    table["best_cost_effectiveness"] = False
    table.loc[best_idx, "best_cost_effectiveness"] = True
    best = table.iloc[best_idx]
    # each level's cost per point against the best level's (paired by seed when possible):
    # levels whose interval includes 0 are as cost-effective as the best within the noise
    diffs = [_difference(by[levels[best_idx]], by[lv], "cost_per_point") if k != best_idx else
             {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0} for k, lv in enumerate(levels)]
    table["cost_vs_best_mean"] = [d["mean"] for d in diffs]
    table["cost_vs_best_ci_low"] = [d["ci_low"] for d in diffs]
    table["cost_vs_best_ci_high"] = [d["ci_high"] for d in diffs]
    # (a level where some runs gained nothing is not counted as tied, however wide its interval)
    table["cost_tied_with_best"] = (table["cost_vs_best_ci_low"] <= 0) & (table["cost_per_point_n"] == table["runs"])
    margin = tolerance * float(best["cost_per_point_mean"])
    table["cost_near_best"] = (table["cost_vs_best_ci_high"] <= margin) & (table["cost_per_point_n"] == table["runs"])
    table.insert(0, "factor", factor)
    table["outcome_60_source"] = long
    return BackboneTable(table, df, factor, long, funder_budget, tolerance)


# ---------------------------------------------------------------- ablation

@dataclass(frozen=True)
class AblationTable:
    """The ablation report's numbers: ranked main effects and two-way interactions, and the runs behind them."""

    effects: pd.DataFrame  # main effects then interactions, each ranked: the table the report writes
    main: pd.DataFrame
    interactions: pd.DataFrame
    runs: pd.DataFrame  # the successful runs with a finite output, each with its cell of the design (``_cell``)
    factors: list[str]
    levels: dict[str, tuple[float, float]]  # each factor's (low, high)
    output: str
    scale: float  # 100 for an outcome (effects in percentage points), else 1 (output units)
    method: str  # how the intervals were computed, in words
    paired: bool


def _levels(df: pd.DataFrame, factor: str) -> tuple[float, float]:
    values = np.sort(pd.to_numeric(df[factor].astype(float)).unique())
    if len(values) != 2:
        raise ValueError(f"{factor} takes {len(values)} values ({', '.join(f'{v:g}' for v in values[:6])}); "
                         "a 2^k factorial needs exactly two (low and high)")
    return float(values[0]), float(values[1])


def _contrasts(k: int) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """Cells of the 2^k design (rows of ±1) and the terms: main effects then two-way interactions."""
    cells = np.array(list(itertools.product((-1, 1), repeat=k)), dtype=float)
    terms = [(i,) for i in range(k)] + list(itertools.combinations(range(k), 2))
    return cells, terms


def ablation_table(results: pd.DataFrame, factors: Sequence[str] | None = None,
                   output: str = "outcome_60") -> AblationTable:
    """Main effects and two-way interactions of the conditions of collective impact (a 2^k factorial).

    Each factor has two levels, low and high. Effects are computed on the cell means of the
    full factorial (every combination of levels must be present), so they do not depend on
    how many runs each cell has:

    * the main effect of A is the mean of the cells with A high minus the mean of the cells
      with A low, averaged over every other factor;
    * the interaction of A and B is half the difference between the effect of A with B
      high and the effect of A with B low (the standard factorial definition; it equals the
      mean of the cells where A and B are at the same level minus the mean where they differ,
      halved, i.e. the contrast of the product of the ±1 codes).

    Confidence intervals are the Student t intervals of the effect contrast: when every seed
    ran in every cell exactly once (common random numbers) the contrast is computed seed by
    seed and the interval is over seeds (df = seeds - 1), which keeps the pairing; otherwise
    the contrast's standard error comes from the pooled within-cell variance
    (df = runs - cells).  ``factors`` default to those of the five conditions that vary.
    """
    df = ok_rows(results)
    if factors is None:
        factors = [f for f in CONDITIONS if f in df and df[f].nunique() > 1]
        if not factors:
            raise ValueError(f"none of {', '.join(CONDITIONS)} varies in the results table")
    factors = list(factors)
    _need(df, [*factors, output])
    k = len(factors)
    lows_highs = {f: _levels(df, f) for f in factors}
    df = df[np.isfinite(df[output].to_numpy(dtype=float))].copy()
    codes = np.column_stack([np.where(df[f].astype(float).to_numpy() == lows_highs[f][1], 1.0, -1.0)
                             for f in factors])
    cells, terms = _contrasts(k)
    cell_index = {tuple(c): j for j, c in enumerate(cells)}
    df["_cell"] = [cell_index[tuple(c)] for c in codes]
    y = df[output].to_numpy(dtype=float)
    counts = np.bincount(df["_cell"], minlength=len(cells))
    if (counts == 0).any():
        missing = cells[np.flatnonzero(counts == 0)[0]]
        desc = ", ".join(f"{factor_label(f)} {'high' if c > 0 else 'low'}" for f, c in zip(factors, missing))
        raise ValueError(f"the design is not a full 2^{k} factorial: no successful run with {desc}")
    # contrast coefficients per term over cells: product of codes, divided by half the cells
    coef = np.array([np.prod(cells[:, list(t)], axis=1) / (len(cells) / 2) for t in terms])
    scale = 100.0 if output in OUTCOME_COLUMNS else 1.0

    paired = False
    if "seed" in df:
        pivot = df.pivot_table(index="seed", columns="_cell", values=output, aggfunc="count")
        paired = pivot.shape[1] == len(cells) and bool((pivot.fillna(0).to_numpy() == 1).all())
    rows = []
    if paired:
        wide = df.pivot(index="seed", columns="_cell", values=output).reindex(columns=range(len(cells)))
        per_seed = wide.to_numpy() @ coef.T  # (seeds, terms)
        method = (f"t interval over {len(wide)} seeds of the per-seed effect contrast (every seed ran every "
                  f"cell: common random numbers, paired)")
        for j, t in enumerate(terms):
            mean, lo, hi, n = _ci(per_seed[:, j])
            se = float(np.std(per_seed[:, j], ddof=1) / math.sqrt(n)) if n > 1 else math.nan
            rows.append((t, mean, lo, hi, se, n - 1))
    else:
        means = np.bincount(df["_cell"], weights=y, minlength=len(cells)) / counts
        resid = y - means[df["_cell"].to_numpy()]
        dof = len(y) - len(cells)
        s2 = float(resid @ resid / dof) if dof > 0 else math.nan
        q = t_quantile(0.5 + LEVEL / 2, dof) if dof > 0 else math.nan
        method = (f"t interval of the effect contrast with the pooled within-cell variance "
                  f"(df = {dof}; runs not paired across cells)")
        for j, t in enumerate(terms):
            eff = float(coef[j] @ means)
            se = math.sqrt(s2 * float(np.sum(coef[j] ** 2 / counts)))
            rows.append((t, eff, eff - q * se, eff + q * se, se, dof))

    records = []
    for t, mean, lo, hi, se, dof in rows:
        a = factors[t[0]]
        b = factors[t[1]] if len(t) == 2 else None
        label = factor_label(a) if b is None else f"{factor_label(a)} × {factor_label(b)}"
        records.append({
            "kind": "main" if b is None else "interaction", "factor": a, "factor_b": b, "label": label,
            "effect": mean, "ci_low": lo, "ci_high": hi, "se": se, "df": dof,
            "effect_points": mean * scale if scale != 1 else np.nan,
            "ci_low_points": lo * scale if scale != 1 else np.nan,
            "ci_high_points": hi * scale if scale != 1 else np.nan,
            "low": lows_highs[a][0], "high": lows_highs[a][1],
            "low_b": lows_highs[b][0] if b else np.nan, "high_b": lows_highs[b][1] if b else np.nan,
            "significant": bool(lo > 0 or hi < 0),
        })
    effects = pd.DataFrame(records)
    effects["abs_effect"] = effects["effect"].abs()
    main = effects[effects.kind == "main"].sort_values("abs_effect", ascending=False).reset_index(drop=True)
    main.insert(0, "rank", np.arange(1, len(main) + 1))
    inter = effects[effects.kind == "interaction"].sort_values("abs_effect", ascending=False).reset_index(drop=True)
    inter.insert(0, "rank", np.arange(1, len(inter) + 1))
    table = pd.concat([main, inter], ignore_index=True).drop(columns="abs_effect")
    table.insert(1, "output", output)
    table["method"] = method
    table["runs"] = len(df)
    return AblationTable(table, main.drop(columns="abs_effect"), inter.drop(columns="abs_effect"), df, factors,
                         lows_highs, output, scale, method, paired)


__all__ = ["NEAR_BEST", "AblationTable", "BackboneTable", "ablation_table", "backbone_table", "ok_rows"]
