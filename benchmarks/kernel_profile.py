"""Where the compiled kernel's time goes, per submodel, against the model's own operation count and the CPU's peak.

A realistic state: ``collective`` with 40 organizations (``--profile-runs`` runs, 400 by default) stepped
to month 30.  From it, one pass of month 31's early processes (``prepare``, trust not updated) gives every
run the intermediate vectors the later processes read (conditions, agenda, service money, trusted partners,
coordination, pressures, voice).  Then each submodel's compiled function is called, by a small compiled
driver written here, for every run, ``reps`` times, with the arguments ``month`` gives it, and timed
(median of repeats; the state arrays a submodel writes are restored from a copy before each timed block,
so every block starts from the same state; within a block the repeated calls act on the state the earlier
ones left, which keeps it realistic).  ``membership`` is timed one pass per block, since a repeated pass
would let the same organizations leave and join again.  The whole ``step`` is timed on the same state
the same way, so each submodel's share is a fraction of the measured step; what the shares leave is
"other / call overhead" (the month's own glue, the out-of-line calls, and the cost of calling each
function from the drivers being lower or higher than from ``month``).  The 48-month warm-up at month 0
(``World`` construction's kernel call, without ``setup_run``) is timed per run too, and given as its share
of a run's kernel time (warm-up + 60 months).

Operation counts (``OPS``) are counted by hand from the loops of each submodel, as a function of N
(organizations), D (steps of the pathway) and three numbers taken from the state: E, the trusted
partners summed over members (pairs' and allocation's partner loops run over them), B, the rows where
a member's sector or membership changes (pairs recomputes a row's growth and decay there; 7 sectors)
and Dr, the steps that lower barriers.  The counting rule: every floating-point add, subtract,
multiply, divide, min, max, abs, compare (``<``, ``>``, ``== 0``) and every ``exp`` / ``**`` counts 1;
a comparison of model integers (sectors) counts 1 too; loads, stores, selects (``a if c else b``),
integer loop and index arithmetic, integer counters and float32 to float64 conversion count 0; a
constant expression the code recomputes inside a loop (``1 - q[i]``) counts where it is written.
Branches that are rarely taken (a member leaving, root causes falling) are not counted.

The CPU's peak, measured in the same process with the same compiler: scalar, a loop of 16 independent
multiply-adds (``a = a * m + c``, 2 operations each, not fused: numba does not contract them, and its
straight-line vectorizer is off), and vector, an in-cache ``y = a * x + y`` over 4096 float64 (2
operations per element, bound by loads and stores) and a compute-bound vector loop (16 dependent
multiply-adds on each element of a 512-element array, vectorized over the elements, four independent
chains per vector lane).  The vector peak
is the faster of the two.
"""

from __future__ import annotations

import statistics
import time

import numba
import numpy as np

from cisim.model.layout import ACCESS, COALITION, RELIEF
from cisim.model.processes import month as M
from cisim.model.processes.access import barrier_relief
from cisim.model.processes.advocacy import influence, lower_root_causes
from cisim.model.processes.alignment import align_with_agenda
from cisim.model.processes.allocation import allocate
from cisim.model.processes.backbone import backbone_month
from cisim.model.processes.books import keep_books
from cisim.model.processes.budgets import budgets_and_meetings
from cisim.model.processes.capacity import capacity, idle_money
from cisim.model.processes.conditions import effective_conditions
from cisim.model.processes.fundraising import fundraising
from cisim.model.processes.membership import membership
from cisim.model.processes.outcome import completion, remember
from cisim.model.processes.outputs import record_outputs
from cisim.model.processes.pathway import enter_need, finish_and_give_up, start_services
from cisim.model.processes.perception import own_view, pressures
from cisim.model.processes.trust import coordination, pairs
from cisim.model.processes.voice import voice_weights
from cisim.model.scenario import load
from cisim.model.state import World, param_matrix

CHANGES = {"coalition.size": 40}
#: The world's arrays in ``step``'s order (``World._kernel``).
ARRAYS = ("P", "PD", "exists", "member", "sector", "home", "own", "gweight", "tolerance", "align", "appraisal", "cap",
          "mission", "alloc", "fresh", "served", "seen", "trust", "G", "path", "budget")


