"""Initialization of a run's organizations and its scalar state (ODD 5)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import (
    ACCESS,
    ACCESS0,
    BB_EXTRA,
    BB_FUNDED,
    BB_SHARE,
    COALITION,
    CONDITION_COLUMNS,
    FUND_FACTOR,
    HOME_CAP,
    HOME_PRIORITY,
    INITIAL_MEMBERS,
    OTHER_CAP,
    OWN_SHARE,
    ROOT,
    T_ACROSS,
    T_SPREAD,
    T_WITHIN,
    TILT,
    VISIBILITY,
)


@compiled
def has_backbone(P, r):
    """Whether run r has a backbone: money for one from the funder's budget or from elsewhere."""
    return P[r, BB_SHARE] > 0 or P[r, BB_EXTRA] > 0


@compiled
def has_coalition(P, r):
    """1.0 if run r's organizations form a coalition (any of the four conditions, or a backbone), else 0.0."""
    for c in CONDITION_COLUMNS:
        if P[r, c] > 0:
            return 1.0
    return 1.0 if has_backbone(P, r) else 0.0


@compiled(nogil=True)
def setup_run(r, n, P, PD, sector_of, home_table, home_count, choice, joins, budget, jitter, trust_noise, tolerance,
              exists, member, sector, home, own, gweight, tol, cap, mission, alloc, trust, G):
    """Build run r's organizations from its random draws: sectors, home domains, who joins the coalition at
    its start (``joins`` below ``coalition.initial_members``), budgets, capabilities, mission priorities (home
    domain and visible work first) and starting trust."""
    coalition = has_coalition(P, r)
    D = cap.shape[2]
    total_budget = 0.0
    for i in range(n):
        total_budget += budget[i]
    home_cap = P[r, HOME_CAP]
    other_cap = P[r, OTHER_CAP]
    for i in range(n):
        s = sector_of[i]
        h = home_table[s, int(choice[i] * home_count[s])]
        exists[r, i] = 1.0
        member[r, i] = coalition if joins[i] < P[r, INITIAL_MEMBERS] else 0.0
        sector[r, i] = s
        home[r, i] = h
        own[r, i] = budget[i] * P[r, OWN_SHARE]
        gweight[r, i] = budget[i] / total_budget
        tol[r, i] = tolerance[i]
        norm = 0.0
        for d in range(D):
            is_home = 1.0 if d == h else 0.0
            cap[r, i, d] = (other_cap + (home_cap - other_cap) * is_home) * jitter[i, d]
            tilt = (0.05 + PD[r, d, VISIBILITY]) ** P[r, TILT]
            mission[r, i, d] = (1.0 + (P[r, HOME_PRIORITY] - 1.0) * is_home) * tilt
            norm += mission[r, i, d]
        for d in range(D):
            mission[r, i, d] /= norm
            alloc[r, i, d] = mission[r, i, d]
    for i in range(n):
        for j in range(n):
            base = P[r, T_WITHIN] if sector_of[i] == sector_of[j] else P[r, T_ACROSS]
            t = base + P[r, T_SPREAD] * trust_noise[i, j]
            trust[r, i, j] = 0.0 if i == j else min(1.0, max(0.0, t))
    G[r, ROOT] = 1.0
    G[r, ACCESS] = P[r, ACCESS0]
    G[r, FUND_FACTOR] = 1.0
    G[r, BB_FUNDED] = 1.0
    G[r, COALITION] = coalition


@compiled(nogil=True)
def setup_runs(sizes, P, PD, sector_of, home_table, home_count, choice, joins, budget, jitter, trust_noise, tolerance,
               exists, member, sector, home, own, gweight, tol, cap, mission, alloc, trust, G):
    """``setup_run`` for every run, from each run's draws (row r of each draw array)."""
    for r in range(sizes.shape[0]):
        n = sizes[r]
        setup_run(r, n, P, PD, sector_of[r], home_table, home_count, choice[r], joins[r], budget[r], jitter[r],
                  trust_noise[r], tolerance[r], exists, member, sector, home, own, gweight, tol, cap, mission, alloc,
                  trust, G)
