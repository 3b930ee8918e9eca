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

from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from cisim.experiments import metadata as meta
from cisim.experiments.compare import CompareResult, compare
from cisim.experiments.labels import label
from cisim.interfaces import plots
from cisim.model.formats import money, number, percent, points, seed_text, share

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
     "Members' priorities drift from their own mission (and from the most visible, fundable services) towards "
     "a shared plan that spreads money in proportion to what each service costs to meet the need. They align "
     "faster when they trust the others and the backbone guides the strategy."),
    (label("conditions.shared_measurement"),
     "Members see how well each service really covers the need. Without it they guess, with large errors, and "
     "cannot find the gaps; with it, a service that is seen to fall short pulls money towards it."),
    (label("conditions.mutually_reinforcing"),
     "Members who trust enough partners coordinate: each does more of what it is good at and fills what its "
     "trusted partners leave uncovered, so services stop overlapping. Uncoordinated services overlap by chance "
     "and some people are served twice while others are not served at all."),
    (label("conditions.continuous_communication"),
     "Regular meetings build trust, slowly, and more slowly across sectors than within one; trust fades without "
     "contact and drops when a partner fails to deliver. Meetings take staff time away from services, so they "
     "cost before they pay off."),
    ("Backbone support",
     "A share of the funder's money pays a backbone's staff for six functions: strategy, support of activities, "
     "measurement, public will, policy and fundraising. Each condition works only partly without the function "
     "behind it; below a minimum budget a function barely works, and hiring takes months."),
    ("Community voice",
     "Residents with lived experience share decisions, which slowly raises the marginalized group's access to "
     "services. (It is on in the collective scenario, at half strength, and off when working alone.)"),
)
ALSO = ("Members who see meetings cost more than the progress, support and trust they get leave after some "
        "months. A coalition whose aligned members have enough influence slowly lowers the root causes of the "
        "problem, so the need itself shrinks.")

QUESTIONS = (
    "Working alone, every organization spends its whole budget on services, yet fewer people are helped. Where "
    "does the money go? Look at Figure 2: which services are gaps? And at Figure 3: how much is spent on "
    "people someone else already serves?",
    "A person is helped only if every service on their path is there. Why does that make the weakest service "
    "decide the outcome, and what does it mean for a funder deciding what to fund?",
    "The coalition spends on meetings and a backbone before anything improves. How many months until it pulls "
    "ahead (Figure 1), and what is happening to trust meanwhile (Figure 3)? What would a board that reviews "
    "results after six months conclude?",
    "In the dashboard, switch off one condition at a time with the same seed. Which one costs the most here, "
    "and why? Would the same be true of a coalition you know?",
    "Does working together help the marginalized group as much as the majority (Figure 4)? What does the "
    "community voice slider change, and what else could close the gap?",
)


@dataclass
class _Figure:
    """One figure of the kit: its file, title, caption, how to draw it and its size as a PNG (inches)."""

    name: str
    title: str
    caption: str
    draw: Callable[[Figure, CompareResult, int], None]
    size: tuple[float, float]
    page_height: float  # inches on the handout page


def _entries(result: CompareResult) -> list:
    return [plots._Entry(name, b.groups[0], plots.PALETTE[k % len(plots.PALETTE)])
            for k, (name, b) in enumerate(zip(result.names, result.batches))]


def _months(result: CompareResult) -> int:
    return min(b.scenario.months for b in result.batches)


def _draw_outcome(fig: Figure, result: CompareResult, seed: int) -> None:
    ax = fig.add_subplot()
    plots._outcome_panel(ax, _entries(result), _months(result), result.crossover, groups=False)
    ax.set_title("")


def _draw_coverage(fig: Figure, result: CompareResult, seed: int) -> None:
    plots._coverage_panel(fig.add_subplot(), _entries(result), _months(result))


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
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: percent(v, 0, symbol=False)))
    ax.set_ylabel("Majority minus marginalized\n(percentage points)")
    ax.legend(loc="best", **plots._BOXED)
    plots._month_axis(ax, months)


def _draw_networks(fig: Figure, result: CompareResult, seed: int) -> None:
    from cisim.interfaces.views import ClassroomModel, draw_view, network_handles

    model = ClassroomModel.from_preset("collective", seed)
    axes = fig.subplots(1, len(NETWORK_MONTHS))
    for ax, month in zip(axes, NETWORK_MONTHS):
        while model.month < min(month, model.setting.months):
            model.step()
        draw_view("network", model, ax, scale=0.55, labels=False)
        members = int(model.world.member[0].sum())
        ax.set_title(f"Month {model.month}\n{members} of {model.size} members", loc="center", fontsize=9.5)
    fig.legend(handles=network_handles(model, sectors=True), loc="outside lower center", ncol=5, frameon=False)


