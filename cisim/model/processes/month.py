"""A month: the processes in the ODD's order (docs/ODD.md, section 3), for one run and for every run.

The processes that loop over organizations and steps are compiled with ``inline=True``, so that
``month`` compiles as one function over its work buffer; the pass over pairs and the backbone stay out
of line (``benchmarks/bench_batch.py`` reports each submodel's share of the time).
"""

from __future__ import annotations

import numpy as np

from cisim.model.compiled import compiled
from cisim.model.layout import (
    ACCESS,
    ADAPT,
    COALITION,
    COMPLETED,
    DURATION,
    ENTERED,
    FLOW_DONE,
    GONE,
    HELPED,
    NEED_RATE,
    OUTCOME0,
    SPENT,
    UNIT_COST,
)
from cisim.model.processes.access import barrier_relief
from cisim.model.processes.advocacy import influence, lower_root_causes
from cisim.model.processes.alignment import align_with_agenda
from cisim.model.processes.allocation import allocate
from cisim.model.processes.backbone import backbone_month
from cisim.model.processes.books import keep_books
from cisim.model.processes.budgets import budgets_and_meetings, funder_money
from cisim.model.processes.capacity import capacity, idle_money
from cisim.model.processes.conditions import effective_conditions
from cisim.model.processes.fundraising import fundraising
from cisim.model.processes.membership import membership
from cisim.model.processes.outcome import completion, remember
from cisim.model.processes.outputs import record_outputs
from cisim.model.processes.pathway import (
    enter_need,
    finish_and_give_up,
    people_on_pathway,
    settle_helped,
    start_services,
)
from cisim.model.processes.perception import own_view, pressures
from cisim.model.processes.trust import coordination, pairs
from cisim.model.processes.voice import voice_weights

#: Per-step and per-organization vectors in a month's work buffer (see ``scratch``).
_PER_DOMAIN = 9
_PER_ORG = 6
#: Months the status quo runs before month 0 at least, so that its queues have settled when the initiative starts.
WARM_UP = 48
#: Allocations move ``behaviour.adaptation_rate`` of the way a month: the status quo runs for this many of their
#: time constants (1 / rate) when that is longer, so that less than 0.3% of any move is left.  ``WARM_UP_MAX``
#: bounds the work: below a rate of 6 / 480 a month an organization has barely moved by then anyway.
WARM_UP_SETTLE = 6.0
WARM_UP_MAX = 480


@compiled
def warm_up_months(rate: float) -> int:
    """Months the status quo runs: ``WARM_UP`` or ``WARM_UP_SETTLE`` time constants of adaptation, if longer."""
    if rate <= 0.0:
        return WARM_UP  # organizations that never adapt have nothing to settle
    return int(min(WARM_UP_MAX, max(WARM_UP, np.ceil(WARM_UP_SETTLE / rate))))


@compiled
def scratch(N, D):
    """A month's scratch space for N organizations and D steps, allocated once per step: a month's work
    buffer, each member's trusted partners (see ``trust.pairs``) and their number."""
    return np.empty(3 + _PER_DOMAIN * D + _PER_ORG * N), np.empty((N, N), np.int64), np.empty(N, np.int64)


@compiled
def agenda_shares(PD, r, agenda):
    """The common agenda, into ``agenda``: money shares in proportion to what serving everyone who needs each
    step costs (need rate, months of service and unit cost)."""
    D = agenda.shape[0]
    total = 0.0
    for d in range(D):
        agenda[d] = PD[r, d, NEED_RATE] * PD[r, d, DURATION] * PD[r, d, UNIT_COST]
        total += agenda[d]
    for d in range(D):
        agenda[d] /= total


@compiled(inline=True)
def people_and_places(P, PD, G, r, path, service, alloc, fresh, cap, q, served, A, U, spend, cov):
    """The pathway's month with this month's places: services finish and the waiting give up, need enters,
    the steps' places are bought, barriers are lowered where steps are provided, the waiting start, and the
    places nobody used are counted (what organizations see as empty next month).
    Returns the earmarked money spent, the idle money, the steps below the floor and the lowest coverage."""
    finish_and_give_up(P, PD, G, r, path)
    enter_need(P, PD, G, r, path)
    extra = capacity(P, PD, r, path, service, alloc, fresh, cap, q, served, A, U, spend)
    barrier_relief(P, PD, G, r, path)
    start_services(r, path, G[r, ACCESS])
    waste, below, low = idle_money(P, r, path, A, U, spend, cov)
    return extra, waste, below, low


