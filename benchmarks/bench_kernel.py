"""The processes as separate compiled functions against the single-function kernel they replaced.

The previous kernel (``cisim/model/kernel.py`` at a git revision, 83e849b by default) is written
to a temporary module and compiled beside today's ``cisim.model.processes``.  Two ``World``s are
built from the same seeds and stepped month by month, today's processes on one and the previous
kernel on the other, the order alternating each month; only the compiled ``step`` is timed.
Both must give the same outputs and state bit for bit.  Times are this thread's CPU time (the
wall clock is reported too: on a shared machine it also counts time the thread waited for a
core), and the ratio is the median over every month of every repetition of that month's ratio,
so a burst of other work spoils one month's pair rather than a repetition.  Default: ``collective`` with 40
organizations, 60 months, 2000 runs, 5 repetitions.

    uv run python benchmarks/bench_kernel.py [--runs 2000] [--repeats 5] [--rev 83e849b] [--json]
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
from pathlib import Path
from types import ModuleType

import numpy as np

from cisim.model.scenario import load
from cisim.model.state import World, param_matrix

ROOT = Path(__file__).resolve().parents[1]
CHANGES = {"coalition.size": 40}
#: State arrays both kernels write; they must agree after every month.
STATE = ("member", "align", "discontent", "cap", "alloc", "served", "trust", "cov", "record")


def reference_kernel(rev: str, folder: Path) -> ModuleType:
    """``cisim/model/kernel.py`` as it was at ``rev``, imported from a file in ``folder``."""
    source = subprocess.run(["git", "show", f"{rev}:cisim/model/kernel.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = folder / f"reference_kernel_{rev}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def timed(world: World, start: bool, call) -> None:
    """Run ``call()`` and, unless it is month 0, keep its CPU and wall time in ``world.spent``."""
    cpu, wall = time.thread_time(), time.perf_counter()
    call()
    if not start:
        world.spent.append((time.thread_time() - cpu, time.perf_counter() - wall))


class TimedWorld(World):
    """A ``World`` that times each of its compiled steps (month 0, built in ``__init__``, excluded)."""

    def _kernel(self, start: bool = False) -> None:
        timed(self, start, lambda: World._kernel(self, start))

    @property
    def spent(self) -> list[tuple[float, float]]:
        return self.__dict__.setdefault("_spent", [])


class ReferenceWorld(TimedWorld):
    """The same state, stepped by the previous kernel's ``step`` (whose arguments lack need, budget, reach)."""

    kernel: ModuleType

    def _kernel(self, start: bool = False) -> None:
        k = (self.month - 1) % self.block
        timed(self, start, lambda: self.kernel.step(
            self.month, self.P, self.PD, self.exists, self.member, self.sector, self.home, self.own, self.gweight,
            self.tolerance, self.align, self.discontent, self.cap, self.mission, self.alloc, self.served, self.trust,
            self.G, self.cov, self._noise[:, k], self._fail[:, k], self.out, self.out_cov, start))


def same(a: np.ndarray, b: np.ndarray) -> bool:
    """Bit for bit (so that NaN equals NaN and 0.0 differs from -0.0)."""
    return a.shape == b.shape and a.dtype == b.dtype and bool(np.all(a.view(np.uint8) == b.view(np.uint8)))


def one_repetition(runs: int, first_new: bool) -> tuple[list[tuple[float, float]], list[tuple[float, float]], bool]:
    """(CPU, wall) seconds of today's processes and of the previous kernel in each month, and whether they agree."""
    scenario = load("collective").replace(CHANGES)
    P, PD = param_matrix(scenario, runs)
    block = 12
    new = TimedWorld(scenario, P, PD, [np.random.default_rng(s) for s in range(runs)], block=block)
    old = ReferenceWorld(scenario, P, PD, [np.random.default_rng(s) for s in range(runs)], block=block)
    agree = same(new.record, old.record)
    for m in range(scenario.months):
        pair = (new, old) if (m % 2 == 0) == first_new else (old, new)
        for world in pair:
            world.step()
        agree &= all(same(getattr(new, name), getattr(old, name)) for name in STATE)
        agree &= same(new.G[:, : old.kernel.N_GLOBAL], old.G[:, : old.kernel.N_GLOBAL])
    return new.spent, old.spent, agree


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--rev", default="83e849b", help="git revision of the previous cisim/model/kernel.py")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cisim-bench-kernel-") as folder:
        ReferenceWorld.kernel = reference_kernel(args.rev, Path(folder))
        one_repetition(4, True)  # compile (or load) both
        new_s, old_s, agree = [], [], True
        for k in range(args.repeats):
            a, b, ok = one_repetition(args.runs, first_new=k % 2 == 0)
            new_s += a
            old_s += b
            agree &= ok
    months = load("collective").months
    result = {"runs": args.runs, "months": months, "repeats": args.repeats, "reference": args.rev,
              "identical": bool(agree)}
    for k, clock in enumerate(("cpu", "wall")):
        new_t = [x[k] for x in new_s]
        old_t = [x[k] for x in old_s]
        ratios = sorted(a / b for a, b in zip(new_t, old_t))
        result[clock] = {
            "processes_us_per_run_month": 1e6 * statistics.median(new_t) / args.runs,
            "reference_us_per_run_month": 1e6 * statistics.median(old_t) / args.runs,
            "ratio": statistics.median(ratios),
            "ratio_quartiles": [ratios[len(ratios) // 4], ratios[3 * len(ratios) // 4]],
            "ratio_of_totals": sum(new_t) / sum(old_t),
        }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"collective, 40 organizations, {months} months, {args.runs} runs, {args.repeats} repetitions; "
              f"medians over months; same numbers, bit for bit: {'yes' if agree else 'NO'}")
        for clock in ("cpu", "wall"):
            r = result[clock]
            lo, hi = r["ratio_quartiles"]
            print(f"  {clock:4s}: processes {r['processes_us_per_run_month']:6.2f} us per run-month, previous "
                  f"kernel ({args.rev}) {r['reference_us_per_run_month']:6.2f}; ratio {r['ratio']:.3f} "
                  f"(quartiles {lo:.3f} to {hi:.3f}; of total times {r['ratio_of_totals']:.3f})")
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()
