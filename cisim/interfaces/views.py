"""What the classroom dashboard shows, drawn with matplotlib alone (the page is ``cisim.interfaces.app``).

The model as the dashboard's controls describe it (``ClassroomModel``), its isolated
baseline (the same organizations, same seed, each working alone), and four views
of a month: the coalition as a network, coverage against need in each service
domain, the population outcome beside the baseline, and the equity gap.  Each view
has a title, a headline with the month's numbers and a one-line caption for people
who have never seen the model.  ``draw_view`` draws a view as a ``Figure`` (files,
handouts); ``view_png`` renders it as the page shows it, so the benchmark times
exactly what the page does.
"""

from __future__ import annotations

import functools
import io
import math
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MultipleLocator, PercentFormatter

from cisim.experiments.labels import label
from cisim.model import layout as L
from cisim.model.coalition import CoalitionModel
from cisim.model.formats import money, number, percent, share
from cisim.model.processes.setup import has_coalition
from cisim.model.scenario import ISOLATED_CHANGES, load
from cisim.model.schema import BY_PATH, COLUMN, CONDITIONS

DEFAULT_PRESET = "collective"

# Okabe-Ito (as cisim.interfaces.plots): distinguishable with the common colour-vision deficiencies.
SECTOR_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
RUN_COLOR = "#0072B2"
ALONE_COLOR = "#7a7a7a"
GAP_COLOR = "#D55E00"
OK_COLOR = "#0072B2"
DUPLICATE_COLOR = "#E69F00"
LEFT_COLOR = "#d4d4d4"

FIGSIZE = (6.4, 4.3)  # inches; at DPI this is about the width of half a projected screen
DPI = 90
FONT = 11.5
COVERAGE_MAX = 1.6  # the coverage axis ends here; more effort than that is written as a number

# The conditions the dashboard has a slider for, by the short names of cisim.model.coalition.ALIASES.
CONDITION_LABELS = {name: label(f"conditions.{name}") for name in (*CONDITIONS, "community_voice")}


# ---------------------------------------------------------------- the model the dashboard drives

def parse_seed(value: Any) -> tuple[int, str]:
    """The seed from a slider or the seed text box (which hands over text), and a notice if it was not usable."""
    text = str(value).strip()
    try:
        seed = int(text)
    except ValueError:
        return 0, f"The seed must be a whole number, got {text!r}; using seed 0."
    if seed < 0:
        return 0, f"The seed must be 0 or more, got {seed}; using seed 0."
    return seed, ""


def _slider_value(name: str, value: Any) -> float | int:
    """A slider value as the scenario expects it: in range, and without float noise from the slider's steps."""
    path = {"backbone_share": "backbone.budget_share", "size": "coalition.size"}.get(name, f"conditions.{name}")
    field = BY_PATH[path]
    if field.integer:
        return int(min(field.hi, max(field.lo, round(float(value)))))
    return float(min(field.hi, max(field.lo, round(float(value), 6))))


class ClassroomModel(CoalitionModel):
    """A ``CoalitionModel`` built the way the dashboard's controls describe it.

    SolaraViz rebuilds the model on Reset by calling this class with the control values,
    so every control is a keyword argument here (``None`` keeps the preset's value).

    Args:
        preset: a bundled scenario name.
        seed: the seed (text from the seed box is accepted; anything that is not a whole
            number falls back to 0 with a notice shown on the page).
        common_agenda, shared_measurement, mutually_reinforcing, continuous_communication,
        community_voice: condition levels, 0..1.
        backbone_share: share of the funder's budget given to the backbone.
        size: number of organizations.
    """

    def __init__(self, preset: str = DEFAULT_PRESET, seed: int | str = 0, *,
                 common_agenda: float | None = None, shared_measurement: float | None = None,
                 mutually_reinforcing: float | None = None, continuous_communication: float | None = None,
                 community_voice: float | None = None, backbone_share: float | None = None,
                 size: int | None = None):
        seed_value, notice = parse_seed(seed)
        given = {"common_agenda": common_agenda, "shared_measurement": shared_measurement,
                 "mutually_reinforcing": mutually_reinforcing, "continuous_communication": continuous_communication,
                 "community_voice": community_voice, "backbone_share": backbone_share, "size": size}
        values = {k: _slider_value(k, v) for k, v in given.items() if v is not None}
        super().__init__(preset, rng=seed_value, **values)
        self.preset = preset
        self.seed = seed_value
        self.notice = notice
        self._view_cache: dict[str, Any] = {}

    @classmethod
    def from_preset(cls, preset: str, seed: int = 0) -> ClassroomModel:
        return cls(preset, seed, **preset_values(preset))

    @property
    def size(self) -> int:
        return len(self.organizations)

    def step(self) -> None:
        if self.world.month >= self.setting.months:
            self.running = False
            return
        super().step()


