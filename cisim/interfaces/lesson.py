"""The lesson kit: a short PDF handout on isolated against collective impact, and its figures.

    cisim lesson [--replicates 30] [--seed 0] [--out cisim-output]

The handout puts the bundled ``isolated`` and ``collective`` scenarios side by side
(the same organizations, budgets and funder, the same seeds), says in plain words
what each condition does in the model, asks five questions for discussion and gives
the exact command that redraws each figure.  Everything is drawn with matplotlib
(text pages too), so the kit needs nothing beyond cisim's own dependencies.  A
metadata file records the scenarios, seeds, versions and the command, as every
cisim output does.
"""

from __future__ import annotations

import shlex
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter, MaxNLocator

from cisim.experiments import metadata as meta
from cisim.experiments.compare import CompareResult, compare, mean_ci
from cisim.experiments.labels import label
from cisim.interfaces import plots
from cisim.model.formats import money, number, percent, points, seed_text, share
from cisim.model.schema import CONDITIONS as CONDITION_NAMES

SCENARIOS = ("isolated", "collective")
NETWORK_MONTHS = (0, 12, 60)
PAGE = (8.5, 11.0)  # US letter, inches; fits A4 printers with their default margins
MARGIN = 0.75  # inches, left and right
PDF_NAME = "lesson-handout.pdf"
METADATA_NAME = "lesson-metadata.json"
INK = "#222222"
MUTED = "#555555"

CONDITIONS = (
    (label("conditions.common_agenda"),
     "Members' priorities drift from their own mission (tilted to the most visible, fundable services) towards "
     "a shared plan in which every step of the pathway counts, each member pursuing it through what it does "
     "well. Agreeing the plan takes planning meetings in the first months; members align faster when they "
     "trust the others and the backbone's strategy work has settled the plan."),
    (label("conditions.shared_measurement"),
     "Alone, an organization sees only its own clients and the queues at the steps it serves, with errors and "
     "months late, and nothing of the steps it does not serve. With shared measurement members see every step "
     "as it is: where people wait, where places stand empty, where people give up. Progress becomes visible, "
     "which keeps members and helps raise funds. It works fully only once the backbone has built the data "
     "system."),
    (label("conditions.mutually_reinforcing"),
     "Members who trust a partner enough coordinate with it: they refer people to each other, so their places "
     "at a step stop overlapping, each leans towards what it does best and fills steps its partners leave "
     "uncovered. Referrals and agreements take time, and coordination removes part of the overlap, not all. "
     "Without it, places bought by different organizations at the same step overlap by chance and some stand "
     "empty."),
    (label("conditions.continuous_communication"),
     "Regular meetings build trust, slowly, and more slowly across sectors than within one; trust fades without "
     "contact and drops when a partner fails to deliver or leaves. Meetings take staff time away from services, "
     "more of it while no backbone staff prepare them, so they cost before they pay off."),
    ("Backbone support",
     "A share of the funder's money, taken from the service grants, pays backbone staff (hired over months) for "
     "six functions: strategy, supporting the work, a shared data system, public will, policy and fundraising. "
     "What they build (agreements, routines, data, relationships) grows over months and wears away slowly "
     "without them; each condition works only partly without it. Too few staff for the coalition's size build "
     "almost nothing."),
    ("Community voice",
     "Residents with lived experience share decisions, so members give more weight to the steps that lower the "
     "marginalized group's barriers (transportation, follow-up) and to the steps where that group waits most. "
     "It moves money between steps; it takes nothing from the majority by rule. (Half strength in the "
     "collective scenario; no effect when working alone.)"),
)
ALSO = ("Every organization, member or not, moves part of its money each month towards the waiting it sees and "
        "away from places it sees empty. Each month a member weighs what membership costs it (meetings) against "
        "the progress it sees, the backbone's support and its trusted partners; when the balance stays poor it "
        "may leave, in any month, and organizations outside join when they see progress. When the backbone's "
        "funding ends, what it built wears away over months and some coalitions break up. Aligned members with "
        "enough influence can also lower the root causes of need, but only slowly.")

