"""The model's processes as compiled functions over state arrays with a leading run axis.

Every array is ``(runs, ...)``: organizations on the trailing axes.  The Mesa model
steps one run through these functions; the batch runner steps many.  There is one
implementation of each process, so a run gives the same numbers whichever face
runs it and whichever other runs share its batch (each run only reads its own row).
"""

from __future__ import annotations

import math

import numpy as np

from cisim.model.compiled import compiled
from cisim.model.schema import COLUMN, DOMAIN_COLUMN

# ---- columns of the per-run parameter matrix (compile-time constants for numba)
AGENDA = COLUMN["conditions.common_agenda"]
MEASURE = COLUMN["conditions.shared_measurement"]
REINFORCE = COLUMN["conditions.mutually_reinforcing"]
COMMUNICATE = COLUMN["conditions.continuous_communication"]
VOICE = COLUMN["conditions.community_voice"]
FUNDER = COLUMN["funder.budget"]
POP = COLUMN["problem.population"]
MARG_SHARE = COLUMN["problem.marginalized_share"]
MARG_NEED = COLUMN["problem.marginalized_need"]
FLOOR = COLUMN["problem.coverage_floor"]
BB_SHARE = COLUMN["backbone.budget_share"]
BB_EXTRA = COLUMN["backbone.extra_budget"]
BB_HALF = COLUMN["backbone.half_saturation"]
BB_HILL = COLUMN["backbone.hill"]
BB_HIRING = COLUMN["backbone.hiring_months"]
BB_WITHOUT = COLUMN["backbone.without_strength"]
BB_EFFORT = COLUMN["backbone.effort_strategy"]  # six consecutive columns
T_GROWTH = COLUMN["trust.growth"]
T_CROSS = COLUMN["trust.cross_sector_factor"]
T_DECAY = COLUMN["trust.decay"]
T_BETRAYAL = COLUMN["trust.betrayal"]
T_FAIL = COLUMN["trust.failure_rate"]
T_THRESHOLD = COLUMN["trust.threshold"]
MAX_MEETINGS = COLUMN["communication.max_meetings"]
MEETING_COST = COLUMN["communication.meeting_cost"]
ALIGN_RATE = COLUMN["behaviour.alignment_rate"]
INERTIA = COLUMN["behaviour.allocation_inertia"]
ADVANTAGE = COLUMN["behaviour.comparative_advantage"]
GAP_RESPONSE = COLUMN["behaviour.gap_response"]
NOISE = COLUMN["behaviour.perception_noise"]
COORD_TIES = COLUMN["behaviour.coordination_ties"]
SPILLOVER = COLUMN["behaviour.spillover"]
PATIENCE = COLUMN["behaviour.patience"]
B_PROGRESS = COLUMN["behaviour.benefit_progress"]
B_SUPPORT = COLUMN["behaviour.benefit_support"]
B_TRUST = COLUMN["behaviour.benefit_trust"]
VOICE_RATE = COLUMN["behaviour.voice_rate"]
ADV_EXP = COLUMN["policy.advocacy_exponent"]
ADV_THRESHOLD = COLUMN["policy.advocacy_threshold"]
ROOT_DECLINE = COLUMN["policy.root_cause_decline"]
ROOT_FLOOR = COLUMN["policy.root_cause_floor"]
FUNDRAISING = COLUMN["policy.fundraising_rate"]

SQRT12 = math.sqrt(12.0)  # a uniform 0..1 number times this has standard deviation 1

NEED_RATE = DOMAIN_COLUMN["need_rate"]
UNIT_COST = DOMAIN_COLUMN["unit_cost"]
EXTRA = DOMAIN_COLUMN["extra_funding"]

# ---- columns of the per-run scalar state ``G``
ROOT, ACCESS, BB_CAP, BB_RESERVE, RAISED, OUTCOME0, FUND_FACTOR, BB_FUNDED, COALITION = range(9)
CUM_INFLOW, CUM_SERVICES, CUM_MEETINGS, CUM_BACKBONE, CUM_WASTE = range(9, 14)
STRENGTH = 14  # six consecutive columns: the backbone functions' strengths this month
N_GLOBAL = 20

