"""The board memo of a backbone study: a Markdown paragraph to paste and a one-page PDF.

Four parts, as a board reads them: the question; the answer with its range; what it rests on
(the scenario's own numbers, the assumptions calibrated to the evidence and those that are not);
and what would change it.  Every number is read from the backbone table
(``cisim.experiments.tables.BackboneTable``); nothing here computes a statistic of its own.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from cisim.experiments import metadata as meta
from cisim.experiments.labels import label
from cisim.experiments.tables import BackboneTable
from cisim.experiments.uncertainty import ensemble_columns, kind_of
from cisim.interfaces.plots import PALETTE, STYLE
from cisim.interfaces.report_parts import _esc, level_text
from cisim.model.formats import dollars, horizon, interval, money, number, plain
from cisim.model.scenario import Scenario
from cisim.model.schema import BY_PATH

#: Assumptions the backbone decision leans on: how much the backbone's work needs, what it costs and how
#: fast it builds, and how much of a condition works without it.
KEY_ASSUMPTIONS = ("backbone.salary", "backbone.staff_per_member", "backbone.staff_per_domain",
                   "backbone.hiring_months", "backbone.build_rate", "backbone.without_strength")
#: A calibrated parameter moves the best level when its rank correlation with it is at least this strong.
STRONG = 0.3


def _people(x: float) -> str:
    return number(x, 0)


def _level(bt: BackboneTable, v: float) -> str:
    return level_text(bt.factor, v)


def question(bt: BackboneTable, sc: Scenario | None) -> str:
    where = f" in {sc.name}" if sc is not None else ""
    what = sc.outcome_completed if sc is not None else "people helped"
    if bt.on_top:
        return (f"How much backbone money, on top of the grants, makes the funder's money help the most {what}"
                f"{where} over {horizon(bt.months)}?")
    budget = f"the funder's {money(bt.funder_budget)} a month" if bt.funder_budget else "the funder's budget"
    return (f"What share of {budget} should go to a backbone organization, rather than to grants, to help the "
            f"most {what}{where} over {horizon(bt.months)}?")


def rests_on(bt: BackboneTable, sc: Scenario | None, record: Mapping[str, Any], words: str) -> str:
    """The scenario's inputs, the calibrated and the uncalibrated assumptions, and what the intervals cover."""
    parts = []
    if sc is not None:
        parts.append(f"The community's own numbers, as given in {Path(sc.source).name} and not calibrated: "
                     f"{int(sc.get('coalition.size'))} organizations averaging {money(sc.get('coalition.budget_mean'))}"
                     f" a month, {number(sc.get('problem.population'), 0)} people at risk, "
                     f"{len(sc.domains)} steps on the pathway, the funder's {money(sc.get('funder.budget'))} a month,"
                     f" over {horizon(sc.months)}.")
    calibrated = ensemble_columns(record)
    if calibrated:
        e = record.get("ensemble") or {}
        ranges = []
        for p in calibrated[:6]:
            if p in bt.runs:
                v = bt.runs.drop_duplicates("seed")[p].to_numpy(dtype=float)
                ranges.append(f"{label(p).lower()} ({plain(round(float(v.min()), 4))} to "
                              f"{plain(round(float(v.max()), 4))})")
        more = f" and {len(calibrated) - 6} more" if len(calibrated) > 6 else ""
        parts.append(f"How organizations behave: {len(calibrated)} parameters are calibrated to what real "
                     f"coalitions achieved (the {e.get('name', 'evidence')} ensemble, docs/evidence.md), and every "
                     f"world takes one calibrated set: {', '.join(ranges)}{more}.")
    else:
        parts.append("How organizations behave: the parameters as assumed in the scenario (seed noise only; "
                     "run the sweep with --uncertainty parameters to cover the calibrated range).")
    fixed = [p for p in KEY_ASSUMPTIONS if p not in calibrated]
    if fixed and sc is not None:
        items = [f"{label(p).lower()} {plain(sc.get(p))} {BY_PATH[p].unit}" for p in fixed]
        parts.append(f"Not calibrated, set from the literature (docs/ODD.md): {', '.join(items)}.")
    parts.append(f"Intervals: {words}.")
    return " ".join(parts)


def what_would_change(bt: BackboneTable, record: Mapping[str, Any]) -> str:
    parts = []
    d = bt.decision
    if d is not None:
        strong = [x for x in d.drivers if abs(x["rho"]) >= STRONG]
        for x in strong[:2]:
            way = "higher" if x["rho"] > 0 else "lower"
            parts.append(f"The best level is {way} in worlds where {label(x['parameter']).lower()} is higher "
                         f"(rank correlation {x['rho']:+.2f} over {d.worlds} worlds).")
        if not strong and d.drivers:
            parts.append(f"No calibrated parameter moves the best level much (every rank correlation is below "
                         f"{STRONG} over {d.worlds} worlds).")
    if bt.edge is not None:
        lo, hi = bt.suggestion
        parts.append(f"The best is at the {'lowest' if bt.edge == 'low' else 'highest'} level tried: a sweep from "
                     f"{_level(bt, lo)} to {_level(bt, hi)} may find a better one.")
    fixed = [label(p).lower() for p in KEY_ASSUMPTIONS if p not in set(ensemble_columns(record))][:3]
    also = f" ({', '.join(fixed)})" if fixed else ""
    parts.append(f"Another horizon, another community or the uncalibrated assumptions set otherwise{also} can move "
                 f"it: rerun with --scenario and --set, and see 'cisim sensitivity' for how much each assumption "
                 f"matters.")
    return " ".join(parts)


