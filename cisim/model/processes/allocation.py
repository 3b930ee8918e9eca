"""Allocation of each organization's service money over domains (ODD 7.9)."""

from __future__ import annotations

import math

from cisim.model.compiled import compiled
from cisim.model.layout import ADVANTAGE, GAP_RESPONSE, INERTIA, NOISE

SQRT12 = math.sqrt(12.0)  # a uniform 0..1 number times this has standard deviation 1


@compiled(inline=True)
def allocate(P, r, e_measure, e_reinforce, need, agenda, exists, member, align, mission, cap, served, cov, noise,
             partners, n_partners, q, score, inv_need, alloc):
    """Move each organization's allocation ``alloc[r]`` a step towards what it wants this month.

    It wants a mix of its own mission and the common agenda (by its alignment).  A member also
    leans towards gaps it sees in last month's coverage (clearly with shared measurement, through
    noise without), towards domains its trusted partners left uncovered last month, and, as far as
    it coordinates, towards its comparative advantage.  ``score`` and ``inv_need`` are scratch.
    """
    N = alloc.shape[1]
    D = alloc.shape[2]
    inertia = P[r, INERTIA]
    sigma = P[r, NOISE]
    advantage = P[r, ADVANTAGE]
    gap_response = P[r, GAP_RESPONSE]
    noise_scale = sigma * (1 - e_measure)
    gap_pull = gap_response * e_measure
    cover_pull = gap_response * e_reinforce
    for d in range(D):
        inv_need[d] = 1.0 / need[r, d]
    for i in range(N):
        if exists[r, i] == 0:
            continue
        m = member[r, i]
        a = align[r, i]
        if m > 0:
            # what the member's trusted partners served last month, per domain
            for d in range(D):
                score[d] = 0.0
            plist = partners[i]
            for k in range(n_partners[i]):
                j = plist[k]
                for d in range(D):
                    score[d] += served[r, j, d]
            cap_mean = 0.0
            for d in range(D):
                cap_mean += cap[r, i, d]
            specialize = advantage * q[i] * D / max(1e-9, cap_mean)
            for d in range(D):
                desire = (1 - a) * mission[r, i, d] + a * agenda[d]
                # seen coverage errs by a uniform error of sd noise_scale (noise is uniform 0..1)
                gap = max(0.0, 1.0 - cov[r, d] - noise_scale * SQRT12 * (noise[r, i, d] - 0.5))
                uncovered = max(0.0, 1.0 - score[d] * inv_need[d])
                # comparative advantage: specialize, linearly in relative capability,
                # only as far as trusted partners cover the rest
                desire *= max(0.05, 1.0 + specialize * cap[r, i, d] - advantage * q[i])
                desire *= 1 + gap_pull * a * gap
                desire *= 1 + cover_pull * uncovered
                score[d] = desire
        else:
            for d in range(D):
                score[d] = (1 - a) * mission[r, i, d] + a * agenda[d]
        total = 0.0
        for d in range(D):
            total += score[d]
        step_share = (1 - inertia) / total
        for d in range(D):
            alloc[r, i, d] = inertia * alloc[r, i, d] + step_share * score[d]
