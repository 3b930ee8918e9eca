"""Run an experiment's design on all local cores, in chunks, resumably.

``run_sweep`` splits the runs of an experiment (``Experiment.runs()``, ordered by point
then replicate) into chunks of consecutive runs and runs each chunk through the batch
runner's core (``cisim.experiments.worker``: one core per worker process; this process is one of the
workers), or as tasks on a Dask cluster.  Every finished chunk is written at once, atomically, as
its own Parquet file::

    OUT/runs/chunk-00000.parquet     a row per run: point, replicate, seed, the factors (and with
    OUT/runs/chunk-00001.parquet     uncertainty "parameters" the ensemble's values the run took),
                                     status ("ok" or "error"), error, the outputs kept
    ...
    OUT/plan.json                    the chunking, the rows each chunk holds (a digest of their
                                     point, replicate and seed) and the experiment's fingerprint
    OUT/metadata.json                experiment file and content, base scenario, versions,
                                     started and finished times, workers, runs ok and failed,
                                     the uncertainty and the ensemble (name, file, sha256, sets)
    OUT/cisim.lock                   while a sweep writes (``cisim.experiments.lock``)
    OUT/rejected/                    files that failed their check on resume, set aside

The files of ``OUT/runs`` together are one Parquet dataset (``pd.read_parquet(OUT / "runs")``
or ``load_results(OUT)``).  A run that fails is recorded with its error and NaN outputs,
and the sweep goes on.  After an interruption (Ctrl-C, SIGTERM, the process killed) the same call
with ``resume=True`` keeps every finished chunk that passes its check against the plan
(``cisim.experiments.chunks``: a damaged, foreign or misnamed chunk is set aside and run again)
and runs only the missing ones; ``load_results`` refuses a folder whose chunks fail.  Each run's
numbers depend only on its parameters and seed, so they do not depend on the number of
workers or on the chunking.
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cisim.experiments import chunks, lock, worker
from cisim.experiments import metadata as meta
from cisim.experiments.batch import available_cores
from cisim.experiments.chunks import ChunkError, Expected
from cisim.experiments.experiment import RUN_COLUMNS, Experiment, load_experiment
from cisim.experiments.worker import VERSION_KEYS, ChunkResult, error_text
from cisim.model.scenario import Scenario, ScenarioError

RUNS_DIR = "runs"
#: Most runs in one chunk (about 1 to 4 seconds of work for the bundled scenarios).
MAX_CHUNK_RUNS = 1000
#: Chunks per worker at least, so that the work spreads evenly.
CHUNKS_PER_WORKER = 4
#: Below this much work (run-months of a 30-member coalition, about 10 seconds on one core) a sweep
#: with the default number of workers runs in this process: starting worker processes costs more.
POOL_MIN_WORK = 500_000
STATUS_OK, STATUS_ERROR = "ok", "error"


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


# ---------------------------------------------------------------- one chunk

def chunk_job(experiment: Experiment, runs: pd.DataFrame, k: int, lo: int, hi: int) -> Job:
    """What a worker needs for chunk ``k`` (runs ``lo:hi``): numbers only, no table.  The columns are the
    factors and, with parameters uncertainty, the ensemble's values each run takes (``runs`` holds them)."""
    factors = experiment.parameter_columns
    rows = runs.iloc[lo:hi]
    return (k, experiment.scenario, factors, rows[factors].to_numpy(dtype=float),
            rows["seed"].to_numpy(dtype=np.int64), tuple(experiment.outputs))


def chunk_table(rows: pd.DataFrame, result: ChunkResult, outputs: tuple[str, ...]) -> pd.DataFrame:
    """The result rows of one chunk: the inputs, ``status``, ``error`` and the outputs.

    ``table.attrs`` holds ``batch_seconds`` (time spent running the model), ``worker`` (its
    process id) and ``finished`` (when).
    """
    table = rows.reset_index(drop=True).copy()
    status = np.where([e is None for e in result.errors], STATUS_OK, STATUS_ERROR).astype(object)
    table["status"] = pd.array(status, dtype="string")
    table["error"] = pd.array(result.errors, dtype="string")
    for j, c in enumerate(outputs):
        table[c] = result.values[:, j]
    table.attrs.update(batch_seconds=result.batch_seconds, worker=result.worker, finished=result.finished)
    return table


