"""The effective strength of each condition: its level times the backbone function behind it (ODD 7.2)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import AGENDA, BB_WITHOUT, COMMUNICATE, MAX_MEETINGS, MEASURE, REINFORCE, STRENGTH


@compiled
def backed(P, r, strength):
    """How much of a condition works given the strength (0..1) of the backbone function behind it."""
    without = P[r, BB_WITHOUT]
    return without + (1 - without) * strength


@compiled
def effective_conditions(P, G, r, coalition):
    """This month's effective common agenda, mutually reinforcing activities and shared measurement,
    meeting frequency, convening (how much trust a meeting builds) and visibility of progress.

    Members meet as often as the communication level says; the backbone's convening decides how
    much trust a meeting builds.
    """
    e_agenda = coalition * P[r, AGENDA] * backed(P, r, G[r, STRENGTH + 0])
    e_reinforce = coalition * P[r, REINFORCE] * backed(P, r, G[r, STRENGTH + 1])
    e_measure = coalition * P[r, MEASURE] * backed(P, r, G[r, STRENGTH + 2])
    freq = P[r, MAX_MEETINGS] * coalition * P[r, COMMUNICATE]
    convening = backed(P, r, G[r, STRENGTH + 1])
    visibility = 0.2 + 0.8 * e_measure
    return e_agenda, e_reinforce, e_measure, freq, convening, visibility
