"""Each ODD submodel on its own: the compiled process called directly on small hand-built arrays.

The arrays have the model's shapes and dtypes (a leading run axis of one run), so the tests
exercise the very functions ``processes.month`` calls, with the same compiled signatures.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from cisim.model import layout as L
from cisim.model.processes.access import barrier_relief
from cisim.model.processes.advocacy import influence, lower_root_causes
from cisim.model.processes.alignment import align_with_agenda
from cisim.model.processes.allocation import allocate
from cisim.model.processes.backbone import backbone_month, build_stocks, hire, income, staff_needed
from cisim.model.processes.books import keep_books
from cisim.model.processes.budgets import budgets_and_meetings, funder_budget, grants, meeting_cost
from cisim.model.processes.capacity import capacity, effective_places, idle_money
from cisim.model.processes.conditions import backed, effective_conditions
from cisim.model.processes.fundraising import fundraising
from cisim.model.processes.membership import leave, membership
from cisim.model.processes.month import agenda_shares
from cisim.model.processes.outcome import completion, months_to_completion, rate, remember
from cisim.model.processes.outputs import record_outputs
from cisim.model.processes.pathway import (
    at_risk,
    enter_need,
    entrants,
    finish_and_give_up,
    people_on_pathway,
    route,
    start_services,
)
from cisim.model.processes.perception import SQRT12, own_view, pressure, pressures
from cisim.model.processes.setup import has_backbone, has_coalition, setup_run
from cisim.model.processes.trust import coordination, pairs
from cisim.model.processes.voice import voice_weights
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


#: Rows of the pathway by short name: WAIT_M and SERVE_M are the marginalized group's.
PATH_ROWS = {"WAIT": L.WAIT, "WAIT_M": L.WAIT + 1, "SERVE": L.SERVE, "SERVE_M": L.SERVE + 1, "SLOTS": L.SLOTS,
             "ARRIVED": L.ARRIVED, "DROPPED": L.DROPPED, "IDLE": L.IDLE}


def pathway(D: int, **values: list[float]) -> np.ndarray:
    """``path`` for one run and D steps, zeros except the given rows (``WAIT=[10, 0]``, ``SLOTS=[5, 5]``)."""
    path = np.zeros((1, L.N_PATH, D))
    for name, v in values.items():
        path[0, PATH_ROWS[name]] = v
    return path


def people_month(P, PD, G, r, path, access):
    """The pathway's month with fixed places (``path[r, SLOTS]``): the steps ``month.people_and_places`` takes
    around the buying of places and barrier relief."""
    finish_and_give_up(P, PD, G, r, path)
    enter_need(P, PD, G, r, path)
    start_services(r, path, access)


def everyone(G: np.ndarray, path: np.ndarray) -> float:
    """Everyone accounted for: on the pathway, helped, or dropped out."""
    return people_on_pathway(R, path) + G[0, L.HELPED] + G[0, L.HELPED + 1] + G[0, L.GONE]


# ---------------------------------------------------------------- the pathway (7.3)

def test_entrants_follow_incidence_root_causes_and_the_marginalized_need_more():
    P = params(POP=1000.0, INCIDENCE=0.02, MARG_SHARE=0.3, MARG_NEED=1.5)
    G = state(ROOT=1.0)
    path = pathway(2)
    assert entrants(P, G, R, path, 0) == pytest.approx(1000 * 0.02 * 0.7)
    assert entrants(P, G, R, path, 1) == pytest.approx(1000 * 0.02 * 0.3 * 1.5)
    G[0, L.ROOT] = 0.5
    assert entrants(P, G, R, path, 0) == pytest.approx(7.0) and entrants(P, G, R, path, 1) == pytest.approx(4.5)


def test_people_on_the_pathway_or_helped_are_out_of_the_pool_at_risk():
    P = params(POP=1000.0, INCIDENCE=0.02, MARG_SHARE=0.3, MARG_NEED=1.5)
    G = state(ROOT=1.0, HELPED=100.0)
    G[0, L.HELPED + 1] = 50.0
    path = pathway(2, WAIT=[100.0, 0.0], SERVE=[0.0, 100.0], WAIT_M=[50.0, 0.0])
    assert at_risk(P, G, R, path, 0) == pytest.approx(700 - 300) and at_risk(P, G, R, path, 1) == pytest.approx(200)
    assert entrants(P, G, R, path, 0) == pytest.approx(400 * 0.02)
    G[0, L.HELPED] = 1e6  # never fewer than nobody at risk
    assert at_risk(P, G, R, path, 0) == 0.0 and entrants(P, G, R, path, 0) == 0.0


def test_route_sends_a_need_rate_share_to_each_later_step_and_the_rest_out():
    PD = domain_params(3, NEED_RATE=[0.5, 0.4, 0.5])
    path = pathway(3)
    done = route(PD, R, path, 0, 0, 100.0)  # 100 people finished step 0
    np.testing.assert_allclose(path[0, L.WAIT], [0.0, 40.0, 30.0])  # 40 need step 1; of the other 60, half step 2
    np.testing.assert_allclose(path[0, L.ARRIVED], [0.0, 40.0, 30.0])
    assert done == pytest.approx(30.0) and path[0, L.WAIT + 1].sum() == 0
    assert route(PD, R, path, 1, 2, 10.0) == 10.0  # after the last step, everyone is done


def test_entrants_need_at_least_one_step_so_all_of_them_join_a_queue():
    PD = domain_params(3, NEED_RATE=[0.5, 0.4, 0.5])
    path = pathway(3)
    assert route(PD, R, path, 1, -1, 85.0) == 0.0
    assert path[0, L.WAIT + 1].sum() == pytest.approx(85.0)  # nobody is lost or done before a step
    none = 0.5 * 0.6 * 0.5
    np.testing.assert_allclose(path[0, L.WAIT + 1], np.array([0.5, 0.5 * 0.4, 0.5 * 0.6 * 0.5]) * 85.0 / (1 - none))
    assert path[0, L.WAIT].sum() == 0.0


def test_finished_services_move_on_and_complete():
    P = params(DROPOUT=0.0)
    PD = domain_params(2, NEED_RATE=[1.0, 0.4], DURATION=[3.0, 2.0])
    path = pathway(2, SERVE=[30.0, 10.0], SERVE_M=[6.0, 0.0], ARRIVED=[7.0, 7.0], DROPPED=[1.0, 1.0])
    G = state(HELPED=5.0)
    finish_and_give_up(P, PD, G, R, path)
    # step 0: a third finish (10 and 2), 40% of them need step 1; step 1: half finish (5), all done
    np.testing.assert_allclose(path[0, L.SERVE], [20.0, 5.0])
    np.testing.assert_allclose(path[0, L.SERVE + 1], [4.0, 0.0])
    np.testing.assert_allclose(path[0, L.WAIT], [0.0, 4.0])
    np.testing.assert_allclose(path[0, L.WAIT + 1], [0.0, 0.8])
    np.testing.assert_allclose(path[0, L.ARRIVED], [0.0, 4.8])  # this month's flows start from zero
    np.testing.assert_allclose(path[0, L.DROPPED], [0.0, 0.0])
    np.testing.assert_allclose(G[0, L.FLOW_DONE:L.FLOW_DONE + 2], [6.0 + 5.0, 1.2])
    np.testing.assert_allclose(G[0, L.HELPED:L.HELPED + 2], [5.0 + 11.0, 1.2])


def test_people_are_conserved_through_months_of_the_pathway():
    rng = np.random.default_rng(3)
    D = 3
    P = params(POP=5000.0, INCIDENCE=0.03, RELAPSE=0.05, DROPOUT=0.1)
    PD = domain_params(D, NEED_RATE=[0.7, 0.3, 0.5], DURATION=[2.0, 5.0, 1.0])
    path = pathway(D, WAIT=rng.uniform(0, 50, D), WAIT_M=rng.uniform(0, 50, D), SERVE=rng.uniform(0, 50, D),
                   SERVE_M=rng.uniform(0, 50, D))
    G = state(ROOT=1.0)
    G[0, L.ENTERED] = people_on_pathway(R, path)
    for _ in range(36):
        before = G[0, L.ENTERED]
        path[0, L.SLOTS] = rng.uniform(0, 150, D)
        finish_and_give_up(P, PD, G, R, path)
        enter_need(P, PD, G, R, path)
        start_services(R, path, rng.uniform(0.05, 1.0))
        assert everyone(G, path) == pytest.approx(G[0, L.ENTERED], rel=1e-12)
        assert G[0, L.ENTERED] >= before
        assert path[0, :4].min() >= 0
        np.testing.assert_allclose(path[0, L.DROPPED].sum(), G[0, L.FLOW_DROP] + G[0, L.FLOW_DROP + 1])


def test_a_step_with_no_places_holds_everyone_behind_it_until_they_give_up():
    P = params(POP=1000.0, INCIDENCE=0.02, DROPOUT=0.1, RELAPSE=0.0, MARG_NEED=1.0)
    PD = domain_params(2, NEED_RATE=[1.0, 1.0])
    path = pathway(2, SLOTS=[0.0, 1e6])
    G = state(ROOT=1.0)
    for _ in range(150):
        waiting = path[0, L.WAIT, 0] + path[0, L.WAIT + 1, 0]
        people_month(P, PD, G, R, path, 1.0)
        assert path[0, L.DROPPED, 0] == pytest.approx(0.1 * waiting)
        assert G[0, L.FLOW_DROP] + G[0, L.FLOW_DROP + 1] == pytest.approx(0.1 * waiting)
        assert path[0, :4, 1].sum() == 0 and path[0, L.ARRIVED, 1] == 0  # nobody gets past step 0
        assert path[0, L.SERVE:L.SERVE + 2, 0].sum() == 0
        assert G[0, L.FLOW_DONE] + G[0, L.FLOW_DONE + 1] == 0
    # the queue settles where the drop-outs match the entrants, who come from those not waiting after this
    # month's drop-outs: 0.1 W = 0.02 (1000 - 0.9 W)
    W = 1000 * 0.02 / (0.1 + 0.02 * 0.9)
    assert path[0, L.WAIT:L.WAIT + 2, 0].sum() == pytest.approx(W, rel=1e-4)
    assert path[0, L.DROPPED, 0] == pytest.approx(0.1 * W, rel=1e-4)
    assert everyone(G, path) == pytest.approx(G[0, L.ENTERED], rel=1e-12)


def test_relapse_moves_helped_people_back_into_need():
    P = params(INCIDENCE=0.0, RELAPSE=0.1)
    PD = domain_params(2, NEED_RATE=[0.5, 0.5])
    G = state(ROOT=1.0)
    G[0, L.HELPED:L.HELPED + 2] = [100.0, 50.0]
    path = pathway(2)
    enter_need(P, PD, G, R, path)
    np.testing.assert_allclose(G[0, L.HELPED:L.HELPED + 2], [90.0, 45.0])
    assert path[0, L.WAIT].sum() == pytest.approx(10.0) and path[0, L.WAIT + 1].sum() == pytest.approx(5.0)
    np.testing.assert_allclose(G[0, L.FLOW_IN:L.FLOW_IN + 2], [10.0, 5.0])
    assert G[0, L.ENTERED] == 0.0  # relapses are not new people: conservation holds without them


def test_people_are_conserved_when_nobody_needs_any_step():
    P = params(POP=1000.0, INCIDENCE=0.02, RELAPSE=0.1)
    PD = domain_params(2, NEED_RATE=[0.0, 0.0])
    G = state(ROOT=1.0, HELPED=10.0, ENTERED=10.0)
    path = pathway(2, SLOTS=[10.0, 10.0])
    people_month(P, PD, G, R, path, 1.0)
    assert everyone(G, path) == pytest.approx(G[0, L.ENTERED], rel=1e-12)
    assert G[0, L.ENTERED] > 10.0 and people_on_pathway(R, path) == 0.0  # they need nothing: helped at once


def test_start_services_gives_the_marginalized_less_and_never_overfills():
    path = pathway(1, WAIT=[60.0], WAIT_M=[40.0], SLOTS=[50.0])
    start_services(R, path, 0.5)
    # takers: 60 + 0.5 * 40 = 80 for 50 places
    assert path[0, L.SERVE, 0] == pytest.approx(60 * 50 / 80) and path[0, L.SERVE + 1, 0] == pytest.approx(12.5)
    assert path[0, L.SERVE:L.SERVE + 2, 0].sum() == pytest.approx(50.0)
    assert path[0, L.SERVE + 1, 0] / 40 < path[0, L.SERVE, 0] / 60
    roomy = pathway(1, WAIT=[60.0], WAIT_M=[40.0], SLOTS=[500.0])
    start_services(R, roomy, 0.5)
    assert roomy[0, L.SERVE, 0] == 60.0 and roomy[0, L.SERVE + 1, 0] == pytest.approx(20.0)
    assert roomy[0, L.WAIT, 0] == 0.0 and roomy[0, L.WAIT + 1, 0] == pytest.approx(20.0)
    equal = pathway(1, WAIT=[60.0], WAIT_M=[40.0], SLOTS=[50.0])
    start_services(R, equal, 1.0)  # full access: the same share of each group
    assert equal[0, L.SERVE, 0] / 60 == pytest.approx(equal[0, L.SERVE + 1, 0] / 40)


def test_start_services_fills_only_the_room_left_by_people_still_in_service():
    rng = np.random.default_rng(5)
    for _ in range(200):
        path = pathway(3, WAIT=rng.uniform(0, 100, 3), WAIT_M=rng.uniform(0, 100, 3), SERVE=rng.uniform(0, 60, 3),
                       SERVE_M=rng.uniform(0, 60, 3), SLOTS=rng.uniform(0, 200, 3))
        busy = path[0, L.SERVE] + path[0, L.SERVE + 1]
        queue = path[0, L.WAIT] + path[0, L.WAIT + 1]
        start_services(R, path, rng.uniform(0.05, 1.0))
        after = path[0, L.SERVE] + path[0, L.SERVE + 1]
        assert np.all(after <= np.maximum(path[0, L.SLOTS], busy) * (1 + 1e-12))
        assert np.all(after >= busy) and np.all(path[0, :4] >= 0)
        np.testing.assert_allclose(after + path[0, L.WAIT] + path[0, L.WAIT + 1], busy + queue)


# ---------------------------------------------------------------- places of service (7.10)

def places(q: float, money: float = 5000.0, demand: float = 100.0, fresh: float = 0.0, extra: float = 0.0,
           **p: float):
    """Two organizations each spending ``money`` on one step at $100 a person-month; ``demand`` people waiting."""
    P = params(**{"COORD_COST": 0.0, **p})
    PD = domain_params(1, UNIT_COST=[100.0], EXTRA=[extra])
    path = pathway(1, WAIT=[demand])
    served = np.zeros((1, 2, 1))
    A, U, spend = np.empty(1), np.empty(1), np.empty(1)
    extra_total = capacity(P, PD, R, path, np.array([money, money]), np.ones((1, 2, 1)), np.full((1, 2, 1), fresh),
                           np.ones((1, 2, 1)), np.array([q, q]), served, A, U, spend)
    assert extra_total == extra
    return path[0, L.SLOTS, 0], served[0, :, 0], A[0], U[0], spend[0]


def test_coordinated_places_add_up():
    slots, served, A, U, spend = places(q=1.0)
    np.testing.assert_allclose(served, [50.0, 50.0])
    assert (A, U) == (100.0, 0.0) and slots == pytest.approx(100.0) and spend == 10000.0
    assert effective_places(30.0, 0.0, 100.0) == 30.0
    assert effective_places(150.0, 20.0, 100.0) == 150.0  # referrals reach everyone: the rest finds no one new


def test_uncoordinated_places_overlap_most_when_demand_is_small():
    slots, served, A, U, _ = places(q=0.0)
    np.testing.assert_allclose(served, [50.0, 50.0])  # each buys as many places ...
    assert A == 0.0 and U == 100.0
    assert slots == pytest.approx(100 * (1 - math.exp(-1.0)))  # ... but they overlap
    small, *_ = places(q=0.0, demand=20.0)
    assert small == pytest.approx(20 * (1 - math.exp(-5.0))) and small < 20.0
    assert places(q=1.0, demand=20.0)[0] == pytest.approx(100.0)
    half, *_ = places(q=0.5)
    assert half == pytest.approx(50 + 50 * (1 - math.exp(-1.0)))
    assert effective_places(40.0, 30.0, 100.0) == pytest.approx(40 + 60 * (1 - math.exp(-0.5)))


def test_referrals_cost_coordinated_places():
    _, served, A, _, spend = places(q=1.0, COORD_COST=0.1)
    np.testing.assert_allclose(served, [45.0, 45.0])
    assert A == pytest.approx(90.0) and spend == 10000.0


def test_startup_cost_buys_no_places_with_money_just_moved():
    slots, served, A, _, spend = places(q=1.0, fresh=0.4, STARTUP=0.5)
    np.testing.assert_allclose(served, [40.0, 40.0])  # a fifth of the money goes to starting up
    assert spend == 10000.0 and slots == pytest.approx(80.0)  # all of it is still spent
    _, none_moved, *_ = places(q=1.0, fresh=0.0, STARTUP=1.0)
    np.testing.assert_allclose(none_moved, [50.0, 50.0])


def test_earmarked_money_buys_uncoordinated_places():
    slots, served, A, U, spend = places(q=1.0, money=0.0, extra=1000.0)
    assert np.all(served == 0) and A == 0.0 and U == pytest.approx(10.0) and spend == 1000.0
    assert slots == pytest.approx(100 * (1 - math.exp(-0.1)))


def test_idle_money_is_the_share_of_places_unused_and_coverage_the_share_served():
    P = params(FLOOR=0.5)
    path = pathway(3, SERVE=[30.0, 0.0, 50.0], WAIT=[10.0, 5.0, 0.0])
    A, U, spend = np.array([30.0, 0.0, 20.0]), np.array([10.0, 0.0, 0.0]), np.array([4000.0, 0.0, 2000.0])
    cov = np.empty(3)
    waste, below, low = idle_money(P, R, path, A, U, spend, cov)
    np.testing.assert_allclose(path[0, L.IDLE], [0.25, 0.0, 0.0])  # step 2: more in service than bought, no idle
    assert waste == pytest.approx(1000.0)
    np.testing.assert_allclose(cov, [0.75, 0.0, 1.0])
    assert below == 1.0 and low == 0.0
    assert idle_money(P, R, pathway(1), np.zeros(1), np.zeros(1), np.zeros(1), cov[:1]) == (0.0, 0.0, 1.0)


# ---------------------------------------------------------------- perception (7.8)

def view(alloc: list[float], seen: list[float], fill: float = 0.5, exists: float = 1.0, **p: float) -> np.ndarray:
    """One organization's own view of two steps with pressure 2 and 3 (20 and 30 waiting at 9 places)."""
    P = params(**{"NOISE": 0.0, "LAG": 1.0, **p})
    path = pathway(2, WAIT=[12.0, 30.0], WAIT_M=[8.0, 0.0], SLOTS=[9.0, 9.0])
    s = np.array([[seen]], dtype=float)
    asks = np.empty(path.shape[2])
    pressures(path, R, asks)
    own_view(P, R, asks, rows(exists), np.array([[alloc]], dtype=float), float32_view((1, 1, 2), fill), s)
    return s[0, 0]