#: The columns that say which runs a chunk holds (checked against the plan on resume and by reports).
KEY_COLUMNS = RUN_COLUMNS
KIND = "sweep"


def expected(plan: dict[str, Any], k: int) -> Expected:
    """What the plan says chunk ``k`` holds."""
    lo, hi = plan["bounds"][k]
    return Expected(KIND, k, lo, hi, plan["fingerprint"], plan["keys"][k])


def _chunk_job(*job) -> ChunkResult:
    """Run a chunk in this process (worker processes call ``cisim.experiments.worker.run_chunk`` directly)."""
    return worker.run_chunk(*job)


# ---------------------------------------------------------------- the sweep

def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _strays(out_dir: Path, n_chunks: int) -> list[Path]:
    """Files in ``OUT/runs`` that are no planned chunk's (copies, leftovers, chunks beyond the plan)."""
    planned = {chunk_path(out_dir, k).name for k in range(n_chunks)}
    runs_dir = Path(out_dir) / RUNS_DIR
    return sorted(p for p in runs_dir.iterdir() if p.name not in planned) if runs_dir.is_dir() else []


def _keep_finished(out_dir: Path, plan: dict[str, Any], say: Callable[[str], None]) -> dict[int, pd.DataFrame]:
    """The chunks of ``out_dir`` that hold what the plan says, by number; every other file in ``runs/`` is
    moved to ``rejected/`` with a line saying why, so that it is run again and never read."""
    kept: dict[int, pd.DataFrame] = {}
    for p in _strays(out_dir, plan["chunks"]):
        if p.name.endswith(".tmp") and p.name.startswith(".chunk-"):
            p.unlink()  # half a chunk, from a write that was killed
            continue
        moved = chunks.set_aside(p, out_dir)
        say(f"{RUNS_DIR}/{p.name}: not a chunk of this sweep's plan; moved to {_rel(out_dir, moved)}")
    for k in range(plan["chunks"]):
        path = chunk_path(out_dir, k)
        if not path.exists():
            continue
        try:
            kept[k] = chunks.verify(path, expected(plan, k), KEY_COLUMNS)
        except ChunkError as exc:
            moved = chunks.set_aside(path, out_dir)
            say(f"{RUNS_DIR}/{path.name}: {exc.reason}; moved to {_rel(out_dir, moved)}, running it again")
    return kept


