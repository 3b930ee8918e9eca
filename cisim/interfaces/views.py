"""What the classroom dashboard shows, drawn with matplotlib alone (the page is ``cisim.interfaces.app``).

Four views of a ``Classroom`` (the coalition and the same organizations working alone,
stepped together from one seed): who gets helped over time, where people wait and give
up on the pathway this month, trust and members over time, and the coalition as a
network.  The time charts mark every switch made during the run and show kept runs as
faint lines.  Each view has a title, a headline with the month's numbers and a one-line
caption for people who have never seen the model.  ``draw_view`` draws a view as a
``Figure`` (files, handouts); ``view_png`` renders it as the page shows it, so the
benchmark times exactly what the page does.
"""

from __future__ import annotations

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
from matplotlib.ticker import MaxNLocator, MultipleLocator, PercentFormatter

from cisim.interfaces.classroom import Classroom, ClassroomModel
from cisim.model import layout as L
from cisim.model.coalition import CoalitionModel
from cisim.model.formats import money, number, percent
from cisim.model.processes.setup import has_coalition
from cisim.model.schema import COLUMN

# Okabe-Ito (as cisim.interfaces.plots): distinguishable with the common colour-vision deficiencies.
SECTOR_COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
RUN_COLOR = "#0072B2"
ALONE_COLOR = "#6f6f6f"
SWITCH_COLOR = "#D55E00"
LEFT_COLOR = "#d4d4d4"
WITHIN_COLOR = "#56B4E9"

FIGSIZE = (6.4, 3.5)  # inches; at DPI about the size of a quarter of a projected 1366x768 screen
DPI = 100
FONT = 11.0


# ---------------------------------------------------------------- what the views show

def _history(model: CoalitionModel, column: int) -> np.ndarray:
    """One output (a ``layout.O_*`` column) from month 0 to now."""
    return model.datacollector.array()[:, column]


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


def strongest_ties(model: CoalitionModel) -> np.ndarray:
    """The trusted ties the network draws, (ties, 2) with i < j: each member's strongest ones, as many as it
    needs to coordinate fully (``behaviour.coordination_ties``).  All of them would be a hairball at 40
    organizations; these show who works with whom."""
    ties = trusted_ties(model)
    if len(ties) == 0:
        return ties
    k = max(1, int(model.world.P[0, COLUMN["behaviour.coordination_ties"]]))
    trust = model.trust_matrix()
    strength = np.minimum(trust[ties[:, 0], ties[:, 1]], trust[ties[:, 1], ties[:, 0]])
    keep = np.zeros(len(ties), dtype=bool)
    for end in (0, 1):
        for i in np.unique(ties[:, end]):
            mine = np.flatnonzero((ties[:, 0] == i) | (ties[:, 1] == i))
            keep[mine[np.argsort(-strength[mine], kind="stable")[:k]]] = True
    return ties[keep]


def waiting_per_step(model: CoalitionModel) -> np.ndarray:
    """People waiting for a place at each step now (both groups)."""
    return model.world.path[0, L.WAIT:L.WAIT + 2].sum(axis=0)


def _month_text(model: CoalitionModel) -> str:
    return "month 0 (before the initiative)" if model.month == 0 else f"month {model.month}"


def network_headline(room: Classroom) -> str:
    model = room.together
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
    return (f"{members} of {n} are members · {len(ties)} trusted ties, {across} across sectors · "
            f"drawn: the {len(strongest_ties(model))} strongest")


def outcome_headline(room: Classroom) -> str:
    t, a = room.together, room.alone
    return (f"At {_month_text(t)}: together {percent(t.outcome, 0)} helped · alone {percent(a.outcome, 0)} · "
            f"equity gap {100 * t.world.out[0, L.O_GAP]:.0f} and {100 * a.world.out[0, L.O_GAP]:.0f} points")


def pathway_headline(room: Classroom) -> str:
    t, a = room.together.world.out[0], room.alone.world.out[0]
    return (f"Waiting: together {number(t[L.O_WAITING], 0)}, alone {number(a[L.O_WAITING], 0)} · gave up this "
            f"month: {number(t[L.O_DROPPED], 0)} and {number(a[L.O_DROPPED], 0)} · places unused: "
            f"{money(t[L.O_WASTE])} and {money(a[L.O_WASTE])} a month")


def trust_headline(room: Classroom) -> str:
    t, a = room.together, room.alone
    left = int(_history(t, L.O_LEFT)[1:].sum())
    joined = int(_history(t, L.O_JOINED)[1:].sum())
    return (f"Trust across sectors: together {t.world.out[0, L.O_TA]:.2f}, alone {a.world.out[0, L.O_TA]:.2f} · "
            f"{int(t.world.out[0, L.O_ACTIVE])} members ({left} left, {joined} joined)")


