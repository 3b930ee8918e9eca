"""What each organization sees of the pathway: its own queues, or with shared measurement the whole
pathway (ODD 7.8).

Alone, an organization sees the people waiting at the steps it serves, as far as it serves them,
noisy and months late, and nothing of the steps it does not serve.  Shared measurement shows a
member every step's queue as it is, including the thin steps where people give up unseen.
"""

from __future__ import annotations

import math

from cisim.model.compiled import compiled
from cisim.model.layout import IDLE, LAG, NOISE, SLOTS, WAIT

SQRT12 = math.sqrt(12.0)  # a uniform 0..1 number times this has standard deviation 1


@compiled
def pressure(path, r, d):
    """What step d asks for: the people waiting there per place it has (the demand nobody is meeting), less
    the share of its places that went unused last month (the money nobody needed there)."""
    return (path[r, WAIT, d] + path[r, WAIT + 1, d]) / (path[r, SLOTS, d] + 1.0) - path[r, IDLE, d]


@compiled
def pressures(path, r, out):
    """Every step's pressure this month, into ``out`` (computed once, read by every organization)."""
    for d in range(path.shape[2]):
        out[d] = pressure(path, r, d)


@compiled(inline=True)
def own_view(P, r, asks, exists, alloc, noise, seen):
    """Each organization's own view ``seen[r]``: the pressure at the steps it serves (its own clients waiting,
    its own places empty), scaled by how much of its money is there, with a relative error of sd
    ``behaviour.perception_noise``, followed with a lag of ``behaviour.perception_lag`` months.  ``asks`` is
    each step's pressure this month (see ``pressures``)."""
    N = alloc.shape[1]
    D = alloc.shape[2]
    sigma = P[r, NOISE] * SQRT12
    follow = 1.0 / P[r, LAG]
    for i in range(N):
        if exists[r, i] == 0:
            continue
        for d in range(D):
            presence = min(1.0, alloc[r, i, d] * D)
            err = max(0.0, 1.0 + sigma * (noise[r, i, d] - 0.5))
            seen[r, i, d] += (presence * asks[d] * err - seen[r, i, d]) * follow
