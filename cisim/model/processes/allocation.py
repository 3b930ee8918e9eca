"""Every organization adapts: it moves part of its service money toward the demand it sees (ODD 7.9)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import ADAPT, ADVANTAGE, GAP_RESPONSE, SERVE, WAIT


@compiled(inline=True)
def allocate(P, r, e_measure, e_reinforce, path, asks, agenda, voice, exists, member, align, mission, cap, served,
             seen, partners, n_partners, q, score, demand, alloc, fresh):
    """Move each organization's allocation ``alloc[r]`` a step toward what it wants this month, and record in
    ``fresh[r]`` the share of its money it moved into each step (start-up costs fall on it).

    It wants a mix of its own mission and its part of the common agenda, by its alignment (the agenda's
    shares weighted by its own capability: it pursues the shared priorities where it is good).  That wish
    is pulled toward the waiting it sees and away from places it sees empty: its own view, or for a member
    the whole pathway as far as shared measurement works and the member shares the agenda; and, for a
    member, weighted by what community voice asks.  A coordinating member also fills the steps its trusted
    partners leave uncovered and leans toward its comparative advantage.  ``asks`` is each step's pressure
    this month (``perception.pressures``); ``score`` and ``demand`` are scratch.
    """

    N = alloc.shape[1]
    D = alloc.shape[2]
    rate = P[r, ADAPT]
    advantage = P[r, ADVANTAGE]
    gap = P[r, GAP_RESPONSE]
    cover_pull = gap * e_reinforce
    for d in range(D):
        demand[d] = path[r, WAIT, d] + path[r, WAIT + 1, d] + path[r, SERVE, d] + path[r, SERVE + 1, d]
    for i in range(N):
        if exists[r, i] == 0:
            continue
        m = member[r, i]
        a = align[r, i]
        shared = m * e_measure
        if m > 0:
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
        # its part of the agenda: the shared priorities, pursued through what it does well
        fit = 0.0
        for d in range(D):
            fit += agenda[d] * cap[r, i, d]
        for d in range(D):
            part = agenda[d] * cap[r, i, d] / fit if fit > 0 else agenda[d]
            desire = (1 - a) * mission[r, i, d] + a * part
            if m > 0:
                # the whole pathway matters to a member as far as it shares the agenda; beyond that, it attends
                # to the steps it serves itself, now seen as they are
                whole = asks[d] * (a + (1 - a) * min(1.0, alloc[r, i, d] * D))
                s = shared * whole + (1 - shared) * seen[r, i, d]
                desire *= max(0.05, 1.0 + gap * s / (1.0 + abs(s))) * (1.0 + voice[d])
                uncovered = max(0.0, 1.0 - score[d] / demand[d]) if demand[d] > 0 else 0.0
                # comparative advantage: specialize, linearly in relative capability, as far as it coordinates
                desire *= max(0.05, 1.0 + specialize * cap[r, i, d] - advantage * q[i])
                desire *= 1.0 + cover_pull * q[i] * uncovered
            else:  # on its own: its own view only, and no voice
                s = seen[r, i, d]
                desire *= max(0.05, 1.0 + gap * s / (1.0 + abs(s)))
            score[d] = desire
        total = 0.0
        for d in range(D):
            total += score[d]
        step_share = rate / total
        for d in range(D):
            new = (1.0 - rate) * alloc[r, i, d] + step_share * score[d]
            fresh[r, i, d] = max(0.0, new - alloc[r, i, d])
            alloc[r, i, d] = new
