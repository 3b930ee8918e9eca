"""A month: the processes in the ODD's order (docs/ODD.md, section 3), for one run and for every run.

The processes that loop over organizations and domains are compiled with ``inline=True``, so that
``month`` compiles as one function over its work buffer, as the single-function kernel did: called
out of line they made a month about 3% slower (``benchmarks/bench_kernel.py``).  The pass over
pairs and the backbone stay out of line; inlining the pass over pairs too made it slower.
"""

from __future__ import annotations

import numpy as np

from cisim.model.compiled import compiled
from cisim.model.layout import COALITION
from cisim.model.processes.advocacy import influence, lower_root_causes
from cisim.model.processes.alignment import align_with_agenda
from cisim.model.processes.allocation import allocate
from cisim.model.processes.backbone import backbone_functions
from cisim.model.processes.books import keep_books
from cisim.model.processes.budgets import budgets_and_meetings
from cisim.model.processes.conditions import effective_conditions
from cisim.model.processes.coverage import cover
from cisim.model.processes.fundraising import fundraising
from cisim.model.processes.membership import membership
from cisim.model.processes.need import agenda_shares, monthly_need
from cisim.model.processes.outcome import population_outcome
from cisim.model.processes.outputs import record_outputs
from cisim.model.processes.trust import coordination, pairs
from cisim.model.processes.voice import community_voice

#: Per-domain and per-organization vectors in a month's work buffer (see ``scratch``).
_PER_DOMAIN = 7
_PER_ORG = 6


@compiled
def scratch(N, D):
    """A month's scratch space for N organizations and D domains, allocated once per step: a
    month's work buffer, each member's trusted partners (see ``trust.pairs``) and their number.
    (Allocating them for every run and month costs a tenth of the kernel's time.)"""
    return np.empty(3 + _PER_DOMAIN * D + _PER_ORG * N), np.empty((N, N), np.int64), np.empty(N, np.int64)


@compiled
def month(r, t, P, PD, exists, member, sector, home, own, gweight, tolerance, align, discontent, cap, mission,
          alloc, served, trust, G, cov, need, budget, reach, noise, fail, out, out_cov, start, work, partners,
          n_partners):
    """Advance run r one month (``start`` only measures the status quo at month 0).

    Reads and writes only row r of every array, so runs can go in any order or at once.
    noise: (runs, orgs, domains) uniforms (0..1) for this month's perception errors;
    fail: (runs, orgs) uniforms for this month's delivery failures.
    work, partners, n_partners: scratch space (see ``scratch``); every value in it is written
    this month before it is read.
    """
    N = cap.shape[1]
    D = cap.shape[2]
    tstats = work[0:3]
    o = 3
    agenda = work[o:o + D]
    score = work[o + D:o + 2 * D]
    inv_need = work[o + 2 * D:o + 3 * D]
    A = work[o + 3 * D:o + 4 * D]
    U = work[o + 4 * D:o + 5 * D]
    spend = work[o + 5 * D:o + 6 * D]
    per_money = work[o + 6 * D:o + 7 * D]
    o += _PER_DOMAIN * D
    service = work[o:o + N]
    meet = work[o + N:o + 2 * N]
    mean_trust = work[o + 2 * N:o + 3 * N]
    degree = work[o + 3 * N:o + 4 * N]
    q = work[o + 4 * N:o + 5 * N]
    keep = work[o + 5 * N:o + 6 * N]
    coalition = G[r, COALITION] if not start else 0.0

    bb_spend = backbone_functions(P, G, r, start)
    e_agenda, e_reinforce, e_measure, freq, convening, visibility = effective_conditions(P, G, r, coalition)
    monthly_need(P, PD, G, r, need)
    agenda_shares(PD, r, need, agenda)
    inflow, meet_total, service_total = budgets_and_meetings(P, G, r, start, freq, exists, member, own, gweight,
                                                             budget, meet, service)
    pairs(P, r, exists, member, sector, home, trust, cap, fail, freq, convening, not start, mean_trust, degree,
          partners, n_partners, keep, tstats)
    coordination(P, r, e_reinforce, member, degree, q)
    if not start:
        align_with_agenda(P, r, e_agenda, member, mean_trust, align)
        allocate(P, r, e_measure, e_reinforce, need, agenda, exists, member, align, mission, cap, served, cov, noise,
                 partners, n_partners, q, score, inv_need, alloc)
    waste, below, min_cov, extra_total = cover(P, PD, r, need, service, alloc, cap, q, served, cov, reach, A, U,
                                               spend, per_money)
    inflow += extra_total
    service_total += extra_total
    outcome, o_maj, o_marg, gain = population_outcome(P, PD, G, r, start, cov)
    if not start:
        membership(P, G, r, visibility, gain, budget, meet, mean_trust, tolerance, discontent, member, trust)
    infl = influence(P, G, r, coalition, budget, member, align)
    if not start:
        lower_root_causes(P, G, r, infl)
        community_voice(P, G, r, coalition)
        fundraising(P, G, r, coalition, visibility, gain)
        keep_books(G, r, inflow, service_total, meet_total, bb_spend, waste)
    record_outputs(G, r, exists, member, align, cov, tstats, outcome, o_maj, o_marg, waste, below, min_cov, infl,
                   bb_spend, service_total, meet_total, out, out_cov)


@compiled(nogil=True)
def step(t, P, PD, exists, member, sector, home, own, gweight, tolerance, align, discontent, cap, mission, alloc,
         served, trust, G, cov, need, budget, reach, noise, fail, out, out_cov, start):
    """Advance every run one month, one run after another.

    It releases the GIL, so the batch runner's threads step their blocks of runs at once.
    """
    work, partners, n_partners = scratch(cap.shape[1], cap.shape[2])
    for r in range(P.shape[0]):
        month(r, t, P, PD, exists, member, sector, home, own, gweight, tolerance, align, discontent, cap, mission,
              alloc, served, trust, G, cov, need, budget, reach, noise, fail, out, out_cov, start, work, partners,
              n_partners)
