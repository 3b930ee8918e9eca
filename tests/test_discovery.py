"""Scenario discovery with PRIM: a known box is found, each restriction tested, and the command reads its inputs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_call import call
from scipy.stats import binomtest

from cisim.experiments import discovery as dv

INPUTS = ["x1", "x2", "x3", "x4", "k"]


def known_box(n: int = 3000, noise: float = 0.05, seed: int = 1) -> pd.DataFrame:
    """x1..x4 uniform on [0, 1] and k a whole number 0..10; y holds inside x1 in [0.2, 0.6] and x2 > 0.5, with
    a share ``noise`` of the labels flipped; nothing else matters."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"x{i}": rng.uniform(size=n) for i in range(1, 5)})
    df["k"] = rng.integers(0, 11, size=n)  # int64, as pandas 3 reads it from Parquet
    truth = (df["x1"] >= 0.2) & (df["x1"] <= 0.6) & (df["x2"] > 0.5)
    df["y"] = (truth.to_numpy() ^ (rng.uniform(size=n) < noise)).astype(int)
    return df


@pytest.fixture(scope="module")
def found() -> dv.Discovery:
    return dv.discover(known_box(), "y == 1", INPUTS)


def limits(result: dv.Discovery) -> dict[str, pd.Series]:
    return {r["factor"]: r for _, r in result.box.iterrows()}


def test_prim_recovers_the_known_box(found):
    box = limits(found)
    assert abs(box["x1"]["low"] - 0.2) < 0.05 and abs(box["x1"]["high"] - 0.6) < 0.05
    assert abs(box["x2"]["low"] - 0.5) < 0.05 and box["x2"]["high"] == box["x2"]["max"]  # x2 > 0.5: no upper limit
    for name in ("x3", "x4", "k"):  # irrelevant: unrestricted, or trivially (most of the range, not significant)
        r = box[name]
        assert not r["restricted"] or (r["high_share"] - r["low_share"] > 0.9 and r["quasi_p"] > dv.SIGNIFICANT)
    assert box["x1"]["quasi_p"] < 1e-10 and box["x2"]["quasi_p"] < 1e-10
    assert bool(box["x1"]["significant"]) and bool(box["x2"]["significant"])
    # the true box holds about 95% where it holds (5% label noise) and about 83% of all the runs where it holds
    assert found.density > 0.88 and found.coverage > 0.75 and found.rule == dv.KNEE
    assert list(found.restricted["factor"]) == ["x1", "x2"]


def test_the_counts_agree_with_the_limits(found):
    df = known_box()
    x = df[found.inputs].to_numpy(dtype=float)
    order = [limits(found)[c] for c in found.inputs]
    low, high = np.array([r["low"] for r in order]), np.array([r["high"] for r in order])
    inside = dv.inside(x, low, high)
    hits = df["y"].to_numpy() == 1
    assert inside.sum() == found.chosen["runs"] and (inside & hits).sum() == found.chosen["hits"]
    assert found.coverage == pytest.approx((inside & hits).sum() / hits.sum())
    assert found.density == pytest.approx((inside & hits).sum() / inside.sum())
    assert found.mass == pytest.approx(inside.mean()) and found.base_rate == pytest.approx(hits.mean())


@pytest.mark.parametrize("threshold", [None, 0.96])
def test_quasi_p_is_the_binomial_test_against_the_box_without_the_restriction(threshold):
    df = known_box()
    result = dv.discover(df, "y == 1", INPUTS, threshold=threshold)
    hits = df["y"].to_numpy() == 1
    box = limits(result)

    def members(skip: str | None = None) -> np.ndarray:
        keep = np.ones(len(df), dtype=bool)
        for c in result.inputs:
            if c != skip:
                keep &= (df[c] >= box[c]["low"]).to_numpy() & (df[c] <= box[c]["high"]).to_numpy()
        return keep

    inside = members()
    restricted = list(result.restricted["factor"])
    assert {"x1", "x2"} <= set(restricted) and (threshold is None or len(restricted) > 2)
    for name in restricted:
        wider = members(skip=name)
        expected = binomtest(int(hits[inside].sum()), int(inside.sum()), hits[wider].mean(),
                             alternative="greater").pvalue
        assert box[name]["quasi_p"] == pytest.approx(expected, rel=1e-6, abs=0), name


