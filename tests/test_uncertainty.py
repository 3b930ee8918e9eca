"""Two kinds of uncertainty: seed noise alone, or seed noise and an ensemble's parameter sets.

Every test that needs known parameter values builds its own small ensemble in a tmp folder; none
depends on the values of the bundled (calibrated) one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_call import call

import cisim
from cisim.experiments.compare import mean_ci
from cisim.experiments.ensemble import load_ensemble, write_ensemble
from cisim.experiments.experiment import load_experiment
from cisim.experiments.sweep import chunk_path, run_sweep
from cisim.experiments.uncertainty import file_sha256, interval_text, resolve
from cisim.model.scenario import ScenarioError

SMALL = {"coalition.size": 8, "months": 24}
#: Parameters of the test ensemble: one that moves the outcome a lot, one the brief names, one whole number.
SPREAD = {"coalition.home_capability": (0.3, 3.0), "behaviour.coordination_max": (0.3, 1.0),
          "coalition.min_members": (2, 5)}


def make_ensemble(folder: Path, name: str = "wide", sets: int = 40) -> Path:
    """An ensemble whose parameters spread evenly over ``SPREAD``, with unequal weights."""
    values = np.column_stack([np.linspace(lo, hi, sets) for lo, hi in SPREAD.values()])
    values[:, 2] = np.round(values[:, 2])
    weights = np.linspace(1.0, 2.0, sets)
    return write_ensemble(folder / f"{name}.csv", list(SPREAD), values, weights, {"name": name})


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory) -> Path:
    return make_ensemble(tmp_path_factory.mktemp("ensemble"))


def one_line_error(status: int, stdout: str, stderr: str, *needles: str) -> None:
    assert status == 2, stderr
    assert stdout == "" and stderr.count("\n") == 1 and stderr.startswith("cisim: error: "), stderr
    assert "Traceback" not in stderr
    for n in needles:
        assert n in stderr, (n, stderr)


# ---------------------------------------------------------------- the words

def test_the_interval_words_come_from_one_place():
    assert interval_text(None, 20) == "95% interval: seed noise (20 seeds)"
    assert interval_text({"uncertainty": "seeds", "ensemble": None}, 20) == "95% interval: seed noise (20 seeds)"
    record = {"uncertainty": "parameters", "ensemble": {"name": "evidence"}}
    assert interval_text(record, 20) == ("95% interval: seed noise and the calibrated parameters (20 runs, "
                                         "parameter sets from the evidence ensemble)")
    assert interval_text({"uncertainty": "parameters", "ensemble": {"name": "x", "provisional": True}}, "3 to 5") \
        .endswith("(3 to 5 runs, parameter sets from the x ensemble, provisional)")


# ---------------------------------------------------------------- the runs

def test_runs_with_the_same_seed_in_two_scenarios_use_the_same_parameter_set(ensemble):
    result = cisim.compare(["isolated", "collective"], replicates=5, seed=3, changes=SMALL, uncertainty="parameters",
                           ensemble=ensemble)
    a, b = (result.summary[result.summary.scenario == n].reset_index(drop=True) for n in result.names)
    cols = list(SPREAD)
    pd.testing.assert_frame_equal(a[["seed", *cols]], b[["seed", *cols]])
    expected = pd.DataFrame(load_ensemble(ensemble).rows(range(3, 8)))
    pd.testing.assert_frame_equal(a[cols], expected[cols], check_dtype=False)
    assert a["coalition.min_members"].dtype.kind == "i"  # a whole-number parameter stays whole
    assert a["coalition.home_capability"].nunique() > 1  # the sets differ from seed to seed
    record = result.metadata
    assert record["uncertainty"] == "parameters"
    assert record["ensemble"]["name"] == "wide" and record["ensemble"]["sets"] == 40
    assert record["ensemble"]["sha256"] == file_sha256(ensemble)
    assert (result.stats["interval"] == result.interval).all() and "wide ensemble" in result.interval
    assert result.to_dict()["uncertainty"] == "parameters" and result.to_dict()["ensemble"]["sets"] == 40


def test_a_parameter_set_on_purpose_keeps_its_value(ensemble):
    batch = cisim.run_batch("collective", range(4), changes={**SMALL, "behaviour.coordination_max": 0.55},
                            uncertainty="parameters", ensemble=ensemble)
    assert (batch.summary["behaviour.coordination_max"] == 0.55).all()
    assert batch.summary["coalition.home_capability"].nunique() > 1
    assert batch.metadata["ensemble"]["kept"] == ["behaviour.coordination_max"]
    # a parameter table's columns are set on purpose too
    rows = pd.DataFrame({"coalition.home_capability": [1.0, 2.0, 1.0]})
    table = cisim.run_batch(rows, seeds=[0, 1, 2], scenario="collective", changes=SMALL, uncertainty="parameters",
                            ensemble=ensemble)
    assert table.summary["coalition.home_capability"].tolist() == [1.0, 2.0, 1.0]
    assert table.summary["behaviour.coordination_max"].nunique() > 1
    assert table.metadata["parameter_columns"] == ["coalition.home_capability", "coalition.size", "months"]


def test_a_run_is_its_scenario_with_its_seeds_set_and_does_not_depend_on_its_batch(ensemble):
    full = cisim.run_batch("collective", range(6), changes=SMALL, uncertainty="parameters", ensemble=ensemble)
    alone = cisim.run_batch("collective", [4], changes=SMALL, uncertainty="parameters", ensemble=ensemble)
    shuffled = cisim.run_batch("collective", [5, 4, 0], changes=SMALL, uncertainty="parameters", ensemble=ensemble)
    row = full.summary[full.summary.seed == 4].drop(columns="run").reset_index(drop=True)
    for other in (alone, shuffled):
        pd.testing.assert_frame_equal(other.summary[other.summary.seed == 4].drop(columns="run")
                                      .reset_index(drop=True), row)
    # the same numbers as setting that seed's parameter set by hand
    (by_hand,) = load_ensemble(ensemble).rows([4])
    manual = cisim.run_batch("collective", [4], changes={**SMALL, **by_hand})
    assert manual.summary["outcome_final"].iloc[0] == row["outcome_final"].iloc[0]
    # seeds alone: no ensemble column
    plain = cisim.run_batch("collective", [4], changes=SMALL)
    assert "coalition.home_capability" not in plain.summary
    assert plain.metadata["uncertainty"] == "seeds" and plain.metadata["ensemble"] is None


def test_the_parameters_interval_is_wider_than_the_seeds_interval(ensemble):
    seeds = cisim.run_batch("collective", range(12), changes=SMALL)
    both = cisim.run_batch("collective", range(12), changes=SMALL, uncertainty="parameters", ensemble=ensemble)

    def width(batch) -> float:
        _, lo, hi, _ = mean_ci(batch.summary["outcome_final"].to_numpy())
        return float(hi - lo)

    assert width(both) > 1.5 * width(seeds)


def test_the_api_defaults_to_seeds_and_checks_its_arguments(ensemble):
    result = cisim.compare(["collective"], replicates=2, changes={**SMALL, "months": 6})
    assert result.metadata["uncertainty"] == "seeds" and result.interval == "95% interval: seed noise (2 seeds)"
    with pytest.raises(ValueError, match="expected seeds or parameters"):
        cisim.run_batch("collective", [0], uncertainty="both")
    with pytest.raises(ScenarioError, match="applies with uncertainty 'parameters' only"):
        cisim.run_batch("collective", [0], ensemble=ensemble)
    with pytest.raises(ScenarioError, match="no such ensemble file"):
        resolve("parameters", ensemble.parent / "nothing.csv")


# ---------------------------------------------------------------- sweeps

def experiment_file(folder: Path, ensemble: Path | None, extra: str = "") -> Path:
    lines = ['name = "unc"', 'scenario = "collective"', "seed = 5", "replicates = 3",
             'outputs = ["outcome_36", "outcome_final", "cost_per_point", "total_spend", "people_completed_total", '
             '"funder_spend_total", "backbone_income_total", "funder_cost_per_person_helped", '
             '"cost_per_person_helped", "months_to_completion_final"]']
    if ensemble is not None:
        lines += ['uncertainty = "parameters"', f'ensemble = "{ensemble.name}"']
    text = "\n".join(lines) + extra + """