# -- the state every submodel reads: month 31's intermediates, one row per run --------------------------------

@numba.njit
def prepare(P, PD, exists, member, sector, home, own, gweight, align, cap, trust, G, path, budget, fail, cond,
            agenda, meet, service, mean_trust, degree, partners, n_partners, keep, tstats, q, asks, voice):
    R, N = member.shape
    for r in range(R):
        coalition = G[r, COALITION]
        members = 0.0
        for i in range(N):
            members += member[r, i]
        e_agenda, e_reinforce, e_measure, meetings, freq, convening, visibility = effective_conditions(P, G, r,
                                                                                                       coalition)
        c = cond[r]
        c[0] = e_agenda
        c[1] = e_reinforce
        c[2] = e_measure
        c[3] = meetings
        c[4] = freq
        c[5] = convening
        c[6] = visibility
        c[7] = members
        M.agenda_shares(PD, r, agenda[r])
        budgets_and_meetings(P, G, r, False, meetings, exists, member, own, gweight, budget, meet[r], service[r])
        pairs(P, r, exists, member, sector, home, trust, cap, fail, freq, convening, False, mean_trust[r], degree[r],
              partners[r], n_partners[r], keep[r], tstats[r])
        coordination(P, r, e_reinforce, member, align, degree[r], q[r])
        pressures(path, r, asks[r])
        voice_weights(P, PD, G, r, path, coalition, voice[r])


# -- one driver per submodel: every run, reps times, with month's arguments ---------------------------------

@numba.njit
def d_backbone(reps, P, G, cond, D):
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            s += backbone_month(P, G, r, cond[r, 7], D)
    return s


@numba.njit
def d_conditions(reps, P, G):
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            a, b, c, d, e, f, g = effective_conditions(P, G, r, G[r, COALITION])
            s += a + b + c + d + e + f + g
    return s


@numba.njit
def d_agenda(reps, PD, agenda):
    s = 0.0
    for _ in range(reps):
        for r in range(PD.shape[0]):
            M.agenda_shares(PD, r, agenda[r])
            s += agenda[r, 0]
    return s


@numba.njit
def d_budgets(reps, P, G, cond, exists, member, own, gweight, budget, meet, service):
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            a, b, c = budgets_and_meetings(P, G, r, False, cond[r, 3], exists, member, own, gweight, budget, meet[r],
                                           service[r])
            s += a + b + c
    return s


@numba.njit
def d_pairs(reps, P, cond, exists, member, sector, home, trust, cap, fail, mean_trust, degree, partners, n_partners,
            keep, tstats):
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            pairs(P, r, exists, member, sector, home, trust, cap, fail, cond[r, 4], cond[r, 5], True, mean_trust[r],
                  degree[r], partners[r], n_partners[r], keep[r], tstats[r])
            s += tstats[r, 0]
    return s


@numba.njit
def d_coordination(reps, P, cond, member, align, degree, q):
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            coordination(P, r, cond[r, 1], member, align, degree[r], q[r])
            s += q[r, 0]
    return s


@numba.njit
def d_alignment(reps, P, cond, member, mean_trust, align):
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            align_with_agenda(P, r, cond[r, 0], member, mean_trust[r], align)
            s += align[r, 0]
    return s


@numba.njit
def d_perception(reps, P, path, asks, exists, alloc, noise, seen):
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            pressures(path, r, asks[r])
            own_view(P, r, asks[r], exists, alloc, noise, seen)
            s += seen[r, 0, 0]
    return s


@numba.njit
def d_voice(reps, P, PD, G, path, voice):
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            voice_weights(P, PD, G, r, path, G[r, COALITION], voice[r])
            s += voice[r, 0]
    return s


@numba.njit
def d_allocation(reps, P, cond, path, asks, agenda, voice, exists, member, align, mission, cap, served, seen,
                 partners, n_partners, q, alloc, fresh):
    D = alloc.shape[2]
    score = np.empty(D)
    demand = np.empty(D)
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            allocate(P, r, cond[r, 2], cond[r, 1], path, asks[r], agenda[r], voice[r], exists, member, align, mission,
                     cap, served, seen, partners[r], n_partners[r], q[r], score, demand, alloc, fresh)
            s += alloc[r, 0, 0]
    return s


