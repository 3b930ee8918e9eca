"""The state of one or many runs in numpy arrays with a leading run axis.

``World`` owns the arrays, draws each run's randomness from that run's own
generator and steps all runs through the compiled processes (``cisim.model.processes``).
The Mesa model holds a one-run ``World``; the batch runner holds many.  Where each number
lives in the arrays is ``cisim.model.layout``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from cisim.model import layout as L
from cisim.model.processes.membership import leave
from cisim.model.processes.month import step
from cisim.model.processes.setup import setup_runs
from cisim.model.scenario import Scenario
from cisim.model.schema import COLUMN, DOMAIN_COLUMN, DOMAIN_FIELDS, FIELDS, N_DOMAIN_PARAMS, N_PARAMS


def param_matrix(scenario: Scenario, rows: Sequence[dict] | int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Per-run parameter matrices: ``P`` (runs, params) and ``PD`` (runs, domains, domain params).

    ``rows`` is a run count (all runs equal to the scenario) or one dict of dotted-path
    overrides per run (``{"backbone.budget_share": 0.1, "domains.transport.extra_funding": 5e3}``).
    """
    if isinstance(rows, int):
        rows = [{}] * rows
    base = np.array([scenario.values[f.path] for f in FIELDS], dtype=float)
    dnames = scenario.domain_names
    dbase = np.array([[scenario.domains[d][f.path] for f in DOMAIN_FIELDS] for d in dnames], dtype=float)
    P = np.tile(base, (len(rows), 1))
    PD = np.tile(dbase, (len(rows), 1, 1))
    for r, row in enumerate(rows):
        for path, value in row.items():
            if path in COLUMN:
                P[r, COLUMN[path]] = value
            else:
                parts = path.split(".")
                if len(parts) != 3 or parts[0] != "domains" or parts[1] not in dnames or parts[2] not in DOMAIN_COLUMN:
                    raise KeyError(path)
                PD[r, dnames.index(parts[1]), DOMAIN_COLUMN[parts[2]]] = value
    assert P.shape[1] == N_PARAMS and PD.shape[2] == N_DOMAIN_PARAMS
    return P, PD


_C = COLUMN
#: The books (cumulative money per run) and their columns of the scalar state.
BOOKS = {"inflow": L.CUM_INFLOW, "services": L.CUM_SERVICES, "meetings": L.CUM_MEETINGS,
         "backbone": L.CUM_BACKBONE, "unspent": L.BB_RESERVE}


def _sector_counts(n: int, shares: np.ndarray) -> np.ndarray:
    """Organizations per sector by largest remainder: deterministic, sums to n."""
    raw = n * shares / shares.sum()
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: n - counts.sum()]] += 1
    return counts