def _rel(root: Path, path: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def read_plan(out_dir: str | Path) -> dict[str, Any]:
    """A sweep folder's ``plan.json``, checked to be one this cisim can verify chunks against."""
    out_dir = Path(out_dir)
    plan = _read_json(out_dir / "plan.json")
    if not isinstance(plan, dict):
        raise ChunkError(out_dir / "plan.json", "missing or not JSON: cannot tell what the chunks should hold")
    if not all(k in plan for k in ("bounds", "keys", "fingerprint", "chunks")) \
            or len(plan["keys"]) != plan["chunks"] or len(plan["bounds"]) != plan["chunks"]:
        raise ChunkError(out_dir / "plan.json", "was written by an older cisim (no chunk checks): rerun the "
                         "sweep into another --out")
    return plan


def load_results(out_dir: str | Path, complete: bool = False) -> pd.DataFrame:
    """The result rows of a sweep, sorted by point and replicate: every chunk checked against the plan.

    Raises ``ChunkError`` (one line) if any chunk does not hold what the plan says, if ``runs/`` holds
    files that are no planned chunk, or (``complete``) if any planned chunk is missing.
    """
    out_dir = Path(out_dir)
    plan = read_plan(out_dir)
    strays = _strays(out_dir, plan["chunks"])
    if strays:
        raise ChunkError(strays[0], f"is in {RUNS_DIR}/ but no chunk of the plan ({len(strays)} such files); "
                         "move it out, or run the sweep again with --resume, which sets such files aside")
    tables, missing = [], []
    for k in range(plan["chunks"]):
        path = chunk_path(out_dir, k)
        if not path.exists():
            missing.append(k)
            continue
        tables.append(chunks.verify(path, expected(plan, k), KEY_COLUMNS))
    if complete and missing:
        raise ChunkError(chunk_path(out_dir, missing[0]), f"missing: {len(missing)} of {plan['chunks']} chunks "
                         "are not there (the sweep did not finish); finish it with the same 'cisim sweep' "
                         "command and --resume")
    return _combine(tables)


def kept_runs(out_dir: str | Path) -> int:
    """How many runs of ``out_dir`` are in chunks that pass their check (0 if there is no plan yet)."""
    try:
        plan = read_plan(out_dir)
    except ChunkError:
        return 0
    n = 0
    for k in range(plan["chunks"]):
        with_rows = chunk_path(out_dir, k)
        if with_rows.exists():
            try:
                n += len(chunks.verify(with_rows, expected(plan, k), KEY_COLUMNS))
            except ChunkError:
                pass
    return n


def _combine(tables: list[pd.DataFrame]) -> pd.DataFrame:
    if not tables:
        return pd.DataFrame()
    df = pd.concat(tables, ignore_index=True)
    df.attrs = {}
    return df.sort_values(["point", "replicate"], kind="stable").reset_index(drop=True)


def _prepare_dir(experiment: Experiment, runs: pd.DataFrame, out_dir: Path, resume: bool, chunk_runs: int | None,
                 workers: int) -> dict[str, Any]:
    """Check the output directory and return the plan (chunk bounds, the rows each holds, fingerprint),
    written to plan.json."""
    runs_dir = out_dir / RUNS_DIR
    plan_file = out_dir / "plan.json"
    existing = sorted(runs_dir.iterdir()) if runs_dir.is_dir() else []
    fingerprint = experiment.fingerprint()
    old = _read_json(plan_file)
    if not resume:
        if existing or old is not None:
            raise ScenarioError(str(out_dir), None, f"already holds sweep results ({len(existing)} chunk files); "
                                "use --resume to finish that sweep, or another --out")
    elif old is not None:
        before = old.get("uncertainty", "seeds")
        if before != experiment.uncertainty:
            raise ScenarioError(str(out_dir), None, f"holds runs made with uncertainty {before!r}, not "
                                f"{experiment.uncertainty!r}; resume with the same --uncertainty, or use another --out")
        if old.get("fingerprint") != fingerprint:
            raise ScenarioError(str(out_dir), None, "holds results of a different experiment (its runs, scenario "
                                f"or outputs changed since; {experiment.source}); use another --out")
        if chunk_runs is not None and chunk_runs != old["chunk_runs"]:
            raise ScenarioError(str(out_dir), None, f"was started with chunks of {old['chunk_runs']} runs, "
                                f"not {chunk_runs}")
        if "bounds" not in old or "keys" not in old:
            raise ScenarioError(str(out_dir), None, "plan.json has no chunk checks; it was written by an older "
                                "cisim: rerun the sweep into another --out")
        return old
    elif existing:
        raise ScenarioError(str(out_dir), None, "holds chunk files but no plan.json; cannot tell what they are")
    n = experiment.n_runs
    plan = {"fingerprint": fingerprint, "runs": n, "uncertainty": experiment.uncertainty,
            "chunk_runs": int(chunk_runs or default_chunk_runs(n, workers))}
    # an explicit chunk size means chunks of exactly that size; the default tapers the tail
    plan["bounds"] = chunk_bounds(n, plan["chunk_runs"], workers, taper=chunk_runs is None)
    plan["chunks"] = len(plan["bounds"])
    plan["keys"] = [chunks.digest(runs.iloc[lo:hi], KEY_COLUMNS) for lo, hi in plan["bounds"]]
    meta.write_json(plan_file, plan)
    return plan


BACKENDS = ("local", "dask")


def run_sweep(experiment: Experiment | str | Path, out_dir: str | Path, workers: int | None = None,
              resume: bool = False, progress: bool | str = True, chunk_runs: int | None = None,
              command: str | None = None, on_chunk: Callable[[int], None] | None = None,
              backend: str = "local", scheduler: str | None = None, uncertainty: str | None = None,
              ensemble: str | Path | None = None, log: Callable[[str], None] | None = None) -> pd.DataFrame:
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
        uncertainty: ``"seeds"`` or ``"parameters"`` (each run also takes its seed's parameter set from the
            ensemble, except the factors and ``[changes]``); default: the experiment file's ``uncertainty``,
            else seeds.  Resuming needs the same choice and ensemble.
        ensemble: with ``"parameters"``, a bundled ensemble's name or a CSV path (default: the file's, else
            ``"evidence"``).
        log: gets one line for each file set aside on resume (default: printed to stderr).

    Returns:
        Every run's row (inputs, seed, status, error, outputs), sorted by point and replicate.

    Raises:
        ScenarioError: ``out_dir`` holds other results, (with ``resume``) results of another experiment, or
            another live sweep is writing into it (``cisim.experiments.lock``).
        DaskSetupError: the Dask cluster cannot be reached or its workers cannot run cisim.
        WorkersLost: the workers (a spawned process, the Dask scheduler or all its workers) went away; the
            chunks written stay valid, and ``resume`` does the rest.
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if scheduler:
        backend = "dask"
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    experiment = experiment.with_uncertainty(uncertainty, None if ensemble is None else str(ensemble),
                                             where=("uncertainty", "ensemble"))
    out_dir = Path(out_dir)
    chosen = workers is not None
    workers = int(workers or available_cores())
    if workers < 1:
        raise ValueError(f"workers must be 1 or more, got {workers}")

    say = log or _say
    with lock.hold(out_dir, command, log=say):
        return _run_locked(experiment, out_dir, workers, chosen, resume, progress, chunk_runs, command, on_chunk,
                           backend, scheduler, say)


