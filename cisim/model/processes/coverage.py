"""Coverage of each domain's need, and the money spent on people already served (ODD 7.10)."""

from __future__ import annotations

import math

from cisim.model.compiled import compiled
from cisim.model.layout import EXTRA, FLOOR, UNIT_COST


@compiled
def covered(coordinated, uncoordinated):
    """Share of a domain's need covered: coordinated services partition the need (they add up, to at
    most all of it), the rest reach people at random and overlap (a probabilistic union)."""
    a_part = min(1.0, coordinated)
    return a_part + (1 - a_part) * (1 - math.exp(-uncoordinated))


@compiled(inline=True)
def cover(P, PD, r, need, service, alloc, cap, q, served, cov, reach, A, U, spend, per_money):
    """People served by each organization in each domain (``served[r]``), coverage (``cov[r]``) and the
    services delivered as a share of need before overlap (``reach[r]``).

    ``A``, ``U``, ``spend`` and ``per_money`` are scratch.  Returns the money spent on people already
    served (or beyond the need), the domains below the coverage floor, the lowest coverage and the
    earmarked money spent.
    """
    N = alloc.shape[1]
    D = alloc.shape[2]
    waste = 0.0
    below = 0.0
    min_cov = 1.0
    extra_total = 0.0
    for d in range(D):
        A[d] = 0.0
        U[d] = 0.0
    for d in range(D):
        spend[d] = PD[r, d, EXTRA]
        per_money[d] = 1.0 / (PD[r, d, UNIT_COST] * need[r, d])  # share of need one effective dollar serves
    for i in range(N):
        for d in range(D):
            money = service[i] * alloc[r, i, d]
            spend[d] += money
            s = money * cap[r, i, d] * per_money[d]
            served[r, i, d] = s * need[r, d]
            A[d] += q[i] * s
            U[d] += (1 - q[i]) * s
    for d in range(D):
        extra = PD[r, d, EXTRA]
        extra_total += extra
        U[d] += extra / PD[r, d, UNIT_COST] / need[r, d]
        c = covered(A[d], U[d])
        cov[r, d] = c
        # money spent on services that reached people already served (or beyond the need)
        total_reach = A[d] + U[d]
        reach[r, d] = total_reach
        if total_reach > 0:
            waste += spend[d] * (total_reach - c) / total_reach
        if c < P[r, FLOOR]:
            below += 1.0
        min_cov = min(min_cov, c)
    return waste, below, min_cov, extra_total
