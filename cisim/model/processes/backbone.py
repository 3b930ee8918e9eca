"""The backbone: staff hired at a salary, and the slowly decaying stocks they build (ODD 7.1).

The six stocks are Turner et al.'s functions: agreements on strategy, routines and relationships that
support aligned activities, a shared data system, public will, policy work and funding relationships.
Each condition's strength comes from its stock, not from this month's spending, so a coalition keeps part
of its capacity when the funding ends and loses it over months.
"""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import (
    BB_BUILD,
    BB_DECAY,
    BB_EFFORT,
    BB_EXTRA,
    BB_FUNDED,
    BB_HILL,
    BB_HIRING,
    BB_INCOME,
    BB_PER_DOMAIN,
    BB_PER_MEMBER,
    BB_RESERVE,
    BB_SALARY,
    BB_SHARE,
    BB_STAFF,
    COALITION,
    CONVENING,
    STOCK,
)
from cisim.model.processes.budgets import funder_budget


@compiled
def income(P, G, r):
    """The backbone's income this month ($): its share of the funder's budget plus extra money, while funded."""
    return (funder_budget(P, G, r) * P[r, BB_SHARE] + P[r, BB_EXTRA]) * G[r, BB_FUNDED]


@compiled
def hire(P, G, r, money):
    """Staff follow what the budget pays for over the hiring time; pay comes from this month's money and the
    reserve, so staff are let go when both run out.  Returns the month's spending on staff ($)."""
    salary = P[r, BB_SALARY]
    staff = G[r, BB_STAFF] + (money / salary - G[r, BB_STAFF]) / P[r, BB_HIRING]
    available = money + G[r, BB_RESERVE]
    spend = min(max(staff, 0.0) * salary, available)
    G[r, BB_STAFF] = spend / salary
    G[r, BB_RESERVE] = available - spend
    return spend


@compiled
def staff_needed(P, r, members, domains):
    """Staff the six functions need for full effort: more for a larger coalition and a longer pathway."""
    return P[r, BB_PER_MEMBER] * members + P[r, BB_PER_DOMAIN] * domains


@compiled
def build_stocks(P, G, r, members, domains):
    """Each stock grows with the effort on it and decays slowly; effort rises steeply in staff per need (a
    Hill curve), so a backbone below the minimum viable size builds little.  The effort on supporting the
    work (convening) is kept in ``G[r, CONVENING]``: what staff do not organize, members must."""
    total = 0.0
    for f in range(6):
        total += P[r, BB_EFFORT + f]
    need = staff_needed(P, r, members, domains) / 6.0
    working = G[r, COALITION]  # a dissolved coalition's remaining staff have nobody to work for
    h = P[r, BB_HILL]
    build = P[r, BB_BUILD]
    decay = P[r, BB_DECAY]
    for f in range(6):
        staff_f = working * G[r, BB_STAFF] * P[r, BB_EFFORT + f] / total if total > 0 else 0.0
        if need > 0:
            x = (staff_f / need) ** h
            effort = x / (1.0 + x)
        else:
            effort = 1.0 if staff_f > 0 else 0.0
        s = G[r, STOCK + f]
        G[r, STOCK + f] = s + build * effort * (1.0 - s) - decay * s
        if f == 1:
            G[r, CONVENING] = effort


@compiled
def backbone_month(P, G, r, members, domains):
    """The backbone's month: income (kept in ``G[r, BB_INCOME]``), staff, and the stocks they build.
    Returns the month's spending on staff."""
    money = income(P, G, r)
    G[r, BB_INCOME] = money
    spend = hire(P, G, r, money)
    build_stocks(P, G, r, members, domains)
    return spend