QUESTIONS = (
    "Working alone, every organization moves its money towards the people it sees waiting, yet fewer people "
    "get through the whole chain. What can each organization see, and what can it not? In Figure 2, at which "
    "steps do people give up, and who would notice them there?",
    "A person gets through only if there is a place at every step they need; otherwise they wait, and many "
    "give up. Why does the thinnest step decide how many get through, and what does that mean for a funder "
    "deciding what to fund?",
    "The coalition pays for planning, meetings and backbone staff before anything improves, and at first does "
    "worse than working alone. How many months until it pulls ahead for good (Figure 1), and what is happening "
    "to trust meanwhile (Figure 3)? What would a board that reviews results after one year conclude?",
    "In the dashboard, switch off one condition at a time with the same seed, from month 0 or in the middle "
    "of the run (at month 24, say). Which ones leave the coalition no better than working alone, or worse, "
    "and why? Would the same be true of a coalition you know?",
    "Does working together help the marginalized group as much as the majority (Figure 4)? Which steps lower "
    "their barriers? What does the community voice slider change, and what else could close the gap?",
)


@dataclass
class _Figure:
    """One figure of the kit: its file, title, caption (text, or made from the runs), how to draw it and its
    size as a PNG (inches)."""

    name: str
    title: str
    caption: str | Callable[[CompareResult], str]
    draw: Callable[[Figure, CompareResult, int], None]
    size: tuple[float, float]
    page_height: float  # inches on the handout page

    def caption_for(self, result: CompareResult) -> str:
        return self.caption if isinstance(self.caption, str) else self.caption(result)


def _entries(result: CompareResult) -> list:
    return [plots._Entry(name, b.groups[0], plots.PALETTE[k % len(plots.PALETTE)])
            for k, (name, b) in enumerate(zip(result.names, result.batches))]


def _months(result: CompareResult) -> int:
    return min(b.scenario.months for b in result.batches)


def _last_year(months: int) -> tuple[int, int]:
    """The first and last month of the runs' last year (months 49 to 60 of a 60-month run)."""
    return max(1, months - 11), months


def _by_seed(group, name: str, months: int) -> np.ndarray:
    """One output over months 0..months, runs in seed order (so two scenarios' runs pair up)."""
    return group.series(name)[np.argsort(group.seeds), : months + 1]


def findings(result: CompareResult) -> dict[str, float | int | None]:
    """What the handout says about the runs, from the runs: the first scenario works alone, the last together.

    Keys: the outcome at the start and at the end of each, the gain at the end (points, and relative to working
    alone), the deepest early dip (points, at most two years in) and its month, the month from which the
    coalition stays ahead, people through the whole pathway and people who gave up (months 1 to the end, and a
    month in the last year) and the two groups' outcomes at the end.
    """
    months = _months(result)
    alone, together = result.batches[0].groups[0], result.batches[-1].groups[0]
    a, c = _by_seed(alone, "outcome", months), _by_seed(together, "outcome", months)
    diff = (c - a).mean(axis=0)
    early = diff[: min(24, months) + 1]
    dip_month = int(np.argmin(early))
    first, last = _last_year(months)
    year = slice(first, last + 1)

    def per_month(group, name: str) -> float:
        return float(_by_seed(group, name, months)[:, year].sum(axis=1).mean() / (last - first + 1))

    def end(group, name: str) -> float:
        return float(_by_seed(group, name, months)[:, -1].mean())

    out = {
        "start": float(a[:, 0].mean()),
        "alone_end": float(a[:, -1].mean()),
        # the share of working alone's change from month 0 that happened in the first two years
        "alone_early_share": float((a[:, min(24, months)].mean() - a[:, 0].mean()) / (a[:, -1].mean() - a[:, 0].mean()))
        if a[:, -1].mean() != a[:, 0].mean() else 0.0,
        "together_end": float(c[:, -1].mean()),
        "gain": float(diff[-1]),
        "relative_gain": float(diff[-1] / a[:, -1].mean()),
        "dip": float(min(0.0, early[dip_month])),
        "dip_month": dip_month,
        "crossover": result.crossover.get(result.names[-1]),
        "alone_completed": result.stat(result.names[0], "people_completed_total")["mean"],
        "together_completed": result.stat(result.names[-1], "people_completed_total")["mean"],
        "alone_gave_up": result.stat(result.names[0], "people_dropped_total")["mean"],
        "together_gave_up": result.stat(result.names[-1], "people_dropped_total")["mean"],
        "alone_completed_last_year": per_month(alone, "people_completed"),
        "together_completed_last_year": per_month(together, "people_completed"),
        "alone_gave_up_last_year": per_month(alone, "people_dropped"),
        "together_gave_up_last_year": per_month(together, "people_dropped"),
    }
    for who, group in (("alone", alone), ("together", together)):
        out[f"{who}_majority_end"] = end(group, "outcome_majority")
        out[f"{who}_marginalized_end"] = end(group, "outcome_marginalized")
    return out


