"""Figures of a sensitivity analysis (:mod:`cisim.experiments.sensitivity`): index bars, Morris, convergence, over time.

Every figure shows the noise floor: the index of the dummy factor, which the model never
reads, so anything at or under it cannot be told apart from run-to-run noise and
sampling error.  Figures are ``matplotlib.figure.Figure`` objects (Agg, no pyplot state);
with ``path`` they are also written, atomically, in each of ``formats``.

Factors are shown by plain-language labels (:func:`default_label`, or the ``labels``
argument), so the figures read in a memo as well as in a paper.  The dotted parameter
paths stay recoverable: they are the ``factor`` column of the tables, :func:`label_table`
pairs them with the labels, and each factor's artists carry the path in their ``gid``
(``factor:<path>`` for lines, ``label:<path>`` for texts), which the SVG keeps as ids.
Figures with many factors draw the few that matter in distinct colours and the rest
in thin grey, since more than six or seven colours cannot be told apart.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.text import Text
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import Bbox

from cisim.experiments.labels import OUTPUT_LABELS, label
from cisim.experiments.sensitivity import DUMMY, MAIN_INDICES, PAIR_SEP, RANK_INDEX, SensitivityResult
from cisim.model.formats import percent, share

# Okabe-Ito, as in cisim.interfaces.plots: readable with the common colour-vision deficiencies
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
# colours of highlighted factors: the palette without its yellow, too faint for a line on white
HIGHLIGHT = PALETTE[:7]
CLEAR, UNCLEAR, FLOOR, OTHER = "#0072B2", "#B0B0B0", "#7F7F7F", "#BDBDBD"
STYLE = {
    "font.size": 10.5, "axes.titlesize": 12, "axes.titleweight": "bold", "axes.titlelocation": "left",
    "axes.spines.top": False, "axes.spines.right": False, "legend.frameon": False, "svg.fonttype": "none",
}
METHOD_NAMES = {"sobol": "Sobol'", "morris": "Morris", "efast": "eFAST", "rbd_fast": "RBD-FAST", "pawn": "PAWN",
                "delta": "delta (Borgonovo)"}
INDEX_TITLES = {"S1": "First order (S1)", "ST": "Total order (ST)", "S2": "Second order (S2)", "mu_star": "mu*",
                "mu": "mu", "sigma": "sigma", "PAWN": "PAWN (median)", "delta": "delta"}
INDEX_LABELS = {
    "S1": "Share of output variance due to the factor alone",
    "ST": "Share of output variance involving the factor (alone and through interactions)",
    "S2": "Share of output variance due to the pair's interaction",
    "mu_star": "mu*: mean absolute elementary effect (output units)",
    "mu": "mu: mean elementary effect (output units, signed)",
    "sigma": "sigma: spread of the elementary effects (output units)",
    "PAWN": "How far fixing the factor shifts the output distribution (median Kolmogorov-Smirnov distance)",
    "delta": "Share of the output distribution shaped by the factor (moment-independent delta)",
}
FLOOR_LABEL = "noise floor (dummy factor)"
DUMMY_LABEL = "dummy (noise floor)"
LABEL_WIDTH = 32  # characters per line of a factor's name on an axis or in a legend

#: How factors are named on a figure: a mapping from dotted path to label (paths it lacks get
#: :func:`default_label`), a function of the path, or None for :func:`default_label`.
Labels = Mapping[str, str] | Callable[[str], str] | None


def default_label(factor: str) -> str:
    """A plain-language name for a factor (a dotted parameter path), a pair ``a×b``, or the dummy.

    A factor reads as :func:`cisim.experiments.labels.label` names it: a parameter by its schema
    label (a level, so the backbone's share is "Backbone's share of the budget", not the on/off
    "Backbone (funded)" of an ablation), any other path from its last part; ``x1`` as itself.
    """
    if PAIR_SEP in factor:
        return " × ".join(default_label(p) for p in factor.split(PAIR_SEP))
    if factor == DUMMY:
        return DUMMY_LABEL
    return label(factor)


def _labeller(labels: Labels) -> Callable[[str], str]:
    """``labels`` as a function of a factor name; a pair is named part by part unless the mapping names it whole."""
    if labels is None:
        return default_label
    if isinstance(labels, Mapping):
        table = labels

        def one(factor: str) -> str:
            return str(table[factor]) if factor in table else default_label(factor)
    elif callable(labels):
        def one(factor: str) -> str:
            return str(labels(factor))
    else:
        raise TypeError(f"labels must be a mapping, a function or None, got {type(labels).__name__}")

    def name(factor: str) -> str:
        if PAIR_SEP in factor and not (isinstance(labels, Mapping) and factor in labels):
            return " × ".join(one(p) for p in factor.split(PAIR_SEP))
        return one(factor)

    return name


def label_table(factors: SensitivityResult | Iterable[str], labels: Labels = None) -> pd.DataFrame:
    """Each factor's dotted path beside the label the figures show: the key from a figure back to the model."""
    names = factors.indices["factor"] if isinstance(factors, SensitivityResult) else factors
    unique = list(dict.fromkeys(str(f) for f in names))
    name = _labeller(labels)
    return pd.DataFrame({"factor": unique, "label": [name(f) for f in unique]})


