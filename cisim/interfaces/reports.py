"""Reports on a results table: which condition matters most (the ablation), and the funder's backbone report.

The ablation report takes a tidy results table, one row per run: factor columns named by
dotted parameter path (``conditions.common_agenda``), a ``seed`` column, optionally ``point``,
``replicate`` and ``status`` (rows whose status is not ``"ok"`` are ignored), and the per-run
outputs of ``cisim.experiments.summary``.  ``run_batch(...).summary`` is such a table.  It writes
a figure (PNG and PDF) and a table (CSV and Parquet) and returns the numbers.  What the intervals
cover (seed noise, or seed noise and the calibrated parameters) is what the runs had: pass the
sweep's metadata record (or its ``uncertainty`` entries) as ``uncertainty=``.

The backbone report lives in ``cisim.interfaces.backbone_report`` and its memo in
``cisim.interfaces.memo``; both are importable from here.  The numbers come from
``cisim.experiments.tables``; these modules word them, draw them and write the files.
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

from cisim.experiments import metadata as meta
from cisim.experiments.labels import CONDITIONS, factor_label, label
from cisim.experiments.tables import NEAR_BEST, AblationTable, ablation_table
from cisim.experiments.uncertainty import interval_text
from cisim.interfaces.backbone_report import _near_span, backbone_report
from cisim.interfaces.plots import PALETTE, STYLE, _save
from cisim.interfaces.report_parts import (
    _SUP,
    _footnote_axes,
    _header_axes,
    _runs_per,
    _scenario,
    _shares_text,
    _uncertainty,
)
from cisim.model.formats import plain, points, seed_text
from cisim.model.scenario import Scenario

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


__all__ = ["CONDITIONS", "NEAR_BEST", "_near_span", "_shares_text", "ablation_report", "backbone_report",
           "factor_label"]