def preset_values(preset: str) -> dict[str, float | int]:
    """The control values of a bundled scenario."""
    s = load(preset)
    values: dict[str, float | int] = {name: float(s.get(f"conditions.{name}")) for name in CONDITION_LABELS}
    values["backbone_share"] = float(s.get("backbone.budget_share"))
    values["size"] = int(s.get("coalition.size"))
    return values


def preset_summary(preset: str) -> str:
    """The first sentence of a preset's description."""
    text = " ".join(load(preset).description.split())
    first = text.split(". ")[0].rstrip(".")
    return first + "." if first else ""


@dataclass(frozen=True)
class Baseline:
    """The isolated run of a preset for one seed and size: what the organizations do alone."""

    outcome: np.ndarray
    equity_gap: np.ndarray


@functools.lru_cache(maxsize=128)
def isolated_baseline(preset: str, seed: int, size: int) -> Baseline:
    """The preset with no conditions and no backbone, for the same seed and size, run to the end.

    The same seed draws the same organizations, budgets and starting trust, so the two
    runs differ only in how the organizations work; for the ``collective`` preset this
    is the bundled ``isolated`` scenario.
    """
    setting = load(preset).replace({**ISOLATED_CHANGES, "coalition.size": int(size)})
    model = CoalitionModel(setting, rng=int(seed))
    while model.running:
        model.step()
    rows = model.datacollector.array()
    outcome = rows[:, L.O_OUTCOME].copy()
    gap = rows[:, L.O_GAP].copy()
    outcome.flags.writeable = False
    gap.flags.writeable = False
    return Baseline(outcome=outcome, equity_gap=gap)


def baseline_for(model: ClassroomModel) -> Baseline:
    return isolated_baseline(model.preset, model.seed, model.size)


# ---------------------------------------------------------------- what the views show

def _history(model: CoalitionModel, output: str) -> np.ndarray:
    return model.datacollector.array()[:, L.OUTPUTS.index(output)]


def _in_coalition(model: CoalitionModel) -> bool:
    return bool(model.world.G[0, L.COALITION] > 0)


def budgets(model: CoalitionModel) -> np.ndarray:
    """This month's budget of each organization ($): own funds plus its share of the grants."""
    return model.world.budget[0, : len(model.organizations)].copy()


def trusted_ties(model: CoalitionModel) -> np.ndarray:
    """Pairs (i < j) of members who trust each other above the trust threshold, (ties, 2)."""
    n = len(model.organizations)
    trust = model.trust_matrix()
    threshold = model.world.P[0, COLUMN["trust.threshold"]]
    member = model.world.member[0, :n] > 0
    mutual = np.minimum(trust, trust.T) > threshold
    return np.argwhere(np.triu(mutual & member[:, None] & member[None, :], 1))


def effort_per_domain(model: ClassroomModel) -> np.ndarray:
    """Places bought at each step as a share of the people wanting one (1 = enough for everyone, if nobody
    were served twice); the part above coverage went unused or to people someone already served."""
    w = model.world
    demand = w.path[0, L.WAIT:L.SERVE + 2].sum(axis=0)
    bought = w.served[0].sum(axis=0)
    return np.divide(bought, demand, out=np.ones_like(bought), where=demand > 0)


def _month_text(model: CoalitionModel) -> str:
    return "month 0 (before the initiative)" if model.month == 0 else f"month {model.month}"


