"""The marginalized group's access: barriers (distance, language, distrust) that particular steps lower
when they are provided (ODD 7.13)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import ACCESS, ACCESS0, RELIEF, SERVE, SLOTS, WAIT


@compiled
def barrier_relief(P, PD, G, r, path):
    """This month's access (``G[r, ACCESS]``): each step with ``barrier_relief`` removes that share of the
    barrier, times how fully it serves the people who want it (its places over its demand, at most 1)."""
    kept = 1.0
    for d in range(path.shape[2]):
        relief = PD[r, d, RELIEF]
        if relief > 0:
            demand = path[r, WAIT, d] + path[r, WAIT + 1, d] + path[r, SERVE, d] + path[r, SERVE + 1, d]
            provided = min(1.0, path[r, SLOTS, d] / demand) if demand > 0 else 1.0
            kept *= 1.0 - relief * provided
    access0 = P[r, ACCESS0]
    G[r, ACCESS] = 1.0 - (1.0 - access0) * kept
