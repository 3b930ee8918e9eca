"""Sensitivity experiments end to end: experiment files, the sweep engine, the analysis, the CLI.

The Ishigami checks here go through the whole pipeline a study of cisim goes through
(experiment file -> ``run_sensitivity`` -> chunks of the sweep engine -> replicate means ->
SALib -> tables, figures and metadata) with only the model run swapped for the Ishigami
function of three factors rescaled from [0, 1] to [-pi, pi] (indices do not change under
an affine map of an input).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_call import call
from scipy.stats import norm

from cisim.experiments import sensitivity as sa
from cisim.experiments import worker
from cisim.experiments.experiment import load_experiment
from cisim.interfaces.sensitivity_study import run_sensitivity
from cisim.model.scenario import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
EXACT = sa.ishigami_indices()
X = ["conditions.common_agenda", "conditions.shared_measurement", "conditions.mutually_reinforcing"]


def write(tmp_path: Path, text: str, name: str = "sa.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def ishigami_file(tmp_path: Path, n: int, replicates: int, extra: str = "") -> Path:
    factors = "".join(f'[factors."{x}"]\nlow = 0.0\nhigh = 1.0\n' for x in X)
    return write(tmp_path, f"""
name = "ishigami"
scenario = "collective"
seed = 11
replicates = {replicates}
outputs = ["outcome_60"]
[design]
kind = "sobol"
n = {n}
bootstrap = 200
{extra}
{factors}""")


def ishigami_in_place_of_the_model(sd: float):
    """A stand-in for ``worker._simulate``: Ishigami of the factor columns plus noise drawn from each run's seed."""
    def simulate(scenario, columns, values, seeds, outputs):
        x = -math.pi + 2 * math.pi * values[:, [list(columns).index(c) for c in X]]
        y = sa.ishigami(x)
        if sd:
            u = (np.asarray(seeds, dtype=np.float64) + 0.5) / 2.0**63
            y = y + sd * norm.ppf(u)
        return np.column_stack([y for _ in outputs])
    return simulate


@pytest.mark.parametrize("sd, replicates", [(0.0, 1), (2.0, 16)])
def test_ishigami_through_the_whole_pipeline(tmp_path, monkeypatch, sd, replicates):
    monkeypatch.setattr(worker, "_simulate", ishigami_in_place_of_the_model(sd))
    exp = load_experiment(ishigami_file(tmp_path, 2048, replicates))
    study = run_sensitivity(exp, tmp_path / "out", workers=1, progress=False)
    res = study.result
    for index in ("S1", "ST"):
        got = res.table("outcome_60", index).set_index("factor")["value"]
        for j, x in enumerate(X):
            assert got[x] == pytest.approx(EXACT[index].iloc[j], abs=0.05), (index, x)
        assert abs(got[sa.DUMMY]) < (0.01 if sd == 0 else 0.04)
    noise = res.noise.iloc[0]
    if sd:
        # analytic: sd^2 / (V + sd^2) of a run, and sd^2 / R over the variance of the point means
        v = sa.ishigami_variance()
        assert noise["noise_share"] == pytest.approx(sd**2 / (v + sd**2), abs=0.02)
        assert noise["noise_share_of_mean"] == pytest.approx(sd**2 / replicates / (v + sd**2 / replicates), abs=0.01)
        assert not study.warnings
    runs = pd.read_parquet(tmp_path / "out" / "runs")
    assert len(runs) == exp.n_runs and runs["seed"].is_unique
    record = json.loads((tmp_path / "out" / "sensitivity.json").read_text())
    assert record["experiment"]["sensitivity"]["method"] == "sobol" and record["versions"]["SALib"]
    assert (tmp_path / "out" / "figures" / "indices-outcome_60.png").stat().st_size > 10_000


def test_one_noisy_run_per_point_is_flagged_through_the_pipeline(tmp_path, monkeypatch):
    monkeypatch.setattr(worker, "_simulate", ishigami_in_place_of_the_model(2.0))
    study = run_sensitivity(ishigami_file(tmp_path, 1024, 1), tmp_path / "out", workers=1, progress=False)
    st = study.result.table("outcome_60", "ST").set_index("factor")["value"]
    assert st[sa.DUMMY] > 0.15  # the noise floor: about the noise share of a single run (0.22)
    assert (st[X].to_numpy() - EXACT["ST"].to_numpy()).max() > 0.1  # total indices inflated
    assert any("noise" in w for w in study.warnings)


