"""The outcome, in people: the share of those leaving the pathway who complete it, per group, and what
members remember of it (ODD 7.11)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import (
    ARRIVED,
    DURATION,
    FLOW_DONE,
    FLOW_DROP,
    NEED_RATE,
    OUT_FAST,
    OUT_SLOW,
    OUTCOME0,
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
    """Mean months from entering need to completing the pathway: over the steps a person needs (each with its
    need rate, among people who need any), the mean wait there by Little's law (people waiting over people
    arriving this month) plus its months of service."""
    none = 1.0
    for k in range(path.shape[2]):
        none *= 1.0 - PD[r, k, NEED_RATE]
    if none >= 1.0:
        return 0.0
    total = 0.0
    for k in range(path.shape[2]):
        arrived = path[r, ARRIVED, k]
        waiting = path[r, WAIT, k] + path[r, WAIT + 1, k]
        wait = waiting / arrived if arrived > 1e-9 else 0.0  # nobody arriving: no wait to measure
        total += PD[r, k, NEED_RATE] * (wait + PD[r, k, DURATION])
    return total / (1.0 - none)
