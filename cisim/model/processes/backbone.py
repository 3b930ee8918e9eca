"""The backbone's money and its six functions (ODD 7.1)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import (
    BB_CAP,
    BB_EFFORT,
    BB_EXTRA,
    BB_FUNDED,
    BB_HALF,
    BB_HILL,
    BB_HIRING,
    BB_INCOME,
    BB_RESERVE,
    BB_SHARE,
    STRENGTH,
)
from cisim.model.processes.budgets import funder_budget


@compiled
def income(P, G, r):
    """The backbone's income this month ($): its share of the funder's budget plus extra money, while funded."""
    return (funder_budget(P, G, r) * P[r, BB_SHARE] + P[r, BB_EXTRA]) * G[r, BB_FUNDED]


@compiled
def staff(P, G, r, money):
    """Spend on staff ($) given this month's ``money``: staff follow the budget over the hiring time.

    Money not yet spent on staff is held in the reserve, and pays for winding down if the funding stops.
    """
    cap = G[r, BB_CAP] + (money - G[r, BB_CAP]) / P[r, BB_HIRING]
    available = money + G[r, BB_RESERVE]
    spend = min(max(cap, 0.0), available)
    G[r, BB_CAP] = spend
    G[r, BB_RESERVE] = available - spend
    return spend


@compiled
def strengths(P, G, r, spend):
    """Each function's strength (0..1) from the money spent on it, written to ``G[r, STRENGTH:STRENGTH + 6]``.

    Strength saturates in money with a Hill curve: below the minimum viable level a function
    barely works (a bottleneck), above it further money adds less and less.
    """
    total_effort = 0.0
    for f in range(6):
        total_effort += P[r, BB_EFFORT + f]
    half = P[r, BB_HALF]
    h = P[r, BB_HILL]
    for f in range(6):
        x = spend * P[r, BB_EFFORT + f] / total_effort if total_effort > 0 else 0.0
        xh = (x / half) ** h
        G[r, STRENGTH + f] = xh / (1.0 + xh)


@compiled
def backbone_functions(P, G, r, start):
    """The backbone's month: income (kept in ``G[r, BB_INCOME]``), staff, function strengths.

    Returns the month's backbone spending.  At month 0 (``start``) there is no backbone yet.
    """
    if start:
        for f in range(6):
            G[r, STRENGTH + f] = 0.0
        G[r, BB_INCOME] = 0.0
        return 0.0
    money = income(P, G, r)
    G[r, BB_INCOME] = money
    spend = staff(P, G, r, money)
    strengths(P, G, r, spend)
    return spend