# ---- per-step outputs (columns of ``out``); coverage per domain goes to ``out_cov``
OUTPUTS = (
    "outcome", "outcome_majority", "outcome_marginalized", "equity_gap",
    "duplication_waste", "domains_below_floor", "min_coverage",
    "trust_within", "trust_across", "tie_density", "active_members", "mean_alignment",
    "root_cause", "marginalized_access", "influence",
    "backbone_spend", "service_spend", "meeting_spend", "total_spend", "funds_raised", "unspent",
)
N_OUTPUTS = len(OUTPUTS)
(O_OUTCOME, O_MAJ, O_MARG, O_GAP, O_WASTE, O_BELOW, O_MINCOV, O_TW, O_TA, O_DENS, O_ACTIVE,
 O_ALIGN, O_ROOT, O_ACCESS, O_INFL, O_BB, O_SERV, O_MEET, O_TOTAL, O_RAISED, O_UNSPENT) = range(N_OUTPUTS)


HOME_CAP = COLUMN["coalition.home_capability"]
OTHER_CAP = COLUMN["coalition.other_capability"]
TILT = COLUMN["coalition.mission_tilt"]
HOME_PRIORITY = COLUMN["coalition.home_priority"]
OWN_SHARE = COLUMN["coalition.own_funds_share"]
T_WITHIN = COLUMN["trust.initial_within"]
T_ACROSS = COLUMN["trust.initial_across"]
T_SPREAD = COLUMN["trust.initial_spread"]
ACCESS0 = COLUMN["problem.marginalized_access"]
VISIBILITY = DOMAIN_COLUMN["visibility"]


@compiled(nogil=True)
def setup_run(r, n, P, PD, sector_of, home_table, home_count, choice, budget, jitter, trust_noise, tolerance,
              coalition, exists, member, sector, home, own, gweight, tol, cap, mission, alloc, trust, G):
    """Build run r's organizations from its random draws: sectors, home domains, budgets,
    capabilities, mission priorities (home domain and visible work first) and starting trust."""
    D = cap.shape[2]
    total_budget = 0.0
    for i in range(n):
        total_budget += budget[i]
    home_cap = P[r, HOME_CAP]
    other_cap = P[r, OTHER_CAP]
    for i in range(n):
        s = sector_of[i]
        h = home_table[s, int(choice[i] * home_count[s])]
        exists[r, i] = 1.0
        member[r, i] = coalition
        sector[r, i] = s
        home[r, i] = h
        own[r, i] = budget[i] * P[r, OWN_SHARE]
        gweight[r, i] = budget[i] / total_budget
        tol[r, i] = tolerance[i]
        norm = 0.0
        for d in range(D):
            is_home = 1.0 if d == h else 0.0
            cap[r, i, d] = (other_cap + (home_cap - other_cap) * is_home) * jitter[i, d]
            tilt = (0.05 + PD[r, d, VISIBILITY]) ** P[r, TILT]
            mission[r, i, d] = (1.0 + (P[r, HOME_PRIORITY] - 1.0) * is_home) * tilt
            norm += mission[r, i, d]
        for d in range(D):
            mission[r, i, d] /= norm
            alloc[r, i, d] = mission[r, i, d]
    for i in range(n):
        for j in range(n):
            base = P[r, T_WITHIN] if sector_of[i] == sector_of[j] else P[r, T_ACROSS]
            t = base + P[r, T_SPREAD] * trust_noise[i, j]
            trust[r, i, j] = 0.0 if i == j else min(1.0, max(0.0, t))
    G[r, ROOT] = 1.0
    G[r, ACCESS] = P[r, ACCESS0]
    G[r, FUND_FACTOR] = 1.0
    G[r, BB_FUNDED] = 1.0
    G[r, COALITION] = coalition