def _say(line: str) -> None:
    import sys

    print(f"cisim: note: {line}", file=sys.stderr)


def _run_locked(experiment: Experiment, out_dir: Path, workers: int, chosen: bool, resume: bool,
                progress: bool | str, chunk_runs: int | None, command: str | None,
                on_chunk: Callable[[int], None] | None, backend: str, scheduler: str | None,
                say: Callable[[str], None]) -> pd.DataFrame:
    """``run_sweep`` while holding the folder's lock."""
    from cisim.experiments.runner import _show_progress

    executor: _Executor | None = None
    startup = 0.0
    try:
        if backend == "dask":
            t_start = time.perf_counter()
            executor = _DaskExecutor(scheduler, workers if (chosen or not scheduler) else None)
            startup = time.perf_counter() - t_start  # starting or reaching the cluster
            workers = executor.slots
        elif workers > 1 and (chosen or _work(experiment, experiment.n_runs) >= POOL_MIN_WORK):
            # spawned workers start first: they import while this process plans, then runs chunks itself
            executor = _ProcessPool(workers)
        runs = experiment.runs()
        plan = _prepare_dir(experiment, runs, out_dir, resume, chunk_runs, workers)
        size, n_chunks, bounds = plan["chunk_runs"], plan["chunks"], plan["bounds"]
        kept = _keep_finished(out_dir, plan, say) if resume else {}
        todo = [k for k in range(n_chunks) if k not in kept]
        todo_runs = sum(bounds[k][1] - bounds[k][0] for k in todo)
        if backend == "local":
            if not chosen and _work(experiment, todo_runs) < POOL_MIN_WORK:
                workers = 1
            workers = min(workers, max(1, len(todo)))
            if workers == 1 and executor is not None:  # resuming with little left: no pool after all
                executor.close()
                executor = None
            if executor is None:
                executor = _InProcess() if workers == 1 else _ProcessPool(workers)
            workers = executor.slots  # a pool started early keeps its size, and every process in it takes chunks

        meta_file = out_dir / "metadata.json"
        previous = _read_json(meta_file) if resume else None
        started = _now()
        session = {"started": started, "finished": None, "backend": backend, "scheduler": executor.address,
                   "start_method": getattr(executor, "start_method", None), "workers": workers,
                   "chunks_run": len(todo), "chunks_kept": len(kept), "startup_seconds": round(startup, 3)}
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
            "columns": [*RUN_COLUMNS, *experiment.parameter_columns, "status", "error", *experiment.outputs],
            **experiment.uncertainty_record(),
            "versions": meta.package_versions(),
            "source_revision": meta.source_revision(),
        }
        meta.write_json(meta_file, record)

        bar = None
        if _show_progress(progress) and todo:
            from tqdm.auto import tqdm

            bar = tqdm(total=experiment.n_runs, initial=experiment.n_runs - todo_runs,
                       desc=experiment.name, unit=" runs", smoothing=0.1)
        batch_seconds = 0.0
        tables: dict[int, pd.DataFrame] = dict(kept)  # the chunks kept, then this session's

        def finished(result: ChunkResult) -> None:
            nonlocal batch_seconds
            batch_seconds += result.batch_seconds
            lo, hi = bounds[result.k]
            table = chunk_table(runs.iloc[lo:hi], result, experiment.outputs)
            chunks.write(table, chunk_path(out_dir, result.k), expected(plan, result.k))
            table.attrs = {}
            tables[result.k] = table
            if bar is not None:
                bar.update(len(table))
            if on_chunk is not None:
                on_chunk(result.k)

        t0 = time.perf_counter()
        try:
            executor.run([chunk_job(experiment, runs, k, *bounds[k]) for k in todo], finished, bar)
        except WorkersLost as exc:
            exc.kept = sum(len(t) for t in tables.values())
            exc.runs = experiment.n_runs
            exc.out_dir = out_dir
            raise
        finally:
            if bar is not None:
                bar.close()
    finally:
        if executor is not None:
            executor.close()

    results = _combine([tables[k] for k in sorted(tables)])
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

