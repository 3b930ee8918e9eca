"""Which level is best in each plausible world, and how often each level is near the best.

A *world* is one replicate of a sweep with common seeds: one seed and, with ``uncertainty =
"parameters"``, the calibrated parameter set that seed picks from the ensemble, the same at every
level.  Within a world the levels differ only by the factor, so the level that does best there is
that world's answer; over the worlds, the answers show how far the decision holds under what is
not known.  Each world is one run per level, so the spread also carries seed noise; with
``uncertainty = "seeds"`` it is seed noise alone.

The criterion is a per-run output to make as small as possible: by default the funder's dollars
per person helped, which with a fixed budget is the level that helps the most people.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: The default criterion (smaller is better) and the default meaning of "near the best".
CRITERION = "funder_cost_per_person_helped"
NEAR = 0.05
#: The central share of worlds the range of best levels covers.
CENTRAL = 0.8


@dataclass(frozen=True)
class Decision:
    """The best level across worlds.

    ``table`` has a row per level: ``p_best`` (share of worlds where it is best), ``p_near`` (share where
    its criterion is within ``near`` of that world's best), ``regret_mean`` (mean relative excess of its
    criterion over the world's best) and ``people_short_mean`` (mean people the world's best level
    helped beyond it; ``same_budget`` says whether every level cost the funder the same in every world,
    within 0.1%, so that the shortfall compares the same money).  ``best`` is each world's
    best level; ``range`` the central ``CENTRAL`` range of those; ``drivers`` the ensemble parameters
    whose values go with a higher or lower best level (Spearman's rho, strongest first).
    """

    table: pd.DataFrame
    best: pd.Series  # indexed by world (seed)
    worlds: int
    near: float
    criterion: str
    range: tuple[float, float]
    central: float
    same_budget: bool
    drivers: list[dict[str, Any]]

    @property
    def most_often(self) -> float:
        return float(self.table.loc[self.table["p_best"].idxmax(), "level"])

    @property
    def lowest_regret(self) -> float:
        return float(self.table.loc[self.table["regret_mean"].idxmin(), "level"])


def _rank(x: np.ndarray) -> np.ndarray:
    return pd.Series(x).rank().to_numpy(dtype=float)


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's rank correlation (NaN when either is constant)."""
    rx, ry = _rank(x), _rank(y)
    if rx.std() == 0 or ry.std() == 0:
        return math.nan
    return float(np.corrcoef(rx, ry)[0, 1])


def decide(runs: pd.DataFrame, factor: str, criterion: str = CRITERION, near: float = NEAR,
           parameters: list[str] | tuple[str, ...] = (), central: float = CENTRAL) -> Decision:
    """The best level of ``factor`` in each world of ``runs`` (see the module doc).

    ``runs`` needs ``seed``, ``factor`` and ``criterion`` columns, one run per seed and level; worlds missing
    a level, or with a NaN criterion at some level, are left out.  ``parameters`` are the ensemble's per-run
    columns (the same within a world), searched for drivers of the best level.
    """
    wide = runs.pivot_table(index="seed", columns=factor, values=criterion, aggfunc="first")
    wide = wide.dropna(axis=0, how="any")
    if len(wide) < 2 or wide.shape[1] < 2:
        raise ValueError(f"too few worlds with every level of {factor} ({len(wide)}) to weigh the decision")
    levels = wide.columns.to_numpy(dtype=float)
    values = wide.to_numpy(dtype=float)
    best_value = values.min(axis=1, keepdims=True)
    best = pd.Series(levels[values.argmin(axis=1)], index=wide.index, name="best")
    regret = values / best_value - 1.0
    people = runs.pivot_table(index="seed", columns=factor, values="people_completed_total", aggfunc="first") \
        if "people_completed_total" in runs else None
    spend = runs.pivot_table(index="seed", columns=factor, values="funder_spend_total", aggfunc="first") \
        if "funder_spend_total" in runs else None
    same = spend is not None and bool(np.allclose(spend.loc[wide.index].to_numpy(dtype=float),
                                                  spend.loc[wide.index].to_numpy(dtype=float)[:, :1], rtol=1e-3))
    short = np.full(len(levels), math.nan)
    if people is not None:
        p = people.loc[wide.index, wide.columns].to_numpy(dtype=float)
        short = (p[np.arange(len(p)), values.argmin(axis=1)][:, None] - p).mean(axis=0)
    table = pd.DataFrame({
        "level": levels,
        "p_best": [(best == lv).mean() for lv in levels],
        "p_near": (regret <= near).mean(axis=0),
        "regret_mean": regret.mean(axis=0),
        "people_short_mean": short,
        "worlds": len(wide),
    })
    tail = (1.0 - central) / 2.0
    ordered = np.sort(best.to_numpy())
    lo = ordered[int(math.floor(tail * len(ordered)))]
    hi = ordered[min(len(ordered) - 1, int(math.ceil((1.0 - tail) * len(ordered))) - 1)]
    drivers = []
    first = runs.drop_duplicates("seed").set_index("seed")
    for p in parameters:
        if p not in first or first[p].nunique() < 3:
            continue
        rho = spearman(first.loc[wide.index, p].to_numpy(dtype=float), best.to_numpy())
        if math.isfinite(rho):
            drivers.append({"parameter": p, "rho": rho})
    drivers.sort(key=lambda d: -abs(d["rho"]))
    return Decision(table, best, len(wide), near, criterion, (float(lo), float(hi)), central, same, drivers)