@numba.njit
def d_people_and_places(reps, P, PD, G, path, service, alloc, fresh, cap, q, served):
    D = alloc.shape[2]
    A, U, spend, cov = np.empty(D), np.empty(D), np.empty(D), np.empty(D)
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            a, b, c, d = M.people_and_places(P, PD, G, r, path, service[r], alloc, fresh, cap, q[r], served, A, U,
                                             spend, cov)
            s += a + b + c + d
    return s


@numba.njit
def d_finish(reps, P, PD, G, path):
    for _ in range(reps):
        for r in range(P.shape[0]):
            finish_and_give_up(P, PD, G, r, path)
    return G[0, 0]


@numba.njit
def d_enter(reps, P, PD, G, path):
    for _ in range(reps):
        for r in range(P.shape[0]):
            enter_need(P, PD, G, r, path)
    return G[0, 0]


@numba.njit
def d_capacity(reps, P, PD, path, service, alloc, fresh, cap, q, served):
    D = alloc.shape[2]
    A, U, spend = np.empty(D), np.empty(D), np.empty(D)
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            s += capacity(P, PD, r, path, service[r], alloc, fresh, cap, q[r], served, A, U, spend)
    return s


@numba.njit
def d_barrier(reps, P, PD, G, path):
    for _ in range(reps):
        for r in range(P.shape[0]):
            barrier_relief(P, PD, G, r, path)
    return G[0, 0]


@numba.njit
def d_start(reps, G, path):
    for _ in range(reps):
        for r in range(G.shape[0]):
            start_services(r, path, G[r, ACCESS])
    return path[0, 0, 0]


@numba.njit
def d_idle(reps, P, path):
    D = path.shape[2]
    A, U, spend, cov = np.ones(D), np.ones(D), np.ones(D), np.empty(D)
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            a, b, c = idle_money(P, r, path, A, U, spend, cov)
            s += a + b + c
    return s


@numba.njit
def d_outcome(reps, G):
    s = 0.0
    for _ in range(reps):
        for r in range(G.shape[0]):
            outcome, a, b = completion(G, r)
            remember(G, r, outcome, False)
            s += outcome + a + b
    return s


@numba.njit
def d_membership(reps, P, G, cond, exists, budget, degree, tolerance, appraisal, member, trust, draw):
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            s += membership(P, G, r, cond[r, 3], cond[r, 6], exists, budget, degree[r], tolerance, appraisal, member,
                            trust, draw)
    return s


@numba.njit
def d_advocacy(reps, P, G, budget, member, align):
    s = 0.0
    for _ in range(reps):
        for r in range(P.shape[0]):
            infl = influence(P, G, r, G[r, COALITION], budget, member, align)
            lower_root_causes(P, G, r, infl)
            s += infl
    return s


@numba.njit
def d_fundraising(reps, P, G, cond):
    for _ in range(reps):
        for r in range(P.shape[0]):
            fundraising(P, G, r, G[r, COALITION], cond[r, 6], 0.01)
    return G[0, 0]


@numba.njit
def d_books(reps, G, meet, service):
    for _ in range(reps):
        for r in range(G.shape[0]):
            keep_books(G, r, 1.0, service[r, 0], meet[r, 0], 2.0, 3.0)
    return G[0, 0]


@numba.njit
def d_outputs(reps, PD, G, path, exists, member, align, tstats, out, out_cov, out_drop):
    D = path.shape[2]
    cov = np.full(D, 0.5)
    for _ in range(reps):
        for r in range(G.shape[0]):
            record_outputs(PD, G, r, path, exists, member, align, cov, tstats[r], 0.7, 0.72, 0.6, 10.0, 1.0, 0.4,
                           0.2, 100.0, 1000.0, 50.0, 500.0, out, out_cov, out_drop)
    return out[0, 0]


# -- the model's operation count per run-month (see the module docstring for the rule) ------------------------

