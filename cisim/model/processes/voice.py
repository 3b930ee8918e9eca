"""Community voice: residents in the coalition's decisions make members weigh the steps the marginalized
group needs and the barriers it faces (ODD 7.14).  It steers allocation only; nothing moves outcome between
the groups directly."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import ACCESS, RELIEF, VOICE, VOICE_WEIGHT, WAIT


@compiled
def voice_weights(P, PD, G, r, path, coalition, out):
    """The extra weight members give each step, into ``out`` (a member's wish for a step is multiplied by
    1 + this): at a step that lowers barriers, how much barrier is left to lower; at a step where the
    marginalized group makes up more of the waiting than it does overall, how much more."""
    D = path.shape[2]
    w = P[r, VOICE_WEIGHT] * P[r, VOICE] * coalition
    barrier = 1.0 - G[r, ACCESS]
    waiting = 0.0
    marginalized = 0.0
    for d in range(D):
        waiting += path[r, WAIT, d] + path[r, WAIT + 1, d]
        marginalized += path[r, WAIT + 1, d]
    overall = marginalized / waiting if waiting > 0 else 0.0
    for d in range(D):
        here = path[r, WAIT, d] + path[r, WAIT + 1, d]
        share = path[r, WAIT + 1, d] / here if here > 0 else 0.0
        out[d] = w * (PD[r, d, RELIEF] * barrier + max(0.0, share - overall))
