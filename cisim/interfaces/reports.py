"""Reports on a results table: how much backbone for funders, and which condition matters most.

Both functions take a tidy results table, one row per run: factor columns named by
dotted parameter path (``backbone.budget_share``, ``conditions.common_agenda``), a
``seed`` column, optionally ``point``, ``replicate`` and ``status`` (rows whose status
is not ``"ok"`` are ignored), and the per-run outputs of ``cisim.experiments.summary``
(``outcome_36``, ``outcome_60``, ``cost_per_point``, ...). ``run_batch(...).summary``
is such a table. Each report writes a figure (PNG and PDF) and a table (CSV and
Parquet) and returns the numbers.

Intervals are 95% Student t intervals (``cisim.experiments.compare.mean_ci``). When the runs of
the levels being compared share their seeds (common random numbers), differences are
taken seed by seed and the interval is that of the paired differences; otherwise the
runs are treated as independent samples (Welch interval for two levels; for factorial
effects, the pooled within-cell variance).
"""

from __future__ import annotations

import itertools
import math
import textwrap
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, PercentFormatter
from matplotlib.transforms import blended_transform_factory

from cisim.experiments import metadata as meta
from cisim.experiments.compare import LEVEL, mean_ci, t_quantile
from cisim.experiments.summary import OUTCOME_COLUMNS
from cisim.interfaces.plots import PALETTE, STYLE, _money, _save, _seed_text
from cisim.model.scenario import Scenario, load

