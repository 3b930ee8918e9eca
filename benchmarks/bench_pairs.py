"""The pass over pairs (``trust.pairs``) against the pass as it was at a git revision, in one process.

The previous ``cisim/model/processes/trust.py`` (a896c1d by default) is written to a temporary
module; a month and a step are compiled twice, once calling today's ``pairs`` and once the
previous one.  Two measurements, each interleaved so that both see the same machine:

* the pass alone: both passes over every run of the same states (``collective``, 40 organizations,
  after 5, 30 and 55 months), this thread's CPU time; every array they write must agree bit for bit;
* the batch: ``simulate`` on ``collective`` with 40 organizations over 60 months with either step,
  on 1 and on 2 threads: runs per second of the wall clock and per second of the process's CPU
  time (which leaves out time spent waiting for a core on a shared machine); every month's
  outputs must agree bit for bit.

    uv run python benchmarks/bench_pairs.py [--runs 2000] [--repeats 5] [--rev a896c1d] [--json]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

import numpy as np
from numba import njit

from cisim.experiments.batch import simulate
from cisim.model import layout
from cisim.model import state as state_module
from cisim.model.processes import month as month_module
from cisim.model.processes.conditions import effective_conditions
from cisim.model.processes.trust import pairs
from cisim.model.scenario import load
from cisim.model.state import World, param_matrix

ROOT = Path(__file__).resolve().parents[1]
CHANGES = {"coalition.size": 40}


def reference_pairs(rev: str, folder: Path):
    """``pairs`` from ``cisim/model/processes/trust.py`` as it was at ``rev``, imported from a file in ``folder``."""
    source = subprocess.run(["git", "show", f"{rev}:cisim/model/processes/trust.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = folder / f"reference_trust_{rev}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module.pairs


def recompiled(fn, **names):
    """``fn`` (a compiled function) compiled anew, with some of the globals it calls replaced."""
    py = fn.py_func
    scope = dict(py.__globals__, **names)
    return njit(cache=False, error_model="numpy", nogil=True)(types.FunctionType(py.__code__, scope, py.__name__))


def step_with(fn):
    """``processes.month.step`` with ``fn`` as the ``pairs`` of its month."""
    return recompiled(month_module.step, month=recompiled(month_module.month, pairs=fn))


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit for bit (so that NaN equals NaN and 0.0 differs from -0.0)."""
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.all(a.view(np.uint8) == b.view(np.uint8)))


# ---------------------------------------------------------------- the pass alone

def every_run(fn):
    """A compiled loop calling ``fn`` (a ``pairs``) for every run, keeping what it gives for each run."""

    @njit(cache=False, error_model="numpy")
    def run(P, exists, member, sector, home, trust, cap, fail, freq, convening, mean_trust, degree, partners,
            n_partners, keep, stats, lists):
        R, N = member.shape
        for r in range(R):
            fn(P, r, exists, member, sector, home, trust, cap, fail, freq, convening, True, mean_trust[r], degree[r],
               partners, n_partners[r], keep, stats[r])
            if lists.shape[0] == R:  # the partner lists too (off while timing)
                for i in range(N):
                    for k in range(n_partners[r, i]):
                        lists[r, i, k] = partners[i, k]

    return run


def states(runs: int, months=(5, 30, 55)) -> list[tuple]:
    """(world, trust, cap, fail, freq, convening) after each of ``months``."""
    scenario = load("collective").replace(CHANGES)
    P, PD = param_matrix(scenario, runs)
    world = World(scenario, P, PD, [np.random.default_rng(s) for s in range(runs)], block=scenario.months)
    found = []
    for m in range(1, max(months) + 1):
        world.step()
        if m in months:
            # this month's meetings and convening, as the month computed them (run 0; every run is alike here)
            freq, convening = effective_conditions(P, world.G, 0, world.G[0, layout.COALITION])[4:6]
            found.append((world, world.trust.copy(), world.cap.copy(), world._fail[:, m - 1], freq, convening))
    return found


def one_pass(run, world, trust, cap, fail, freq, convening, keep_lists: bool) -> tuple[float, tuple]:
    """Seconds of one call of ``run`` over every run of a copy of the state, and what it wrote."""
    R, N = world.member.shape
    trust, cap = trust.copy(), cap.copy()
    mean_trust, degree, stats = np.zeros((R, N)), np.zeros((R, N)), np.zeros((R, 3))
    partners, n_partners, keep = np.zeros((N, N), np.int64), np.zeros((R, N), np.int64), np.zeros(N)
    lists = np.full((R, N, N), -1, np.int64) if keep_lists else np.zeros((1, 1, 1), np.int64)
    t = time.thread_time()
    run(world.P, world.exists, world.member, world.sector, world.home, trust, cap, fail, freq, convening, mean_trust,
        degree, partners, n_partners, keep, stats, lists)
    return time.thread_time() - t, (trust, cap, mean_trust, degree, n_partners, stats, lists)


