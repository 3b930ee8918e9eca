"""The batch runner's core in numpy alone: parameter rows in, monthly outputs and summaries out.

``cisim.experiments.runner.run_batch`` wraps this in tidy tables; a sweep's worker processes call it
directly, so that they start without importing pandas (a second less per worker).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from cisim.experiments.summary import summarize
from cisim.model import layout as L
from cisim.model.scenario import ROWS, Scenario, ScenarioError, field_for
from cisim.model.schema import COLUMN, MONTHS, Field
from cisim.model.state import BOOKS, World, param_matrix

#: Arrays of one chunk of runs are kept under about this many bytes.
MEMORY_BUDGET = 200e6
#: Runs stepped together, at most: a block's state (trust, allocations, the pathway) stays in the CPU's cache
#: from one month to the next (with 40 organizations, 1,000 runs a block ran 16% slower on one thread).
CACHE_RUNS = 256


def check_values(f: Field, path: str, numeric: np.ndarray, shown: Sequence | None = None) -> None:
    """Raise a ``ScenarioError`` naming the first row whose value is not a number in ``f``'s range."""
    shown = numeric if shown is None else shown
    bad = np.flatnonzero(~np.isfinite(numeric))
    if len(bad):
        raise ScenarioError(ROWS, path, f"row {bad[0]}: expected a number, got {shown[bad[0]]!r}")
    bad = np.flatnonzero((numeric < f.lo) | (numeric > f.hi))
    if len(bad):
        raise ScenarioError(ROWS, path, f"row {bad[0]}: expected a value from {f.lo:g} to {f.hi:g} ({f.unit}), "
                            f"got {numeric[bad[0]]!r}")
    if f.integer:
        bad = np.flatnonzero(numeric != np.round(numeric))
        if len(bad):
            raise ScenarioError(ROWS, path, f"row {bad[0]}: expected a whole number, got {numeric[bad[0]]!r}")


def batch_size_for(scenario: Scenario, P: np.ndarray, memory: float = MEMORY_BUDGET) -> int:
    """Runs per chunk so that a chunk's arrays stay under ``memory`` bytes."""
    N = int(P[:, COLUMN["coalition.size"]].max())
    D = len(scenario.domains)
    T = scenario.months
    per_run = 8 * (N * N + 7 * N * D + T * N * D + 2 * T * N + 13 * N + L.N_GLOBAL + 2 * (L.N_OUTPUTS + 2 * D)
                   + len(P[0]) + (L.N_PATH + 6) * D)
    return max(1, int(memory // per_run))


def available_cores() -> int:
    """Cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def simulate(scenario: Scenario, P: np.ndarray, PD: np.ndarray, seeds: np.ndarray, batch_size: int | None = None,
             bar=None, threads: int = 1) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Every month of every run: ``out`` (runs, months + 1, outputs), the steps' numbers (runs, months + 1,
    2 * domains: coverage per step, then drop-outs per step) and the books (cumulative money per run).
    Run r draws from ``np.random.default_rng(seeds[r])``.

    With ``threads`` > 1 the runs go in blocks over that many threads, each block stepped through
    all its months by one thread.  The kernel releases the GIL, so one thread's set-up and draws
    overlap the others' stepping, and there is no wait at the end of every month.
    """
    n = len(seeds)
    T = scenario.months
    D = len(scenario.domains)
    out = np.empty((n, T + 1, L.N_OUTPUTS))
    cov = np.empty((n, T + 1, 2 * D))
    books = {k: np.empty(n) for k in BOOKS}
    size = min(batch_size or batch_size_for(scenario, P), CACHE_RUNS)
    threads = max(1, min(threads, n))
    if threads > 1:
        # the blocks in flight together stay within one batch's memory
        size = max(1, min(size // threads, -(-n // threads)))

    def run_block(lo: int) -> None:
        hi = min(n, lo + size)
        rngs = [np.random.default_rng(int(s)) for s in seeds[lo:hi]]
        world = World(scenario, P[lo:hi], PD[lo:hi], rngs)
        out[lo:hi, 0] = world.out
        cov[lo:hi, 0] = world.record[:, L.N_OUTPUTS:]
        for m in range(1, T + 1):
            world.step()
            out[lo:hi, m] = world.out
            cov[lo:hi, m] = world.record[:, L.N_OUTPUTS:]
            if bar is not None:
                bar.update(hi - lo)
        for k, v in world.books().items():
            books[k][lo:hi] = v

    if threads == 1:
        for lo in range(0, n, size):
            run_block(lo)
        return out, cov, books
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(threads, thread_name_prefix="cisim-batch")
    try:
        for f in [pool.submit(run_block, lo) for lo in range(0, n, size)]:
            f.result()
    finally:
        pool.shutdown(cancel_futures=True)  # on an error or Ctrl-C, start no further block
    return out, cov, books


def run_rows(scenario: Scenario, columns: Sequence[str], values: np.ndarray, seeds: np.ndarray,
             outputs: Sequence[str]) -> np.ndarray:
    """Summary outputs (runs, len(outputs)) of one run per row of ``values`` (runs, len(columns)).

    Columns are per-run parameters by dotted path, or ``months``: runs with different horizons
    go as one batch per horizon.  Raises ``ScenarioError`` for a value out of range.
    """
    columns = list(columns)
    values = np.asarray(values, dtype=float).reshape(len(seeds), len(columns))
    seeds = np.asarray(seeds, dtype=np.int64)
    result = np.empty((len(seeds), len(outputs)))
    if "months" in columns:
        c = columns.index("months")
        groups = [(int(m), np.flatnonzero(values[:, c] == m)) for m in dict.fromkeys(values[:, c].tolist())]
        check_values(MONTHS, "months", values[:, c])
        rest = [p for p in columns if p != "months"]
        values = np.delete(values, c, axis=1)
    else:
        groups = [(None, np.arange(len(seeds)))]
        rest = columns
    fields = [field_for(scenario, p) for p in rest]
    for p, f, k in zip(rest, fields, range(len(rest))):
        if f is None:
            raise ScenarioError(ROWS, p, "cannot vary from run to run (only scalar parameters, months and "
                                "domains.<name>.<value> can)")
        check_values(f, p, values[:, k])
    for months, idx in groups:
        base = scenario if months is None else scenario.replace({"months": months})
        rows = [{p: (int(v) if f.integer else float(v)) for p, f, v in zip(rest, fields, values[r])} for r in idx]
        P, PD = param_matrix(base, rows)
        out, _, _ = simulate(base, P, PD, seeds[idx])
        target = P[:, COLUMN["problem.target"]]
        stats = summarize(out, target)
        for j, o in enumerate(outputs):
            result[idx, j] = stats[o]
    return result
