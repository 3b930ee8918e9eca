"""The patterns of the model brief emerge from the bundled scenarios (pattern-oriented modelling).

Each test uses fixed seeds and enough replicates that the pattern is far outside the noise.
"""

from __future__ import annotations

import numpy as np
import pytest

from cisim.model import layout as L
from cisim.model.scenario import load
from cisim.model.state import World, param_matrix

SEEDS = range(1000, 1030)


def simulate(scenario, seeds=SEEDS):
    """Per-month outputs (months+1, runs, outputs) and coverage (months+1, runs, domains)."""
    sc = load(scenario)
    P, PD = param_matrix(sc, len(seeds))
    w = World(sc, P, PD, [np.random.default_rng(s) for s in seeds])
    out, cov = [w.out.copy()], [w.out_cov.copy()]
    for _ in range(sc.months):
        w.step()
        out.append(w.out.copy())
        cov.append(w.out_cov.copy())
    return np.array(out), np.array(cov)


@pytest.fixture(scope="module")
def isolated():
    return simulate("isolated")


@pytest.fixture(scope="module")
def collective():
    return simulate("collective")


def test_pattern1_collective_beats_isolated(isolated, collective):
    iso = isolated[0][-1, :, L.O_OUTCOME]
    col = collective[0][-1, :, L.O_OUTCOME]
    diff = col - iso  # common seeds: paired
    assert diff.mean() > 0.2
    assert diff.mean() - 3 * diff.std(ddof=1) / np.sqrt(len(diff)) > 0.15
    assert (diff > 0).mean() >= 0.9


def test_pattern2_early_dip_then_crossover(isolated, collective):
    diff = (collective[0][:, :, L.O_OUTCOME] - isolated[0][:, :, L.O_OUTCOME]).mean(axis=1)
    assert diff[0] == pytest.approx(0.0, abs=1e-12)  # same status quo at month 0
    assert diff[1:4].max() < 0  # the first months are worse: meetings cost, trust not yet built
    crossover = next(m for m in range(len(diff)) if (diff[m:] > 0).all())
    assert 3 <= crossover <= 24


def test_pattern3_no_backbone_small_gain_more_members_lost(isolated, collective):
    nobb = simulate(load("collective").replace({"backbone.budget_share": 0.0}))
    base = isolated[0][-1, :, L.O_OUTCOME].mean()
    gain_col = collective[0][-1, :, L.O_OUTCOME].mean() - base
    gain_nobb = nobb[0][-1, :, L.O_OUTCOME].mean() - base
    assert gain_nobb < 0.3 * gain_col
    lost_col = 30 - collective[0][-1, :, L.O_ACTIVE].mean()
    lost_nobb = 30 - nobb[0][-1, :, L.O_ACTIVE].mean()
    assert lost_nobb > 2 * lost_col + 3


def test_pattern5_isolated_duplicates_visible_and_leaves_gaps(isolated, collective):
    sc = load("isolated")
    vis = np.array([d["visibility"] for d in sc.domains.values()])
    cov_iso = isolated[1][-1].mean(axis=0)
    # more waste, lower minimum coverage
    assert isolated[0][-1, :, L.O_WASTE].mean() > 1.3 * collective[0][-1, :, L.O_WASTE].mean()
    assert cov_iso.min() < collective[1][-1].min(axis=1).mean() - 0.3
    # gaps are in the unglamorous domains, full coverage in the visible ones
    low, high = vis <= np.quantile(vis, 0.3), vis >= np.quantile(vis, 0.7)
    assert cov_iso[low].mean() < cov_iso[high].mean() - 0.4


def test_pattern6_weakest_link():
    base = load("isolated")
    _, cov = simulate(base, range(10))
    order = np.argsort(cov[-1].mean(axis=0))
    names = base.domain_names
    worst, best = names[order[0]], names[order[-1]]
    money = 20000.0
    o0 = simulate(base, range(10))[0][-1, :, L.O_OUTCOME].mean()
    o_best = simulate(base.replace({f"domains.{best}.extra_funding": money}), range(10))[0][-1, :, L.O_OUTCOME].mean()
    o_worst = simulate(base.replace({f"domains.{worst}.extra_funding": money}), range(10))[0][-1, :, L.O_OUTCOME].mean()
    assert o_best - o0 < 0.01
    assert o_worst - o0 > 5 * max(o_best - o0, 1e-3)


def test_pattern7_cross_sector_trust_takes_years(collective):
    across = collective[0][:, :, L.O_TA].mean(axis=1)
    within = collective[0][:, :, L.O_TW].mean(axis=1)
    threshold = load("collective").get("trust.threshold")
    first = next(m for m in range(len(across)) if across[m] >= threshold)
    assert first >= 24  # at least two years to reach the coordination threshold
    assert across[12] < within[12] - 0.2


def test_pattern8_root_causes_fall_only_past_advocacy_threshold(isolated, collective):
    assert np.all(isolated[0][:, :, L.O_ROOT] == 1.0)
    root = collective[0][:, :, L.O_ROOT]
    influence = collective[0][:, :, L.O_INFL]
    threshold = load("collective").get("policy.advocacy_threshold")
    assert root[-1].mean() < 0.97
    # in every run, root causes stay put until influence has passed the threshold
    for r in range(root.shape[1]):
        fell = np.flatnonzero(root[:, r] < 1.0)
        if len(fell):
            assert influence[: fell[0] + 1, r].max() > threshold