def test_pressure_is_waiting_per_place_less_idle_places():
    path = pathway(2, WAIT=[12.0, 0.0], WAIT_M=[8.0, 0.0], SLOTS=[9.0, 4.0], IDLE=[0.0, 0.4])
    assert pressure(path, R, 0) == pytest.approx(2.0)
    assert pressure(path, R, 1) == pytest.approx(-0.4)  # empty places ask for less money
    assert view([0.5, 0.5], [0.0, 0.0])[0] == pytest.approx(2.0)


def test_the_own_view_sees_nothing_at_a_step_it_does_not_serve():
    np.testing.assert_allclose(view([1.0, 0.0], [0.0, 0.0]), [2.0, 0.0])
    np.testing.assert_allclose(view([1.0, 0.0], [0.0, 1.5]), [2.0, 0.0])  # and forgets what it saw there
    np.testing.assert_allclose(view([0.25, 0.75], [0.0, 0.0]), [1.0, 3.0])  # as far as it serves a step


def test_the_own_view_lags_by_a_share_of_the_gap_each_month():
    first = view([0.5, 0.5], [0.0, 1.0], LAG=4.0)
    np.testing.assert_allclose(first, [0.5, 1.5])
    second = view([0.5, 0.5], list(first), LAG=4.0)
    np.testing.assert_allclose(second, [2.0 - 1.5 * 0.75, 3.0 - 1.5 * 0.75])
    assert view([0.5, 0.5], [0.0, 0.0], exists=0.0).tolist() == [0.0, 0.0]  # no organization, no view


