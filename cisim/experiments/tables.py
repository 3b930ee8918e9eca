"""The tables of the funder reports: statistics over a results table, with no figure and no text.

Both functions take a tidy results table, one row per run: factor columns named by
dotted parameter path (``backbone.budget_share``, ``conditions.common_agenda``), a
``seed`` column, optionally ``point``, ``replicate`` and ``status`` (rows whose status
is not ``"ok"`` are ignored), and the per-run outputs of ``cisim.experiments.summary``
(``outcome_36``, ``people_completed_total``, ``funder_spend_total``, ...).
``run_batch(...).summary`` is such a table.  ``cisim.interfaces.backbone_report`` and
``cisim.interfaces.reports`` draw and word them.

Intervals are 95% Student t intervals (``cisim.experiments.intervals.mean_ci``). When the runs of
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

from cisim.experiments import value as V
from cisim.experiments.decision import decide
from cisim.experiments.intervals import LEVEL, mean_ci, t_quantile
from cisim.experiments.labels import CONDITIONS, factor_label
from cisim.experiments.outputs import OUTCOME_COLUMNS
from cisim.model.scenario import Scenario

#: A level whose funder dollars per person helped are at most this much above the best's (with 95% confidence) is
#: near the best; in a world of the decision analysis, one within this much of that world's best.
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


def _difference(lo_rows: pd.DataFrame, hi_rows: pd.DataFrame, column: str) -> dict[str, Any]:
    """hi minus lo: paired by seed when both levels ran the same seeds once each, else independent
    (``cisim.experiments.value.paired``)."""
    mean, lo, hi, n, pair = V.paired(hi_rows, lo_rows, column)
    return {"mean": mean, "ci_low": lo, "ci_high": hi, "paired": pair, "n": n}


# ---------------------------------------------------------------- backbone

#: The factors a backbone study varies: the share of the funder's budget (the money comes out of the grants)
#: and money on top of the grants.
SHARE, ON_TOP = "backbone.budget_share", "backbone.extra_budget"


def checkpoint(months: int, available: Sequence[str]) -> tuple[int, str] | None:
    """The year-end outcome to read beside the horizon's: the one nearest 60% of the way, before the end."""
    from cisim.experiments.outputs import YEARLY_OUTCOMES

    options = [(12 * y, c) for y, c in YEARLY_OUTCOMES if 12 * y < months and c in available]
    return min(options, key=lambda mc: abs(mc[0] - 0.6 * months)) if options else None


@dataclass(frozen=True)
class BackboneTable:
    """The backbone report's numbers: one row per level of the factor, and the runs behind them.

    Column names follow the horizon: ``outcome_m<M>_*`` is the outcome at month M (``months``, the end)
    and ``outcome_m<C>_*`` at the checkpoint ``checkpoint_month`` before it (None for a run of a year).
    """

    table: pd.DataFrame  # one row per level, the table the report writes
    runs: pd.DataFrame  # the successful runs
    factor: str
    months: int
    checkpoint_month: int | None
    funder_budget: float | None
    tolerance: float
    status_quo: float  # the level the others are measured against: the lowest tried
    edge: str | None  # "low" or "high" when the best level is the first or last tried
    suggestion: tuple[float, float] | None  # the range of levels to try next, when the best is at an edge
    decision: Any = None  # ``cisim.experiments.decision.Decision`` over the worlds, or None

    @property
    def on_top(self) -> bool:
        return self.factor == ON_TOP

    @property
    def end(self) -> str:
        return f"outcome_m{self.months}"

    @property
    def mid(self) -> str | None:
        return None if self.checkpoint_month is None else f"outcome_m{self.checkpoint_month}"

    @property
    def levels(self) -> np.ndarray:
        return self.table["level"].to_numpy(dtype=float)

    @property
    def best(self) -> pd.Series:
        """The level whose funder dollars go furthest: the fewest per person helped, among the solid levels."""
        return self.table[self.table["best"]].iloc[0]

    @property
    def near(self) -> np.ndarray:
        """Whether each level's funder dollars per person helped are within ``tolerance`` of the best's (95%)."""
        return self.table["near_best"].to_numpy(dtype=bool)

    @property
    def thin(self) -> np.ndarray:
        return self.table["thin"].to_numpy(dtype=bool)

    @property
    def peak(self) -> pd.Series:
        """The level with the highest mean outcome at the end."""
        return self.table.iloc[int(np.nanargmax(self.table[f"{self.end}_mean"].to_numpy(dtype=float)))]