def network_headline(model: ClassroomModel) -> str:
    n = len(model.organizations)
    if not _in_coalition(model):
        if has_coalition(model.world.P, 0):
            return (f"The coalition dissolved: fewer than {int(model.setting.get('coalition.min_members'))} "
                    f"members were left to meet · each of the {n} organizations works alone")
        return f"No coalition: each of the {n} organizations works alone"
    members = int(model.world.member[0, :n].sum())
    ties = trusted_ties(model)
    sector = model.world.sector[0]
    across = int(np.sum(sector[ties[:, 0]] != sector[ties[:, 1]])) if len(ties) else 0
    return f"{members} of {n} organizations are members · {len(ties)} trusted ties, {across} across sectors"


def coverage_headline(model: ClassroomModel) -> str:
    cov = model.world.out_cov[0]
    labels = model.setting.domain_labels
    floor = model.setting.get("problem.coverage_floor")
    weakest = int(np.argmin(cov))
    gaps = int(np.sum(cov < floor))
    waste = float(model.world.out[0, L.O_WASTE])
    return (f"Weakest: {labels[weakest]} ({percent(cov[weakest], 0)}) · {gaps} of {len(cov)} services are gaps · "
            f"{money(waste)} a month on places nobody used")


def outcome_headline(model: ClassroomModel) -> str:
    base = baseline_for(model).outcome
    now = model.outcome
    alone = base[min(model.month, len(base) - 1)]
    out = model.world.out[0]
    through, gave_up = number(out[L.O_COMPLETED], 0), number(out[L.O_DROPPED], 0)
    return (f"At {_month_text(model)}: {percent(now, 0)} helped ({through} a month through, {gave_up} give up)"
            f" · working alone: {percent(alone, 0)}")


def equity_headline(model: ClassroomModel) -> str:
    base = baseline_for(model).equity_gap
    gap = float(model.world.out[0, L.O_GAP])
    alone = base[min(model.month, len(base) - 1)]
    return f"Gap at {_month_text(model)}: {100 * gap:.1f} points · working alone: {100 * alone:.1f} points"


# ---------------------------------------------------------------- drawing
#
# Each view is drawn in two parts: ``setup`` draws what stays the same for a model (axes, labels,
# legends, the isolated baseline) and returns the artists that change; ``update`` moves those to
# this month.  The page keeps one figure per view and model, renders the static part once and
# then only redraws the changing artists on top of it each step (matplotlib's blitting), which
# keeps a step with all views redrawn well under a quarter of a second.  ``draw_view`` draws a
# whole view in one go, for files and handouts.

Artists = dict[str, Any]


def _figure(figsize: tuple[float, float] = FIGSIZE) -> Figure:
    fig = Figure(figsize=figsize, dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _plain_axes(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=FONT - 1)


def _legend_above(ax, handles: list, ncol: int = 2) -> None:
    """A legend above the plot: nothing that moves can cover it."""
    ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=ncol, fontsize=FONT - 2,
              frameon=False, handlelength=1.6, columnspacing=1.2, borderaxespad=0.1)


def _sector_color(s: int) -> str:
    return SECTOR_COLORS[s % len(SECTOR_COLORS)]


def _ring(model: ClassroomModel) -> tuple[np.ndarray, list[tuple[float, str, int]]]:
    """Positions on a ring, each sector's organizations side by side with a gap between sectors, and where
    each sector's label goes.  Organizations never move, so students can follow one of them."""
    cached = model._view_cache.get("ring")
    if cached is not None:
        return cached
    n = len(model.organizations)
    s = model.setting
    sector = model.world.sector[0, :n]
    order = np.argsort(sector, kind="stable")
    present = list(dict.fromkeys(sector[order].tolist()))
    slots = n + len(present)
    angles = np.empty(n)
    labels = []
    slot = 0
    for sec in present:
        start = slot
        for i in order[sector[order] == sec]:
            angles[i] = math.pi / 2 - 2 * math.pi * slot / slots
            slot += 1
        mid = math.pi / 2 - 2 * math.pi * (start + slot - 1) / 2 / slots
        name = s.sector_names[sec]
        labels.append((mid, s.sectors[name].get("label", name), sec))
        slot += 1
    ring = (np.column_stack([np.cos(angles), np.sin(angles)]), labels)
    model._view_cache["ring"] = ring
    return ring


