"""The effective strength of each condition: its level times the backbone stock behind it (ODD 7.2)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import AGENDA, BB_WITHOUT, COMMUNICATE, MAX_MEETINGS, MEASURE, PLANNING, REINFORCE, STOCK


@compiled
def backed(P, r, stock):
    """How much of a condition works given the backbone stock (0..1) behind it."""
    without = P[r, BB_WITHOUT]
    return without + (1 - without) * stock


@compiled
def effective_conditions(P, G, r, coalition):
    """This month's effective common agenda, mutually reinforcing activities and shared measurement, meetings
    per member (regular ones, plus planning ones while the agenda is not yet agreed), convening (how much
    trust a meeting builds) and how visible progress is to members."""
    agreed = G[r, STOCK + 0]
    e_agenda = coalition * P[r, AGENDA] * backed(P, r, agreed)
    e_reinforce = coalition * P[r, REINFORCE] * backed(P, r, G[r, STOCK + 1])
    e_measure = coalition * P[r, MEASURE] * backed(P, r, G[r, STOCK + 2])
    meetings = coalition * (P[r, MAX_MEETINGS] * P[r, COMMUNICATE] + P[r, PLANNING] * P[r, AGENDA] * (1.0 - agreed))
    freq = coalition * P[r, MAX_MEETINGS] * P[r, COMMUNICATE]
    convening = backed(P, r, G[r, STOCK + 1])
    visibility = 0.2 + 0.8 * e_measure
    return e_agenda, e_reinforce, e_measure, meetings, freq, convening, visibility
