"""Trust and what it gives: one pass over pairs of organizations, then coordination (ODD 7.6, 7.7)."""

from __future__ import annotations

import numpy as np

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

    The numbers are the same on every CPU: each sum over an organization's row adds its
    terms in the order of the row.  The rows' sums are added side by side, from a transposed
    copy of the updated trust, because one row's sum is a chain of additions, each waiting
    for the last, while the sums of many rows at once fill vector instructions.  Counts of
    pairs are whole numbers (``exists`` and ``member`` are 0 or 1), the same in any order,
    so they are counted as integers.
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
    # seen[j, i]: i's trust in j after the update; then the sums over each row, the growth and
    # decay of a row's trust, and the trust in j above which a member counts j as a partner
    # (infinite for a non-member j)
    seen = np.empty((n + 6, n))
    s = seen[n]
    w_sum = seen[n + 1]
    a_sum = seen[n + 2]
    gain = seen[n + 3]
    loss = seen[n + 4]
    bar = seen[n + 5]
    # keep: trust kept towards each organization this month, less if it failed to deliver
    for j in range(n):
        n_members += m[j]
        n_exist += e[j]
        keep[j] = 1.0 - betrayal if (m[j] > 0 and fail[r, j] < fail_rate) else 1.0
        bar[j] = threshold if m[j] > 0 else np.inf
    for i in range(n):
        row = trust[r, i]
        mi = m[i]
        si = sec[i]
        if update:
            # growth and decay depend on the row only through its sector and membership
            if i == 0 or mi != m[i - 1] or si != sec[i - 1]:
                g_same = mi * growth
                g_cross = mi * growth * cross
                for j in range(n):
                    gain[j] = m[j] * (g_cross + (g_same - g_cross) * (1.0 if sec[j] == si else 0.0))
                    loss[j] = decay_alone + mi * m[j] * (decay_met - decay_alone)
            for j in range(n):
                t = row[j]
                t = (t + gain[j] * (1.0 - t) - loss[j] * t) * keep[j]
                row[j] = min(1.0, max(0.0, t))
            row[i] = 0.0
        plist = partners[i]
        c = 0
        bar_i = bar[i]
        bar[i] = np.inf  # oneself is no partner
        for j in range(n):
            t = row[j]
            seen[j, i] = t
            plist[c] = j  # written always, kept only for a trusted partner: no branch
            c += 1 if t > bar[j] else 0
        bar[i] = bar_i
        c = c if mi > 0 else 0  # a non-member has no partners
        n_partners[i] = c
        degree[i] = c  # trusted partners, a whole number: the same as summing the ties
        s[i] = 0.0
        w_sum[i] = 0.0
        a_sum[i] = 0.0
    # every row's sums over j at once, each adding its terms in the order of j (a term that is
    # zero, from a pair of the other kind, changes no sum of terms that are 0 or more)
    same_pairs = 0
    trusted_pairs = 0
    for j in range(n):
        col = seen[j]
        mj = m[j]
        ej = e[j]
        sj = sec[j]
        for i in range(n):
            t = col[i]
            x = e[i] * ej
            xt = x * t
            same = sec[i] == sj
            s[i] += m[i] * mj * t
            w_sum[i] += xt if same else 0.0
            a_sum[i] += 0.0 if same else xt
            same_pairs += 1 if (x > 0) & same else 0
            trusted_pairs += 1 if (x > 0) & (t > threshold) else 0
    within = 0.0
    across = 0.0
    for i in range(n):
        mean_trust[i] = s[i] / max(1.0, n_members - 1.0)
        within += w_sum[i]
        across += a_sum[i]
    n_within = same_pairs - n_exist  # oneself: same sector, not a pair
    n_across = n_exist * n_exist - same_pairs
    stats[0] = within / n_within if n_within > 0 else 0.0
    stats[1] = across / n_across if n_across > 0 else 0.0
    stats[2] = trusted_pairs / (n_exist * (n_exist - 1.0)) if n_exist > 1 else 0.0

    # cross-pollination: over trusted cross-sector ties, learn the partner's specialty.  A lift
    # is mostly positive, but not predictably so: it is added without a branch.  Partners of
    # one's own sector come in runs (sectors are blocks of organizations), so they are skipped
    # with a branch, and the next lift of the same capability does not wait for one of theirs.
    # Indices read from arrays are made unsigned: numba then leaves out its wrap-around of
    # negative indices.
    spill = P[r, SPILLOVER] / max(1.0, n_members)
    if update and spill > 0:
        hm = home[r]
        cp = cap[r]
        for i in range(n):
            si = sec[i]
            plist = partners[i]
            ci = cp[i]
            for k in range(n_partners[i]):
                j = np.uint64(plist[k])
                if sec[j] == si:
                    continue
                d = np.uint64(hm[j])
                x = ci[d]
                lift = cp[j, d] - x
                ci[d] = x + spill * lift if lift > 0 else x


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
