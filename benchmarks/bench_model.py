"""Runs per second of the Mesa model, one run at a time (``collective``, 40 organizations, 60 months).

Every step records the per-step outputs in the model's DataCollector.  Reports the
median of several repetitions and a profile's split between the compiled kernel
(the model's array work) and Python/Mesa overhead.

    uv run python benchmarks/bench_model.py [--runs 200] [--repeats 7]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time

import mesa

from cisim.model.coalition import CoalitionModel


class _Bare(mesa.Model):
    """Baseline: what Mesa itself costs for a run of the same shape. 41 agents, 60 steps, and
    Mesa's own DataCollector recording 28 numbers a step; no model behind them."""

    def __init__(self, rng=None):
        super().__init__(rng=rng)
        self.values = [0.0] * 28
        for _ in range(41):
            mesa.Agent(self)
        self.datacollector = mesa.DataCollector(model_reporters={f"v{k}": _reader(k) for k in range(28)})
        self.datacollector.collect(self)

    def step(self):
        self.values = [v + 1.0 for v in self.values]
        self.datacollector.collect(self)
        self.running = self.steps < 60


def _reader(k: int):
    return lambda m: m.values[k]


def baseline_batch(runs: int, seed0: int) -> float:
    start = time.perf_counter()
    for seed in range(seed0, seed0 + runs):
        model = _Bare(rng=seed)
        while model.running:
            model.step()
    return time.perf_counter() - start


def one_batch(runs: int, seed0: int) -> float:
    start = time.perf_counter()
    for seed in range(seed0, seed0 + runs):
        model = CoalitionModel("collective", rng=seed, size=40)
        while model.running:
            model.step()
    return time.perf_counter() - start


def profile_split(runs: int) -> dict[str, float]:
    """Where a run's time goes, by timers around the compiled kernel and model construction
    (cProfile's own overhead would inflate the Python side)."""
    from cisim.model import state

    spent = {"kernel": 0.0, "init": 0.0}
    original = state.World._kernel

    def timed(self, start=False):
        t = time.perf_counter()
        original(self, start)
        spent["kernel"] += time.perf_counter() - t

    state.World._kernel = timed
    try:
        total = time.perf_counter()
        for seed in range(10_000, 10_000 + runs):
            t = time.perf_counter()
            model = CoalitionModel("collective", rng=seed, size=40)
            spent["init"] += time.perf_counter() - t
            while model.running:
                model.step()
        total = time.perf_counter() - total
    finally:
        state.World._kernel = original
    return {"kernel_share": spent["kernel"] / total, "model_init_share": spent["init"] / total,
            "python_mesa_share": 1 - spent["kernel"] / total}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    one_batch(5, 0)  # compile / load the kernel cache
    times, base = [], []
    for k in range(args.repeats):  # interleaved, so both see the same machine
        times.append(one_batch(args.runs, 1000 * (k + 1)))
        base.append(baseline_batch(args.runs, 1000 * (k + 1)))
    med = statistics.median(times)
    ratio = statistics.median(t / b for t, b in zip(times, base))
    result = {
        "runs_per_second_median": args.runs / med,
        "runs_per_second_best": args.runs / min(times),
        "ms_per_run_median": 1000 * med / args.runs,
        "baseline_runs_per_second_median": args.runs / statistics.median(base),
        "time_over_bare_mesa": ratio,
        "runs": args.runs, "repeats": args.repeats, "cores_used": 1,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
        **profile_split(args.runs),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print("collective, 40 organizations, 60 months, per-step outputs recorded, one core:")
    print(f"  {result['runs_per_second_median']:.0f} runs/s median of {args.repeats} x {args.runs} runs "
          f"(best {result['runs_per_second_best']:.0f}); {result['ms_per_run_median']:.2f} ms per run")
    print(f"  baseline in the same process, a bare Mesa model of the same shape (41 agents, 60 steps, Mesa's "
          f"DataCollector with 28 reporters): {result['baseline_runs_per_second_median']:.0f} runs/s; "
          f"a cisim run costs {ratio:.2f}x a bare Mesa run")
    print(f"  split: compiled kernel (the model's array work) {100 * result['kernel_share']:.0f}% of the time, "
          f"Python/Mesa overhead {100 * result['python_mesa_share']:.0f}% "
          f"(of which building the model and its agents {100 * result['model_init_share']:.0f}%)")


if __name__ == "__main__":
    main()
