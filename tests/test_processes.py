"""Each ODD submodel on its own: the compiled process called directly on small hand-built arrays.

The arrays have the model's shapes and dtypes (a leading run axis of one run), so the tests
exercise the very functions ``processes.month`` calls, with the same compiled signatures.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cisim.model import layout as L
from cisim.model.processes.advocacy import influence, lower_root_causes
from cisim.model.processes.alignment import align_with_agenda
from cisim.model.processes.allocation import allocate
from cisim.model.processes.backbone import backbone_functions, income, staff, strengths
from cisim.model.processes.books import keep_books
from cisim.model.processes.budgets import budgets_and_meetings, funder_budget, grants
from cisim.model.processes.conditions import backed, effective_conditions
from cisim.model.processes.coverage import cover, covered
from cisim.model.processes.fundraising import fundraising
from cisim.model.processes.membership import leave, membership
from cisim.model.processes.need import agenda_shares, group_need, monthly_need
from cisim.model.processes.outcome import population_outcome
from cisim.model.processes.outputs import record_outputs
from cisim.model.processes.setup import has_backbone, has_coalition, setup_run
from cisim.model.processes.trust import coordination, pairs
from cisim.model.processes.voice import community_voice
from cisim.model.schema import DOMAIN_FIELDS, FIELDS

R = 0  # the one run of these arrays


def params(**columns: float) -> np.ndarray:
    """``P`` for one run: schema defaults, with the given layout columns (``T_DECAY=0.1``) changed."""
    P = np.array([[f.default for f in FIELDS]], dtype=float)
    for name, value in columns.items():
        P[0, getattr(L, name)] = value
    return P


def domain_params(D: int, **columns: list[float]) -> np.ndarray:
    """``PD`` for one run and D domains: defaults, with the given columns (``NEED_RATE=[0.5, 0.8]``) set."""
    PD = np.tile(np.array([f.default for f in DOMAIN_FIELDS], dtype=float), (1, D, 1))
    for name, values in columns.items():
        PD[0, :, getattr(L, name)] = values
    return PD


def state(**values: float) -> np.ndarray:
    """``G`` for one run, zeros except the given columns (``ROOT=1.0``)."""
    G = np.zeros((1, L.N_GLOBAL))
    for name, value in values.items():
        G[0, getattr(L, name)] = value
    return G


def rows(*values) -> np.ndarray:
    """A (1, ...) float array: one run's row."""
    return np.array([values], dtype=float)


def float32_view(shape: tuple[int, ...], fill: float) -> np.ndarray:
    """Monthly random numbers as the model passes them: one month of a block, float32, not contiguous."""
    return np.full((shape[0], 2, *shape[1:]), fill, dtype=np.float32)[:, 0]


# ---------------------------------------------------------------- backbone (7.1)

def test_backbone_income_is_its_share_plus_extra_while_funded():
    P = params(FUNDER=1000.0, BB_SHARE=0.1, BB_EXTRA=50.0)
    G = state(FUND_FACTOR=1.0, BB_FUNDED=1.0)
    assert income(P, G, R) == pytest.approx(150.0)
    G[0, L.FUND_FACTOR] = 0.5  # a funding shock halves the funder's part only
    assert income(P, G, R) == pytest.approx(100.0)
    G[0, L.BB_FUNDED] = 0.0
    assert income(P, G, R) == 0.0


def test_staff_follow_the_budget_with_a_lag_and_wind_down_on_the_reserve():
    P = params(BB_HIRING=9.0)
    G = state()
    assert staff(P, G, R, 900.0) == pytest.approx(100.0)  # a ninth of the way in the first month
    assert G[0, L.BB_RESERVE] == pytest.approx(800.0)
    spend = staff(P, G, R, 0.0)  # the funding stops: the reserve pays for winding down
    assert 0 < spend < 100.0
    assert G[0, L.BB_RESERVE] == pytest.approx(800.0 - spend)
    G[0, L.BB_RESERVE] = 10.0
    assert staff(P, G, R, 0.0) == pytest.approx(10.0)  # never more than the money there is
    assert G[0, L.BB_RESERVE] == 0.0


