"""Figures of a calibration: each target against what the posterior predicts, and each parameter's
posterior against its prior."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cisim.experiments.calibration import Calibration
from cisim.experiments.labels import label
from cisim.interfaces.plots import PALETTE, STYLE
from cisim.interfaces.sensitivity_plots import save_figure

PRIOR, POSTERIOR, RANGE = "#999999", PALETTE[1], PALETTE[2]


def _grid(n: int, ncols: int = 4, width: float = 3.2, height: float = 2.5) -> tuple[Figure, list]:
    rows = math.ceil(n / ncols)
    fig = Figure(figsize=(width * min(n, ncols), height * rows + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(rows, min(n, ncols), i + 1) for i in range(n)]
    return fig, axes


def predictive_figure(fit: Calibration, prior_stats: pd.DataFrame) -> Figure:
    """Each target's range (shaded) against the statistic under the prior (grey) and under the posterior,
    every posterior set run again with new seeds (blue): met when the posterior's mean lies in the range."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        rows = fit.targets.to_dict("records")
        fig, axes = _grid(len(rows))
        w = fit.predictive["weight"].to_numpy()
        for ax, row in zip(axes, rows):
            name = row["target"]
            post = fit.predictive[name].to_numpy()
            prior = prior_stats[name].to_numpy() if name in prior_stats else np.array([])
            both = np.concatenate([post[np.isfinite(post)], prior[np.isfinite(prior)], [row["low"], row["high"]]])
            lo, hi = np.min(both), np.max(both)
            pad = 0.05 * (hi - lo or 1)
            bins = np.linspace(lo - pad, hi + pad, 31)
            ax.axvspan(row["low"], row["high"], color=RANGE, alpha=0.18, lw=0, label="evidence range")
            if len(prior):
                ax.hist(prior[np.isfinite(prior)], bins=bins, density=True, color=PRIOR, alpha=0.5, label="prior")
            ok = np.isfinite(post)
            ax.hist(post[ok], bins=bins, weights=w[ok], density=True, color=POSTERIOR, alpha=0.75,
                    label="posterior predictive")
            ax.axvline(row["predictive_mean"], color=POSTERIOR, lw=1.5)
            verdict = "met" if row["met"] else "NOT met"
            ax.set_title(f"{name}: {verdict}", fontsize=11, color="black" if row["met"] else PALETTE[0])
            ax.set_xlabel(row["statistic"].replace("_", " "), fontsize=9)
            ax.set_yticks([])
        axes[0].legend(fontsize=8, loc="upper left")
        fig.suptitle("Targets: the evidence's range against the model under the prior and the posterior "
                     f"(interval: seed noise and parameters; {len(fit.posterior)} sets)", fontsize=11)
    return fig


def marginals_figure(fit: Calibration) -> Figure:
    """Each fitted parameter's posterior (weighted histogram) against its prior (flat on its own scale)."""
    import matplotlib

    with matplotlib.rc_context(STYLE):
        fig, axes = _grid(len(fit.priors))
        w = fit.posterior["weight"].to_numpy()
        for ax, prior in zip(axes, fit.priors):
            x = fit.posterior[prior.path].to_numpy()
            u = prior.to_unit(x)
            bins = np.linspace(0, 1, 21)
            ax.hist(u, bins=bins, weights=w, density=True, color=POSTERIOR, alpha=0.8, label="posterior")
            ax.axhline(1.0, color=PRIOR, lw=2, label="prior")
            ticks = np.linspace(0, 1, 3)
            ax.set_xticks(ticks, [f"{v:.3g}" for v in prior.from_unit(ticks)])
            ax.set_title(label(prior.path), fontsize=10)
            ax.set_xlabel(prior.path + (" (log scale)" if prior.log else ""), fontsize=8)
            ax.set_yticks([])
        axes[0].legend(fontsize=8)
        fig.suptitle("Fitted parameters: posterior against prior", fontsize=11)
    return fig


def draw(fit: Calibration, out_dir: str | Path) -> dict[str, Path]:
    """Write both figures (PNG, SVG) into ``out_dir``."""
    out = Path(out_dir)
    evals = pd.read_parquet(out / "evaluations.parquet")
    prior = evals[evals["generation"] == 0]
    files = {}
    files["predictive"] = save_figure(predictive_figure(fit, prior), out / "predictive")[0]
    files["marginals"] = save_figure(marginals_figure(fit), out / "marginals")[0]
    return files
