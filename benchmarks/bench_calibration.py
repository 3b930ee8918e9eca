"""The bundled calibration's time, against the same parameter sets run in one batch in this process.

Runs ``cisim.experiments.calibration.calibrate`` on ``experiments/targets/evidence.toml`` (into a temporary
folder) and reports its wall time, its runs and its sets per second; then the simulator alone on one core in
this process (the same kind of sets, one chunk of them, no files, no generations) as the baseline, and the
ratio of the two: what the workers gain, less what chunks, files and the ABC bookkeeping cost.

    uv run python benchmarks/bench_calibration.py            # the bundled calibration (about 15 minutes)
    uv run python benchmarks/bench_calibration.py --quick    # 60 sets a generation, 3 generations
    uv run python benchmarks/bench_calibration.py --workers 2 --json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--targets", default="evidence")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--quick", action="store_true", help="60 sets a generation and 3 generations")
    ap.add_argument("--baseline-sets", type=int, default=40, help="sets the one-core baseline runs")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from cisim.experiments.batch import available_cores
    from cisim.experiments.calibration import calibrate
    from cisim.experiments.targets import load_targets
    from cisim.model.schema import BY_PATH

    tf = load_targets(args.targets)
    if args.quick:
        tf.abc.update(population=60, generations=3)
        tf.content["quick"] = True
    sim = tf.simulator()
    workers = args.workers or available_cores()

    # baseline: one chunk of sets at the defaults, on one core, in this process (after a warm-up call)
    x = np.array([[BY_PATH[p].default for p in tf.parameters]] * args.baseline_sets)
    sim.simulate(x[:2], np.arange(2))
    t0 = time.perf_counter()
    sim.simulate(x, np.arange(args.baseline_sets))
    base = args.baseline_sets / (time.perf_counter() - t0)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        fit = calibrate(tf, Path(tmp) / "cal", workers=workers, progress=False)
        seconds = time.perf_counter() - t0
    sets = fit.runs / sim.runs_per_set
    rate = sets / seconds
    result = {"targets": str(tf.path), "quick": args.quick, "workers": workers, "seconds": round(seconds, 1),
              "runs": fit.runs, "runs_per_set": sim.runs_per_set, "months": sim.months, "sets": int(sets),
              "sets_per_second": round(rate, 2), "baseline_sets_per_second_one_core": round(base, 2),
              "ratio_to_one_core": round(rate / base, 2), "status": fit.status, "epsilon": fit.epsilon}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"calibration of {tf.name}: {fit.runs:,} runs ({int(sets):,} sets of {sim.runs_per_set} runs of "
          f"{sim.months} months) in {seconds:.0f} s on {workers} workers; {fit.status}, tolerance {fit.epsilon:.3g}")
    print(f"  {rate:.1f} sets/s; one core in this process, one chunk: {base:.1f} sets/s; "
          f"ratio {rate / base:.2f} (ideal {workers})")


if __name__ == "__main__":
    main()