@pytest.mark.parametrize("kind, n, extra, index", [
    ("morris", 32, "num_levels = 4", "mu_star"),
    ("efast", 257, "", "S1"),
    ("rbd_fast", 512, "", "S1"),
    ("pawn", 256, "", "PAWN"),
    ("delta", 256, "", "delta"),
])
def test_every_method_runs_through_the_pipeline(tmp_path, monkeypatch, kind, n, extra, index):
    monkeypatch.setattr(worker, "_simulate", ishigami_in_place_of_the_model(0.0))
    text = ishigami_file(tmp_path, n, 1, extra).read_text().replace('kind = "sobol"', f'kind = "{kind}"')
    text = text.replace("bootstrap = 200", "bootstrap = 50")
    study = run_sensitivity(load_experiment(write(tmp_path, text, "m.toml")), tmp_path / "out", workers=1,
                            progress=False)
    got = study.result.table("outcome_60", index).set_index("factor")
    assert set(got.index) == {*X, sa.DUMMY}
    # x1 and x2 matter, and clear the noise floor, whatever the method
    assert got.loc[X[0], "value"] > got.loc[sa.DUMMY, "value"] and got.loc[X[1], "value"] > got.loc[sa.DUMMY, "value"]
    assert bool(got.loc[X[0], "above_noise"]) and bool(got.loc[X[1], "above_noise"])
    if kind in ("efast", "rbd_fast"):
        assert got.loc[X[0], "value"] == pytest.approx(EXACT["S1"].iloc[0], abs=0.05)
    figures = {p.name for p in (tmp_path / "out" / "figures").iterdir()}
    assert "indices-outcome_60.png" in figures
    assert ("morris-outcome_60.png" in figures) == (kind == "morris")


# ---------------------------------------------------------------- bundled designs and errors

def test_bundled_sensitivity_designs():
    sobol = load_experiment("sobol_default")
    d = sobol.sa_design
    assert d.method == "sobol" and d.n == 1024 and sobol.replicates == 4
    assert len(d.model_factors) >= 12 and d.dummy
    for path in ("conditions.common_agenda", "conditions.shared_measurement", "conditions.mutually_reinforcing",
                 "conditions.continuous_communication", "backbone.budget_share", "trust.growth", "trust.decay",
                 "communication.meeting_cost", "coalition.size", "behaviour.adaptation_rate",
                 "policy.advocacy_threshold"):
        assert path in sobol.factors
    assert sobol.n_points == 1024 * (len(d.factors) + 2)
    runs = sobol.runs()
    assert runs["seed"].is_unique  # never a seed shared across points, nor within a Sobol' base row
    assert set(runs["coalition.size"]) == set(range(20, 41))
    assert sobol.analysis["time_resolved"] and "points_per_million" in sobol.analysis["analyze"]
    morris = load_experiment("morris_screening")
    assert morris.sa_design.method == "morris" and len(morris.sa_design.model_factors) >= 12


@pytest.mark.parametrize("extra_design, factor, key, words", [
    ("", 'low = 0.0\nhigh = 2.0\n', "factors.conditions.common_agenda.high", "from 0 to 1"),
    ("", 'dist = "triangle"\nlow = 0.0\nhigh = 1.0\n', "factors.conditions.common_agenda.dist", "did you mean"),
    ("", 'dist = "norm"\nbounds = [0.5, 0.5]\n', "factors.conditions.common_agenda", "outside the parameter's range"),
    ("", 'lo = 0.0\nhigh = 1.0\n', "factors.conditions.common_agenda.lo", "did you mean 'low'"),
    ("second_orde = true\n", 'low = 0.0\nhigh = 1.0\n', "design.second_orde", "did you mean 'second_order'"),
    ("time_resolved = true\n", 'low = 0.0\nhigh = 1.0\n', "outputs", "outcome_12"),
])
def test_sensitivity_file_errors_name_file_and_key(tmp_path, extra_design, factor, key, words):
    p = write(tmp_path, f"""
scenario = "collective"
outputs = ["outcome_60"]
[design]
kind = "sobol"
n = 64
{extra_design}
[factors."conditions.common_agenda"]
{factor}
[factors."backbone.budget_share"]
low = 0.0
high = 0.3
""")
    with pytest.raises(ScenarioError) as err:
        load_experiment(p)
    assert err.value.file == str(p.resolve()) and err.value.key == key, str(err.value)
    assert words in str(err.value)


