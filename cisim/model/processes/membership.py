"""Membership: members leave after months of cost over seen benefit (ODD 7.12)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import B_PROGRESS, B_SUPPORT, B_TRUST, PATIENCE, STRENGTH, T_BETRAYAL


@compiled
def leave(P, r, member, trust, i):
    """Organization ``i`` leaves the coalition; the others' trust in it drops as after a betrayal."""
    member[r, i] = 0.0
    kept = 1.0 - P[r, T_BETRAYAL]
    for j in range(trust.shape[1]):
        trust[r, j, i] *= kept


@compiled(inline=True)
def membership(P, G, r, visibility, gain, budget, meet, mean_trust, tolerance, discontent, member, trust):
    """Each member weighs what meetings cost (a share of its budget) against the benefit it sees:
    visible progress, backbone support, trusted partners and its own tolerance.  Discontent counts
    up in a month of cost over benefit and down otherwise; at ``behaviour.patience`` the member leaves."""
    support = P[r, B_SUPPORT] * G[r, STRENGTH + 1]
    for i in range(member.shape[1]):
        if member[r, i] == 0:
            continue
        cost = meet[i] / budget[r, i] if budget[r, i] > 0 else 1.0
        benefit = (P[r, B_PROGRESS] * visibility * gain + support
                   + P[r, B_TRUST] * mean_trust[i] + tolerance[r, i])
        if benefit < cost:
            discontent[r, i] += 1.0
        else:
            discontent[r, i] = max(0.0, discontent[r, i] - 1.0)
        if discontent[r, i] >= P[r, PATIENCE]:
            leave(P, r, member, trust, i)