def _outcome_caption(result: CompareResult) -> str:
    f = findings(result)
    months = _months(result)
    alone, together = result.names[0], result.names[-1]
    if f["alone_end"] - f["start"] > 0.02:
        early = " most of it in the first two years, and levels off" if f["alone_early_share"] > 0.5 else ""
        drift = f": the line rises from {_pct(f['start'])} to {_pct(f['alone_end'])},{early}".rstrip(",")
    else:
        drift = f", yet the line stays close to {_pct(f['start'])}: none of them sees the whole chain"
    if f["dip"] < -0.005:
        dip = (f"first falls behind ({points(-f['dip'], unit='points')} at the worst, month {f['dip_month']}: "
               f"planning, meetings and backbone staff still being hired), then ")
    else:
        dip = ""
    cross = ("never pulls ahead for good" if f["crossover"] is None
             else f"pulls ahead for good from month {f['crossover']} (dotted line)")
    ahead = f["gain"] >= 0
    end = (f"ends {points(abs(f['gain']), unit='points')} {'higher' if ahead else 'lower'} at month {months}, "
           f"{_pct(abs(f['relative_gain']))} {'better' if ahead else 'worse'}")
    got, got_alone = f["together_completed_last_year"], f["alone_completed_last_year"]
    per = got / got_alone - 1 if got_alone else 0.0
    people = (f"in the last year {number(got, 0)} people a month get through instead of {number(got_alone, 0)} "
              f"({points(per, 0, signed=True, unit='').strip()}%), and {number(f['together_gave_up_last_year'], 0)} "
              f"give up instead of {number(f['alone_gave_up_last_year'], 0)}")
    return (f"Of the people leaving the chain of care, the share who got every service they needed rather than "
            f"giving up waiting (lines: means; bands: {result.interval}). Working alone ({alone}) the "
            f"organizations keep adapting to the queues they see{drift}. The coalition ({together}) {dip}{cross}, "
            f"and {end}: {people}.")


def _equity_caption(result: CompareResult) -> str:
    f = findings(result)
    months = _months(result)
    return ("Percentage points by which the majority group's share getting through exceeds the marginalized "
            "group's; lower is fairer. The marginalized group faces barriers (distance, language, distrust) "
            "that transportation and follow-up lower, so it gains most where those steps fill. The coalition "
            f"narrows the gap without taking from the majority: at month {months} the majority's share is "
            f"{_pct(f['alone_majority_end'])} working alone and {_pct(f['together_majority_end'])} together, the "
            f"marginalized group's {_pct(f['alone_marginalized_end'])} and {_pct(f['together_marginalized_end'])}.")


def _draw_outcome(fig: Figure, result: CompareResult, seed: int) -> None:
    ax = fig.add_subplot()
    plots._outcome_panel(ax, _entries(result), _months(result), result.crossover, groups=False)
    ax.set_title("")
    # on a printed page the crossover's note must fit right of its line, and the legend must cover neither
    # the note nor the lines: it goes top left, with room above the lines (the axis runs to 100%)
    month = result.crossover.get(result.names[-1])
    for note in ax.texts:
        if month is not None:
            note.set_text(f"ahead for good from month {month}")
    ax.set_ylim(0, 1)
    legend = ax.get_legend()
    legend.set_loc("upper left")
    for text in legend.get_texts():
        text.set_fontsize(9.5)


def _gave_up_last_year(group, months: int) -> pd.DataFrame:
    """Mean and CI of the people who gave up waiting at each step in the runs' last year."""
    first, last = _last_year(months)
    s = group.scenario
    rows = []
    for d, (name, lbl) in enumerate(zip(s.domain_names, s.domain_labels)):
        mean, lo, hi, _ = mean_ci(group.drop[:, first:last + 1, d].sum(axis=1))
        rows.append({"domain": name, "label": lbl, "mean": float(mean), "ci_low": float(lo), "ci_high": float(hi)})
    return pd.DataFrame(rows)


