"""Places of service each step's money buys, and the money that buys places nobody uses (ODD 7.10)."""

from __future__ import annotations

import math

from cisim.model.compiled import compiled
from cisim.model.layout import COORD_COST, EXTRA, FLOOR, IDLE, SERVE, SLOTS, STARTUP, UNIT_COST, WAIT


@compiled
def effective_places(coordinated, uncoordinated, demand):
    """Places that reach distinct people: coordinated places split the queue by referral and add up;
    the others find people at random among those not referred, and overlap (a probabilistic union)."""
    rest = max(0.0, demand - coordinated)
    if rest <= 0.0 or uncoordinated <= 0.0:
        return coordinated
    return coordinated + rest * (1.0 - math.exp(-uncoordinated / rest))


@compiled(inline=True)
def capacity(P, PD, r, path, service, alloc, fresh, cap, q, served, A, U, spend):
    """Each organization's places per step (``served[r]``: money times capability over the unit cost, less
    what start-up and referrals take) and each step's effective places (``path[r, SLOTS]``).

    ``fresh[r, i, d]`` is the share of its service money organization i has just moved into step d: a
    ``behaviour.startup_cost`` share of it buys no places this month.  ``A``, ``U`` and ``spend`` are scratch
    (coordinated and other places, and money, per step).  Returns the earmarked money spent.
    """
    N = alloc.shape[1]
    D = alloc.shape[2]
    startup = P[r, STARTUP]
    referral = P[r, COORD_COST]
    extra_total = 0.0
    for d in range(D):
        spend[d] = PD[r, d, EXTRA]
        extra_total += PD[r, d, EXTRA]
        A[d] = 0.0
        U[d] = PD[r, d, EXTRA] / PD[r, d, UNIT_COST]
    for i in range(N):
        keep = 1.0 - referral * q[i]
        for d in range(D):
            money = service[i] * alloc[r, i, d]
            spend[d] += money
            paying = alloc[r, i, d] - startup * fresh[r, i, d]  # the share that buys places this month
            places = service[i] * paying * keep * cap[r, i, d] / PD[r, d, UNIT_COST]
            served[r, i, d] = places
            A[d] += q[i] * places
            U[d] += (1.0 - q[i]) * places
    for d in range(D):
        demand = path[r, WAIT, d] + path[r, WAIT + 1, d] + path[r, SERVE, d] + path[r, SERVE + 1, d]
        path[r, SLOTS, d] = effective_places(A[d], U[d], demand)
    return extra_total


@compiled
def idle_money(P, r, path, A, U, spend, cov):
    """Money that bought places nobody used (idle, or overlapping another provider's; the share per step goes
    to ``path[r, IDLE]``), and each step's coverage: the share of the people wanting it who are in service,
    into ``cov``.

    Returns the idle money, the steps below the coverage floor and the lowest coverage.
    """
    waste = 0.0
    below = 0.0
    low = 1.0
    for d in range(path.shape[2]):
        busy = path[r, SERVE, d] + path[r, SERVE + 1, d]
        waiting = path[r, WAIT, d] + path[r, WAIT + 1, d]
        bought = A[d] + U[d]
        idle = max(0.0, bought - busy) / bought if bought > 0 else 0.0
        path[r, IDLE, d] = idle
        waste += spend[d] * idle
        c = busy / (busy + waiting) if busy + waiting > 0 else 1.0
        cov[d] = c
        if c < P[r, FLOOR]:
            below += 1.0
        low = min(low, c)
    return waste, below, low
