"""Seconds per dashboard step: one month of the 40-organization model with all four views redrawn.

What the page does on Step: the model steps, then each view's headline is written and its
figure is rendered to PNG (``cisim.interfaces.views.view_png``, the same call the page makes).  Reports
the median over every step of several full runs (60 months each), the first frame after a
Reset (when each view also draws its static part), and, measured in the same process:

- a bare model step (no drawing): what the model itself costs;
- a full redraw of the four views from scratch, as a page without the static-part cache would.

The target for teaching is under a quarter of a second per step.

    uv run python benchmarks/bench_dashboard.py [--runs 5] [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import platform
import statistics
import time

from cisim.interfaces.views import VIEWS, ClassroomModel, draw_view, view_png

TARGET = 0.25  # seconds per step with all views redrawn
SIZE = 40


def _redraw(model: ClassroomModel) -> None:
    for view in VIEWS:
        view.headline(model)
        view_png(view.key, model)


def _full_redraw(model: ClassroomModel) -> None:
    for view in VIEWS:
        view.headline(model)
        fig = draw_view(view.key, model)
        fig.savefig(io.BytesIO(), format="png", dpi=fig.dpi)


def step_and_redraw(seed: int) -> tuple[list[float], float]:
    """Seconds of each step + redraw over a whole run, and of the first frame after a Reset."""
    t = time.perf_counter()
    model = ClassroomModel("collective", seed, size=SIZE)
    _redraw(model)
    first = time.perf_counter() - t
    times = []
    while model.running:
        t = time.perf_counter()
        model.step()
        _redraw(model)
        times.append(time.perf_counter() - t)
    return times, first


def bare_steps(seed: int) -> list[float]:
    model = ClassroomModel("collective", seed, size=SIZE)
    times = []
    while model.running:
        t = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - t)
    return times


def full_redraws(seed: int, every: int = 6) -> list[float]:
    model = ClassroomModel("collective", seed, size=SIZE)
    times = []
    while model.running:
        model.step()
        if model.month % every == 0:
            t = time.perf_counter()
            _full_redraw(model)
            times.append(time.perf_counter() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="full 60-month runs to time (default 5)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    step_and_redraw(999)  # warm up: the compiled kernel, matplotlib's fonts, the isolated baseline's cache
    steps, firsts, bare, full = [], [], [], []
    for k in range(args.runs):  # interleaved, so all see the same machine
        s, f = step_and_redraw(k)
        steps += s
        firsts.append(f)
        bare += bare_steps(k)
        full += full_redraws(k)
    med = statistics.median(steps)
    base = statistics.median(bare)
    result = {
        "seconds_per_step_redrawn_median": med,
        "seconds_per_step_redrawn_p95": statistics.quantiles(steps, n=20)[-1],
        "seconds_first_frame_median": statistics.median(firsts),
        "seconds_bare_step_median": base,
        "time_over_bare_step": med / base,
        "seconds_full_redraw_median": statistics.median(full),
        "target_seconds": TARGET,
        "meets_target": med < TARGET,
        "organizations": SIZE, "steps_timed": len(steps), "runs": args.runs,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"collective, {SIZE} organizations: one Step of the dashboard (model step + 4 views redrawn to PNG), "
          f"{len(steps)} steps over {args.runs} runs:")
    print(f"  median {1000 * med:.1f} ms per step (95th percentile {1000 * result['seconds_per_step_redrawn_p95']:.1f}"
          f" ms); target under {1000 * TARGET:.0f} ms: {'met' if result['meets_target'] else 'NOT met'}")
    print(f"  first frame after Reset (static parts drawn too): {1000 * result['seconds_first_frame_median']:.1f} ms")
    print(f"  baseline in the same process, a bare model step: {1000 * base:.3f} ms; a step with the views redrawn "
          f"costs {result['time_over_bare_step']:.0f}x that")
    print(f"  for comparison, drawing the four views from scratch: {1000 * result['seconds_full_redraw_median']:.1f} "
          f"ms per step")


if __name__ == "__main__":
    main()