OPS = {
    "backbone": ("108", lambda N, D, E, B, Dr: 108.0),
    "conditions": ("28", lambda N, D, E, B, Dr: 28.0),
    "agenda": ("4D", lambda N, D, E, B, Dr: 4.0 * D),
    "budgets": ("10N + 9", lambda N, D, E, B, Dr: 10.0 * N + 9),
    "pairs": ("19N^2 + 9NB + 11N + 5E + 10",
              lambda N, D, E, B, Dr: 19.0 * N * N + 9.0 * N * B + 11.0 * N + 5.0 * E + 10),
    "coordination": ("8N", lambda N, D, E, B, Dr: 8.0 * N),
    "alignment": ("7N", lambda N, D, E, B, Dr: 7.0 * N),
    "perception": ("11ND + N + 4D + 2", lambda N, D, E, B, Dr: 11.0 * N * D + N + 4.0 * D + 2),
    "voice": ("11D + 5", lambda N, D, E, B, Dr: 11.0 * D + 5),
    "allocation": ("51ND + 7N + DE + 3D", lambda N, D, E, B, Dr: 51.0 * N * D + 7.0 * N + D * E + 3.0 * D),
    "people_and_places": ("sum of the six below", None),
    "  finish_and_give_up": ("4D^2 + 10D + 8", lambda N, D, E, B, Dr: 4.0 * D * D + 10.0 * D + 8),
    "  enter_need": ("28D + 50", lambda N, D, E, B, Dr: 28.0 * D + 50),
    "  capacity": ("13ND + 2N + 15D", lambda N, D, E, B, Dr: 13.0 * N * D + 2.0 * N + 15.0 * D),
    "  barrier_relief": ("D + 9Dr + 3", lambda N, D, E, B, Dr: D + 9.0 * Dr + 3),
    "  start_services": ("15D", lambda N, D, E, B, Dr: 15.0 * D),
    "  idle_money": ("15D", lambda N, D, E, B, Dr: 15.0 * D),
    "outcome": ("20", lambda N, D, E, B, Dr: 20.0),
    "membership": ("16N + 15", lambda N, D, E, B, Dr: 16.0 * N + 15),
    "advocacy": ("4N + 18", lambda N, D, E, B, Dr: 4.0 * N + 18),
    "fundraising": ("6", lambda N, D, E, B, Dr: 6.0),
    "books": ("5", lambda N, D, E, B, Dr: 5.0),
    "outputs": ("4N + 14D + 35", lambda N, D, E, B, Dr: 4.0 * N + 14.0 * D + 35),
    "month (glue)": ("N + 10", lambda N, D, E, B, Dr: N + 10.0),
}
PARTS = ("  finish_and_give_up", "  enter_need", "  capacity", "  barrier_relief", "  start_services", "  idle_money")


def op_counts(N: int, D: int, E: float, B: float, Dr: int) -> dict[str, float]:
    ops = {k: f(N, D, E, B, Dr) for k, (_, f) in OPS.items() if f is not None}
    ops["people_and_places"] = sum(ops[k] for k in PARTS)
    return ops


# -- the CPU's peak ------------------------------------------------------------------------------------------

@numba.njit
def scalar_fma(n, m, c):
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    b0 = b1 = b2 = b3 = b4 = b5 = b6 = b7 = 0.5
    for _ in range(n):
        a0 = a0 * m + c
        a1 = a1 * m + c
        a2 = a2 * m + c
        a3 = a3 * m + c
        a4 = a4 * m + c
        a5 = a5 * m + c
        a6 = a6 * m + c
        a7 = a7 * m + c
        b0 = b0 * m + c
        b1 = b1 * m + c
        b2 = b2 * m + c
        b3 = b3 * m + c
        b4 = b4 * m + c
        b5 = b5 * m + c
        b6 = b6 * m + c
        b7 = b7 * m + c
    return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + b0 + b1 + b2 + b3 + b4 + b5 + b6 + b7


@numba.njit
def vector_axpy(reps, a, x, y):
    for _ in range(reps):
        for i in range(x.shape[0]):
            y[i] = a * x[i] + y[i]
    return y[0]