# ---------------------------------------------------------------- drawing
#
# Each view is drawn in two parts: ``setup`` draws what stays the same while the layout key stays the
# same (axes, labels, legends, switch marks, kept runs) and returns the artists that change; ``update``
# moves those to this month.  The page keeps one figure per view, renders the static part once and then
# only redraws the changing artists on top of it each step (matplotlib's blitting), which keeps a step
# with both runs and all views redrawn well under a quarter of a second.  ``draw_view`` draws a whole
# view in one go, for files and handouts.

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
    handles += [Line2D([], [], color="#1a1a1a", linewidth=1.4, label="across sectors"),
                Line2D([], [], color=WITHIN_COLOR, linewidth=1.2, label="within a sector")]
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
    ties = strongest_ties(model)
    across = sector[ties[:, 0]] != sector[ties[:, 1]]
    art["edges"].set_segments(np.stack([pos[ties[:, 0]], pos[ties[:, 1]]], axis=1) if len(ties) else [])
    alpha = float(np.clip(9.0 / math.sqrt(max(len(ties), 1)), 0.3, 0.8))
    art["edges"].set_colors(np.where(across[:, None], (0.1, 0.1, 0.1, alpha), (0.34, 0.71, 0.91, alpha)))
    k = art["scale"]
    art["edges"].set_linewidths(np.where(across, 1.3 * k, 0.9 * k))
    money = budgets(model)
    typical = model._view_cache.setdefault("budget_scale", float(np.median(money)) or 1.0)
    art["dots"].set_sizes(k * k * np.clip(170.0 * money / typical * 30 / max(n, 30), 10, 900))
    left = (model.world.member[0, :n] == 0) & _in_coalition(model)
    art["dots"].set_facecolors([LEFT_COLOR if gone else _sector_color(s) for s, gone in zip(sector, left)])
    art["dots"].set_edgecolors(["#8a8a8a" if gone else "white" for gone in left])


def _mark_switches(ax, room: Classroom) -> None:
    """A dotted line where each switch took effect, named along it."""
    top = ax.get_ylim()[1]
    for sw in room.together.switches:
        x = sw.month - 0.5
        ax.axvline(x, color=SWITCH_COLOR, linestyle=":", linewidth=1.8, zorder=1)
        ax.text(x + 0.6, top, sw.text, rotation=90, va="top", ha="left", fontsize=FONT - 2.5, color=SWITCH_COLOR,
                clip_on=True)


def _time_axes(ax, room: Classroom) -> None:
    months = room.months
    ax.set_xlim(0, months)
    ax.xaxis.set_major_locator(MultipleLocator(12 if months <= 120 else 60))
    ax.set_xlabel("Month", fontsize=FONT - 0.5)
    ax.grid(axis="both", color="#eeeeee", linewidth=0.6)
    ax.set_axisbelow(True)
    _plain_axes(ax)


def _lines(ax, specs: list[tuple[str, float, Any]]) -> list:
    """Lines that grow month by month, with a dot at this month (the only mark at month 0)."""
    return [ax.plot([], [], color=color, linewidth=width, linestyle=style, marker="o", markersize=4.5,
                    markevery=[-1])[0] for color, width, style in specs]


def _outcome_setup(ax, room: Classroom) -> tuple[Artists, list]:
    _time_axes(ax, room)
    ax.set_ylim(0, 1)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylabel("Share who get every\nservice they need", fontsize=FONT - 0.5)
    for kept in room.kept:
        ax.plot(np.arange(len(kept.outcome)), kept.outcome, color=RUN_COLOR, alpha=0.25, linewidth=1.4)
    handles = [Line2D([], [], color=RUN_COLOR, linewidth=2.6, label="together"),
               Line2D([], [], color=ALONE_COLOR, linewidth=2.0, linestyle="--", label="alone (same seed)")]
    if room.kept:
        handles.append(Line2D([], [], color=RUN_COLOR, alpha=0.3, linewidth=1.4, label=f"kept runs ({len(room.kept)})"))
    if room.together.switches:
        handles.append(Line2D([], [], color=SWITCH_COLOR, linestyle=":", linewidth=1.8, label="switch"))
    _legend_above(ax, handles, ncol=len(handles))
    _mark_switches(ax, room)
    together, alone = _lines(ax, [(RUN_COLOR, 2.6, "-"), (ALONE_COLOR, 2.0, "--")])
    return {"together": together, "alone": alone}, [together, alone]