def _draw_coverage(fig: Figure, result: CompareResult, seed: int) -> None:
    left, right = fig.subplots(1, 2, width_ratios=[1.25, 1])
    entries, months = _entries(result), _months(result)
    plots._coverage_panel(left, entries, months)
    left.set_title(f"Coverage of each step, month {months}")
    left.set_xlabel("Share of the people wanting the step\nwho are in service, not waiting")
    first, last = _last_year(months)
    plots._step_bars(right, entries, lambda group: _gave_up_last_year(group, months),
                     f"People who gave up waiting there,\nmonths {first} to {last}", "Where people give up")
    # the same steps as on the left, named there; a blank label keeps the two axes' numbers apart
    right.tick_params(labelleft=False)
    right.set_ylabel(" ")
    right.get_legend().remove()


def _draw_mechanisms(fig: Figure, result: CompareResult, seed: int) -> None:
    left, right = fig.subplots(1, 2)
    entries, months = _entries(result), _months(result)
    plots._trust_panel(left, entries, months)
    plots._waste_panel(right, entries, months)
    # which colour is which: the figure stands alone on its page
    right.legend(handles=[Line2D([], [], color=e.color, linewidth=2.2, label=e.name) for e in entries],
                 loc="lower left", **plots._BOXED)


def _draw_equity(fig: Figure, result: CompareResult, seed: int) -> None:
    ax = fig.add_subplot()
    entries, months = _entries(result), _months(result)
    for e in entries:
        mean, _, _ = e.band("equity_gap", months)
        plots._line(ax, e, "equity_gap", months, label=f"{e.name}: {points(mean[-1], unit='points')} at month {months}")
    ax.axhline(0, color=INK, linewidth=0.9)
    # ticks on whole points (a tick at 2.5 points must not read "2")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: percent(v, 0, symbol=False)))
    ax.set_ylabel("Majority minus marginalized\n(percentage points)")
    ax.legend(loc="best", **plots._BOXED)
    plots._month_axis(ax, months)


def _draw_networks(fig: Figure, result: CompareResult, seed: int) -> None:
    from cisim.interfaces.classroom import ClassroomModel
    from cisim.interfaces.views import draw_network, network_handles

    model = ClassroomModel.from_preset("collective", seed)
    axes = fig.subplots(1, len(NETWORK_MONTHS))
    for ax, month in zip(axes, NETWORK_MONTHS):
        while model.month < min(month, model.setting.months):
            model.step()
        draw_network(model, ax, scale=0.55, labels=False)
        members = int(model.world.member[0].sum())
        ax.set_title(f"Month {model.month}\n{members} of {model.size} members", loc="center", fontsize=9.5)
    fig.legend(handles=network_handles(model, sectors=True), loc="outside lower center", ncol=5, frameon=False)


FIGURES = (
    _Figure("lesson-figure-1-outcome", "Figure 1. People helped, working alone and together",
            _outcome_caption, _draw_outcome, (10, 5.0), 3.1),
    _Figure("lesson-figure-2-coverage", "Figure 2. Where people wait, and where they give up",
            "Left: of the people who need each step, the share in service rather than waiting, at the last "
            "month; below the dashed floor a step is a gap. Right: people who gave up waiting at each step in "
            "the last year. Working alone, the steps many organizations serve and funders like (patient "
            "education, prevention, family programmes) are the best covered. Transportation, which few serve, "
            "is the thinnest: most people give up there and at the clinic, the first and dearest step, then at "
            "follow-up, steps where few organizations look. Together, transportation and follow-up gain most.",
            _draw_coverage, (11, 5.0), 3.5),
    _Figure("lesson-figure-3-trust-and-waste", "Figure 3. Trust, and money on places nobody used",
            "Left: mean trust across sectors (solid) and within a sector (dashed). Working alone, trust fades "
            "without contact; in the coalition it grows, within sectors first and across sectors slowly. Right: "
            "money spent each month on places nobody used: left empty, or doubling places another organization "
            "offers at the same step. Working alone it stays high; in the coalition it keeps falling as members "
            "coordinate and share out the work.",
            _draw_mechanisms, (11, 4.2), 2.9),
    _Figure("lesson-figure-4-equity", "Figure 4. The equity gap",
            _equity_caption, _draw_equity, (10, 4.4), 3.0),
    _Figure("lesson-figure-5-coalition", "Figure 5. One coalition growing together",
            "The collective scenario's coalition for the first seed, as the dashboard draws it: a dot per "
            "organization (colour: sector, size: budget), a line between members who trust each other enough to "
            "coordinate (each member's strongest ties; dark across sectors), grey for organizations that are "
            "not members (some never joined, some left; others join later). Trust grows within sectors first; "
            "ties across sectors take years.",
            _draw_networks, (13, 4.6), 3.4),
)