def test_function_strength_is_half_at_half_saturation_and_zero_without_effort():
    P = params(BB_HALF=3000.0, BB_HILL=2.5)
    P[0, L.BB_EFFORT:L.BB_EFFORT + 6] = 1.0
    P[0, L.BB_EFFORT + 5] = 0.0  # no effort on funding
    G = state()
    strengths(P, G, R, 5 * 3000.0)
    s = G[0, L.STRENGTH:L.STRENGTH + 6]
    np.testing.assert_allclose(s[:5], 0.5)
    assert s[5] == 0.0
    strengths(P, G, R, 5 * 1000.0)  # below the minimum viable level a function barely works
    assert np.all(G[0, L.STRENGTH:L.STRENGTH + 5] < 0.1)


def test_backbone_at_month_zero_does_nothing_and_says_so():
    P = params(FUNDER=1000.0, BB_SHARE=0.1)
    G = state(FUND_FACTOR=1.0, BB_FUNDED=1.0, BB_CAP=5.0, BB_INCOME=7.0)
    G[0, L.STRENGTH:L.STRENGTH + 6] = 0.3
    assert backbone_functions(P, G, R, True) == 0.0
    assert G[0, L.BB_INCOME] == 0.0 and np.all(G[0, L.STRENGTH:L.STRENGTH + 6] == 0.0)
    assert G[0, L.BB_CAP] == 5.0
    spend = backbone_functions(P, G, R, False)
    assert G[0, L.BB_INCOME] == pytest.approx(100.0) and spend == G[0, L.BB_CAP]


# ---------------------------------------------------------------- effective conditions (7.2)

def test_conditions_work_partly_without_a_backbone_and_not_at_all_without_a_coalition():
    P = params(BB_WITHOUT=0.35, AGENDA=1.0, REINFORCE=0.5, MEASURE=1.0, COMMUNICATE=1.0, MAX_MEETINGS=2.0)
    G = state()
    assert backed(P, R, 0.0) == pytest.approx(0.35) and backed(P, R, 1.0) == pytest.approx(1.0)
    e_agenda, e_reinforce, e_measure, freq, convening, visibility = effective_conditions(P, G, R, 1.0)
    assert (e_agenda, e_reinforce, e_measure) == pytest.approx((0.35, 0.175, 0.35))
    assert freq == 2.0 and convening == pytest.approx(0.35) and visibility == pytest.approx(0.2 + 0.8 * 0.35)
    G[0, L.STRENGTH:L.STRENGTH + 3] = 1.0
    assert effective_conditions(P, G, R, 1.0)[:3] == pytest.approx((1.0, 0.5, 1.0))
    assert effective_conditions(P, G, R, 0.0) == pytest.approx((0.0, 0.0, 0.0, 0.0, 1.0, 0.2))


# ---------------------------------------------------------------- need and the common agenda (7.3, 7.4)

def test_need_scales_with_root_causes_and_the_marginalized_need_more():
    P = params(POP=1000.0, MARG_SHARE=0.3, MARG_NEED=1.5)
    PD = domain_params(2, NEED_RATE=[0.5, 0.8])
    assert group_need(P, PD, R, 0) == pytest.approx((0.35, 0.225))
    assert group_need(P, PD, R, 1) == pytest.approx((0.7 * 0.8, 0.3))  # capped: every marginalized person
    need = np.zeros((1, 2))
    monthly_need(P, PD, state(ROOT=1.0), R, need)
    np.testing.assert_allclose(need[0], [575.0, 860.0])
    half = np.zeros((1, 2))
    monthly_need(P, PD, state(ROOT=0.5), R, half)
    np.testing.assert_allclose(half, need / 2)
    monthly_need(P, PD, state(ROOT=0.0), R, half)
    assert np.all(half > 0)  # never zero: coverage divides by it