def test_a_restriction_that_does_not_matter_is_not_significant():
    """Peeled to the end, PRIM restricts noise inputs too: their quasi-p-values say so."""
    result = dv.discover(known_box(), "y == 1", INPUTS, threshold=0.96)
    box = limits(result)
    assert box["x1"]["quasi_p"] < 1e-10
    noise = [c for c in ("x3", "x4", "k") if box[c]["restricted"]]
    assert noise, "expected the densest boxes to restrict some noise input"
    assert all(box[c]["quasi_p"] > 0.01 for c in noise)


def test_threshold_chooses_the_widest_box_that_is_dense_enough(found):
    result = dv.discover(known_box(), "y == 1", INPUTS, threshold=0.8)
    traj = result.trajectory
    assert result.rule == dv.THRESHOLD and result.density >= 0.8
    assert result.coverage == traj.loc[traj["density"] >= 0.8, "coverage"].max()
    assert result.coverage >= found.coverage and int(traj["chosen"].sum()) == 1
    with pytest.raises(dv.DiscoveryError, match="--threshold: no box on the peeling trajectory"):
        dv.discover(known_box(), "y == 1", ["x3"], threshold=0.99)


def test_the_knee_is_the_best_harmonic_mean(found):
    traj = found.trajectory
    f = 2 * traj["coverage"] * traj["density"] / (traj["coverage"] + traj["density"])
    assert found.step == int(f.to_numpy().argmax()) and found.chosen["chosen"]
    assert list(traj["step"]) == list(range(len(traj)))
    assert {"coverage", "density", "mass", "restricted_dims", "restricted", "x1 low", "x1 high"} <= set(traj)


def test_an_integer_column_is_searched_and_keeps_whole_limits():
    """pandas 3: an int64 column and a nullable Int64 one are peeled level by level, their limits levels."""
    rng = np.random.default_rng(5)
    n = 2000
    df = pd.DataFrame({"x1": rng.uniform(size=n), "x2": rng.uniform(size=n), "k": rng.integers(0, 11, size=n)})
    df["m"] = pd.array(rng.integers(0, 5, size=n), dtype="Int64")
    df["z"] = ((df["k"] >= 6) & (df["x1"] < 0.5)).to_numpy() ^ (rng.uniform(size=n) < 0.03)
    result = dv.discover(df, "z", ["x1", "x2", "k", "m"])
    box = limits(result)
    assert box["k"]["low"] == 6 and box["k"]["high"] == 10 and box["k"]["discrete"]
    assert abs(box["x1"]["high"] - 0.5) < 0.05 and box["x1"]["quasi_p"] < 1e-10 and box["k"]["quasi_p"] < 1e-10
    assert "k is at least 6" in result.sentence() and "x1 is below 0.5" in result.sentence()
    steps = result.trajectory
    assert np.all(steps["k low"] == np.round(steps["k low"])) and np.all(steps["m high"] == np.round(steps["m high"]))