#: The five conditions of collective impact, by parameter path, with plain-language labels.
CONDITIONS: dict[str, str] = {
    "conditions.common_agenda": "Common agenda",
    "conditions.shared_measurement": "Shared measurement",
    "conditions.mutually_reinforcing": "Mutually reinforcing activities",
    "conditions.continuous_communication": "Continuous communication",
    "backbone.budget_share": "Backbone (funded)",
}
#: Plain-language labels of other factors a report may meet.
LABELS: dict[str, str] = {
    **CONDITIONS,
    "conditions.community_voice": "Community voice",
    "backbone.extra_budget": "Extra backbone money",
    "funder.budget": "Funder budget",
    "coalition.size": "Coalition size",
}
OUTPUT_LABELS: dict[str, str] = {
    "outcome_12": "outcome at 1 year",
    "outcome_24": "outcome at 2 years",
    "outcome_36": "outcome at 3 years",
    "outcome_48": "outcome at 4 years",
    "outcome_60": "outcome at 5 years",
    "outcome_final": "outcome at the end",
    "auc": "mean outcome over the run",
}
#: A share whose cost per point is at most this much above the best's (with 95% confidence) is near the best.
NEAR_BEST = 0.05
_SUP = dict(enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹"))
_OUTCOMES = OUTCOME_COLUMNS


def factor_label(path: str) -> str:
    """A plain-language name for a factor column."""
    if path in LABELS:
        return LABELS[path]
    return path.rsplit(".", 1)[-1].replace("_", " ").capitalize()


# ---------------------------------------------------------------- helpers

def _ok_rows(results: pd.DataFrame) -> pd.DataFrame:
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


def _share_text(x: float) -> str:
    pct = 100 * x
    return f"{pct:.0f}%" if abs(pct - round(pct)) < 1e-9 else f"{pct:.1f}%"


def _shares_text(levels: np.ndarray, chosen: np.ndarray) -> tuple[str, bool]:
    """The chosen levels in words, three or more neighbouring levels as a range ("every share from
    12% to 40%"), and whether the words are plural."""
    runs: list[list[int]] = []
    for k in np.flatnonzero(chosen):
        if runs and runs[-1][-1] == k - 1:
            runs[-1].append(int(k))
        else:
            runs.append([int(k)])
    items = []
    for run in runs:
        if len(run) >= 3:
            items.append(f"every share from {_share_text(levels[run[0]])} to {_share_text(levels[run[-1]])}")
        else:
            items += [_share_text(levels[k]) for k in run]
    text = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return text, len(items) > 1


def _replicate_text(df: pd.DataFrame, group: str) -> str:
    counts = df.groupby(group).size()
    reps = f"{counts.iloc[0]}" if counts.nunique() == 1 else f"{counts.min()} to {counts.max()}"
    seeds = sorted(int(s) for s in df["seed"].unique())
    common = df.groupby(group)["seed"].apply(lambda s: tuple(sorted(s))).nunique() == 1
    return (f"{reps} replicates per level; seeds {_seed_text(seeds)}"
            + (", the same at every level (differences paired seed by seed)" if common
               else " (not common to all levels; differences treated as independent samples)"))


def _scenario(scenario: str | Path | Scenario | None) -> Scenario | None:
    return None if scenario is None else load(scenario)


def _outcome_axis_label(scenario: Scenario | None, what: str) -> str:
    if scenario is None:
        return f"{what} (%)"
    unit = scenario.outcome_unit
    unit = f"% of {unit[9:]}" if unit.startswith("share of ") else f"%, {unit}"
    return f"{what} ({unit})"


def _esc(text: str) -> str:
    """Text with dollar signs escaped, so that matplotlib does not read them as maths."""
    return text.replace("$", r"\$")


def _footnote_axes(fig: Figure, ax, text: str, width: int = 150) -> None:
    ax.axis("off")
    ax.text(0.01, 1, _esc("\n".join(textwrap.wrap(text, width))), va="top", ha="left", fontsize=9, color="#333333",
            transform=blended_transform_factory(fig.transFigure, ax.transAxes))


def _header_axes(fig: Figure, ax, title: str, takeaway: str, width: int = 120) -> None:
    """The figure's title and, below it, a plain-language takeaway, from the figure's left edge."""
    ax.axis("off")
    where = blended_transform_factory(fig.transFigure, ax.transAxes)
    ax.text(0.01, 1, _esc(title), va="top", ha="left", fontsize=17, fontweight="bold", transform=where)
    ax.text(0.01, 0.5, _esc("\n".join(textwrap.wrap(takeaway, width))), va="top", ha="left", fontsize=12.5,
            color="#333333", style="italic", transform=where)


# ---------------------------------------------------------------- backbone report

def backbone_report(results: pd.DataFrame, out_stem: str | Path, factor: str = "backbone.budget_share",
                    funder_budget: float | None = None, scenario: str | Path | Scenario | None = None,
                    formats: Sequence[str] = ("png", "pdf"), tolerance: float = NEAR_BEST) -> dict[str, Any]:
    """How the outcome and its cost depend on the backbone's share of the funder's budget.

    Per level of ``factor``: mean and 95% CI of the outcome at 3 years (``outcome_36``) and
    5 years (``outcome_60``; ``outcome_final`` when the runs are shorter), of the cost per
    outcome point (``cost_per_point``: all money spent over the outcome points gained, runs
    with no gain left out), and the marginal return of the step from the level before: the
    difference in the 5-year outcome in percentage points, paired seed by seed when both
    levels ran the same seeds, per step, per 1 percentage point of share and, with a funder
    budget, per extra $1,000 of backbone money a month. The best share is the one with the
    lowest mean cost per point. Where the cost per point is flat, the best share wins by a
    trifle, so the report also gives the shares that come within ``tolerance`` (5%) of the
    best's cost per point with 95% confidence (``cost_near_best``): the upper end of the
    interval of their difference from the best is at most ``tolerance`` times the best's cost.

    Args:
        results: the tidy results table (see the module docstring).
        out_stem: path without suffix; writes ``<stem>.png``, ``<stem>.pdf``, ``<stem>.csv``, ``<stem>.parquet``.
        factor: the column of the backbone share (a share of the funder budget, 0 to 1).
        funder_budget: the funder's budget in $ a month, to express steps in dollars. When None,
            a constant ``funder.budget`` column of the results is used, else the scenario's
            ``funder.budget`` if ``scenario`` is given, else returns are per step of share only.
        scenario: the scenario run (name, path or ``Scenario``), for the outcome's label and budget.
        formats: figure formats.
        tolerance: how close to the best cost per point counts as near the best (0.05: within 5%).

    Returns:
        ``best_share``, ``best_cost_per_point`` and its CI, ``near_best_shares``,
        ``table`` (the DataFrame written),
        ``figures`` and ``tables`` (paths written), ``funder_budget`` (None if unknown) and ``takeaway``.
    """
    df = _ok_rows(results)
    _need(df, [factor, "seed"])
    sc = _scenario(scenario)
    if funder_budget is None:
        if "funder.budget" in df and df["funder.budget"].nunique() == 1:
            funder_budget = float(df["funder.budget"].iloc[0])
        elif sc is not None:
            funder_budget = float(sc.get("funder.budget"))
    long = "outcome_60" if "outcome_60" in df and df["outcome_60"].notna().any() else "outcome_final"
    _need(df, ["outcome_36", long])
    df = df.copy()
    if "cost_per_point" not in df:
        _need(df, ["total_spend", "outcome_start", "outcome_final"])
        points = (df["outcome_final"] - df["outcome_start"]) * 100.0
        df["cost_per_point"] = np.where(points > 0, df["total_spend"] / points.where(points > 0), np.nan)
    df[factor] = df[factor].astype(float)
    others = [c for c in df.columns if "." in str(c) and c != factor and df[c].nunique(dropna=False) > 1]
    if others:
        warnings.warn(f"backbone_report: other factors vary too ({', '.join(others)}); each level of {factor} "
                      f"averages over them", stacklevel=2)
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
    peak = table.iloc[int(np.nanargmax(table["outcome_60_mean"].to_numpy(dtype=float)))]
    table.insert(0, "factor", factor)
    table["outcome_60_source"] = long

    horizon = "5-year" if long == "outcome_60" else "final"
    near = table["cost_near_best"].to_numpy()
    takeaway = (f"Giving the backbone {_share_text(best['share'])} of the budget buys the most outcome per dollar "
                f"({_money(best['cost_per_point_mean'])} per point)")
    if near.sum() > 1:
        words, plural = _shares_text(levels, near)
        takeaway += f", and {words} {'come' if plural else 'comes'} within {tolerance:.0%} of that (95% confidence)"
    takeaway += (f". The {horizon} outcome peaks at {_share_text(peak['share'])} "
                 f"({peak['outcome_60_mean']:.0%}).")
    if table["outcome_60_mean"].iloc[-1] < peak["outcome_60_ci_low"]:
        takeaway = takeaway[:-1] + f" and falls when the backbone takes {_share_text(levels[-1])}."

    stem = Path(out_stem)
    tables = meta.write_table(table, stem)
    fig = _backbone_figure(table, df, factor, funder_budget, sc, takeaway, long, tolerance)
    figures = _save(fig, stem, formats, 150)
    return {
        "best_share": float(best["share"]),
        "best_cost_per_point": float(best["cost_per_point_mean"]),
        "best_cost_per_point_ci": (float(best["cost_per_point_ci_low"]), float(best["cost_per_point_ci_high"])),
        "near_best_shares": [float(v) for v in levels[near]],
        "tolerance": tolerance,
        "peak_share": float(peak["share"]),
        "table": table,
        "figures": figures,
        "tables": tables,
        "funder_budget": funder_budget,
        "takeaway": takeaway,
    }


def _band(ax, x, mean, lo, hi, color, label, marker="o", scale=1.0):
    lo = np.where(np.isfinite(lo), lo, mean)
    hi = np.where(np.isfinite(hi), hi, mean)
    ax.fill_between(x, lo * scale, hi * scale, color=color, alpha=0.18, linewidth=0)
    return ax.plot(x, mean * scale, color=color, linewidth=2.2, marker=marker, markersize=5, label=label)[0]


def _near_span(ax, shares: np.ndarray, near: np.ndarray) -> None:
    """Shade the shares near the best cost per point: a band over each run of neighbouring ones,
    a narrow band around one that stands alone (the text lists the same shares)."""
    if near.sum() < 2:
        return
    half = 0.25 * float(np.min(np.diff(shares))) if len(shares) > 1 else 0.005
    k = 0
    while k < len(shares):
        if not near[k]:
            k += 1
            continue
        j = k
        while j + 1 < len(shares) and near[j + 1]:
            j += 1
        lo, hi = (shares[k], shares[j]) if j > k else (shares[k] - half, shares[k] + half)
        ax.axvspan(lo, hi, color=PALETTE[2], alpha=0.09, linewidth=0, zorder=0)
        k = j + 1


def _share_axis(ax, levels: np.ndarray) -> None:
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlim(min(0.0, levels.min()) - 0.01, levels.max() * 1.03 + 0.005)
    ax.grid(color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)


def _backbone_figure(table: pd.DataFrame, df: pd.DataFrame, factor: str, funder_budget: float | None,
                     sc: Scenario | None, takeaway: str, long: str, tolerance: float = NEAR_BEST) -> Figure:
    x = table["share"].to_numpy()
    best = table[table["best_cost_effectiveness"]].iloc[0]
    share_label = "Backbone's share of the funder's budget"
    if funder_budget:
        share_label += _esc(f" (of {_money(funder_budget)} a month)")
    with rc_context(STYLE):
        fig = Figure(figsize=(13, 12.5), layout="constrained")
        FigureCanvasAgg(fig)
        gs = fig.add_gridspec(4, 2, height_ratios=[0.13, 1.2, 1, 0.13])
        ax = fig.add_subplot(gs[1, :])
        c3, c5, cb = PALETTE[1], PALETTE[0], PALETTE[2]
        _band(ax, x, table["outcome_36_mean"], table["outcome_36_ci_low"], table["outcome_36_ci_high"], c3,
              "after 3 years", marker="s")
        five = "after 5 years" if long == "outcome_60" else "at the end of the run"
        _band(ax, x, table["outcome_60_mean"], table["outcome_60_ci_low"], table["outcome_60_ci_high"], c5, five)
        near = table["cost_near_best"].to_numpy(dtype=bool)
        _near_span(ax, x, near)
        ax.axvline(best["share"], color=cb, linestyle="--", linewidth=1.5)
        top = float(np.nanmax(table[["outcome_36_ci_high", "outcome_60_ci_high"]].to_numpy()))
        ax.set_ylim(0, min(1.0, top * 1.15 + 0.02))
        # the label sits low, beside the line, where the outcome curves never go
        label = f"best value: {_share_text(best['share'])}\n{best['outcome_60_mean']:.0%} after 5 years"
        if near.sum() > 1:
            label += f"\nshaded: within {tolerance:.0%} of its cost per point"
        ax.annotate(label, xy=(best["share"], 0.03), xycoords=("data", "axes fraction"), xytext=(8, 0),
                    textcoords="offset points", ha="left", va="bottom", color=cb, fontsize=10.5, fontweight="bold")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylabel(_outcome_axis_label(sc, "Outcome"))
        ax.set_xlabel(share_label)
        ax.set_title("Outcome by backbone share")
        _share_axis(ax, x)
        ax.legend(loc="lower right", fontsize=10.5, frameon=True, facecolor="white", edgecolor="none")

        # cost per point
        ax2 = fig.add_subplot(gs[2, 0])
        ok = np.isfinite(table["cost_per_point_mean"].to_numpy(dtype=float))
        t = table[ok]
        _band(ax2, t["share"].to_numpy(), t["cost_per_point_mean"].to_numpy(), t["cost_per_point_ci_low"].to_numpy(),
              t["cost_per_point_ci_high"].to_numpy(), PALETTE[3], "mean cost per point")
        _near_span(ax2, x, near)
        ax2.plot([best["share"]], [best["cost_per_point_mean"]], marker="*", markersize=17, color=cb, zorder=5,
                 linestyle="none")
        ax2.annotate(_esc(f"lowest: {_money(best['cost_per_point_mean'])} per point\nat {_share_text(best['share'])}"),
                     xy=(best["share"], best["cost_per_point_mean"]), xytext=(12, 22), textcoords="offset points",
                     color=cb, fontsize=10.5, fontweight="bold")
        # a log scale keeps the cheap end readable when starved backbones cost many times more per point
        hi = t["cost_per_point_ci_high"].to_numpy(dtype=float)
        lo = t["cost_per_point_ci_low"].to_numpy(dtype=float)
        finite_lo = lo[np.isfinite(lo) & (lo > 0)]
        if len(finite_lo) and np.nanmax(hi) / max(finite_lo.min(), 1e-9) > 8:
            ax2.set_yscale("log")
            ax2.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax2.set_ylim(bottom=finite_lo.min() * 0.8)
        else:
            ax2.set_ylim(bottom=0)
        ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, p: _esc(_money(v))))
        ax2.yaxis.set_minor_formatter(FuncFormatter(lambda v, p: ""))
        log = ", log scale" if ax2.get_yscale() == "log" else ""
        ax2.set_ylabel(f"Money spent per outcome point gained\n(\\$ per percentage point{log})")
        ax2.set_xlabel("Backbone's share of the funder's budget")
        ax2.set_title("Cost per outcome point (lower is better)")
        _share_axis(ax2, x)
        dropped = table.loc[~ok, "share"].tolist()
        if dropped:
            ax2.text(0.99, 0.98, "no gain at " + ", ".join(_share_text(s) for s in dropped), transform=ax2.transAxes,
                     ha="right", va="top", fontsize=9, color="#555555")

        # marginal return per step
        ax3 = fig.add_subplot(gs[2, 1])
        steps = table.iloc[1:]
        col = "marginal_per_1k_dollars" if funder_budget else "marginal_per_share_point"
        m = steps[col].to_numpy(dtype=float)
        err = np.vstack([m - steps[f"{col}_ci_low"].to_numpy(dtype=float),
                         steps[f"{col}_ci_high"].to_numpy(dtype=float) - m])
        err = np.where(np.isfinite(err), err, 0.0)
        pos = np.arange(len(steps))
        colors = [PALETTE[1] if v >= 0 else PALETTE[0] for v in m]
        ax3.bar(pos, m, color=colors, yerr=err, capsize=3, error_kw={"ecolor": "#333333", "elinewidth": 1.0})
        ax3.axhline(0, color="#333333", linewidth=0.8)
        if len(pos) <= 8:  # few steps: each labelled from and to
            labels = [f"{_share_text(a)}\n→{_share_text(b)}" for a, b in zip(steps["step_from"], steps["share"])]
            ax3.set_xticks(pos, labels, fontsize=9)
            ax3.set_xlabel("Step in the backbone's share")
        else:  # many: each bar labelled by the share it steps up to, upright, so that the labels never overlap
            ax3.set_xticks(pos, [_share_text(b) for b in steps["share"]], fontsize=8.5, rotation=90)
            ax3.set_xlabel("Step up to this backbone share, from the one before")
        if funder_budget:
            ax3.set_ylabel(f"Change in the {'5-year' if long == 'outcome_60' else 'final'} outcome\n"
                           "(points per extra \\$1,000 a month)")
        else:
            ax3.set_ylabel(f"Change in the {'5-year' if long == 'outcome_60' else 'final'} outcome\n"
                           "(points per extra 1% of the budget)")
        ax3.set_title("What each further step buys")
        ax3.grid(axis="y", color="#eeeeee", linewidth=0.6)
        ax3.set_axisbelow(True)

        reps = _replicate_text(df, factor)
        note = (f"Lines and bars: means over replicates; shaded bands and whiskers: 95% confidence intervals "
                f"(Student t). {reps}. Cost per point: all money spent (services, meetings and backbone) over "
                f"the outcome gained against the start, in percentage points; runs with no gain are left out. "
                f"Best value: the share with the lowest mean cost per point; shaded: the shares whose cost per "
                f"point is at most {tolerance:.0%} above it, with 95% confidence "
                f"(paired by seed when possible). Marginal return: difference in the "
                f"{'5-year' if long == 'outcome_60' else 'final'} outcome from the share before"
                + (f", per $1,000 a month of backbone money (funder budget {_money(funder_budget)} a month)."
                   if funder_budget else ", per 1 percentage point of share.")
                + (f" Scenario: {sc.name} ({Path(sc.source).name})." if sc is not None else ""))
        _footnote_axes(fig, fig.add_subplot(gs[3, :]), note, 165)
        _header_axes(fig, fig.add_subplot(gs[0, :]), "How much of the budget should go to the backbone?", takeaway)
    return fig