def _render(spec: _Figure, result: CompareResult, seed: int, figsize: tuple[float, float]) -> Figure:
    with rc_context(plots.STYLE):
        fig = Figure(figsize=figsize, layout="constrained")
        FigureCanvasAgg(fig)
        spec.draw(fig, result, seed)
        fig.suptitle(spec.title, x=0.01, ha="left", fontsize=14, fontweight="bold")
    return fig


# ---------------------------------------------------------------- text pages

PRINT_STYLE = {**plots.STYLE, "font.size": 9, "axes.titlesize": 10.5, "axes.labelsize": 9, "legend.fontsize": 8,
               "xtick.labelsize": 8.5, "ytick.labelsize": 8.5}


class _Page:
    """A handout page written top to bottom in blocks of text and figures (sizes in inches).

    The page is a figure whose rows are subfigures: text blocks hold text placed by hand,
    figure blocks hold a figure of the kit laid out by matplotlib, so everything stays
    vector and the figures' labels never collide with the text.
    """

    TOP, BOTTOM = 0.6, 0.55

    def __init__(self, number: int, footer: str):
        self.number = number
        self.footer = footer
        self.blocks: list[tuple[str, float, object]] = []
        self.items: list[tuple] = []
        self.cursor = 0.0  # inches from the top of the current text block

    # -- text
    def _text(self, x: float, text: str, size: float, **kw) -> None:
        self.items.append(("text", x, self.cursor, text, size, kw))

    def space(self, inches: float) -> None:
        self.cursor += inches

    def heading(self, text: str, size: float = 13.0) -> None:
        self.space(0.06)
        self._text(MARGIN, text, size, fontweight="bold", color=INK)
        self.space(size * 1.5 / 72)

    def paragraph(self, text: str, size: float = 10.0, indent: float = 0.0, color: str = INK) -> None:
        width = int((PAGE[0] - 2 * MARGIN - indent) * 72 / (size * 0.55))
        lines = textwrap.wrap(" ".join(text.split()), width)
        self._text(MARGIN + indent, "\n".join(lines), size, color=color, linespacing=1.3)
        self.space(len(lines) * size * 1.3 * 1.04 / 72 + 0.07)

    def item(self, label: str, text: str, size: float = 10.0) -> None:
        self._text(MARGIN, label, size, fontweight="bold", color=INK)
        if not text:
            self.space(size * 1.45 / 72)
        elif len(label) <= 3:
            self.paragraph(text, size, indent=0.3)
        else:
            self.space(size * 1.4 / 72)
            self.paragraph(text, size, indent=0.3)

    def code(self, text: str, size: float = 8.5) -> None:
        self._text(MARGIN + 0.3, text, size, family="monospace", color="#0b3d62", linespacing=1.4)
        self.space(size * 1.4 * 1.04 / 72 * (text.count("\n") + 1) + 0.06)

    def table(self, header: list[str], rows: list[list[str]], widths: list[float], size: float = 9.5) -> None:
        line = size * 1.55 / 72
        for k, h in enumerate(header):
            self._text(MARGIN + sum(widths[:k]), h, size, fontweight="bold", color=INK)
        self.space(line)
        self.items.append(("rule", MARGIN, self.cursor - 0.03, sum(widths)))
        for row in rows:
            for k, cell in enumerate(row):
                self._text(MARGIN + sum(widths[:k]), cell, size, color=INK)
            self.space(line)
        self.space(0.08)

    def _flush(self) -> None:
        if self.items:
            self.blocks.append(("text", self.cursor, self.items))
        self.items, self.cursor = [], 0.0

    # -- figures
    def figure(self, spec: _Figure, result: CompareResult, seed: int) -> None:
        """A figure of the kit under its title, its caption below."""
        self.heading(spec.title, 11.0)
        self._flush()
        self.blocks.append(("figure", spec.page_height, (spec, result, seed)))
        self.space(0.04)
        self.paragraph(spec.caption_for(result), 9.0, color=MUTED)

    # -- output
    def save(self, pdf: PdfPages) -> None:
        self._flush()
        used = sum(h for _, h, _ in self.blocks)
        free = PAGE[1] - self.TOP - self.BOTTOM - used
        if free < -0.01:
            raise ValueError(f"page {self.number} of the handout overflows by {-free:.2f} in")
        heights = [self.TOP, *(h for _, h, _ in self.blocks), max(free, 0.0) + self.BOTTOM]
        with rc_context(PRINT_STYLE):
            fig = Figure(figsize=PAGE, layout="constrained")
            FigureCanvasAgg(fig)
            fig.get_layout_engine().set(w_pad=0, h_pad=0, wspace=0, hspace=0)
            rows = fig.subfigures(len(heights), 1, height_ratios=heights, hspace=0)
            for row, (kind, height, payload) in zip(rows[1:-1], self.blocks):
                if kind == "text":
                    _draw_text(row, height, payload)
                else:
                    spec, result, seed = payload
                    middle = row.subfigures(1, 3, width_ratios=[MARGIN, PAGE[0] - 2 * MARGIN, MARGIN], wspace=0)[1]
                    spec.draw(middle, result, seed)
            rows[-1].text(0.5, 0.3 / heights[-1], f"{self.footer}  ·  page {self.number}", ha="center",
                          va="bottom", fontsize=7.5, color=MUTED)
            pdf.savefig(fig)