def network_handles(model: ClassroomModel, sectors: bool = False) -> list:
    """Legend entries of the network view: the kinds of tie, members who left, and optionally the sectors."""
    handles: list = []
    if sectors:
        _, labels = _ring(model)
        handles += [Line2D([], [], marker="o", linestyle="", markersize=8, markerfacecolor=_sector_color(sec),
                           markeredgecolor="white", label=label) for _, label, sec in labels]
    handles += [Line2D([], [], color="#1a1a1a", linewidth=1.4, label="trust across sectors"),
                Line2D([], [], color="#a0a0a0", linewidth=1.0, label="trust within a sector")]
    if _in_coalition(model):
        handles.append(Patch(facecolor=LEFT_COLOR, edgecolor="#8a8a8a", label="not a member"))
    return handles


def _network_setup(ax, model: ClassroomModel, scale: float = 1.0, labels: bool = True) -> tuple[Artists, list]:
    """``scale`` shrinks dots and lines for small panels (print); without ``labels`` the sectors are
    named in a legend drawn by the caller (``network_handles``)."""
    pos, ring_labels = _ring(model)
    if labels:
        for angle, label, sec in ring_labels:
            x, y = 1.18 * math.cos(angle), 1.18 * math.sin(angle)
            ha = "left" if x > 0.25 else "right" if x < -0.25 else "center"
            color = _sector_color(sec) if _sector_color(sec) != "#F0E442" else "#8a7a00"  # yellow text is unreadable
            ax.text(x, y, "\n".join(textwrap.wrap(label, 16)), ha=ha, va="center", fontsize=FONT - 1, color=color,
                    fontweight="bold")
        _legend_above(ax, network_handles(model), ncol=3)
        ax.set_xlim(-1.9, 1.9)
        ax.set_ylim(-1.25, 1.25)
    else:
        ax.set_xlim(-1.12, 1.12)
        ax.set_ylim(-1.12, 1.12)
    ax.set_aspect("equal")
    ax.axis("off")
    edges = LineCollection([], zorder=1)
    ax.add_collection(edges)
    dots = ax.scatter(pos[:, 0], pos[:, 1], s=np.full(len(pos), 50.0), linewidths=1.0 * scale, zorder=2)
    return {"edges": edges, "dots": dots, "scale": scale}, [edges, dots]


def _network_update(art: Artists, model: ClassroomModel) -> None:
    n = len(model.organizations)
    pos, _ = _ring(model)
    sector = model.world.sector[0, :n]
    ties = trusted_ties(model)
    across = sector[ties[:, 0]] != sector[ties[:, 1]]
    art["edges"].set_segments(np.stack([pos[ties[:, 0]], pos[ties[:, 1]]], axis=1) if len(ties) else [])
    # many ties would merge into a black disc: the more there are, the fainter each one
    alpha = float(np.clip(7.0 / math.sqrt(max(len(ties), 1)), 0.15, 0.65))
    art["edges"].set_colors(np.where(across[:, None], (0.1, 0.1, 0.1, alpha), (0.55, 0.55, 0.55, alpha)))
    k = art["scale"]
    art["edges"].set_linewidths(np.where(across, 1.3 * k, 0.9 * k))
    money = budgets(model)
    typical = model._view_cache.setdefault("budget_scale", float(np.median(money)) or 1.0)
    art["dots"].set_sizes(k * k * np.clip(170.0 * money / typical * 30 / max(n, 30), 10, 900))
    left = (model.world.member[0, :n] == 0) & _in_coalition(model)
    art["dots"].set_facecolors([LEFT_COLOR if gone else _sector_color(s) for s, gone in zip(sector, left)])
    art["dots"].set_edgecolors(["#8a8a8a" if gone else "white" for gone in left])