[changes]
months = 36
"coalition.size" = 12
"behaviour.coordination_max" = 0.7
[design]
kind = "grid"
[factors."backbone.budget_share"]
levels = [0.0, 0.1]
"""
    path = folder / "exp.toml"
    path.write_text(text)
    return path


def test_a_sweep_takes_the_ensemble_and_resumes_to_the_same_numbers(tmp_path, ensemble):
    (tmp_path / ensemble.name).write_bytes(ensemble.read_bytes())  # the ensemble beside the experiment file
    exp = load_experiment(experiment_file(tmp_path, tmp_path / ensemble.name))
    assert exp.uncertainty == "parameters" and exp.kept == {"months", "coalition.size",
                                                            "behaviour.coordination_max", "backbone.budget_share"}
    one = run_sweep(exp, tmp_path / "one", workers=1, progress=False, chunk_runs=2)
    two = run_sweep(exp, tmp_path / "two", workers=2, progress=False, chunk_runs=2)
    pd.testing.assert_frame_equal(one, two)
    # every run's row holds the values it took: its seed's set, the same at both points (paired)
    expected = pd.DataFrame(load_ensemble(ensemble).rows(one["seed"], keep=exp.kept))
    pd.testing.assert_frame_equal(one[["coalition.home_capability", "coalition.min_members"]].reset_index(drop=True),
                                  expected, check_dtype=False)
    assert "behaviour.coordination_max" not in one  # set in [changes]: the ensemble's value is not used
    by_point = one.pivot(index="replicate", columns="point", values="coalition.home_capability")
    assert (by_point[0] == by_point[1]).all()
    record = json.loads((tmp_path / "one" / "metadata.json").read_text())
    assert record["uncertainty"] == "parameters" and record["ensemble"]["sets"] == 40
    assert record["ensemble"]["sha256"] == file_sha256(ensemble)
    assert "coalition.home_capability" in record["columns"]
    # resume after losing a chunk: the same rows
    chunk_path(tmp_path / "one", 1).unlink()
    again = run_sweep(exp, tmp_path / "one", workers=1, progress=False, resume=True)
    pd.testing.assert_frame_equal(again, one)
    # resuming with seeds instead is refused
    with pytest.raises(ScenarioError, match="uncertainty 'parameters', not 'seeds'"):
        run_sweep(exp, tmp_path / "one", workers=1, progress=False, resume=True, uncertainty="seeds")


@pytest.mark.parametrize("extra, key, words", [
    ('\nuncertainty = "parameter"', "uncertainty", "did you mean 'parameters'"),
    ('\nensemble = "wide"', "ensemble", 'applies with uncertainty = "parameters" only'),
    ('\nuncertainty = "parameters"\nensemble = "nothing-here"', "ensemble", "no such ensemble file"),
    ("\nuncertainty = 1", "uncertainty", "expected a string"),
])
def test_bad_uncertainty_keys_name_the_file_and_key(tmp_path, extra, key, words):
    path = experiment_file(tmp_path, None, extra)
    with pytest.raises(ScenarioError) as err:
        load_experiment(path)
    assert err.value.file == str(path.resolve()) and err.value.key == key and words in str(err.value)
    status, stdout, stderr = call(["validate", str(path)])
    one_line_error(status, stdout, stderr, "exp.toml", key)


# ---------------------------------------------------------------- the command

FAST = ["-r", "2", "--set", "months=12", "coalition.size=8"]


def test_compare_prints_what_its_intervals_cover(tmp_path, ensemble):
    fast = [*FAST, "--out", str(tmp_path)]
    status, stdout, stderr = call(["compare", "isolated", "collective", *fast, "--ensemble", str(ensemble)])
    assert status == 0, stderr
    assert ("95% interval: seed noise and the calibrated parameters (2 runs, parameter sets from the wide ensemble)"
            in stdout)
    assert re.search(r"compare-isolated-collective-r2-set-[0-9a-f]{6}-ens-wide-[0-9a-f]{6}\.png", stdout)
    status, stdout, stderr = call(["compare", "isolated", "collective", *fast, "--uncertainty", "seeds"])
    assert status == 0, stderr
    assert "95% interval: seed noise (2 seeds)" in stdout and "calibrated" not in stdout
    assert re.search(r"compare-isolated-collective-r2-set-[0-9a-f]{6}-seeds\.png", stdout)


def test_run_prints_and_records_what_its_intervals_cover(tmp_path, ensemble):
    fast = [*FAST, "--out", str(tmp_path)]
    status, stdout, stderr = call(["run", "collective", *fast])
    assert status == 0 and "95% interval: seed noise (2 seeds)" in stdout
    status, stdout, stderr = call(["run", "collective", *fast, "--uncertainty", "parameters", "--ensemble",
                                   str(ensemble), "--json"])
    assert status == 0, stderr
    digest = json.loads(stdout)
    assert digest["uncertainty"] == "parameters" and digest["ensemble"]["name"] == "wide"
    assert digest["interval"].startswith("95% interval: seed noise and the calibrated parameters (2 runs")
    record = json.loads(Path(digest["files"]["metadata"]).read_text())
    assert record["ensemble"]["sha256"] == file_sha256(ensemble) and record["ensemble"]["sets"] == 40


def test_compare_defaults_to_parameters_and_run_to_seeds(tmp_path):
    status, stdout, stderr = call(["compare", "isolated", "collective", "-r", "2", "--set", "months=6",
                                   "coalition.size=6", "--json", "--out", str(tmp_path)])
    assert status == 0, stderr
    digest = json.loads(stdout)
    assert digest["uncertainty"] == "parameters" and digest["ensemble"]["name"] == "evidence"
    assert digest["ensemble"]["sets"] == len(load_ensemble("evidence"))
    helps = {cmd: " ".join(call([cmd, "--help"])[1].split()) for cmd in ("compare", "run", "sweep")}
    assert "(default parameters)" in helps["compare"] and "(default seeds)" in helps["run"]
    assert "(default the experiment file's uncertainty key, else seeds)" in helps["sweep"]


@pytest.mark.parametrize("argv, needles", [
    (["compare", "isolated", "collective", "--uncertainty", "both"], ["--uncertainty", "expected seeds or parameters"]),
    (["run", "collective", "--uncertainty", "Parameters"], ["--uncertainty", "got 'Parameters'"]),
    (["compare", "isolated", "collective", "--ensemble", "{missing}"], ["--ensemble", "no such ensemble file"]),
    (["compare", "isolated", "collective", "--ensemble", "{bad}"], ["--ensemble", "coalition.home_capability",
                                                                     "expected values from"]),
    (["run", "collective", "--ensemble", "{good}"], ["--ensemble", "applies with --uncertainty 'parameters' only"]),
    (["sweep", "{experiment}", "--uncertainty", "noise"], ["--uncertainty", "expected seeds or parameters"]),
    (["sweep", "{experiment}", "--ensemble", "{good}"], ["--ensemble", "applies with --uncertainty 'parameters'"]),
    (["report", "discover", "{experiment}", "--where", "y", "--uncertainty", "seeds"], ["--uncertainty",
                                                                                       "report backbone"]),
], ids=lambda x: " ".join(x) if isinstance(x, list) else None)
def test_bad_uncertainty_and_ensemble_values_are_one_line_and_status_2(tmp_path, ensemble, argv, needles):
    bad = tmp_path / "bad.csv"
    bad.write_text("particle,weight,coalition.home_capability\n0,1,50\n")
    files = {"missing": str(tmp_path / "missing.csv"), "bad": str(bad), "good": str(ensemble),
             "experiment": str(experiment_file(tmp_path, None))}
    argv = [a.format(**files) for a in argv]
    one_line_error(*call([*argv, *(["--out", str(tmp_path / "out")] if argv[0] != "report" else [])]), *needles)
    assert not (tmp_path / "out").exists()


def test_the_backbone_report_checks_what_the_sweep_ran(tmp_path, ensemble):
    seeds_dir, params_dir = tmp_path / "seeds", tmp_path / "params"
    (tmp_path / ensemble.name).write_bytes(ensemble.read_bytes())
    exp = experiment_file(tmp_path, tmp_path / ensemble.name)
    status, _, stderr = call(["sweep", str(exp), "--out", str(seeds_dir), "--workers", "1", "--uncertainty", "seeds"])
    assert status == 0, stderr
    status, _, stderr = call(["sweep", str(exp), "--out", str(params_dir), "--workers", "1"])
    assert status == 0 and "uncertainty parameters" in stderr, stderr
    # the funders' report wants the calibrated parameters by default: a seeds sweep cannot give them
    one_line_error(*call(["report", "backbone", str(seeds_dir)]), str(seeds_dir), "seed noise only",
                   "--uncertainty seeds")
    one_line_error(*call(["report", "backbone", str(params_dir), "--uncertainty", "seeds"]),
                   "cover more than seed noise")
    one_line_error(*call(["report", "backbone", str(params_dir), "--ensemble", "evidence"]), "another ensemble")
    status, stdout, stderr = call(["report", "backbone", str(params_dir), "--ensemble", str(ensemble)])
    assert status == 0, stderr
    assert ("95% interval: seed noise and the calibrated parameters (3 runs, parameter sets from the wide ensemble)"
            in stdout)
    table = pd.read_csv(params_dir / "backbone.csv")
    assert table["interval"].str.contains("calibrated parameters").all()
    status, stdout, stderr = call(["report", "backbone", str(seeds_dir), "--uncertainty", "seeds"])
    assert status == 0 and "95% interval: seed noise (3 seeds)" in stdout, stderr