FIGURES = (
    _Figure("lesson-figure-1-outcome", "Figure 1. People helped, working alone and together",
            "The share of people in need who get every service on their path, month by month (lines: means; "
            "bands: 95% confidence intervals). Both start from the same status quo; the dotted line marks the "
            "month from which the coalition stays ahead.",
            _draw_outcome, (10, 5.2), 3.9),
    _Figure("lesson-figure-2-coverage", "Figure 2. Gaps at the end",
            "How much of the need for each service is met at the last month. Working alone, visible and fundable "
            "services come close to full while unglamorous links of the chain (transportation, follow-up) are gaps "
            "below the dashed floor. The money spent on people already served is in Figure 3.",
            _draw_coverage, (10, 5.2), 3.7),
    _Figure("lesson-figure-3-trust-and-waste", "Figure 3. Trust and money spent twice",
            "Left: mean trust across sectors (solid) and within a sector (dashed). Right: money spent each month "
            "on people someone else already serves.",
            _draw_mechanisms, (11, 4.2), 2.9),
    _Figure("lesson-figure-4-equity", "Figure 4. The equity gap",
            "Percentage points by which the majority group's outcome exceeds the marginalized group's; lower is "
            "fairer.",
            _draw_equity, (10, 4.4), 3.0),
    _Figure("lesson-figure-5-coalition", "Figure 5. One coalition growing together",
            "The collective scenario's coalition for the first seed, as the dashboard draws it: a dot per "
            "organization (colour: sector, size: budget), a line between members who trust each other enough to "
            "coordinate (dark across sectors), grey for members who left.",
            _draw_networks, (13, 4.6), 3.0),
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
        self.paragraph(spec.caption, 9.0, color=MUTED)

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


def _key_metrics(months: int) -> list[tuple[str, str, Callable[[float], str]]]:
    """The handout's table: label, summary output, format."""
    return [
        (f"People helped at month {months}", "outcome_final", _pct),
        ("People helped at the start (month 0)", "outcome_start", _pct),
        ("Coverage of the weakest service", "min_coverage_final", _pct),
        ("Services below the coverage floor", "domains_below_floor_final", number),
        ("Equity gap (majority minus marginalized)", "equity_gap_final", lambda x: points(x, unit="points")),
        ("Money spent on people already served", "duplication_waste_total", money),
        ("Trust across sectors (0 to 1)", "trust_across_final", lambda x: number(x, 2)),
        ("Coalition members who left", "members_lost", number),
    ]


def key_numbers(result: CompareResult) -> dict[str, dict[str, float]]:
    """The means in the handout's table, by summary output and scenario (for the metadata)."""
    return {metric: {n: result.stat(n, metric)["mean"] for n in result.names}
            for _, metric, _ in _key_metrics(_months(result))}


def _key_numbers(result: CompareResult) -> tuple[list[str], list[list[str]]]:
    names = result.names
    rows = [[label, *(fmt(result.stat(n, metric)["mean"]) for n in names)]
            for label, metric, fmt in _key_metrics(_months(result))]
    later = names[-1]
    cross = result.crossover.get(later)
    rows.append([f"{later} stays ahead from", "", "never" if cross is None else f"month {cross}"])
    return ["After the last month, mean of the runs", *names], rows


def reproduce_commands(replicates: int, seed: int, out: Path | str) -> dict[str, list[str]]:
    """The commands that redraw each figure (and, where there is one, the command that computes the same numbers)."""
    lesson = shlex.join(["cisim", "lesson", "--replicates", str(replicates), "--seed", str(seed), "--out", str(out)])
    compare_cmd = shlex.join(["cisim", "compare", *SCENARIOS, "--replicates", str(replicates), "--seed", str(seed)])
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
        f"community in two ways. Working alone (isolated), each pursues its own mission with its own grant. "
        f"Working together (collective), they share a common agenda, shared measurement, mutually reinforcing "
        f"activities and regular meetings, with a backbone organization paid from {backbone_share} of the funder's "
        f"money. A resident is helped only if every service on their path is there (clinic care, transportation, "
        f"prevention, follow-up and so on), so one missing link undoes the rest. Each way was run {replicates} "
        f"times from the same random starting points (seeds {run_seeds}), a month a step for {_months(result)} months.")
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
                   "each has a slider.", 10, color=MUTED)
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
    page.paragraph("The command cisim dashboard opens the model in a browser: choose a preset, move the sliders, "
                   "press Reset, then Step or Play. The dashed line in the outcome view is always the same "
                   "organizations working alone.", 10)
    page.heading("What the numbers are, and are not", 12)
    page.paragraph("cisim is a model for thinking, not a forecast: its mechanisms come from research on "
                   "collaboration, but most of its numbers are assumptions that anyone can change in a scenario "
                   "file. Use it to ask why something happens and what would change it, not how many people a real "
                   "coalition will help.", 10)
    page.save(pdf)
