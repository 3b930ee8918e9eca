"""The statistics that real coalitions' figures are compared with, computed from runs of parameter sets.

Each statistic reads the monthly outputs of a parameter set's replicates in up to three roles: the
``treatment`` (a collective scenario), its ``comparison`` (by default the treatment's isolated form, with
the same seeds, so replicate k of both starts from the same status quo) and ``withdrawn`` (a scenario whose
backbone loses its funding).  ``docs/evidence.md`` says which evidence row each statistic stands for.

The module needs numpy and the batch runner only, so that a calibration's worker processes start fast.
``EvidenceSimulator`` is what a calibration's workers call: parameter sets in, one row of statistics out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from cisim.experiments.batch import simulate
from cisim.experiments.worker import ChunkResult, retrying
from cisim.model import layout as L
from cisim.model.scenario import Scenario
from cisim.model.schema import BY_PATH
from cisim.model.state import param_matrix

ROLES = ("treatment", "comparison", "withdrawn")
Runs = dict[str, np.ndarray]  # role -> outputs (sets, replicates, months + 1, outputs)


def _outcome(runs: Runs, role: str) -> np.ndarray:
    return runs[role][..., L.O_OUTCOME]


def relative_improvement(runs: Runs, month: int) -> np.ndarray:
    """Mean outcome of the treatment over the comparison's at ``month``, minus 1 (E1, E2, E3)."""
    t = _outcome(runs, "treatment")[:, :, month].mean(axis=1)
    c = _outcome(runs, "comparison")[:, :, month].mean(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(c > 0, t / c - 1.0, np.nan)


def gain(runs: Runs, month: int) -> np.ndarray:
    """Mean paired difference of the outcome, treatment minus comparison, at ``month`` (a share, 0.01 a point)."""
    return (_outcome(runs, "treatment")[:, :, month] - _outcome(runs, "comparison")[:, :, month]).mean(axis=1)


def own_gain_per_year(runs: Runs, start: int = 0, end: int = 60, role: str = "treatment") -> np.ndarray:
    """The scenario's own gain in outcome per year from ``start`` to ``end`` (E5), with no comparison."""
    o = _outcome(runs, role)
    return (o[:, :, end] - o[:, :, start]).mean(axis=1) / ((end - start) / 12)


def first_month_above(runs: Runs, above: float = 0.02) -> np.ndarray:
    """The first month whose mean paired difference (treatment minus comparison) exceeds ``above`` (E4); one
    past the horizon if none does.  A threshold in points, not in standard errors, so that it does not move
    with the number of replicates."""
    diff = (_outcome(runs, "treatment") - _outcome(runs, "comparison")).mean(axis=1)[:, 1:]
    hit = diff > above
    return np.where(hit.any(axis=1), hit.argmax(axis=1) + 1, diff.shape[1] + 1).astype(float)


def turnover(runs: Runs, first_year: int = 2, last_year: int = 5, role: str = "treatment") -> np.ndarray:
    """Yearly member turnover over years ``first_year`` to ``last_year`` (S4): members who left in a year over
    the year's mean active members, pooled over the years and the replicates.  A year in which the coalition
    dissolves is left out: its members did not leave a coalition that goes on, which is what S4 measured."""
    o = runs[role]
    n, R = o.shape[:2]
    years = last_year - first_year + 1
    lo, hi = 12 * (first_year - 1), 12 * last_year
    left = o[:, :, 1:, L.O_LEFT][:, :, lo:hi].reshape(n, R, years, 12).sum(axis=3)
    active = o[:, :, 1:, L.O_ACTIVE][:, :, lo:hi].reshape(n, R, years, 12).mean(axis=3)
    goes_on = o[:, :, 1:, L.O_ALIVE][:, :, lo:hi].reshape(n, R, years, 12)[..., -1] > 0
    gone = np.where(goes_on, left, 0.0).sum(axis=(1, 2))
    present = np.where(goes_on, active, 0.0).sum(axis=(1, 2))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(present > 0, gone / present, np.nan)


def survival(runs: Runs, month: int, role: str = "withdrawn") -> np.ndarray:
    """Share of replicates whose coalition still meets at ``month`` (S1)."""
    return (runs[role][:, :, month, L.O_ALIVE] > 0).mean(axis=1)


def dissolution_rate(runs: Runs, start: int, years: int, role: str = "withdrawn") -> np.ndarray:
    """Yearly share of coalitions dissolving over ``years`` years from month ``start`` (S2): dissolutions over
    coalitions alive at the start of each year, pooled over the years and the replicates."""
    alive = runs[role][..., L.O_ALIVE] > 0
    at_risk = ended = 0
    for y in range(years):
        a, b = start + 12 * y, start + 12 * (y + 1)
        at_risk = at_risk + alive[:, :, a].sum(axis=1)
        ended = ended + (alive[:, :, a] & ~alive[:, :, b]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(at_risk > 0, ended / np.maximum(at_risk, 1), np.nan)


@dataclass(frozen=True)
class Kind:
    """A statistic: its function, the roles it reads, its arguments (with defaults) and which of them are
    months (they must lie within the horizon)."""

    fn: Callable[..., np.ndarray]
    roles: tuple[str, ...]
    args: dict[str, type]
    defaults: dict[str, object]
    months: Callable[[dict], int]  # the last month it reads
    doc: str


KINDS: dict[str, Kind] = {
    "relative_improvement": Kind(relative_improvement, ("treatment", "comparison"), {"month": int}, {},
                                 lambda a: a["month"], relative_improvement.__doc__.splitlines()[0]),
    "gain": Kind(gain, ("treatment", "comparison"), {"month": int}, {}, lambda a: a["month"],
                 gain.__doc__.splitlines()[0]),
    "own_gain_per_year": Kind(own_gain_per_year, ("treatment",), {"start": int, "end": int, "role": str},
                              {"start": 0, "end": 60, "role": "treatment"}, lambda a: a["end"],
                              own_gain_per_year.__doc__.splitlines()[0]),
    "first_month_above": Kind(first_month_above, ("treatment", "comparison"), {"above": float}, {"above": 0.02},
                              lambda a: 1, first_month_above.__doc__.splitlines()[0]),
    "turnover": Kind(turnover, ("treatment",), {"first_year": int, "last_year": int, "role": str},
                     {"first_year": 2, "last_year": 5, "role": "treatment"}, lambda a: 12 * a["last_year"],
                     turnover.__doc__.splitlines()[0]),
    "survival": Kind(survival, ("withdrawn",), {"month": int, "role": str}, {"role": "withdrawn"},
                     lambda a: a["month"], survival.__doc__.splitlines()[0]),
    "dissolution_rate": Kind(dissolution_rate, ("withdrawn",), {"start": int, "years": int, "role": str},
                             {"role": "withdrawn"}, lambda a: a["start"] + 12 * a["years"],
                             dissolution_rate.__doc__.splitlines()[0]),
}


def roles_of(kind: str, args: dict) -> tuple[str, ...]:
    """The roles a statistic reads (a ``role`` argument replaces the default one)."""
    k = KINDS[kind]
    return (args["role"],) if "role" in args else k.roles


@dataclass(frozen=True)
class StatSpec:
    """One statistic to compute: its name (the target's), kind and arguments (defaults filled in)."""

    name: str
    kind: str
    args: tuple[tuple[str, object], ...]

    def compute(self, runs: Runs) -> np.ndarray:
        return KINDS[self.kind].fn(runs, **dict(self.args))


def replicate_seeds(base: np.ndarray, replicates: int) -> np.ndarray:
    """Seeds (sets, replicates) of each parameter set's replicates, from its base seed alone."""
    return np.array([np.random.SeedSequence(int(b)).generate_state(replicates, np.uint64) >> np.uint64(1)
                     for b in base], dtype=np.int64).reshape(len(base), replicates)


@dataclass(frozen=True)
class EvidenceSimulator:
    """Runs each parameter set's replicates in every role its statistics need and returns the statistics.

    ``scenarios`` maps each role to its scenario (with the horizon already set); every replicate of a set
    uses the same seeds in every role.  Picklable, so that spawned and Dask workers can run it.
    """

    scenarios: tuple[tuple[str, Scenario], ...]
    parameters: tuple[str, ...]
    stats: tuple[StatSpec, ...]
    replicates: int

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stats)

    @property
    def runs_per_set(self) -> int:
        return self.replicates * len(self.scenarios)

    @property
    def months(self) -> int:
        return max(sc.months for _, sc in self.scenarios)

    def simulate(self, values: np.ndarray, base_seeds: np.ndarray) -> np.ndarray:
        """Statistics (sets, stats) of parameter sets ``values`` (sets, parameters) with base seeds (sets,)."""
        n, R = len(base_seeds), self.replicates
        seeds = replicate_seeds(base_seeds, R).ravel()
        ints = [BY_PATH[p].integer for p in self.parameters]
        rows = []
        for v in values:
            row = {p: (int(round(x)) if i else float(x)) for p, x, i in zip(self.parameters, v, ints)}
            rows.extend([row] * R)
        runs: Runs = {}
        for role, sc in self.scenarios:
            P, PD = param_matrix(sc, rows)
            out, _, _ = simulate(sc, P, PD, seeds)
            runs[role] = out.reshape(n, R, *out.shape[1:])
        return np.column_stack([s.compute(runs) for s in self.stats]) if self.stats else np.empty((n, 0))


def run_sets(k: int, simulator, values: np.ndarray, base_seeds: np.ndarray) -> ChunkResult:
    """One chunk of a calibration: the statistics of parameter sets ``values`` (a set that fails gets NaN
    statistics and its error, as a sweep's run does: ``worker.retrying``)."""
    return retrying(k, lambda rows: simulator.simulate(values[rows], base_seeds[rows]), len(base_seeds),
                    len(simulator.names))
