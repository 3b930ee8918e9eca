"""Experiment files and sweeps: validation, designs, seeds, chunks, resume, failures, the CLI."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_call import call

from cisim.experiments import sweep as sw
from cisim.experiments import worker
from cisim.experiments.experiment import derive_seeds, load_experiment
from cisim.experiments.runner import run_batch
from cisim.interfaces.cli import main
from cisim.model.scenario import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "experiments" / "smoke.toml"

BASE = """
name = "t"
scenario = "collective"
seed = 3
replicates = 2
outputs = ["outcome_final", "total_spend"]
[changes]
months = 12
"coalition.size" = 10
"""


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def grid(tmp_path: Path, extra: str = "", factors: str | None = None) -> Path:
    factors = factors if factors is not None else """
[factors."backbone.budget_share"]
levels = [0.0, 0.1, 0.2]
[factors."conditions.common_agenda"]
levels = [0.0, 1.0]
"""
    return write(tmp_path, extra + BASE + '[design]\nkind = "grid"\n' + factors)


# ---------------------------------------------------------------- loading and validation

def test_bundled_experiments_load():
    bb = load_experiment(ROOT / "experiments" / "backbone_investment.toml")
    assert bb.n_points == 20 and bb.replicates == 20 and bb.scenario.name == "collective"
    shares = [0.02 * k for k in range(16)] + [0.35, 0.40, 0.50, 0.60]
    assert bb.points()["backbone.budget_share"].tolist() == pytest.approx(shares)
    five = load_experiment(ROOT / "experiments" / "five_conditions.toml")
    assert five.n_points == 32 and five.n_runs == 320
    assert len(five.points().drop(columns="point").drop_duplicates()) == 32
    smoke = load_experiment(SMOKE)
    assert smoke.scenario.months == 24


@pytest.mark.parametrize("text, key, words", [
    ('replicate = 3\n', "replicate", "did you mean 'replicates'"),
    ('outputs = ["outcome_finale"]\n', "outputs", "did you mean 'outcome_final'"),
    ('replicates = 0\n', "replicates", "1 or more"),
    ('replicates = "two"\n', "replicates", "expected a whole number"),
])
def test_top_level_errors_name_file_and_key(tmp_path, text, key, words):
    body = BASE.replace("replicates = 2\n", "").replace('outputs = ["outcome_final", "total_spend"]\n', "")
    p = write(tmp_path, text + body + '[design]\nkind = "grid"\n[factors."backbone.budget_share"]\nlevels = [0.1]\n')
    with pytest.raises(ScenarioError) as err:
        load_experiment(p)
    assert err.value.file == str(p.resolve()) and err.value.key == key
    assert words in str(err.value)


@pytest.mark.parametrize("factors, key, words", [
    ('[factors."backbone.budget_shares"]\nlevels = [0.1]\n', "factors.backbone.budget_shares",
     "did you mean 'backbone.budget_share'"),
    ('[factors."conditions.nonsense"]\nlevels = [0.1]\n', "factors.conditions.nonsense", "not a parameter"),
    ('[factors."domains.nowhere.extra_funding"]\nlevels = [0.1]\n', "factors.domains.nowhere.extra_funding",
     "unknown domain"),
    ('[factors."backbone.budget_share"]\nlevels = [0.1, 0.95]\n', "factors.backbone.budget_share.levels",
     "from 0 to 0.9"),
    ('[factors."coalition.size"]\nlevels = [10, 12.5]\n', "factors.coalition.size.levels", "whole number"),
    ('[factors."backbone.budget_share"]\nlevel = [0.1]\n', "factors.backbone.budget_share.level",
     "did you mean 'levels'"),
    ('[factors."backbone.budget_share"]\nlevels = []\n', "factors.backbone.budget_share.levels", "non-empty"),
    ('', "factors", "at least one"),
])
def test_factor_errors_name_file_and_key(tmp_path, factors, key, words):
    p = grid(tmp_path, factors=factors)
    with pytest.raises(ScenarioError) as err:
        load_experiment(p)
    assert err.value.file == str(p.resolve()) and err.value.key == key, str(err.value)
    assert words in str(err.value)


def test_design_and_scenario_errors(tmp_path):
    p = write(tmp_path, BASE + '[design]\nkind = "gird"\n[factors."backbone.budget_share"]\nlevels = [0.1]\n')
    with pytest.raises(ScenarioError, match="did you mean 'grid'") as err:
        load_experiment(p)
    assert err.value.key == "design.kind"
    p = write(tmp_path, BASE.replace('"collective"', '"colective"')
              + '[factors."backbone.budget_share"]\nlevels = [0.1]\n')
    with pytest.raises(ScenarioError, match="does not load") as err:
        load_experiment(p)
    assert err.value.key == "scenario" and err.value.file == str(p.resolve())
    p = write(tmp_path, BASE.replace('"coalition.size" = 10', '"coalition.size" = 1')
              + '[factors."backbone.budget_share"]\nlevels = [0.1]\n')
    with pytest.raises(ScenarioError, match="from 2 to 200") as err:
        load_experiment(p)
    assert err.value.key == "changes.coalition.size"
    p = write(tmp_path, BASE + '[design]\nkind = "lhs"\n[factors."backbone.budget_share"]\nlow = 0.0\nhigh = 0.2\n')
    with pytest.raises(ScenarioError, match="missing") as err:
        load_experiment(p)
    assert err.value.key == "design.points"
    with pytest.raises(ScenarioError, match="no such experiment file"):
        load_experiment(tmp_path / "missing.toml")


def test_scenario_path_relative_to_the_experiment_file(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mine.toml").write_text('extends = "collective"\nmonths = 12\n', encoding="utf-8")
    p = write(tmp_path / "sub", BASE.replace('"collective"', '"mine.toml"').replace("months = 12\n", "")
              + '[factors."backbone.budget_share"]\nlevels = [0.1]\n')
    assert load_experiment(p).scenario.months == 12


# ---------------------------------------------------------------- designs and seeds

def test_grid_points_and_runs(tmp_path):
    e = load_experiment(grid(tmp_path))
    pts = e.points()
    assert len(pts) == 6 and pts["point"].tolist() == list(range(6))
    assert pts["backbone.budget_share"].tolist() == [0.0, 0.0, 0.1, 0.1, 0.2, 0.2]  # first factor slowest
    runs = e.runs()
    assert len(runs) == 12 and list(runs.columns[:3]) == ["point", "replicate", "seed"]
    # common seeds by default on a grid: replicate k has one seed at every point
    assert runs.groupby("replicate")["seed"].nunique().eq(1).all()
    assert runs.loc[runs.point == 0, "seed"].nunique() == 2


def test_seeds_deterministic_and_distinct_when_not_common(tmp_path):
    p = grid(tmp_path, extra="common_seeds = false\n")
    a, b = load_experiment(p).runs(), load_experiment(p).runs()
    pd.testing.assert_frame_equal(a, b)
    assert a["seed"].is_unique
    assert a.loc[0, "seed"] == np.random.SeedSequence([3, 0, 0]).generate_state(1)[0]
    assert a.loc[3, "seed"] == np.random.SeedSequence([3, 1, 1]).generate_state(1)[0]
    assert (derive_seeds(3, 2, 2, True)[0] == derive_seeds(3, 2, 2, True)[1]).all()
    changed = write(tmp_path, p.read_text().replace("seed = 3", "seed = 4"), "other.toml")
    assert not set(load_experiment(changed).runs()["seed"]) & set(a["seed"])


def test_lhs_points_in_bounds_and_stratified(tmp_path):
    p = write(tmp_path, BASE + """[design]