#: chunk number, scenario, factor columns, their values (runs, factors), seeds, outputs
Job = tuple[int, Scenario, list[str], np.ndarray, np.ndarray, tuple[str, ...]]
Done = Callable[[ChunkResult], None]


class DaskSetupError(RuntimeError):
    """The Dask cluster cannot be reached, or its workers cannot run this cisim."""


class WorkersLost(RuntimeError):
    """The processes running the chunks went away mid-sweep (a worker killed, the Dask scheduler or all
    its workers gone).  The chunks written so far stay valid; ``line()`` says what to do."""

    def __init__(self, what: str):
        super().__init__(what)
        self.what = what
        self.kept: int | None = None
        self.runs: int | None = None
        self.out_dir: Path | None = None

    def line(self, command: str = "the same command") -> str:
        kept = "" if self.kept is None else f"; {self.kept} of {self.runs} runs are kept in {self.out_dir}"
        return f"{self.what}{kept}; run {command} with --resume to do the rest"


#: Seconds to wait for a Dask scheduler to answer.
CONNECT_TIMEOUT = 20
#: Seconds a Dask sweep waits for a lost scheduler to come back, or for a worker to join, before it stops
#: (the chunks written so far stay valid for ``--resume``).
LOST_AFTER = 30.0
#: Seconds between asking the Dask scheduler how many workers it has.
WORKERS_EVERY = 2.0
#: Seconds to wait for the Dask client and a local cluster to close.
CLOSE_TIMEOUT = 10
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

    def run(self, jobs: list[Job], done: Done, bar, fn: Callable[..., ChunkResult] | None = None) -> None:
        """Run ``fn(*job)`` for every job: a sweep's chunks by default, a calibration passes its own function
        (importable by name, so that spawned and Dask workers find it)."""
        raise NotImplementedError

    def close(self) -> None:
        pass


class _InProcess(_Executor):
    def run(self, jobs: list[Job], done: Done, bar, fn: Callable[..., ChunkResult] | None = None) -> None:
        for job in jobs:
            done((fn or _chunk_job)(*job))


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
            # SIGTERM (``kill``, a scheduler's time limit) stops the sweep as Ctrl-C does: the running chunks
            # are finished and written
            self._previous = {s: signal.signal(s, lambda *_: self.flag.set())
                              for s in (signal.SIGINT, getattr(signal, "SIGTERM", None)) if s is not None}
        return self

    def __exit__(self, *exc) -> None:
        import signal

        for s, handler in (self._previous or {}).items():
            signal.signal(s, handler)


