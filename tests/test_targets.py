"""Targets files, the evidence statistics, and ``cisim calibrate`` on a tiny case."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_call import call

from cisim.experiments import evidence_stats as es
from cisim.experiments.ensemble import load_ensemble
from cisim.experiments.targets import load_targets
from cisim.model import layout as L
from cisim.model.scenario import ScenarioError

TINY = """
name = "tiny"
seed = 5
replicates = 2
months = 36
[scenarios]
treatment = "collective"
withdrawn = "backbone-withdrawn"
[changes]
"coalition.size" = 10
[abc]
population = 20
generations = 3
min_acceptance = 0.05
[parameters."behaviour.coordination_max"]
low = 0.5
high = 1.0
[parameters."trust.growth"]
low = 0.01
high = 0.1
scale = "log"
[targets.E1]
statistic = "relative_improvement"
month = 36
low = 0.0
high = 0.4
[targets.S1]
statistic = "survival"
month = 36
low = 0.5
high = 1.0
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.toml"
    path.write_text(text)
    return path


def test_bundled_targets_cover_the_evidence_rows():
    tf = load_targets("evidence")
    assert {t.name for t in tf.targets} >= {"E1", "E2", "E3", "E4", "E5", "S1", "S2", "S4"}
    assert all(t.source and t.low < t.high for t in tf.targets)
    assert set(tf.scenarios) == {"treatment", "comparison", "withdrawn"}
    assert tf.scenarios["comparison"].values["conditions.common_agenda"] == 0
    assert all(not p.startswith("conditions.") for p in tf.parameters)


@pytest.mark.parametrize("change, key, words", [
    ('seed = 5', "seed", "missing"),
    ('[targets.E1]\nstatistic = "relative_improvement"\nmonth = 36\nlow = 0.0\nhigh = 0.4',
     "targets.E1.statistic", None),
    ('month = 36', "targets.E1.month", "outside the horizon"),
    ('low = 0.0\nhigh = 0.4', "targets.E1", "expected low < high"),
    ('[parameters."behaviour.coordination_max"]', "parameters.conditions.common_agenda", "treatment"),
    ('scale = "log"', "parameters.trust.growth.scale", "expected one of"),
    ('high = 1.0', "parameters.behaviour.coordination_max", "low < high"),
    ('statistic = "survival"', "targets.S1.statistic", "expected one of"),
])
def test_bad_targets_files_say_file_and_key(tmp_path, change, key, words):
    bad = {
        'seed = 5': "",
        'month = 36': None,
        'low = 0.0\nhigh = 0.4': 'low = 0.4\nhigh = 0.0',
        '[parameters."behaviour.coordination_max"]': '[parameters."conditions.common_agenda"]',
        'scale = "log"': 'scale = "ln"',
        'high = 1.0': 'high = 0.2',
        'statistic = "survival"': 'statistic = "survive"',
    }
    if change.startswith("[targets.E1]"):
        text = TINY.replace('statistic = "relative_improvement"', 'statistic = "relative"')
        words = "expected one of"
    elif change == 'month = 36':
        text = TINY.replace("month = 36\nlow = 0.0", "month = 48\nlow = 0.0")
    else:
        text = TINY.replace(change, bad[change], 1)
    with pytest.raises(ScenarioError) as err:
        load_targets(write(tmp_path, text))
    assert f"key '{key}'" in str(err.value) and words in str(err.value) and "t.toml" in str(err.value)
    status, _, stderr = call(["calibrate", str(tmp_path / "t.toml"), "--out", str(tmp_path / "o")])
    assert status == 2 and len(stderr.strip().splitlines()) == 1 and key in stderr


def _runs(alive=None, left=None, active=None, outcome=None, months=36, sets=1, reps=2) -> es.Runs:
    out = np.zeros((sets, reps, months + 1, L.N_OUTPUTS))
    out[..., L.O_ALIVE] = 1.0 if alive is None else alive
    out[..., L.O_ACTIVE] = 10.0 if active is None else active
    if left is not None:
        out[..., L.O_LEFT] = left
    if outcome is not None:
        out[..., L.O_OUTCOME] = outcome
    return out