@numba.njit
def vector_poly(reps, m, c, x, y):
    q = x.shape[0] // 4
    for _ in range(reps):
        for i in range(q):  # vectorized over i, four independent chains per vector lane
            t0 = x[i]
            t1 = x[i + q]
            t2 = x[i + 2 * q]
            t3 = x[i + 3 * q]
            for _k in range(16):
                t0 = t0 * m + c
                t1 = t1 * m + c
                t2 = t2 * m + c
                t3 = t3 * m + c
            y[i] = t0
            y[i + q] = t1
            y[i + 2 * q] = t2
            y[i + 3 * q] = t3
    return y[0]


def _best_rate(fn, ops: float, repeats: int = 7) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return ops / min(times)


def peaks() -> dict[str, float]:
    """Float64 operations per second on one thread: scalar, and vector (axpy in cache, compute-bound)."""
    n = 20_000_000
    scalar_fma(10, 0.999999, 1e-6)
    scalar = _best_rate(lambda: scalar_fma(n, 0.999999, 1e-6), 32.0 * n)
    x = np.random.default_rng(0).random(4096)
    y = np.zeros(4096)
    reps = 20_000
    vector_axpy(1, 1e-9, x, y)
    axpy = _best_rate(lambda: vector_axpy(reps, 1e-9, x, y), 2.0 * reps * x.size)
    xs, ys = x[:512].copy(), np.zeros(512)
    preps = 20_000
    vector_poly(1, 0.999999, 1e-6, xs, ys)
    poly = _best_rate(lambda: vector_poly(preps, 0.999999, 1e-6, xs, ys), 32.0 * preps * xs.size)
    return {"scalar_ops_per_second": scalar, "vector_axpy_ops_per_second": axpy,
            "vector_compute_ops_per_second": poly, "vector_ops_per_second": max(axpy, poly)}


# -- timing --------------------------------------------------------------------------------------------------

class _WarmWorld(World):
    """A ``World`` that times its month-0 kernel call (the 48-month warm-up)."""

    warm: float = 0.0

    def _kernel(self, start: bool = False) -> None:
        t = time.perf_counter()
        World._kernel(self, start)
        if start:
            self.warm = time.perf_counter() - t


def build(runs: int, months: int = 30, world_class=World) -> World:
    scenario = load("collective")
    P, PD = param_matrix(scenario, [CHANGES] * runs)
    world = world_class(scenario, P, PD, [np.random.default_rng(s) for s in range(runs)])
    for _ in range(months):
        world.step()
    return world


