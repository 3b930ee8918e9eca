"""Knife edges: how far the collective gain moves when one parameter moves by a fixed share.

A result that swings on a 20% change of one assumed number is a property of that number, not of the
mechanisms.  ``knife_edges`` moves every scalar parameter (or the ones named) up and down by ``step`` of
its default, in the treatment and its comparison alike, and reports the gain at one month with both.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from cisim.experiments.batch import simulate
from cisim.model import layout as L
from cisim.model.scenario import Scenario, load
from cisim.model.schema import BY_PATH, FIELDS
from cisim.model.state import param_matrix

#: Parameters a knife-edge check leaves alone: the treatment itself (the conditions), and the backbone's
#: money, which the comparison sets to zero.
TREATMENT = ("conditions.", "backbone.budget_share", "backbone.extra_budget")


def _gain(treatment: Scenario, comparison: Scenario, seeds: np.ndarray, month: int) -> tuple[float, float]:
    """Mean paired outcome gain at ``month``, treatment minus comparison, and its standard error."""
    outs = []
    for sc in (treatment, comparison):
        P, PD = param_matrix(sc, len(seeds))
        out, _, _ = simulate(sc, P, PD, seeds)
        outs.append(out[:, month, L.O_OUTCOME])
    diff = outs[0] - outs[1]
    return float(diff.mean()), float(diff.std(ddof=1) / np.sqrt(len(diff)))


def _moved(f, default: float, factor: float) -> float | int:
    value = min(f.hi, max(f.lo, default * factor))
    return int(round(value)) if f.integer else float(value)


def knife_edges(treatment: str | Scenario = "collective", comparison: str | Scenario = "isolated",
                paths: Sequence[str] | None = None, step: float = 0.2, replicates: int = 16, month: int = 60,
                seed: int = 0) -> pd.DataFrame:
    """One row per parameter: the gain at ``month`` (treatment minus comparison, paired seeds) at the
    default, at ``1 - step`` and at ``1 + step`` times the default (clipped to the parameter's range), and the
    largest swing as a share of the default gain.  Intervals are seed noise only (standard errors).

    The parameter moves in both scenarios, as a changed assumption would.  Sorted by swing, largest first.
    """
    treatment, comparison = load(treatment), load(comparison)
    months = {"months": max(month, treatment.months)}
    treatment, comparison = treatment.replace(months), comparison.replace(months)
    seeds = np.arange(seed, seed + replicates)
    if paths is None:
        paths = [f.path for f in FIELDS if not f.path.startswith(TREATMENT)
                 and treatment.values[f.path] != 0 and f.path != "problem.target"]
    base, base_se = _gain(treatment, comparison, seeds, month)
    rows = []
    for path in paths:
        f = BY_PATH[path]
        default = treatment.values[path]
        row = {"parameter": path, "label": f.label or path, "default": default}
        for name, factor in (("low", 1 - step), ("high", 1 + step)):
            value = _moved(f, default, factor)
            changed = {path: value}
            gain, se = _gain(treatment.replace(changed), comparison.replace(changed), seeds, month)
            row.update({f"{name}_value": value, f"gain_{name}": gain, f"se_{name}": se})
        row["gain_default"], row["se_default"] = base, base_se
        row["swing"] = max(abs(row["gain_low"] - base), abs(row["gain_high"] - base)) / abs(base) if base else np.nan
        rows.append(row)
    table = pd.DataFrame(rows).sort_values("swing", ascending=False, ignore_index=True)
    table.attrs.update({"treatment": treatment.name, "comparison": comparison.name, "month": month,
                        "step": step, "replicates": replicates, "seed": seed,
                        "interval": "standard errors over paired seeds (seed noise only)"})
    return table


__all__ = ["TREATMENT", "knife_edges"]