def test_noise_changes_the_own_view():
    np.testing.assert_allclose(view([0.5, 0.5], [0.0, 0.0], fill=0.5, NOISE=1.0), [2.0, 3.0])  # a draw of 1/2: no error
    high = view([0.5, 0.5], [0.0, 0.0], fill=1.0, NOISE=0.35)
    err = 1 + 0.35 * SQRT12 * 0.5
    np.testing.assert_allclose(high, [2.0 * err, 3.0 * err], rtol=1e-6)  # float32 draws
    np.testing.assert_allclose(view([0.5, 0.5], [0.0, 0.0], fill=0.0, NOISE=2.0), [0.0, 0.0])  # never negative
    np.testing.assert_allclose(view([0.5, 0.5], [0.0, 0.0], fill=1.0, NOISE=0.0), [2.0, 3.0])


# ---------------------------------------------------------------- community voice (7.14)

def voice_of(coalition: float, relief: list[float], **p: float) -> np.ndarray:
    P = params(**{"VOICE": 1.0, "VOICE_WEIGHT": 2.0, **p})
    PD = domain_params(2, RELIEF=relief)
    G = state(ACCESS=0.5)
    path = pathway(2, WAIT=[100.0, 100.0], WAIT_M=[10.0, 0.0], SLOTS=[9.0, 4.0])
    out = np.full(2, np.nan)
    voice_weights(P, PD, G, R, path, coalition, out)
    return out


def test_voice_is_zero_without_a_coalition_or_without_voice():
    np.testing.assert_array_equal(voice_of(0.0, [0.0, 1.0]), [0.0, 0.0])
    np.testing.assert_array_equal(voice_of(1.0, [0.0, 1.0], VOICE=0.0), [0.0, 0.0])


def test_voice_weighs_the_steps_that_lower_barriers_and_where_the_marginalized_wait_most():
    # step 0: 10 of its 110 waiting are marginalized, against 10 of 210 overall; step 1 has none of them
    # waiting but may lower the barrier, half of which is left (access 0.5)
    more = 10 / 110 - 10 / 210
    np.testing.assert_allclose(voice_of(1.0, [0.0, 0.0]), [2.0 * more, 0.0])
    np.testing.assert_allclose(voice_of(1.0, [0.0, 1.0]), [2.0 * more, 2.0 * 1.0 * 0.5])
    np.testing.assert_allclose(voice_of(1.0, [0.0, 0.5], VOICE=0.5), [more, 0.25])


# ---------------------------------------------------------------- access (7.13)

def access_after(relief: list[float], slots: list[float], demand: list[float], access0: float = 0.5) -> float:
    P = params(ACCESS0=access0)
    PD = domain_params(len(relief), RELIEF=relief)
    G = state(ACCESS=0.123)
    barrier_relief(P, PD, G, R, pathway(len(relief), SLOTS=slots, WAIT=demand))
    return G[0, L.ACCESS]


def test_no_barrier_relief_leaves_access_at_its_starting_level():
    assert access_after([0.0, 0.0], [1e6, 1e6], [10.0, 10.0]) == 0.5
    assert access_after([0.0], [0.0], [10.0], access0=0.2) == pytest.approx(0.2)


def test_barrier_relief_raises_access_toward_one_as_far_as_the_step_is_provided():
    assert access_after([1.0, 0.0], [100.0, 0.0], [100.0, 10.0]) == pytest.approx(1.0)
    assert access_after([0.5], [50.0], [100.0]) == pytest.approx(1 - 0.5 * (1 - 0.5 * 0.5))
    assert access_after([0.5, 0.5], [100.0, 200.0], [100.0, 100.0]) == pytest.approx(1 - 0.5 * 0.25)
    assert access_after([0.5], [0.0], [100.0]) == 0.5  # a relief step with no places lowers no barrier
    assert access_after([0.5], [0.0], [0.0]) == pytest.approx(0.75)  # nobody wants it: it counts as provided


