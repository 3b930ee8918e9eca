"""What a sweep's worker runs: one chunk of runs, numpy in and numpy out.

A worker (a spawned process of this machine, or a Dask worker) imports this module and
nothing that needs pandas, so it starts in about half the time: numpy, numba and the
compiled kernel are all it loads.  The process running the sweep turns each chunk's
numbers into table rows and writes them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from cisim.experiments.batch import run_rows
from cisim.model.scenario import Scenario

#: Packages whose versions must match between the sweep's process and every Dask worker.
VERSION_KEYS = ("cisim", "numpy", "numba", "pandas", "python")


@dataclass
class ChunkResult:
    """The outputs of one chunk's runs, in row order; a failed run has NaN outputs and its error."""

    k: int
    values: np.ndarray  # (runs, outputs)
    errors: list[str | None]
    batch_seconds: float  # time spent running the model
    worker: int  # process id
    finished: float  # time.time() when done


def _simulate(scenario: Scenario, columns: Sequence[str], values: np.ndarray, seeds: np.ndarray,
              outputs: Sequence[str]) -> np.ndarray:
    """Outputs (runs, outputs) of one run per row of ``values``; raises if any run fails."""
    return run_rows(scenario, columns, values, seeds, outputs)


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def retrying(k: int, simulate: Callable[[slice], np.ndarray], n: int, width: int) -> ChunkResult:
    """Chunk ``k``'s results: ``simulate(slice)`` of all ``n`` rows at once; if that fails, row by row, and each
    row that still fails gets NaN outputs (``width`` of them) and its error, so one bad row never loses the
    others.  Sweeps and calibrations both run their chunks through it."""
    errors: list[str | None] = [None] * n
    t0 = time.perf_counter()
    try:
        out = np.asarray(simulate(slice(0, n)), dtype=float)
    except Exception:
        out = np.full((n, width), np.nan)
        for i in range(n):
            try:
                out[i] = simulate(slice(i, i + 1))[0]
            except Exception as exc:
                errors[i] = error_text(exc)
    return ChunkResult(k, out, errors, time.perf_counter() - t0, os.getpid(), time.time())


def run_chunk(k: int, scenario: Scenario, columns: Sequence[str], values: np.ndarray, seeds: np.ndarray,
              outputs: Sequence[str]) -> ChunkResult:
    """Run chunk ``k`` of a sweep (see ``retrying`` for what a failure gives)."""
    return retrying(k, lambda rows: _simulate(scenario, columns, values[rows], seeds[rows], outputs), len(seeds),
                    len(outputs))


def init() -> None:
    """Start of a worker process the sweep spawned itself.

    Ctrl-C goes to the whole process group, so let the sweep's process decide: a worker
    finishes its chunk instead of dying with a traceback.  If the sweep's process dies, the worker
    ends too (``exit_with_parent``).
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    exit_with_parent()
    _skip_blas_probe()


def exit_with_parent() -> None:
    """End this worker process when the process that spawned it ends, however that ends.

    A worker waits on its pool's queue, and nothing tells it that the sweep's process was killed
    (SIGKILL, the out-of-memory killer): without this it would wait for ever.  A thread waits on the
    parent's sentinel (a pipe that closes when the parent dies) and then exits at once; the chunk it
    was running is lost, which is safe, as only the sweep's process writes chunks.
    """
    import multiprocessing
    import threading

    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        parent.join()
        os._exit(3)

    threading.Thread(target=watch, name="cisim-parent-watch", daemon=True).start()


def _skip_blas_probe() -> None:
    """Spare numba's first compile the import of scipy.linalg (a fifth of a second).

    numba imports scipy.linalg when it first compiles, only to learn whether ``np.dot`` may
    call BLAS.  The kernel does no linear algebra, so a process that runs nothing but the
    kernel answers no.  Only the sweep's own spawned workers do this; numba's linear algebra
    (``np.linalg``) still finds BLAS if anything asks for it.
    """
    import sys

    if "numba.np.arraymath" in sys.modules:
        return
    import numba.np.linalg as linalg

    probe = linalg.ensure_blas

    def no_blas() -> None:
        raise ImportError("a cisim sweep worker runs no linear algebra")

    linalg.ensure_blas = no_blas
    try:
        import numba.np.arraymath  # noqa: F401  (binds the probe it runs at import)
    finally:
        linalg.ensure_blas = probe


def warm() -> int:
    """Load the compiled kernel (one run of one month), so the first chunk starts at full speed."""
    from cisim.model.scenario import load

    scenario = load("collective").replace({"months": 1, "coalition.size": 2})
    run_rows(scenario, [], np.empty((1, 0)), np.zeros(1, dtype=np.int64), ["outcome_final"])
    return os.getpid()


def versions() -> dict[str, str]:
    """The versions that decide a run's numbers, as this worker sees them."""
    from cisim.experiments import metadata as meta  # importlib.metadata costs a tenth of a second: only when asked

    return {k: v for k, v in meta.package_versions().items() if k in VERSION_KEYS}