kind = "lhs"
points = 20
[factors."backbone.budget_share"]
low = 0.0
high = 0.2
[factors."coalition.size"]
low = 10
high = 29
""")
    e = load_experiment(p)
    pts = e.points()
    assert len(pts) == 20 and not e.common_seeds and e.runs()["seed"].is_unique
    share = pts["backbone.budget_share"].to_numpy()
    assert ((share >= 0) & (share <= 0.2)).all()
    assert sorted(np.floor(share / 0.01).astype(int)) == list(range(20))  # one point per stratum
    assert pts["coalition.size"].dtype == np.int64 and sorted(pts["coalition.size"]) == list(range(10, 30))
    pd.testing.assert_frame_equal(pts, load_experiment(p).points())


def test_table_design(tmp_path):
    (tmp_path / "points.csv").write_text("backbone.budget_share,coalition.size\n0.0,10\n0.1,12\n0.3,14\n",
                                         encoding="utf-8")
    p = write(tmp_path, BASE + '[design]\nkind = "table"\nfile = "points.csv"\n')
    e = load_experiment(p)
    assert e.n_points == 3 and e.factors == ["backbone.budget_share", "coalition.size"]
    assert e.points()["coalition.size"].tolist() == [10, 12, 14]
    (tmp_path / "points.csv").write_text("backbone.budget_share\n0.0\n2.0\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="from 0 to 0.9") as err:
        load_experiment(p)
    assert "backbone.budget_share" in err.value.key and "row 2" in err.value.key


# ---------------------------------------------------------------- sweeps

@pytest.fixture(scope="module")
def smoke_one(tmp_path_factory):
    out = tmp_path_factory.mktemp("one")
    return out, sw.run_sweep(SMOKE, out, workers=1, progress=False, chunk_runs=5)


def test_sweep_rows_equal_run_batch(smoke_one):
    out, df = smoke_one
    e = load_experiment(SMOKE)
    runs = e.runs()
    assert len(df) == e.n_runs and (df["status"] == "ok").all() and df["error"].isna().all()
    pd.testing.assert_frame_equal(df[runs.columns], runs)
    direct = run_batch(runs.drop(columns=["point", "replicate"]), scenario=e.scenario).summary
    for c in e.outputs:
        np.testing.assert_array_equal(df[c].to_numpy(), direct[c].to_numpy())
    assert len(list((out / "runs").glob("chunk-*.parquet"))) == 3
    pd.testing.assert_frame_equal(pd.read_parquet(out / "runs").sort_values(["point", "replicate"])
                                  .reset_index(drop=True)[list(df.columns)], df, check_dtype=False)
    record = json.loads((out / "metadata.json").read_text())
    assert record["finished"] and record["runs_ok"] == 12 and record["runs_failed"] == 0
    assert record["experiment"]["content"]["name"] == "smoke" and record["versions"]["numpy"]
    assert record["scenario"]["parameters"]["months"] == 24


@pytest.fixture(scope="module")
def smoke_pool(tmp_path_factory):
    out = tmp_path_factory.mktemp("pool")
    return out, sw.run_sweep(SMOKE, out, workers=2, progress=False, chunk_runs=3)


def test_two_workers_give_the_same_rows(smoke_one, smoke_pool):
    _, one = smoke_one
    out, two = smoke_pool
    pd.testing.assert_frame_equal(one, two)
    record = json.loads((out / "metadata.json").read_text())
    assert record["workers"] == 2 and record["backend"] == "local"
    assert 0 < record["sessions"][-1]["batch_seconds"]


def test_spawned_worker_starts_without_scipy_linalg_and_gives_the_same_numbers():
    """The worker's start-up skips numba's BLAS probe (the import of scipy.linalg); its runs match."""
    import subprocess
    import sys

    code = ("import json, sys, numpy as np; from cisim.experiments import worker; worker.init(); worker.warm(); "
            "from cisim.model.scenario import load; "
            "chunk = worker.run_chunk(0, load('collective'), [], np.empty((2, 0)), np.array([3, 4]), "
            "['outcome_final']); "
            "print(json.dumps(['scipy.linalg' in sys.modules, chunk.values.ravel().tolist()]))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300)
    loaded, values = json.loads(done.stdout)
    assert loaded is False
    assert values == run_batch("collective", [3, 4], threads=1).summary["outcome_final"].tolist()


def test_dask_cluster_gives_the_same_rows_as_the_process_pool(smoke_pool, tmp_path):
    from distributed import LocalCluster

    _, pool = smoke_pool
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster:
        address = cluster.scheduler_address
        assert address.startswith("tcp://127.0.0.1:")
        df = sw.run_sweep(SMOKE, tmp_path / "d", progress=False, chunk_runs=3, scheduler=address)
    pd.testing.assert_frame_equal(df, pool)
    record = json.loads((tmp_path / "d" / "metadata.json").read_text())
    assert record["backend"] == "dask" and record["workers"] == 2 and record["runs_ok"] == 12
    assert record["sessions"][-1]["scheduler"] == address and record["versions"]["distributed"]


def test_cli_sweep_on_a_local_dask_cluster(smoke_one, tmp_path):
    _, one = smoke_one
    out = tmp_path / "dc"
    argv = ["sweep", str(SMOKE), "--out", str(out), "--backend", "dask", "--workers", "1", "--json"]
    status, stdout, stderr = call(argv)
    assert status == 0, stderr
    assert json.loads(stdout)["runs_ok"] == 12
    record = json.loads((out / "metadata.json").read_text())
    assert record["backend"] == "dask" and record["sessions"][-1]["scheduler"].startswith("tcp://127.0.0.1:")
    pd.testing.assert_frame_equal(sw.load_results(out), one)


@pytest.mark.parametrize("address, words", [
    ("nonsense://x", "expected tcp://HOST:PORT"),
    ("tcp://127.0.0.1:99999", "expected tcp://HOST:PORT"),
])
def test_cli_sweep_bad_scheduler_address_exits_2(tmp_path, address, words):
    out = tmp_path / "x"
    status, stdout, stderr = call(["sweep", str(SMOKE), "--out", str(out), "--scheduler", address])
    assert status == 2 and stdout == "" and words in stderr and "--scheduler" in stderr
    assert not out.exists()


def test_cli_sweep_unreachable_scheduler_exits_2_and_writes_nothing(tmp_path, monkeypatch):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setattr(sw, "CONNECT_TIMEOUT", 1)
    out = tmp_path / "x"
    status, _, stderr = call(["sweep", str(SMOKE), "--out", str(out), "--scheduler", f"tcp://127.0.0.1:{port}"])
    assert status == 2 and "cannot reach the Dask scheduler" in stderr
    assert not out.exists()


def test_existing_results_are_not_overwritten(smoke_one):
    out, _ = smoke_one
    with pytest.raises(ScenarioError, match="--resume"):
        sw.run_sweep(SMOKE, out, workers=1, progress=False)


def test_resume_runs_only_missing_chunks(smoke_one, tmp_path, monkeypatch):
    _, full = smoke_one
    out = tmp_path / "r"
    sw.run_sweep(SMOKE, out, workers=1, progress=False, chunk_runs=5)
    (out / "runs" / "chunk-00001.parquet").unlink()
    ran = []
    real = sw._chunk_job

    def counting(k, *args):
        ran.append(k)
        return real(k, *args)

    monkeypatch.setattr(sw, "_chunk_job", counting)
    again = sw.run_sweep(SMOKE, out, workers=1, progress=False, resume=True)
    assert ran == [1]
    pd.testing.assert_frame_equal(again, full)
    assert not again.duplicated(["point", "replicate"]).any()
    record = json.loads((out / "metadata.json").read_text())
    assert len(record["sessions"]) == 2 and record["sessions"][1]["chunks_kept"] == 2


def test_interrupted_sweep_keeps_finished_chunks(smoke_one, tmp_path):
    _, full = smoke_one
    out = tmp_path / "i"

    def stop(k):
        if k == 1:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(SMOKE, out, workers=1, progress=False, chunk_runs=4, on_chunk=stop)
    kept = sorted(p.name for p in (out / "runs").glob("*"))
    assert kept == ["chunk-00000.parquet", "chunk-00001.parquet"]  # and no temporary files
    assert json.loads((out / "metadata.json").read_text())["finished"] is None
    with pytest.raises(ScenarioError, match="different experiment"):
        other = load_experiment(SMOKE)
        other.seed += 1
        sw.run_sweep(other, out, workers=1, progress=False, resume=True)
    done = sw.run_sweep(SMOKE, out, workers=1, progress=False, resume=True)
    pd.testing.assert_frame_equal(done, full)


def test_failing_run_is_recorded_and_the_rest_complete(smoke_one, tmp_path, monkeypatch):
    _, full = smoke_one
    real = worker._simulate
    exp = load_experiment(SMOKE)
    runs = exp.runs()
    bad_run = runs.loc[(runs["point"] == 2) & (runs["replicate"] == 1)]
    bad_seed, bad_values = bad_run["seed"].item(), bad_run[list(exp.factors)].to_numpy(dtype=float)[0]

    def flaky(scenario, columns, values, seeds, outputs):
        if ((seeds == bad_seed) & (values == bad_values).all(axis=1)).any():
            raise RuntimeError("boom")
        return real(scenario, columns, values, seeds, outputs)

    monkeypatch.setattr(worker, "_simulate", flaky)
    df = sw.run_sweep(SMOKE, tmp_path / "f", workers=1, progress=False, chunk_runs=5)
    bad = (df["point"] == 2) & (df["replicate"] == 1)
    assert df.loc[bad, "status"].tolist() == ["error"]
    assert df.loc[bad, "error"].iloc[0] == "RuntimeError: boom"
    assert df.loc[bad, list(load_experiment(SMOKE).outputs)].isna().all(axis=None)
    pd.testing.assert_frame_equal(df[~bad].reset_index(drop=True), full[~bad].reset_index(drop=True))
    record = json.loads((tmp_path / "f" / "metadata.json").read_text())
    assert record["runs_ok"] == 11 and record["runs_failed"] == 1


def test_months_as_a_factor(tmp_path):
    p = grid(tmp_path, factors='[factors."months"]\nlevels = [12, 6]\n[factors."backbone.budget_share"]\n'
                               'levels = [0.0, 0.1]\n')
    e = load_experiment(p)
    df = sw.run_sweep(e, tmp_path / "m", workers=1, progress=False)
    assert (df["status"] == "ok").all()
    runs = e.runs()
    for months in (12, 6):
        rows = runs[runs["months"] == months]
        direct = run_batch(rows.drop(columns=["point", "replicate", "months"]),
                           scenario=e.scenario.replace({"months": months})).summary
        np.testing.assert_array_equal(df.loc[rows.index, "outcome_final"].to_numpy(), direct["outcome_final"])


# ---------------------------------------------------------------- the command



def test_cli_sweep_bad_file_exits_2(tmp_path):
    p = grid(tmp_path, factors='[factors."backbone.budget_shares"]\nlevels = [0.1]\n')
    status, stdout, stderr = call(["sweep", str(p), "--out", str(tmp_path / "o")])
    assert status == 2 and stdout == ""
    assert stderr.startswith("cisim: error: ") and "backbone.budget_shares" in stderr and str(p.resolve()) in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_cli_sweep_smoke(tmp_path):
    out = tmp_path / "s"
    status, stdout, stderr = call(["sweep", str(SMOKE), "--out", str(out), "--workers", "1", "--json"])
    assert status == 0, stderr
    digest = json.loads(stdout)
    assert digest["runs"] == 12 and digest["runs_ok"] == 12 and digest["runs_failed"] == 0
    assert len(pd.read_parquet(out / "runs")) == 12
    assert json.loads((out / "metadata.json").read_text())["finished"]
    status, _, stderr = call(["sweep", str(SMOKE), "--out", str(out), "--workers", "1"])
    assert status == 2 and "--resume" in stderr
    status, stdout, _ = call(["sweep", str(SMOKE), "--out", str(out), "--workers", "1", "--resume"])
    assert status == 0 and "12 of 12 runs ok" in stdout


def test_cli_report_draws_the_backbone_and_ablation_reports(tmp_path):
    exp = write(tmp_path, """