# ---------------------------------------------------------------- ablation report

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


def ablation_report(results: pd.DataFrame, out_stem: str | Path, factors: Sequence[str] | None = None,
                    output: str = "outcome_60", top: int = 6, formats: Sequence[str] = ("png", "pdf"),
                    scenario: str | Path | Scenario | None = None) -> dict[str, Any]:
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
    (df = runs - cells).

    Args:
        results: the tidy results table (see the module docstring).
        out_stem: path without suffix; writes ``<stem>.png``, ``<stem>.pdf``, ``<stem>.csv``, ``<stem>.parquet``.
        factors: the factor columns (default: those of the five conditions that vary).
        output: the per-run output analysed (default the 5-year outcome).
        top: how many interactions (largest in absolute size) the figure shows.
        formats: figure formats.
        scenario: the scenario run, for the outcome's label in the figure.

    Returns:
        ``main`` (ranked main effects), ``interactions`` (ranked by absolute size), ``effects``
        (both, the table written), ``method``, ``figures`` and ``tables`` (paths written).
    """
    df = _ok_rows(results)
    if factors is None:
        factors = [f for f in CONDITIONS if f in df and df[f].nunique() > 1]
        if not factors:
            raise ValueError(f"none of {', '.join(CONDITIONS)} varies in the results table")
    factors = list(factors)
    _need(df, [*factors, output])
    sc = _scenario(scenario)
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
    scale = 100.0 if output in _OUTCOMES else 1.0

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
    main = main.drop(columns="abs_effect")
    inter = inter.drop(columns="abs_effect")

    first = main.iloc[0]
    what = OUTPUT_LABELS.get(output, output.replace("_", " "))
    fmt = (lambda v: f"{v * scale:+.1f} points") if scale != 1 else (lambda v: f"{v:+.3g}")
    takeaway = f"{first['label']} matters most: it moves the {what} by {fmt(first['effect'])}"
    takeaway += (f", {main.iloc[1]['label'].lower()} next ({fmt(main.iloc[1]['effect'])})." if len(main) > 1 else ".")
    if len(inter):
        ti = inter.iloc[0]
        takeaway += (f" The largest interaction is {ti['label'].lower()} ({fmt(ti['effect'])})"
                     + ("." if ti["significant"] else ", within the noise."))

    stem = Path(out_stem)
    tables = meta.write_table(table, stem)
    fig = _ablation_figure(main, inter, df, factors, lows_highs, output, scale, method, takeaway, top, sc)
    figures = _save(fig, stem, formats, 150)
    return {"main": main, "interactions": inter, "effects": table, "method": method, "paired": paired,
            "figures": figures, "tables": tables, "takeaway": takeaway}


def _hbar(ax, frame: pd.DataFrame, scale: float, color_pos: str, color_neg: str) -> None:
    y = np.arange(len(frame))[::-1]
    eff = frame["effect"].to_numpy(dtype=float) * scale
    lo = frame["ci_low"].to_numpy(dtype=float) * scale
    hi = frame["ci_high"].to_numpy(dtype=float) * scale
    err = np.where(np.isfinite(np.vstack([eff - lo, hi - eff])), np.vstack([eff - lo, hi - eff]), 0.0)
    ax.barh(y, eff, color=[color_pos if v >= 0 else color_neg for v in eff], xerr=err, height=0.62,
            error_kw={"ecolor": "#222222", "elinewidth": 1.1, "capsize": 3})
    labels = ["\n".join(textwrap.wrap(lbl, 26)) for lbl in frame["label"]]
    ax.set_yticks(y, labels, fontsize=10)
    ax.axvline(0, color="#333333", linewidth=0.9)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)
    left = min(0.0, float(np.nanmin(np.concatenate([lo, eff]))))
    right = max(0.0, float(np.nanmax(np.concatenate([hi, eff]))))
    span = max(right - left, 1e-12)
    ax.set_xlim(left - (0.2 if left < 0 else 0.02) * span, right + (0.2 if right > 0 else 0.02) * span)
    for yy, v, top, bottom in zip(y, eff, hi, lo):
        right = v >= 0
        ax.annotate(f"{v:+.1f}" if scale != 1 else f"{v:+.3g}", xy=(top if right else bottom, yy),
                    xytext=(5 if right else -5, 0), textcoords="offset points", va="center",
                    ha="left" if right else "right", fontsize=9.5, color="#222222")


def _ablation_figure(main: pd.DataFrame, inter: pd.DataFrame, df: pd.DataFrame, factors: list[str],
                     lows_highs: dict, output: str, scale: float, method: str, takeaway: str, top: int,
                     sc: Scenario | None) -> Figure:
    what = OUTPUT_LABELS.get(output, output.replace("_", " "))
    unit = "percentage points" if scale != 1 else "output units"
    shown = inter.head(top)
    with rc_context(STYLE):
        fig = Figure(figsize=(13, 8.6), layout="constrained")
        FigureCanvasAgg(fig)
        gs = fig.add_gridspec(3, 2, height_ratios=[0.16, 1, 0.16], width_ratios=[1, 1])
        ax = fig.add_subplot(gs[1, 0])
        _hbar(ax, main, scale, PALETTE[1], PALETTE[0])
        ax.set_title("Main effect of each condition (ranked)")
        ax.set_xlabel(f"Change in the {what} from low to high\n({unit}; whiskers: 95% CI)")
        ax2 = fig.add_subplot(gs[1, 1])
        if len(shown):
            _hbar(ax2, shown, scale, PALETTE[2], PALETTE[3])
            ax2.set_title(f"Largest two-way interactions (top {len(shown)} of {len(inter)})")
            ax2.set_xlabel(f"Interaction effect\n({unit}; whiskers: 95% CI)")
        else:
            ax2.axis("off")
        levels_text = "; ".join(f"{factor_label(f)} {lows_highs[f][0]:g} vs {lows_highs[f][1]:g}" for f in factors)
        seeds = sorted(int(s) for s in df["seed"].unique()) if "seed" in df else []
        per_cell = df.groupby("_cell").size()
        reps = f"{per_cell.iloc[0]}" if per_cell.nunique() == 1 else f"{per_cell.min()} to {per_cell.max()}"
        power = "".join(_SUP[int(c)] for c in str(len(factors)))
        seeds_text = f", seeds {_seed_text(seeds)}" if seeds else ""
        where = f" Scenario: {sc.name} ({Path(sc.source).name})." if sc is not None else ""
        note = (f"Full 2{power} factorial, {len(per_cell)} combinations, {reps} replicates each ({len(df)} runs"
                f"{seeds_text}). Levels (low vs high): {levels_text}. Main effect: mean over all combinations with "
                f"the condition high minus with it low. Interaction of A and B: half of (effect of A with B high "
                f"minus effect of A with B low); positive means each does more when the other is there. "
                f"CIs: {method}.{where}")
        _footnote_axes(fig, fig.add_subplot(gs[2, :]), note, 160)
        title = f"Which condition of collective impact matters most for the {what}?"
        _header_axes(fig, fig.add_subplot(gs[0, :]), title, takeaway)
    return fig


__all__ = ["CONDITIONS", "LABELS", "ablation_report", "backbone_report", "factor_label"]