def _draw_text(sub, height: float, items: list[tuple]) -> None:

    for item in items:
        if item[0] == "rule":
            _, x, y, width = item
            yy = 1 - y / height
            sub.add_artist(Line2D([x / PAGE[0], (x + width) / PAGE[0]], [yy, yy], color="#999999", linewidth=0.6,
                                  transform=sub.transSubfigure))
        else:
            _, x, y, text, size, kw = item
            sub.text(x / PAGE[0], 1 - y / height, text, fontsize=size, va="top", ha="left",
                     transform=sub.transSubfigure, **kw)


# ---------------------------------------------------------------- numbers for the text

def _pct(x: float) -> str:
    return percent(x, 0)


def _people(x: float) -> str:
    return number(x, 0)


def _dollars(x: float) -> str:
    return "$" + number(x, 0)


def _key_metrics(months: int) -> list[tuple[str, str, Callable[[float], str]]]:
    """The handout's table: label, summary output, format."""
    return [
        (f"Share getting through the whole chain, month {months}", "outcome_final", _pct),
        ("The same at the start (month 0)", "outcome_start", _pct),
        (f"People through the whole chain, months 1 to {months}", "people_completed_total", _people),
        (f"People who gave up waiting, months 1 to {months}", "people_dropped_total", _people),
        (f"Months from first need to completion, month {months}", "months_to_completion_final", number),
        ("Cost per person helped (all money spent)", "cost_per_person_helped", _dollars),
        ("Money spent on places nobody used, in all", "duplication_waste_total", money),
        (f"Members who left, months 1 to {months}", "members_left_total", number),
        ("Organizations that joined later", "members_joined_total", number),
    ]


#: Rows that describe a coalition: a dash for a scenario that has none.
_COALITION_ROWS = ("members_left_total", "members_joined_total")


def key_numbers(result: CompareResult) -> dict[str, dict[str, float]]:
    """The means in the handout's table, by summary output and scenario (for the metadata)."""
    return {metric: {n: result.stat(n, metric)["mean"] for n in result.names}
            for _, metric, _ in _key_metrics(_months(result))}


def _has_coalition(batch) -> bool:
    return any(batch.scenario.get(f"conditions.{c}") > 0 for c in CONDITION_NAMES)


def _key_numbers(result: CompareResult) -> tuple[list[str], list[list[str]]]:
    names = result.names
    coalition = {n: _has_coalition(b) for n, b in zip(names, result.batches)}
    rows = [[label, *("–" if metric in _COALITION_ROWS and not coalition[n] else fmt(result.stat(n, metric)["mean"])
                      for n in names)]
            for label, metric, fmt in _key_metrics(_months(result))]
    return ["After the last month, mean of the runs", *names], rows


