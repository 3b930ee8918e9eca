"""Need from root causes, and the common agenda's shared priorities (ODD 7.3, 7.4)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import MARG_NEED, MARG_SHARE, NEED_RATE, POP, ROOT, UNIT_COST


@compiled
def group_need(P, PD, r, d):
    """Shares of the population in the majority and in the marginalized group who need domain ``d``
    (before root causes): the marginalized group's need rate is higher, capped at everyone."""
    ms = P[r, MARG_SHARE]
    rate = PD[r, d, NEED_RATE]
    return (1 - ms) * rate, ms * min(1.0, rate * P[r, MARG_NEED])


@compiled(inline=True)
def monthly_need(P, PD, G, r, need):
    """People needing each domain this month, into ``need[r]``: root causes regenerate the need."""
    pop = P[r, POP]
    root = G[r, ROOT]
    for d in range(need.shape[1]):
        n_maj, n_marg = group_need(P, PD, r, d)
        need[r, d] = max(1e-9, pop * root * (n_maj + n_marg))


@compiled
def agenda_shares(PD, r, need, agenda):
    """The common agenda, into ``agenda``: money shares in proportion to what meeting each domain's need costs."""
    D = agenda.shape[0]
    total = 0.0
    for d in range(D):
        agenda[d] = need[r, d] * PD[r, d, UNIT_COST]
        total += agenda[d]
    for d in range(D):
        agenda[d] /= total