def _coverage_setup(ax, model: ClassroomModel) -> tuple[Artists, list]:
    s = model.setting
    d = len(s.domain_names)
    floor = s.get("problem.coverage_floor")
    y = np.arange(d)
    labels = ["\n".join(textwrap.wrap(lbl, 20, max_lines=2, placeholder="…")) for lbl in s.domain_labels]
    ax.set_yticks(y, labels, fontsize=FONT - 1.5)
    ax.set_ylim(d - 0.45, -0.55)
    ax.set_xlim(0, COVERAGE_MAX + 0.3)
    ax.set_xticks(np.arange(0, COVERAGE_MAX + 0.01, 0.25))
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("Share of the need met (100% = everyone who needs it)", fontsize=FONT - 0.5)
    ax.grid(axis="x", color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)
    _plain_axes(ax)
    _legend_above(ax, [Patch(facecolor=GAP_COLOR, label="gap: below the floor"),
                       Patch(facecolor=OK_COLOR, label="covered"),
                       Patch(facecolor="white", edgecolor=DUPLICATE_COLOR, hatch="////", label="paid for, not used"),
                       Line2D([], [], color="#222222", linestyle="--", label=f"floor ({share(floor)})")], ncol=2)
    covered = list(ax.barh(y, np.zeros(d), height=0.68, color=OK_COLOR))
    duplicated = list(ax.barh(y, np.zeros(d), height=0.68, color="white", edgecolor=DUPLICATE_COLOR, hatch="////",
                              linewidth=0.8))
    beyond = [ax.text(COVERAGE_MAX, k, "", va="center", ha="left", fontsize=FONT - 2, color="#8a5a00")
              for k in range(d)]
    lines = [ax.axvline(floor, color="#222222", linestyle="--", linewidth=1.3),
             ax.axvline(1.0, color="#222222", linewidth=1.0)]
    return ({"covered": covered, "duplicated": duplicated, "beyond": beyond},
            [*covered, *duplicated, *beyond, *lines])


def _coverage_update(art: Artists, model: ClassroomModel) -> None:
    cov = model.world.out_cov[0]
    effort = np.maximum(effort_per_domain(model), cov)
    floor = model.setting.get("problem.coverage_floor")
    for k, (c, e) in enumerate(zip(cov, effort)):
        art["covered"][k].set_width(c)
        art["covered"][k].set_facecolor(GAP_COLOR if c < floor else OK_COLOR)
        art["duplicated"][k].set_x(c)
        art["duplicated"][k].set_width(max(0.0, min(e, COVERAGE_MAX) - c))
        art["beyond"][k].set_text(f" {e:.1f}×" if e > COVERAGE_MAX else "")


def _history_setup(ax, model: ClassroomModel, alone: np.ndarray, unit: float) -> tuple[Artists, list]:
    ax.plot(np.arange(len(alone)), unit * alone, color=ALONE_COLOR, linestyle=(0, (5, 3)), linewidth=2.0)
    months = model.setting.months
    ax.set_xlim(0, months)
    ax.xaxis.set_major_locator(MultipleLocator(12 if months <= 120 else 60))
    ax.set_xlabel("Months since the initiative began", fontsize=FONT)
    ax.grid(axis="both", color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)
    _plain_axes(ax)
    _legend_above(ax, [Line2D([], [], color=RUN_COLOR, linewidth=2.8, label="this run"),
                       Line2D([], [], color=ALONE_COLOR, linewidth=2.0, linestyle=(0, (5, 3)),
                              label="working alone (same seed)")])
    (line,) = ax.plot([], [], color=RUN_COLOR, linewidth=2.8)
    (dot,) = ax.plot([], [], "o", color=RUN_COLOR, markersize=7)
    return {"line": line, "dot": dot, "unit": unit}, [line, dot]


def _history_update(art: Artists, run: np.ndarray) -> None:
    unit = art["unit"]
    art["line"].set_data(np.arange(len(run)), unit * run)
    art["dot"].set_data([len(run) - 1], [unit * run[-1]])


def _outcome_setup(ax, model: ClassroomModel) -> tuple[Artists, list]:
    art = _history_setup(ax, model, baseline_for(model).outcome, 1.0)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("People who get every\nservice they need", fontsize=FONT)
    return art


def _outcome_update(art: Artists, model: ClassroomModel) -> None:
    _history_update(art, _history(model, "outcome"))


def _equity_limits(model: ClassroomModel) -> tuple[float, float]:
    """The equity axis in points: room for the baseline and the run so far, in steps of 10 points
    (so the axis, and the static part of the figure, change rarely)."""
    run = _history(model, "equity_gap")
    alone = baseline_for(model).equity_gap
    top = max(10.0, 100 * float(max(alone.max(), run.max())) * 1.1)
    low = min(0.0, 100 * float(min(alone.min(), run.min())) * 1.1)
    return 10 * math.floor(low / 10), 10 * math.ceil(top / 10)