def test_peeling_a_small_table_by_hand():
    """20 runs, x = 1..20 (20 levels: discrete), the condition holding at x = 3..10 and 20: worked by hand.

    peel_alpha 0.1 of 20 runs is 2, so a peel removes two levels.  Low (x = 1, 2 off): 9 of the 18 runs
    left hold, 50%; high (19, 20 off): 8 of 18, 44%: the low peel.  Then of the 18 runs (x = 3..20), 1.8
    runs, two levels again: low (3, 4) leaves 7 of 16, high (19, 20) 8 of 16: high; and high again
    (8 of 14, 8 of 12, 8 of 10) to x = 3..12.  Of those 10 runs, 1.0 run: one level, and high (x = 12 off,
    8 of 9) beats low (x = 3 off, 7 of 9); then high once more (8 of 8).  From x = 3..10 every peel keeps a
    density of 1; low and high tie, and the low end goes first, down to x = 10 alone: one run, the 5% of
    all runs mass_min allows, and no peel is left.
    """
    x = pd.DataFrame({"x": np.arange(1, 21, dtype=float)})
    y = ((x["x"] >= 3) & (x["x"] <= 10) | (x["x"] == 20)).to_numpy()
    steps = dv._peel(x, y, 0.1, 0.05)
    assert list(steps["x low"]) == [1, 3, 3, 3, 3, 3, 3, 3, 4, 5, 6, 7, 8, 9, 10]
    assert list(steps["x high"]) == [20, 20, 18, 16, 14, 12, 11, 10, 10, 10, 10, 10, 10, 10, 10]
    assert list(steps["runs"]) == [20, 18, 16, 14, 12, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]
    assert list(steps["hits"]) == [9, 9, 8, 8, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1]
    assert steps.loc[1, "density"] == 0.5 and steps.loc[2, "coverage"] == pytest.approx(8 / 9)
    assert steps.loc[6, "density"] == pytest.approx(8 / 9) and steps.loc[6, "mass"] == pytest.approx(0.45)
    assert list(steps["step"]) == list(range(15)) and list(steps["restricted"][:2]) == ["", "x"]
    # mass_min 0.45: the box of 9 runs is the last; the next, of 8, would be 40% of the runs
    assert list(dv._peel(x, y, 0.1, 0.45)["runs"]) == [20, 18, 16, 14, 12, 10, 9]


def test_a_continuous_peel_cuts_at_the_quantile():
    """40 distinct values (continuous): peel_alpha 0.05 cuts at the 0.05 quantile, 1.95 positions in, by hand."""
    v = (np.arange(40) + 0.5) / 40  # 0.0125, 0.0375, ..., 0.9875
    y = v > 0.9  # the top 4
    steps = dv._peel(pd.DataFrame({"v": v}), y, 0.05, 0.05)
    # low: v[1] + 0.95 (v[2] - v[1]) = 2.45 / 40, 2 runs off, 4 of 38 hold; high: v[37] + 0.05 (v[38] - v[37]) =
    # 37.55 / 40, 2 runs off, 2 of 38 hold: the low peel, then the next low one (38 runs: 1.85 in, 2 more off)
    assert steps.loc[1, "v low"] == pytest.approx(2.45 / 40) and steps.loc[1, "v high"] == v[-1]
    assert steps.loc[1, "runs"] == 38 and steps.loc[1, "hits"] == 4
    assert steps.loc[2, "v low"] == pytest.approx((3.5 + 0.85) / 40) and steps.loc[2, "runs"] == 36
    for _, row in steps.iterrows():  # the limits recorded hold exactly the runs counted
        inside = (v >= row["v low"]) & (v <= row["v high"])
        assert inside.sum() == row["runs"] and (inside & y).sum() == row["hits"]
    assert steps["mass"].iloc[-1] >= 0.05 and steps["density"].iloc[-1] == 1


def test_peeling_is_a_loop_not_a_recursion():
    """peel_alpha 0.01 on 5,000 runs: about 300 steps, each a turn of a loop, not a deeper call."""
    rng = np.random.default_rng(2)
    x = pd.DataFrame({"a": rng.uniform(size=5000)})
    steps = dv._peel(x, (x["a"] > 0.7).to_numpy(), 0.01, 0.05)
    assert len(steps) > 250 and steps["mass"].iloc[-1] >= 0.05 and steps["mass"].iloc[-1] < 0.06


def test_dotted_names_need_no_backticks():
    columns = ["backbone.budget_share", "a.b", "a.b.c", "outcome_60", "status"]
    text = 'backbone.budget_share > 0.1 and a.b.c < 2 and a.b == 1 and `a.b` > 0 and status == "a.b"'
    assert dv.quote_names(text, columns) == ('`backbone.budget_share` > 0.1 and `a.b.c` < 2 and `a.b` == 1 and '
                                             '`a.b` > 0 and status == "a.b"')
    df = pd.DataFrame({"backbone.budget_share": [0.0, 0.2, 0.3], "outcome_60": [0.1, 0.9, 0.5]})
    hits, missing = dv.evaluate(df, "outcome_60 > 0.7 or backbone.budget_share == 0")
    assert hits.tolist() == [True, True, False] and missing == 0