def _output_title(output: str) -> str:
    """The output in plain words, with its column name kept for the reader who looks it up."""
    words = OUTPUT_LABELS.get(output)
    if not words:
        return output[:1].upper() + output[1:] if output.isalpha() else output
    return f"{words[0].upper()}{words[1:]} ({output})"


def save_figure(fig: Figure, path: str | Path, formats: Sequence[str] = ("png", "svg"), dpi: int = 150, *,
                bbox_inches: str | None = "tight") -> list[Path]:
    """Write ``fig`` as ``path`` with each suffix in ``formats`` (a suffix on ``path`` is replaced), atomically.

    ``bbox_inches="tight"`` crops to what is drawn, with a small margin, so no label is cut
    off at the edge of the canvas even when a layout cannot fit it.
    """
    from cisim.experiments.metadata import atomic_path

    path = Path(path)
    stem = path.with_suffix("") if path.suffix.lower() in (".png", ".svg", ".pdf") else path
    written = []
    for fmt in formats:
        target = stem.with_name(f"{stem.name}.{fmt}")
        with atomic_path(target) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, facecolor="white", bbox_inches=bbox_inches, pad_inches=0.08)
        written.append(target)
    return written


def _figure(ncols: int, width: float, height: float, extra: float = 0.0) -> tuple[Figure, list[Axes]]:
    """A constrained-layout figure of ``ncols`` panels ``width`` wide, plus ``extra`` inches for a side legend."""
    fig = Figure(figsize=(width * ncols + extra, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    return fig, axes


def _finish(fig: Figure, path: str | Path | None, formats: Sequence[str]) -> Figure:
    if path is not None:
        save_figure(fig, path, formats)
    return fig


def _wrap(text: str, width: int) -> str:
    """Each line of ``text`` filled to ``width`` characters, words kept whole."""
    return "\n".join(textwrap.fill(line, max(width, 12), break_long_words=False) or line for line in text.split("\n"))


def _balanced(text: str) -> str:
    """``text`` in two lines of about equal length (an axis label that is longer than its axis is tall)."""
    return _wrap(text, max(30, -(-len(text) // 2) + 4))


def _chars(width_in: float, fontsize: float) -> int:
    """Characters of running text that likely fit ``width_in`` inches (a first guess; :func:`_fit` measures)."""
    return max(16, int(width_in * 72 / (0.5 * fontsize)))


def _fit(fig: Figure, artist: Text, text: str, width: int, right: float | None = None) -> None:
    """Set ``text`` on ``artist`` wrapped to ``width`` characters, narrower while a line still runs past ``right``
    (pixels; default the canvas's right edge).

    Measured rather than estimated, since glyph widths vary with the font matplotlib finds.
    Axes titles should be fitted after a draw has settled the layout.
    """
    renderer = fig.canvas.get_renderer()
    right = fig.bbox.x1 if right is None else right
    for _ in range(12):
        artist.set_text(_wrap(text, width))
        box = artist.get_window_extent(renderer)
        if (box.x0 >= fig.bbox.x0 and box.x1 <= right) or width <= 12:
            return
        width = int(width * 0.93)


def _suptitle(fig: Figure, text: str, *, beside: Legend | None = None, **kw: Any) -> Text:
    """A left-aligned figure title, wrapped to stay inside the canvas and left of a legend ``beside`` it."""
    title = fig.suptitle(text, x=0.01, ha="left", **kw)
    right = None
    if beside is not None:
        fig.canvas.draw()  # the legend's place is known once the layout has run
        right = beside.get_window_extent().x0 - 10
    _fit(fig, title, text, _chars(fig.get_figwidth() * 0.97, title.get_fontsize()), right)
    return title


def _pick_time(result: SensitivityResult, time: Any) -> Any:
    times = result.times
    if not times:
        return None
    if time is None:
        return times[-1]
    if time not in times:
        raise ValueError(f"no indices at time {time!r}; times: {times}")
    return time


def _check_output(result: SensitivityResult, output: str | None) -> str:
    outs = result.outputs
    if output is None:
        if len(outs) != 1:
            raise ValueError(f"name the output to plot: {', '.join(outs)}")
        return outs[0]
    if output not in outs:
        raise ValueError(f"no output {output!r} in the result; outputs: {', '.join(outs)}")
    return output


def _noise_note(result: SensitivityResult, output: str, time: Any) -> str:
    noise = result.noise[result.noise["output"] == output]
    if time is not None and "time" in noise:
        noise = noise[noise["time"] == time]
    if noise.empty:
        return ""
    row = noise.iloc[0]
    noise_share = row["noise_share_of_mean"]
    reps = int(row["replicates"])
    note = f"R = {reps} run{'s' if reps != 1 else ''} per point"
    if np.isfinite(noise_share):
        note += f"; noise is {percent(noise_share)} of the variance of the point means"
    if bool(row["noise_warning"]):
        note += " (too high: indices blurred)"
    return note


def _size(result: SensitivityResult) -> str:
    n = result.n
    return {"sobol": f"N = {n} base samples", "morris": f"{n} trajectories",
            "efast": f"{n} points per search curve"}.get(result.method, f"{n} points")


def _draw_floor(ax: Axes, value: float, high: float, vertical: bool = True) -> None:
    """The dummy's estimate (dashed line) and the band up to its upper confidence bound."""
    if not np.isfinite(value):
        return
    top = high if np.isfinite(high) else value
    span = ax.axvspan if vertical else ax.axhspan
    line = ax.axvline if vertical else ax.axhline
    span(min(0.0, value), max(top, value), color=FLOOR, alpha=0.18, lw=0, zorder=0, gid="noise_floor_band")
    line(value, color=FLOOR, ls="--", lw=1.2, zorder=1, gid="noise_floor")


def _highlighted(ranked: Sequence[str], highlight: int) -> dict[str, str]:
    """Colours of the ``highlight`` first factors of ``ranked``, all distinct (at most len(HIGHLIGHT))."""
    return dict(zip(ranked[:max(0, min(highlight, len(HIGHLIGHT)))], HIGHLIGHT))


def _legend_handles(colours: Mapping[str, str], name: Callable[[str], str], others: int,
                    dummy: bool) -> list[Line2D]:
    """Legend entries: the highlighted factors in rank order, one entry for the grey rest, then the noise floor."""
    handles = [Line2D([], [], color=c, marker="o", lw=1.8, label=_wrap(name(f), LABEL_WIDTH))
               for f, c in colours.items()]
    if others:
        handles.append(Line2D([], [], color=OTHER, lw=1.0,
                              label=f"{others} other factor{'s' if others != 1 else ''}"))
    if dummy:
        handles.append(Line2D([], [], color=FLOOR, ls="--", lw=1.2, label=_wrap(name(DUMMY), LABEL_WIDTH)))
    return handles


def plot_indices(result: SensitivityResult, output: str | None = None, *, indices: Sequence[str] | None = None,
                 time: Any = None, path: str | Path | None = None, formats: Sequence[str] = ("png", "svg"),
                 labels: Labels = None) -> Figure:
    """Horizontal bars of each main index per factor, with confidence intervals and the noise floor.

    Factors are sorted by the method's total effect (ST, mu*, ...); bars that do not clear
    the noise floor are grey.  One panel per index (default: S1 and ST for Sobol').
    ``labels`` names the factors (see :data:`Labels`).
    """
    output = _check_output(result, output)
    time = _pick_time(result, time)
    name = _labeller(labels)
    wanted = list(indices) if indices is not None else list(MAIN_INDICES[result.method])
    df = result.table(output, time=time)
    have = [ix for ix in wanted if (df["index"] == ix).any()]
    if not have:
        raise ValueError(f"none of the indices {wanted} in the result for {output!r}")
    rank = RANK_INDEX[result.method] if (df["index"] == RANK_INDEX[result.method]).any() else have[-1]
    order = (df[(df["index"] == rank) & (df["factor"] != DUMMY)].sort_values("value")["factor"].tolist())
    with rc_context(STYLE):
        fig, axes = _figure(len(have), 5.4 if len(have) > 1 else 6.4, 1.9 + 0.42 * max(len(order), 3))
        for ax, ix in zip(axes, have):
            rows = df[df["index"] == ix].set_index("factor")
            if ix == "S2":
                names = rows.index[~rows.index.str.split(PAIR_SEP).map(lambda p: DUMMY in p)].tolist()
                names = sorted(names, key=lambda f: rows.loc[f, "value"])
            else:
                names = [f for f in order if f in rows.index]
            sub = rows.loc[names]
            vals = sub["value"].to_numpy(dtype=float)
            lo = np.nan_to_num(vals - sub["conf_low"].to_numpy(dtype=float), nan=0.0)
            hi = np.nan_to_num(sub["conf_high"].to_numpy(dtype=float) - vals, nan=0.0)
            clear = sub["above_noise"].fillna(True).to_numpy(dtype=bool)
            y = np.arange(len(names))
            ax.barh(y, vals, xerr=[np.maximum(lo, 0), np.maximum(hi, 0)], color=np.where(clear, CLEAR, UNCLEAR),
                    height=0.62, error_kw={"ecolor": "#333333", "capsize": 3, "lw": 1}, zorder=2)
            ax.set_yticks(y, [_wrap(name(f), LABEL_WIDTH) for f in names])
            for tick, f in zip(ax.get_yticklabels(), names):
                tick.set_gid(f"label:{f}")
            _draw_floor(ax, *result.noise_floor(output, ix, time))
            ax.axvline(0, color="#333333", lw=0.8, zorder=1)
            ax.set_title(INDEX_TITLES.get(ix, ix))
            ax.set_xlabel(_wrap(INDEX_LABELS.get(ix, ix), 40))
            if ix in ("S1", "ST", "S2", "delta", "PAWN"):
                ax.set_xlim(min(0.0, float(np.nanmin(vals - lo)) - 0.02) if len(vals) else 0.0,
                            max(1.0, float(np.nanmax(vals + hi)) + 0.02) if len(vals) else 1.0)
        handles = [Patch(color=CLEAR, label="clears the noise floor"),
                   Patch(color=UNCLEAR, label="not distinguishable from noise")]
        if result.dummy:
            handles.append(Patch(color=FLOOR, alpha=0.35, label=FLOOR_LABEL))
        fig.legend(handles=handles, loc="outside lower center", ncols=len(handles) if len(have) > 1 else 1)
        when = f", time {time}" if time is not None else ""
        note = _noise_note(result, output, time)
        _suptitle(fig, f"{_output_title(output)}: {METHOD_NAMES[result.method]} sensitivity indices\n"
                       f"{_size(result)}{when}, {share(result.conf_level)} intervals." + (f" {note}." if note else ""),
                  fontsize=11)
    return _finish(fig, path, formats)


# where a point's label may go (points right and up of the point), nearest first: beside it, then further
# away with a leader line
_OFFSETS = ((6, 5), (6, -5), (-6, 5), (-6, -5)) + tuple(
    (dx, sy * dy) for dy in (16, 28, 40, 54, 70, 88, 108) for sy in (1, -1) for dx in (6, -6, 30, -30))


def _place_labels(fig: Figure, ax: Axes, items: Sequence[tuple[str, float, float, str]],
                  points: np.ndarray) -> list[Text]:
    """Label each point beside it, at the first offset where the label stays inside the axes and covers no
    other label or point (the least-crowded offset when none is free); far offsets get a leader line."""
    fig.canvas.draw()  # settle the layout, so that pixel positions are final
    renderer = fig.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    dots = [Bbox.from_bounds(px - 4, py - 4, 8, 8) for px, py in ax.transData.transform(points)]
    taken: list[Bbox] = []
    placed: list[Text] = []
    for text, xi, yi, factor in items:
        px, py = ax.transData.transform((xi, yi))
        obstacles = taken + [d for d in dots if not d.contains(px, py)]
        best: tuple[tuple[bool, int], Text, Bbox] | None = None
        for dx, dy in _OFFSETS:
            far = abs(dy) > 10
            ann = ax.annotate(text, (xi, yi), xytext=(dx, dy), textcoords="offset points", fontsize=9,
                              ha="left" if dx > 0 else "right" if dx < 0 else "center",
                              va="bottom" if dy > 0 else "top", gid=f"label:{factor}", zorder=4,
                              bbox={"boxstyle": "round,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.75},
                              arrowprops={"arrowstyle": "-", "color": "#777777", "lw": 0.6, "shrinkA": 1,
                                          "shrinkB": 4} if far else None)
            ann.set_in_layout(False)  # placed inside the axes: the layout the placement relies on must not move
            ann.update_positions(renderer)
            box = Text.get_window_extent(ann, renderer)  # the text alone, not its leader line
            inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
            score = (not inside, sum(box.overlaps(b) for b in obstacles))
            if best is None or score < best[0]:
                if best is not None:
                    best[1].remove()
                best = (score, ann, box)
            else:
                ann.remove()
            if score == (False, 0):
                break
        assert best is not None
        taken.append(best[2])
        placed.append(best[1])
    return placed


def plot_morris(result: SensitivityResult, output: str | None = None, *, time: Any = None,
                path: str | Path | None = None, formats: Sequence[str] = ("png", "svg"), labels: Labels = None,
                annotate: int = 8) -> Figure:
    """Morris mu* against sigma, with mu*'s intervals, the dummy, and the sigma/mu* guide lines.

    Following Garcia Sanchez et al. (2014): sigma/mu* below 0.1 means an almost linear
    effect, up to 0.5 monotonic, up to 1 almost monotonic, above 1 non-linear or
    interacting with other factors.  Only the ``annotate`` factors with the largest mu* that
    clear the noise floor are named; the crowd near the floor would only be unreadable text
    (their values are in the table and in :func:`plot_indices`).
    """
    if result.method != "morris":
        raise ValueError(f"a Morris plot needs a Morris analysis, got {result.method}")
    output = _check_output(result, output)
    time = _pick_time(result, time)
    name = _labeller(labels)
    df = result.table(output, time=time)
    ms = df[df["index"] == "mu_star"].set_index("factor")
    sg = df[df["index"] == "sigma"].set_index("factor")["value"]
    with rc_context(STYLE):
        fig, (ax,) = _figure(1, 7.5, 6.4)
        real = [f for f in ms.index if f != DUMMY]
        x = ms.loc[real, "value"].to_numpy(dtype=float)
        err = np.nan_to_num(ms.loc[real, "conf_high"].to_numpy(dtype=float) - x, nan=0.0)
        yv = sg.loc[real].to_numpy(dtype=float)
        clear = ms.loc[real, "above_noise"].fillna(True).to_numpy(dtype=bool)
        ax.errorbar(x, yv, xerr=np.maximum(err, 0), fmt="none", ecolor="#555555", elinewidth=0.9, capsize=2.5,
                    zorder=2)
        ax.scatter(x, yv, s=46, c=np.where(clear, CLEAR, UNCLEAR), zorder=3, gid="factors")
        xmax = float(np.nanmax(np.r_[x + err, 1e-12])) * 1.15
        ymax = float(np.nanmax(np.r_[yv, 1e-12])) * 1.15
        handles: list[Any] = [
            Line2D([], [], ls="", marker="o", color=CLEAR, label="clears the noise floor"),
            Line2D([], [], ls="", marker="o", color=UNCLEAR, label="within the noise floor"),
        ]
        if DUMMY in ms.index:
            dv, dh = result.noise_floor(output, "mu_star", time)
            ds = float(sg.get(DUMMY, np.nan))
            _draw_floor(ax, dv, dh)
            handles.append(ax.scatter([dv], [ds], marker="x", s=60, color=FLOOR, zorder=3, gid="dummy",
                                      label=name(DUMMY)))
        xs = np.array([0.0, xmax])
        for ratio, ls in ((0.1, ":"), (0.5, "-."), (1.0, "--")):
            handles += ax.plot(xs, ratio * xs, color="#555555", lw=0.9, ls=ls, zorder=1, gid=f"guide_{ratio:g}",
                               label=f"sigma / mu* = {ratio:g}")
        ax.set_xlim(0, xmax)
        ax.set_ylim(0, max(ymax, 0.1 * xmax))
        ax.set_xlabel("mu*: mean absolute elementary effect (importance, output units)")
        ax.set_ylabel("sigma: spread of the elementary effects\n(non-linearity and interactions)")
        fig.legend(handles=handles, loc="outside lower center", ncols=3, fontsize=9)
        when = f", time {time}" if time is not None else ""
        _suptitle(fig, f"{_output_title(output)}: Morris screening, {result.n} trajectories{when}", fontsize=12,
                  fontweight="bold")
        ranked = [real[i] for i in np.argsort(-np.nan_to_num(x, nan=-np.inf), kind="stable") if clear[i]]
        named = ranked[:max(annotate, 0)]
        note = _noise_note(result, output, time)
        rest = len(real) - len(named)
        text = ((note + ". " if note else "") + "Grey: the lower end of the factor's interval does not clear the "
                "noise floor (the dummy's mu*, dashed; the band reaches its upper bound)."
                + (f" Named: the {len(named)} factors with the largest mu* above the floor." if rest else ""))
        title = ax.set_title(text, fontsize=9.5, fontweight="normal")
        fig.canvas.draw()
        _fit(fig, title, text, _chars(ax.get_window_extent().width / fig.dpi, 9.5))
        pos = {f: i for i, f in enumerate(real)}
        _place_labels(fig, ax, [(_wrap(name(f), LABEL_WIDTH), x[pos[f]], yv[pos[f]], f) for f in named],
                      np.column_stack([x, yv]))
    return _finish(fig, path, formats)


def _size_label(method: str) -> str:
    return {"sobol": "Base sample size N", "morris": "Trajectories"}.get(method, "Sample size N")


def plot_convergence(result: SensitivityResult, output: str | None = None, *, indices: Sequence[str] | None = None,
                     time: Any = None, path: str | Path | None = None,
                     formats: Sequence[str] = ("png", "svg"), labels: Labels = None, highlight: int = 6) -> Figure:
    """Each main index against the base sample size (N/4, N/2, N) per factor, with intervals.

    The ``highlight`` factors ranked highest (by ST, mu*, ... at the full size) get distinct
    colours and intervals, the same in every panel; the rest are thin grey lines, since
    whether they settle matters less than whether the leaders do.
    """
    output = _check_output(result, output)
    time = _pick_time(result, time)
    name = _labeller(labels)
    conv = result.table(output, time=time, which="convergence")
    if conv.empty:
        raise ValueError(f"no convergence rows for {output!r} ({result.method}: "
                         + ("eFAST cannot be recomputed on a smaller design)" if result.method == "efast"
                            else "analysed with convergence=False)"))
    wanted = list(indices) if indices is not None else list(MAIN_INDICES[result.method])
    have = [ix for ix in wanted if (conv["index"] == ix).any()]
    sizes = sorted(conv["n"].unique())
    rank_ix = RANK_INDEX[result.method] if (conv["index"] == RANK_INDEX[result.method]).any() else have[-1]
    full = conv[(conv["index"] == rank_ix) & (conv["n"] == conv["n"].max())]
    full = full[(full["factor"] != DUMMY) & ~full["factor"].str.contains(PAIR_SEP, regex=False)]
    ranked = full.sort_values("value", ascending=False, kind="stable")["factor"].tolist()
    colours = _highlighted(ranked, highlight)
    has_dummy = False
    others: set[str] = set()
    with rc_context(STYLE):
        fig, axes = _figure(len(have), 4.8 if len(have) > 1 else 5.6, 4.4, extra=2.6)
        for ax, ix in zip(axes, have):
            rows = conv[conv["index"] == ix]
            factors = [f for f in dict.fromkeys(rows["factor"]) if f != DUMMY and PAIR_SEP not in f]
            grey = [f for f in factors if f not in colours]
            others.update(grey)
            for f in grey + [f for f in reversed(colours) if f in factors]:
                r = rows[rows["factor"] == f].sort_values("n")
                if f in colours:
                    ax.plot(r["n"], r["value"], marker="o", color=colours[f], lw=1.8, zorder=3,
                            label=name(f), gid=f"factor:{f}")
                    ax.fill_between(r["n"].to_numpy(dtype=float), r["conf_low"].to_numpy(dtype=float),
                                    r["conf_high"].to_numpy(dtype=float), color=colours[f], alpha=0.13, lw=0)
                else:
                    ax.plot(r["n"], r["value"], color=OTHER, lw=0.9, zorder=2, label=name(f), gid=f"factor:{f}")
            d = rows[rows["factor"] == DUMMY].sort_values("n")
            if not d.empty:
                has_dummy = True
                ax.plot(d["n"], d["value"], marker="o", ms=4, color=FLOOR, ls="--", lw=1.2, zorder=2,
                        label=name(DUMMY), gid="noise_floor")
                ax.fill_between(d["n"].to_numpy(dtype=float), d["conf_low"].to_numpy(dtype=float),
                                d["conf_high"].to_numpy(dtype=float), color=FLOOR, alpha=0.15, lw=0,
                                gid="noise_floor_band")
            ax.set_xscale("log", base=2)
            ax.set_xticks(sizes, [str(s) for s in sizes])
            ax.minorticks_off()
            ax.set_xlabel(_size_label(result.method))
            ax.set_ylabel(_balanced(INDEX_LABELS.get(ix, ix)))
            ax.set_title(INDEX_TITLES.get(ix, ix))
        legend = fig.legend(handles=_legend_handles(colours, name, len(others), has_dummy), loc="outside right upper",
                            fontsize=9, title=f"Ranked by {'mu*' if rank_ix == 'mu_star' else rank_ix}",
                            title_fontsize=9, alignment="left")
        scale = "" if result.method != "morris" else " x the largest value"
        _suptitle(fig, f"{_output_title(output)}: do the {METHOD_NAMES[result.method]} indices settle as the "
                       f"sample grows?\nConverged: change from N/2 to N at most {result.tolerance:g}{scale}. "
                       f"In colour: the {len(colours)} factors ranked highest at the full size.",
                  beside=legend, fontsize=11)
    return _finish(fig, path, formats)


def _leaders(rows: pd.DataFrame, last: Any, k: int) -> list[str]:
    """The ``k`` factors that rank highest at some time (ties: the larger peak), ordered by value at ``last``."""
    rank = rows.groupby("time", sort=False)["value"].rank(ascending=False, method="min")
    score = pd.DataFrame({"factor": rows["factor"], "rank": rank, "value": rows["value"]}).groupby(
        "factor", sort=False).agg(best=("rank", "min"), peak=("value", "max"))
    top = score.sort_values(["best", "peak"], ascending=[True, False], kind="stable").index[:max(k, 0)].tolist()
    final = rows[rows["time"] == last].set_index("factor")["value"].to_dict()
    return sorted(top, key=lambda f: -final[f] if np.isfinite(final.get(f, np.nan)) else np.inf)


def plot_over_time(result: SensitivityResult | pd.DataFrame, output: str | None = None, index: str | None = None, *,
                   time_label: str = "Time (end of year)", path: str | Path | None = None,
                   formats: Sequence[str] = ("png", "svg"), labels: Labels = None, highlight: int = 6) -> Figure:
    """An index against time per factor (time-resolved analysis), with intervals and the dummy's band.

    ``result`` comes from :func:`cisim.experiments.sensitivity.analyze_over_time`, or is its ``indices``
    table.  The ``highlight`` factors that rank highest at some time (so that one leading
    early and one leading late both show) are drawn in distinct colours with intervals, and
    listed by their rank at the last time; the rest are thin grey lines under one legend
    entry.  Whole-number times get whole-number ticks.
    """
    df = result.indices if isinstance(result, SensitivityResult) else result
    if "time" not in df:
        raise ValueError("not a time-resolved result (no 'time' column); see analyze_over_time")
    outs = list(dict.fromkeys(df["output"]))
    if output is None:
        if len(outs) != 1:
            raise ValueError(f"name the output to plot: {', '.join(outs)}")
        output = outs[0]
    method = str(df["method"].iloc[0])
    index = index or RANK_INDEX[method]
    name = _labeller(labels)
    rows = df[(df["output"] == output) & (df["index"] == index)]
    if rows.empty:
        raise ValueError(f"no {index} rows for output {output!r}")
    times = list(dict.fromkeys(rows["time"]))
    pos = {t: i for i, t in enumerate(times)}
    numeric = all(isinstance(t, (int, float, np.integer, np.floating)) and not isinstance(t, bool) for t in times)

    def xs(r: pd.DataFrame) -> np.ndarray:
        return r["time"].to_numpy(dtype=float) if numeric else r["time"].map(pos).to_numpy(dtype=float)

    real = rows[rows["factor"] != DUMMY]
    colours = _highlighted(_leaders(real, times[-1], highlight), highlight)
    grey = [f for f in dict.fromkeys(real["factor"]) if f not in colours]
    with rc_context(STYLE):
        fig, (ax,) = _figure(1, 6.6, 4.8, extra=2.6)
        for f in grey + list(reversed(colours)):
            r = rows[rows["factor"] == f]
            if f in colours:
                ax.plot(xs(r), r["value"], marker="o", color=colours[f], lw=1.8, zorder=3, label=name(f),
                        gid=f"factor:{f}")
                ax.fill_between(xs(r), r["conf_low"].to_numpy(dtype=float), r["conf_high"].to_numpy(dtype=float),
                                color=colours[f], alpha=0.13, lw=0)
            else:
                ax.plot(xs(r), r["value"], color=OTHER, lw=0.9, zorder=2, label=name(f), gid=f"factor:{f}")
        d = rows[rows["factor"] == DUMMY]
        if not d.empty:
            top_d = np.where(np.isfinite(d["conf_high"]), d["conf_high"], d["value"]).astype(float)
            ax.fill_between(xs(d), np.minimum(0.0, d["value"].to_numpy(dtype=float)), top_d, color=FLOOR, alpha=0.2,
                            lw=0, gid="noise_floor_band")
            ax.plot(xs(d), d["value"], color=FLOOR, ls="--", lw=1.2, label=name(DUMMY), gid="noise_floor")
        if not numeric:
            ax.set_xticks(range(len(times)), [str(t) for t in times])
        elif all(float(t).is_integer() for t in times):
            if len(times) <= 12:
                ax.set_xticks([float(t) for t in times], [str(int(t)) for t in times])
            else:
                ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(time_label)
        ax.set_ylabel(_balanced(INDEX_LABELS.get(index, index)))
        legend = fig.legend(handles=_legend_handles(colours, name, len(grey), not d.empty), loc="outside right upper",
                            fontsize=9, title=f"Highest at some time,\nin order at the last ({times[-1]})",
                            title_fontsize=9,
                            alignment="left")
        _suptitle(fig, f"{_output_title(output)}: {INDEX_TITLES.get(index, index)} over time "
                       f"({METHOD_NAMES.get(method, method)})", beside=legend, fontsize=12, fontweight="bold")
    return _finish(fig, path, formats)