# ---------------------------------------------------------------- allocation (7.9)

def allocation(alloc: list[float], mission: list[float] = (0.5, 0.5), seen: list[float] = (0.0, 0.0),
               member: float = 0.0, align: float = 0.0, e_measure: float = 0.0, e_reinforce: float = 0.0,
               q: float = 0.0, cap: list[float] = (1.0, 1.0), voice: list[float] = (0.0, 0.0),
               partner_served: list[float] | None = None, path: np.ndarray | None = None,
               **p: float) -> tuple[np.ndarray, np.ndarray]:
    """Organization 0's new allocation over two steps and the share it moved (its ``fresh``).  Organization 1
    is a trusted partner whose places are ``partner_served`` (it does not exist: it only serves)."""
    P = params(**{"ADAPT": 0.5, "GAP_RESPONSE": 4.0, "ADVANTAGE": 0.0, **p})
    if path is None:
        path = pathway(2, WAIT=[100.0, 100.0], SLOTS=[99.0, 99.0])
    a = np.array([[alloc, [0.5, 0.5]]], dtype=float)
    fresh = np.full((1, 2, 2), -1.0)
    served = np.zeros((1, 2, 2))
    partners, n_partners = np.zeros((2, 2), np.int64), np.zeros(2, np.int64)
    if partner_served is not None:
        served[0, 1] = partner_served
        partners[0, 0], n_partners[0] = 1, 1
    asks = np.empty(2)
    pressures(path, R, asks)
    allocate(P, R, e_measure, e_reinforce, path, asks, np.array([0.5, 0.5]), np.array(voice, dtype=float), rows(1, 0),
             rows(member, 0), rows(align, 0), np.array([[mission, mission]], dtype=float),
             np.array([[cap, cap]], dtype=float), served, np.array([[seen, seen]], dtype=float), partners,
             n_partners, np.array([q, 0.0]), np.empty(2), np.empty(2), a, fresh)
    np.testing.assert_array_equal(a[0, 1], [0.5, 0.5])  # an organization that does not exist is left alone
    return a[0, 0], fresh[0, 0]


def test_an_isolated_organization_moves_money_toward_the_pressure_it_sees():
    new, fresh = allocation([0.5, 0.5], seen=[1.0, 0.0])
    # wanted: mission times 1 + 4 * 1 / (1 + 1) = 3 at step 0, 1 at step 1, normalized; half of the way
    np.testing.assert_allclose(new, [0.5 * 0.5 + 0.5 * 0.75, 0.5 * 0.5 + 0.5 * 0.25])
    np.testing.assert_allclose(fresh, [0.125, 0.0])
    away, _ = allocation([0.5, 0.5], seen=[-0.5, 0.0])  # idle places push money out
    assert away[0] < 0.5
    same, fresh = allocation([0.5, 0.5], seen=[1.0, 1.0])
    np.testing.assert_allclose(same, [0.5, 0.5])
    np.testing.assert_allclose(fresh, 0.0)
    # it does not see the whole pathway, however long the queues: shared measurement only works for members
    blind, _ = allocation([1.0, 0.0], e_measure=1.0, path=pathway(2, WAIT=[0.0, 90.0], SLOTS=[0.0, 9.0]))
    np.testing.assert_allclose(blind, [0.75, 0.25])


def test_a_member_with_shared_measurement_responds_to_a_step_it_does_not_serve():
    path = pathway(2, WAIT=[0.0, 90.0], SLOTS=[0.0, 9.0])  # pressure 0 and 9; the member serves only step 0
    alone, _ = allocation([1.0, 0.0], path=path)
    shared, fresh = allocation([1.0, 0.0], member=1.0, align=1.0, e_measure=1.0, path=path)
    unmeasured, _ = allocation([1.0, 0.0], member=1.0, align=1.0, e_measure=0.0, path=path)
    unaligned, _ = allocation([1.0, 0.0], member=1.0, align=0.0, e_measure=1.0, path=path)
    np.testing.assert_allclose(alone, [0.75, 0.25])
    np.testing.assert_allclose(unmeasured, alone)  # without shared measurement it sees what it serves only
    np.testing.assert_allclose(unaligned, alone)  # and the whole pathway matters to it as far as it shares the agenda
    wanted = np.array([0.5, 0.5 * (1 + 4 * 9 / 10)])
    np.testing.assert_allclose(shared, 0.5 * np.array([1.0, 0.0]) + 0.5 * wanted / wanted.sum())
    assert shared[1] > alone[1] and fresh[1] == pytest.approx(shared[1]) and fresh[0] == 0.0


def test_voice_pulls_members_only():
    base, _ = allocation([0.5, 0.5], member=1.0)
    heard, _ = allocation([0.5, 0.5], member=1.0, voice=[0.0, 2.0])
    outsider, _ = allocation([0.5, 0.5], member=0.0, voice=[0.0, 2.0])
    np.testing.assert_allclose(base, [0.5, 0.5])
    np.testing.assert_allclose(outsider, [0.5, 0.5])
    assert heard[1] > 0.5


def test_a_coordinating_member_fills_the_gaps_its_partners_leave():
    # the partner serves everyone at step 0 (100 waiting), nobody at step 1
    filled, _ = allocation([0.5, 0.5], member=1.0, q=1.0, e_reinforce=1.0, partner_served=[100.0, 0.0])
    assert filled[1] == pytest.approx(0.5 * 0.5 + 0.5 * 5 / 6)  # step 1 wanted 1 + 4 * 1 times more
    unreinforced, _ = allocation([0.5, 0.5], member=1.0, q=1.0, e_reinforce=0.0, partner_served=[100.0, 0.0])
    np.testing.assert_allclose(unreinforced, [0.5, 0.5])
    uncoordinated, _ = allocation([0.5, 0.5], member=1.0, q=0.0, e_reinforce=1.0, partner_served=[100.0, 0.0])
    np.testing.assert_allclose(uncoordinated, [0.5, 0.5])


def test_a_coordinating_member_specializes_in_what_it_does_best():
    special, _ = allocation([0.5, 0.5], member=1.0, q=1.0, cap=[2.0, 0.5], ADVANTAGE=2.0)
    # 1 + 2 * 2 / 2.5 * capability - 2: 2.2 at step 0, 0.05 (the floor) at step 1
    np.testing.assert_allclose(special, 0.25 + 0.5 * np.array([2.2, 0.05]) / 2.25)
    alone, _ = allocation([0.5, 0.5], member=0.0, q=1.0, cap=[2.0, 0.5], ADVANTAGE=2.0)
    np.testing.assert_allclose(alone, [0.5, 0.5])


def test_allocations_stay_shares_and_fresh_money_is_what_moved_in():
    rng = np.random.default_rng(11)
    for _ in range(100):
        mission = rng.dirichlet([1.0, 1.0])
        old = rng.dirichlet([1.0, 1.0])
        path = pathway(2, WAIT=rng.uniform(0, 100, 2), WAIT_M=rng.uniform(0, 100, 2), SLOTS=rng.uniform(0, 50, 2),
                       IDLE=rng.uniform(0, 1, 2))
        new, fresh = allocation(list(old), mission=list(mission), seen=list(rng.normal(0, 3, 2)),
                                member=float(rng.integers(2)), align=rng.uniform(), e_measure=rng.uniform(),
                                e_reinforce=rng.uniform(), q=rng.uniform(), cap=list(rng.uniform(0, 3, 2)),
                                voice=list(rng.uniform(0, 2, 2)), partner_served=list(rng.uniform(0, 100, 2)),
                                path=path, ADAPT=rng.uniform(), ADVANTAGE=rng.uniform(0, 5),
                                GAP_RESPONSE=rng.uniform(0, 10))
        assert new.sum() == pytest.approx(1.0) and np.all(new >= 0)
        assert np.all(fresh >= 0) and np.all(fresh <= new)
        np.testing.assert_allclose(fresh, np.maximum(0.0, new - old), atol=1e-15)


# ---------------------------------------------------------------- backbone (7.1)