def test_statistics_on_known_runs():
    months = np.arange(61)
    treat = _runs(outcome=0.5 + 0.0011 * months, months=60)
    comp = _runs(outcome=np.full(61, 0.5), months=60)
    runs = {"treatment": treat, "comparison": comp}
    assert es.relative_improvement(runs, 40)[0] == pytest.approx(0.088)
    assert es.gain(runs, 60)[0] == pytest.approx(0.066)
    assert es.own_gain_per_year(runs, 0, 60)[0] == pytest.approx(0.0132)
    assert es.first_month_above(runs, 0.02)[0] == 19  # 0.0011 a month passes 0.02 in month 19
    # one member of 10 leaves each month: 12 of 10 a year
    left = np.zeros(61)
    left[1:] = 1.0
    runs = {"treatment": _runs(left=left, months=60)}
    assert es.turnover(runs, 2, 4)[0] == pytest.approx(1.2)
    # a replicate whose coalition dissolves at month 30 leaves its third year out of the turnover
    alive = np.ones((1, 2, 61))
    alive[0, 1, 30:] = 0
    runs = {"withdrawn": _runs(alive=alive, months=60)}
    assert es.survival(runs, 29)[0] == 1.0 and es.survival(runs, 30)[0] == 0.5
    # at risk: 2 in year 1 (months 12-24), 2 in year 2 (24-36, one ends), 1 in year 3: 1 of 5
    assert es.dissolution_rate(runs, 12, 3)[0] == pytest.approx(0.2)


def test_tiny_calibration_through_the_cli(tmp_path):
    path = write(tmp_path, TINY)
    out = tmp_path / "out"
    status, stdout, stderr = call(["calibrate", str(path), "--out", str(out), "--workers", "1", "--no-figures",
                                   "--ensemble", str(tmp_path / "ens" / "tiny.csv")])
    assert status == 0, stderr
    assert "evidence range" in stdout and "E1" in stdout and "S1" in stdout
    record = json.loads((out / "metadata.json").read_text())
    assert record["kind"] == "calibration" and record["parameters"] == ["behaviour.coordination_max", "trust.growth"]
    assert record["versions"]["cisim"] and record["targets"]["content"]["seed"] == 5
    post = pd.read_csv(out / "posterior.csv")
    assert len(post) == 20 and abs(post["weight"].sum() - 1) < 1e-9
    assert post["behaviour.coordination_max"].between(0.5, 1.0).all()
    ens = load_ensemble(tmp_path / "ens" / "tiny.csv")
    assert ens.parameters == ("behaviour.coordination_max", "trust.growth") and len(ens) == 20
    # the same command again without --resume refuses; with it, redoes nothing and gives the same posterior
    status, _, stderr = call(["calibrate", str(path), "--out", str(out), "--workers", "1", "--no-figures"])
    assert status == 2 and "--resume" in stderr
    status, _, _ = call(["calibrate", str(path), "--out", str(out), "--workers", "1", "--no-figures", "--resume"])
    assert status == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "posterior.csv"), post)
    assert json.loads((out / "metadata.json").read_text())["chunks_run"] == 0


def test_the_numbers_do_not_depend_on_workers_or_backend(tmp_path):
    """The tiny calibration on one process, on two (this one and a spawned worker) and on a local Dask cluster:
    the same posterior bit for bit."""
    from cisim.experiments.calibration import calibrate

    path = write(tmp_path, TINY.replace("population = 20", "population = 12").replace("generations = 3",
                                                                                          "generations = 2"))
    one = calibrate(path, tmp_path / "one", workers=1, progress=False)
    two = calibrate(path, tmp_path / "two", workers=2, progress=False)
    dask = calibrate(path, tmp_path / "dask", workers=1, progress=False, backend="dask")
    pd.testing.assert_frame_equal(one.posterior, two.posterior)
    pd.testing.assert_frame_equal(one.posterior, dask.posterior)
    pd.testing.assert_frame_equal(one.targets, dask.targets)
    assert json.loads((tmp_path / "dask" / "metadata.json").read_text())["backend"] == "dask"
