"""Figures of a scenario discovery (:mod:`cisim.experiments.discovery`): PRIM's trajectory and the chosen box.

The trajectory figure shows each step of the peeling as a point, coverage against density,
coloured by how many inputs the box restricts, so the trade a reader makes when choosing a box is
visible: a denser box holds fewer of the runs where the condition holds.  The box figure shows,
per input, the chosen limits within that input's range in the runs, so a narrow restriction and
an untouched input read at a glance.  Figures are ``matplotlib.figure.Figure`` objects (Agg, no
pyplot state) in the look of :mod:`cisim.interfaces.sensitivity_plots`; with ``path`` they are
also written, atomically, in each of ``formats``.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from matplotlib import colormaps, rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from cisim.experiments.discovery import SIGNIFICANT, Discovery, limits_text, quasi_p_text
from cisim.interfaces.sensitivity_plots import CLEAR, OTHER, STYLE, UNCLEAR, save_figure
from cisim.model.formats import percent

CHOSEN, BASE = "#D55E00", "#7F7F7F"
FORMATS = ("png", "svg")


def _figure(width: float, height: float) -> Figure:
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _title(fig: Figure, result: Discovery, what: str) -> None:
    """The question as the title, the answer's sentence beneath it, both wrapped to the figure's width."""
    chars = int(fig.get_figwidth() * 11)
    text = f"Where {result.expression} holds: {what}"
    fig.suptitle("\n".join([*textwrap.wrap(text, chars), *textwrap.wrap(result.sentence(), int(chars * 1.1))]),
                 x=0.01, ha="left", fontsize=10.5)


def trajectory_figure(result: Discovery, path: str | Path | None = None, formats: Sequence[str] = FORMATS) -> Figure:
    """Coverage against density at each step of PRIM's trajectory, by restricted inputs; the chosen box ringed."""
    traj = result.trajectory
    counts = sorted(int(c) for c in traj["restricted_dims"].unique())
    cmap = colormaps["viridis"]
    colour = {c: cmap(0.9 * k / max(1, len(counts) - 1)) for k, c in enumerate(counts)}
    with rc_context(STYLE):
        fig = _figure(7.4, 5.8)
        ax = fig.add_subplot()
        ax.plot(traj["coverage"], traj["density"], color=OTHER, lw=0.8, zorder=1)
        ax.scatter(traj["coverage"], traj["density"], c=[colour[int(c)] for c in traj["restricted_dims"]], s=26,
                   edgecolors="white", linewidths=0.4, zorder=2, gid="trajectory")
        ax.axhline(result.base_rate, color=BASE, ls="--", lw=1, zorder=0)
        ax.annotate(f"all runs: {percent(result.base_rate, 0)} hold it", (0.01, result.base_rate),
                    xycoords=("axes fraction", "data"), xytext=(0, 3), textcoords="offset points", fontsize=9,
                    color=BASE, va="bottom")
        if result.threshold is not None:
            ax.axhline(result.threshold, color=CHOSEN, ls=":", lw=1, zorder=0)
            ax.annotate(f"--threshold {percent(result.threshold, 0)}", (0.01, result.threshold),
                        xycoords=("axes fraction", "data"), xytext=(0, 3), textcoords="offset points", fontsize=9,
                        color=CHOSEN, va="bottom")
        ax.scatter([result.coverage], [result.density], s=150, facecolors="none", edgecolors=CHOSEN, linewidths=2,
                   zorder=3, gid="chosen")
        ax.annotate(f"chosen box (step {result.step})\ncoverage {percent(result.coverage, 0)}, "
                    f"density {percent(result.density, 0)}", (result.coverage, result.density), xytext=(-12, -26),
                    textcoords="offset points", ha="right", va="top", fontsize=9.5, color=CHOSEN,
                    arrowprops={"arrowstyle": "-", "color": CHOSEN, "lw": 0.8})
        low = min(float(traj["density"].min()), result.base_rate)
        ax.set_xlim(0, 1.03)
        ax.set_ylim(max(0.0, low - 0.08), 1.03)
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
        ax.grid(color="#eeeeee", lw=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel("Coverage: of the runs where it holds, the share inside the box")
        ax.set_ylabel("Density: of the runs inside the box,\nthe share where it holds")
        handles = [Line2D([], [], ls="", marker="o", color=colour[c], label=str(c)) for c in counts]
        fig.legend(handles=handles, title="inputs\nrestricted", loc="outside right upper", fontsize=9,
                   title_fontsize=9)
        _title(fig, result, f"PRIM's peeling trajectory, {len(traj)} steps (peel alpha {result.peel_alpha:g})")
    if path is not None:
        save_figure(fig, path, formats)
    return fig


def box_figure(result: Discovery, path: str | Path | None = None, formats: Sequence[str] = FORMATS) -> Figure:
    """The chosen box's limits per input, within the input's range in the runs (0 = lowest, 1 = highest)."""
    box = result.box
    n = len(box)
    with rc_context(STYLE):
        fig = _figure(7.8, 2.0 + 0.55 * max(n, 2))
        ax = fig.add_subplot()
        y = np.arange(n)[::-1]
        for yi, r in zip(y, box.itertuples()):
            ax.barh(yi, 1.0, left=0.0, height=0.55, color="#f0f0f0", edgecolor="#d0d0d0", lw=0.6, zorder=1)
            if r.restricted:
                colour = CLEAR if bool(r.significant) else UNCLEAR
                ax.barh(yi, r.high_share - r.low_share, left=r.low_share, height=0.55, color=colour, zorder=2,
                        gid=f"box:{r.factor}")
                for share_, which, ha, dx in ((r.low_share, "low", "right", -3), (r.high_share, "high", "left", 3)):
                    if (which == "low" and r.low > r.min) or (which == "high" and r.high < r.max):
                        ax.annotate(limits_text(r, which), (share_, yi), xytext=(dx, 0), textcoords="offset points",
                                    ha=ha, va="center", fontsize=9, fontweight="bold", zorder=3)
                note = f"quasi-p {quasi_p_text(r.quasi_p)}"
            else:
                note = "not restricted"
            ax.annotate(note, (1.0, yi), xytext=(8, 0), textcoords="offset points", ha="left", va="center",
                        fontsize=9, color="#333333" if r.restricted else BASE)
            ax.annotate(f"{limits_text(r, 'min')} to {limits_text(r, 'max')}", (0.0, yi - 0.28), xytext=(0, -1),
                        textcoords="offset points", ha="left", va="top", fontsize=7.5, color=BASE)
        names = [r.label if r.label == r.factor else f"{r.label}\n({r.factor})" for r in box.itertuples()]
        ax.set_yticks(y, names)
        ax.set_ylim(-0.8, n - 0.4)
        ax.set_xlim(-0.01, 1.0)
        ax.spines["bottom"].set_bounds(0, 1)
        ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["lowest", "", "middle", "", "highest"])
        ax.spines["left"].set_visible(False)
        ax.tick_params(axis="y", length=0)
        ax.set_xlabel("Where the box's limits sit in each input's range in the runs")
        handles = [Patch(color=CLEAR, label=f"restriction that matters (quasi-p < {SIGNIFICANT:g})"),
                   Patch(color=UNCLEAR, label="restriction that may be chance"),
                   Patch(facecolor="#f0f0f0", edgecolor="#d0d0d0", label="range in the runs")]
        fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=9)
        _title(fig, result, f"the chosen box (coverage {percent(result.coverage, 0)}, density "
                            f"{percent(result.density, 0)}, mass {percent(result.mass, 0)})")
    if path is not None:
        save_figure(fig, path, formats)
    return fig


def write_figures(result: Discovery, stem: str | Path, formats: Sequence[str] = FORMATS) -> dict[str, list[Path]]:
    """Both figures, as ``<stem>-trajectory.<fmt>`` and ``<stem>-box.<fmt>``; the paths written, by figure."""
    stem = Path(stem)
    written = {}
    for key, draw in (("trajectory", trajectory_figure), ("box", box_figure)):
        fig = draw(result)
        written[key] = save_figure(fig, stem.with_name(f"{stem.name}-{key}"), formats)
    return written


__all__ = ["box_figure", "trajectory_figure", "write_figures"]