def test_backbone_income_is_its_share_plus_extra_while_funded():
    P = params(FUNDER=1000.0, BB_SHARE=0.1, BB_EXTRA=50.0)
    G = state(FUND_FACTOR=1.0, BB_FUNDED=1.0)
    assert income(P, G, R) == pytest.approx(150.0)
    G[0, L.FUND_FACTOR] = 0.5  # a funding shock halves the funder's part only
    assert income(P, G, R) == pytest.approx(100.0)
    G[0, L.BB_FUNDED] = 0.0
    assert income(P, G, R) == 0.0


def test_staff_follow_money_over_salary_with_the_hiring_lag():
    P = params(BB_SALARY=100.0, BB_HIRING=9.0)
    G = state()
    assert hire(P, G, R, 900.0) == pytest.approx(100.0)  # a ninth of the way to 9 staff in the first month
    assert G[0, L.BB_STAFF] == pytest.approx(1.0) and G[0, L.BB_RESERVE] == pytest.approx(800.0)
    for _ in range(200):
        hire(P, G, R, 900.0)
    assert G[0, L.BB_STAFF] == pytest.approx(9.0)  # in the end, what the money pays for
    spend = hire(P, G, R, 0.0)  # the funding stops: the reserve pays for winding down
    assert spend == pytest.approx(9.0 * 8 / 9 * 100.0) and G[0, L.BB_STAFF] == pytest.approx(8.0)
    G[0, L.BB_RESERVE] = 10.0
    assert hire(P, G, R, 0.0) == pytest.approx(10.0)  # never more than the money there is
    assert G[0, L.BB_RESERVE] == 0.0 and G[0, L.BB_STAFF] == pytest.approx(0.1)


def test_after_the_funding_ends_staff_are_paid_from_the_reserve_until_it_runs_out():
    P = params(FUNDER=1000.0, BB_SHARE=0.1, BB_EXTRA=0.0, BB_SALARY=10.0, BB_HIRING=4.0)
    G = state(FUND_FACTOR=1.0, BB_FUNDED=0.0, BB_STAFF=10.0, BB_RESERVE=200.0)
    paid, staff = 0.0, []
    for _ in range(30):
        paid += backbone_month(P, G, R, 10.0, 3)
        assert G[0, L.BB_INCOME] == 0.0
        assert G[0, L.BB_RESERVE] >= 0 and paid + G[0, L.BB_RESERVE] == pytest.approx(200.0)
        staff.append(G[0, L.BB_STAFF])
    assert all(b <= a for a, b in zip(staff, staff[1:]))
    assert G[0, L.BB_RESERVE] == pytest.approx(0.0, abs=1e-9) and staff[-1] == pytest.approx(0.0, abs=1e-9)


def test_backbone_month_takes_in_its_income_and_pays_its_staff():
    P = params(FUNDER=10000.0, BB_SHARE=0.1, BB_EXTRA=0.0, BB_SALARY=100.0, BB_HIRING=2.0)
    G = state(FUND_FACTOR=1.0, BB_FUNDED=1.0, COALITION=1.0)
    spend = backbone_month(P, G, R, 10.0, 3)
    assert G[0, L.BB_INCOME] == pytest.approx(1000.0) and spend == pytest.approx(500.0)
    assert G[0, L.BB_STAFF] == pytest.approx(5.0) and G[0, L.BB_RESERVE] == pytest.approx(500.0)
    assert np.all(G[0, L.STOCK:L.STOCK + 6] > 0)


def stocks_after(staff: float, members: float = 10.0, domains: int = 5, start: float = 0.2, **p: float) -> np.ndarray:
    P = params(**{"BB_BUILD": 0.1, "BB_DECAY": 0.02, "BB_HILL": 2.0, "BB_PER_MEMBER": 0.1, "BB_PER_DOMAIN": 0.2,
                  **p})
    P[0, L.BB_EFFORT:L.BB_EFFORT + 6] = 1.0
    G = state(BB_STAFF=staff, COALITION=1.0)
    G[0, L.STOCK:L.STOCK + 6] = start
    build_stocks(P, G, R, members, domains)
    return G[0, L.STOCK:L.STOCK + 6]


def test_staff_needed_grows_with_members_and_steps():
    P = params(BB_PER_MEMBER=0.1, BB_PER_DOMAIN=0.2)
    assert staff_needed(P, R, 10.0, 5) == pytest.approx(2.0)
    assert staff_needed(P, R, 40.0, 5) == pytest.approx(5.0)


def test_stocks_grow_with_effort_and_decay_without_it():
    full = stocks_after(staff=2.0)  # staff at what 10 members and 5 steps need: half effort (Hill)
    np.testing.assert_allclose(full, 0.2 + 0.1 * 0.5 * 0.8 - 0.02 * 0.2)
    np.testing.assert_allclose(stocks_after(staff=1e9), 0.2 + 0.1 * 0.8 - 0.02 * 0.2)
    np.testing.assert_allclose(stocks_after(staff=0.0), 0.2 * 0.98)
    np.testing.assert_allclose(stocks_after(staff=0.0, start=0.0), 0.0)
    P = params(BB_BUILD=0.1, BB_DECAY=0.02)
    P[0, L.BB_EFFORT:L.BB_EFFORT + 6] = 1.0
    P[0, L.BB_EFFORT + 5] = 0.0  # no effort on funding: that stock only decays
    G = state(BB_STAFF=50.0, COALITION=1.0)
    G[0, L.STOCK:L.STOCK + 6] = 0.5
    build_stocks(P, G, R, 10.0, 5)
    assert np.all(G[0, L.STOCK:L.STOCK + 5] > 0.5) and G[0, L.STOCK + 5] == pytest.approx(0.49)
    G = state(BB_STAFF=50.0, COALITION=0.0)  # a dissolved coalition: its staff have nobody to work for
    G[0, L.STOCK:L.STOCK + 6] = 0.5
    build_stocks(P, G, R, 10.0, 5)
    np.testing.assert_allclose(G[0, L.STOCK:L.STOCK + 6], 0.49)


def test_the_effort_on_supporting_the_work_is_kept_as_convening():
    P = params(BB_BUILD=0.1, BB_DECAY=0.02, BB_HILL=2.0, BB_PER_MEMBER=0.1, BB_PER_DOMAIN=0.2)
    P[0, L.BB_EFFORT:L.BB_EFFORT + 6] = 1.0
    for staff, effort in ((2.0, 0.5), (0.0, 0.0), (1.0, 0.25 / 1.25)):
        G = state(BB_STAFF=staff, CONVENING=0.7, COALITION=1.0)
        build_stocks(P, G, R, 10.0, 5)
        assert G[0, L.CONVENING] == pytest.approx(effort)


def test_a_larger_coalition_gets_less_from_the_same_staff():
    small, large = stocks_after(staff=2.0, members=10.0), stocks_after(staff=2.0, members=40.0)
    assert np.all(large < small)
    x = (2.0 / 5.0) ** 2  # 40 members and 5 steps need 5 staff
    np.testing.assert_allclose(large, 0.2 + 0.1 * x / (1 + x) * 0.8 - 0.02 * 0.2)


def test_below_the_minimum_viable_staff_stocks_build_little():
    gain = stocks_after(staff=1.0, start=0.0, BB_HILL=4.0)[0]  # half of the 2 staff needed
    at_need = stocks_after(staff=2.0, start=0.0, BB_HILL=4.0)[0]
    assert gain == pytest.approx(0.1 * (1 / 16) / (1 + 1 / 16))
    assert gain < at_need / 8  # half the staff, an eighth of the effort: the Hill curve's threshold
    linear = stocks_after(staff=1.0, start=0.0, BB_HILL=1.0)[0]
    assert linear == pytest.approx(0.1 * 0.5 / 1.5) and gain < linear


# ---------------------------------------------------------------- effective conditions (7.2)

