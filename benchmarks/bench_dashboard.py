"""Seconds per dashboard step: one month of both 40-organization runs with all four views redrawn.

What the page does on Step (or each month of Play): the coalition's run and the same organizations
working alone step one month (``Classroom.step``), then each view's headline is written and its
figure is rendered to PNG (``cisim.interfaces.views.view_png``, the same calls the page makes).
Reports the median and the 95th percentile over every step of several full runs (60 months each,
with a condition switched off at month 24, as a class would), the first frame after a Reset (when
each view also draws its static part), and, measured in the same process, as ratios:

- a bare model step (one run, no drawing): what the model itself costs;
- a bare step of both runs (no drawing);
- a full redraw of the four views from scratch, as a page without the static-part cache would.

The target for teaching is a 95th percentile under a quarter of a second per step.

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

from cisim.interfaces.classroom import Classroom
from cisim.interfaces.views import VIEWS, draw_view, view_png

TARGET = 0.25  # seconds per step at the 95th percentile, both runs stepped and all views redrawn
SIZE = 40
SWITCH_MONTH = 24


def _redraw(room: Classroom) -> None:
    for view in VIEWS:
        view.headline(room)
        view_png(view.key, room)


def _full_redraw(room: Classroom) -> None:
    for view in VIEWS:
        view.headline(room)
        fig = draw_view(view.key, room)
        fig.savefig(io.BytesIO(), format="png", dpi=fig.dpi)


def _p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1]


def step_and_redraw(seed: int) -> tuple[list[float], float]:
    """Seconds of each step + redraw over a whole run (communication switched off at ``SWITCH_MONTH``), and
    of the first frame after a Reset."""
    t = time.perf_counter()
    room = Classroom("collective", seed, size=SIZE)
    _redraw(room)
    first = time.perf_counter() - t
    times = []
    while room.running:
        t = time.perf_counter()
        if room.month == SWITCH_MONTH:
            room.switch("continuous_communication", 0.0)
        room.step()
        _redraw(room)
        times.append(time.perf_counter() - t)
    return times, first


def bare_steps(seed: int) -> tuple[list[float], list[float]]:
    """Seconds of each bare step: of the coalition's model alone, and of both runs."""
    room = Classroom("collective", seed, size=SIZE)
    one, both = [], []
    while room.running:
        t = time.perf_counter()
        room.together.step()
        one.append(time.perf_counter() - t)
        room.alone.step()
        both.append(time.perf_counter() - t)
    return one, both


def full_redraws(seed: int, every: int = 6) -> list[float]:
    room = Classroom("collective", seed, size=SIZE)
    times = []
    while room.running:
        room.step()
        if room.month % every == 0:
            t = time.perf_counter()
            _full_redraw(room)
            times.append(time.perf_counter() - t)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="full 60-month runs to time (default 5)")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    step_and_redraw(999)  # warm up: the compiled kernel, matplotlib's fonts
    steps, firsts, one, both, full = [], [], [], [], []
    for k in range(args.runs):  # interleaved, so all see the same machine
        s, f = step_and_redraw(k)
        steps += s
        firsts.append(f)
        o, b = bare_steps(k)
        one += o
        both += b
        full += full_redraws(k)
    p95 = _p95(steps)
    result = {
        "seconds_per_step_redrawn_median": statistics.median(steps),
        "seconds_per_step_redrawn_p95": p95,
        "seconds_first_frame_median": statistics.median(firsts),
        "seconds_bare_model_step_p95": _p95(one),
        "seconds_bare_two_runs_step_p95": _p95(both),
        "seconds_full_redraw_p95": _p95(full),
        "p95_over_bare_model_step": p95 / _p95(one),
        "p95_over_bare_two_runs_step": p95 / _p95(both),
        "p95_over_full_redraw": p95 / _p95(full),
        "target_seconds_p95": TARGET,
        "meets_target": p95 < TARGET,
        "organizations": SIZE, "steps_timed": len(steps), "runs": args.runs,
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores",
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    ms = {k: 1000 * v for k, v in result.items() if k.startswith("seconds")}
    print(f"collective and alone, {SIZE} organizations each: one dashboard step (both runs + 4 views redrawn to "
          f"PNG), {len(steps)} steps over {args.runs} runs, communication switched off at month {SWITCH_MONTH}:")
    print(f"  95th percentile {ms['seconds_per_step_redrawn_p95']:.1f} ms (median "
          f"{ms['seconds_per_step_redrawn_median']:.1f} ms); target under {1000 * TARGET:.0f} ms at the 95th "
          f"percentile: {'met' if result['meets_target'] else 'NOT met'}")
    print(f"  first frame after Reset (static parts drawn too): {ms['seconds_first_frame_median']:.1f} ms")
    print("  baselines in the same process (95th percentiles), and the step's 95th percentile as a ratio:")
    print(f"    a bare model step, one run: {ms['seconds_bare_model_step_p95']:.2f} ms "
          f"({result['p95_over_bare_model_step']:.0f}x)")
    print(f"    a bare step of both runs: {ms['seconds_bare_two_runs_step_p95']:.2f} ms "
          f"({result['p95_over_bare_two_runs_step']:.0f}x)")
    print(f"    drawing the four views from scratch: {ms['seconds_full_redraw_p95']:.1f} ms "
          f"({result['p95_over_full_redraw']:.2f}x)")


if __name__ == "__main__":
    main()
