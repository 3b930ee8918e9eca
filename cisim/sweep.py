"""Run an experiment's design on all local cores, in chunks, resumably.

``run_sweep`` splits the runs of an experiment (``Experiment.runs()``, ordered by point
then replicate) into chunks of consecutive runs and runs each chunk with ``run_batch``
(one core per worker process).  Every finished chunk is written at once, atomically, as
its own Parquet file::

    OUT/runs/chunk-00000.parquet     a row per run: point, replicate, seed, the factors,
    OUT/runs/chunk-00001.parquet     status ("ok" or "error"), error, the outputs kept
    ...
    OUT/plan.json                    the chunking and a fingerprint of the experiment
    OUT/metadata.json                experiment file and content, base scenario, versions,
                                     started and finished times, workers, runs ok and failed

The files of ``OUT/runs`` together are one Parquet dataset (``pd.read_parquet(OUT / "runs")``
or ``load_results(OUT)``).  A run that fails is recorded with its error and NaN outputs,
and the sweep goes on.  After an interruption (Ctrl-C, the process killed) the same call
with ``resume=True`` keeps every finished chunk and runs only the missing ones.  Each run's
numbers depend only on its parameters and seed, so they do not depend on the number of
workers or on the chunking.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cisim import metadata as meta
from cisim.experiment import RUN_COLUMNS, Experiment, load_experiment
from cisim.runner import run_batch
from cisim.scenario import Scenario, ScenarioError

RUNS_DIR = "runs"
#: Most runs in one chunk (about 1 to 4 seconds of work for the bundled scenarios).
MAX_CHUNK_RUNS = 1000
#: Chunks per worker at least, so that the work spreads evenly.
CHUNKS_PER_WORKER = 4
#: Below this much work (run-months of a 30-member coalition, about 10 seconds on one core) a sweep
#: with the default number of workers runs in this process: starting worker processes costs more.
POOL_MIN_WORK = 500_000
STATUS_OK, STATUS_ERROR = "ok", "error"


def default_workers() -> int:
    """The local cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _work(experiment: Experiment, runs: int) -> float:
    """Rough cost of ``runs`` runs in run-months of a 30-member coalition."""
    size = experiment.scenario.get("coalition.size")
    if "coalition.size" in experiment.factors:
        size = float(experiment.points()["coalition.size"].mean())
    months = experiment.scenario.months
    if "months" in experiment.factors:
        months = float(experiment.points()["months"].mean())
    return runs * months * max(1.0, size / 30) ** 2


def default_chunk_runs(n_runs: int, workers: int) -> int:
    """Runs per chunk: at most ``MAX_CHUNK_RUNS`` and at least ``CHUNKS_PER_WORKER`` chunks per worker."""
    return max(1, min(MAX_CHUNK_RUNS, math.ceil(n_runs / (CHUNKS_PER_WORKER * max(1, workers)))))


def chunk_path(out_dir: Path, k: int) -> Path:
    return Path(out_dir) / RUNS_DIR / f"chunk-{k:05d}.parquet"


# ---------------------------------------------------------------- one chunk (runs in a worker)

def _simulate(scenario: Scenario, rows: pd.DataFrame, outputs: tuple[str, ...]) -> pd.DataFrame:
    """Outputs of the runs of ``rows`` (factor columns and ``seed``), in row order.  Raises if any run fails.

    Factors that cannot vary within one batch (``months``) are run as one batch per value.
    """
    params = rows.drop(columns=[c for c in RUN_COLUMNS if c != "seed"])
    fixed = [c for c in params.columns if c == "months"]
    if not fixed:
        res = run_batch(params, outputs="summary", scenario=scenario, threads=1)
        return res.summary[list(outputs)].reset_index(drop=True)
    parts = []
    for key, group in params.groupby(fixed, sort=False):
        key = key if isinstance(key, tuple) else (key,)
        base = scenario.replace({c: int(v) for c, v in zip(fixed, key)})
        res = run_batch(group.drop(columns=fixed), outputs="summary", scenario=base, threads=1)
        parts.append(res.summary[list(outputs)].set_axis(group.index))
    return pd.concat(parts).loc[params.index].reset_index(drop=True)


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def run_chunk(scenario: Scenario, rows: pd.DataFrame, outputs: tuple[str, ...]) -> pd.DataFrame:
    """The result rows of one chunk: the inputs, ``status``, ``error`` and the outputs.

    If the chunk fails as a whole its runs are retried one by one, and each run that
    still fails is recorded with ``status="error"``, its error and NaN outputs.
    """
    rows = rows.reset_index(drop=True)
    status = np.full(len(rows), STATUS_OK, dtype=object)
    errors: list[str | None] = [None] * len(rows)
    try:
        out = _simulate(scenario, rows, outputs)
    except Exception:
        out = pd.DataFrame(np.nan, index=range(len(rows)), columns=list(outputs))
        for i in range(len(rows)):
            try:
                one = _simulate(scenario, rows.iloc[[i]], outputs)
                out.iloc[i] = one.iloc[0].to_numpy(dtype=float)
            except Exception as exc:
                status[i] = STATUS_ERROR
                errors[i] = _error_text(exc)
    table = rows.copy()
    table["status"] = pd.array(status, dtype="string")
    table["error"] = pd.array(errors, dtype="string")
    for c in outputs:
        table[c] = out[c].to_numpy(dtype=float)
    return table


