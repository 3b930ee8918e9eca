"""Membership over time: a monthly chance of leaving or joining on a running appraisal, and dissolution
when too few members are left to meet (ODD 7.12)."""

from __future__ import annotations

import math

from cisim.model.compiled import compiled
from cisim.model.layout import (
    APPRAISAL_MONTHS,
    APPRAISAL_SCALE,
    B_PROGRESS,
    B_SUPPORT,
    B_TRUST,
    BB_FUNDED,
    COALITION,
    COORD_TIES,
    JOIN_RATE,
    JOINED,
    LEAVE_HAZARD,
    LEFT,
    MIN_MEMBERS,
    OUT_FAST,
    OUT_SLOW,
    STOCK,
    T_BETRAYAL,
)
from cisim.model.processes.budgets import meeting_cost
from cisim.model.processes.conditions import backed


@compiled
def leave(P, r, member, trust, i):
    """Organization ``i`` leaves the coalition; the others' trust in it drops as after a betrayal."""
    member[r, i] = 0.0
    kept = 1.0 - P[r, T_BETRAYAL]
    for j in range(trust.shape[1]):
        trust[r, j, i] *= kept


@compiled
def logistic(x):
    return 1.0 / (1.0 + math.exp(-x))


@compiled(inline=True)
def membership(P, G, r, meetings, visibility, exists, budget, degree, tolerance, appraisal, member, trust, draw):
    """Each organization's appraisal of membership, a running average of what it gains (recent progress as
    members see it, backbone support, trusted partners to work with, up to ``behaviour.coordination_ties`` of
    them, its own tolerance) less what meetings cost it, as a
    share of its budget; outsiders appraise what joining would give.  A member then leaves with a monthly
    chance that rises as the appraisal falls; an outsider joins with a chance that rises with it and with the
    backbone's recruiting (its relationships stock; some without a backbone).  ``draw`` holds this month's
    uniforms (0..1).

    With fewer than ``coalition.min_members`` active members the coalition cannot meet: it dissolves, for
    good, and its backbone closes.  Returns the members after the month.
    """
    coalition = G[r, COALITION]
    if coalition == 0:
        return 0.0
    follow = 1.0 / P[r, APPRAISAL_MONTHS]
    scale = P[r, APPRAISAL_SCALE]
    progress = P[r, B_PROGRESS] * visibility * (G[r, OUT_FAST] - G[r, OUT_SLOW])
    support = P[r, B_SUPPORT] * G[r, STOCK + 1]
    cost_month = meeting_cost(P, G, r, meetings)
    leave_max = P[r, LEAVE_HAZARD]
    join = P[r, JOIN_RATE] * backed(P, r, G[r, STOCK + 1])
    members = 0.0
    for i in range(member.shape[1]):
        if exists[r, i] == 0:
            continue
        m = member[r, i]
        cost = min(0.5, cost_month / budget[r, i]) if budget[r, i] > 0 else 0.5
        partners = min(1.0, degree[i] / P[r, COORD_TIES])
        net = progress + support + m * P[r, B_TRUST] * partners + tolerance[r, i] - cost
        appraisal[r, i] += (net - appraisal[r, i]) * follow
        # the chances never exceed leave_max and join: a draw above them needs no logistic
        if m > 0:
            if draw[r, i] < leave_max and draw[r, i] < leave_max * logistic(-appraisal[r, i] / scale):
                leave(P, r, member, trust, i)
                G[r, LEFT] += 1.0
            else:
                members += 1.0
        elif draw[r, i] < join and draw[r, i] < join * logistic(appraisal[r, i] / scale):
            member[r, i] = 1.0
            G[r, JOINED] += 1.0
            members += 1.0
    if members < P[r, MIN_MEMBERS]:
        for i in range(member.shape[1]):
            if member[r, i] > 0:
                member[r, i] = 0.0
                G[r, LEFT] += 1.0
        G[r, COALITION] = 0.0
        G[r, BB_FUNDED] = 0.0
        members = 0.0
    return members
