"""Trust and what it gives: one pass over pairs of organizations, then coordination (ODD 7.6, 7.7)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import (
    COORD_MAX,
    COORD_TIES,
    SPILLOVER,
    T_BETRAYAL,
    T_CROSS,
    T_DECAY,
    T_FAIL,
    T_GROWTH,
    T_THRESHOLD,
)


@compiled
def pairs(P, r, exists, member, sector, home, trust, cap, fail, freq, convening, update, mean_trust, degree, partners,
          n_partners, keep, stats):
    """One pass over pairs of organizations: the trust update, then what trust gives.

    Trust: meetings build it slowly (slower across sectors); it decays without
    contact and drops when a partner fails to deliver (slow to build, quick to lose).
    Then each member's mean trust and number of trusted partners (coordination),
    cross-pollination over trusted cross-sector ties, and the trust statistics
    reported as outputs.  ``update`` is False at month 0 (status quo only).

    Member i's trusted partners are listed, in ascending order, in
    ``partners[i, :n_partners[i]]``: the later passes visit only those pairs, with no
    branch that depends on trust, and add the same terms in the same order as a pass
    over every pair would (a pair without a tie adds exactly zero there).
    """
    n = member.shape[1]
    growth = min(1.0, P[r, T_GROWTH] * freq * convening)
    cross = P[r, T_CROSS]
    decay_met = P[r, T_DECAY] * max(0.0, 1.0 - freq)
    decay_alone = P[r, T_DECAY]
    betrayal = P[r, T_BETRAYAL]
    fail_rate = P[r, T_FAIL]
    threshold = P[r, T_THRESHOLD]
    m = member[r]
    e = exists[r]
    sec = sector[r]
    n_members = 0.0
    n_exist = 0.0
    # keep: trust kept towards each organization this month, less if it failed to deliver
    for j in range(n):
        n_members += m[j]
        n_exist += e[j]
        keep[j] = 1.0 - betrayal if (m[j] > 0 and fail[r, j] < fail_rate) else 1.0
    within = 0.0
    n_within = 0.0
    across = 0.0
    n_across = 0.0
    dense = 0.0
    # branch-free inner loops, so that they compile to vector instructions
    for i in range(n):
        row = trust[r, i]
        plist = partners[i]
        c = 0
        mi = m[i]
        ei = e[i]
        si = sec[i]
        if update:
            g_same = mi * growth
            g_cross = mi * growth * cross
            for j in range(n):
                mm = mi * m[j]
                g = m[j] * (g_cross + (g_same - g_cross) * (1.0 if sec[j] == si else 0.0))
                decay = decay_alone + mm * (decay_met - decay_alone)
                t = row[j]
                t = (t + g * (1.0 - t) - decay * t) * keep[j]
                row[j] = min(1.0, max(0.0, t))
            row[i] = 0.0
        s = 0.0
        w_sum = 0.0
        w_n = 0.0
        a_sum = 0.0
        a_n = 0.0
        d_n = 0.0
        for j in range(n):
            t = row[j]
            ej = ei * e[j]
            mm = mi * m[j]
            same = 1.0 if sec[j] == si else 0.0
            trusted = 1.0 if t > threshold else 0.0
            w = mm * trusted
            plist[c] = j  # written always, kept only for a trusted partner: no branch
            c += 1 if (w > 0 and j != i) else 0
            s += mm * t
            w_sum += ej * same * t
            w_n += ej * same
            a_sum += ej * (1.0 - same) * t
            a_n += ej * (1.0 - same)
            d_n += ej * trusted
        # oneself: trust 0, no tie, not a pair
        n_partners[i] = c
        w_n -= ei
        mean_trust[i] = s / max(1.0, n_members - 1.0)
        degree[i] = c  # trusted partners, a whole number: the same as summing the ties
        within += w_sum
        n_within += w_n
        across += a_sum
        n_across += a_n
        dense += d_n
    stats[0] = within / n_within if n_within > 0 else 0.0
    stats[1] = across / n_across if n_across > 0 else 0.0
    stats[2] = dense / (n_exist * (n_exist - 1.0)) if n_exist > 1 else 0.0

    # cross-pollination: over trusted cross-sector ties, learn the partner's specialty
    spill = P[r, SPILLOVER] / max(1.0, n_members)
    if update and spill > 0:
        for i in range(n):
            si = sec[i]
            plist = partners[i]
            for k in range(n_partners[i]):
                j = plist[k]
                if sec[j] != si:
                    d = home[r, j]
                    lift = cap[r, j, d] - cap[r, i, d]
                    if lift > 0:
                        cap[r, i, d] += spill * lift


@compiled
def coordination(P, r, e_reinforce, member, align, degree, q):
    """Each member's coordination level (0..1) into ``q``: the share of its work that referrals and a split
    of the work reach.  It rises with its trusted partners (full with ``behaviour.coordination_ties`` of
    them), with the effective level of mutually reinforcing activities, and with its alignment: referrals
    between trusted partners need no common plan, splitting the work does (half each).  Coordination never
    reaches more than ``behaviour.coordination_max`` of its work."""
    top = P[r, COORD_MAX]
    for i in range(q.shape[0]):
        plan = 0.5 * (1.0 + align[r, i])
        q[i] = top * e_reinforce * member[r, i] * plan * min(1.0, degree[i] / P[r, COORD_TIES])
