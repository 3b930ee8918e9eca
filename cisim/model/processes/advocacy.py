"""Advocacy: aligned members' combined influence lowers the problem's root causes (ODD 7.13)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import ADV_EXP, ADV_THRESHOLD, ROOT, ROOT_DECLINE, ROOT_FLOOR, STOCK
from cisim.model.processes.conditions import backed


@compiled
def influence(P, G, r, coalition, budget, member, align):
    """The coalition's influence (0..1): the budget-weighted aligned share of members, superlinear,
    times the backbone's public will and policy work."""
    weight_all = 0.0
    weight_aligned = 0.0
    for i in range(budget.shape[1]):
        weight_all += budget[r, i]
        weight_aligned += budget[r, i] * member[r, i] * align[r, i]
    aligned = weight_aligned / weight_all if weight_all > 0 else 0.0
    policy = backed(P, r, 0.5 * (G[r, STOCK + 3] + G[r, STOCK + 4]))
    return coalition * aligned ** P[r, ADV_EXP] * policy


@compiled
def lower_root_causes(P, G, r, influence):
    """Influence over the threshold moves policy: root causes fall towards their floor (next month's need)."""
    threshold = P[r, ADV_THRESHOLD]
    if influence > threshold:
        push = (influence - threshold) / (1 - threshold)
        root = G[r, ROOT]
        if root > P[r, ROOT_FLOOR]:
            G[r, ROOT] = root - P[r, ROOT_DECLINE] * push * (root - P[r, ROOT_FLOOR])