def test_the_agenda_shares_money_by_what_meeting_each_need_costs():
    PD = domain_params(3, UNIT_COST=[100.0, 50.0, 200.0])
    need = rows(10.0, 40.0, 5.0)
    agenda = np.empty(3)
    agenda_shares(PD, R, need, agenda)
    np.testing.assert_allclose(agenda, np.array([1000.0, 2000.0, 1000.0]) / 4000.0)


# ---------------------------------------------------------------- budgets and meetings (7.5)

def test_grants_go_to_services_at_month_zero_and_less_the_backbone_after():
    P = params(FUNDER=1000.0, BB_SHARE=0.1)
    G = state(FUND_FACTOR=1.0, RAISED=50.0)
    assert funder_budget(P, G, R) == 1000.0
    assert grants(P, G, R, True) == 1000.0
    assert grants(P, G, R, False) == pytest.approx(950.0)


def test_budgets_meetings_and_services_add_up():
    P = params(FUNDER=1000.0, BB_SHARE=0.1, MEETING_COST=600.0)
    G = state(FUND_FACTOR=1.0, RAISED=50.0, BB_INCOME=30.0)
    exists, member = rows(1, 1, 1, 0), rows(1, 0, 1, 0)
    own, gweight = rows(100, 200, 5000, 0), rows(0.2, 0.3, 0.5, 0.0)
    budget = np.zeros((1, 4))
    meet, service = np.empty(4), np.empty(4)
    inflow, meet_total, service_total = budgets_and_meetings(P, G, R, False, 2.0, exists, member, own, gweight,
                                                             budget, meet, service)
    assert G[0, L.GRANTS] == pytest.approx(950.0)
    np.testing.assert_allclose(budget[0], [290.0, 485.0, 5475.0, 0.0])
    np.testing.assert_allclose(meet, [145.0, 0.0, 1200.0, 0.0])  # at most half the budget; members only
    np.testing.assert_allclose(service, budget[0] - meet)
    assert meet_total == pytest.approx(meet.sum()) and service_total == pytest.approx(service.sum())
    assert inflow == pytest.approx(30.0 + budget.sum())  # the books: backbone income plus every budget


# ---------------------------------------------------------------- trust and ties (7.6, 7.7)

class Pairs:
    """Three organizations (two of sector 0, one of sector 1) and the pass over pairs' scratch."""

    def __init__(self, trust: list[list[float]], **p: float):
        self.P = params(**p)
        self.exists = rows(1, 1, 1)
        self.member = rows(1, 1, 1)
        self.sector = np.array([[0, 0, 1]], dtype=np.int64)
        self.home = np.array([[0, 0, 1]], dtype=np.int64)
        self.trust = np.array([trust], dtype=float)
        self.cap = np.array([[[1.0, 0.2], [1.0, 0.2], [0.1, 1.0]]])
        self.fail = float32_view((1, 3), 1.0)  # nobody fails
        self.mean_trust, self.degree, self.keep, self.stats = np.empty(3), np.empty(3), np.empty(3), np.empty(3)
        self.partners, self.n_partners = np.empty((3, 3), np.int64), np.empty(3, np.int64)

    def run(self, freq: float, update: bool = True) -> None:
        pairs(self.P, R, self.exists, self.member, self.sector, self.home, self.trust, self.cap, self.fail, freq,
              1.0, update, self.mean_trust, self.degree, self.partners, self.n_partners, self.keep, self.stats)


START = [[0.0, 0.4, 0.4], [0.4, 0.0, 0.4], [0.4, 0.4, 0.0]]


def test_trust_decays_without_meetings():
    p = Pairs(START, T_DECAY=0.1)
    p.run(freq=0.0)
    expected = np.array(START) * 0.9
    np.testing.assert_allclose(p.trust[0], expected)
    assert np.all(np.diag(p.trust[0]) == 0)


