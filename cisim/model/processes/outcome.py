"""The outcome, in people: the share of those leaving the pathway who complete it, per group, and what
members remember of it (ODD 7.11)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import (
    ARRIVED,
    FLOW_DONE,
    FLOW_DROP,
    NEED_RATE,
    OUT_FAST,
    OUT_SLOW,
    OUTCOME0,
    SERVE,
    WAIT,
)

#: Months over which members' sense of "now" and of "last year" average the outcome.
FAST_MONTHS = 3.0
SLOW_MONTHS = 12.0


@compiled
def rate(done, dropped):
    """Completions over everyone leaving the pathway (1 when nobody left)."""
    return done / (done + dropped) if done + dropped > 0 else 1.0


@compiled
def completion(G, r):
    """This month's completion rate, overall and per group (majority, marginalized)."""
    d0 = G[r, FLOW_DONE]
    d1 = G[r, FLOW_DONE + 1]
    x0 = G[r, FLOW_DROP]
    x1 = G[r, FLOW_DROP + 1]
    return rate(d0 + d1, x0 + x1), rate(d0, x0), rate(d1, x1)


@compiled
def remember(G, r, outcome, start):
    """Members' running memory of the outcome: the last few months against the last year.  At month 0
    (``start``) both are the status quo, which is stored too."""
    if start:
        G[r, OUTCOME0] = outcome
        G[r, OUT_FAST] = outcome
        G[r, OUT_SLOW] = outcome
    else:
        G[r, OUT_FAST] += (outcome - G[r, OUT_FAST]) / FAST_MONTHS
        G[r, OUT_SLOW] += (outcome - G[r, OUT_SLOW]) / SLOW_MONTHS


@compiled
def months_to_completion(PD, r, path):
    """Mean months from entry to completion, by Little's law: at each step, the people there over the people
    arriving this month is the mean time spent there; summed over the steps, weighted by who needs them."""
    total = 0.0
    for k in range(path.shape[2]):
        arrived = path[r, ARRIVED, k]
        if arrived > 0:
            there = path[r, WAIT, k] + path[r, WAIT + 1, k] + path[r, SERVE, k] + path[r, SERVE + 1, k]
            total += PD[r, k, NEED_RATE] * there / arrived
    return total