def test_conditions_work_partly_without_a_backbone_and_not_at_all_without_a_coalition():
    P = params(BB_WITHOUT=0.35, AGENDA=1.0, REINFORCE=0.5, MEASURE=1.0, COMMUNICATE=1.0, MAX_MEETINGS=2.0,
               PLANNING=0.0)
    G = state()
    assert backed(P, R, 0.0) == pytest.approx(0.35) and backed(P, R, 1.0) == pytest.approx(1.0)
    e_agenda, e_reinforce, e_measure, meetings, freq, convening, visibility = effective_conditions(P, G, R, 1.0)
    assert (e_agenda, e_reinforce, e_measure) == pytest.approx((0.35, 0.175, 0.35))
    assert meetings == freq == 2.0 and convening == pytest.approx(0.35)
    assert visibility == pytest.approx(0.2 + 0.8 * 0.35)
    G[0, L.STOCK:L.STOCK + 3] = 1.0
    assert effective_conditions(P, G, R, 1.0)[:3] == pytest.approx((1.0, 0.5, 1.0))
    none = effective_conditions(P, G, R, 0.0)
    assert none[:5] == (0.0, 0.0, 0.0, 0.0, 0.0) and none[6] == pytest.approx(0.2)


def test_planning_meetings_fall_as_the_strategy_stock_rises():
    P = params(AGENDA=0.8, COMMUNICATE=0.5, MAX_MEETINGS=2.0, PLANNING=4.0)
    G = state()
    held = []
    for agreed in (0.0, 0.25, 0.5, 1.0):
        G[0, L.STOCK] = agreed
        meetings, freq = effective_conditions(P, G, R, 1.0)[3:5]
        assert freq == pytest.approx(1.0)  # regular meetings do not depend on the agenda stock
        assert meetings == pytest.approx(1.0 + 4.0 * 0.8 * (1 - agreed))
        held.append(meetings)
    assert held == sorted(held, reverse=True) and held[-1] == pytest.approx(1.0)
    assert effective_conditions(params(AGENDA=0.0, PLANNING=4.0, MAX_MEETINGS=0.0), state(), R, 1.0)[3] == 0.0


# ---------------------------------------------------------------- the common agenda (7.4)

def test_the_agenda_shares_money_by_what_serving_everyone_at_each_step_costs():
    PD = domain_params(3, NEED_RATE=[1.0, 0.5, 0.25], DURATION=[2.0, 4.0, 1.0], UNIT_COST=[100.0, 50.0, 200.0])
    agenda = np.empty(3)
    agenda_shares(PD, R, agenda)
    np.testing.assert_allclose(agenda, np.array([200.0, 100.0, 50.0]) / 350.0)


# ---------------------------------------------------------------- budgets and meetings (7.5)

def test_grants_go_to_services_at_month_zero_and_less_the_backbone_after():
    P = params(FUNDER=1000.0, BB_SHARE=0.1)
    G = state(FUND_FACTOR=1.0, RAISED=50.0)
    assert funder_budget(P, G, R) == 1000.0
    assert grants(P, G, R, True) == 1000.0
    assert grants(P, G, R, False) == pytest.approx(950.0)


def test_budgets_meetings_and_services_add_up():
    P = params(FUNDER=1000.0, BB_SHARE=0.1, MEETING_COST=600.0)
    G = state(FUND_FACTOR=1.0, RAISED=50.0, BB_INCOME=30.0, CONVENING=1.0)  # staff convene: no extra burden
    exists, member = rows(1, 1, 1, 0), rows(1, 0, 1, 0)
    own, gweight = rows(100, 200, 5000, 0), rows(0.2, 0.3, 0.5, 0.0)
    budget = np.zeros((1, 4))
    meet, service = np.empty(4), np.empty(4)
    inflow, meet_total, service_total = budgets_and_meetings(P, G, R, False, 2.0, exists, member, own, gweight,
                                                             budget, meet, service)
    assert G[0, L.GRANTS] == pytest.approx(950.0)
    np.testing.assert_allclose(budget[0], [290.0, 485.0, 5475.0, 0.0])
    np.testing.assert_allclose(meet, [145.0, 0.0, 1200.0, 0.0])  # 2 meetings: at most half the budget; members only
    np.testing.assert_allclose(service, budget[0] - meet)
    assert meet_total == pytest.approx(meet.sum()) and service_total == pytest.approx(service.sum())
    assert inflow == pytest.approx(30.0 + budget.sum())  # the books: backbone income plus every budget


def test_meetings_cost_members_more_when_no_backbone_staff_convene_them():
    P = params(MEETING_COST=100.0, BURDEN=1.0)
    assert meeting_cost(P, state(CONVENING=1.0), R, 2.0) == pytest.approx(200.0)
    assert meeting_cost(P, state(CONVENING=0.0), R, 2.0) == pytest.approx(400.0)  # twice the time
    assert meeting_cost(P, state(CONVENING=0.5), R, 2.0) == pytest.approx(300.0)
    assert meeting_cost(params(MEETING_COST=100.0, BURDEN=0.0), state(), R, 2.0) == pytest.approx(200.0)
    assert meeting_cost(P, state(), R, 0.0) == 0.0


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
    align = rows(1.0, 0.0, 1.0)
    coordination(params(COORD_TIES=3.0, COORD_MAX=1.0), R, 0.8, rows(1, 1, 0), align, np.array([1.0, 5.0, 5.0]), q)
    # an aligned member with a third of the partners it needs; an unaligned one only refers (half); an outsider
    np.testing.assert_allclose(q, [0.8 / 3, 0.8 * 0.5, 0.0])
    coordination(params(COORD_TIES=3.0, COORD_MAX=0.6), R, 0.8, rows(1, 1, 0), align, np.array([1.0, 5.0, 5.0]), q)
    np.testing.assert_allclose(q, [0.6 * 0.8 / 3, 0.6 * 0.8 * 0.5, 0.0])  # never more than coordination_max


# ---------------------------------------------------------------- alignment (7.7)

def test_members_align_with_trust_and_leavers_drift_back():
    align = rows(0.5, 0.5, 0.5)
    align_with_agenda(params(ALIGN_RATE=0.1), R, 1.0, rows(1, 1, 0), np.array([0.5, 0.0, 0.9]), align)
    np.testing.assert_allclose(align[0], [0.5 + 0.1 * 2 * 0.5 * 0.5, 0.5, 0.5 - 0.05 * 0.5])


# ---------------------------------------------------------------- membership (7.12)

class Members:
    """Organizations with a running appraisal: ``poor`` ones pay meetings worth half their budget and see
    nothing for it; the others pay nothing and tolerate a lot."""

    def __init__(self, member: list[float], poor: list[bool], **p: float):
        n = len(member)
        self.P = params(**{"LEAVE_HAZARD": 0.5, "JOIN_RATE": 0.5, "APPRAISAL_SCALE": 0.05, "APPRAISAL_MONTHS": 1.0,
                           "B_PROGRESS": 0.0, "B_SUPPORT": 0.0, "B_TRUST": 0.0, "MEETING_COST": 1000.0,
                           "MIN_MEMBERS": 0.0, "T_BETRAYAL": 0.3, "BB_WITHOUT": 0.0, **p})
        self.G = state(COALITION=1.0, BB_FUNDED=1.0)
        self.G[0, L.STOCK + 1] = 1.0  # the backbone recruits at full strength
        self.exists = np.ones((1, n))
        self.member = np.array([member], dtype=float)
        # one meeting costs the poor ones half their budget (or more); the good ones have no cost
        self.budget = np.array([[1000.0 if bad else 1e12 for bad in poor]])
        self.tolerance = np.array([[0.0 if bad else 0.5 for bad in poor]])
        self.appraisal = np.array([[-0.5 if bad else 0.5 for bad in poor]])
        self.trust = np.full((1, n, n), 0.5)

    def month(self, draw: float, meetings: float = 1.0) -> float:
        n = self.member.shape[1]
        return membership(self.P, self.G, R, meetings, 1.0, self.exists, self.budget, np.zeros(n), self.tolerance,
                          self.appraisal, self.member, self.trust, float32_view((1, n), draw))


def test_members_with_a_very_poor_appraisal_leave_and_the_others_stay():
    m = Members([1, 1, 1], poor=[True, False, False])
    assert m.month(draw=0.4) == 2.0  # a chance of about one half for the poor one, almost none for the others
    assert list(m.member[0]) == [0.0, 1.0, 1.0] and m.G[0, L.LEFT] == 1.0 and m.G[0, L.JOINED] == 0.0
    np.testing.assert_allclose(m.appraisal[0], [-0.5, 0.5, 0.5])
    stay = Members([1, 1, 1], poor=[True, True, False])
    assert stay.month(draw=0.99) == 3.0 and list(stay.member[0]) == [1.0, 1.0, 1.0]  # it is a chance, not a rule
    assert stay.G[0, L.LEFT] == 0.0


