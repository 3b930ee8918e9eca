"""Run an experiment's design on all local cores, in chunks, resumably.

``run_sweep`` splits the runs of an experiment (``Experiment.runs()``, ordered by point
then replicate) into chunks of consecutive runs and runs each chunk with ``run_batch``
(one core per worker process; this process is one of the workers), or as tasks on a Dask
cluster.  Every finished chunk is written at once, atomically, as
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
import re
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


#: The last runs of a sweep go in smaller chunks, so the workers finish together.
TAIL_CHUNKS_PER_WORKER = 2
TAIL_DIVISOR = 4


def chunk_bounds(n_runs: int, size: int, workers: int, taper: bool = True) -> list[tuple[int, int]]:
    """Runs ``[lo, hi)`` of each chunk: chunks of ``size`` runs, then (``taper``) the last
    ``TAIL_CHUNKS_PER_WORKER x workers x size`` runs in chunks a quarter that size.

    A worker that takes one of the last full-size chunks keeps the others waiting for up to a
    chunk's time; a tapered tail cuts that wait to a quarter.
    """
    tail = min(n_runs, TAIL_CHUNKS_PER_WORKER * max(1, workers) * size) if taper and workers > 1 else 0
    small = max(1, size // TAIL_DIVISOR)
    bounds = [(lo, min(lo + size, n_runs - tail)) for lo in range(0, n_runs - tail, size)]
    bounds += [(lo, min(lo + small, n_runs)) for lo in range(n_runs - tail, n_runs, small)]
    return bounds


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
    ``table.attrs["batch_seconds"]`` is the time spent in the batch runner.
    """
    rows = rows.reset_index(drop=True)
    status = np.full(len(rows), STATUS_OK, dtype=object)
    errors: list[str | None] = [None] * len(rows)
    t0 = time.perf_counter()
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
    seconds = time.perf_counter() - t0
    table = rows.copy()
    table["status"] = pd.array(status, dtype="string")
    table["error"] = pd.array(errors, dtype="string")
    for c in outputs:
        table[c] = out[c].to_numpy(dtype=float)
    table.attrs["batch_seconds"] = seconds
    table.attrs["worker"] = os.getpid()
    table.attrs["finished"] = time.time()
    return table


def _write_chunk(table: pd.DataFrame, path: Path) -> None:
    with meta.atomic_path(path) as tmp:
        table.to_parquet(tmp, index=False)


def _chunk_job(k: int, scenario: Scenario, rows: pd.DataFrame, outputs: tuple[str, ...]) -> tuple[int, pd.DataFrame]:
    """Run chunk ``k`` where a worker is (a process of this machine or a Dask worker); returns (k, its rows).

    The rows go back to the process that runs the sweep, which writes them: workers need no
    shared file system.
    """
    return k, run_chunk(scenario, rows, outputs)


def _worker_init() -> None:
    # Ctrl-C goes to the whole process group: let the main process decide, so a worker
    # finishes its chunk instead of dying with a traceback.
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _worker_versions() -> dict[str, str]:
    """The versions that decide a run's numbers, as a worker sees them."""
    return {k: v for k, v in meta.package_versions().items() if k in VERSION_KEYS}


#: Packages whose versions must match between the sweep's process and every Dask worker.
VERSION_KEYS = ("cisim", "numpy", "numba", "pandas", "python")


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
        if "bounds" not in old:
            raise ScenarioError(str(out_dir), None, "plan.json has no chunk bounds; it was written by an older "
                                "cisim: rerun the sweep into another --out")
        return old
    elif existing:
        raise ScenarioError(str(out_dir), None, "holds chunk files but no plan.json; cannot tell what they are")
    n = experiment.n_runs
    plan = {"fingerprint": fingerprint, "runs": n,
            "chunk_runs": int(chunk_runs or default_chunk_runs(n, workers))}
    # an explicit chunk size means chunks of exactly that size; the default tapers the tail
    plan["bounds"] = chunk_bounds(n, plan["chunk_runs"], workers, taper=chunk_runs is None)
    plan["chunks"] = len(plan["bounds"])
    meta.write_json(plan_file, plan)
    return plan


BACKENDS = ("local", "dask")