@compiled
def backbone_functions(P, G, r, strength):
    """Spend the backbone's money on staff; write each function's strength (0..1).

    Strength saturates in money with a Hill curve: below the minimum viable level a
    function barely works (a bottleneck), above it further money adds less and less.
    Returns the month's backbone spending and the money that came in for it.
    """
    funder = P[r, FUNDER] * G[r, FUND_FACTOR]
    income = (funder * P[r, BB_SHARE] + P[r, BB_EXTRA]) * G[r, BB_FUNDED]
    # staff follow the budget over the hiring time; money not yet spent on staff is
    # held, and pays for winding down if the funding stops
    cap = G[r, BB_CAP] + (income - G[r, BB_CAP]) / P[r, BB_HIRING]
    available = income + G[r, BB_RESERVE]
    spend = min(max(cap, 0.0), available)
    G[r, BB_CAP] = spend
    G[r, BB_RESERVE] = available - spend
    total_effort = 0.0
    for f in range(6):
        total_effort += P[r, BB_EFFORT + f]
    half = P[r, BB_HALF]
    h = P[r, BB_HILL]
    for f in range(6):
        x = spend * P[r, BB_EFFORT + f] / total_effort if total_effort > 0 else 0.0
        xh = (x / half) ** h
        strength[f] = xh / (1.0 + xh)
    return spend, income


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
def scratch(N, D):
    """A month's scratch space for N organizations and D domains, allocated once per step: a
    month's work buffer, each member's trusted partners (see ``pairs``) and their number.
    (Allocating them for every run and month costs a tenth of the kernel's time.)"""
    return np.empty(9 + 7 * D + 6 * N + N), np.empty((N, N), np.int64), np.empty(N, np.int64)


