"""Would runs innermost make the kernel faster?  The pass over pairs in both layouts, timed.

The kernel keeps every array as ``(runs, organizations, ...)`` and steps one run at a time.
The other way to batch runs is to put them innermost, ``(groups, organizations, ..., lanes)``,
and step a group of runs together, so that the compiler can give each run a lane of a vector
instruction.  This benchmark writes that layout for the kernel's largest part, the pass over
pairs (trust update, trust statistics, trusted partners' service per domain, cross-pollination),
checks that it gives bit for bit the kernel's numbers, and times both on the same state:
``collective`` with 40 organizations after 30 months.  It is an experiment on the layout, not a
part of cisim: the model runs only the kernel's own functions.

    uv run python benchmarks/bench_layout.py [--runs 1024] [--lanes 8] [--repeats 15]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np
from numba import njit

from cisim.model import layout
from cisim.model.processes.conditions import effective_conditions
from cisim.model.processes.trust import pairs
from cisim.model.scenario import load
from cisim.model.state import World, param_matrix

LANES = 8  # runs per group; set from --lanes before the first call compiles the lane pass


@njit(cache=False, error_model="numpy")
def run_major(P, exists, member, sector, home, trust, cap, fail, served, freq, convening, mean_trust, degree,
              partners, n_partners, keep, stats, score):
    """The kernel's own pass over pairs for every run, then each member's partners' service per domain."""
    R, N, D = served.shape
    for r in range(R):
        pairs(P, r, exists, member, sector, home, trust, cap, fail, freq, convening, True, mean_trust[r],
                degree[r], partners, n_partners, keep, stats[r])
        for i in range(N):
            for d in range(D):
                score[r, i, d] = 0.0
            if member[r, i] > 0:
                for k in range(n_partners[i]):
                    j = partners[i, k]
                    for d in range(D):
                        score[r, i, d] += served[r, j, d]


@njit(cache=False, error_model="numpy")
def run_minor(P, exists, member, sector, home, trust, cap, fail, served, freq, convening, mean_trust, degree,
              score, stats, lane, keep, tied):
    """The same pass with runs innermost: every loop over organizations has a loop over the group's
    runs inside it, written so that the compiler may give each run a lane of a vector instruction
    (except cross-pollination, which writes to the domain each partner is strong in, a different
    one in every run, and so goes run by run)."""
    n_groups, N, _, _ = trust.shape
    D = cap.shape[2]
    L = LANES
    for g in range(n_groups):
        p = P[g]
        m = member[g]
        e = exists[g]
        sec = sector[g]
        hm = home[g]
        tr = trust[g]
        cp = cap[g]
        f = fail[g]
        sv = served[g]
        sc = score[g]
        (growth, cross, decay_met, decay_alone, betrayal, fail_rate, threshold, n_members, n_exist, within,
         n_within, across, n_across, dense, spill, g_same, g_cross, s, w_sum, w_n, a_sum, a_n, d_n, c) = lane
        for q in range(L):
            growth[q] = min(1.0, p[layout.T_GROWTH, q] * freq * convening)
            cross[q] = p[layout.T_CROSS, q]
            decay_met[q] = p[layout.T_DECAY, q] * max(0.0, 1.0 - freq)
            decay_alone[q] = p[layout.T_DECAY, q]
            betrayal[q] = p[layout.T_BETRAYAL, q]
            fail_rate[q] = p[layout.T_FAIL, q]
            threshold[q] = p[layout.T_THRESHOLD, q]
        lane[7:14] = 0.0  # n_members ... dense
        for j in range(N):
            for q in range(L):
                n_members[q] += m[j, q]
                n_exist[q] += e[j, q]
                keep[j, q] = 1.0 - betrayal[q] if (m[j, q] > 0 and f[j, q] < fail_rate[q]) else 1.0
        for q in range(L):
            spill[q] = p[layout.SPILLOVER, q] / max(1.0, n_members[q])
        for i in range(N):
            row = tr[i]
            for q in range(L):
                g_same[q] = m[i, q] * growth[q]
                g_cross[q] = m[i, q] * growth[q] * cross[q]
            for j in range(N):
                for q in range(L):
                    mm = m[i, q] * m[j, q]
                    gg = m[j, q] * (g_cross[q] + (g_same[q] - g_cross[q]) * (1.0 if sec[j, q] == sec[i, q] else 0.0))
                    decay = decay_alone[q] + mm * (decay_met[q] - decay_alone[q])
                    t = row[j, q]
                    t = (t + gg * (1.0 - t) - decay * t) * keep[j, q]
                    row[j, q] = min(1.0, max(0.0, t))
            for q in range(L):
                row[i, q] = 0.0
            lane[17:24] = 0.0  # s ... c
            for j in range(N):
                for q in range(L):
                    t = row[j, q]
                    ej = e[i, q] * e[j, q]
                    mm = m[i, q] * m[j, q]
                    same = 1.0 if sec[j, q] == sec[i, q] else 0.0
                    trusted = 1.0 if t > threshold[q] else 0.0
                    w = mm * trusted * (0.0 if j == i else 1.0)
                    tied[j, q] = w
                    c[q] += w
                    s[q] += mm * t
                    w_sum[q] += ej * same * t
                    w_n[q] += ej * same
                    a_sum[q] += ej * (1.0 - same) * t
                    a_n[q] += ej * (1.0 - same)
                    d_n[q] += ej * trusted
            for q in range(L):
                w_n[q] -= e[i, q]
                mean_trust[g, i, q] = s[q] / max(1.0, n_members[q] - 1.0)
                degree[g, i, q] = c[q]
                within[q] += w_sum[q]
                n_within[q] += w_n[q]
                across[q] += a_sum[q]
                n_across[q] += a_n[q]
                dense[q] += d_n[q]
            # partners' service per domain, over every pair: a weight is 0 or 1, so the sums are exact
            for d in range(D):
                for q in range(L):
                    sc[i, d, q] = 0.0
            for j in range(N):
                for d in range(D):
                    for q in range(L):
                        sc[i, d, q] += tied[j, q] * sv[j, d, q]
            # cross-pollination of row i: earlier rows are done and later ones not, as in the kernel
            for q in range(L):
                if spill[q] > 0:
                    si = sec[i, q]
                    for j in range(N):
                        if tied[j, q] > 0 and sec[j, q] != si:
                            d = hm[j, q]
                            lift = cp[j, d, q] - cp[i, d, q]
                            if lift > 0:
                                cp[i, d, q] += spill[q] * lift
        for q in range(L):
            stats[g, 0, q] = within[q] / n_within[q] if n_within[q] > 0 else 0.0
            stats[g, 1, q] = across[q] / n_across[q] if n_across[q] > 0 else 0.0
            stats[g, 2, q] = dense[q] / (n_exist[q] * (n_exist[q] - 1.0)) if n_exist[q] > 1 else 0.0


