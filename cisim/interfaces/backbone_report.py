"""The funder's report: what each level of backbone money buys, in people and the funder's dollars.

``backbone_report`` takes a tidy results table of a sweep over ``backbone.budget_share`` (money
out of the grants) or ``backbone.extra_budget`` (money on top of them) and the scenario the runs
used.  It writes into a folder the figure (PNG and PDF), the table (CSV and Parquet) and the board
memo (``cisim.interfaces.memo``), and returns the numbers.  The numbers come from
``cisim.experiments.tables.backbone_table`` (people and dollars from ``cisim.experiments.value``,
the decision across plausible worlds from ``cisim.experiments.decision``); this module words and
draws them.  Every dollar figure is the scenario's: its budget, horizon and backbone money.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from cisim.experiments import metadata as meta
from cisim.experiments.tables import NEAR_BEST, ON_TOP, SHARE, BackboneTable, backbone_table
from cisim.experiments.uncertainty import ensemble_columns, interval_text, kind_of
from cisim.interfaces.plots import PALETTE, STYLE, _save
from cisim.interfaces.report_parts import (
    _esc,
    _footnote_axes,
    _header_axes,
    _outcome_axis_label,
    _replicate_text,
    _runs_per,
    _scenario,
    _shares_text,
    _uncertainty,
    level_text,
)
from cisim.model.formats import dollars, horizon, interval, money, number, percent, share
from cisim.model.scenario import Scenario

#: Hollow markers and dashed lines: a level whose statistics rest on too few valid runs.
THIN_NOTE = "hollow markers: under 80% of the level's runs valid, or fewer than 3 (not solid)"


def factor_of(results: pd.DataFrame) -> str:
    """The backbone study's factor: the share of the budget, or money on top when only that varies."""
    for f in (SHARE, ON_TOP):
        if f in results and results[f].nunique() > 1:
            return f
    if SHARE in results:
        return SHARE
    raise ValueError(f"expected a sweep over {SHARE} (like experiments/backbone_investment.toml) or {ON_TOP} "
                     f"(like experiments/backbone_on_top.toml)")


def _people(x: float) -> str:
    return number(x, 0)


def uncertainty_statement(bt: BackboneTable, record: Mapping[str, Any]) -> str:
    """The decision across plausible worlds in a sentence, or "" without one."""
    d = bt.decision
    if d is None:
        return ""
    lo, hi = d.range
    what = "level" if bt.on_top else "share"
    worlds = (f"{d.worlds} plausible worlds (a calibrated parameter set and a seed each)"
              if kind_of(record) == "parameters" else f"{d.worlds} runs of seed noise (the parameters as assumed)")
    where = (f"lies at {level_text(bt.factor, lo)}" if lo == hi
             else f"lies between {level_text(bt.factor, lo)} and {level_text(bt.factor, hi)}")
    best = bt.best
    text = (f"In {percent(d.central, 0)} of {worlds} the best {what} {where}; "
            f"{level_text(bt.factor, best['level'])} is within {share(d.near)} of the best in "
            f"{percent(float(best['p_near']), 0)} of them")
    if np.isfinite(best["people_short_mean"]):
        text += f", {_people(best['people_short_mean'])} people short of each world's best on average"
    return text + "."