def test_meetings_build_trust_faster_within_a_sector_than_across():
    p = Pairs(START, T_GROWTH=0.05, T_CROSS=0.45, T_DECAY=0.015)
    p.run(freq=2.0)
    within, across = p.trust[0, 0, 1], p.trust[0, 0, 2]
    assert within == pytest.approx(0.4 + 0.1 * 0.6)  # growth per meeting times meetings, of the distance to 1
    assert 0.4 < across < within


def test_trust_drops_when_a_partner_fails_to_deliver():
    p = Pairs(START, T_DECAY=0.0, T_BETRAYAL=0.3, T_FAIL=0.01)
    p.fail[0, 2] = 0.0  # organization 2 fails this month
    p.run(freq=0.0)
    np.testing.assert_allclose(p.trust[0, :2, 2], 0.4 * 0.7)
    np.testing.assert_allclose(p.trust[0, 0, 1], 0.4)


def test_trusted_partners_are_listed_in_order_and_counted():
    p = Pairs([[0.0, 0.6, 0.7], [0.2, 0.0, 0.9], [0.6, 0.1, 0.0]], T_THRESHOLD=0.5, SPILLOVER=0.0)
    p.run(freq=0.0, update=False)
    assert list(p.n_partners) == [2, 1, 1] and list(p.degree) == [2, 1, 1]
    assert list(p.partners[0, :2]) == [1, 2] and p.partners[1, 0] == 2 and p.partners[2, 0] == 0
    assert p.mean_trust[0] == pytest.approx(0.65)
    within = (0.6 + 0.2) / 2
    across = (0.7 + 0.9 + 0.6 + 0.1) / 4
    np.testing.assert_allclose(p.stats, [within, across, 4 / 6])


def test_capability_spills_over_trusted_ties_across_sectors_only():
    p = Pairs([[0.0, 0.9, 0.9], [0.9, 0.0, 0.1], [0.9, 0.1, 0.0]], T_THRESHOLD=0.5, SPILLOVER=0.3, T_DECAY=0.0)
    p.run(freq=0.0)
    spill = 0.3 / 3
    assert p.cap[0, 0, 1] == pytest.approx(0.2 + spill * (1.0 - 0.2))  # learns sector 1's home domain
    assert p.cap[0, 1, 1] == pytest.approx(0.2)  # no trusted tie across sectors
    assert p.cap[0, 0, 0] == 1.0  # the same-sector partner teaches nothing


def test_coordination_needs_enough_trusted_partners():
    q = np.empty(3)
    coordination(params(COORD_TIES=3.0), R, 0.8, rows(1, 1, 0), np.array([1.0, 5.0, 5.0]), q)
    np.testing.assert_allclose(q, [0.8 / 3, 0.8, 0.0])


# ---------------------------------------------------------------- alignment (7.8)

def test_members_align_with_trust_and_leavers_drift_back():
    align = rows(0.5, 0.5, 0.5)
    align_with_agenda(params(ALIGN_RATE=0.1), R, 1.0, rows(1, 1, 0), np.array([0.5, 0.0, 0.9]), align)
    np.testing.assert_allclose(align[0], [0.5 + 0.1 * 2 * 0.5 * 0.5, 0.5, 0.5 - 0.05 * 0.5])


# ---------------------------------------------------------------- allocation (7.9)

def allocation(member: float, align: float, cov: list[float], inertia: float, e_measure: float = 1.0) -> np.ndarray:
    """One organization's new allocation over two domains, starting from its mission (0.7, 0.3)."""
    P = params(INERTIA=inertia, GAP_RESPONSE=3.0, NOISE=0.35, ADVANTAGE=2.0)
    mission = np.array([[[0.7, 0.3]]])
    alloc = mission.copy()
    allocate(P, R, e_measure, 0.0, rows(100.0, 100.0), np.array([0.5, 0.5]), rows(1), rows(member), rows(align),
             mission, np.ones((1, 1, 2)), np.zeros((1, 1, 2)), rows(*cov), float32_view((1, 1, 2), 0.5),
             np.zeros((1, 1), np.int64), np.zeros(1, np.int64), np.zeros(1), np.empty(2), np.empty(2), alloc)
    return alloc[0, 0]


