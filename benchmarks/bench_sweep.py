"""The experiment engine's overhead on top of the batch runner, for a 20,000-run sweep on 2 workers.

The sweep is the bundled backbone investment study (``collective``, 20 backbone shares, 60
months) with 1,000 replicates per share.  In the same process it measures:

- the batch runner alone: ``run_batch`` over the same 20,000 parameter rows and seeds on one
  core (``threads=1``); on 2 workers its ideal time is half that;
- the batch runner on 2 threads (``threads=2``), the in-process alternative to a sweep;
- ``run_sweep`` with 2 worker processes: chunking, starting and warming the workers,
  pickling, writing every chunk to Parquet, the metadata record.

The overhead is given three ways: the sweep's wall time against the batch runner's own on the
same cores (``threads=2``); against an ideal split of its one-core time; and from the workers'
side (worker-seconds not spent in the batch runner, over those that were: start-up of the
spawned workers, scheduling, writing chunks, waiting at the end).  The sweep's rows are
checked against the batch runner's.  Each measure is repeated (``--repeats``, three by
default) and reported as the median, with every repetition's figure beside it: on a shared
machine the batch runner's own time varies by a fifth from one repetition to the next.

    uv run python benchmarks/bench_sweep.py [--replicates 1000] [--workers 2] [--repeats 3] [--backend local|dask]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    # Imported here, not at the top: spawned workers import this script again (as they import
    # the `cisim` command's), and a worker imports only what its chunks need.
    import numpy as np

    from cisim.experiments.experiment import load_experiment
    from cisim.experiments.runner import run_batch
    from cisim.experiments.sweep import run_sweep

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=1000, help="replicates per share (20 shares)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--backend", choices=["local", "dask"], default="local")
    ap.add_argument("--repeats", type=int, default=3, help="repetitions; medians are reported")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    experiment = load_experiment(ROOT / "experiments" / "backbone_investment.toml")
    experiment.replicates = args.replicates
    runs = experiment.runs()
    params = runs.drop(columns=["point", "replicate"])

    run_batch(params.iloc[:50], scenario=experiment.scenario, threads=1)  # load the kernel
    n = len(runs)
    w = args.workers
    reps = []
    for _ in range(args.repeats):
        t = time.perf_counter()
        direct = run_batch(params, scenario=experiment.scenario, threads=1).summary
        one_core = time.perf_counter() - t
        t = time.perf_counter()
        run_batch(params, scenario=experiment.scenario, threads=w)
        threads = time.perf_counter() - t
        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            df = run_sweep(experiment, Path(tmp) / "sweep", workers=w, progress=False, backend=args.backend)
            wall = time.perf_counter() - t
            session = json.loads((Path(tmp) / "sweep" / "metadata.json").read_text())["sessions"][-1]
        for c in experiment.outputs:
            np.testing.assert_array_equal(df[c].to_numpy(), direct[c].to_numpy())
        in_workers = session["batch_seconds"]
        reps.append({
            "batch_runner_one_core_s": round(one_core, 2),
            "batch_runner_threads_s": round(threads, 2),
            "sweep_wall_s": round(wall, 2),
            "batch_seconds_in_workers": round(in_workers, 2),
            "overhead_vs_batch_runner_threads": round(wall / threads - 1, 4),
            "overhead_vs_ideal_split": round(wall / (one_core / w) - 1, 4),
            "overhead_worker_time": round((w * wall - in_workers) / in_workers, 4),
            "runs_per_s_sweep": round(n / wall, 1),
            "chunks": session["chunks_run"],
        })
    result = {"runs": n, "workers": w, "backend": args.backend, "repeats": args.repeats}
    for key in reps[0]:
        result[key] = statistics.median(r[key] for r in reps) if key != "chunks" else reps[-1][key]
    result["each_repeat"] = reps
    if args.json:
        print(json.dumps(result, indent=2))
        return

    def each(key: str, pct: bool = False) -> str:
        return ", ".join(f"{100 * r[key]:+.1f}%" if pct else f"{r[key]:.2f}" for r in reps)

    print(f"{n} runs ({experiment.name}, {experiment.scenario.months} months), {w} workers, "
          f"backend {args.backend}, {result['chunks']} chunks; medians of {args.repeats} repetitions "
          "(each in brackets)")
    print(f"  batch runner, {w} threads ({w} cores)        {result['batch_runner_threads_s']:7.2f} s   "
          f"[{each('batch_runner_threads_s')}]")
    print(f"  batch runner, one core                 {result['batch_runner_one_core_s']:7.2f} s   "
          f"[{each('batch_runner_one_core_s')}]")
    print(f"  sweep, {w} workers                        {result['sweep_wall_s']:7.2f} s   "
          f"({result['runs_per_s_sweep']:.0f} runs/s) [{each('sweep_wall_s')}]")
    print(f"  engine overhead vs the batch runner on {w} cores   "
          f"{100 * result['overhead_vs_batch_runner_threads']:+6.1f}%   "
          f"[{each('overhead_vs_batch_runner_threads', True)}]")
    print(f"  engine overhead vs an ideal split of one core   "
          f"{100 * result['overhead_vs_ideal_split']:+6.1f}%   [{each('overhead_vs_ideal_split', True)}]")
    print(f"  worker time not spent in the batch runner       "
          f"{100 * result['overhead_worker_time']:+6.1f}%   [{each('overhead_worker_time', True)}]")
    print("  (worker time: start-up of spawned workers, scheduling, writing chunks, the tail)")


if __name__ == "__main__":
    main()