def takeaway_text(bt: BackboneTable, sc: Scenario | None) -> str:
    """The answer in people and the funder's dollars, with its range and its edge."""
    b = bt.best
    completed = sc.outcome_completed if sc is not None else "people helped"
    over = horizon(bt.months)
    lv = level_text(bt.factor, b["level"])
    quo = level_text(bt.factor, bt.status_quo)
    if bt.on_top:
        head = f"Adding {lv} for the backbone makes the funder's money go furthest"
    else:
        budget = f" of the {money(bt.funder_budget)} a month" if bt.funder_budget else " of the budget"
        head = f"Giving the backbone {lv}{budget} helps the most {completed}"
    text = (f"{head}: {_people(b['people_mean'])} over {over} ({_people(b['people_per_year_mean'])} a year), "
            f"{interval(b['additional_mean'], b['additional_ci_low'], b['additional_ci_high'], _people)} more than "
            f"with {quo}, at {dollars(b['funder_dollars_per_person_mean'])} of the funder's money per person helped.")
    near = bt.near
    if near.sum() > 1:
        words, plural = _shares_text(bt.levels, near, lambda v: level_text(bt.factor, v),
                                     "level" if bt.on_top else "share")
        text += (f" {words[0].upper() + words[1:]} {'come' if plural else 'comes'} within "
                 f"{share(bt.tolerance)} of that (95% confidence).")
    if bt.edge is not None:
        lo, hi = bt.suggestion
        side = "lowest" if bt.edge == "low" else "highest"
        text += (f" That is the {side} {'level' if bt.on_top else 'share'} tried, so the best may lie beyond it: "
                 f"try {level_text(bt.factor, lo)} to {level_text(bt.factor, hi)}.")
    elif near.any() and (near[0] or near[-1]):
        text += " The levels near the best reach the edge of the range tried."
    return text


def backbone_report(results: pd.DataFrame, out_dir: str | Path, factor: str | None = None,
                    scenario: str | Path | Scenario | None = None, formats: Sequence[str] = ("png", "pdf"),
                    tolerance: float = NEAR_BEST, uncertainty: Mapping[str, Any] | str | None = None,
                    funder_budget: float | None = None, months: int | None = None,
                    memo: bool = True, beside: BackboneTable | None = None) -> dict[str, Any]:
    """What each level of backbone money buys, drawn, worded and written into ``out_dir``.

    Args:
        results: the tidy results table, a row per run (``cisim.experiments.tables.backbone_table``).
        out_dir: the folder for ``backbone.{png,pdf,csv,parquet}`` (``backbone-on-top.*`` for a study of
            money on top) and, with ``memo``, ``backbone-memo.md`` and ``backbone-memo.pdf``.
        factor: ``backbone.budget_share`` or ``backbone.extra_budget`` (default: whichever varies).
        scenario: the scenario the runs used (name, path or ``Scenario``): budget, horizon and words.
        tolerance: how close to the best counts as near it (0.05: within 5%).
        uncertainty: what the runs' intervals cover: the sweep's metadata record, ``"seeds"`` or ``"parameters"``.
        funder_budget, months: override the scenario's.
        memo: also write the board memo.
        beside: the other study's table (money on top, beside the fixed budget), for the memo.

    Returns:
        ``table`` (the DataFrame written), ``backbone`` (the ``BackboneTable``), ``best_level`` (and
        ``best_share`` for a share), ``near_best_levels``, ``peak_level``, ``takeaway``, ``statement`` (the
        decision across worlds), ``interval`` (what the intervals cover), ``funder_budget``, ``months``,
        ``figures``, ``tables`` and ``memo`` (paths written).
    """
    sc = _scenario(scenario)
    record = _uncertainty(uncertainty)
    factor = factor or factor_of(results)
    bt = backbone_table(results, factor, funder_budget, sc, tolerance, varied=ensemble_columns(record), months=months)
    words = interval_text(record, _runs_per(bt.runs, factor))
    table = bt.table
    table["interval"] = words
    takeaway = takeaway_text(bt, sc)
    statement = uncertainty_statement(bt, record)
    out = Path(out_dir)
    stem = out / ("backbone-on-top" if bt.on_top else "backbone")
    tables = meta.write_table(table, stem)
    fig = backbone_figure(bt, sc, takeaway, statement, words)
    figures = _save(fig, stem, formats, 150)
    result: dict[str, Any] = {
        "backbone": bt, "table": table, "best_level": float(bt.best["level"]),
        "near_best_levels": [float(v) for v in bt.levels[bt.near]], "peak_level": float(bt.peak["level"]),
        "tolerance": tolerance, "takeaway": takeaway, "statement": statement, "interval": words,
        "funder_budget": bt.funder_budget, "months": bt.months, "figures": figures, "tables": tables, "memo": [],
    }
    if factor == SHARE:
        result["best_share"] = result["best_level"]
    if memo:
        from cisim.interfaces.memo import write_memo

        result["memo"] = write_memo(bt, sc, record, takeaway, statement, words, out, beside=beside)
    return result


