"""People on the pathway: entering need, waiting, moving on when a step has room, dropping out,
completing and relapsing (ODD 7.3).

The pathway's steps are the scenario's domains in file order.  A person needs each step with its
``need_rate``, independently, and passes the steps they need in order.  Stocks per group and step
are exact fractions of people, so people are conserved to rounding: everyone who entered need is
waiting, in service, helped, or has dropped out.
"""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import (
    ARRIVED,
    DROPOUT,
    DROPPED,
    DURATION,
    ENTERED,
    FLOW_DONE,
    FLOW_DROP,
    FLOW_IN,
    GONE,
    HELPED,
    INCIDENCE,
    MARG_NEED,
    MARG_SHARE,
    NEED_RATE,
    POP,
    RELAPSE,
    ROOT,
    SERVE,
    SLOTS,
    WAIT,
)


@compiled
def at_risk(P, G, r, path, g):
    """People of group g (0 majority, 1 marginalized) who could enter need: the group's people at risk less
    those already on the pathway or helped (who are out of the pool until they relapse)."""
    ms = P[r, MARG_SHARE]
    people = P[r, POP] * (ms if g == 1 else 1.0 - ms)
    for k in range(path.shape[2]):
        people -= path[r, WAIT + g, k] + path[r, SERVE + g, k]
    return max(0.0, people - G[r, HELPED + g])


@compiled
def entry_rate(P, G, r, g):
    """Monthly chance that a person at risk in group g enters need: incidence times root causes, higher
    for the marginalized group."""
    return P[r, INCIDENCE] * G[r, ROOT] * (P[r, MARG_NEED] if g == 1 else 1.0)


@compiled
def entrants(P, G, r, path, g):
    """People of group g entering need this month."""
    return at_risk(P, G, r, path, g) * entry_rate(P, G, r, g)


@compiled
def route(PD, r, path, g, k, people):
    """Send ``people`` of group g who finished step k (k = -1: who entered need) to the queue of the next step
    they need, or out of the pathway.  Returns the people who need no further step (done).

    The share that needs step j next is need_j times the chance of needing none of the steps between.
    Entrants are people who need at least one step, so their split is scaled by the chance of needing any
    (where no step is needed at all, entrants are done at once).
    """
    D = path.shape[2]
    scale = 1.0
    if k < 0:
        none = 1.0
        for j in range(D):
            none *= 1.0 - PD[r, j, NEED_RATE]
        if none >= 1.0:
            return people
        scale = 1.0 / (1.0 - none)
    rest = people * scale
    for j in range(k + 1, D):
        to_j = rest * PD[r, j, NEED_RATE]
        path[r, WAIT + g, j] += to_j
        path[r, ARRIVED, j] += to_j
        rest -= to_j
    return rest if k >= 0 else 0.0


@compiled
def finish_and_give_up(P, PD, G, r, path):
    """People finish their step (a share 1 / duration of those in service) and move on; a share of the
    waiting give up.  Completions and drop-outs of the month go to ``G[r, FLOW_DONE:]`` and ``G[r, FLOW_DROP:]``."""
    D = path.shape[2]
    dropout = P[r, DROPOUT]
    for k in range(D):
        path[r, ARRIVED, k] = 0.0
        path[r, DROPPED, k] = 0.0
    for g in range(2):
        done = 0.0
        gone = 0.0
        for k in range(D):
            quit_k = path[r, WAIT + g, k] * dropout
            path[r, WAIT + g, k] -= quit_k
            path[r, DROPPED, k] += quit_k
            gone += quit_k
        for k in range(D):
            finished = path[r, SERVE + g, k] / PD[r, k, DURATION]
            path[r, SERVE + g, k] -= finished
            done += route(PD, r, path, g, k, finished)
        G[r, FLOW_DONE + g] = done
        G[r, FLOW_DROP + g] = gone
        G[r, HELPED + g] += done
        G[r, GONE] += gone


@compiled
def enter_need(P, PD, G, r, path):
    """New entrants and relapses join the queue of their first step (people entering, per group, into
    ``G[r, FLOW_IN:]``)."""
    relapse = P[r, RELAPSE]
    for g in range(2):
        back = G[r, HELPED + g] * relapse
        G[r, HELPED + g] -= back
        G[r, HELPED + g] += route(PD, r, path, g, -1, back)  # relapses first: they are no longer at risk
        new = entrants(P, G, r, path, g)
        G[r, ENTERED] += new
        G[r, HELPED + g] += route(PD, r, path, g, -1, new)
        G[r, FLOW_IN + g] = new + back


@compiled
def start_services(r, path, access):
    """Where a step has room (its places less the people still in service), the waiting start: the majority
    take a place when one is free, the marginalized group with chance ``access``; if there are fewer places
    than takers, each taker gets the same share of them."""
    D = path.shape[2]
    for k in range(D):
        busy = path[r, SERVE, k] + path[r, SERVE + 1, k]
        room = max(0.0, path[r, SLOTS, k] - busy)
        want = path[r, WAIT, k] + access * path[r, WAIT + 1, k]
        share = min(1.0, room / want) if want > 0 else 0.0
        s0 = path[r, WAIT, k] * share
        s1 = path[r, WAIT + 1, k] * access * share
        path[r, WAIT, k] -= s0
        path[r, WAIT + 1, k] -= s1
        path[r, SERVE, k] += s0
        path[r, SERVE + 1, k] += s1


@compiled
def people_on_pathway(r, path):
    """Everyone waiting or in service."""
    total = 0.0
    for row in range(4):
        for k in range(path.shape[2]):
            total += path[r, row, k]
    return total


@compiled
def settle_helped(P, G, r, path):
    """Set the stock of people helped to the steady state of this month's flows: completions (a share c of
    the people entering need, new or relapsed) equal relapses.  With entry rate e and P people at risk not
    on the pathway, relapse * H = c * (e * (P - H) + relapse * H), so H = c e P / (relapse (1 - c) + c e)."""
    relapse = P[r, RELAPSE]
    ms = P[r, MARG_SHARE]
    for g in range(2):
        entering = G[r, FLOW_IN + g]
        if entering <= 0:
            continue
        c = min(1.0, G[r, FLOW_DONE + g] / entering)
        e = entry_rate(P, G, r, g)
        free = P[r, POP] * (ms if g == 1 else 1.0 - ms)
        for k in range(path.shape[2]):
            free -= path[r, WAIT + g, k] + path[r, SERVE + g, k]
        free = max(0.0, free)
        denominator = relapse * (1.0 - c) + c * e
        G[r, HELPED + g] = c * e * free / denominator if denominator > 0 else G[r, HELPED + g]
