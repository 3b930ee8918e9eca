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
checked against the batch runner's.

    uv run python benchmarks/bench_sweep.py [--replicates 1000] [--workers 2] [--backend local|dask]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    # Imported here, not at the top: spawned workers import this script again (as they import
    # the `cisim` command's), and a worker imports only what its chunks need.
    import numpy as np

    from cisim.experiment import load_experiment
    from cisim.runner import run_batch
    from cisim.sweep import run_sweep

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicates", type=int, default=1000, help="replicates per share (20 shares)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--backend", choices=["local", "dask"], default="local")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    experiment = load_experiment(ROOT / "experiments" / "backbone_investment.toml")
    experiment.replicates = args.replicates
    runs = experiment.runs()
    params = runs.drop(columns=["point", "replicate"])

    run_batch(params.iloc[:50], scenario=experiment.scenario, threads=1)  # load the kernel
    t = time.perf_counter()
    direct = run_batch(params, scenario=experiment.scenario, threads=1).summary
    one_core = time.perf_counter() - t
    t = time.perf_counter()
    run_batch(params, scenario=experiment.scenario, threads=args.workers)
    threads = time.perf_counter() - t

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        df = run_sweep(experiment, Path(tmp) / "sweep", workers=args.workers, progress=False, backend=args.backend)
        wall = time.perf_counter() - t
        session = json.loads((Path(tmp) / "sweep" / "metadata.json").read_text())["sessions"][-1]
    for c in experiment.outputs:
        np.testing.assert_array_equal(df[c].to_numpy(), direct[c].to_numpy())

    n = len(runs)
    ideal = one_core / args.workers
    in_workers = session["batch_seconds"]
    result = {
        "runs": n,
        "workers": args.workers,
        "backend": args.backend,
        "chunks": session["chunks_run"],
        "batch_runner_one_core_s": round(one_core, 2),
        "batch_runner_threads_s": round(threads, 2),
        "sweep_wall_s": round(wall, 2),
        "batch_seconds_in_workers": round(in_workers, 2),
        "overhead_vs_batch_runner_threads": round(wall / threads - 1, 4),
        "overhead_vs_ideal_split": round(wall / ideal - 1, 4),
        "overhead_worker_time": round((args.workers * wall - in_workers) / in_workers, 4),
        "runs_per_s_sweep": round(n / wall, 1),
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    w = args.workers
    print(f"{n} runs ({experiment.name}, {experiment.scenario.months} months), {w} workers, "
          f"backend {args.backend}, {result['chunks']} chunks")
    print(f"  batch runner, {w} threads ({w} cores)           {threads:7.2f} s")
    print(f"  batch runner, one core                    {one_core:7.2f} s   (split ideally over {w}: {ideal:.2f} s)")
    print(f"  sweep, {w} workers                           {wall:7.2f} s   ({n / wall:.0f} runs/s; the batch runner "
          f"ran {in_workers:.2f} s inside the workers)")
    vs_threads = 100 * result["overhead_vs_batch_runner_threads"]
    print(f"  engine overhead vs the batch runner on {w} cores     {vs_threads:+6.1f}%")
    print(f"  engine overhead vs an ideal split of one core     {100 * result['overhead_vs_ideal_split']:+6.1f}%")
    print(f"  worker time not spent in the batch runner         {100 * result['overhead_worker_time']:+6.1f}%  "
          "(start-up of spawned workers, scheduling, writing chunks, the tail)")


if __name__ == "__main__":
    main()
