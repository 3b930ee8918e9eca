"""Reports on a results table: how much backbone for funders, and which condition matters most.

Both functions take a tidy results table, one row per run: factor columns named by
dotted parameter path (``backbone.budget_share``, ``conditions.common_agenda``), a
``seed`` column, optionally ``point``, ``replicate`` and ``status`` (rows whose status
is not ``"ok"`` are ignored), and the per-run outputs of ``cisim.experiments.summary``
(``outcome_36``, ``outcome_60``, ``cost_per_point``, ...). ``run_batch(...).summary``
is such a table. Each report writes a figure (PNG and PDF) and a table (CSV and
Parquet) and returns the numbers.  What the intervals cover (seed noise, or seed noise and the
calibrated parameters) is what the runs had: pass the sweep's metadata record (or its
``uncertainty`` entries) as ``uncertainty=``; the words come from
``cisim.experiments.uncertainty.interval_text``, and the tables written have them in an ``interval`` column.

The numbers come from ``cisim.experiments.tables`` (which says how the intervals are
computed); this module words them, draws them and writes the files.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
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
from cisim.experiments.labels import CONDITIONS, factor_label, label
from cisim.experiments.tables import NEAR_BEST, AblationTable, ablation_table, backbone_table
from cisim.experiments.uncertainty import ensemble_columns, interval_text
from cisim.interfaces.plots import PALETTE, STYLE, _save
from cisim.model.formats import money, percent, plain, points, seed_text, share
from cisim.model.scenario import Scenario, load

_SUP = dict(enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹"))


# ---------------------------------------------------------------- helpers

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
            items.append(f"every share from {share(levels[run[0]])} to {share(levels[run[-1]])}")
        else:
            items += [share(levels[k]) for k in run]
    text = items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]
    return text, len(items) > 1


def _uncertainty(uncertainty: Mapping[str, Any] | str | None) -> dict[str, Any]:
    """A metadata record's ``uncertainty`` entries from a record, a kind (``"seeds"``) or None (seed noise)."""
    if isinstance(uncertainty, str):
        return {"uncertainty": uncertainty, "ensemble": None}
    return dict(uncertainty or {})


def _runs_per(df: pd.DataFrame, group: str | Sequence[str]) -> str:
    """Runs behind each level's (or cell's) interval: one number, or "3 to 5"."""
    counts = df.groupby(group).size()
    return f"{counts.iloc[0]}" if counts.nunique() == 1 else f"{counts.min()} to {counts.max()}"


