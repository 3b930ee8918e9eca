"""Alignment with the common agenda (ODD 7.7)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import ALIGN_RATE


@compiled
def align_with_agenda(P, r, e_agenda, member, mean_trust, align):
    """Members align with the common agenda, faster with agreed strategy and trust; organizations
    outside the coalition drift back to their own mission at half the rate."""
    rate = P[r, ALIGN_RATE]
    for i in range(align.shape[1]):
        if member[r, i] > 0:
            align[r, i] += rate * e_agenda * 2.0 * mean_trust[i] * (1 - align[r, i])
        else:
            align[r, i] -= 0.5 * rate * align[r, i]