# ---------------------------------------------------------------- the figure

def _band(ax, x, mean, lo, hi, color, label, thin=None, marker="o", linestyle="-"):
    mean, lo, hi = (np.asarray(v, dtype=float) for v in (mean, lo, hi))
    lo = np.where(np.isfinite(lo), lo, mean)
    hi = np.where(np.isfinite(hi), hi, mean)
    ax.fill_between(x, lo, hi, color=color, alpha=0.18, linewidth=0)
    line = ax.plot(x, mean, color=color, linewidth=2.2, linestyle=linestyle, label=label)[0]
    thin = np.zeros(len(x), dtype=bool) if thin is None else np.asarray(thin, dtype=bool)
    ax.plot(x[~thin], mean[~thin], color=color, marker=marker, markersize=5, linestyle="none")
    if thin.any():
        ax.plot(x[thin], mean[thin], color=color, marker=marker, markersize=7, markerfacecolor="white",
                linestyle="none")
    return line


def _near_span(ax, levels: np.ndarray, near: np.ndarray) -> None:
    """Shade the levels near the best: a band over each run of neighbouring ones, a narrow band around one that
    stands alone (the text lists the same levels)."""
    if near.sum() < 2:
        return
    half = 0.25 * float(np.min(np.diff(levels))) if len(levels) > 1 else 0.005
    k = 0
    while k < len(levels):
        if not near[k]:
            k += 1
            continue
        j = k
        while j + 1 < len(levels) and near[j + 1]:
            j += 1
        lo, hi = (levels[k], levels[j]) if j > k else (levels[k] - half, levels[k] + half)
        ax.axvspan(lo, hi, color=PALETTE[2], alpha=0.09, linewidth=0, zorder=0)
        k = j + 1


def _level_axis(ax, bt: BackboneTable) -> None:
    x = bt.levels
    if bt.on_top:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, p: _esc(money(v))))
        pad = 0.03 * (x.max() - x.min())
        ax.set_xlim(x.min() - pad, x.max() + pad)
    else:
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_xlim(min(0.0, x.min()) - 0.01, x.max() * 1.03 + 0.005)
    ax.grid(color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)


def _level_label(bt: BackboneTable) -> str:
    if bt.on_top:
        return "Backbone money on top of the grants ($ a month)"
    text = "Backbone's share of the funder's budget"
    return text + (_esc(f" (of {money(bt.funder_budget)} a month)") if bt.funder_budget else "")