def profile(runs: int = 400, repeats: int = 7, block: float = 0.01, warm_repeats: int = 3) -> dict:
    """Per-submodel time per run-month (us), their shares of the measured ``step``, the warm-up's share of a
    run's kernel time, the operation counts and how near the CPU's peak each comes."""
    w = build(runs)
    R, N, D = w.cap.shape
    k = w.month % w.block  # month 31's random numbers
    noise, fail, draw = w._noise[:, k], w._fail[:, k], w._draw[:, k]
    S = {name: getattr(w, name) for name in ARRAYS}
    S.update(out=w.out, out_cov=w.out_cov, out_drop=w.out_drop, noise=noise, fail=fail, draw=draw)
    X = {"cond": np.zeros((R, 8)), "agenda": np.zeros((R, D)), "meet": np.zeros((R, N)), "service": np.zeros((R, N)),
         "mean_trust": np.zeros((R, N)), "degree": np.zeros((R, N)), "partners": np.zeros((R, N, N), np.int64),
         "n_partners": np.zeros((R, N), np.int64), "keep": np.zeros((R, N)), "tstats": np.zeros((R, 3)),
         "q": np.zeros((R, N)), "asks": np.zeros((R, D)), "voice": np.zeros((R, D))}
    prepare(S["P"], S["PD"], S["exists"], S["member"], S["sector"], S["home"], S["own"], S["gweight"], S["align"],
            S["cap"], S["trust"], S["G"], S["path"], S["budget"], fail, *X.values())
    S.update(X)
    snapshot = {name: a.copy() for name, a in S.items()}

    def restore():
        for name, a in S.items():
            np.copyto(a, snapshot[name])

    def args(*names):
        return tuple(S[n] for n in names)

    drivers = {
        "backbone": (d_backbone, (*args("P", "G", "cond"), D)),
        "conditions": (d_conditions, args("P", "G")),
        "agenda": (d_agenda, args("PD", "agenda")),
        "budgets": (d_budgets, args("P", "G", "cond", "exists", "member", "own", "gweight", "budget", "meet",
                                    "service")),
        "pairs": (d_pairs, args("P", "cond", "exists", "member", "sector", "home", "trust", "cap", "fail",
                                "mean_trust", "degree", "partners", "n_partners", "keep", "tstats")),
        "coordination": (d_coordination, args("P", "cond", "member", "align", "degree", "q")),
        "alignment": (d_alignment, args("P", "cond", "member", "mean_trust", "align")),
        "perception": (d_perception, args("P", "path", "asks", "exists", "alloc", "noise", "seen")),
        "voice": (d_voice, args("P", "PD", "G", "path", "voice")),
        "allocation": (d_allocation, args("P", "cond", "path", "asks", "agenda", "voice", "exists", "member", "align",
                                          "mission", "cap", "served", "seen", "partners", "n_partners", "q", "alloc",
                                          "fresh")),
        "people_and_places": (d_people_and_places, args("P", "PD", "G", "path", "service", "alloc", "fresh", "cap",
                                                        "q", "served")),
        "  finish_and_give_up": (d_finish, args("P", "PD", "G", "path")),
        "  enter_need": (d_enter, args("P", "PD", "G", "path")),
        "  capacity": (d_capacity, args("P", "PD", "path", "service", "alloc", "fresh", "cap", "q", "served")),
        "  barrier_relief": (d_barrier, args("P", "PD", "G", "path")),
        "  start_services": (d_start, args("G", "path")),
        "  idle_money": (d_idle, args("P", "path")),
        "outcome": (d_outcome, args("G")),
        "membership": (d_membership, args("P", "G", "cond", "exists", "budget", "degree", "tolerance", "appraisal",
                                          "member", "trust", "draw")),
        "advocacy": (d_advocacy, args("P", "G", "budget", "member", "align")),
        "fundraising": (d_fundraising, args("P", "G", "cond")),
        "books": (d_books, args("G", "meet", "service")),
        "outputs": (d_outputs, args("PD", "G", "path", "exists", "member", "align", "tstats", "out", "out_cov",
                                    "out_drop")),
    }

    def timed(call, reps):
        times = []
        for _ in range(repeats):
            restore()
            t = time.perf_counter()
            call(reps)
            times.append(time.perf_counter() - t)
        restore()
        return statistics.median(times) / (reps * R)

    def calibrated(call, fixed=None):
        call(1)  # compile
        restore()
        if fixed is not None:
            return timed(call, fixed)
        t = time.perf_counter()
        call(1)
        once = max(time.perf_counter() - t, 1e-7)
        return timed(call, max(1, min(100_000, int(block / once))))

    us = {}
    for name, (fn, a) in drivers.items():
        us[name] = 1e6 * calibrated(lambda reps, fn=fn, a=a: fn(reps, *a), fixed=1 if name == "membership" else None)

    step_args = (w.month + 1, *args(*ARRAYS), noise, fail, draw, w.out, w.out_cov, w.out_drop, False)
    us_step = 1e6 * calibrated(lambda reps: [M.step(*step_args) for _ in range(reps)], fixed=1)

    warm = []
    for _ in range(warm_repeats):
        warm.append(build(runs, 0, _WarmWorld).warm / runs)
    us_warm = 1e6 * statistics.median(warm)
    months = load("collective").months

    # the state's numbers the operation counts depend on
    members = S["member"] > 0
    E = float(X["n_partners"].sum(axis=1).mean())
    sec = S["sector"]
    changes = (sec[:, 1:] != sec[:, :-1]) | (members[:, 1:] != members[:, :-1])
    B = float(1 + changes.sum(axis=1).mean())
    Dr = int((S["PD"][0, :, RELIEF] > 0).sum())
    ops = op_counts(N, D, E, B, Dr)
    top = [k for k in us if not k.startswith("  ")]
    ops_month = sum(ops[k] for k in top) + ops["month (glue)"]
    peak = peaks()
    rows = {}
    for name in us:
        t = us[name] * 1e-6
        rows[name] = {"us_per_run_month": us[name], "share_of_step": us[name] / us_step, "ops": ops[name],
                      "formula": OPS[name][0],
                      "scalar_peak_share": ops[name] / t / peak["scalar_ops_per_second"],
                      "vector_peak_share": ops[name] / t / peak["vector_ops_per_second"]}
    covered = sum(us[k] for k in top)
    return {
        "runs": runs, "N": N, "D": D, "E_trusted_partners": E, "B_row_changes": B, "Dr_relief_steps": Dr,
        "submodels": rows,
        "step_us_per_run_month": us_step,
        "other_share": 1 - covered / us_step,
        "warmup_us_per_run": us_warm,
        "warmup_share_of_run_kernel": us_warm / (us_warm + months * us_step),
        "ops_per_run_month": ops_month,
        **peak,
        "us_at_scalar_peak": 1e6 * ops_month / peak["scalar_ops_per_second"],
        "us_at_vector_peak": 1e6 * ops_month / peak["vector_ops_per_second"],
        "step_scalar_peak_share": ops_month / (us_step * 1e-6) / peak["scalar_ops_per_second"],
        "step_vector_peak_share": ops_month / (us_step * 1e-6) / peak["vector_ops_per_second"],
    }