def test_allocation_follows_mission_alone_and_keeps_its_inertia():
    np.testing.assert_allclose(allocation(member=0, align=0.0, cov=[0.0, 1.0], inertia=0.0), [0.7, 0.3])
    np.testing.assert_allclose(allocation(member=1, align=0.7, cov=[0.0, 1.0], inertia=1.0), [0.7, 0.3])
    assert allocation(member=1, align=0.4, cov=[0.3, 0.6], inertia=0.85).sum() == pytest.approx(1.0)


def test_an_aligned_member_moves_money_to_the_gaps_it_sees():
    # fully aligned: it wants the agenda's even split, pulled towards the uncovered domain
    np.testing.assert_allclose(allocation(member=1, align=1.0, cov=[0.0, 1.0], inertia=0.0), [0.8, 0.2])
    # without shared measurement the gaps it sees do not pull
    blind = allocation(member=1, align=1.0, cov=[0.0, 1.0], inertia=0.0, e_measure=0.0)
    np.testing.assert_allclose(blind, [0.5, 0.5])


# ---------------------------------------------------------------- coverage (7.10)

def coverage_of(q: float, money: float, extra: float = 0.0) -> tuple[float, float, np.ndarray]:
    """Two organizations each spending ``money`` on one domain of need 100 people at $100 each."""
    P = params(FLOOR=0.5)
    PD = domain_params(1, UNIT_COST=[100.0], EXTRA=[extra])
    served, cov, reach = np.zeros((1, 2, 1)), np.zeros((1, 1)), np.zeros((1, 1))
    waste, below, min_cov, extra_total = cover(P, PD, R, rows(100.0), np.array([money, money]), np.ones((1, 2, 1)),
                                               np.ones((1, 2, 1)), np.array([q, q]), served, cov, reach,
                                               np.empty(1), np.empty(1), np.empty(1), np.empty(1))
    assert extra_total == extra and min_cov == cov[0, 0] and below == float(cov[0, 0] < 0.5)
    np.testing.assert_allclose(served[0, :, 0], money / 100.0)
    return float(cov[0, 0]), waste, reach[0]


def test_coordinated_services_partition_need_and_waste_nothing():
    cov, waste, reach = coverage_of(q=1.0, money=5000.0)
    assert cov == pytest.approx(1.0) and waste == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(reach, 1.0)


def test_uncoordinated_services_overlap_by_chance():
    cov, waste, reach = coverage_of(q=0.0, money=5000.0)
    assert cov == pytest.approx(1 - math.exp(-1.0))
    assert waste == pytest.approx(10000.0 * math.exp(-1.0))  # money that reached people already served
    np.testing.assert_allclose(reach, 1.0)


def test_coverage_never_exceeds_one():
    for q in (0.0, 0.5, 1.0):
        cov, _, reach = coverage_of(q=q, money=1e9, extra=1e9)
        assert cov <= 1.0 and reach[0] > 1e4
    assert covered(7.0, 0.0) == 1.0 and covered(0.3, 50.0) <= 1.0
    assert covered(0.3, 0.0) == pytest.approx(0.3) and covered(0.0, 1.0) == pytest.approx(1 - math.exp(-1.0))


def test_earmarked_money_serves_people_too():
    cov, _, _ = coverage_of(q=0.0, money=0.0, extra=10000.0)
    assert cov == pytest.approx(1 - math.exp(-1.0))


# ---------------------------------------------------------------- outcome (7.11)

