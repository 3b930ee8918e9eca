"""Figures for board memos: the outcome over time and the mechanisms behind it.

Figures are built on ``matplotlib.figure.Figure`` (rendered with the Agg backend,
never touching pyplot's global state) and written as PNG and SVG.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MultipleLocator, PercentFormatter

from cisim.experiments import metadata as meta
from cisim.experiments.compare import coverage_at_end, dropouts_by_step, mean_ci
from cisim.experiments.uncertainty import interval_text, parameters_note
from cisim.model.formats import money, number, percent, seed_text, share

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
PALETTE = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
STYLE = {
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.fontsize": 10,
    "legend.frameon": False,
    "svg.fonttype": "none",
}

# legends drawn over lines get an opaque white box so the lines do not cross their text
_BOXED = {"frameon": True, "facecolor": "white", "edgecolor": "none", "framealpha": 1.0}


@dataclass
class _Entry:
    name: str
    group: object  # runner.RunGroup
    color: str

    @property
    def scenario(self):
        return self.group.scenario

    def band(self, series: str, months: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        mean, lo, hi, _ = mean_ci(self.group.series(series)[:, :months + 1])
        lo = np.where(np.isfinite(lo), lo, mean)
        hi = np.where(np.isfinite(hi), hi, mean)
        return mean, lo, hi


def _month_axis(ax, months: int, label: bool = True) -> None:
    """x in months, years marked: major ticks and light lines every 12 months."""
    step = 12 if months <= 120 else 60
    ax.set_xlim(0, months)
    ax.xaxis.set_major_locator(MultipleLocator(step))
    ax.xaxis.set_minor_locator(MultipleLocator(3 if months <= 120 else 12))

    def fmt(x, _pos):
        m = int(round(x))
        return "0\nstart" if m == 0 else f"{m}\nyear {m // 12}" if m % 12 == 0 else str(m)

    ax.xaxis.set_major_formatter(FuncFormatter(fmt))
    ax.grid(axis="x", which="major", color="#dddddd", linewidth=0.8)
    ax.grid(axis="y", which="major", color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)
    if label:
        ax.set_xlabel("Months since the initiative began")


def _line(ax, entry: _Entry, series: str, months: int, **kw):
    mean, lo, hi = entry.band(series, months)
    x = np.arange(months + 1)
    ax.fill_between(x, lo, hi, color=entry.color, alpha=0.18, linewidth=0)
    return ax.plot(x, mean, color=entry.color, linewidth=kw.pop("linewidth", 2.2), **kw)[0]


def _outcome_panel(ax, entries: list[_Entry], months: int, crossover: dict | None, groups: bool) -> None:
    first = entries[0].scenario
    handles = []
    # many legend entries: short labels (no interval; the tables have it) in two columns
    compact = len(entries) * (3 if groups else 1) > 4
    for e in entries:
        mean, lo, hi = e.band("outcome", months)
        _line(ax, e, "outcome", months)
        if compact:
            label = f"{e.name}: {percent(mean[-1])}, month {months}"
        else:
            label = f"{e.name}: {percent(mean[-1])} at month {months}"
            if np.isfinite(lo[-1]) and hi[-1] > lo[-1]:
                label += f"  (interval {percent(lo[-1])} to {percent(hi[-1])})"
        handles.append(Line2D([], [], color=e.color, linewidth=2.6, label=label))
        if groups:
            for series, style, who in (("outcome_majority", (0, (5, 2)), "majority group"),
                                       ("outcome_marginalized", (0, (1, 1.5)), "marginalized group")):
                m, _, _ = e.band(series, months)
                ax.plot(np.arange(months + 1), m, color=e.color, linewidth=1.5, linestyle=style)
                handles.append(Line2D([], [], color=e.color, linewidth=1.5, linestyle=style,
                                      label=f"{who}: {percent(m[-1])}"))
    ymax = max(float(np.nanmax(e.band("outcome", months)[2])) for e in entries)
    if groups:
        ymax = max(ymax, *(float(np.nanmax(e.group.series("outcome_majority")[:, :months + 1].mean(axis=0)))
                           for e in entries))
    ax.set_ylim(0, min(1.0, ymax * 1.12 + 0.02))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    by_month: dict[int, list[_Entry]] = {}
    for name, month in (crossover or {}).items():
        if month is not None:
            by_month.setdefault(month, []).append(next(e for e in entries if e.name == name))
    for j, (month, crossing) in enumerate(sorted(by_month.items())):
        color = crossing[0].color if len(crossing) == 1 else "#333333"
        ax.axvline(month, color=color, linestyle=":", linewidth=1.6)
        who = ", ".join(e.name for e in crossing)
        verb = "pulls" if len(crossing) == 1 else "pull"
        ax.annotate(f"{who} {verb} ahead of {entries[0].name} for good from month {month}",
                    xy=(month, 0), xytext=(6, 6 + 17 * j), textcoords="offset points", va="bottom", ha="left",
                    fontsize=10.5, color=color, bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none",
                                                      "alpha": 0.85})
    _month_axis(ax, months)
    unit = first.outcome_unit
    unit = f"% of {unit[9:]}" if unit.startswith("share of ") else f"%, {unit}"
    if len({(e.scenario.outcome_label, e.scenario.outcome_unit) for e in entries}) > 1:
        ax.set_ylabel("Outcome (each scenario's own measure, %)")
    else:
        ax.set_ylabel("\n".join([*textwrap.wrap(first.outcome_label, 44), f"({unit})"]))
    ax.set_title("Outcome over time")
    if not compact:
        ax.legend(handles=handles, loc="best", fontsize=11, handlelength=2.8, **_BOXED)
    else:  # top left, where the outcomes have not risen yet
        ax.legend(handles=handles, loc="upper left", ncol=2, fontsize=9.5, handlelength=2.2, columnspacing=1.2,
                  **_BOXED)


def _trust_panel(ax, entries: list[_Entry], months: int) -> None:
    for e in entries:
        _line(ax, e, "trust_across", months)
        _line(ax, e, "trust_within", months, linestyle=(0, (4, 2)), linewidth=1.6)
    ax.set_ylim(0, 1)
    ax.set_ylabel("Mean trust (0 = none, 1 = full)")
    ax.set_title("Trust between organizations")
    handles = [Line2D([], [], color="#444444", linewidth=2.2, label="across sectors"),
               Line2D([], [], color="#444444", linewidth=1.6, linestyle=(0, (4, 2)), label="within a sector")]
    ax.legend(handles=handles, loc="upper left")
    _month_axis(ax, months)


def _step_bars(ax, entries: list[_Entry], table_of, xlabel: str, title: str, floor: float | None = None,
               xmax: float | None = None) -> None:
    """One bar per step and scenario, with its CI, from ``table_of(group)`` (domain, mean, ci_low, ci_high)."""
    first = entries[0].scenario
    domains = first.domain_names
    labels = ["\n".join(textwrap.wrap(lbl, 26, max_lines=3, placeholder=" ...")) for lbl in first.domain_labels]
    k = len(entries)
    height = 0.8 / k
    y = np.arange(len(domains))
    for j, e in enumerate(entries):
        table = table_of(e.group).set_index("domain")
        present = [d for d in domains if d in table.index]
        rows = table.loc[present]
        pos = y[[domains.index(d) for d in present]] - 0.4 + height * (j + 0.5)
        err = np.vstack([rows["mean"] - rows.ci_low, rows.ci_high - rows["mean"]])
        err = np.where(np.isfinite(err), err, 0.0)
        ax.barh(pos, rows["mean"], height=height * 0.92, color=e.color, xerr=err,
                error_kw={"ecolor": "#333333", "elinewidth": 0.9, "capsize": 2}, label=e.name)
    # a band above the bars holds the legend (scenarios and the coverage floor)
    extra = 0
    if floor is not None:
        ax.axvline(floor, color="#222222", linestyle="--", linewidth=1.3, label=f"coverage floor ({share(floor)})")
        extra = 1
    ncol = min(k + extra, 3)
    top = -0.55 - 0.6 * -(-(k + extra) // ncol)
    ax.set_yticks(y, labels, fontsize=9.5)
    ax.set_ylim(len(domains) - 0.5, top)
    if xmax is not None:
        ax.set_xlim(0, xmax)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    else:
        ax.set_xlim(left=0)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, 0)))
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.grid(axis="x", color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)
    handles, names = ax.get_legend_handles_labels()
    order = [*range(extra, len(handles)), *range(extra)]  # scenarios first, then the floor
    ax.legend([handles[i] for i in order], [names[i] for i in order], loc="upper right", ncol=ncol, fontsize=9.5,
              borderaxespad=0.2, handlelength=1.6, columnspacing=1.2, **_BOXED)


def _coverage_panel(ax, entries: list[_Entry], months: int) -> None:
    _step_bars(ax, entries, coverage_at_end, "Share of the people wanting the step who are in service",
               f"Coverage of each step at month {months}", floor=entries[0].scenario.get("problem.coverage_floor"),
               xmax=1.0)


def _dropout_panel(ax, entries: list[_Entry], months: int) -> None:
    people = entries[0].scenario.outcome_people
    _step_bars(ax, entries, dropouts_by_step, f"{people.capitalize()} who gave up waiting there, months 1 to {months}",
               "Where people give up")


def _completed_panel(ax, entries: list[_Entry], months: int) -> None:
    s = entries[0].scenario
    for e in entries:
        _line(ax, e, "people_completed", months)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: number(v, 0)))
    completed = s.outcome_completed
    ax.set_ylabel("\n".join(textwrap.wrap(f"{completed.capitalize()} per month", 30)))
    ax.set_title("People through the whole pathway")
    _month_axis(ax, months)


def _waste_panel(ax, entries: list[_Entry], months: int) -> None:
    for e in entries:
        _line(ax, e, "duplication_waste", months)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: money(v)))
    ax.set_ylabel("$ per month on places\nnobody used")
    ax.set_title("Idle and duplicated places")
    _month_axis(ax, months)


def _members_panel(ax, entries: list[_Entry], months: int) -> None:
    top = 1.0
    for e in entries:
        _line(ax, e, "active_members", months)
        top = max(top, float(np.nanmax(e.group.series("active_members")[:, :months + 1])))
        if not np.any(e.group.series("active_members")[:, :months + 1]):
            ax.annotate(f"{e.name}: no coalition", xy=(months, 0), xytext=(-4, 4), textcoords="offset points",
                        ha="right", va="bottom", color=e.color, fontsize=10)
    ax.set_ylim(0, top * 1.08)
    ax.set_ylabel("Organizations")
    ax.set_title("Active coalition members")
    _month_axis(ax, months)


def _figure(entries: list[_Entry], months: int, title: str, footnote: str, crossover: dict | None = None,
            groups: bool = False) -> Figure:
    from matplotlib import rc_context

    with rc_context(STYLE):
        note_lines = textwrap.wrap(footnote, 165)
        fig = Figure(figsize=(13, 20), layout="constrained")
        FigureCanvasAgg(fig)
        gs = fig.add_gridspec(5, 2, height_ratios=[1.55, 1, 1, 1, 0.06 + 0.05 * len(note_lines)])
        _outcome_panel(fig.add_subplot(gs[0, :]), entries, months, crossover, groups)
        _completed_panel(fig.add_subplot(gs[1, 0]), entries, months)
        _dropout_panel(fig.add_subplot(gs[1, 1]), entries, months)
        _trust_panel(fig.add_subplot(gs[2, 0]), entries, months)
        _coverage_panel(fig.add_subplot(gs[2, 1]), entries, months)
        _waste_panel(fig.add_subplot(gs[3, 0]), entries, months)
        _members_panel(fig.add_subplot(gs[3, 1]), entries, months)
        note = fig.add_subplot(gs[4, :])
        note.axis("off")
        note.text(0, 1, "\n".join(note_lines), va="top", ha="left", fontsize=9.5, color="#333333",
                  transform=note.transAxes)
        fig.suptitle(title, fontsize=17, fontweight="bold", x=0.01, ha="left")
    return fig


def _stamp(record: dict) -> str:
    version = record.get("versions", {}).get("cisim") or "?"
    return f"cisim {version}, {record.get('created', '')[:10]}."


def _changes_text(changes: dict) -> str:
    return (" Changed from the files: " + ", ".join(f"{k} = {v}" for k, v in changes.items()) + ".") if changes else ""


def _save(fig: Figure, path: str | Path, formats: Sequence[str], dpi: int) -> list[Path]:
    path = Path(path)
    stem = path.with_suffix("") if path.suffix.lower() in (".png", ".svg", ".pdf") else path
    written = []
    for fmt in formats:
        target = stem.with_name(f"{stem.name}.{fmt}")
        with meta.atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white")
        written.append(target)
    return written


def make_compare_figure(result, title: str | None = None) -> Figure:
    """The comparison figure of a ``CompareResult`` as a matplotlib ``Figure`` (for notebooks)."""
    entries = [_Entry(name, b.groups[0], PALETTE[k % len(PALETTE)])
               for k, (name, b) in enumerate(zip(result.names, result.batches))]
    months = min(e.group.months for e in entries)
    names = result.names
    if title is None:
        who = names[0] if len(names) == 1 else f"{names[1]} vs {names[0]}" if len(names) == 2 \
            else f"{len(names) - 1} scenarios compared with {names[0]}"
        title = f"{who}: outcome over {months} months and the mechanisms behind it"
    sources = "; ".join(f"{e.name} ({Path(e.scenario.source).name})" for e in entries)
    note = parameters_note(result.metadata)
    if result.replicates == 1:
        lines = (f"Lines: one run per scenario, the same seed ({seed_text(result.seeds)}) for every scenario"
                 f"{f' ({note})' if note else ''}; with one run there are no confidence intervals.")
    else:
        sets = ", and so the same parameter sets" if note else ""
        lines = (f"Lines: mean of {result.replicates} replicates per scenario; shaded bands and error bars: "
                 f"{interval_text(result.metadata, result.replicates)}, Student t intervals of the mean. Every "
                 f"scenario ran the same seeds ({seed_text(result.seeds)}){sets}, so differences are paired.")
    footnote = (f"{lines} Scenarios: {sources}."
                f"{_changes_text(result.metadata.get('changes', {}))} {_stamp(result.metadata)}")
    return _figure(entries, months, title, footnote, crossover=result.crossover)


def compare_figure(result, path: str | Path, formats: Sequence[str] = ("png", "svg"), title: str | None = None,
                   dpi: int = 150) -> list[Path]:
    """Write the comparison figure of a ``CompareResult`` (``path`` without suffix) as PNG and SVG.

    Top: the outcome of each scenario over months with 95% bands and the crossover month.
    Below: trust across and within sectors, coverage per domain at the end against the
    coverage floor, duplication waste, and active members.
    """
    return _save(make_compare_figure(result, title), path, formats, dpi)


def make_run_figure(batch, title: str | None = None) -> Figure:
    """The figure of a one-scenario ``BatchResult`` as a matplotlib ``Figure``."""
    group = batch.groups[0]
    entry = _Entry(group.scenario.name, group, PALETTE[1])
    months = group.months
    run_seeds = batch.summary["seed"].tolist()
    if title is None:
        title = f"{group.scenario.name}: outcome over {months} months and the mechanisms behind it"
    note = parameters_note(batch.metadata)
    lines = (f"Lines: one run (seed {run_seeds[0]}{f', {note}' if note else ''}), so no confidence intervals"
             if len(run_seeds) == 1 else
             f"Lines: mean of {len(run_seeds)} replicates (seeds {seed_text(run_seeds)}); shaded bands and error bars: "
             f"{interval_text(batch.metadata, len(run_seeds))}, Student t intervals of the mean")
    footnote = (f"{lines}; dashed and dotted lines: the majority and the marginalized group. "
                f"Scenario: {group.scenario.name} ({Path(group.scenario.source).name})."
                f"{_changes_text(batch.metadata.get('changes', {}))} {_stamp(batch.metadata)}")
    return _figure([entry], months, title, footnote, groups=True)


def run_figure(batch, path: str | Path, formats: Sequence[str] = ("png", "svg"), title: str | None = None,
               dpi: int = 150) -> list[Path]:
    """Write the figure of one scenario's ``BatchResult`` (outcome by group and the mechanisms)."""
    return _save(make_run_figure(batch, title), path, formats, dpi)