def _outcome_update(art: Artists, room: Classroom) -> None:
    for key, model in (("together", room.together), ("alone", room.alone)):
        y = _history(model, L.O_OUTCOME)
        art[key].set_data(np.arange(len(y)), y)


def _trust_setup(ax, room: Classroom) -> tuple[Artists, list]:
    _time_axes(ax, room)
    ax.set_ylim(0, 1)
    ax.set_ylabel("Mean trust (0 to 1)", fontsize=FONT - 0.5)
    right = ax.twinx()
    right.set_ylim(0, room.together.size * 1.05)
    right.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))
    right.set_ylabel("Members", fontsize=FONT - 0.5, color="#444444")
    right.spines[["top"]].set_visible(False)
    right.tick_params(labelsize=FONT - 1.5)
    handles = [Line2D([], [], color="#1a1a1a", linewidth=2.2, label="across sectors"),
               Line2D([], [], color=WITHIN_COLOR, linewidth=2.2, label="within a sector"),
               Line2D([], [], color=ALONE_COLOR, linewidth=1.6, linestyle="--", label="alone"),
               Line2D([], [], color="#009E73", linewidth=2.0, drawstyle="steps-post", label="members")]
    _legend_above(ax, handles, ncol=4)
    _mark_switches(ax, room)
    lines = _lines(ax, [("#1a1a1a", 2.2, "-"), (WITHIN_COLOR, 2.2, "-"), (ALONE_COLOR, 1.6, "--"),
                        (ALONE_COLOR, 1.6, "--")])
    (members,) = right.plot([], [], color="#009E73", linewidth=2.0, drawstyle="steps-post")
    return {"lines": lines, "members": members}, [*lines, members]


def _trust_update(art: Artists, room: Classroom) -> None:
    t, a = room.together, room.alone
    series = [_history(t, L.O_TA), _history(t, L.O_TW), _history(a, L.O_TA), _history(a, L.O_TW)]
    for line, y in zip(art["lines"], series):
        line.set_data(np.arange(len(y)), y)
    y = _history(t, L.O_ACTIVE)
    art["members"].set_data(np.arange(len(y)), y)


def _nice_top(x: float) -> float:
    """An axis end above ``x`` from 1, 2, 5 times a power of ten (so it changes rarely as ``x`` moves)."""
    x = max(float(x), 1.0)
    power = 10 ** math.floor(math.log10(x))
    return next(k * power for k in (1, 2, 5, 10) if k * power >= x)


def _pathway_limits(room: Classroom) -> tuple[float, float]:
    waiting = max(waiting_per_step(room.together).max(), waiting_per_step(room.alone).max())
    dropped = max(room.together.world.out_drop[0].max(), room.alone.world.out_drop[0].max())
    return _nice_top(waiting * 1.05), _nice_top(dropped * 1.05)


def _pathway_setup(ax, room: Classroom) -> tuple[Artists, list]:
    s = room.together.setting
    d = len(s.domain_names)
    wait_top, drop_top = _pathway_limits(room)
    fig = ax.figure
    spec = ax.get_subplotspec().subgridspec(1, 2, width_ratios=[1.25, 1], wspace=0.05)
    ax.remove()
    left, right = fig.add_subplot(spec[0]), fig.add_subplot(spec[1])
    y = np.arange(d)
    labels = ["\n".join(textwrap.wrap(lbl, 16, max_lines=2, placeholder="…")) for lbl in s.domain_labels]
    bars: dict[str, list] = {}
    for ax_, top, title in ((left, wait_top, "waiting now (people)"), (right, drop_top, "gave up this month")):
        ax_.set_ylim(d - 0.4, -0.6)
        ax_.set_xlim(0, top)
        ax_.xaxis.set_major_locator(MaxNLocator(nbins=3))
        ax_.set_title(title, fontsize=FONT - 1, loc="left")
        ax_.grid(axis="x", color="#eeeeee", linewidth=0.6)
        ax_.set_axisbelow(True)
        _plain_axes(ax_)
    left.set_yticks(y, labels, fontsize=FONT - 2)
    right.set_yticks(y, [""] * d)
    for ax_, key in ((left, "wait"), (right, "drop")):
        bars[f"{key}_together"] = list(ax_.barh(y - 0.19, np.zeros(d), height=0.36, color=RUN_COLOR))
        bars[f"{key}_alone"] = list(ax_.barh(y + 0.19, np.zeros(d), height=0.36, color="#bdbdbd",
                                             edgecolor=ALONE_COLOR, linewidth=0.6))
    _legend_above(left, [Patch(facecolor=RUN_COLOR, label="together"),
                         Patch(facecolor="#bdbdbd", edgecolor=ALONE_COLOR, label="alone")], ncol=2)
    left.get_legend().set_bbox_to_anchor((0.0, 1.09))
    dynamic = [b for group in bars.values() for b in group]
    return bars, dynamic