def test_outcome_is_a_weakest_link_chain_and_lower_access_opens_a_gap():
    P = params(MARG_SHARE=0.3, MARG_NEED=1.5)
    PD = domain_params(2, NEED_RATE=[0.5, 0.4])
    G = state(ROOT=1.0, ACCESS=1.0)
    assert population_outcome(P, PD, G, R, True, rows(1.0, 1.0))[:3] == pytest.approx((1.0, 1.0, 1.0))
    outcome, o_maj, o_marg, gain = population_outcome(P, PD, G, R, False, rows(0.0, 1.0))
    assert o_maj == pytest.approx(0.5) and o_marg == pytest.approx(0.25)  # domain 0 uncovered breaks the chain
    assert outcome == pytest.approx(0.7 * 0.5 + 0.3 * 0.25) and gain == 0.0  # below month 0's outcome of 1
    G[0, L.ACCESS] = 0.6
    _, o_maj, o_marg, _ = population_outcome(P, PD, G, R, False, rows(0.8, 0.8))
    assert o_marg < o_maj


def test_month_zero_sets_the_status_quo_that_gains_are_measured_from():
    P, PD = params(), domain_params(2)
    G = state(ROOT=1.0, ACCESS=1.0)
    first = population_outcome(P, PD, G, R, True, rows(0.3, 0.3))
    assert G[0, L.OUTCOME0] == first[0] and first[3] == 0.0
    later = population_outcome(P, PD, G, R, False, rows(0.6, 0.6))
    assert later[3] == pytest.approx(later[0] - first[0]) and later[3] > 0
    assert G[0, L.OUTCOME0] == first[0]


# ---------------------------------------------------------------- membership (7.12)

def test_a_member_whose_cost_exceeds_benefit_for_patience_months_leaves():
    P = params(PATIENCE=6, T_BETRAYAL=0.3, B_PROGRESS=0.0, B_SUPPORT=0.0, B_TRUST=0.0)
    G = state()
    member, discontent = rows(1, 1), rows(0, 0)
    trust = np.array([[[0.0, 0.8], [0.8, 0.0]]])
    budget, meet = rows(1000.0, 1000.0), np.array([600.0, 0.0])
    for month in range(1, 6):
        membership(P, G, R, 1.0, 0.0, budget, meet, np.zeros(2), rows(0.0, 0.0), discontent, member, trust)
        assert member[0, 0] == 1 and discontent[0, 0] == month
    membership(P, G, R, 1.0, 0.0, budget, meet, np.zeros(2), rows(0.0, 0.0), discontent, member, trust)
    assert member[0, 0] == 0 and member[0, 1] == 1 and discontent[0, 1] == 0
    assert trust[0, 1, 0] == pytest.approx(0.8 * 0.7) and trust[0, 0, 1] == 0.8  # the others trust it less


def test_discontent_heals_when_membership_is_worth_it_again():
    P = params(PATIENCE=6, B_PROGRESS=4.0)
    member, discontent = rows(1), rows(4)
    membership(P, state(), R, 1.0, 0.5, rows(1000.0), np.array([600.0]), np.zeros(1), rows(0.0), discontent, member,
               np.zeros((1, 1, 1)))
    assert discontent[0, 0] == 3 and member[0, 0] == 1


def test_leaving_costs_the_leaver_the_others_trust():
    member = rows(1, 1, 1)
    trust = np.full((1, 3, 3), 0.5)
    leave(params(T_BETRAYAL=0.2), R, member, trust, 1)
    assert list(member[0]) == [1, 0, 1]
    np.testing.assert_allclose(trust[0, :, 1], 0.4)
    np.testing.assert_allclose(trust[0, :, [0, 2]], 0.5)


# ---------------------------------------------------------------- advocacy (7.13)

def test_influence_grows_with_the_aligned_share_and_needs_a_coalition():
    P = params(ADV_EXP=2.0, BB_WITHOUT=0.0)
    G = state()
    G[0, L.STRENGTH + 3] = G[0, L.STRENGTH + 4] = 1.0
    budget, member = rows(1.0, 1.0, 2.0), rows(1, 0, 1)
    assert influence(P, G, R, 1.0, budget, member, rows(1.0, 1.0, 0.0)) == pytest.approx(0.25 ** 2)
    assert influence(P, G, R, 1.0, budget, member, rows(1.0, 1.0, 1.0)) == pytest.approx(0.75 ** 2)
    assert influence(P, G, R, 0.0, budget, member, rows(1.0, 1.0, 1.0)) == 0.0