def on_top_paragraph(top: BackboneTable, sc: Scenario | None) -> str:
    """The study of money on top of the grants, beside the fixed budget: the gain per extra dollar."""
    what = sc.outcome_completed if sc is not None else "people helped"
    b = top.best
    first = top.table.iloc[1] if len(top.table) > 1 else None
    text = (f"Money on top of the grants: adding {_level(top, b['level'])} for the backbone helps "
            f"{interval(b['additional_mean'], b['additional_ci_low'], b['additional_ci_high'], _people)} more {what} "
            f"over {horizon(top.months)} than no backbone money")
    key = "extra_funder_dollars_per_additional"
    if np.isfinite(b.get(f"{key}_mean", np.nan)):
        each = interval(b[f"{key}_mean"], b[f"{key}_ci_low"], b[f"{key}_ci_high"], dollars)
        text += f", {each} of extra funder money per additional person"
    text += "."
    if first is not None and "people_per_1k" in top.table:
        text += (f" The first {_level(top, first['level'])} buys {number(first['people_per_1k'], 1)} more people "
                 f"per extra $1,000 a month; the last step, {number(top.table.iloc[-1]['people_per_1k'], 1)}.")
    return text


def memo_text(bt: BackboneTable, sc: Scenario | None, record: Mapping[str, Any], takeaway: str, statement: str,
              words: str, beside: BackboneTable | None = None) -> str:
    """The memo in Markdown."""
    title = "Backbone money on top of the grants" if bt.on_top else "How much of the budget for the backbone"
    answer = takeaway + (f" {statement}" if statement else "")
    lines = [f"## {title}" + (f": {sc.name}" if sc is not None else ""), "",
             f"**Question.** {question(bt, sc)}", "",
             f"**Answer.** {answer}", ""]
    if beside is not None:
        lines += [f"**Beside it.** {on_top_paragraph(beside, sc)}", ""]
    lines += [f"**What it rests on.** {rests_on(bt, sc, record, words)}", "",
              f"**What would change it.** {what_would_change(bt, record)}", "",
              f"*cisim simulation{', ' + kind_of(record) + ' uncertainty' if record else ''}; "
              f"{len(bt.runs)} runs. Figure and table: "
              f"{'backbone-on-top' if bt.on_top else 'backbone'}.png, .csv.*", ""]
    return "\n".join(lines)


def _pdf(text: str, bt: BackboneTable, sc: Scenario | None, path: Path) -> Path:
    """One page: the memo's paragraphs, then the people added by level."""
    with rc_context(STYLE):
        fig = Figure(figsize=(8.5, 11))
        FigureCanvasAgg(fig)
        y = 0.95
        for block in text.split("\n\n"):
            block = block.strip()
            if not block:
                continue
            heading = block.startswith("## ")
            body = block[3:] if heading else block.replace("**", "").replace("*", "")
            size = 14 if heading else 9.2
            wrapped = textwrap.wrap(body, 70 if heading else 112)
            fig.text(0.07, y, _esc("\n".join(wrapped)), va="top", ha="left", fontsize=size,
                     fontweight="bold" if heading else "normal", color="#222222")
            y -= (0.0155 if not heading else 0.024) * len(wrapped) + 0.014
        ax = fig.add_axes((0.12, 0.05, 0.8, max(0.12, min(0.26, y - 0.1))))
        t = bt.table
        x = bt.levels
        ax.fill_between(x, t["additional_ci_low"], t["additional_ci_high"], color=PALETTE[1], alpha=0.2, linewidth=0)
        ax.plot(x, t["additional_mean"], color=PALETTE[1], marker="o", markersize=4)
        ax.axvline(bt.best["level"], color=PALETTE[2], linestyle="--")
        ax.axhline(0, color="#333333", linewidth=0.8)
        ax.set_xticks(x, [_level(bt, v).replace(" a month", "") for v in x], fontsize=7.5, rotation=90)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, p: number(v, 0)))
        what = sc.outcome_completed if sc is not None else "people helped"
        ax.set_ylabel(_esc(f"additional {what}"), fontsize=9)
        ax.set_title(_esc(f"People helped over {horizon(bt.months)} beyond {_level(bt, bt.status_quo)} "
                          f"(band: the interval above)"), fontsize=10)
        ax.grid(color="#eeeeee", linewidth=0.6)
        with meta.atomic_path(path) as tmp:
            fig.savefig(tmp, format="pdf")
    return path


def write_memo(bt: BackboneTable, sc: Scenario | None, record: Mapping[str, Any], takeaway: str, statement: str,
               words: str, out_dir: Path, beside: BackboneTable | None = None) -> list[Path]:
    """``backbone-memo.md`` and ``backbone-memo.pdf`` (``backbone-on-top-memo.*``) in ``out_dir``."""
    stem = "backbone-on-top-memo" if bt.on_top else "backbone-memo"
    text = memo_text(bt, sc, record, takeaway, statement, words, beside)
    md = meta.write_text(Path(out_dir) / f"{stem}.md", text)
    return [md, _pdf(text, bt, sc, Path(out_dir) / f"{stem}.pdf")]