def _pathway_update(art: Artists, room: Classroom) -> None:
    for run, model in (("together", room.together), ("alone", room.alone)):
        for bar, w in zip(art[f"wait_{run}"], waiting_per_step(model)):
            bar.set_width(w)
        for bar, w in zip(art[f"drop_{run}"], model.world.out_drop[0]):
            bar.set_width(w)


def _network_view_setup(ax, room: Classroom) -> tuple[Artists, list]:
    return _network_setup(ax, room.together)


def _network_view_update(art: Artists, room: Classroom) -> None:
    _network_update(art, room.together)


def _switches_key(room: Classroom) -> tuple:
    return (tuple(room.together.switches), len(room.kept))


@dataclass(frozen=True)
class View:
    """One view of the page: a title, a headline with this month's numbers, a figure and a caption."""

    key: str
    title: str
    caption: str
    headline: Callable[[Classroom], str]
    setup: Callable[..., tuple[Artists, list]]
    update: Callable[[Artists, Classroom], None]
    # what the static part depends on besides the runs (it is drawn again when this changes)
    layout_key: Callable[[Classroom], Any] = lambda room: None


VIEWS: tuple[View, ...] = (
    View("outcome", "Who gets helped",
         "Of the people leaving the pathway, the share who got every service they needed rather than giving up "
         "waiting. Blue: the coalition; dashed grey: the same organizations working alone.",
         outcome_headline, _outcome_setup, _outcome_update, layout_key=_switches_key),
    View("pathway", "Where people wait and give up",
         "People waiting for each step now, and those who gave up waiting there this month: a thin step holds "
         "everyone behind it.",
         pathway_headline, _pathway_setup, _pathway_update, layout_key=_pathway_limits),
    View("trust", "Trust and members",
         "Mean trust between organizations, across and within sectors (dashed: working alone), and the "
         "coalition's members.",
         trust_headline, _trust_setup, _trust_update, layout_key=_switches_key),
    View("network", "The coalition",
         "A dot per organization (colour: sector, size: budget); a line joins two members who trust each other "
         "enough to coordinate (each member's strongest ties), dark across sectors; grey: not members.",
         network_headline, _network_view_setup, _network_view_update),
)
VIEW_BY_KEY = {v.key: v for v in VIEWS}


def draw_view(key: str, room: Classroom, ax=None) -> Figure:
    """One view of the runs' current month, drawn whole (into ``ax``, or a new figure)."""
    view = VIEW_BY_KEY[key]
    if ax is None:
        ax = _figure().add_subplot()
    fig = ax.figure
    art, _ = view.setup(ax, room)
    view.update(art, room)
    return fig


def draw_network(model: ClassroomModel, ax, scale: float = 1.0, labels: bool = True) -> None:
    """The coalition of one run as a network, into ``ax`` (``scale`` and ``labels``: see ``_network_setup``)."""
    art, _ = _network_setup(ax, model, scale=scale, labels=labels)
    _network_update(art, model)


def _encode(canvas: FigureCanvasAgg) -> bytes:
    """The canvas as PNG, compressed lightly: the page redraws every step."""
    from PIL import Image

    width, height = canvas.get_width_height(physical=True)
    image = Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


class _Painter:
    """A view's figure for one classroom: the static part rendered once, the changing artists each step."""

    def __init__(self, view: View):
        self.view = view
        self.fig = _figure()
        self.lock = threading.Lock()
        self.layout: Any = object()
        self.art: Artists = {}
        self.dynamic: list = []
        self.background = None

    def png(self, room: Classroom) -> bytes:
        with self.lock:
            canvas = self.fig.canvas
            layout = self.view.layout_key(room)
            if layout != self.layout:
                self.fig.clear()
                self.art, self.dynamic = self.view.setup(self.fig.add_subplot(), room)
                for artist in self.dynamic:
                    artist.set_animated(True)  # left out of the full draw: they go on top of the background
                canvas.draw()
                self.background = canvas.copy_from_bbox(self.fig.bbox)
                self.layout = layout
            else:
                canvas.restore_region(self.background)
            self.view.update(self.art, room)
            for artist in self.dynamic:
                artist.axes.draw_artist(artist)
            return _encode(canvas)


def view_png(key: str, room: Classroom) -> bytes:
    """One view of the runs' current month as the page shows it (PNG bytes)."""
    painter = room.painters.get(key)
    if painter is None:
        painter = room.painters[key] = _Painter(VIEW_BY_KEY[key])
    return painter.png(room)