def test_advocacy_lowers_root_causes_only_above_the_threshold():
    P = params(ADV_THRESHOLD=0.2, ROOT_DECLINE=0.03, ROOT_FLOOR=0.6)
    G = state(ROOT=1.0)
    lower_root_causes(P, G, R, 0.2)
    assert G[0, L.ROOT] == 1.0
    lower_root_causes(P, G, R, 0.6)
    assert G[0, L.ROOT] == pytest.approx(1.0 - 0.03 * 0.5 * 0.4)
    G[0, L.ROOT] = 0.6
    lower_root_causes(P, G, R, 1.0)
    assert G[0, L.ROOT] == 0.6  # not below the floor


# ---------------------------------------------------------------- community voice (7.14)

def test_voice_raises_access_only_in_a_coalition():
    P = params(VOICE=1.0, VOICE_RATE=0.04)
    G = state(ACCESS=0.6)
    community_voice(P, G, R, 0.0)
    assert G[0, L.ACCESS] == 0.6
    community_voice(P, G, R, 1.0)
    assert G[0, L.ACCESS] == pytest.approx(0.6 + 0.04 * 0.4)
    G[0, L.ACCESS] = 1.0
    community_voice(P, G, R, 1.0)
    assert G[0, L.ACCESS] == 1.0


# ---------------------------------------------------------------- fundraising (7.15)

def test_visible_gains_raise_funds_in_proportion_to_the_funder_budget():
    P = params(FUNDRAISING=0.3, FUNDER=1000.0)
    G = state(FUND_FACTOR=1.0)
    G[0, L.STRENGTH + 5] = 0.5
    fundraising(P, G, R, 1.0, 1.0, 0.1)
    assert G[0, L.RAISED] == pytest.approx(15.0)
    fundraising(P, G, R, 1.0, 1.0, 0.0)
    assert G[0, L.RAISED] == 0.0
    fundraising(P, G, R, 0.0, 1.0, 0.1)
    assert G[0, L.RAISED] == 0.0


# ---------------------------------------------------------------- books (7.16)

def test_the_books_add_up_over_months():
    G = state()
    keep_books(G, R, 100.0, 60.0, 30.0, 10.0, 5.0)
    keep_books(G, R, 50.0, 20.0, 20.0, 10.0, 1.0)
    books = G[0, [L.CUM_INFLOW, L.CUM_SERVICES, L.CUM_MEETINGS, L.CUM_BACKBONE, L.CUM_WASTE]]
    np.testing.assert_allclose(books, [150.0, 80.0, 50.0, 20.0, 6.0])
    assert books[0] == books[1] + books[2] + books[3]


# ---------------------------------------------------------------- outputs (4.11)

def test_outputs_are_written_by_name():
    G = state(ROOT=0.9, ACCESS=0.7, RAISED=12.0, BB_RESERVE=3.0)
    out, out_cov = np.zeros((1, L.N_OUTPUTS + 2))[:, :L.N_OUTPUTS], np.zeros((1, L.N_OUTPUTS + 2))[:, L.N_OUTPUTS:]
    record_outputs(G, R, rows(1, 1, 0), rows(1, 0, 0), rows(0.2, 0.4, 0.9), rows(0.3, 0.8), np.array([0.5, 0.2, 0.1]),
                   0.6, 0.7, 0.4, 9.0, 1.0, 0.3, 0.05, 10.0, 100.0, 20.0, out, out_cov)
    o = dict(zip(L.OUTPUTS, out[0]))
    assert o["equity_gap"] == pytest.approx(0.3) and o["total_spend"] == 130.0
    assert o["mean_alignment"] == pytest.approx(0.3) and o["active_members"] == 1.0  # existing organizations only
    assert (o["root_cause"], o["marginalized_access"], o["funds_raised"], o["unspent"]) == (0.9, 0.7, 12.0, 3.0)
    assert (o["trust_within"], o["trust_across"], o["tie_density"]) == (0.5, 0.2, 0.1)
    np.testing.assert_array_equal(out_cov[0], [0.3, 0.8])


