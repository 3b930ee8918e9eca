"""Budgets: the funder's grants, own funds, and the staff time meetings take from services (ODD 7.5)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import (
    BB_INCOME,
    BB_SHARE,
    BURDEN,
    CONVENING,
    FUND_FACTOR,
    FUNDER,
    GRANTS,
    MEETING_COST,
    RAISED,
)


@compiled
def funder_budget(P, G, r):
    """The funder's budget this month ($), after any funding shock."""
    return P[r, FUNDER] * G[r, FUND_FACTOR]


@compiled
def grants(P, G, r, start):
    """The funder's grants to organizations this month ($): what the backbone does not get, plus last
    month's funds raised.  Month 0 (``start``) is the status quo: everything granted to services."""
    funder = funder_budget(P, G, r)
    return funder if start else funder * (1 - P[r, BB_SHARE]) + G[r, RAISED]


@compiled
def funder_money(P, G, r, start):
    """What the funder paid this month ($): its grants (without the funds raised from others) and the
    backbone's income, ``backbone.extra_budget`` included.  A share the backbone no longer gets once its
    funding is withdrawn stays with the funder: it is not granted to services instead."""
    funder = funder_budget(P, G, r)
    return funder if start else funder * (1 - P[r, BB_SHARE]) + G[r, BB_INCOME]


@compiled
def meeting_cost(P, G, r, meetings):
    """What ``meetings`` a month cost one member ($): staff time, and more of it when no backbone staff
    convene and prepare them (``communication.member_burden``)."""
    return meetings * P[r, MEETING_COST] * (1.0 + P[r, BURDEN] * (1.0 - G[r, CONVENING]))


@compiled
def budgets_and_meetings(P, G, r, start, meetings, exists, member, own, gweight, budget, meet, service):
    """Each organization's budget (own funds plus its share of the grants) into ``budget[r]``, what its
    ``meetings`` a month cost into ``meet`` (at most half its budget) and what is left for services into
    ``service``; the grants go to ``G[r, GRANTS]``.

    Returns the money that came in this month before earmarked funds (backbone income included),
    the meetings' cost and the service money.
    """
    g = grants(P, G, r, start)
    G[r, GRANTS] = g
    inflow = G[r, BB_INCOME]
    meet_total = 0.0
    service_total = 0.0
    cost = meeting_cost(P, G, r, meetings)
    for i in range(budget.shape[1]):
        budget[r, i] = exists[r, i] * (own[r, i] + gweight[r, i] * g)
        meet[i] = min(0.5 * budget[r, i], cost) * member[r, i]
        service[i] = budget[r, i] - meet[i]
        inflow += budget[r, i]
        meet_total += meet[i]
        service_total += service[i]
    return inflow, meet_total, service_total
