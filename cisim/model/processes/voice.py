"""Community voice: residents in the coalition's decisions make members weigh the marginalized group's
waiting and the barriers it faces (ODD 7.14).  It steers allocation only; nothing moves outcome between
the groups directly."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import ACCESS, RELIEF, SLOTS, VOICE, VOICE_WEIGHT, WAIT


@compiled
def voice_pressure(P, PD, G, r, path, coalition, out):
    """The extra pressure members see at each step, into ``out``: the marginalized people waiting there,
    and at a step that lowers barriers, the marginalized people anywhere held back by the barrier it lowers."""
    D = path.shape[2]
    w = P[r, VOICE_WEIGHT] * P[r, VOICE] * coalition
    held = 0.0
    for d in range(D):
        held += path[r, WAIT + 1, d]
    held *= 1.0 - G[r, ACCESS]
    for d in range(D):
        out[d] = w * (path[r, WAIT + 1, d] + PD[r, d, RELIEF] * held) / (path[r, SLOTS, d] + 1.0)