def reproduce_commands(replicates: int, seed: int, out: Path | str) -> dict[str, list[str]]:
    """The commands that redraw each figure (and, where there is one, the command that computes the same numbers)."""
    lesson = shlex.join(["cisim", "lesson", "--replicates", str(replicates), "--seed", str(seed), "--out", str(out)])
    # the handout's intervals are seed noise alone (a classroom sees one model, its parameters as written)
    compare_cmd = shlex.join(["cisim", "compare", *SCENARIOS, "--replicates", str(replicates), "--seed", str(seed),
                              "--uncertainty", "seeds"])
    commands = {}
    for spec in FIGURES:
        if spec.draw is _draw_networks:
            steps = " and ".join(str(m) for m in NETWORK_MONTHS if m > 0)
            live = f"cisim dashboard   # preset collective, seed {seed}; Step to months {steps}"
            commands[spec.name] = [lesson, live]
        else:
            commands[spec.name] = [lesson, compare_cmd]
    return commands


# ---------------------------------------------------------------- the kit

def write_lesson(out_dir: str | Path, replicates: int = 30, seed: int = 0, *, progress: bool | str = False,
                 command: str | None = None) -> Path:
    """Run ``isolated`` and ``collective`` for the same seeds and write the handout, its figures and metadata.

    Args:
        out_dir: where to write (created if missing).
        replicates: runs per scenario (seeds ``seed`` .. ``seed + replicates - 1``).
        seed: the first seed; Figure 5 shows this seed's coalition.
        progress: a progress bar while the runs go (``"force"``: always).
        command: the command line for the metadata (default: this process's).

    Returns:
        The path of the PDF handout.  Beside it: one PNG per figure (``lesson-figure-*.png``)
        and ``lesson-metadata.json``.
    """
    if replicates < 2:
        raise ValueError(f"the handout reports 95% confidence intervals, so it needs 2 or more replicates, "
                         f"got {replicates}")
    out = Path(out_dir)
    result = compare(list(SCENARIOS), replicates=replicates, seed=seed, progress=progress, command=command)
    commands = reproduce_commands(replicates, seed, out)
    files: dict[str, Path] = {}
    for spec in FIGURES:
        path = out / f"{spec.name}.png"
        fig = _render(spec, result, seed, spec.size)
        with meta.atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=150, facecolor="white")
        files[spec.name] = path

    versions = meta.package_versions()
    footer = (f"cisim {versions.get('cisim') or '?'} · {replicates} runs per scenario, "
              f"seeds {seed_text(range(seed, seed + replicates))} · {datetime.now(UTC).date().isoformat()}")
    pdf_path = out / PDF_NAME
    pdf_meta = {"Title": "Why isolated impact fails: a cisim lesson handout", "Author": "cisim",
                "Subject": "Isolated and collective impact, side by side", "Keywords": "collective impact, cisim"}
    with meta.atomic_path(pdf_path) as tmp, PdfPages(tmp, metadata=pdf_meta) as pdf:
        _write_pages(pdf, result, seed, replicates, footer, commands)
    files["handout"] = pdf_path

    files["metadata"] = out / METADATA_NAME
    record = dict(result.metadata)
    record.update({
        "kind": "lesson",
        "seed_base": int(seed),
        "network_seed": int(seed),
        "network_months": list(NETWORK_MONTHS),
        "key_numbers": key_numbers(result),
        "findings": findings(result),
        "crossover_month": result.crossover,
        "figures": {spec.name: {"file": str(files[spec.name]), "title": spec.title, "reproduce": commands[spec.name]}
                    for spec in FIGURES},
        "files": {k: str(v) for k, v in files.items()},
    })
    meta.write_json(files["metadata"], record)
    return pdf_path


