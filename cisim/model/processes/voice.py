"""Community voice raises the marginalized group's access to services (ODD 7.14)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import ACCESS, VOICE, VOICE_RATE


@compiled
def community_voice(P, G, r, coalition):
    """Access moves towards 1 at a rate set by the level of community voice, only in a coalition."""
    access = G[r, ACCESS]
    G[r, ACCESS] = access + P[r, VOICE_RATE] * P[r, VOICE] * coalition * (1 - access)