def run_sweep(experiment: Experiment | str | Path, out_dir: str | Path, workers: int | None = None,
              resume: bool = False, progress: bool | str = True, chunk_runs: int | None = None,
              command: str | None = None, on_chunk: Callable[[int], None] | None = None,
              backend: str = "local", scheduler: str | None = None) -> pd.DataFrame:
    """Run every run of an experiment's design and write the results to ``out_dir``.

    Args:
        experiment: an ``Experiment`` or the path of an experiment file.
        out_dir: directory for ``runs/chunk-*.parquet``, ``plan.json`` and ``metadata.json``.
        workers: processes (default: all local cores, or 1 for a sweep of a few seconds): this one and
            ``workers - 1`` spawned ones.  With ``backend="dask"`` and no scheduler, the local cluster's
            worker processes.  The numbers do not depend on it.
        resume: keep the finished chunks in ``out_dir`` and run only the rest.  Without it, an
            ``out_dir`` that already holds results is an error.
        progress: a progress bar with the time left when stderr is a terminal; ``"force"`` always.
        chunk_runs: runs per chunk (default: up to ``MAX_CHUNK_RUNS``, at least 4 chunks per worker).
        command: the command line for the metadata.
        on_chunk: called with the number of each chunk as soon as it is written (for tests and tools).
        backend: ``"local"`` (a process pool on this machine) or ``"dask"`` (Dask distributed: the cluster
            at ``scheduler``, or a local cluster bound to 127.0.0.1).
        scheduler: address of a running Dask scheduler (``tcp://HOST:PORT``); implies ``backend="dask"``.

    Returns:
        Every run's row (inputs, seed, status, error, outputs), sorted by point and replicate.

    Raises:
        ScenarioError: ``out_dir`` holds other results, or (with ``resume``) results of another experiment.
        DaskSetupError: the Dask cluster cannot be reached or its workers cannot run cisim.
    """
    from cisim.runner import _show_progress

    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if scheduler:
        backend = "dask"
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    out_dir = Path(out_dir)
    chosen = workers is not None
    workers = int(workers or default_workers())
    if workers < 1:
        raise ValueError(f"workers must be 1 or more, got {workers}")

    executor: _Executor | None = None
    startup = 0.0
    try:
        if backend == "dask":
            t_start = time.perf_counter()
            executor = _DaskExecutor(scheduler, workers if (chosen or not scheduler) else None)
            startup = time.perf_counter() - t_start  # starting or reaching the cluster
            workers = executor.slots
        plan = _prepare_dir(experiment, out_dir, resume, chunk_runs, workers)
        size, n_chunks, bounds = plan["chunk_runs"], plan["chunks"], plan["bounds"]
        runs = experiment.runs()
        done = _finished_chunks(out_dir, n_chunks) if resume else set()
        todo = [k for k in range(n_chunks) if k not in done]
        todo_runs = sum(bounds[k][1] - bounds[k][0] for k in todo)
        if backend == "local":
            if not chosen and _work(experiment, todo_runs) < POOL_MIN_WORK:
                workers = 1
            workers = min(workers, max(1, len(todo)))
            # spawned workers start in the background while this process runs chunks
            executor = _InProcess() if workers == 1 else _ProcessPool(workers)

        meta_file = out_dir / "metadata.json"
        previous = _read_json(meta_file) if resume else None
        started = _now()
        session = {"started": started, "finished": None, "backend": backend, "scheduler": executor.address,
                   "start_method": getattr(executor, "start_method", None), "workers": workers,
                   "chunks_run": len(todo), "chunks_kept": len(done), "startup_seconds": round(startup, 3)}
        record: dict[str, Any] = {
            "kind": "sweep",
            "experiment": experiment.to_record(),
            "scenario": meta.scenario_record(experiment.scenario),
            "command": command if command is not None else meta.command_line(),
            "started": (previous or {}).get("started", started),
            "finished": None,
            "sessions": [*(previous or {}).get("sessions", []), session],
            "backend": backend,
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
            lo, hi = bounds[k]
            return runs.iloc[lo:hi].reset_index(drop=True)

        bar = None
        if _show_progress(progress) and todo:
            from tqdm.auto import tqdm

            bar = tqdm(total=experiment.n_runs, initial=experiment.n_runs - todo_runs,
                       desc=experiment.name, unit=" runs", smoothing=0.1)
        batch_seconds = 0.0

        def finished(k: int, table: pd.DataFrame) -> None:
            nonlocal batch_seconds
            batch_seconds += float(table.attrs.get("batch_seconds", 0.0))
            _write_chunk(table, chunk_path(out_dir, k))
            if bar is not None:
                bar.update(len(table))
            if on_chunk is not None:
                on_chunk(k)

        t0 = time.perf_counter()
        try:
            executor.run([(k, experiment.scenario, rows_of(k), experiment.outputs) for k in todo], finished, bar)
        finally:
            if bar is not None:
                bar.close()
    finally:
        if executor is not None:
            executor.close()

    results = load_results(out_dir)
    done_at = _now()
    record["finished"] = done_at
    session["finished"] = done_at
    session["seconds"] = round(time.perf_counter() - t0, 3)
    session["batch_seconds"] = round(batch_seconds, 3)
    record["runs_failed"] = int((results["status"] == STATUS_ERROR).sum()) if len(results) else 0
    record["runs_ok"] = len(results) - record["runs_failed"]
    meta.write_json(meta_file, record)
    return results


# ---------------------------------------------------------------- where chunks run

Job = tuple[int, Scenario, pd.DataFrame, tuple[str, ...]]
Done = Callable[[int, pd.DataFrame], None]


class DaskSetupError(RuntimeError):
    """The Dask cluster cannot be reached, or its workers cannot run this cisim."""


#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = 20
_ADDRESS = re.compile(r"^(?:(tcp|tls|ws|wss|ucx)://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def check_scheduler_address(address: str) -> str:
    """``address`` if it reads as a Dask scheduler address (``tcp://HOST:PORT``), else a DaskSetupError."""
    m = _ADDRESS.match(address.strip())
    if not m or not 0 < int(m.group(3)) < 65536:
        raise DaskSetupError(f"scheduler address {address!r}: expected tcp://HOST:PORT (or tls://, ws://, wss://, "
                             "ucx://), for example tcp://10.0.0.5:8786")
    return address.strip()


class _Executor:
    """Runs chunk jobs and hands each finished chunk's rows to ``done`` in this process.

    Ctrl-C only sets a flag: a KeyboardInterrupt raised inside the pools' locks can deadlock
    them.  On the flag, chunks not started are dropped, the running ones finish (they take
    seconds) and are written where the backend allows, then KeyboardInterrupt is raised.
    """

    address: str | None = None
    slots: int = 1

    def run(self, jobs: list[Job], done: Done, bar) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _InProcess(_Executor):
    def run(self, jobs: list[Job], done: Done, bar) -> None:
        for job in jobs:
            done(*_chunk_job(*job))


class _Interrupt:
    """Turns Ctrl-C into a flag for the duration of a ``with`` block (main thread only)."""

    def __init__(self) -> None:
        import threading

        self.flag = threading.Event()
        self._previous = None
        self._main = threading.current_thread() is threading.main_thread()

    def __enter__(self) -> _Interrupt:
        import signal

        if self._main:
            self._previous = signal.signal(signal.SIGINT, lambda *_: self.flag.set())
        return self

    def __exit__(self, *exc) -> None:
        import signal

        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def _warm() -> int:
    """Load the compiled kernel in a worker (one run of one month), so chunks start at full speed."""
    from cisim.runner import run_batch
    from cisim.scenario import load

    run_batch(load("collective").replace({"months": 1, "coalition.size": 2}), seeds=[0], threads=1)
    return os.getpid()


class _ProcessPool(_Executor):
    """This process and ``workers - 1`` spawned worker processes on this machine.

    A spawned worker spends a second or two importing and loading the compiled kernel before its
    first chunk; this process has done that already, so it runs chunks too instead of waiting.
    (Workers are spawned, not forked: pandas and pyarrow run threads of their own, and forking a
    process that runs threads can deadlock the child.)
    """

    start_method = "spawn"

    def __init__(self, workers: int) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        self.slots = workers
        self.children = workers - 1
        self.pool = ProcessPoolExecutor(max_workers=self.children, mp_context=mp.get_context("spawn"),
                                        initializer=_worker_init)
        self._warming = [self.pool.submit(_warm) for _ in range(self.children)]

    def run(self, jobs: list[Job], done: Done, bar) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait

        queue = list(jobs)
        pending: dict = {}  # future -> job
        ahead = 2 * self.children  # each worker has a chunk running and one waiting
        with _Interrupt() as stop:
            while queue or pending:
                while queue and len(pending) < ahead:
                    job = queue.pop(0)
                    pending[self.pool.submit(_chunk_job, *job)] = job
                if not queue:
                    # Near the end, take back a chunk no worker has started rather than wait for it.
                    for fut in sorted(pending, key=lambda f: -pending[f][0]):
                        if fut.cancel():
                            queue.append(pending.pop(fut))
                            break
                if queue:  # this process takes the next chunk itself
                    done(*_chunk_job(*queue.pop(0)))
                    finished = [f for f in pending if f.done()]
                else:
                    finished = list(wait(pending, timeout=0.25, return_when=FIRST_COMPLETED).done)
                for fut in finished:
                    pending.pop(fut)
                    if not fut.cancelled():
                        done(*fut.result())
                if stop.flag.is_set():
                    if bar is not None:
                        bar.set_description("interrupted: finishing the running chunks")
                    for fut in pending:
                        fut.cancel()
                    for fut in wait(pending).done:
                        if not fut.cancelled() and fut.exception() is None:
                            done(*fut.result())
                    raise KeyboardInterrupt

    def close(self) -> None:
        # The results are in; the workers' interpreters can wind down without holding the caller up.
        self.pool.shutdown(wait=False, cancel_futures=True)


class _DaskExecutor(_Executor):
    """Chunks as Dask tasks: on the cluster at ``scheduler``, or on a local cluster bound to 127.0.0.1.

    One task per chunk (a chunk is seconds of work; a Dask task costs milliseconds).  Workers need
    the same cisim, numpy, numba, pandas and Python as this process, which is checked first.
    """

    def __init__(self, scheduler: str | None, workers: int | None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a dependency
            raise DaskSetupError(f"the Dask backend needs dask[distributed]: {exc}") from exc
        self.cluster = None
        try:
            if scheduler:
                self.client = Client(check_scheduler_address(scheduler), timeout=CONNECT_TIMEOUT)
            else:
                # Every port (scheduler, workers, the scheduler's web page) on 127.0.0.1, chosen free.
                self.cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1,
                                            processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0")
                self.client = Client(self.cluster)
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            raise DaskSetupError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        self.address = self.client.scheduler.address
        self.slots = max(1, sum(self.client.nthreads().values()))
        self._check_workers()

    def _check_workers(self) -> None:
        mine = _worker_versions()
        try:
            theirs = self.client.run(_worker_versions)
        except Exception as exc:
            self.close()
            raise DaskSetupError(f"the workers of {self.address} cannot run cisim ({_error_text(exc)}); "
                                 "install cisim (the same version) on every worker") from exc
        for worker, versions in theirs.items():
            if versions != mine:
                self.close()
                diff = ", ".join(f"{k} {versions.get(k)} (here {mine.get(k)})" for k in VERSION_KEYS
                                 if versions.get(k) != mine.get(k))
                raise DaskSetupError(f"worker {worker} has other versions than this process: {diff}; "
                                     "the numbers would not be reproducible")

    def run(self, jobs: list[Job], done: Done, bar) -> None:
        from distributed import as_completed

        if not jobs:
            return
        import uuid

        tag = uuid.uuid4().hex[:12]
        scenario = self.client.scatter(jobs[0][1], broadcast=True)
        futures = [self.client.submit(_chunk_job, k, scenario, rows, outputs, key=f"cisim-chunk-{k}-{tag}",
                                      pure=False)
                   for k, _, rows, outputs in jobs]
        with _Interrupt() as stop:
            queue = as_completed(futures, with_results=False)
            while not queue.is_empty():
                for fut in queue.next_batch(block=False) or ():
                    done(*fut.result())
                if stop.flag.is_set():
                    if bar is not None:
                        bar.set_description("interrupted")
                    self.client.cancel(futures)
                    raise KeyboardInterrupt
                time.sleep(0.05)

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()