def test_sobol_n_must_be_a_power_of_two_and_seeds_never_common(tmp_path):
    body = ('scenario = "collective"\n{top}[design]\nkind = "sobol"\nn = {n}\n'
            '[factors."backbone.budget_share"]\nlow = 0.0\nhigh = 0.3\n')
    with pytest.raises(ScenarioError, match="power of two, got N=1000") as err:
        load_experiment(write(tmp_path, body.format(top="", n=1000)))
    assert err.value.key == "design"
    with pytest.raises(ScenarioError, match="common seeds") as err:
        load_experiment(write(tmp_path, body.format(top="common_seeds = true\n", n=64)))
    assert err.value.key == "common_seeds"


# ---------------------------------------------------------------- the model, through the CLI

def test_cli_sensitivity_on_the_model(tmp_path):
    p = write(tmp_path, """
name = "small"
scenario = "collective"
seed = 5
replicates = 2
outputs = ["outcome_12", "outcome_24", "outcome_60", "equity_gap_final", "points_per_million"]
[changes]
months = 24
"coalition.size" = 10
[design]
kind = "sobol"
n = 16
analyze = ["outcome_24", "points_per_million"]
bootstrap = 50
time_resolved = true
[factors."conditions.continuous_communication"]
low = 0.0
high = 1.0
[factors."backbone.budget_share"]
low = 0.0
high = 0.3
[factors."coalition.size"]
low = 6
high = 12
""")
    out = tmp_path / "out"
    status, stdout, stderr = call(["sensitivity", str(p), "--out", str(out), "--workers", "1", "--json"])
    assert status == 0, stderr
    digest = json.loads(stdout)
    assert digest["method"] == "sobol" and digest["runs"] == 16 * 6 * 2
    idx = pd.read_parquet(out / "sensitivity_indices.parquet")
    assert set(idx["output"]) == {"outcome_24", "points_per_million"}
    assert set(idx["factor"]) == {"conditions.continuous_communication", "backbone.budget_share", "coalition.size",
                                  sa.DUMMY}
    assert {"S1", "ST"} <= set(idx["index"]) and idx[["conf_low", "conf_high"]].notna().all(axis=None)
    over = pd.read_parquet(out / "sensitivity_over_time_indices.parquet")
    assert sorted(over["time"].unique()) == [1, 2]  # the years within a 24-month horizon
    conv = pd.read_parquet(out / "sensitivity_convergence.parquet")
    assert sorted(conv["n"].unique()) == [4, 8, 16]
    for name in ("indices-outcome_24.png", "convergence-outcome_24.svg", "over-time-outcome.png"):
        assert (out / "figures" / name).is_file()
    record = json.loads((out / "sensitivity.json").read_text())
    assert record["scenario"]["parameters"]["months"] == 24 and record["runs"] == 192
    # the runs are the engine's: resuming keeps them all and only redoes the analysis
    status, stdout, stderr = call(["sensitivity", str(p), "--out", str(out), "--workers", "1", "--resume"])
    assert status == 0, stderr
    assert "outcome_24: factors by ST" in stdout and "noise floor" in stdout
    pd.testing.assert_frame_equal(pd.read_parquet(out / "sensitivity_indices.parquet"), idx)


def test_cli_sensitivity_refuses_a_grid_experiment(tmp_path):
    status, stdout, stderr = call(["sensitivity", str(ROOT / "experiments" / "smoke.toml"), "--out",
                                   str(tmp_path / "o")])
    assert status == 2 and stdout == "" and "design.kind" in stderr and "cisim sweep" in stderr
    assert not (tmp_path / "o").exists()
