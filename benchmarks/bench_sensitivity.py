"""The bundled Sobol' design from file to figures, against the batch runner alone, in the same process.

``experiments/sobol_default.toml``: 12 factors and a dummy, N = 1024, 4 replicates (61,440 runs
of ``collective`` over 60 months), analysed for three outputs with 500 bootstrap resamples,
convergence at N/4, N/2 and N, and the outcome's indices at the end of each year.  Reports the
time of ``run_sensitivity`` (runs on all cores, analysis, tables and figures), split, and as
a ratio against ``run_batch`` of the same runs on one core.

    uv run python benchmarks/bench_sensitivity.py [--workers 2] [--baseline-runs 5000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from cisim.experiments.experiment import load_experiment
from cisim.experiments.runner import run_batch
from cisim.interfaces.sensitivity_study import run_sensitivity


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=None, help="default: all local cores")
    ap.add_argument("--baseline-runs", type=int, default=5000, help="runs of the one-core batch-runner baseline")
    args = ap.parse_args()

    experiment = load_experiment("sobol_default")
    runs = experiment.runs()
    sample = runs.drop(columns=["point", "replicate"]).iloc[:args.baseline_runs]
    run_batch(sample.iloc[:20], scenario=experiment.scenario, threads=1)  # load the kernel
    t = time.perf_counter()
    run_batch(sample, scenario=experiment.scenario, threads=1)
    per_run = (time.perf_counter() - t) / len(sample)
    baseline = per_run * len(runs)

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        study = run_sensitivity(experiment, Path(tmp) / "sobol", workers=args.workers, progress=False)
        total = time.perf_counter() - t
    s = study.seconds
    d = experiment.sa_design
    print(f"{experiment.name}: {len(d.model_factors)} factors + dummy, N = {d.n}, "
          f"{experiment.replicates} replicates = {len(runs)} runs")
    print(f"  batch runner alone, one core (estimated from {len(sample)} runs): {baseline:7.1f} s")
    print(f"  run_sensitivity, total                                    {total:7.1f} s  "
          f"({total / 60:.1f} min; {baseline / total:.2f}x the one-core batch runner)")
    print(f"    runs through the sweep engine                           {s['runs']:7.1f} s  "
          f"({len(runs) / s['runs']:.0f} runs/s)")
    print(f"    analysis (SALib, bootstrap, convergence, yearly)        {s['analysis']:7.1f} s")
    print(f"    tables and figures                                      {s['files']:7.1f} s")


if __name__ == "__main__":
    main()