def _write_chunk(table: pd.DataFrame, path: Path) -> None:
    with meta.atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False)


def _chunk_job(k: int, scenario: Scenario, rows: pd.DataFrame, outputs: tuple[str, ...],
               path: str) -> tuple[int, int, int]:
    """Run chunk ``k`` and write it; returns (k, runs ok, runs failed)."""
    table = run_chunk(scenario, rows, outputs)
    _write_chunk(table, Path(path))
    failed = int((table["status"] == STATUS_ERROR).sum())
    return k, len(table) - failed, failed


def _worker_init() -> None:
    # Ctrl-C goes to the whole process group: let the main process decide, so a worker
    # finishes and writes its chunk instead of dying with a traceback.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


# ---------------------------------------------------------------- the sweep

def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _finished_chunks(out_dir: Path, n_chunks: int) -> set[int]:
    done = set()
    for p in (Path(out_dir) / RUNS_DIR).glob("chunk-*.parquet"):
        try:
            k = int(p.stem.split("-")[1])
        except (IndexError, ValueError):
            continue
        if 0 <= k < n_chunks:
            done.add(k)
    return done


def load_results(out_dir: str | Path) -> pd.DataFrame:
    """The result rows of a sweep (finished chunks only), sorted by point and replicate."""
    files = sorted((Path(out_dir) / RUNS_DIR).glob("chunk-*.parquet"))
    if not files:
        return pd.DataFrame()
    df = pd.concat([pd.read_parquet(f) for f in files], ignore_index=True)
    return df.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)


def _prepare_dir(experiment: Experiment, out_dir: Path, resume: bool, chunk_runs: int | None,
                 workers: int) -> dict[str, Any]:
    """Check the output directory and return the plan (chunk size, fingerprint), written to plan.json."""
    runs_dir = out_dir / RUNS_DIR
    plan_file = out_dir / "plan.json"
    existing = sorted(runs_dir.glob("chunk-*.parquet")) if runs_dir.is_dir() else []
    fingerprint = experiment.fingerprint()
    old = _read_json(plan_file)
    if not resume:
        if existing or old is not None:
            raise ScenarioError(str(out_dir), None, f"already holds sweep results ({len(existing)} chunk files); "
                                "use --resume to finish that sweep, or another --out")
    elif old is not None:
        if old.get("fingerprint") != fingerprint:
            raise ScenarioError(str(out_dir), None, "holds results of a different experiment (its runs, scenario "
                                f"or outputs changed since; {experiment.source}); use another --out")
        if chunk_runs is not None and chunk_runs != old["chunk_runs"]:
            raise ScenarioError(str(out_dir), None, f"was started with chunks of {old['chunk_runs']} runs, "
                                f"not {chunk_runs}")
        return old
    elif existing:
        raise ScenarioError(str(out_dir), None, "holds chunk files but no plan.json; cannot tell what they are")
    n = experiment.n_runs
    plan = {"fingerprint": fingerprint, "runs": n,
            "chunk_runs": int(chunk_runs or default_chunk_runs(n, workers))}
    plan["chunks"] = math.ceil(n / plan["chunk_runs"])
    meta.write_json(plan_file, plan)
    return plan


