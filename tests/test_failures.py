"""Failures that clean up: a killed sweep leaves no worker behind and loses or duplicates no row on resume; a lost
Dask scheduler or the loss of every worker ends the sweep with one line, its chunks kept."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from cisim.experiments import sweep as sw

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENT = """
name = "kills"
scenario = "collective"
seed = 7
replicates = 60
outputs = ["outcome_final", "total_spend", "members_left_total"]
[changes]
months = 120
[design]
kind = "grid"
[factors."backbone.budget_share"]
levels = [0.0, 0.05]
"""
KEYS = ["point", "replicate"]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("exp") / "kills.toml"
    path.write_text(EXPERIMENT, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def uninterrupted(experiment, tmp_path_factory) -> pd.DataFrame:
    return sw.run_sweep(experiment, tmp_path_factory.mktemp("full"), workers=1, progress=False)


def start_sweep(experiment: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "cisim.interfaces.cli", "sweep", str(experiment), "--out", str(out),
                             "--workers", "2", *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            cwd=ROOT)


def wait_for_chunks(process: subprocess.Popen, out: Path, n: int = 1, timeout: float = 180) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if len(list((out / "runs").glob("chunk-*.parquet"))) >= n:
            return
        if process.poll() is not None:
            raise AssertionError(f"the sweep ended before {n} chunks: {process.stderr.read()}")
        time.sleep(0.05)
    raise AssertionError("no chunk written in time")


def lost_and_duplicated(rows: pd.DataFrame, full: pd.DataFrame) -> tuple[int, int]:
    have = set(map(tuple, rows[KEYS].to_numpy()))
    lost = sum(1 for key in map(tuple, full[KEYS].to_numpy()) if key not in have)
    return lost, int(rows.duplicated(KEYS).sum())


def kill_and_resume(experiment: Path, out: Path, full: pd.DataFrame, sig: int, delay: float = 0.0,
                    backend: str = "local") -> tuple[int, int, list[psutil.Process], subprocess.Popen]:
    """Start a sweep, kill its main process with ``sig`` after its first chunk (and ``delay``), then resume it
    in this process; returns rows lost and duplicated, the workers still alive 20 s after, and the process."""
    process = start_sweep(experiment, out, "--backend", backend)
    wait_for_chunks(process, out)
    children = psutil.Process(process.pid).children(recursive=True)
    assert children, "the sweep started no worker process"
    time.sleep(delay)
    process.send_signal(sig)
    process.wait(timeout=120)
    _, alive = psutil.wait_procs(children, timeout=20)
    rows = sw.run_sweep(experiment, out, workers=1, progress=False, resume=True, log=lambda line: None)
    lost, duplicated = lost_and_duplicated(rows, full)
    pd.testing.assert_frame_equal(rows, full)
    return lost, duplicated, alive, process


@pytest.mark.parametrize("sig, backend", [(signal.SIGKILL, "local"), (signal.SIGTERM, "local"),
                                          (signal.SIGKILL, "dask")],
                         ids=["SIGKILL", "SIGTERM", "SIGKILL-dask-local-cluster"])
def test_a_killed_sweep_leaves_no_worker_and_resumes_without_losing_a_row(experiment, uninterrupted, tmp_path, sig,
                                                                          backend):
    lost, duplicated, alive, process = kill_and_resume(experiment, tmp_path / "k", uninterrupted, sig,
                                                       backend=backend)
    assert alive == [], f"worker processes outlived the sweep: {[p.pid for p in alive]}"
    assert (lost, duplicated) == (0, 0)
    if sig == signal.SIGTERM:  # stopped as Ctrl-C stops it: the running chunks written, one line said
        stderr = process.stderr.read()
        assert process.returncode == 130 and "interrupted;" in stderr and "--resume" in stderr
        assert "Traceback" not in stderr


def test_a_worker_process_killed_mid_sweep_ends_it_with_one_line(experiment, uninterrupted, tmp_path):
    out = tmp_path / "w"
    process = start_sweep(experiment, out)
    wait_for_chunks(process, out)
    me = psutil.Process(process.pid)
    workers = [c for c in me.children() if "resource_tracker" not in " ".join(c.cmdline())]
    workers[0].kill()  # as the out-of-memory killer would
    process.wait(timeout=120)
    stderr = process.stderr.read().strip()
    assert process.returncode == 1, stderr
    assert stderr.splitlines()[-1].startswith("cisim: error: a worker process of this sweep died")
    assert "Traceback" not in stderr and "--resume" in stderr and "runs are kept in" in stderr
    rows = sw.run_sweep(experiment, out, workers=1, progress=False, resume=True, log=lambda line: None)
    assert lost_and_duplicated(rows, uninterrupted) == (0, 0)


@pytest.mark.slow
def test_kill_and_resume_trials(experiment, uninterrupted, tmp_path):
    """Many kills at random moments, by every signal that ends a sweep: no row lost, none duplicated, no worker left."""
    rng = random.Random(16)
    tally = {"trials": 0, "lost": 0, "duplicated": 0, "workers_left": 0, "ended_before_the_kill": 0}
    for i in range(12):
        sig = rng.choice([signal.SIGKILL, signal.SIGTERM, signal.SIGINT])
        backend = rng.choice(["local", "local", "dask"])
        lost, dup, alive, process = kill_and_resume(experiment, tmp_path / f"t{i}", uninterrupted, sig,
                                                    rng.uniform(0, 0.8), backend)
        tally["trials"] += 1
        tally["lost"] += lost
        tally["duplicated"] += dup
        tally["workers_left"] += len(alive)
        tally["ended_before_the_kill"] += process.returncode == 0
    print(json.dumps(tally))
    assert {k: tally[k] for k in ("trials", "lost", "duplicated", "workers_left")} == {
        "trials": 12, "lost": 0, "duplicated": 0, "workers_left": 0}
    assert tally["ended_before_the_kill"] <= 3  # the kills came mid-sweep


# ---------------------------------------------------------------- a Dask cluster that goes away

def _start(argv: list[str]) -> subprocess.Popen:
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and one single-threaded worker, as separate processes on 127.0.0.1."""
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    file = tmp_path / "scheduler.json"
    scheduler = _start([*dask, "--host", "127.0.0.1", "--port", "0", "--dashboard-address", "127.0.0.1:0",
                        "--scheduler-file", str(file)])
    end = time.monotonic() + 60
    while not file.exists() and time.monotonic() < end:
        time.sleep(0.1)
    address = json.loads(file.read_text())["address"]
    worker = _start([sys.executable, "-m", "distributed.cli.dask_worker", address, "--host", "127.0.0.1",
                     "--dashboard-address", "127.0.0.1:0", "--nthreads", "1", "--nworkers", "1"])
    from distributed import Client

    with Client(address, timeout=30) as c:
        c.wait_for_workers(1, timeout=60)
    yield address, scheduler, worker
    for p in (worker, scheduler):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGKILL)
        p.wait(timeout=30)


