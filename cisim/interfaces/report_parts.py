"""Pieces every report shares: the words for levels and replicates, and the header and footnote of a figure."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.transforms import blended_transform_factory

from cisim.experiments.tables import ON_TOP
from cisim.model.formats import money, seed_text, share
from cisim.model.scenario import Scenario, load

_SUP = dict(enumerate("⁰¹²³⁴⁵⁶⁷⁸⁹"))


def level_text(factor: str, value: float) -> str:
    """A backbone level as the funder reads it: a share (``14%``) or money on top (``$15k a month``)."""
    return share(value) if factor != ON_TOP else f"{money(value)} a month"


def _shares_text(levels: np.ndarray, chosen: np.ndarray, fmt=share, noun: str = "share") -> tuple[str, bool]:
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
            items.append(f"every {noun} from {fmt(levels[run[0]])} to {fmt(levels[run[-1]])}")
        else:
            items += [fmt(levels[k]) for k in run]
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


