"""The Python API: run_batch, compare, summaries, and the package's names."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import cisim
from cisim.experiments.compare import compare, crossover_month, mean_ci
from cisim.experiments.intervals import t_quantile
from cisim.experiments.outputs import OUTCOME_COLUMNS, SUMMARY_COLUMNS
from cisim.experiments.runner import run_batch
from cisim.experiments.summary import cost_per_point, months_to_target, summarize
from cisim.model import layout as L
from cisim.model.coalition import CoalitionModel
from cisim.model.scenario import ScenarioError

MONTHS = 24
SHORT = {"months": MONTHS}


def mesa_steps(name: str, seed: int, months: int, changes: dict | None = None) -> pd.DataFrame:
    model = CoalitionModel(name, rng=seed, changes=changes)
    for _ in range(months):
        model.step()
    return model.datacollector.get_model_vars_dataframe()


@pytest.fixture(scope="module")
def batch():
    return run_batch("collective", [3, 11, 12, 40], outputs="both", changes=SHORT)


def test_run_batch_gives_the_mesa_models_numbers(batch):
    for seed in (3, 40):
        mesa_df = mesa_steps("collective", seed, MONTHS, SHORT)
        ours = batch.steps[batch.steps.seed == seed].reset_index(drop=True)
        assert list(ours.month) == list(range(MONTHS + 1))
        np.testing.assert_allclose(ours["outcome"], mesa_df["outcome"], rtol=0, atol=1e-12)
        cols = list(mesa_df.columns)
        np.testing.assert_allclose(ours[cols].to_numpy(), mesa_df[cols].to_numpy(), rtol=0, atol=1e-12)


def test_isolated_matches_mesa_too():
    b = run_batch("isolated", [7], outputs="steps", changes={"months": 12})
    mesa_df = mesa_steps("isolated", 7, 12, {"months": 12})
    np.testing.assert_allclose(b.steps["outcome"], mesa_df["outcome"], rtol=0, atol=1e-12)


def test_same_seed_same_numbers_whatever_the_batch(batch):
    again = run_batch("collective", [3, 11, 12, 40], outputs="both", changes=SHORT)
    np.testing.assert_array_equal(batch.out, again.out)
    np.testing.assert_array_equal(batch.cov, again.cov)
    pd.testing.assert_frame_equal(batch.summary, again.summary)
    chunked = run_batch("collective", [3, 11, 12, 40], changes=SHORT, batch_size=3)
    np.testing.assert_array_equal(batch.out, chunked.out)
    reordered = run_batch("collective", [40, 12, 3], changes=SHORT, batch_size=2)
    np.testing.assert_array_equal(batch.out[[3, 2, 0]], reordered.out)


def test_summary_has_the_documented_columns():
    b = run_batch("collective", range(4))  # full 60 months, so outcome_36 and outcome_60 exist
    s = b.summary
    assert list(s.columns[:3]) == ["scenario", "run", "seed"]
    assert set(SUMMARY_COLUMNS) <= set(s.columns)
    for col in ("outcome_start", "outcome_36", "outcome_60", "outcome_final", "auc", "months_to_target",
                "cost_per_point", "total_spend", "duplication_waste_total", "equity_gap_final",
                "min_coverage_final", "domains_below_floor_final", "active_members_final", "members_lost",
                "trust_across_final", "trust_within_final", "root_cause_final"):
        assert col in s.columns
    assert len(s) == 4 and list(s.seed) == [0, 1, 2, 3]
    assert not s[list(OUTCOME_COLUMNS)].isna().any().any()
    np.testing.assert_allclose(s.outcome_60, s.outcome_final)
    out = b.out
    np.testing.assert_allclose(s.outcome_36, out[:, 36, L.O_OUTCOME])
    np.testing.assert_allclose(s.auc, out[:, 1:, L.O_OUTCOME].mean(axis=1))
    # all money spent is what the books say went to services, meetings and the backbone
    books = b.groups[0].books
    np.testing.assert_allclose(s.total_spend, books["services"] + books["meetings"] + books["backbone"], rtol=1e-9)
    gained = (s.outcome_final - s.outcome_start) * 100
    np.testing.assert_allclose(s.cost_per_point[gained > 0], (s.total_spend / gained)[gained > 0])


def test_short_horizon_has_nan_for_later_months(batch):
    assert batch.summary.outcome_36.isna().all() and batch.summary.outcome_60.isna().all()
    assert not batch.summary[["outcome_start", "outcome_final", "auc"]].isna().any().any()


def test_steps_are_tidy(batch):
    steps = batch.steps
    assert list(steps.columns[:4]) == ["scenario", "run", "seed", "month"]
    assert set(L.OUTPUTS) <= set(steps.columns)
    domains = batch.scenario.domain_names
    assert [c for c in steps.columns if c.startswith("coverage_")] == [f"coverage_{d}" for d in domains]
    assert len(steps) == 4 * (MONTHS + 1)
    assert steps.groupby("seed").month.max().eq(MONTHS).all()
    # changed values are columns of the summary
    assert (batch.summary["months"] == MONTHS).all()


def test_parameter_rows():
    rows = pd.DataFrame({"backbone.budget_share": [0.0, 0.1, 0.3], "coalition.size": [20, 30, 40],
                         "domains.transportation.extra_funding": [0.0, 5000.0, 0.0]})
    b = run_batch(rows, [5, 5, 6], outputs="both", scenario="collective", changes={"months": 12})
    assert list(b.summary["backbone.budget_share"]) == [0.0, 0.1, 0.3]
    assert list(b.summary["coalition.size"]) == [20, 30, 40]
    for r in (1, 2):
        changes = {"months": 12, **{k: v for k, v in rows.iloc[r].items()}}
        changes["coalition.size"] = int(changes["coalition.size"])
        mesa_df = mesa_steps("collective", int(b.summary.seed[r]), 12, changes)
        ours = b.steps[b.steps.run == r]
        np.testing.assert_allclose(ours["outcome"], mesa_df["outcome"], rtol=0, atol=1e-12)


def test_parameter_rows_with_a_scenario_column():
    rows = pd.DataFrame({"scenario": ["isolated", "collective", "isolated"], "seed": [1, 1, 2],
                         "trust.growth": [0.02, 0.05, 0.02]})
    b = run_batch(rows, changes={"months": 6})
    assert list(b.summary.scenario) == ["isolated", "collective", "isolated"]
    assert list(b.summary.run) == [0, 1, 2] and len(b.groups) == 2


def test_parameter_rows_are_validated():
    rows = pd.DataFrame({"backbone.budget_share": [0.1, 2.0]})
    with pytest.raises(ScenarioError, match=r"backbone\.budget_share.*row 1.*0 to 0\.9"):
        run_batch(rows, [0, 1], scenario="collective")
    with pytest.raises(ScenarioError, match="conditions.common_agendaa"):
        run_batch("collective", [0], changes={"conditions.common_agendaa": 1.0})
    with pytest.raises(ScenarioError, match="no such scenario"):
        run_batch("no-such-scenario", [0])
    with pytest.raises(TypeError):
        run_batch("collective", 3)


def test_summary_functions_on_known_numbers():
    outcome = np.array([[0.1, 0.2, 0.5, 0.6], [0.3, 0.2, 0.1, 0.2]])
    np.testing.assert_array_equal(months_to_target(outcome, 0.5), [2.0, np.nan])
    np.testing.assert_array_equal(months_to_target(outcome, 0.3), [2.0, 0.0])
    cost = cost_per_point(np.array([1000.0, 1000.0]), outcome[:, 0], outcome[:, -1])
    np.testing.assert_allclose(cost, [1000.0 / 50.0, np.nan])
    out = np.zeros((2, 4, L.N_OUTPUTS))
    out[:, :, L.O_OUTCOME] = outcome
    out[:, :, L.O_TOTAL] = 10.0
    # members are counted from the coalition's start: the second run loses 21 of 30 in month 1
    out[:, :, L.O_ACTIVE] = [[30, 30, 28, 25], [30, 9, 9, 9]]
    s = summarize(out, 0.5)
    np.testing.assert_allclose(s["total_spend"], [30.0, 30.0])  # month 0 (the status quo) is not counted
    np.testing.assert_allclose(s["members_lost"], [5.0, 21.0])
    np.testing.assert_allclose(s["auc"], [13 / 30, 0.5 / 3])


def test_crossover_month():
    assert crossover_month([0.0, -0.1, 0.2, -0.1, 0.1, 0.3]) == 4
    assert crossover_month([0.1, 0.2]) == 0
    assert crossover_month([0.0, 0.1, 0.2]) == 1
    assert crossover_month([0.1, 0.2, 0.0]) is None
    assert crossover_month([]) is None


def test_mean_ci_is_the_student_t_interval():
    scipy_stats = pytest.importorskip("scipy.stats")
    for df in (1, 2, 3, 9, 29, 299):
        assert t_quantile(0.975, df) == pytest.approx(scipy_stats.t.ppf(0.975, df), rel=1e-10)
    x = np.array([1.0, 2.0, 4.0, 7.0, np.nan])
    mean, lo, hi, n = mean_ci(x)
    half = scipy_stats.t.ppf(0.975, 3) * np.std(x[:4], ddof=1) / 2
    assert n == 4 and mean == pytest.approx(3.5)
    assert (lo, hi) == pytest.approx((3.5 - half, 3.5 + half))
    assert np.isnan(mean_ci(np.array([1.0]))[1])


@pytest.fixture(scope="module")
def comparison():
    return compare(["isolated", "collective"], replicates=4, seed=10, changes=SHORT)


def test_compare_uses_common_seeds_and_pairs_them(comparison):
    c = comparison
    assert c.names == ["isolated", "collective"]
    assert list(c.seeds) == [10, 11, 12, 13]
    for name in c.names:
        assert list(c.summary[c.summary.scenario == name].seed) == [10, 11, 12, 13]
    row = c.comparison[(c.comparison.scenario == "collective") & (c.comparison.metric == "outcome_final")].iloc[0]
    a = c.summary[c.summary.scenario == "isolated"].outcome_final.to_numpy()
    b = c.summary[c.summary.scenario == "collective"].outcome_final.to_numpy()
    assert row.diff_mean == pytest.approx((b - a).mean())
    assert row.diff_ci_low < row.diff_mean < row.diff_ci_high
    cross = c.crossover["collective"]
    assert cross is None or isinstance(cross, int)
    monthly = c.monthly[c.monthly.scenario == "collective"]
    assert len(monthly) == MONTHS + 1
    assert crossover_month(monthly.outcome_diff_mean.to_numpy()) == cross
    for col in ("outcome_mean", "outcome_ci_low", "outcome_ci_high", "trust_across_mean", "duplication_waste_mean",
                "active_members_mean", "coverage_transportation_mean"):
        assert col in c.monthly.columns
    stat = c.stat("collective", "outcome_final")
    assert stat["ci_low"] <= stat["mean"] <= stat["ci_high"]
    assert c.stats.groupby("scenario").size().eq(len(SUMMARY_COLUMNS)).all()
    digest = c.to_dict()
    assert "crossover_month" in digest["scenarios"]["collective"]
    assert "crossover_month" not in digest["scenarios"]["isolated"]


def test_compare_gives_run_batch_numbers(comparison):
    b = run_batch("collective", range(10, 14), changes=SHORT)
    np.testing.assert_array_equal(comparison.batches[1].out, b.out)


def test_package_api():
    assert cisim.__version__
    assert {"isolated", "collective"} <= set(cisim.bundled_scenarios())
    s = cisim.load_scenario("collective").replace({"backbone.budget_share": 0.12})
    assert s.get("backbone.budget_share") == 0.12
    assert isinstance(s, cisim.Scenario)
    assert cisim.run_batch is run_batch
    assert cisim.compare is compare
    assert cisim.CoalitionModel is CoalitionModel
    assert issubclass(cisim.ScenarioError, ValueError)


def test_import_cisim_is_light():
    code = ("import sys, cisim; heavy = [m for m in ('numba', 'mesa', 'pandas', 'matplotlib', 'scipy') "
            "if m in sys.modules]; print(heavy); sys.exit(1 if heavy else 0)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