def _suggest(levels: np.ndarray, k: int, factor: str) -> tuple[float, float]:
    """The range to try next when level ``k`` (the best) is the first or last tried: from its neighbour inside
    the range to as far beyond the edge as the range's last step twice over, within the factor's bounds."""
    from cisim.model.schema import BY_PATH

    f = BY_PATH.get(factor)
    lo_bound, hi_bound = (f.lo, f.hi) if f is not None else (-math.inf, math.inf)
    if k == 0:
        step = levels[1] - levels[0]
        return float(max(lo_bound, levels[0] - 2 * step)), float(levels[1])
    step = levels[-1] - levels[-2]
    return float(levels[-2]), float(min(hi_bound, levels[-1] + 2 * step))


def backbone_table(results: pd.DataFrame, factor: str = SHARE, funder_budget: float | None = None,
                   scenario: Scenario | None = None, tolerance: float = NEAR_BEST,
                   varied: Sequence[str] = (), months: int | None = None) -> BackboneTable:
    """What each level of backbone money buys, in people and in the funder's dollars.

    ``factor`` is ``backbone.budget_share`` (a share of the funder's budget, taken out of the grants) or
    ``backbone.extra_budget`` (dollars a month on top of them).  The horizon (``months``), the funder's
    budget and the backbone money already set come from ``scenario``, the scenario the runs used (with the
    experiment's changes); ``months`` and ``funder_budget`` override it.

    Per level: the outcome at the checkpoint and at the end; people helped over the horizon and per
    year, and the people added against the *status quo*, the lowest level tried (no backbone money, for
    the bundled studies), with the funder's and all money per person helped and per additional person
    (``cisim.experiments.value.against``); the cost per outcome point; and the step from the level before:
    people and outcome points added, per extra $1,000 a month of backbone money.  The best level is the one
    where the funder's dollars help the most people (the fewest dollars per person helped; with a fixed
    budget, the most people), among the levels whose statistics rest on enough valid runs (``thin`` flags the
    others, see ``value.thin``).  Levels within ``tolerance`` of it with 95% confidence (paired by seed when
    possible) are ``near_best``.  When the best is the first or last level tried, ``edge`` says which and
    ``suggestion`` the range to try.  With common seeds, ``decision`` weighs the best level across the worlds
    (``cisim.experiments.decision``); ``varied`` are the ensemble's per-run parameter columns (no factors).
    """
    df = ok_rows(results)
    _need(df, [factor, "seed", "outcome_final"])
    missing = [c for c in V.VALUE_COLUMNS if c not in df]
    if missing:
        raise ValueError(f"the runs lack the people and dollars the report needs ({', '.join(missing)}): add them "
                         f"to the experiment's outputs, as experiments/backbone_investment.toml has them, and rerun "
                         f"the sweep")
    if months is None:
        if scenario is None:
            raise ValueError("the horizon is unknown: pass the scenario the runs used (or months=)")
        months = int(scenario.months)
    if funder_budget is None:
        if "funder.budget" in df and df["funder.budget"].nunique() == 1:
            funder_budget = float(df["funder.budget"].iloc[0])
        elif scenario is not None:
            funder_budget = float(scenario.get("funder.budget"))
    share0 = float(scenario.get(SHARE)) if scenario is not None and factor != SHARE else 0.0
    extra0 = float(scenario.get(ON_TOP)) if scenario is not None and factor != ON_TOP else 0.0
    cp = checkpoint(months, [c for c in df.columns if df[c].notna().any()])
    df = df.copy()
    if "cost_per_point" not in df:
        from cisim.experiments.summary import cost_per_point

        _need(df, ["total_spend", "outcome_start"])
        df["cost_per_point"] = cost_per_point(df["total_spend"].to_numpy(dtype=float),
                                              df["outcome_start"].to_numpy(dtype=float),
                                              df["outcome_final"].to_numpy(dtype=float))
    df[factor] = df[factor].astype(float)
    others = [c for c in df.columns if "." in str(c) and c != factor and c not in set(varied)
              and df[c].nunique(dropna=False) > 1]
    if others:
        warnings.warn(f"backbone_report: other factors vary too ({', '.join(others)}); each level of {factor} "
                      f"averages over them", stacklevel=3)
    levels = np.sort(df[factor].unique())
    if len(levels) < 2:
        raise ValueError(f"{factor} takes only one value ({levels[0]}); a backbone report needs at least two")

    by = {lv: df[df[factor] == lv] for lv in levels}
    base = by[levels[0]]
    end = f"outcome_m{months}"
    rows = []
    for k, lv in enumerate(levels):
        part = by[lv]
        row: dict[str, Any] = {"level": float(lv), "months": months}
        if funder_budget is not None:
            share_now = lv if factor == SHARE else share0
            extra_now = lv if factor == ON_TOP else extra0
            row["backbone_dollars_per_month"] = float(share_now * funder_budget + extra_now)
        columns = [("outcome_final", end), ("cost_per_point", "cost_per_point")]
        if cp is not None:
            columns.insert(0, (cp[1], f"outcome_m{cp[0]}"))
        for col, name in columns:
            mean, lo, hi, n = _ci(part[col].to_numpy(dtype=float))
            row[f"{name}_mean"], row[f"{name}_ci_low"], row[f"{name}_ci_high"] = mean, lo, hi
            if name == "cost_per_point":
                row["cost_per_point_valid"] = n
                row["cost_per_point_thin"] = V.thin(n, len(part))
        row.update(V.against(part, base, months))
        row["thin"] = bool(row["funder_dollars_per_person_thin"] or V.thin(len(part), len(base)))
        if k == 0:
            row["step_from"] = np.nan
        else:
            prev = by[levels[k - 1]]
            d = _difference(prev, part, "outcome_final")
            pm, plo, phi, _, pair = V.paired(part, prev, "people_completed_total")
            row.update({"step_from": float(levels[k - 1]), "marginal_points": 100 * d["mean"],
                        "marginal_points_ci_low": 100 * d["ci_low"], "marginal_points_ci_high": 100 * d["ci_high"],
                        "step_people": pm, "step_people_ci_low": plo, "step_people_ci_high": phi,
                        "marginal_paired": pair})
            dollars = (float(lv - levels[k - 1]) * (funder_budget if factor == SHARE else 1.0)
                       if (funder_budget or factor == ON_TOP) else None)
            for suffix in ("", "_ci_low", "_ci_high"):
                if factor == SHARE:
                    row[f"marginal_per_share_point{suffix}"] = row[f"marginal_points{suffix}"] / (
                        100 * float(lv - levels[k - 1]))
                if dollars:
                    row[f"points_per_1k{suffix}"] = row[f"marginal_points{suffix}"] / (dollars / 1000.0)
                    row[f"people_per_1k{suffix}"] = row[f"step_people{suffix}"] / (dollars / 1000.0)
        rows.append(row)
    table = pd.DataFrame(rows)
    if "marginal_paired" in table:
        table["marginal_paired"] = table["marginal_paired"].astype("boolean")
    criterion = table["funder_dollars_per_person_mean"].to_numpy(dtype=float)
    solid = ~table["thin"].to_numpy(dtype=bool) & np.isfinite(criterion)
    if not solid.any():
        raise ValueError("every level rests on too few runs that helped anyone to name a best level")
    best_idx = int(np.flatnonzero(solid)[np.argmin(criterion[solid])])
    table["best"] = False
    table.loc[best_idx, "best"] = True
    # each level's funder dollars per person against the best level's (paired by seed when possible)
    diffs = [_difference(by[levels[best_idx]], by[lv], "funder_cost_per_person_helped") if k != best_idx else
             {"mean": 0.0, "ci_low": 0.0, "ci_high": 0.0} for k, lv in enumerate(levels)]
    table["vs_best_mean"] = [d["mean"] for d in diffs]
    table["vs_best_ci_low"] = [d["ci_low"] for d in diffs]
    table["vs_best_ci_high"] = [d["ci_high"] for d in diffs]
    margin = tolerance * float(criterion[best_idx])
    table["near_best"] = (table["vs_best_ci_high"] <= margin) & ~table["thin"]
    edge = "low" if best_idx == 0 else "high" if best_idx == len(levels) - 1 else None
    suggestion = _suggest(levels, best_idx, factor) if edge else None
    decision = None
    common = df.groupby(factor)["seed"].apply(lambda s: tuple(sorted(s))).nunique() == 1
    if common and df.groupby(factor)["seed"].apply(lambda s: not s.duplicated().any()).all():
        try:
            decision = decide(df, factor, "funder_cost_per_person_helped", tolerance, list(varied))
        except ValueError:
            decision = None
    if decision is not None:
        dt = decision.table.set_index("level")
        for c in ("p_best", "p_near", "regret_mean", "people_short_mean"):
            table[c] = table["level"].map(dt[c]).to_numpy()
    table.insert(0, "factor", factor)
    if factor == SHARE:
        table.insert(2, "share", table["level"])
    return BackboneTable(table, df, factor, months, None if cp is None else cp[0], funder_budget, tolerance,
                         float(levels[0]), edge, suggestion, decision)


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