def _replicate_text(df: pd.DataFrame, group: str) -> str:
    reps = _runs_per(df, group)
    run_seeds = sorted(int(s) for s in df["seed"].unique())
    common = df.groupby(group)["seed"].apply(lambda s: tuple(sorted(s))).nunique() == 1
    return (f"{reps} replicates per level; seeds {seed_text(run_seeds)}"
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
                    formats: Sequence[str] = ("png", "pdf"), tolerance: float = NEAR_BEST,
                    uncertainty: Mapping[str, Any] | str | None = None) -> dict[str, Any]:
    """How the outcome and its cost depend on the backbone's share of the funder's budget.

    The numbers, per level of ``factor``, are those of :func:`cisim.experiments.tables.backbone_table`
    (outcomes at 3 and 5 years, cost per point, marginal returns, the best share and those near
    it); this draws them, says what they mean in a sentence, and writes the figure and the table.

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
        uncertainty: what the runs' intervals cover: the sweep's metadata record, ``"seeds"`` or
            ``"parameters"`` (default: seed noise alone).

    Returns:
        ``best_share``, ``best_cost_per_point`` and its CI, ``near_best_shares``,
        ``table`` (the DataFrame written),
        ``figures`` and ``tables`` (paths written), ``funder_budget`` (None if unknown), ``takeaway``
        and ``interval`` (what the intervals cover, in words).
    """
    sc = _scenario(scenario)
    record = _uncertainty(uncertainty)
    bt = backbone_table(results, factor, funder_budget, sc, tolerance, varied=ensemble_columns(record))
    table, levels, best, peak, near = bt.table, bt.levels, bt.best, bt.peak, bt.near
    funder_budget, long = bt.funder_budget, bt.horizon
    words = interval_text(record, _runs_per(bt.runs, factor))
    table["interval"] = words

    horizon = "5-year" if long == "outcome_60" else "final"
    takeaway = (f"Giving the backbone {share(best['share'])} of the budget buys the most outcome per dollar "
                f"({money(best['cost_per_point_mean'])} per point)")
    if near.sum() > 1:
        words, plural = _shares_text(levels, near)
        takeaway += f", and {words} {'come' if plural else 'comes'} within {share(tolerance)} of that (95% confidence)"
    takeaway += f". The {horizon} outcome peaks at {share(peak['share'])} ({percent(peak['outcome_60_mean'], 0)})."
    if table["outcome_60_mean"].iloc[-1] < peak["outcome_60_ci_low"]:
        takeaway = takeaway[:-1] + f" and falls when the backbone takes {share(levels[-1])}."

    stem = Path(out_stem)
    tables = meta.write_table(table, stem)
    fig = _backbone_figure(table, bt.runs, factor, funder_budget, sc, takeaway, long, tolerance, words)
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
        "interval": words,
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
                     sc: Scenario | None, takeaway: str, long: str, tolerance: float = NEAR_BEST,
                     words: str | None = None) -> Figure:
    x = table["share"].to_numpy()
    best = table[table["best_cost_effectiveness"]].iloc[0]
    share_label = "Backbone's share of the funder's budget"
    if funder_budget:
        share_label += _esc(f" (of {money(funder_budget)} a month)")
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
        best_text = f"best value: {share(best['share'])}\n{percent(best['outcome_60_mean'], 0)} after 5 years"
        if near.sum() > 1:
            best_text += f"\nshaded: within {share(tolerance)} of its cost per point"
        ax.annotate(best_text, xy=(best["share"], 0.03), xycoords=("data", "axes fraction"), xytext=(8, 0),
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
        ax2.annotate(_esc(f"lowest: {money(best['cost_per_point_mean'])} per point\nat {share(best['share'])}"),
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
        ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, p: _esc(money(v))))
        ax2.yaxis.set_minor_formatter(FuncFormatter(lambda v, p: ""))
        log = ", log scale" if ax2.get_yscale() == "log" else ""
        ax2.set_ylabel(f"Money spent per outcome point gained\n(\\$ per percentage point{log})")
        ax2.set_xlabel("Backbone's share of the funder's budget")
        ax2.set_title("Cost per outcome point (lower is better)")
        _share_axis(ax2, x)
        dropped = table.loc[~ok, "share"].tolist()
        if dropped:
            ax2.text(0.99, 0.98, "no gain at " + ", ".join(share(s) for s in dropped), transform=ax2.transAxes,
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
            labels = [f"{share(a)}\n→{share(b)}" for a, b in zip(steps["step_from"], steps["share"])]
            ax3.set_xticks(pos, labels, fontsize=9)
            ax3.set_xlabel("Step in the backbone's share")
        else:  # many: each bar labelled by the share it steps up to, upright, so that the labels never overlap
            ax3.set_xticks(pos, [share(b) for b in steps["share"]], fontsize=8.5, rotation=90)
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
        words = words or interval_text(None, _runs_per(df, factor))
        note = (f"Lines and bars: means over replicates; shaded bands and whiskers: {words}, Student t intervals "
                f"of the mean. {reps}. Cost per point: all money spent (services, meetings and backbone) over "
                f"the outcome gained against the start, in percentage points; runs with no gain are left out. "
                f"Best value: the share with the lowest mean cost per point; shaded: the shares whose cost per "
                f"point is at most {share(tolerance)} above it, with 95% confidence "
                f"(paired by seed when possible). Marginal return: difference in the "
                f"{'5-year' if long == 'outcome_60' else 'final'} outcome from the share before"
                + (f", per $1,000 a month of backbone money (funder budget {money(funder_budget)} a month)."
                   if funder_budget else ", per 1 percentage point of share.")
                + (f" Scenario: {sc.name} ({Path(sc.source).name})." if sc is not None else ""))
        _footnote_axes(fig, fig.add_subplot(gs[3, :]), note, 165)
        _header_axes(fig, fig.add_subplot(gs[0, :]), "How much of the budget should go to the backbone?", takeaway)
    return fig


# ---------------------------------------------------------------- ablation report

def ablation_report(results: pd.DataFrame, out_stem: str | Path, factors: Sequence[str] | None = None,
                    output: str = "outcome_60", top: int = 6, formats: Sequence[str] = ("png", "pdf"),
                    scenario: str | Path | Scenario | None = None,
                    uncertainty: Mapping[str, Any] | str | None = None) -> dict[str, Any]:
    """Main effects and two-way interactions of the conditions of collective impact (a 2^k factorial).

    The effects and their intervals are those of :func:`cisim.experiments.tables.ablation_table`
    (on the cell means of the full factorial, paired by seed when every seed ran every cell);
    this ranks them in a figure, says which condition matters most, and writes the figure and the table.

    Args:
        results: the tidy results table (see the module docstring).
        out_stem: path without suffix; writes ``<stem>.png``, ``<stem>.pdf``, ``<stem>.csv``, ``<stem>.parquet``.
        factors: the factor columns (default: those of the five conditions that vary).
        output: the per-run output analysed (default the 5-year outcome).
        top: how many interactions (largest in absolute size) the figure shows.
        formats: figure formats.
        scenario: the scenario run, for the outcome's label in the figure.
        uncertainty: what the runs' intervals cover: the sweep's metadata record, ``"seeds"`` or
            ``"parameters"`` (default: seed noise alone).

    Returns:
        ``main`` (ranked main effects), ``interactions`` (ranked by absolute size), ``effects``
        (both, the table written), ``method``, ``figures`` and ``tables`` (paths written), ``interval``
        (what the intervals cover, in words).
    """
    sc = _scenario(scenario)
    at = ablation_table(results, factors, output)
    words = interval_text(_uncertainty(uncertainty), _runs_per(at.runs, "_cell"))
    at.effects["interval"] = words
    main, inter, scale = at.main, at.interactions, at.scale

    first = main.iloc[0]
    what = label(output)

    def fmt(effect: float) -> str:
        return _effect_text(effect, scale, "points")

    takeaway = f"{first['label']} matters most: it moves the {what} by {fmt(first['effect'])}"
    takeaway += (f", {main.iloc[1]['label'].lower()} next ({fmt(main.iloc[1]['effect'])})." if len(main) > 1 else ".")
    if len(inter):
        ti = inter.iloc[0]
        takeaway += (f" The largest interaction is {ti['label'].lower()} ({fmt(ti['effect'])})"
                     + ("." if ti["significant"] else ", within the noise."))

    stem = Path(out_stem)
    tables = meta.write_table(at.effects, stem)
    fig = _ablation_figure(at, takeaway, top, sc, words)
    figures = _save(fig, stem, formats, 150)
    return {"main": main, "interactions": inter, "effects": at.effects, "method": at.method, "paired": at.paired,
            "figures": figures, "tables": tables, "takeaway": takeaway, "interval": words}


def _effect_text(effect: float, scale: float, unit: str = "") -> str:
    """An effect as the figure and the takeaway write it: signed points for an outcome, else in the output's units."""
    return points(effect, signed=True, unit=unit) if scale != 1 else f"{effect:+.3g}"


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
    for yy, effect, v, top, bottom in zip(y, frame["effect"], eff, hi, lo):
        right = v >= 0
        ax.annotate(_effect_text(effect, scale), xy=(top if right else bottom, yy),
                    xytext=(5 if right else -5, 0), textcoords="offset points", va="center",
                    ha="left" if right else "right", fontsize=9.5, color="#222222")


def _ablation_figure(at: AblationTable, takeaway: str, top: int, sc: Scenario | None,
                     words: str | None = None) -> Figure:
    main, inter, df, factors, lows_highs, scale = at.main, at.interactions, at.runs, at.factors, at.levels, at.scale
    what = label(at.output)
    unit = "percentage points" if scale != 1 else "output units"
    shown = inter.head(top)
    with rc_context(STYLE):
        fig = Figure(figsize=(13, 8.6), layout="constrained")
        FigureCanvasAgg(fig)
        gs = fig.add_gridspec(3, 2, height_ratios=[0.16, 1, 0.16], width_ratios=[1, 1])
        ax = fig.add_subplot(gs[1, 0])
        _hbar(ax, main, scale, PALETTE[1], PALETTE[0])
        ax.set_title("Main effect of each condition (ranked)")
        ax.set_xlabel(f"Change in the {what} from low to high\n({unit}; whiskers: intervals, see the note)")
        ax2 = fig.add_subplot(gs[1, 1])
        if len(shown):
            _hbar(ax2, shown, scale, PALETTE[2], PALETTE[3])
            ax2.set_title(f"Largest two-way interactions (top {len(shown)} of {len(inter)})")
            ax2.set_xlabel(f"Interaction effect\n({unit}; whiskers: intervals, see the note)")
        else:
            ax2.axis("off")
        levels_text = "; ".join(f"{factor_label(f)} {plain(lows_highs[f][0])} vs {plain(lows_highs[f][1])}"
                                for f in factors)
        run_seeds = sorted(int(s) for s in df["seed"].unique()) if "seed" in df else []
        per_cell = df.groupby("_cell").size()
        reps = f"{per_cell.iloc[0]}" if per_cell.nunique() == 1 else f"{per_cell.min()} to {per_cell.max()}"
        power = "".join(_SUP[int(c)] for c in str(len(factors)))
        seeds_text = f", seeds {seed_text(run_seeds)}" if run_seeds else ""
        where = f" Scenario: {sc.name} ({Path(sc.source).name})." if sc is not None else ""
        note = (f"Full 2{power} factorial, {len(per_cell)} combinations, {reps} replicates each ({len(df)} runs"
                f"{seeds_text}). Levels (low vs high): {levels_text}. Main effect: mean over all combinations with "
                f"the condition high minus with it low. Interaction of A and B: half of (effect of A with B high "
                f"minus effect of A with B low); positive means each does more when the other is there. "
                f"Whiskers: {words or interval_text(None, reps)}; {at.method}.{where}")
        _footnote_axes(fig, fig.add_subplot(gs[2, :]), note, 160)
        title = f"Which condition of collective impact matters most for the {what}?"
        _header_axes(fig, fig.add_subplot(gs[0, :]), title, takeaway)
    return fig


__all__ = ["CONDITIONS", "NEAR_BEST", "ablation_report", "backbone_report", "factor_label"]