class _ProcessPool(_Executor):
    """This process and ``workers - 1`` spawned worker processes on this machine.

    A spawned worker spends about a second importing numpy and numba (``cisim.experiments.worker`` needs no
    pandas) and loading the compiled kernel before its first chunk; this process has done that
    already, so it runs chunks too instead of waiting.  A script that starts a sweep is imported
    again by each spawned worker: keep its heavy imports inside ``main()``, as the ``cisim``
    command does.
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
                                        initializer=worker.init)
        self._warming = [self.pool.submit(worker.warm) for _ in range(self.children)]

    def run(self, jobs: list[Job], done: Done, bar, fn: Callable[..., ChunkResult] | None = None) -> None:
        from concurrent.futures import FIRST_COMPLETED, wait

        queue = list(jobs)
        pending: dict = {}  # future -> job
        ahead = 2 * self.children  # each worker has a chunk running and one waiting
        with _Interrupt() as stop:
            while queue or pending:
                while queue and len(pending) < ahead:
                    job = queue.pop(0)
                    pending[self.pool.submit(fn or worker.run_chunk, *job)] = job
                if not queue:
                    # Near the end, take back a chunk no worker has started rather than wait for it.
                    for fut in sorted(pending, key=lambda f: -pending[f][0]):
                        if fut.cancel():
                            queue.append(pending.pop(fut))
                            break
                if queue:  # this process takes the next chunk itself
                    done((fn or _chunk_job)(*queue.pop(0)))
                    finished = [f for f in pending if f.done()]
                else:
                    finished = list(wait(pending, timeout=0.25, return_when=FIRST_COMPLETED).done)
                for fut in finished:
                    pending.pop(fut)
                    if not fut.cancelled():
                        done(self._result(fut, pending, done))
                if stop.flag.is_set():
                    if bar is not None:
                        bar.set_description("interrupted: finishing the running chunks")
                    for fut in pending:
                        fut.cancel()
                    for fut in wait(pending).done:
                        if not fut.cancelled() and fut.exception() is None:
                            done(fut.result())
                    raise KeyboardInterrupt

    @staticmethod
    def _result(fut, pending: dict, done: Done) -> ChunkResult:
        """A finished chunk's result; if a worker process died (killed, or out of memory), the chunks
        other workers finished are written first, then ``WorkersLost``."""
        from concurrent.futures.process import BrokenProcessPool

        try:
            return fut.result()
        except BrokenProcessPool:
            for other in list(pending):
                if other.done() and not other.cancelled() and other.exception() is None:
                    done(other.result())
            raise WorkersLost("a worker process of this sweep died (killed, or out of memory)") from None

    def close(self) -> None:
        # The results are in; the workers' interpreters can wind down without holding the caller up.
        # Shutting the pool down, even without waiting, and dropping the last reference to it both
        # wait (on the pool's lock) until every worker has exited, a third of a second: a thread
        # does both instead of this one.
        import threading

        if self.pool is None:
            return
        pool, self.pool = self.pool, None
        threading.Thread(target=pool.shutdown, kwargs={"cancel_futures": True}, name="cisim-pool-exit",
                         daemon=True).start()


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
                self.cluster = LocalCluster(n_workers=workers or available_cores(), threads_per_worker=1,
                                            processes=True, host="127.0.0.1", dashboard_address="127.0.0.1:0")
                self.client = Client(self.cluster)
        except TypeError as exc:  # a tls:// address without certificates in Dask's configuration
            self.close()
            raise DaskSetupError(f"cannot connect to the Dask scheduler at {scheduler}: {exc}; a tls:// address "
                                 "needs certificates in Dask's configuration (DASK_DISTRIBUTED__COMM__TLS__*, see "
                                 "the README's cluster section)") from None
        except (OSError, TimeoutError, ValueError) as exc:
            self.close()
            raise DaskSetupError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
        self.address = self.client.scheduler.address
        self.slots = max(1, sum(self.client.nthreads().values()))
        self._workers, self._asked, self.lost = self.slots, time.monotonic(), False
        self._check_workers()

    def _check_workers(self) -> None:
        mine = worker.versions()
        try:
            theirs = self.client.run(worker.versions)
        except Exception as exc:
            self.close()
            raise DaskSetupError(f"the workers of {self.address} cannot run cisim ({error_text(exc)}); "
                                 "install cisim (the same version) on every worker") from exc
        for address, versions in theirs.items():
            if versions != mine:
                self.close()
                diff = ", ".join(f"{k} {versions.get(k)} (here {mine.get(k)})" for k in VERSION_KEYS
                                 if versions.get(k) != mine.get(k))
                raise DaskSetupError(f"worker {address} has other versions than this process: {diff}; "
                                     "the numbers would not be reproducible")

    def run(self, jobs: list[Job], done: Done, bar, fn: Callable[..., ChunkResult] | None = None) -> None:
        from distributed import as_completed

        if not jobs:
            return
        import uuid

        tag = uuid.uuid4().hex[:12]
        shared = self.client.scatter(jobs[0][1], broadcast=True)  # the scenario (or calibration), sent once
        fn = fn or worker.run_chunk
        futures = [self.client.submit(fn, job[0], shared, *job[2:], key=f"cisim-chunk-{job[0]}-{tag}", pure=False)
                   for job in jobs]
        with _Interrupt() as stop:
            queue = as_completed(futures, with_results=False)
            lost_since = None
            while not queue.is_empty():
                for fut in queue.next_batch(block=False) or ():
                    done(self._result(fut))
                if stop.flag.is_set():
                    if bar is not None:
                        bar.set_description("interrupted")
                    self.client.cancel(futures)
                    raise KeyboardInterrupt
                lost = self._lost()
                if lost is None:
                    lost_since = None
                elif lost_since is None:
                    lost_since = time.monotonic()
                    if bar is not None:
                        bar.set_description(f"{lost}: waiting up to {LOST_AFTER:.0f} s")
                elif time.monotonic() - lost_since > LOST_AFTER:
                    self.lost = True
                    raise WorkersLost(f"{lost} (for {LOST_AFTER:.0f} s)")
                time.sleep(0.05)

    def _lost(self) -> str | None:
        """What is missing for the chunks to run: the scheduler, or every worker; None if nothing.  The
        scheduler is asked for its workers every ``WORKERS_EVERY`` seconds."""
        if self.client.status != "running":
            return f"lost the Dask scheduler at {self.address}"
        now = time.monotonic()
        if now - self._asked >= WORKERS_EVERY:
            self._asked = now
            try:
                self._workers = int(self.client.scheduler_info(n_workers=0).get("n_workers", 0))
            except Exception:
                return f"lost the Dask scheduler at {self.address}"
        return None if self._workers else f"all workers of the Dask scheduler at {self.address} left"

    def _result(self, fut) -> ChunkResult:
        """A chunk's result.  A chunk never raises (its runs' errors are rows), so an error here is the cluster's:
        the task lost with its workers, or killed them (out of memory)."""
        try:
            return fut.result()
        except Exception as exc:
            self.lost = True
            # (a broken connection to the scheduler: Dask's CommClosedError is an OSError)
            if self.client.status != "running" or isinstance(exc, OSError) or "connection-lost" in str(exc):
                raise WorkersLost(f"lost the Dask scheduler at {self.address}") from None
            self._asked = -math.inf  # ask the scheduler now
            gone = self._lost()
            if gone is not None:  # (the scenario sent to the workers left with them, so the chunks were cancelled)
                raise WorkersLost(gone) from None
            first = error_text(exc).splitlines()[0]
            raise WorkersLost(f"the Dask cluster at {self.address} lost a chunk ({first})") from None

    def close(self) -> None:
        import contextlib
        import logging

        client = getattr(self, "client", None)
        if getattr(self, "cluster", None) is None and client is None:
            return
        # after a lost scheduler, closing cancels the client's attempts to reconnect, and Dask logs each with
        # its traceback: the sweep says what happened in one line instead
        lost = getattr(self, "lost", False)
        if lost:
            logging.disable(logging.CRITICAL)
        try:
            if client is not None:
                with contextlib.suppress(Exception):
                    client.close(timeout=CLOSE_TIMEOUT)
            if getattr(self, "cluster", None) is not None:
                with contextlib.suppress(Exception):
                    self.cluster.close(timeout=CLOSE_TIMEOUT)
        finally:
            if lost:
                logging.disable(logging.NOTSET)