class World:
    """State arrays of R runs of one scenario structure, and the step that advances them."""

    def __init__(self, scenario: Scenario, P: np.ndarray, PD: np.ndarray,
                 rngs: Sequence[np.random.Generator], block: int | None = None):
        self.scenario = scenario
        self.P = np.ascontiguousarray(P, dtype=float)
        self.PD = np.ascontiguousarray(PD, dtype=float)
        self.rngs = list(rngs)
        R = len(self.rngs)
        sizes = self.P[:, COLUMN["coalition.size"]].astype(int)
        self.sizes = sizes
        N = int(sizes.max())
        D = len(scenario.domains)
        self.block = block or scenario.months
        self.month = 0

        self.exists = np.zeros((R, N))
        self.member = np.zeros((R, N))
        self.sector = np.zeros((R, N), dtype=np.int64)
        self.home = np.zeros((R, N), dtype=np.int64)
        self.own = np.zeros((R, N))
        self.gweight = np.zeros((R, N))
        self.tolerance = np.zeros((R, N))
        self.align = np.zeros((R, N))
        self.appraisal = np.zeros((R, N))  # each organization's running appraisal of membership
        self.cap = np.zeros((R, N, D))
        self.mission = np.zeros((R, N, D))
        self.alloc = np.zeros((R, N, D))
        self.fresh = np.zeros((R, N, D))  # share of service money just moved into each step
        self.served = np.zeros((R, N, D))  # places each organization provides at each step (people)
        self.seen = np.zeros((R, N, D))  # each organization's own view of the waiting at each step
        self.trust = np.zeros((R, N, N))
        self.G = np.zeros((R, L.N_GLOBAL))
        self.path = np.zeros((R, L.N_PATH, D))  # the people on the pathway (see ``layout``)
        self.budget = np.zeros((R, N))  # this month's budget per organization ($)
        # this month's outputs, coverage per step and drop-outs per step, side by side in one row per run
        self.record = np.zeros((R, L.N_OUTPUTS + 2 * D))
        self.out = self.record[:, : L.N_OUTPUTS]
        self.out_cov = self.record[:, L.N_OUTPUTS:L.N_OUTPUTS + D]
        self.out_drop = self.record[:, L.N_OUTPUTS + D:]
        # monthly random numbers, drawn a block of months at a time (single precision is plenty for noise)
        self._noise = np.zeros((R, self.block, N, D), dtype=np.float32)
        self._fail = np.ones((R, self.block, N), dtype=np.float32)
        self._draw = np.ones((R, self.block, N), dtype=np.float32)

        sector_names = scenario.sector_names
        shares = np.array([scenario.sectors[s]["share"] for s in sector_names])
        index = {d: k for k, d in enumerate(scenario.domains)}
        homes = [[index[h] for h in scenario.sectors[s]["home_domains"]] for s in sector_names]
        self._home_count = np.array([len(h) for h in homes], dtype=np.int64)
        self._home_table = np.zeros((len(homes), self._home_count.max()), dtype=np.int64)
        for s, h in enumerate(homes):
            self._home_table[s, : len(h)] = h
        # each organization's sector, by coalition size (the same for every run of that size)
        self._sectors = {n: np.repeat(np.arange(len(shares)), _sector_counts(n, shares)) for n in set(sizes.tolist())}
        self._init_runs()
        self._draw_block()
        # month 0: the status quo before the initiative
        self._kernel(start=True)

    def _init_runs(self) -> None:
        """Draw every run's organizations, each run from its own generator (its draws never depend on other
        runs), then build them all in one compiled call."""
        R, N, D = self.cap.shape
        draws = {"choice": np.zeros((R, N)), "joins": np.zeros((R, N)), "budget": np.zeros((R, N)),
                 "jitter": np.zeros((R, N, D)), "trust_noise": np.zeros((R, N, N)), "tolerance": np.zeros((R, N))}
        for r, rng in enumerate(self.rngs):
            self._draw_run(r, rng, int(self.sizes[r]), draws)
        sector_of = np.zeros((R, N), dtype=np.int64)
        for r in range(R):
            sector_of[r, : self.sizes[r]] = self._sectors[int(self.sizes[r])]
        setup_runs(self.sizes.astype(np.int64), self.P, self.PD, sector_of, self._home_table, self._home_count,
                   draws["choice"], draws["joins"], draws["budget"], draws["jitter"], draws["trust_noise"],
                   draws["tolerance"], self.exists, self.member, self.sector, self.home, self.own, self.gweight,
                   self.tolerance, self.cap, self.mission, self.alloc, self.trust, self.G)

    def _draw_run(self, r: int, rng: np.random.Generator, n: int, draws: dict[str, np.ndarray]) -> None:
        """One run's draws for its organizations, in a fixed order, into row r of ``draws``."""
        p = self.P[r]
        D = self.cap.shape[2]
        draws["choice"][r, :n] = rng.random(n)
        draws["joins"][r, :n] = rng.random(n)
        sd = p[_C["coalition.budget_spread"]]
        mean = p[_C["coalition.budget_mean"]]
        draws["budget"][r, :n] = mean * rng.lognormal(-0.5 * sd * sd, sd, n) if sd > 0 else np.full(n, mean)
        draws["jitter"][r, :n] = rng.uniform(0.8, 1.2, (n, D))
        draws["trust_noise"][r, :n, :n] = rng.standard_normal((n, n))
        draws["tolerance"][r, :n] = rng.uniform(0.0, p[_C["behaviour.tolerance"]], n)

    def _draw_block(self) -> None:
        """Draw the next block of monthly random numbers, each run from its own generator."""
        D = self.cap.shape[2]
        N = self.cap.shape[1]
        for r, rng in enumerate(self.rngs):
            n = self.sizes[r]
            if n == N:  # straight into the run's rows, without a copy: the same numbers
                rng.random(dtype=np.float32, out=self._noise[r])
                rng.random(dtype=np.float32, out=self._fail[r])
                rng.random(dtype=np.float32, out=self._draw[r])
            else:
                self._noise[r, :, :n] = rng.random((self.block, n, D), dtype=np.float32)
                self._fail[r, :, :n] = rng.random((self.block, n), dtype=np.float32)
                self._draw[r, :, :n] = rng.random((self.block, n), dtype=np.float32)

    def _kernel(self, start: bool = False) -> None:
        k = (self.month - 1) % self.block
        step(self.month, self.P, self.PD, self.exists, self.member, self.sector, self.home, self.own, self.gweight,
             self.tolerance, self.align, self.appraisal, self.cap, self.mission, self.alloc, self.fresh, self.served,
             self.seen, self.trust, self.G, self.path, self.budget, self._noise[:, k], self._fail[:, k],
             self._draw[:, k], self.out, self.out_cov, self.out_drop, start)

    def step(self) -> None:
        """Advance all runs one month: scheduled events, then the processes."""
        self.month += 1
        if self.month > 1 and (self.month - 1) % self.block == 0:
            self._draw_block()
        # this month's joins and departures, counted from here: an event's leavers count too
        self.G[:, L.JOINED] = 0.0
        self.G[:, L.LEFT] = 0.0
        for event in self.scenario.events:
            if event.month == self.month:
                self.apply_event(event.kind, event.value)
        self._kernel()

    def apply_event(self, kind: str, value: float = 0.0) -> None:
        """An event from the scenario (or a dashboard button), in every run."""
        if kind == "backbone_funding_ends":
            self.G[:, L.BB_FUNDED] = 0.0
        elif kind == "funding_shock":
            self.G[:, L.FUND_FACTOR] *= value
        elif kind == "partner_leaves":
            for r in range(len(self.rngs)):
                members = np.flatnonzero(self.member[r])
                for i in members[np.argsort(-self.gweight[r, members], kind="stable")][: int(value)]:
                    leave(self.P, r, self.member, self.trust, int(i))
                    self.G[r, L.LEFT] += 1.0
        else:
            raise ValueError(f"unknown event kind {kind!r}")

    def remove_organization(self, r: int, i: int) -> None:
        """Take organization ``i`` out of run ``r``: like a row past the run's size, it no longer exists, so
        from now on it has no budget (its grant goes unpaid), serves nobody, has no ties and counts in no output."""
        self.exists[r, i] = 0.0
        self.member[r, i] = 0.0
        self.budget[r, i] = 0.0

    # -- books, for the money-conservation check
    def people(self) -> dict[str, np.ndarray]:
        """People per run, for the conservation check: everyone who entered need is waiting, in service,
        helped (and not relapsed) or has dropped out."""
        return {"entered": self.G[:, L.ENTERED].copy(),
                "waiting": self.path[:, L.WAIT:L.WAIT + 2].sum(axis=(1, 2)),
                "in_service": self.path[:, L.SERVE:L.SERVE + 2].sum(axis=(1, 2)),
                "helped": self.G[:, L.HELPED:L.HELPED + 2].sum(axis=1),
                "dropped_out": self.G[:, L.GONE].copy()}

    def books(self) -> dict[str, np.ndarray]:
        """Cumulative money per run: what came in and where it went."""
        return {k: self.G[:, c].copy() for k, c in BOOKS.items()}