def _equity_setup(ax, model: ClassroomModel) -> tuple[Artists, list]:
    art = _history_setup(ax, model, baseline_for(model).equity_gap, 100.0)
    ax.set_ylim(*_equity_limits(model))
    ax.axhline(0, color="#222222", linewidth=0.9)
    ax.set_ylabel("Majority minus marginalized\n(percentage points)", fontsize=FONT)
    return art


def _equity_update(art: Artists, model: ClassroomModel) -> None:
    _history_update(art, _history(model, "equity_gap"))


@dataclass(frozen=True)
class View:
    """One view of the page: a title, a headline with this month's numbers, a figure and a caption."""

    key: str
    title: str
    caption: str
    headline: Callable[[ClassroomModel], str]
    setup: Callable[..., tuple[Artists, list]]
    update: Callable[[Artists, ClassroomModel], None]
    # what the static part depends on besides the model (it is drawn again when this changes)
    layout_key: Callable[[ClassroomModel], Any] = lambda model: None


VIEWS: tuple[View, ...] = (
    View("network", "The coalition",
         "Each dot is an organization (colour: sector, size: budget); a line joins two members who trust "
         "each other enough to coordinate; grey dots are not members (they left, or have not joined).",
         network_headline, _network_setup, _network_update),
    View("coverage", "Coverage of each service",
         "Each bar is the share of the people needing a service who are in it rather than waiting: red bars "
         "are gaps, hatched bars are places paid for that nobody used (empty, or doubling another's).",
         coverage_headline, _coverage_setup, _coverage_update),
    View("outcome", "Who gets helped",
         "Of the people leaving the pathway, the share who got every service they needed rather than giving "
         "up waiting; the dashed line is the same organizations, same seed, each working alone.",
         outcome_headline, _outcome_setup, _outcome_update),
    View("equity", "The equity gap",
         "How many percentage points better the majority group does than the marginalized group: "
         "lower is fairer.",
         equity_headline, _equity_setup, _equity_update, layout_key=_equity_limits),
)
VIEW_BY_KEY = {v.key: v for v in VIEWS}


def draw_view(key: str, model: ClassroomModel, ax=None, **options: Any) -> Figure:
    """One view of the model's current month, drawn whole (into ``ax``, or a new figure); ``options`` go to
    the view's setup (the network takes ``scale`` and ``labels``)."""
    view = VIEW_BY_KEY[key]
    if ax is None:
        ax = _figure().add_subplot()
    art, _ = view.setup(ax, model, **options)
    view.update(art, model)
    return ax.figure


def _encode(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as PNG, compressed lightly: the page redraws every step."""
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class _Painter:
    """A view's figure for one model: the static part rendered once, the changing artists each step."""

    def __init__(self, view: View):
        self.view = view
        self.fig = _figure()
        self.lock = threading.Lock()
        self.layout: Any = object()
        self.ax = None
        self.art: Artists = {}
        self.dynamic: list = []
        self.background = None

    def png(self, model: ClassroomModel) -> bytes:
        with self.lock:
            canvas = self.fig.canvas
            layout = self.view.layout_key(model)
            if layout != self.layout:
                self.fig.clear()
                self.ax = self.fig.add_subplot()
                self.art, self.dynamic = self.view.setup(self.ax, model)
                for artist in self.dynamic:
                    artist.set_animated(True)  # left out of the full draw: they go on top of the background
                canvas.draw()
                self.background = canvas.copy_from_bbox(self.fig.bbox)
                self.layout = layout
            else:
                canvas.restore_region(self.background)
            self.view.update(self.art, model)
            for artist in self.dynamic:
                self.ax.draw_artist(artist)
            return _encode(canvas)


def view_png(key: str, model: ClassroomModel) -> bytes:
    """One view of the model's current month as the page shows it (PNG bytes)."""
    painters = model._view_cache.setdefault("painters", {})
    painter = painters.get(key)
    if painter is None:
        painter = painters[key] = _Painter(VIEW_BY_KEY[key])
    return painter.png(model)