def run_sweep(experiment: Experiment | str | Path, out_dir: str | Path, workers: int | None = None,
              resume: bool = False, progress: bool | str = True, chunk_runs: int | None = None,
              command: str | None = None, on_chunk: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Run every run of an experiment's design and write the results to ``out_dir``.

    Args:
        experiment: an ``Experiment`` or the path of an experiment file.
        out_dir: directory for ``runs/chunk-*.parquet``, ``plan.json`` and ``metadata.json``.
        workers: processes (default: all local cores, or 1 for a sweep of a few seconds); 1 runs in this
            process.  The numbers do not depend on it.
        resume: keep the finished chunks in ``out_dir`` and run only the rest.  Without it, an
            ``out_dir`` that already holds results is an error.
        progress: a progress bar with the time left when stderr is a terminal; ``"force"`` always.
        chunk_runs: runs per chunk (default: up to ``MAX_CHUNK_RUNS``, at least 4 chunks per worker).
        command: the command line for the metadata.
        on_chunk: called with the number of each chunk as soon as it is written (for tests and tools).

    Returns:
        Every run's row (inputs, seed, status, error, outputs), sorted by point and replicate.

    Raises:
        ScenarioError: ``out_dir`` holds other results, or (with ``resume``) results of another experiment.
    """
    from cisim.runner import _show_progress

    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    out_dir = Path(out_dir)
    chosen = workers is not None
    workers = int(workers or default_workers())
    if workers < 1:
        raise ValueError(f"workers must be 1 or more, got {workers}")
    plan = _prepare_dir(experiment, out_dir, resume, chunk_runs, workers)
    size, n_chunks = plan["chunk_runs"], plan["chunks"]
    runs = experiment.runs()
    done = _finished_chunks(out_dir, n_chunks) if resume else set()
    todo = [k for k in range(n_chunks) if k not in done]
    if not chosen and _work(experiment, sum(min(size, len(runs) - k * size) for k in todo)) < POOL_MIN_WORK:
        workers = 1

    meta_file = out_dir / "metadata.json"
    previous = _read_json(meta_file) if resume else None
    started = _now()
    record: dict[str, Any] = {
        "kind": "sweep",
        "experiment": experiment.to_record(),
        "scenario": meta.scenario_record(experiment.scenario),
        "command": command if command is not None else meta.command_line(),
        "started": (previous or {}).get("started", started),
        "finished": None,
        "sessions": [*(previous or {}).get("sessions", []),
                     {"started": started, "finished": None, "workers": workers, "chunks_run": len(todo),
                      "chunks_kept": len(done)}],
        "workers": workers,
        "runs": experiment.n_runs,
        "chunks": n_chunks,
        "chunk_runs": size,
        "runs_ok": None,
        "runs_failed": None,
        "dataset": str(out_dir / RUNS_DIR),
        "columns": [*RUN_COLUMNS, *experiment.factors, "status", "error", *experiment.outputs],
        "versions": meta.package_versions(),
        "source_revision": meta.source_revision(),
    }
    meta.write_json(meta_file, record)

    def rows_of(k: int) -> pd.DataFrame:
        return runs.iloc[k * size:(k + 1) * size].reset_index(drop=True)

    bar = None
    if _show_progress(progress) and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=experiment.n_runs, initial=experiment.n_runs - sum(len(rows_of(k)) for k in todo),
                   desc=experiment.name, unit=" runs", smoothing=0.1)
    t0 = time.perf_counter()
    try:
        if workers == 1 or len(todo) <= 1:
            for k in todo:
                _chunk_job(k, experiment.scenario, rows_of(k), experiment.outputs, str(chunk_path(out_dir, k)))
                if bar is not None:
                    bar.update(len(rows_of(k)))
                if on_chunk is not None:
                    on_chunk(k)
        else:
            _run_pool(experiment, todo, rows_of, out_dir, min(workers, len(todo)), bar, on_chunk)
    finally:
        if bar is not None:
            bar.close()

    results = load_results(out_dir)
    finished = _now()
    record["finished"] = finished
    record["sessions"][-1]["finished"] = finished
    record["sessions"][-1]["seconds"] = round(time.perf_counter() - t0, 3)
    record["runs_failed"] = int((results["status"] == STATUS_ERROR).sum()) if len(results) else 0
    record["runs_ok"] = len(results) - record["runs_failed"]
    meta.write_json(meta_file, record)
    return results


def _run_pool(experiment: Experiment, todo: list[int], rows_of, out_dir: Path, workers: int, bar,
              on_chunk) -> None:
    import multiprocessing as mp
    import signal
    import threading
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    # Ctrl-C only sets a flag: a KeyboardInterrupt raised inside concurrent.futures' locks can
    # deadlock the pool.  On the flag, chunks not started are dropped and the running ones finish
    # and are written (they take seconds), so resuming loses nothing.
    stop = threading.Event()
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGINT, lambda *_: stop.set())
    ctx = mp.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)
    try:
        pending = {pool.submit(_chunk_job, k, experiment.scenario, rows_of(k), experiment.outputs,
                               str(chunk_path(out_dir, k))) for k in todo}
        while pending:
            finished, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for fut in finished:
                if fut.cancelled():
                    continue
                k, ok, failed = fut.result()
                if bar is not None:
                    bar.update(ok + failed)
                if on_chunk is not None:
                    on_chunk(k)
            if stop.is_set():
                for fut in pending:
                    fut.cancel()
                if bar is not None:
                    bar.set_description("interrupted: finishing the running chunks")
                stop.clear()
                raise KeyboardInterrupt
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
