"""Properties that hold for any valid parameters: bounds, books, no NaN, determinism."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cisim.model import layout as L
from cisim.model.scenario import load
from cisim.model.schema import BY_PATH
from cisim.model.state import World, param_matrix

SWEPT = [
    "conditions.common_agenda", "conditions.shared_measurement", "conditions.mutually_reinforcing",
    "conditions.continuous_communication", "conditions.community_voice", "backbone.budget_share",
    "backbone.extra_budget", "trust.growth", "trust.decay", "trust.betrayal", "trust.failure_rate",
    "trust.threshold", "communication.meeting_cost", "behaviour.allocation_inertia", "behaviour.gap_response",
    "behaviour.perception_noise", "behaviour.spillover", "policy.advocacy_threshold", "problem.marginalized_access",
    "coalition.budget_spread", "funder.budget",
]
UPPER = {"backbone.extra_budget": 1e5, "communication.meeting_cost": 5000.0, "funder.budget": 1e6}


@st.composite
def parameters(draw):
    values = {}
    for path in SWEPT:
        f = BY_PATH[path]
        values[path] = draw(st.floats(f.lo, UPPER.get(path, f.hi), allow_nan=False))
    values["coalition.size"] = draw(st.integers(2, 45))
    values["months"] = draw(st.integers(1, 40))
    return values


def simulate(changes, seed):
    sc = load("collective").replace(changes)
    P, PD = param_matrix(sc, 1)
    w = World(sc, P, PD, [np.random.default_rng(seed)])
    out, cov = [w.out.copy()], [w.out_cov.copy()]
    for _ in range(sc.months):
        w.step()
        out.append(w.out.copy())
        cov.append(w.out_cov.copy())
    return np.array(out)[:, 0], np.array(cov)[:, 0], w


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parameters(), st.integers(0, 2**32 - 1))
def test_bounds_books_and_determinism(changes, seed):
    out, cov, w = simulate(changes, seed)
    assert np.isfinite(out).all() and np.isfinite(cov).all()
    for k in (L.O_OUTCOME, L.O_MAJ, L.O_MARG, L.O_TW, L.O_TA, L.O_DENS, L.O_ALIGN, L.O_ROOT, L.O_MINCOV):
        assert (out[:, k] >= 0).all() and (out[:, k] <= 1).all(), L.OUTPUTS[k]
    assert (cov >= 0).all() and (cov <= 1).all()
    n = int(w.sizes[0])
    trust = w.trust[0, :n, :n]
    assert (trust >= 0).all() and (trust <= 1).all()
    assert np.allclose(w.alloc[0, :n].sum(axis=1), 1.0)
    # every dollar that came in was spent on services, meetings or the backbone, or is held unspent
    b = w.books()
    assert b["inflow"][0] > 0 or w.month == 0
    spent = b["services"] + b["meetings"] + b["backbone"] + b["unspent"]
    np.testing.assert_allclose(spent, b["inflow"], rtol=1e-9)
    assert (np.array([b[k] for k in ("services", "meetings", "backbone", "unspent")]) >= -1e-6).all()
    # the monthly spend adds up to the books
    np.testing.assert_allclose(out[1:, L.O_TOTAL].sum(), b["services"][0] + b["meetings"][0] + b["backbone"][0],
                               rtol=1e-9)
    # same seed, same numbers
    out2, cov2, _ = simulate(changes, seed)
    assert np.array_equal(out, out2) and np.array_equal(cov, cov2)


def test_different_seeds_differ():
    a, _, _ = simulate({}, 1)
    b, _, _ = simulate({}, 2)
    assert not np.array_equal(a, b)


def test_isolated_has_no_coalition_costs():
    sc = load("isolated")
    P, PD = param_matrix(sc, 3)
    w = World(sc, P, PD, [np.random.default_rng(s) for s in range(3)])
    for _ in range(12):
        w.step()
        assert (w.out[:, L.O_MEET] == 0).all() and (w.out[:, L.O_BB] == 0).all()
        assert (w.out[:, L.O_ACTIVE] == 0).all()
