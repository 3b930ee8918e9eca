"""Properties that hold for any valid parameters: people and money conserved, shares within bounds, stocks
non-negative, no NaN, determinism, and the batch runner equal to the Mesa model."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cisim.experiments.batch import simulate as simulate_batch
from cisim.model import layout as L
from cisim.model.coalition import CoalitionModel
from cisim.model.scenario import load
from cisim.model.schema import BY_PATH, DOMAIN_FIELDS
from cisim.model.state import World, param_matrix

SWEPT = [
    "conditions.common_agenda", "conditions.shared_measurement", "conditions.mutually_reinforcing",
    "conditions.continuous_communication", "conditions.community_voice", "backbone.budget_share",
    "backbone.extra_budget", "backbone.salary", "backbone.build_rate", "backbone.stock_decay",
    "backbone.hiring_months", "trust.growth", "trust.decay", "trust.betrayal", "trust.failure_rate",
    "trust.threshold", "communication.meeting_cost", "communication.planning_meetings", "communication.member_burden",
    "behaviour.adaptation_rate", "behaviour.gap_response", "behaviour.perception_noise",
    "behaviour.perception_lag", "behaviour.spillover", "behaviour.leave_hazard", "behaviour.join_rate",
    "behaviour.startup_cost", "behaviour.coordination_max", "policy.advocacy_threshold", "problem.dropout",
    "problem.marginalized_access", "problem.marginalized_share", "coalition.initial_members",
    "coalition.budget_spread", "funder.budget", "problem.relapse", "problem.incidence",
]  # and, drawn apart below, coalition.size, coalition.min_members, months
#: Per-step values swept, as ``domains.<name>.<key>`` of the collective scenario.
DOMAIN_SWEPT = [
    "domains.clinics.duration", "domains.prevention.duration", "domains.transportation.barrier_relief",
    "domains.follow_up.barrier_relief", "domains.psychiatric.need_rate", "domains.education.extra_funding",
]
DOMAIN_BY_KEY = {f.path: f for f in DOMAIN_FIELDS}
UPPER = {"backbone.extra_budget": 1e5, "communication.meeting_cost": 5000.0, "funder.budget": 1e6,
         "backbone.salary": 5e4, "domains.clinics.duration": 24.0, "domains.prevention.duration": 24.0,
         "domains.education.extra_funding": 5e4}
#: Outputs that are shares (0..1).
SHARES = ("outcome", "outcome_majority", "outcome_marginalized", "need_met", "min_coverage", "trust_within",
          "trust_across", "tie_density", "coalition_alive", "mean_alignment", "root_cause", "marginalized_access",
          "backbone_strength")
#: Outputs that count or cost something, never below zero.
AMOUNTS = ("people_in_need", "people_waiting", "people_served", "people_entering", "people_completed",
           "people_dropped", "people_helped", "months_to_completion", "cost_per_person", "duplication_waste",
           "domains_below_floor", "active_members", "members_joined", "members_left", "influence", "backbone_staff",
           "backbone_spend", "service_spend", "meeting_spend", "total_spend", "funds_raised", "unspent", "funder_money")
COL = {name: k for k, name in enumerate(L.OUTPUTS)}


def field(path: str):
    return DOMAIN_BY_KEY[path.split(".")[2]] if path.startswith("domains.") else BY_PATH[path]


@st.composite
def parameters(draw, months: tuple[int, int] = (1, 36)):
    values = {}
    for path in SWEPT + DOMAIN_SWEPT:
        f = field(path)
        values[path] = draw(st.floats(f.lo, UPPER.get(path, f.hi), allow_nan=False))
    values["coalition.size"] = draw(st.integers(2, 40))
    values["coalition.min_members"] = draw(st.integers(0, 12))
    values["months"] = draw(st.integers(*months))
    return values


def run(changes: dict, seed: int, check=None):
    """Run the collective scenario with ``changes`` month by month (``check(world)`` after each month);
    returns the outputs (months + 1, outputs), coverage per step and the world."""
    sc = load("collective").replace(changes)
    P, PD = param_matrix(sc, 1)
    w = World(sc, P, PD, [np.random.default_rng(seed)])
    out, cov = [w.out.copy()], [w.out_cov.copy()]
    if check is not None:
        check(w)
    for _ in range(sc.months):
        w.step()
        out.append(w.out.copy())
        cov.append(w.out_cov.copy())
        if check is not None:
            check(w)
    return np.array(out)[:, 0], np.array(cov)[:, 0], w


def check_state(w: World) -> None:
    """What must hold after every month, in the state itself."""
    # everyone who entered need is waiting, in service, helped or has dropped out
    people = w.people()
    accounted = people["waiting"] + people["in_service"] + people["helped"] + people["dropped_out"]
    np.testing.assert_allclose(accounted, people["entered"], rtol=1e-9, atol=1e-9)
    assert (w.path >= -1e-12).all(), "a negative stock on the pathway"
    assert (w.path[:, L.IDLE] <= 1.0).all()
    assert (w.G[:, L.BB_STAFF] >= 0).all() and (w.G[:, L.BB_RESERVE] >= 0).all()
    assert (w.G[:, L.HELPED:L.HELPED + 2] >= -1e-12).all() and (w.G[:, L.GONE] >= 0).all()
    stocks = w.G[:, L.STOCK:L.STOCK + 6]
    assert (stocks >= 0).all() and (stocks <= 1).all()
    assert (w.G[:, L.ACCESS] >= 0).all() and (w.G[:, L.ACCESS] <= 1).all()
    assert (w.G[:, L.ROOT] >= 0).all() and (w.G[:, L.ROOT] <= 1).all()
    n = int(w.sizes[0])
    assert ((w.align[0, :n] >= 0) & (w.align[0, :n] <= 1)).all()
    trust = w.trust[0, :n, :n]
    assert (trust >= 0).all() and (trust <= 1).all()
    alloc = w.alloc[0, :n]
    assert (alloc >= 0).all() and np.allclose(alloc.sum(axis=1), 1.0)
    assert (w.fresh[0, :n] >= 0).all()
    assert np.isfinite(w.G).all() and np.isfinite(w.path).all() and np.isfinite(w.seen).all()


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(parameters(), st.integers(0, 2**32 - 1))
def test_people_money_bounds_and_determinism(changes, seed):
    out, cov, w = run(changes, seed, check_state)
    assert np.isfinite(out).all() and np.isfinite(cov).all()
    for name in SHARES:
        k = COL[name]
        assert (out[:, k] >= 0).all() and (out[:, k] <= 1 + 1e-12).all(), name
    for name in AMOUNTS:
        assert (out[:, COL[name]] >= -1e-9).all(), name
    assert (np.abs(out[:, COL["equity_gap"]]) <= 1).all()
    assert (cov >= 0).all() and (cov <= 1).all()
    assert (out[:, COL["active_members"]] <= changes["coalition.size"]).all()
    # a coalition that dissolved stays dissolved, without members
    alive = out[:, COL["coalition_alive"]]
    if (alive == 0).any():
        gone = int(np.argmax(alive == 0))
        assert (alive[gone:] == 0).all() and (out[gone:, COL["active_members"]] == 0).all()
    # every dollar that came in was spent on services, meetings or the backbone, or is held unspent
    b = w.books()
    assert b["inflow"][0] > 0 or w.month == 0 or changes["funder.budget"] == 0
    spent = b["services"] + b["meetings"] + b["backbone"] + b["unspent"]
    np.testing.assert_allclose(spent, b["inflow"], rtol=1e-9, atol=1e-6)
    assert (np.array([b[k] for k in ("services", "meetings", "backbone", "unspent")]) >= -1e-6).all()
    # the monthly spend adds up to the books
    np.testing.assert_allclose(out[1:, L.O_TOTAL].sum(), b["services"][0] + b["meetings"][0] + b["backbone"][0],
                               rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(w.G[0, L.SPENT], out[1:, L.O_TOTAL].sum(), rtol=1e-9, atol=1e-6)
    # same seed, same numbers
    out2, cov2, w2 = run(changes, seed)
    assert np.array_equal(out, out2) and np.array_equal(cov, cov2)
    assert np.array_equal(w.G, w2.G) and np.array_equal(w.path, w2.path)


def mesa_run(changes: dict, seed: int) -> tuple[np.ndarray, np.ndarray, dict]:
    model = CoalitionModel("collective", rng=seed, changes=changes)
    # the batch's per-step numbers: coverage, then drop-outs, per step
    out, cov = [model.world.out[0].copy()], [model.world.record[0, L.N_OUTPUTS:].copy()]
    for _ in range(model.setting.months):
        model.step()
        out.append(model.world.out[0].copy())
        cov.append(model.world.record[0, L.N_OUTPUTS:].copy())
    return np.array(out), np.array(cov), {k: v[0] for k, v in model.world.books().items()}


@settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(parameters(months=(12, 12)), min_size=2, max_size=3), st.integers(0, 2**32 - 1))
def test_a_batch_of_different_runs_equals_each_mesa_run_bit_for_bit(runs, seed):
    """Runs of different sizes and parameters side by side in one batch give each run's Mesa numbers."""
    sc = load("collective").replace({"months": 12})
    changes = [{k: v for k, v in c.items() if k != "months"} for c in runs]
    P, PD = param_matrix(sc, changes)
    seeds = np.array([seed + r for r in range(len(runs))], dtype=np.uint64)
    out, cov, books = simulate_batch(sc, P, PD, seeds)
    for r, c in enumerate(changes):
        m_out, m_cov, m_books = mesa_run({**c, "months": 12}, int(seeds[r]))
        assert np.array_equal(out[r], m_out), f"run {r}: outputs differ"
        assert np.array_equal(cov[r], m_cov), f"run {r}: coverage or drop-outs differ"
        assert all(books[k][r] == m_books[k] for k in books), f"run {r}: books differ"


def test_a_tiny_relapse_rate_leaves_no_nan():
    out, cov, w = run({"problem.relapse": 1e-310, "months": 2}, 0)
    assert np.isfinite(out).all() and np.isfinite(w.path).all() and np.isfinite(w.G).all()


def test_a_tiny_incidence_leaves_no_inf():
    out, _, _ = run({"problem.incidence": 2.2250738585072014e-308, "months": 1}, 0)
    assert np.isfinite(out).all()


def test_different_seeds_differ():
    a, _, _ = run({}, 1)
    b, _, _ = run({}, 2)
    assert not np.array_equal(a, b)


def test_isolated_has_no_coalition_costs():
    sc = load("isolated")
    P, PD = param_matrix(sc, 3)
    w = World(sc, P, PD, [np.random.default_rng(s) for s in range(3)])
    for _ in range(12):
        w.step()
        assert (w.out[:, L.O_MEET] == 0).all() and (w.out[:, L.O_BB] == 0).all()
        assert (w.out[:, L.O_ACTIVE] == 0).all() and (w.out[:, L.O_JOINED] == 0).all()
        assert (w.out[:, L.O_ALIVE] == 0).all()
        check_state(w)