def pass_alone(old_pairs, runs: int, repeats: int) -> dict:
    found = states(runs)
    new, old = every_run(pairs), every_run(old_pairs)
    agree = True
    for s in found:
        agree &= all(same(a, b) for a, b in zip(one_pass(new, *s, True)[1], one_pass(old, *s, True)[1]))
    t_new, t_old = [], []
    for k in range(repeats):
        for s in found:
            for which in ((new, t_new), (old, t_old)) if k % 2 == 0 else ((old, t_old), (new, t_new)):
                which[1].append(one_pass(which[0], *s, False)[0] / runs)
    return {"identical": bool(agree), "us_per_run": 1e6 * statistics.median(t_new),
            "reference_us_per_run": 1e6 * statistics.median(t_old),
            "speedup": statistics.median(b / a for a, b in zip(t_new, t_old))}


# ---------------------------------------------------------------- the batch

def batch(step, runs: int, threads: int) -> tuple[float, float, np.ndarray]:
    """Runs per second of ``simulate`` with ``step`` as the kernel, runs per second of the process's CPU
    time (all threads), and every month's outputs."""
    scenario = load("collective").replace(CHANGES)
    P, PD = param_matrix(scenario, runs)
    state_module.step = step
    try:
        t, cpu = time.perf_counter(), time.process_time()
        out, cov, _ = simulate(scenario, P, PD, np.arange(runs), threads=threads)
        rate, cpu_rate = runs / (time.perf_counter() - t), runs / (time.process_time() - cpu)
    finally:
        state_module.step = month_module.step
    return rate, cpu_rate, np.concatenate((out, cov), axis=2)


def batch_rates(new_step, old_step, runs: int, repeats: int) -> dict:
    batch(new_step, 16, 1)
    batch(old_step, 16, 1)  # compile (or load) both
    agree = True
    result = {}
    for threads in (1, 2):
        new, old = [], []
        for k in range(repeats):
            numbers = []
            for step, rates in ((new_step, new), (old_step, old)) if k % 2 == 0 else ((old_step, old), (new_step, new)):
                rate, cpu_rate, out = batch(step, runs, threads)
                rates.append((rate, cpu_rate))
                numbers.append(out)
            agree &= same(*numbers)
        result[f"{threads}_threads"] = {
            "runs_per_second": statistics.median(a for a, _ in new),
            "reference_runs_per_second": statistics.median(a for a, _ in old),
            "speedup": statistics.median(a[0] / b[0] for a, b in zip(new, old)),
            "runs_per_cpu_second": statistics.median(c for _, c in new),
            "reference_runs_per_cpu_second": statistics.median(c for _, c in old),
            "cpu_speedup": statistics.median(a[1] / b[1] for a, b in zip(new, old)),
        }
    result["identical"] = bool(agree)
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000, help="runs per batch, and per pass over the states")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rev", default="a896c1d", help="git revision of the previous cisim/model/processes/trust.py")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cisim-bench-pairs-") as folder:
        old_pairs = reference_pairs(args.rev, Path(folder))
        alone = pass_alone(old_pairs, min(args.runs, 1000), args.repeats)
        rates = batch_rates(step_with(pairs), step_with(old_pairs), args.runs, args.repeats)
    result = {"reference": args.rev, "runs": args.runs, "repeats": args.repeats, "pass": alone, "batch": rates}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"collective, 40 organizations; today's pairs against {args.rev}'s; medians of {args.repeats}")
        print(f"  the pass alone (months 5, 30, 55): {alone['us_per_run']:.2f} us per run, previous "
              f"{alone['reference_us_per_run']:.2f} ({alone['speedup']:.2f}x); same numbers: "
              f"{'yes' if alone['identical'] else 'NO'}")
        for threads in (1, 2):
            r = rates[f"{threads}_threads"]
            print(f"  batch, 60 months, {threads} thread{'s' if threads > 1 else ' '}: "
                  f"{r['runs_per_second']:6.0f} runs/s, previous {r['reference_runs_per_second']:6.0f} "
                  f"({r['speedup']:.2f}x); per second of CPU time "
                  f"{r['runs_per_cpu_second']:5.0f}, previous {r['reference_runs_per_cpu_second']:5.0f} "
                  f"({r['cpu_speedup']:.2f}x)")
        print(f"  every month's outputs the same, bit for bit: {'yes' if rates['identical'] else 'NO'}")
    if not (alone["identical"] and rates["identical"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