def test_leaving_lowers_the_others_trust_in_the_leaver():
    m = Members([1, 1, 1], poor=[False, True, False])
    m.month(draw=0.4)
    np.testing.assert_allclose(m.trust[0, :, 1], 0.5 * 0.7)
    np.testing.assert_allclose(m.trust[0, :, [0, 2]], 0.5)
    member = rows(1, 1, 1)
    trust = np.full((1, 3, 3), 0.5)
    leave(params(T_BETRAYAL=0.2), R, member, trust, 1)
    assert list(member[0]) == [1, 0, 1]
    np.testing.assert_allclose(trust[0, :, 1], 0.4)
    np.testing.assert_allclose(trust[0, :, [0, 2]], 0.5)


def test_outsiders_join_when_the_coalition_recruits_and_looks_worth_it():
    m = Members([1, 0, 0], poor=[False, False, True])
    assert m.month(draw=0.3) == 2.0
    assert list(m.member[0]) == [1.0, 1.0, 0.0] and m.G[0, L.JOINED] == 1.0  # the poor appraisal stays out
    quiet = Members([0, 0, 0], poor=[False, False, False])
    quiet.G[0, L.STOCK + 1] = 0.0  # no recruiting (and nothing without a backbone)
    assert quiet.month(draw=0.0) == 0.0 and quiet.G[0, L.JOINED] == 0.0 and quiet.member.sum() == 0


def test_the_coalition_dissolves_for_good_below_its_minimum_and_its_backbone_closes():
    m = Members([1, 1, 0], poor=[False, False, False], MIN_MEMBERS=3.0)
    assert m.month(draw=0.99, meetings=0.0) == 0.0  # two members cannot meet
    assert m.G[0, L.COALITION] == 0.0 and m.G[0, L.BB_FUNDED] == 0.0
    assert m.member.sum() == 0.0 and m.G[0, L.LEFT] == 2.0
    for _ in range(3):  # and nobody joins a coalition that is gone
        assert m.month(draw=0.0, meetings=0.0) == 0.0
        assert m.member.sum() == 0.0 and m.G[0, L.JOINED] == 0.0 and m.G[0, L.COALITION] == 0.0
    enough = Members([1, 1, 1], poor=[False, False, False], MIN_MEMBERS=3.0)
    assert enough.month(draw=0.99, meetings=0.0) == 3.0 and enough.G[0, L.COALITION] == 1.0


def test_the_appraisal_is_a_running_average():
    m = Members([1], poor=[False], APPRAISAL_MONTHS=4.0, B_TRUST=0.0)
    m.appraisal[0, 0] = 0.0
    m.month(draw=0.99, meetings=0.0)
    assert m.appraisal[0, 0] == pytest.approx(0.5 / 4)
    m.month(draw=0.99, meetings=0.0)
    assert m.appraisal[0, 0] == pytest.approx(0.5 / 4 + (0.5 - 0.5 / 4) / 4)


# ---------------------------------------------------------------- outcome (7.11)

def test_the_completion_rate_is_completions_over_everyone_leaving():
    assert rate(3.0, 1.0) == 0.75 and rate(0.0, 0.0) == 1.0 and rate(0.0, 5.0) == 0.0
    G = state()
    G[0, L.FLOW_DONE:L.FLOW_DONE + 2] = [30.0, 10.0]
    G[0, L.FLOW_DROP:L.FLOW_DROP + 2] = [10.0, 10.0]
    assert completion(G, R) == pytest.approx((40 / 60, 0.75, 0.5))
    assert completion(state(), R) == (1.0, 1.0, 1.0)


def test_members_remember_the_outcome_over_a_few_months_and_over_a_year():
    G = state()
    remember(G, R, 0.4, True)
    assert (G[0, L.OUTCOME0], G[0, L.OUT_FAST], G[0, L.OUT_SLOW]) == (0.4, 0.4, 0.4)
    remember(G, R, 1.0, False)
    assert G[0, L.OUT_FAST] == pytest.approx(0.4 + 0.6 / 3) and G[0, L.OUT_SLOW] == pytest.approx(0.4 + 0.6 / 12)
    for _ in range(200):
        remember(G, R, 1.0, False)
    assert G[0, L.OUT_FAST] == pytest.approx(1.0) and G[0, L.OUT_SLOW] == pytest.approx(1.0)
    assert G[0, L.OUTCOME0] == 0.4  # the status quo stays what it was


def test_months_to_completion_by_littles_law_on_a_hand_built_path():
    PD = domain_params(3, NEED_RATE=[1.0, 0.5, 0.2])
    path = pathway(3, WAIT=[10.0, 5.0, 0.0], WAIT_M=[10.0, 0.0, 1.0], SERVE=[15.0, 20.0, 0.0], SERVE_M=[5.0, 5.0, 0.0],
                   ARRIVED=[10.0, 5.0, 0.0])
    # step 0: 20 waiting for 10 arriving, 2 months of waiting and 3 of service; step 1: 5 waiting for 5,
    # 1 month and 3, for the half who need it; step 2: nobody arrived, so only its 3 months of service count
    # (everyone needs step 0, so everyone on the pathway needs some step)
    assert months_to_completion(PD, R, path) == pytest.approx((2.0 + 3.0) + 0.5 * (1.0 + 3.0) + 0.2 * 3.0)