@compiled
def month(r, t, P, PD, exists, member, sector, home, own, gweight, tolerance, align, appraisal, cap, mission,
          alloc, fresh, served, seen, trust, G, path, budget, noise, fail, draw, out, out_cov, out_drop, start, work,
          partners, n_partners):
    """Advance run r one month (``start``: settle the status quo, every organization working alone and
    adapting to its own view for ``warm_up_months`` months, and record it as month 0).

    Reads and writes only row r of every array, so runs can go in any order or at once.
    noise: (runs, orgs, steps) uniforms (0..1) for this month's perception errors; fail and draw: (runs, orgs)
    uniforms for delivery failures and membership.  work, partners, n_partners: scratch (see ``scratch``);
    every value in it is written this month before it is read.
    """
    N = cap.shape[1]
    D = cap.shape[2]
    tstats = work[0:3]
    o = 3
    agenda = work[o:o + D]
    score = work[o + D:o + 2 * D]
    demand = work[o + 2 * D:o + 3 * D]
    A = work[o + 3 * D:o + 4 * D]
    U = work[o + 4 * D:o + 5 * D]
    spend = work[o + 5 * D:o + 6 * D]
    voice = work[o + 6 * D:o + 7 * D]
    cov = work[o + 7 * D:o + 8 * D]
    asks = work[o + 8 * D:o + 9 * D]
    o += _PER_DOMAIN * D
    service = work[o:o + N]
    meet = work[o + N:o + 2 * N]
    mean_trust = work[o + 2 * N:o + 3 * N]
    degree = work[o + 3 * N:o + 4 * N]
    q = work[o + 4 * N:o + 5 * N]
    keep = work[o + 5 * N:o + 6 * N]
    coalition = G[r, COALITION] if not start else 0.0
    members = 0.0
    for i in range(N):
        members += member[r, i]

    bb_spend = 0.0 if start else backbone_month(P, G, r, members, D)
    e_agenda, e_reinforce, e_measure, meetings, freq, convening, visibility = effective_conditions(P, G, r,
                                                                                                   coalition)
    agenda_shares(PD, r, agenda)
    inflow, meet_total, service_total = budgets_and_meetings(P, G, r, start, meetings, exists, member, own, gweight,
                                                             budget, meet, service)
    funder_paid = funder_money(P, G, r, start)
    pairs(P, r, exists, member, sector, home, trust, cap, fail, freq, convening, not start, mean_trust, degree,
          partners, n_partners, keep, tstats)
    coordination(P, r, e_reinforce, member, align, degree, q)
    extra_total = waste = below = low = 0.0
    if start:
        # the status quo: every organization on its own, adapting to what it sees, until the queues settle
        nobody = np.zeros_like(member)
        for d in range(D):
            voice[d] = 0.0
        for _ in range(warm_up_months(P[r, ADAPT])):
            pressures(path, r, asks)
            own_view(P, r, asks, exists, alloc, noise, seen)
            allocate(P, r, 0.0, 0.0, path, asks, agenda, voice, exists, nobody, align, mission, cap, served, seen,
                     partners, n_partners, q, score, demand, alloc, fresh)
            extra_total, waste, below, low = people_and_places(P, PD, G, r, path, service, alloc, fresh, cap, q,
                                                               served, A, U, spend, cov)
            # the people helped in past years, at the level where their relapses balance the completions (the
            # warm-up is too short for a stock that turns over once in 1 / relapse months)
            settle_helped(P, G, r, path)
        on_path = people_on_pathway(r, path)
        G[r, ENTERED] = on_path + G[r, HELPED] + G[r, HELPED + 1]
        G[r, GONE] = 0.0
    else:
        align_with_agenda(P, r, e_agenda, member, mean_trust, align)
        pressures(path, r, asks)
        own_view(P, r, asks, exists, alloc, noise, seen)
        voice_weights(P, PD, G, r, path, coalition, voice)
        allocate(P, r, e_measure, e_reinforce, path, asks, agenda, voice, exists, member, align, mission, cap,
                 served, seen, partners, n_partners, q, score, demand, alloc, fresh)
        extra_total, waste, below, low = people_and_places(P, PD, G, r, path, service, alloc, fresh, cap, q, served,
                                                           A, U, spend, cov)
    inflow += extra_total
    service_total += extra_total
    outcome, o_maj, o_marg = completion(G, r)
    remember(G, r, outcome, start)
    gain = max(0.0, outcome - G[r, OUTCOME0])
    if not start:
        membership(P, G, r, meetings, visibility, exists, budget, degree, tolerance, appraisal, member, trust, draw)
        G[r, COMPLETED] += G[r, FLOW_DONE] + G[r, FLOW_DONE + 1]
        G[r, SPENT] += service_total + meet_total + bb_spend
    infl = influence(P, G, r, coalition, budget, member, align)
    if not start:
        lower_root_causes(P, G, r, infl)
        fundraising(P, G, r, coalition, visibility, gain)
        keep_books(G, r, inflow, service_total, meet_total, bb_spend, waste)
    record_outputs(PD, G, r, path, exists, member, align, cov, tstats, outcome, o_maj, o_marg, waste, below, low,
                   infl, bb_spend, service_total, meet_total, funder_paid, out, out_cov, out_drop)


@compiled(nogil=True)
def step(t, P, PD, exists, member, sector, home, own, gweight, tolerance, align, appraisal, cap, mission, alloc,
         fresh, served, seen, trust, G, path, budget, noise, fail, draw, out, out_cov, out_drop, start):
    """Advance every run one month, one run after another.

    It releases the GIL, so the batch runner's threads step their blocks of runs at once.
    """
    work, partners, n_partners = scratch(cap.shape[1], cap.shape[2])
    for r in range(P.shape[0]):
        month(r, t, P, PD, exists, member, sector, home, own, gweight, tolerance, align, appraisal, cap, mission,
              alloc, fresh, served, seen, trust, G, path, budget, noise, fail, draw, out, out_cov, out_drop, start,
              work, partners, n_partners)