@pytest.mark.parametrize("lose", ["scheduler", "workers"])
def test_losing_the_dask_scheduler_or_its_workers_ends_the_sweep_and_keeps_its_chunks(
        experiment, uninterrupted, tmp_path, monkeypatch, cluster, lose):
    address, scheduler, worker = cluster
    monkeypatch.setattr(sw, "LOST_AFTER", 3.0)
    monkeypatch.setattr(sw, "WORKERS_EVERY", 0.5)
    victim = scheduler if lose == "scheduler" else worker
    out = tmp_path / "d"

    def lose_it(k: int) -> None:
        if victim.poll() is None:
            os.killpg(victim.pid, signal.SIGKILL)

    t0 = time.monotonic()
    with pytest.raises(sw.WorkersLost) as caught:
        sw.run_sweep(experiment, out, progress=False, scheduler=address, chunk_runs=10, on_chunk=lose_it)
    assert time.monotonic() - t0 < 90
    exc = caught.value
    what = "lost the Dask scheduler" if lose == "scheduler" else "all workers of the Dask scheduler"
    assert what in exc.line() and "--resume" in exc.line()
    kept = sw.load_results(out)
    assert exc.kept == len(kept) >= 10 and exc.runs == len(uninterrupted)
    rows = sw.run_sweep(experiment, out, workers=1, progress=False, resume=True, log=lambda line: None)
    assert lost_and_duplicated(rows, uninterrupted) == (0, 0)
    pd.testing.assert_frame_equal(rows, uninterrupted)