def settle(PD: np.ndarray, months: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """The pathway after ``months`` with room for everyone and nobody dropping out; and its ``G``."""
    P = params(POP=1000.0, INCIDENCE=0.05, DROPOUT=0.0, RELAPSE=0.5)
    path = pathway(PD.shape[1], SLOTS=[1e9] * PD.shape[1])
    G = state(ROOT=1.0)
    for _ in range(months):
        people_month(P, PD, G, R, path, 1.0)
    return path, G


def test_months_to_completion_is_the_months_of_service_when_nobody_waits():
    PD = domain_params(2, NEED_RATE=[1.0, 0.5], DURATION=[4.0, 6.0])
    assert months_to_completion(PD, R, settle(PD)[0]) == pytest.approx(4.0 + 0.5 * 6.0, rel=1e-6)


def test_months_to_completion_counts_only_people_who_entered_need():
    # half need step 0, half step 1, independently: of those in need (3/4 of them), 2/3 pass each step
    PD = domain_params(2, NEED_RATE=[0.5, 0.5], DURATION=[4.0, 6.0])
    path, G = settle(PD)
    entering = G[0, L.FLOW_IN] + G[0, L.FLOW_IN + 1]
    assert people_on_pathway(R, path) / entering == pytest.approx(2 / 3 * (4.0 + 6.0), rel=1e-6)  # Little's law
    assert months_to_completion(PD, R, path) == pytest.approx(2 / 3 * (4.0 + 6.0), rel=1e-6)


# ---------------------------------------------------------------- advocacy (7.13)

def test_influence_grows_with_the_aligned_share_and_needs_a_coalition():
    P = params(ADV_EXP=2.0, BB_WITHOUT=0.0)
    G = state()
    G[0, L.STOCK + 3] = G[0, L.STOCK + 4] = 1.0
    budget, member = rows(1.0, 1.0, 2.0), rows(1, 0, 1)
    assert influence(P, G, R, 1.0, budget, member, rows(1.0, 1.0, 0.0)) == pytest.approx(0.25 ** 2)
    assert influence(P, G, R, 1.0, budget, member, rows(1.0, 1.0, 1.0)) == pytest.approx(0.75 ** 2)
    assert influence(P, G, R, 0.0, budget, member, rows(1.0, 1.0, 1.0)) == 0.0
    G[0, L.STOCK + 3] = 0.0  # half the public will and policy stocks: half the influence
    assert influence(P, G, R, 1.0, budget, member, rows(1.0, 1.0, 1.0)) == pytest.approx(0.5 * 0.75 ** 2)


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


# ---------------------------------------------------------------- fundraising (7.15)

def test_visible_gains_raise_funds_in_proportion_to_the_funder_budget():
    P = params(FUNDRAISING=0.3, FUNDER=1000.0)
    G = state(FUND_FACTOR=1.0)
    G[0, L.STOCK + 5] = 0.5
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
    D = 2
    PD = domain_params(D, NEED_RATE=[0.5, 0.5])
    G = state(ROOT=0.9, ACCESS=0.7, RAISED=12.0, BB_RESERVE=3.0, BB_STAFF=4.0, FLOW_IN=12.0, COALITION=1.0,
              JOINED=2.0, LEFT=1.0)
    G[0, L.FLOW_IN + 1] = 3.0
    G[0, L.FLOW_DONE:L.FLOW_DONE + 2] = [3.0, 1.0]
    G[0, L.FLOW_DROP:L.FLOW_DROP + 2] = [2.0, 1.0]
    G[0, L.HELPED:L.HELPED + 2] = [50.0, 10.0]
    G[0, L.STOCK:L.STOCK + 6] = [0.6, 0.0, 0.0, 0.0, 0.0, 0.0]
    path = pathway(D, WAIT=[10.0, 0.0], WAIT_M=[5.0, 0.0], SERVE=[20.0, 10.0], SERVE_M=[0.0, 5.0],
                   ARRIVED=[10.0, 5.0], DROPPED=[1.0, 2.0])
    record = np.zeros((1, L.N_OUTPUTS + 2 * D))
    out, out_cov, out_drop = (record[:, :L.N_OUTPUTS], record[:, L.N_OUTPUTS:L.N_OUTPUTS + D],
                              record[:, L.N_OUTPUTS + D:])

    def write(G):
        record_outputs(PD, G, R, path, rows(1, 1, 0), rows(1, 0, 0), rows(0.2, 0.4, 0.9), np.array([0.3, 0.8]),
                       np.array([0.5, 0.2, 0.1]), 0.6, 0.7, 0.4, 9.0, 1.0, 0.3, 0.05, 10.0, 100.0, 20.0, 55.0,
                       out, out_cov, out_drop)
        return dict(zip(L.OUTPUTS, out[0]))

    o = write(G)
    assert o["equity_gap"] == pytest.approx(0.3) and o["total_spend"] == 130.0
    assert o["mean_alignment"] == pytest.approx(0.3) and o["active_members"] == 1.0  # existing organizations only
    assert (o["root_cause"], o["marginalized_access"], o["funds_raised"], o["unspent"]) == (0.9, 0.7, 12.0, 3.0)
    assert o["funder_money"] == 55.0
    assert (o["trust_within"], o["trust_across"], o["tie_density"]) == (0.5, 0.2, 0.1)
    assert (o["people_in_need"], o["people_waiting"], o["people_served"]) == (50.0, 15.0, 35.0)
    assert (o["people_entering"], o["people_completed"], o["people_dropped"], o["people_helped"]) == (15, 4, 3, 60)
    # waits 15 / 10 and 0 / 5, plus 3 months of service each, for the 2/3 of people in need who need each step
    assert o["need_met"] == pytest.approx(0.7) and o["months_to_completion"] == pytest.approx(2 / 3 * (4.5 + 3.0))
    assert o["backbone_strength"] == pytest.approx(0.1) and o["backbone_staff"] == 4.0
    assert (o["coalition_alive"], o["members_joined"], o["members_left"]) == (1.0, 2.0, 1.0)
    assert o["cost_per_person"] == pytest.approx(130.0 / 4)  # nothing completed before: this month's cost
    np.testing.assert_array_equal(out_cov[0], [0.3, 0.8])
    np.testing.assert_array_equal(out_drop[0], [1.0, 2.0])
    G[0, L.COMPLETED], G[0, L.SPENT] = 20.0, 1000.0
    assert write(G)["cost_per_person"] == pytest.approx(50.0)  # all money spent over all completions


# ---------------------------------------------------------------- setup (5)

def test_a_coalition_needs_a_condition_or_a_backbone_and_voice_alone_is_not_one():
    P = np.tile(params(AGENDA=0.0, MEASURE=0.0, REINFORCE=0.0, COMMUNICATE=0.0, BB_SHARE=0.0, BB_EXTRA=0.0), (5, 1))
    P[1, L.VOICE] = 1.0
    P[2, L.MEASURE] = 0.5
    P[3, L.BB_EXTRA] = 100.0
    P[4, L.BB_SHARE] = 0.05
    assert [has_coalition(P, r) for r in range(5)] == [0.0, 0.0, 1.0, 1.0, 1.0]
    assert [has_backbone(P, r) for r in range(5)] == [False, False, False, True, True]


def build(P: np.ndarray, joins: np.ndarray, n: int = 4, D: int = 3):
    PD = domain_params(D, VISIBILITY=[0.2, 0.5, 0.9])
    arrays = {k: np.zeros((1, n)) for k in ("exists", "member", "own", "gweight", "tol")}
    sector, home = np.zeros((1, n), np.int64), np.zeros((1, n), np.int64)
    cap, mission, alloc, trust, G = (np.zeros((1, n, D)), np.zeros((1, n, D)), np.zeros((1, n, D)),
                                     np.zeros((1, n, n)), np.zeros((1, L.N_GLOBAL)))
    rng = np.random.default_rng(0)
    setup_run(R, n, P, PD, np.array([0, 0, 1, 1]), np.array([[0, 1], [2, 0]]), np.array([2, 1]), rng.random(n),
              joins, np.array([1.0, 2.0, 3.0, 4.0]), rng.uniform(0.8, 1.2, (n, D)), rng.standard_normal((n, n)),
              np.full(n, 0.01), arrays["exists"], arrays["member"], sector, home, arrays["own"], arrays["gweight"],
              arrays["tol"], cap, mission, alloc, trust, G)
    return arrays, sector, home, mission, alloc, trust, G


def test_setup_builds_a_run_of_organizations():
    P = params(INITIAL_MEMBERS=1.0, ACCESS0=0.4)
    arrays, sector, home, mission, alloc, trust, G = build(P, np.full(4, 0.5))
    assert list(sector[0]) == [0, 0, 1, 1] and all(h == 2 for h in home[0, 2:])
    assert arrays["gweight"].sum() == pytest.approx(1.0) and np.all(arrays["member"] == has_coalition(P, R))
    np.testing.assert_allclose(mission[0].sum(axis=1), 1.0)
    np.testing.assert_array_equal(alloc, mission)
    assert np.all(np.diag(trust[0]) == 0) and trust.min() >= 0 and trust.max() <= 1
    assert (G[0, L.ROOT], G[0, L.FUND_FACTOR], G[0, L.BB_FUNDED], G[0, L.COALITION]) == (1.0, 1.0, 1.0, 1.0)
    assert G[0, L.ACCESS] == 0.4


def test_only_organizations_whose_draw_is_below_the_initial_share_join_at_the_start():
    joins = np.array([0.1, 0.9, 0.5, 0.3])
    arrays = build(params(INITIAL_MEMBERS=0.4), joins)[0]
    assert list(arrays["member"][0]) == [1.0, 0.0, 0.0, 1.0] and np.all(arrays["exists"] == 1)
    none = build(params(INITIAL_MEMBERS=0.4, AGENDA=0.0, MEASURE=0.0, REINFORCE=0.0, COMMUNICATE=0.0, BB_SHARE=0.0,
                        BB_EXTRA=0.0), joins)
    assert none[0]["member"].sum() == 0 and none[-1][0, L.COALITION] == 0.0  # no coalition to join


# ---------------------------------------------------------------- the faces read what the processes wrote

def test_agents_and_views_read_budgets_grants_and_income_from_the_state():
    from cisim.interfaces import views
    from cisim.model.coalition import CoalitionModel

    model = CoalitionModel("collective", rng=1)
    w = model.world
    assert w.G[0, L.GRANTS] == pytest.approx(w.P[0, L.FUNDER])  # month 0: all of it to services
    for _ in range(3):
        model.step()
    n = len(model.organizations)
    np.testing.assert_allclose(w.budget[0, :n], w.own[0, :n] + w.gweight[0, :n] * w.G[0, L.GRANTS])
    assert [o.budget for o in model.organizations] == w.budget[0, :n].tolist()
    np.testing.assert_array_equal(views.budgets(model), w.budget[0, :n])
    assert model.backbone.budget == w.G[0, L.BB_INCOME] == pytest.approx(income(w.P, w.G, 0))
    assert CoalitionModel("isolated", rng=1).backbone is None
