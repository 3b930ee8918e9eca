"""The batch runner against the Mesa model one run at a time, in the same process.

``collective`` with 40 organizations over 60 months, summary outputs.  Reports runs per
second of both paths, their ratio, and where the batch runner's time goes; then (``kernel_profile``) the
share of the compiled kernel's time per submodel, the 48-month warm-up's share of a run's kernel time,
the model's own operation count per run-month and how near the CPU's measured scalar and vector peak
the kernel and each submodel come (the counting rule and the method are in ``kernel_profile``'s docstring).

    uv run python benchmarks/bench_batch.py [--runs 4000] [--mesa-runs 300] [--threads N] [--target 5000]
        [--profile-runs 400] [--no-profile] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from cisim.experiments.batch import available_cores
from cisim.experiments.runner import run_batch
from cisim.model import state
from cisim.model.coalition import CoalitionModel
from cisim.model.scenario import load

sys.path.insert(0, str(Path(__file__).resolve().parent))
import kernel_profile  # noqa: E402  (beside this file)

CHANGES = {"coalition.size": 40}


def mesa_rate(runs: int) -> float:
    start = time.perf_counter()
    for seed in range(runs):
        model = CoalitionModel("collective", rng=seed, changes=CHANGES)
        while model.running:
            model.step()
    return runs / (time.perf_counter() - start)


def batch_rate(runs: int, threads: int | None) -> float:
    start = time.perf_counter()
    run_batch("collective", range(runs), outputs="summary", changes=CHANGES, threads=threads)
    return runs / (time.perf_counter() - start)


def batch_split(runs: int, threads: int | None) -> dict[str, float]:
    """Shares of the batch runner's time: compiled kernel, drawing random numbers, setting up runs."""
    spent = {"kernel": 0.0, "draws": 0.0, "setup": 0.0}
    originals = {name: getattr(state.World, name) for name in ("_kernel", "_draw_block", "_init_runs")}

    def timed(name, key):
        def wrapper(self, *args, **kw):
            t = time.perf_counter()
            originals[name](self, *args, **kw)
            spent[key] += time.perf_counter() - t
        return wrapper

    state.World._kernel = timed("_kernel", "kernel")
    state.World._draw_block = timed("_draw_block", "draws")
    state.World._init_runs = timed("_init_runs", "setup")
    try:
        t = time.perf_counter()
        run_batch("collective", range(runs), outputs="summary", changes=CHANGES, threads=threads)
        total = time.perf_counter() - t
    finally:
        for name, fn in originals.items():
            setattr(state.World, name, fn)
    split = {f"{k}_share": v / total for k, v in spent.items()}
    split["other_share"] = 1 - sum(split.values())
    return split


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=4000, help="runs through the batch runner per repetition")
    ap.add_argument("--mesa-runs", type=int, default=300, help="runs through the Mesa model per repetition")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=None, help="cores for the batch runner (default: all)")
    ap.add_argument("--target", type=float, default=2000.0, help="runs/s to compare the batch runner with")
    ap.add_argument("--profile-runs", type=int, default=400, help="runs in the state the submodels are timed on")
    ap.add_argument("--no-profile", action="store_true", help="skip the per-submodel profile and the CPU's peak")
    ap.add_argument("--quick", action="store_true", help="fewer runs and repetitions, a smaller profile")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.runs, args.mesa_runs, args.repeats = min(args.runs, 800), min(args.mesa_runs, 60), min(args.repeats, 3)
        args.profile_runs = min(args.profile_runs, 100)
    load("collective")
    mesa_rate(3)
    batch_rate(8, args.threads)
    batch_rate(8, 1)  # compile / load both kernels first
    mesa, batch, single = [], [], []
    for _ in range(args.repeats):  # interleaved, so all paths see the same machine
        mesa.append(mesa_rate(args.mesa_runs))
        batch.append(batch_rate(args.runs, args.threads))
        single.append(batch_rate(args.runs, 1))
    result = {
        "mesa_runs_per_second": statistics.median(mesa),
        "batch_runs_per_second": statistics.median(batch),
        "batch_one_thread_runs_per_second": statistics.median(single),
        "ratio_batch_over_mesa": statistics.median(b / m for b, m in zip(batch, mesa)),
        "ratio_one_thread_over_mesa": statistics.median(s / m for s, m in zip(single, mesa)),
        "threads": available_cores() if args.threads is None else args.threads,
        "cores": os.cpu_count(),
        "runs": args.runs, "mesa_runs": args.mesa_runs, "repeats": args.repeats,
        **batch_split(args.runs, 1),
    }
    months = load("collective").months
    threads = result["threads"]
    result.update({
        "target_runs_per_second": args.target,
        "target_over_batch": args.target / result["batch_runs_per_second"],
        # one thread's time per run-month, all of it and the kernel's part, against what the target leaves
        "us_per_run_month": 1e6 / (result["batch_one_thread_runs_per_second"] * months),
        "kernel_us_per_run_month": 1e6 * result["kernel_share"] / (result["batch_one_thread_runs_per_second"] * months),
        "target_us_per_run_month": 1e6 * threads / (args.target * months),
    })
    profile = None
    if not args.no_profile:
        profile = kernel_profile.profile(args.profile_runs, repeats=3 if args.quick else 7)
        result["profile"] = profile
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print("collective, 40 organizations, 60 months, summary outputs; medians of", args.repeats, "repetitions")
    print(f"  Mesa model, one run at a time:    {result['mesa_runs_per_second']:8.0f} runs/s")
    print(f"  batch runner, 1 thread:           {result['batch_one_thread_runs_per_second']:8.0f} runs/s  "
          f"({result['ratio_one_thread_over_mesa']:.1f}x the Mesa model)")
    print(f"  batch runner, {result['threads']} threads:          {result['batch_runs_per_second']:8.0f} runs/s  "
          f"({result['ratio_batch_over_mesa']:.1f}x the Mesa model)")
    print(f"  batch runner's time (1 thread): kernel {100 * result['kernel_share']:.0f}%, "
          f"random draws {100 * result['draws_share']:.0f}%, setting up runs {100 * result['setup_share']:.0f}%, "
          f"other (recording, tables) {100 * result['other_share']:.0f}%")
    print(f"  target {args.target:,.0f} runs/s: {result['target_over_batch']:.1f}x the batch runner's speed; it leaves "
          f"{result['target_us_per_run_month']:.1f} us per run-month on each of {threads} threads, where one thread "
          f"now takes {result['us_per_run_month']:.1f} us ({result['kernel_us_per_run_month']:.1f} us in the kernel)")
    if profile is not None:
        print("\n".join(kernel_profile.report(profile)))


if __name__ == "__main__":
    main()