@compiled
def month(r, t, P, PD, exists, member, sector, home, own, gweight, tolerance, align, discontent,
          cap, mission, alloc, served, trust, G, cov, noise, fail, out, out_cov, start, work, partners, n_partners):
    """Advance run r one month (``start`` only measures the status quo at month 0).

    Reads and writes only row r of every array, so runs can go in any order or at once.
    noise: (runs, orgs, domains) uniforms (0..1) for this month's perception errors;
    fail: (runs, orgs) uniforms for this month's delivery failures.
    work, partners, n_partners: scratch space (see ``scratch``); every value in it is written
    this month before it is read.
    """
    _, N, D = cap.shape
    # scratch space, carved from one buffer
    strength = work[0:6]
    tstats = work[6:9]
    o = 9
    need = work[o:o + D]
    agenda = work[o + D:o + 2 * D]
    score = work[o + 2 * D:o + 3 * D]
    A = work[o + 3 * D:o + 4 * D]
    U = work[o + 4 * D:o + 5 * D]
    spend = work[o + 5 * D:o + 6 * D]
    per_money = work[o + 6 * D:o + 7 * D]
    o += 7 * D
    budget = work[o:o + N]
    service = work[o + N:o + 2 * N]
    meet = work[o + 2 * N:o + 3 * N]
    mean_trust = work[o + 3 * N:o + 4 * N]
    degree = work[o + 4 * N:o + 5 * N]
    q = work[o + 5 * N:o + 6 * N]
    o += 6 * N
    keep = work[o:o + N]
    coalition = G[r, COALITION] if not start else 0.0
    # -- backbone and the effective strength of each condition
    if start:
        bb_spend = 0.0
        bb_income = 0.0
        strength[:] = 0.0
    else:
        bb_spend, bb_income = backbone_functions(P, G, r, strength)
    for f in range(6):
        G[r, STRENGTH + f] = strength[f]
    without = P[r, BB_WITHOUT]
    e_agenda = coalition * P[r, AGENDA] * (without + (1 - without) * strength[0])
    e_reinforce = coalition * P[r, REINFORCE] * (without + (1 - without) * strength[1])
    e_measure = coalition * P[r, MEASURE] * (without + (1 - without) * strength[2])
    # members meet as often as the communication level says; the backbone's
    # convening decides how much trust a meeting builds
    freq = P[r, MAX_MEETINGS] * coalition * P[r, COMMUNICATE]
    convening = without + (1 - without) * strength[1]
    visibility = 0.2 + 0.8 * e_measure

    # -- need this month: root causes regenerate it
    root = G[r, ROOT]
    ms = P[r, MARG_SHARE]
    mult = P[r, MARG_NEED]
    pop = P[r, POP]
    agenda_total = 0.0
    for d in range(D):
        rate = PD[r, d, NEED_RATE]
        need[d] = max(1e-9, pop * root * ((1 - ms) * rate + ms * min(1.0, rate * mult)))
        agenda[d] = need[d] * PD[r, d, UNIT_COST]
        agenda_total += agenda[d]
    for d in range(D):
        agenda[d] /= agenda_total

    # -- budgets: grants, own funds, meetings taken from services
    funder = P[r, FUNDER] * G[r, FUND_FACTOR]
    # month 0 is the status quo before the initiative: everything granted to services
    grants = funder if start else funder * (1 - P[r, BB_SHARE]) + G[r, RAISED]
    inflow = bb_income
    meet_total = 0.0
    service_total = 0.0
    n_members = 0.0
    for i in range(N):
        budget[i] = exists[r, i] * (own[r, i] + gweight[r, i] * grants)
        meet[i] = min(0.5 * budget[i], freq * P[r, MEETING_COST]) * member[r, i]
        service[i] = budget[i] - meet[i]
        inflow += budget[i]
        meet_total += meet[i]
        service_total += service[i]
        n_members += member[r, i]

    # -- trust, trusted ties and cross-pollination, in one pass over pairs
    pairs(P, r, exists, member, sector, home, trust, cap, fail, freq, convening, not start, mean_trust, degree,
          partners, n_partners, keep, tstats)
    for i in range(N):
        q[i] = e_reinforce * member[r, i] * min(1.0, degree[i] / P[r, COORD_TIES])

    # -- alignment with the common agenda: faster with strategy work and trust
    if not start:
        for i in range(N):
            if member[r, i] > 0:
                align[r, i] += P[r, ALIGN_RATE] * e_agenda * 2.0 * mean_trust[i] * (1 - align[r, i])
            else:
                align[r, i] -= 0.5 * P[r, ALIGN_RATE] * align[r, i]

    # -- allocation: own mission, common agenda, seen gaps, trusted partners' cover
    if not start:
        inertia = P[r, INERTIA]
        sigma = P[r, NOISE]
        advantage = P[r, ADVANTAGE]
        gap_response = P[r, GAP_RESPONSE]
        noise_scale = sigma * (1 - e_measure)
        gap_pull = gap_response * e_measure
        cover_pull = gap_response * e_reinforce
        for d in range(D):
            per_money[d] = 1.0 / need[d]  # scratch: 1 / need, reused below for coverage
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
                    uncovered = max(0.0, 1.0 - score[d] * per_money[d])
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

    # -- coverage: coordinated services partition the need, the rest overlap by chance
    waste = 0.0
    below = 0.0
    min_cov = 1.0
    extra_total = 0.0
    for d in range(D):
        A[d] = 0.0
        U[d] = 0.0
    for d in range(D):
        spend[d] = PD[r, d, EXTRA]
        per_money[d] = 1.0 / (PD[r, d, UNIT_COST] * need[d])  # share of need one effective dollar serves
    for i in range(N):
        for d in range(D):
            money = service[i] * alloc[r, i, d]
            spend[d] += money
            s = money * cap[r, i, d] * per_money[d]
            served[r, i, d] = s * need[d]
            A[d] += q[i] * s
            U[d] += (1 - q[i]) * s
    for d in range(D):
        extra = PD[r, d, EXTRA]
        extra_total += extra
        U[d] += extra / PD[r, d, UNIT_COST] / need[d]
        a_part = min(1.0, A[d])
        c = a_part + (1 - a_part) * (1 - math.exp(-U[d]))
        cov[r, d] = c
        out_cov[r, d] = c
        # money spent on services that reached people already served (or beyond the need)
        reach = A[d] + U[d]
        if reach > 0:
            waste += spend[d] * (reach - c) / reach
        if c < P[r, FLOOR]:
            below += 1.0
        min_cov = min(min_cov, c)
    inflow += extra_total
    service_total += extra_total

    # -- outcome: a person is helped only if every domain on their path is covered
    access = G[r, ACCESS]
    o_maj = 1.0
    o_marg = 1.0
    for d in range(D):
        rate = PD[r, d, NEED_RATE]
        n_maj = (1 - ms) * rate
        n_marg = ms * min(1.0, rate * mult)
        mean_access = (n_maj + access * n_marg) / (n_maj + n_marg) if n_maj + n_marg > 0 else 1.0
        c_maj = min(1.0, cov[r, d] / mean_access)
        c_marg = min(1.0, cov[r, d] * access / mean_access)
        o_maj *= 1 - min(1.0, rate * root) * (1 - c_maj)
        o_marg *= 1 - min(1.0, rate * mult * root) * (1 - c_marg)
    outcome = (1 - ms) * o_maj + ms * o_marg
    if start:
        G[r, OUTCOME0] = outcome
    gain = max(0.0, outcome - G[r, OUTCOME0])

    # -- membership: members leave after months of cost over seen benefit
    betrayal = P[r, T_BETRAYAL]
    if not start:
        for i in range(N):
            if member[r, i] == 0:
                continue
            cost = meet[i] / budget[i] if budget[i] > 0 else 1.0
            benefit = (P[r, B_PROGRESS] * visibility * gain + P[r, B_SUPPORT] * strength[1]
                       + P[r, B_TRUST] * mean_trust[i] + tolerance[r, i])
            if benefit < cost:
                discontent[r, i] += 1.0
            else:
                discontent[r, i] = max(0.0, discontent[r, i] - 1.0)
            if discontent[r, i] >= P[r, PATIENCE]:
                member[r, i] = 0.0
                for j in range(N):
                    trust[r, j, i] *= 1.0 - betrayal

    # -- advocacy: aligned members' combined influence, superlinear, over a threshold
    weight_all = 0.0
    weight_aligned = 0.0
    for i in range(N):
        weight_all += budget[i]
        weight_aligned += budget[i] * member[r, i] * align[r, i]
    aligned = weight_aligned / weight_all if weight_all > 0 else 0.0
    policy = without + (1 - without) * 0.5 * (strength[3] + strength[4])
    influence = coalition * aligned ** P[r, ADV_EXP] * policy
    if not start and influence > P[r, ADV_THRESHOLD]:
        push = (influence - P[r, ADV_THRESHOLD]) / (1 - P[r, ADV_THRESHOLD])
        if root > P[r, ROOT_FLOOR]:
            G[r, ROOT] = root - P[r, ROOT_DECLINE] * push * (root - P[r, ROOT_FLOOR])

    if not start:
        # -- community voice raises the marginalized group's access
        G[r, ACCESS] = access + P[r, VOICE_RATE] * P[r, VOICE] * coalition * (1 - access)
        # -- fundraising: visible results attract funds for next month's grants
        G[r, RAISED] = P[r, FUNDRAISING] * strength[5] * visibility * gain * funder * coalition

    # -- books: every dollar in is spent on services, meetings, the backbone, or held
    if not start:
        G[r, CUM_INFLOW] += inflow
        G[r, CUM_SERVICES] += service_total
        G[r, CUM_MEETINGS] += meet_total
        G[r, CUM_BACKBONE] += bb_spend
        G[r, CUM_WASTE] += waste

    # -- outputs
    n_exist = 0.0
    align_sum = 0.0
    active = 0.0
    for i in range(N):
        if exists[r, i] > 0:
            n_exist += 1.0
            align_sum += align[r, i]
            active += member[r, i]
    out[r, O_OUTCOME] = outcome
    out[r, O_MAJ] = o_maj
    out[r, O_MARG] = o_marg
    out[r, O_GAP] = o_maj - o_marg
    out[r, O_WASTE] = waste
    out[r, O_BELOW] = below
    out[r, O_MINCOV] = min_cov
    out[r, O_TW] = tstats[0]
    out[r, O_TA] = tstats[1]
    out[r, O_DENS] = tstats[2]
    out[r, O_ACTIVE] = active
    out[r, O_ALIGN] = align_sum / n_exist if n_exist > 0 else 0.0
    out[r, O_ROOT] = G[r, ROOT]
    out[r, O_ACCESS] = G[r, ACCESS]
    out[r, O_INFL] = influence
    out[r, O_BB] = bb_spend
    out[r, O_SERV] = service_total
    out[r, O_MEET] = meet_total
    out[r, O_TOTAL] = service_total + meet_total + bb_spend
    out[r, O_RAISED] = G[r, RAISED]
    out[r, O_UNSPENT] = G[r, BB_RESERVE]


@compiled(nogil=True)
def step(t, P, PD, exists, member, sector, home, own, gweight, tolerance, align, discontent,
         cap, mission, alloc, served, trust, G, cov, noise, fail, out, out_cov, start):
    """Advance every run one month, one run after another.

    It releases the GIL, so the batch runner's threads step their blocks of runs at once.
    """
    work, partners, n_partners = scratch(cap.shape[1], cap.shape[2])
    for r in range(P.shape[0]):
        month(r, t, P, PD, exists, member, sector, home, own, gweight, tolerance, align, discontent,
              cap, mission, alloc, served, trust, G, cov, noise, fail, out, out_cov, start, work, partners, n_partners)