# ---------------------------------------------------------------- setup (5)

def test_a_coalition_needs_a_condition_or_a_backbone_and_voice_alone_is_not_one():
    P = np.tile(params(AGENDA=0.0, MEASURE=0.0, REINFORCE=0.0, COMMUNICATE=0.0, BB_SHARE=0.0, BB_EXTRA=0.0), (5, 1))
    P[1, L.VOICE] = 1.0
    P[2, L.MEASURE] = 0.5
    P[3, L.BB_EXTRA] = 100.0
    P[4, L.BB_SHARE] = 0.05
    assert [has_coalition(P, r) for r in range(5)] == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert [has_backbone(P, r) for r in range(5)] == [False, False, False, True, True]


def test_setup_builds_a_run_of_organizations():
    n, D = 4, 3
    P, PD = params(), domain_params(D, VISIBILITY=[0.2, 0.5, 0.9])
    arrays = {k: np.zeros((1, n)) for k in ("exists", "member", "own", "gweight", "tol")}
    sector, home = np.zeros((1, n), np.int64), np.zeros((1, n), np.int64)
    cap, mission, alloc, trust, G = (np.zeros((1, n, D)), np.zeros((1, n, D)), np.zeros((1, n, D)),
                                     np.zeros((1, n, n)), np.zeros((1, L.N_GLOBAL)))
    rng = np.random.default_rng(0)
    setup_run(R, n, P, PD, np.array([0, 0, 1, 1]), np.array([[0, 1], [2, 0]]), np.array([2, 1]), rng.random(n),
              np.array([1.0, 2.0, 3.0, 4.0]), rng.uniform(0.8, 1.2, (n, D)), rng.standard_normal((n, n)),
              np.full(n, 0.01), arrays["exists"], arrays["member"], sector, home, arrays["own"], arrays["gweight"],
              arrays["tol"], cap, mission, alloc, trust, G)
    assert list(sector[0]) == [0, 0, 1, 1] and all(h == 2 for h in home[0, 2:])
    assert arrays["gweight"].sum() == pytest.approx(1.0) and np.all(arrays["member"] == has_coalition(P, R))
    np.testing.assert_allclose(mission[0].sum(axis=1), 1.0)
    np.testing.assert_array_equal(alloc, mission)
    assert np.all(np.diag(trust[0]) == 0) and trust.min() >= 0 and trust.max() <= 1
    assert (G[0, L.ROOT], G[0, L.FUND_FACTOR], G[0, L.BB_FUNDED], G[0, L.COALITION]) == (1.0, 1.0, 1.0, 1.0)


# ---------------------------------------------------------------- the faces read what the processes wrote

def test_agents_and_views_read_budgets_grants_income_and_reach_from_the_state():
    from cisim.interfaces import views
    from cisim.model.coalition import CoalitionModel

    model = views.ClassroomModel("collective", 1)
    w = model.world
    assert w.G[0, L.GRANTS] == pytest.approx(w.P[0, L.FUNDER])  # month 0: all of it to services
    for _ in range(3):
        model.step()
    n = len(model.organizations)
    np.testing.assert_allclose(w.budget[0, :n], w.own[0, :n] + w.gweight[0, :n] * w.G[0, L.GRANTS])
    assert [o.budget for o in model.organizations] == w.budget[0, :n].tolist()
    np.testing.assert_array_equal(views.budgets(model), w.budget[0, :n])
    np.testing.assert_array_equal(views.effort_per_domain(model), w.reach[0])
    assert model.backbone.budget == w.G[0, L.BB_INCOME] == pytest.approx(income(w.P, w.G, 0))
    assert CoalitionModel("isolated", rng=1).backbone is None