def test_a_missing_outcome_counts_as_not_holding():
    df = pd.DataFrame({"v": pd.array([1.0, None, 3.0, 0.0], dtype="Float64")})
    hits, missing = dv.evaluate(df, "v > 0.5")
    assert hits.tolist() == [True, False, True, False] and missing == 1


def test_the_experiments_layer_loads_no_matplotlib():
    code = "import sys, cisim.experiments.discovery; print(sorted(m for m in sys.modules if 'matplotlib' in m))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr


# ---------------------------------------------------------------- the command

FACTORS = ["backbone.budget_share", "trust.threshold", "coalition.size"]


def sweep_runs(n: int = 600, seed: int = 3) -> pd.DataFrame:
    """A sweep's rows (point, replicate, seed, factors, status, error, outputs): outcome_60 is high where the
    backbone's share is 0.08 to 0.20 and trust's threshold is below 0.45; a few runs failed."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"point": np.arange(n), "replicate": 0, "seed": np.arange(n) + 100})
    df["backbone.budget_share"] = rng.uniform(0.0, 0.3, n)
    df["trust.threshold"] = rng.uniform(0.2, 0.8, n)
    df["coalition.size"] = rng.integers(10, 41, n)
    good = (df["backbone.budget_share"].between(0.08, 0.2) & (df["trust.threshold"] < 0.45)).to_numpy()
    df["status"] = pd.array(np.where(np.arange(n) % 150 == 7, "error", "ok"), dtype="string")
    df["error"] = pd.array([("boom" if s == "error" else None) for s in df["status"]], dtype="string")
    df["outcome_60"] = np.where(good, 0.8, 0.55) + rng.normal(0, 0.04, n)
    df["outcome_0"] = 0.4
    df.loc[df["status"] == "error", "outcome_60"] = np.nan
    return df


def write_sweep(folder: Path, runs: pd.DataFrame) -> Path:
    """The folder ``cisim sweep`` writes, as far as discovery reads it: metadata.json and runs/chunk-*.parquet."""
    from cisim.experiments import chunks
    from cisim.experiments import sweep as sw

    (folder / "runs").mkdir(parents=True)
    half = len(runs) // 2
    bounds = [(0, half), (half, len(runs))]
    plan = {"fingerprint": "test", "runs": len(runs), "chunk_runs": half, "bounds": bounds, "chunks": 2,
            "keys": [chunks.digest(runs.iloc[lo:hi], sw.KEY_COLUMNS) for lo, hi in bounds]}
    (folder / "plan.json").write_text(json.dumps(plan))
    for k, (lo, hi) in enumerate(bounds):
        chunks.write(runs.iloc[lo:hi].reset_index(drop=True), sw.chunk_path(folder, k), sw.expected(plan, k))
    metadata = {"kind": "sweep", "experiment": {"name": "t", "factors": FACTORS, "outputs": ["outcome_60"]},
                "columns": ["point", "replicate", "seed", *FACTORS, "status", "error", "outcome_60", "outcome_0"]}
    (folder / "metadata.json").write_text(json.dumps(metadata))
    return folder


def assert_one_line_error(status: int, stdout: str, stderr: str, *needles: str) -> None:
    assert status == 2 and "Traceback" not in stderr and stdout == ""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("cisim: error: "), stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def test_cli_on_a_sweep_folder(tmp_path):
    results = write_sweep(tmp_path / "sweep", sweep_runs())
    status, stdout, stderr = call(["report", "discover", str(results), "--where", "outcome_60 > 0.7"])
    assert status == 0, stderr
    assert 'Runs: sweep ' in stdout and '4 runs with status "error" left out' in stdout
    assert re.search(r"holds in \d+ of the 596 runs \(\d+\.\d%, the base rate\)", stdout)
    sentence = re.search(r"In (\d+)% of the runs where (.+?) \((\d+)% of all runs\), outcome_60 > 0\.7 holds, "
                         r"against (\d+)% of all runs; the box holds (\d+)% of the runs where it holds\.",
                         " ".join(stdout.split()))
    assert sentence, stdout
    assert "backbone's share of the budget is 0.0" in sentence.group(2)
    assert "trust needed to coordinate is below 0.4" in sentence.group(2)
    assert int(sentence.group(1)) > 85 and "coalition.size" in stdout.split("Not restricted:")[1].split("\n")[0]
    for suffix in ("-trajectory.png", "-trajectory.svg", "-box.png", "-box.svg", "-trajectory.csv", "-box.csv",
                   ".json"):
        assert (results / f"discover{suffix}").is_file(), suffix
        assert str(results / f"discover{suffix}") in stdout
    record = json.loads((results / "discover.json").read_text())
    assert record["kind"] == "discovery" and record["results"]["kind"] == "sweep"
    assert record["results"]["runs_failed"] == 4 and record["expression"] == "outcome_60 > 0.7"
    assert record["inputs"] == FACTORS and record["options"]["peel_alpha"] == dv.DEFAULT_PEEL_ALPHA
    assert record["method"].startswith("PRIM (Friedman and Fisher 1999), peel_alpha 0.05, mass_min 0.05")
    assert "ema-workbench" not in record["versions"] and record["versions"]["cisim"]
    assert record["command"].startswith("cisim report discover") and record["sentence"].startswith("In ")
    traj = pd.read_csv(results / "discover-trajectory.csv")
    assert traj["chosen"].sum() == 1 and {"step", "coverage", "density", "mass", "restricted"} <= set(traj)


def test_cli_on_a_calibration_folder_with_dotted_names_and_narrowed_inputs(tmp_path):
    folder = tmp_path / "calibration"
    folder.mkdir()
    runs = sweep_runs(seed=4).drop(columns=["status", "error"])
    runs.to_parquet(folder / "evaluations.parquet", index=False)
    (folder / "metadata.json").write_text(json.dumps({"kind": "calibration", "parameters": FACTORS,
                                                    "finished": "2026-12-02T00:00:00+00:00"}))
    out = tmp_path / "out" / "calib"
    status, stdout, stderr = call(["report", "discover", str(folder), "--where",
                                   "outcome_60 - outcome_0 > 0.3 and backbone.budget_share > 0.05",
                                   "--inputs", "backbone.budget_share,coalition.size", "--out", str(out)])
    assert status == 0, stderr
    assert "Runs: calibration " in stdout and "left out" not in stdout.split("\n")[0]
    assert "trust.threshold" not in stdout.split("Wrote:")[0]  # narrowed away
    assert "In " in stdout and "of the runs where backbone's share of the budget is" in " ".join(stdout.split())
    assert (out / "discover-box.csv").is_file() and (out / "discover.json").is_file()
    record = json.loads((out / "discover.json").read_text())
    assert record["inputs"] == ["backbone.budget_share", "coalition.size"]
    assert record["expression_evaluated"].startswith("outcome_60 - outcome_0 > 0.3 and `backbone.budget_share`")


def test_cli_on_a_table_file_with_json(tmp_path):
    table = tmp_path / "runs.parquet"
    known_box().to_parquet(table, index=False)
    status, stdout, stderr = call(["report", "discover", str(table), "--where", "y == 1", "--inputs",
                                   ",".join(INPUTS), "--threshold", "0.9", "--json"])
    assert status == 0, stderr
    record = json.loads(stdout)  # nothing but the JSON
    assert record["options"]["rule"] == "threshold" and record["box"]["density"] >= 0.9
    assert all(Path(p).is_file() for p in record["files"].values())
    assert Path(record["files"]["record"]) == tmp_path / "runs-discover.json"


def test_out_names_a_directory_as_everywhere(tmp_path):
    table = tmp_path / "runs.csv"
    known_box(n=400).to_csv(table, index=False)
    argv = ["report", "discover", str(table), "--where", "y == 1", "--inputs", "x1,x2"]
    (tmp_path / "figs").mkdir()
    assert call([*argv, "--out", str(tmp_path / "figs")])[0] == 0
    assert (tmp_path / "figs" / "discover-box.png").is_file() and (tmp_path / "figs" / "discover.json").is_file()
    assert call([*argv, "--out", str(tmp_path / "new" / "y1")])[0] == 0  # made if missing
    assert (tmp_path / "new" / "y1" / "discover-trajectory.csv").is_file()
    assert (tmp_path / "new" / "y1" / "discover.json").is_file()


def test_the_answer_is_printed_before_the_figures_are_drawn(tmp_path, monkeypatch):
    from cisim.interfaces import discovery_plots

    seen: list[str] = []
    real = discovery_plots.write_figures

    def record(*args, **kwargs):
        seen.append(sys.stdout.getvalue())
        return real(*args, **kwargs)

    monkeypatch.setattr(discovery_plots, "write_figures", record)
    table = tmp_path / "runs.csv"
    known_box(n=800).to_csv(table, index=False)
    status, stdout, stderr = call(["report", "discover", str(table), "--where", "y == 1", "--inputs", "x1,x2,k"])
    assert status == 0, stderr
    (before,) = seen
    assert "the base rate" in before and "quasi-p" in before and "In " in before and "Wrote:" not in before


@pytest.mark.parametrize("where, needles", [
    ("y2 == 1", ["no column 'y2'", "did you mean 'y'"]),
    ("y ==", ["cannot read 'y =='"]),
    ("x1 + 1", ["not true or false"]),
    ("y > 5", ["holds in none of the 3000 runs"]),
    ("y >= 0", ["holds in every one of the 3000 runs"]),
    ("1 > 0", ["one value, not one per run"]),
    ("y = 1", ["gives a table"]),
    ("", ["expected a condition"]),
])
def test_a_bad_expression_is_one_line_and_status_2(tmp_path, where, needles):
    table = tmp_path / "runs.csv"
    known_box().to_csv(table, index=False)
    status, stdout, stderr = call(["report", "discover", str(table), "--where", where, "--inputs", "x1,x2"])
    assert_one_line_error(status, stdout, stderr, "--where", *needles)
    assert [p.name for p in tmp_path.iterdir()] == ["runs.csv"]  # nothing written


@pytest.mark.parametrize("argv, needles", [
    (["--where", "y == 1"], ["--inputs: expected the input columns of a table file"]),
    (["--where", "y == 1", "--inputs", "x1,zz"], ["--inputs: 'zz' is not one of the table's columns"]),
    (["--inputs", "x1"], ["--where: expected the condition"]),
    (["--where", "y == 1", "--inputs", "x1", "--peel-alpha", "0.9"], ["--peel-alpha: expected a share"]),
    (["--where", "y == 1", "--inputs", "x1", "--threshold", "1.5"], ["--threshold: expected a share"]),
], ids=lambda x: " ".join(x) if isinstance(x, list) else None)
def test_bad_options_are_one_line_and_status_2(tmp_path, argv, needles):
    table = tmp_path / "runs.csv"
    known_box(n=200).to_csv(table, index=False)
    assert_one_line_error(*call(["report", "discover", str(table), *argv]), *needles)


def test_bad_results_and_misplaced_options(tmp_path):
    results = write_sweep(tmp_path / "sweep", sweep_runs())
    assert_one_line_error(*call(["report", "discover", str(results), "--where", "outcome_60 > 0.7", "--inputs",
                                 "coalition.sise"]), "--inputs", "not one of the sweep's factors",
                          "did you mean 'coalition.size'")
    assert_one_line_error(*call(["report", "discover", str(tmp_path / "nothing"), "--where", "y"]),
                          "expected the folder of a sweep or a calibration")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "metadata.json").write_text(json.dumps({"kind": "compare"}))
    assert_one_line_error(*call(["report", "discover", str(tmp_path / "other"), "--where", "y"]),
                          'expected "kind": "sweep" or "calibration"')
    assert_one_line_error(*call(["report", "backbone", str(results), "--where", "outcome_60 > 0.7"]),
                          "--where: applies to 'cisim report discover' only")