def _write_pages(pdf: PdfPages, result: CompareResult, seed: int, replicates: int, footer: str,
                 commands: dict[str, list[str]]) -> None:
    s = result.batches[-1].scenario
    size = int(s.get("coalition.size"))
    backbone_share = share(s.get("backbone.budget_share"))
    run_seeds = seed_text(range(seed, seed + replicates))
    by_name = {spec.name: spec for spec in FIGURES}

    page = _Page(1, footer)
    page._text(MARGIN, "Why isolated impact fails", 22, fontweight="bold", color=INK)
    page.space(0.42)
    page._text(MARGIN, "A classroom handout from cisim, the collective impact simulator", 11.5, color=MUTED)
    page.space(0.32)
    page.paragraph(
        f"The same {size} organizations, with the same budgets and the same funder, work on the health of one "
        f"community in two ways. Residents who fall ill enter a chain of care (a clinic visit, then the rides, "
        f"prevention, follow-up and other services each needs, in order), wait for a place at every step, and "
        f"either get through the whole chain or give up waiting. Working alone (isolated), each organization "
        f"follows its own mission and moves its money towards the waiting it sees among its own clients. "
        f"Working together (collective), they share a common agenda, shared measurement, mutually reinforcing "
        f"activities and regular meetings, with a backbone organization paid from {backbone_share} of the "
        f"funder's money. Each way was run {replicates} times from the same status quo and random starting "
        f"points (seeds {run_seeds}), a month a step for {_months(result)} months.")
    header, rows = _key_numbers(result)
    page.table(header, rows, [3.6, 1.45, 1.45])
    page.figure(by_name["lesson-figure-1-outcome"], result, seed)
    page.save(pdf)

    page = _Page(2, footer)
    page.figure(by_name["lesson-figure-2-coverage"], result, seed)
    page.space(0.1)
    page.figure(by_name["lesson-figure-3-trust-and-waste"], result, seed)
    page.save(pdf)

    page = _Page(3, footer)
    page.figure(by_name["lesson-figure-4-equity"], result, seed)
    page.space(0.1)
    page.figure(by_name["lesson-figure-5-coalition"], result, seed)
    page.save(pdf)

    page = _Page(4, footer)
    page.heading("What each condition does in the model", 15)
    page.paragraph("Each condition is a level from 0 (absent) to 1 (full). Isolated has all of them at 0 and no "
                   "backbone; collective has them at 1 (community voice at 0.5) and a backbone. In the dashboard, "
                   "each has a slider that acts on the running coalition.", 10, color=MUTED)
    for name, text in CONDITIONS:
        page.item(name, text)
    page.item("And in both", ALSO)
    page.save(pdf)

    page = _Page(5, footer)
    page.heading("Five questions for discussion", 15)
    for k, question in enumerate(QUESTIONS, 1):
        page.item(f"{k}.", question)
    page.space(0.1)
    page.heading("How to reproduce each figure", 15)
    page.paragraph("Install cisim (see its README) and run these commands in its folder. The runs are "
                   "reproducible: the same command with the same seeds gives the same numbers. The file "
                   f"{METADATA_NAME}, written beside this handout, records the scenarios with every parameter, "
                   "the seeds, the command and the versions of cisim and its libraries.", 10, color=MUTED)
    lesson_cmd = commands[FIGURES[0].name][0]
    page.item("Every figure, exactly as printed here (Figures 1 to 5)", "")
    page.code(lesson_cmd)
    page.item("Figures 1 to 4: the same runs, drawn as one figure with tables of every number", "")
    page.code(commands[FIGURES[0].name][1])
    page.item("Figure 5, live", "")
    page.code(commands[FIGURES[-1].name][1])
    page.heading("The same thing live", 12)
    page.paragraph("The command cisim dashboard opens the model in a browser: the coalition and the same "
                   "organizations working alone run side by side from one seed, a month a step. Press Play or "
                   "Step; move a condition's slider or switch the backbone's funding off in the middle of the run "
                   "and the time charts mark the month; Keep this run leaves it as a faint line for comparison, "
                   "and Reset starts again from month 0.", 10)
    page.heading("What the numbers are, and are not", 12)
    page.paragraph("cisim is a model for thinking, not a forecast: its mechanisms come from research on "
                   "collaboration, but most of its numbers are assumptions that anyone can change in a scenario "
                   "file. Use it to ask why something happens and what would change it, not how many people a real "
                   f"coalition will help. Its coalition's gain, {_pct(findings(result)['relative_gain'])} better "
                   f"than working alone after {_months(result)} months in these runs, is set to lie within what "
                   "evaluated coalitions achieved (Communities That Care, PROSPER: 10% to 35% better over four to "
                   "six years), and it takes years, as theirs did.", 10)
    page.save(pdf)