def to_lanes(x: np.ndarray, lanes: int) -> np.ndarray:
    """(runs, ...) -> (groups, ..., lanes)."""
    return np.ascontiguousarray(np.moveaxis(x.reshape((x.shape[0] // lanes, lanes) + x.shape[1:]), 1, -1))


def from_lanes(x: np.ndarray) -> np.ndarray:
    """(groups, ..., lanes) -> (runs, ...)."""
    return np.moveaxis(x, -1, 1).reshape((x.shape[0] * x.shape[-1],) + x.shape[1:-1])


def main() -> None:
    global LANES
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=1024)
    ap.add_argument("--lanes", type=int, default=8, help="runs per group in the runs-innermost layout")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    LANES = args.lanes
    runs = args.runs - args.runs % LANES
    scenario = load("collective").replace({"coalition.size": 40})
    P, PD = param_matrix(scenario, runs)
    world = World(scenario, P, PD, [np.random.default_rng(s) for s in range(runs)])
    for _ in range(30):
        world.step()
    R, N, D = world.cap.shape
    # this month's meetings and convening, as the month computed them (run 0; every run is alike here)
    freq, convening = effective_conditions(P, world.G, 0, world.G[0, layout.COALITION])[4:6]
    fail = world._fail[:, 0].astype(float)
    served = world.served.copy()

    def major_state():
        return (world.trust.copy(), world.cap.copy(), np.zeros((R, N)), np.zeros((R, N)), np.zeros((R, 3)),
                np.zeros((R, N, D)))

    def minor_state():
        return (to_lanes(world.trust, LANES), to_lanes(world.cap, LANES), np.zeros((R // LANES, N, LANES)),
                np.zeros((R // LANES, N, LANES)), np.zeros((R // LANES, 3, LANES)), np.zeros((R // LANES, N, D, LANES)))

    partners, n_partners, keep = np.empty((N, N), np.int64), np.empty(N, np.int64), np.empty(N)
    lanes = (to_lanes(P, LANES), to_lanes(world.exists, LANES), to_lanes(world.member, LANES),
             to_lanes(world.sector, LANES), to_lanes(world.home, LANES))
    fail_l, served_l = to_lanes(fail, LANES), to_lanes(served, LANES)
    scratch = (np.zeros((24, LANES)), np.zeros((N, LANES)), np.zeros((N, LANES)))

    def major():
        trust, cap, mt, deg, stats, score = major_state()
        t = time.perf_counter()
        run_major(world.P, world.exists, world.member, world.sector, world.home, trust, cap, fail, served, freq,
                  convening, mt, deg, partners, n_partners, keep, stats, score)
        score *= world.member[:, :, None]  # a non-member's service from partners is never read
        return time.perf_counter() - t, (trust, cap, mt, deg, stats, score)

    def minor():
        trust, cap, mt, deg, stats, score = minor_state()
        t = time.perf_counter()
        run_minor(*lanes, trust, cap, fail_l, served_l, freq, convening, mt, deg, score, stats, scratch[0],
                  scratch[1], scratch[2])
        dt = time.perf_counter() - t
        score = from_lanes(score) * world.member[:, :, None]
        return dt, (from_lanes(trust), from_lanes(cap), from_lanes(mt), from_lanes(deg), from_lanes(stats), score)

    major()
    minor()  # compile both
    t_major, t_minor, same = [], [], True
    for _ in range(args.repeats):  # interleaved, so both see the same machine
        a, out_a = major()
        b, out_b = minor()
        t_major.append(a / runs * 1e6)
        t_minor.append(b / runs * 1e6)
        same &= all(np.array_equal(x, y) for x, y in zip(out_a, out_b))
    result = {
        "runs": runs, "lanes": LANES, "repeats": args.repeats, "identical": bool(same),
        "runs_outermost_us_per_run": statistics.median(t_major),
        "runs_innermost_us_per_run": statistics.median(t_minor),
        "speedup_runs_innermost": statistics.median(a / b for a, b in zip(t_major, t_minor)),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(f"pass over pairs, collective, 40 organizations, month 31; {runs} runs; medians of {args.repeats}")
        print(f"  runs outermost (the kernel):          {result['runs_outermost_us_per_run']:6.2f} us per run")
        print(f"  runs innermost, {LANES} runs per group:   {result['runs_innermost_us_per_run']:6.2f} us per run  "
              f"({result['speedup_runs_innermost']:.2f}x the kernel's speed)")
        print(f"  same numbers, bit for bit: {'yes' if same else 'NO'}")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