def backbone_figure(bt: BackboneTable, sc: Scenario | None, takeaway: str, statement: str, words: str) -> Figure:
    """Five panels: the outcome, the people added, the dollars per person, what each step buys, and how often
    each level is near the best across the worlds."""
    t, x, near, thin = bt.table, bt.levels, bt.near, bt.thin
    best = bt.best
    completed = sc.outcome_completed if sc is not None else "people helped"
    over = horizon(bt.months)
    cb = PALETTE[2]
    with rc_context(STYLE):
        fig = Figure(figsize=(13, 16.5), layout="constrained")
        FigureCanvasAgg(fig)
        gs = fig.add_gridspec(5, 2, height_ratios=[0.16, 1.0, 0.95, 0.95, 0.2])

        # the outcome at the checkpoint and at the end
        ax = fig.add_subplot(gs[1, :])
        if bt.mid is not None:
            _band(ax, x, t[f"{bt.mid}_mean"], t[f"{bt.mid}_ci_low"], t[f"{bt.mid}_ci_high"], PALETTE[1],
                  f"after {horizon(bt.checkpoint_month)}", marker="s")
        _band(ax, x, t[f"{bt.end}_mean"], t[f"{bt.end}_ci_low"], t[f"{bt.end}_ci_high"], PALETTE[0],
              f"after {over} (the end)")
        _near_span(ax, x, near)
        ax.axvline(best["level"], color=cb, linestyle="--", linewidth=1.5)
        cols = [c for c in (f"{bt.end}_ci_high", f"{bt.mid}_ci_high" if bt.mid else None) if c]
        top = float(np.nanmax(t[cols].to_numpy(dtype=float)))
        low = float(np.nanmin(t[[c.replace("_high", "_low") for c in cols]].to_numpy(dtype=float)))
        span = max(top - low, 0.02)
        ax.set_ylim(max(0.0, low - 0.35 * span), min(1.0, top + 0.1 * span))
        best_text = (f"most {completed} per funder dollar: {level_text(bt.factor, best['level'])}\n"
                     f"{percent(best[f'{bt.end}_mean'], 0)} after {over}")
        if near.sum() > 1:
            best_text += f"\nshaded: within {share(bt.tolerance)} of it"
        ax.annotate(_esc(best_text), xy=(best["level"], 0.03), xycoords=("data", "axes fraction"), xytext=(8, 0),
                    textcoords="offset points", ha="left", va="bottom", color=cb, fontsize=10.5, fontweight="bold")
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_ylabel(_outcome_axis_label(sc, "Outcome"))
        ax.set_xlabel(_level_label(bt))
        ax.set_title("Outcome by backbone money")
        _level_axis(ax, bt)
        ax.legend(loc="upper left", fontsize=10.5, frameon=True, facecolor="white", edgecolor="none")

        # people added against the status quo
        ax2 = fig.add_subplot(gs[2, 0])
        _band(ax2, x, t["additional_mean"], t["additional_ci_low"], t["additional_ci_high"], PALETTE[1],
              "additional people", thin=thin)
        ax2.axhline(0, color="#333333", linewidth=0.8)
        ax2.plot([best["level"]], [best["additional_mean"]], marker="*", markersize=17, color=cb, linestyle="none",
                 zorder=5)
        _near_span(ax2, x, near)
        ax2.set_ylabel(_esc(f"Additional {completed}\nover {over}, against {level_text(bt.factor, bt.status_quo)}"))
        ax2.set_xlabel(_level_label(bt) if bt.on_top else "Backbone's share of the funder's budget")
        ax2.set_title(f"People helped beyond {level_text(bt.factor, bt.status_quo)}")
        ax2.yaxis.set_major_formatter(FuncFormatter(lambda v, p: number(v, 0)))
        _level_axis(ax2, bt)

        # dollars per person helped
        ax3 = fig.add_subplot(gs[2, 1])
        _band(ax3, x, t["funder_dollars_per_person_mean"], t["funder_dollars_per_person_ci_low"],
              t["funder_dollars_per_person_ci_high"], PALETTE[3], "the funder's money", thin=thin)
        _band(ax3, x, t["all_dollars_per_person_mean"], t["all_dollars_per_person_ci_low"],
              t["all_dollars_per_person_ci_high"], "#777777", "all money (own funds included)", thin=thin,
              linestyle="--")
        ax3.plot([best["level"]], [best["funder_dollars_per_person_mean"]], marker="*", markersize=17, color=cb,
                 linestyle="none", zorder=5)
        ax3.set_ylim(bottom=0)
        ax3.yaxis.set_major_formatter(FuncFormatter(lambda v, p: _esc(money(v))))
        ax3.set_ylabel("Dollars per person helped\n(lower is better)")
        ax3.set_xlabel(_level_label(bt) if bt.on_top else "Backbone's share of the funder's budget")
        ax3.set_title("What each person helped costs")
        ax3.legend(loc="upper center", fontsize=9.5, frameon=True, facecolor="white", edgecolor="none")
        _level_axis(ax3, bt)

        # what each further step buys
        ax4 = fig.add_subplot(gs[3, 0])
        steps = t.iloc[1:]
        col = "people_per_1k" if "people_per_1k" in t else "step_people"
        m = steps[col].to_numpy(dtype=float)
        err = np.vstack([m - steps[f"{col}_ci_low"].to_numpy(dtype=float),
                         steps[f"{col}_ci_high"].to_numpy(dtype=float) - m])
        err = np.where(np.isfinite(err), err, 0.0)
        pos = np.arange(len(steps))
        ax4.bar(pos, m, color=[PALETTE[1] if v >= 0 else PALETTE[0] for v in m], yerr=err, capsize=3,
                error_kw={"ecolor": "#333333", "elinewidth": 1.0})
        ax4.axhline(0, color="#333333", linewidth=0.8)
        ticks = [level_text(bt.factor, b).replace(" a month", "") for b in steps["level"]]
        ax4.set_xticks(pos, ticks, fontsize=8.5, rotation=90 if len(pos) > 8 else 0)
        ax4.set_xlabel("Step up to this level, from the one before")
        per = "per extra \\$1,000 a month" if col == "people_per_1k" else "per step"
        ax4.set_ylabel(_esc(f"Additional {completed} over {over}\n") + per)
        ax4.set_title("What each further step buys")
        ax4.grid(axis="y", color="#eeeeee", linewidth=0.6)
        ax4.set_axisbelow(True)

        # across plausible worlds
        ax5 = fig.add_subplot(gs[3, 1])
        d = bt.decision
        if d is not None:
            width = 0.4
            pos = np.arange(len(t))
            ax5.bar(pos - width / 2, t["p_best"], width, color=cb, label="best in that world")
            ax5.bar(pos + width / 2, t["p_near"], width, color=PALETTE[5], label=f"within {share(d.near)} of it")
            ax5.set_xticks(pos, [level_text(bt.factor, v).replace(" a month", "") for v in x], fontsize=8.5,
                           rotation=90 if len(pos) > 8 else 0)
            ax5.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
            ax5.set_ylim(0, 1.05)
            ax5.set_ylabel(f"Share of the {d.worlds} worlds")
            ax5.set_title("How often each level is best, across plausible worlds")
            ax5.legend(loc="upper right", fontsize=9.5, frameon=True, facecolor="white", edgecolor="none")
            ax5.grid(axis="y", color="#eeeeee", linewidth=0.6)
            ax5.set_axisbelow(True)
        else:
            ax5.axis("off")
            ax5.text(0.5, 0.5, "No common seeds across levels:\nno decision across worlds", ha="center",
                     va="center", color="#555555", transform=ax5.transAxes)

        reps = _replicate_text(bt.runs, bt.factor)
        budget = f" of {money(bt.funder_budget)} a month" if bt.funder_budget else ""
        note = (f"Lines and bars: means over replicates; bands and whiskers: {words}, Student t intervals of the "
                f"mean. {reps}. People helped: {completed} who completed the whole pathway over months 1 to "
                f"{bt.months}. Additional: against {level_text(bt.factor, bt.status_quo)} (the lowest level tried), "
                f"paired by seed when possible. The funder's money: its grants and backbone money (the budget"
                f"{budget}{' plus the money on top' if bt.on_top else ''}); all money adds the organizations' own "
                f"funds and funds raised from others. Best: the fewest funder dollars per person helped among the "
                f"solid levels; shaded: within {share(bt.tolerance)} of it with 95% confidence; {THIN_NOTE}. "
                f"Worlds: each replicate's seed and parameter set, one run per level; {statement}"
                + (f" Scenario: {sc.name} ({Path(sc.source).name}), {over}." if sc is not None else ""))
        _footnote_axes(fig, fig.add_subplot(gs[4, :]), note, 165)
        title = ("What does backbone money on top of the grants buy?" if bt.on_top
                 else "How much of the budget should go to the backbone?")
        _header_axes(fig, fig.add_subplot(gs[0, :]), title, takeaway)
    return fig