def report(p: dict) -> list[str]:
    lines = [f"share of the kernel's time per submodel (state: {p['runs']} runs at month 30, N={p['N']}, "
             f"D={p['D']}, E={p['E_trusted_partners']:.0f} trusted partners, B={p['B_row_changes']:.1f}, "
             f"Dr={p['Dr_relief_steps']}):",
             f"  {'submodel':22s} {'us/run-month':>12s} {'of step':>8s} {'ops':>7s}  {'formula':30s} "
             f"{'scalar pk':>9s} {'vector pk':>9s}"]
    for name, row in p["submodels"].items():
        lines.append(f"  {name:22s} {row['us_per_run_month']:12.3f} {100 * row['share_of_step']:7.1f}% "
                     f"{row['ops']:7.0f}  {row['formula']:30s} {100 * row['scalar_peak_share']:8.1f}% "
                     f"{100 * row['vector_peak_share']:8.1f}%")
    lines.append(f"  {'other / call overhead':22s} {p['other_share'] * p['step_us_per_run_month']:12.3f} "
                 f"{100 * p['other_share']:7.1f}%")
    lines.append(f"  {'step (measured)':22s} {p['step_us_per_run_month']:12.3f} {100.0:7.1f}% "
                 f"{p['ops_per_run_month']:7.0f}  {'all of the above + N + 10':30s} "
                 f"{100 * p['step_scalar_peak_share']:8.1f}% {100 * p['step_vector_peak_share']:8.1f}%")
    lines.append(f"  48-month warm-up: {p['warmup_us_per_run']:.1f} us per run, "
                 f"{100 * p['warmup_share_of_run_kernel']:.1f}% of a run's kernel time (warm-up + 60 months)")
    lines.append(f"  kernel per run-month with the warm-up spread over 60 months: "
                 f"{p['step_us_per_run_month'] + p['warmup_us_per_run'] / 60:.2f} us")
    lines.append(f"CPU peak, one thread, float64: scalar {p['scalar_ops_per_second'] / 1e9:.2f} Gop/s; vector "
                 f"{p['vector_ops_per_second'] / 1e9:.2f} Gop/s (axpy in cache "
                 f"{p['vector_axpy_ops_per_second'] / 1e9:.2f}, compute-bound "
                 f"{p['vector_compute_ops_per_second'] / 1e9:.2f})")
    lines.append(f"  the model's own work: {p['ops_per_run_month']:.0f} operations per run-month, "
                 f"{p['us_at_scalar_peak']:.2f} us at the scalar peak, {p['us_at_vector_peak']:.2f} us at the vector "
                 f"peak; the kernel takes {p['step_us_per_run_month']:.2f} us: "
                 f"{100 * p['step_scalar_peak_share']:.1f}% of scalar peak, "
                 f"{100 * p['step_vector_peak_share']:.1f}% of vector peak")
    return lines


if __name__ == "__main__":
    print("\n".join(report(profile())))