name = "report-smoke"
scenario = "collective"
seed = 3
replicates = 3
outputs = ["outcome_36", "outcome_final", "cost_per_point", "total_spend", "people_completed_total",
           "funder_spend_total", "backbone_income_total", "funder_cost_per_person_helped", "cost_per_person_helped",
           "months_to_completion_final"]
[changes]
months = 36
"coalition.size" = 12
[design]
kind = "grid"
[factors."backbone.budget_share"]
levels = [0.0, 0.1]
[factors."conditions.shared_measurement"]
levels = [0.0, 1.0]
""")
    out = tmp_path / "results"
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert main(["sweep", str(exp), "--out", str(out), "--workers", "1"]) == 0
        err.seek(0)
        err.truncate()
        assert main(["report", "backbone", str(out), "--uncertainty", "seeds"]) == 0  # the sweep ran seed noise
        # a note for a person: no Python warning with its source line
        assert "cisim: note: backbone_report: other factors vary too" in err.getvalue()
        assert "UserWarning" not in err.getvalue()
        assert main(["report", "ablation", str(out), "--output", "outcome_final"]) == 0
    for name in ("backbone.png", "backbone.pdf", "backbone.csv", "ablation.png", "ablation.csv"):
        assert (out / name).stat().st_size > 0
    table = pd.read_csv(out / "backbone.csv")
    assert set(table["share"]) == {0.0, 0.1}
    assert table["best"].sum() == 1


def test_cli_report_on_something_that_is_not_a_sweep_exits_2(tmp_path):
    err = io.StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exc:
        main(["report", "backbone", str(tmp_path)])
    assert exc.value.code == 2
    assert str(tmp_path) in err.getvalue() and "cisim sweep" in err.getvalue()


@pytest.mark.parametrize("n, size, workers", [(20000, 1000, 2), (7, 3, 2), (5, 1000, 4), (1001, 10, 1), (64, 7, 3)])
def test_chunks_cover_every_run_once_with_a_tapered_tail(n, size, workers):
    bounds = sw.chunk_bounds(n, size, workers)
    assert bounds[0][0] == 0 and bounds[-1][1] == n
    assert all(lo < hi for lo, hi in bounds) and all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))
    sizes = [hi - lo for lo, hi in bounds]
    assert max(sizes) <= size
    if workers > 1 and n > 2 * workers * size:
        # the last 2 x workers x size runs go in quarter-size chunks, so the workers finish together
        start = n - 2 * workers * size
        assert start in [lo for lo, _ in bounds]
        assert all(hi - lo <= max(1, size // 4) for lo, hi in bounds if lo >= start)
    assert [hi - lo for lo, hi in sw.chunk_bounds(n, size, workers, taper=False)][:-1] == \
        [size] * (len(sw.chunk_bounds(n, size, workers, taper=False)) - 1)
