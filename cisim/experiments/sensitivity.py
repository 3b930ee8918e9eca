"""Global sensitivity analysis of a stochastic simulator, built on SALib.

SALib's estimators are written for deterministic functions: one output per design row.
A stochastic model run once per row adds run-to-run noise that the estimators read as
signal (total-order indices come out too high, first-order ones too low).  This module
wraps SALib so that the analysis stays correct for a stochastic model:

* every design point is run ``R`` times (replicates) with seeds derived per point and
  replicate (:func:`replicate_seeds`), so no seed is shared between points, not even
  between the rows of one Sobol' base row;
* the indices are computed on the replicate mean of each point;
* the noise share is reported per output (:attr:`SensitivityResult.noise`), with a
  :class:`NoiseWarning` when it is large enough to blur the indices;
* a dummy factor (:data:`DUMMY`), which the model never reads, is added to the design:
  its index is the noise floor, and a factor whose index does not clear it is flagged
  (``above_noise`` is False);
* bootstrap confidence intervals, and the indices recomputed at N/4, N/2 and N with a
  ``converged`` flag per factor and index.

Workflow::

    design = make_design([Factor("backbone.budget_share", (0.0, 0.3)),
                          Factor("coalition.size", (5, 40), integer=True)], "sobol", 1024, seed=7)
    runs = design.runs(replicates=8)      # point, replicate, seed and one column per factor
    runs["outcome_60"] = ...              # one model run per row, seeded by its ``seed``
    result = analyze(design, runs, outputs=["outcome_60"])
    result.indices                        # tidy: output, method, factor, index, value, conf_low, ...
    result.to_files("out", "backbone")    # CSV and Parquet of indices, noise and convergence

How SALib is used.  ``SALib.ProblemSpec`` holds the problem (names, bounds, distributions)
and draws the design with its ``sample_sobol`` / ``sample_morris`` / ``sample_fast`` /
``sample_latin`` methods; :attr:`Design.problem` is that ProblemSpec.  The analyses call the
analyzers of ``SALib.analyze`` directly, with the ProblemSpec as the problem dict, because
they run on replicate means and on prefixes of the design (convergence), one output at a
time with its own bootstrap seed, and must shield the caller from analyzers that change
global state: ``fast``, ``pawn`` and ``delta`` reseed and draw from numpy's global random
generator, and ``delta`` replaces the process-wide warning filters and format; each call
runs inside a guard that restores all three.

Definitions.

* Noise share (``noise_share``): mean within-point variance of the replicates (ddof 1)
  over the variance of all runs.  The share of a single run's variance that is noise.
  Needs two or more replicates (NaN otherwise).
* Noise share of the mean (``noise_share_of_mean``): mean of within-point variance / R
  over the variance of the point means; the share of the variance of the analysed
  quantity that is noise.  This is what blurs the indices: with share ``d`` a Sobol'
  total-order index reads ``ST + d (1 - ST)`` and a first-order index ``S1 (1 - d)``, and
  the dummy's ST estimates ``d`` itself.  Above ``noise_threshold`` (default 0.1) a
  :class:`NoiseWarning` is raised naming the replicates that would bring it under.
  Both shares are clipped to [0, 1].  With one run per point neither can be measured;
  for Sobol' the dummy's ST then stands in for ``d`` (and warns above the threshold).
* ``noise_floor`` in the noise table: the dummy's value of the method's ranking index
  (``noise_floor_index``: ST, mu*, S1, PAWN or delta).
* Noise floor: the dummy factor's value of the same index and output (for ``S2``, the
  largest S2 of a pair containing the dummy).  ``above_noise`` is True when a factor's
  lower confidence bound (its value, where the method gives no interval) exceeds it.
  Not defined for the dummy, and for Morris ``mu`` (signed).
* Convergence: the index is recomputed on the first N/4 and N/2 base samples (Sobol':
  base rows; Morris: trajectories; RBD-FAST, PAWN, delta: rows of the Latin hypercube,
  a prefix of which is still a random sample of the inputs).  ``converged`` is True when
  ``|value(N) - value(N/2)| <= tolerance * scale``, with ``tolerance`` 0.05 by default and
  ``scale`` 1 for indices that are shares (S1, ST, S2, delta, PAWN) and, for Morris's
  mu*, mu and sigma (in output units), the largest absolute value of that index over the
  factors.  eFAST's search curves cannot be cut short (a prefix is not a shorter curve),
  so eFAST has no convergence rows and ``converged`` is missing.

Integer factors are sampled on ``[low - 0.5, high + 0.5]`` and rounded, so every whole
number gets the same share of the design; the analysers see the unrounded values (the
model is then "round, then simulate"), which keeps Morris steps and given-data methods
free of ties.
"""

from __future__ import annotations

import contextlib
import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm

# the factors and the checks of a design live where they load without numpy; these are their names here too
from cisim.experiments.sensitivity_factors import DISTS as DISTS
from cisim.experiments.sensitivity_factors import DUMMY, Factor, _min_n, check_design, design_rows
from cisim.experiments.sensitivity_factors import METHODS as METHODS
from cisim.experiments.sensitivity_factors import factors_from_spec as factors_from_spec

PAIR_SEP = "×"

# the indices drawn by default for each method, and the one factors are ranked by
MAIN_INDICES = {
    "sobol": ("S1", "ST"), "morris": ("mu_star",), "efast": ("S1", "ST"),
    "rbd_fast": ("S1",), "pawn": ("PAWN",), "delta": ("delta", "S1"),
}
RANK_INDEX = {"sobol": "ST", "morris": "mu_star", "efast": "ST", "rbd_fast": "S1", "pawn": "PAWN", "delta": "delta"}
SHARE_INDICES = ("S1", "ST", "S2", "delta", "PAWN")

_INDEX_COLUMNS = ["output", "method", "factor", "index", "value", "conf_low", "conf_high", "n", "converged",
                  "above_noise", "noise_warning"]
_NOISE_COLUMNS = ["output", "replicates", "runs", "total_variance", "within_variance", "noise_share",
                  "noise_share_of_mean", "noise_floor_index", "noise_floor", "noise_warning", "message"]
_CONV_COLUMNS = ["output", "method", "factor", "index", "n", "value", "conf_low", "conf_high"]
_SAMPLE_STREAM, _BOOT_STREAM = 1, 2
_SEED_MASK = np.uint64(2**63 - 1)  # seeds fit an int64 column


class NoiseWarning(UserWarning):
    """Run-to-run noise is a large share of the variance the indices are computed on."""


# ---------------------------------------------------------------- seeds


def _stream(seed: int, *key: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(int(seed), spawn_key=tuple(int(k) for k in key))


def _stream_int(seed: int, *key: int) -> int:
    """A positive 31-bit integer from a derived stream (SALib treats seed 0 as 'no seed')."""
    return int(_stream(seed, *key).generate_state(1)[0] >> np.uint32(1)) | 1


def replicate_seeds(seed: int, n_points: int, replicates: int) -> np.ndarray:
    """Seeds of every run, ``(n_points, replicates)`` int64: one per design point and replicate.

    Point ``p`` draws its replicates' seeds from ``np.random.SeedSequence([seed, p])`` as 63-bit
    words, so no seed repeats across points (not even between the rows of one Sobol' base
    row: the noise there must stay independent, or the dummy factor could not measure it)
    and collisions are negligible even for millions of runs (32-bit seeds would already
    collide in designs of ~100,000 runs).  Adding replicates keeps the seeds already used.
    """
    if n_points < 0 or replicates < 1:
        raise ValueError(f"need n_points >= 0 and replicates >= 1, got {n_points} and {replicates}")
    out = np.empty((n_points, replicates), dtype=np.int64)
    for p in range(n_points):
        out[p] = (np.random.SeedSequence([int(seed), p]).generate_state(replicates, np.uint64) & _SEED_MASK)
    return out


# ---------------------------------------------------------------- designs


@dataclass
class Design:
    """A sampled design: SALib's sample ``X`` (one row per design point, the dummy column last).

    ``n`` is the base sample size: Sobol' N (rows ``N (k + 2)``, or ``N (2k + 2)`` with second
    order), Morris trajectories (rows ``n (k + 1)``), eFAST points per search curve (rows
    ``n k``), or the points of the Latin hypercube for RBD-FAST, PAWN and delta; ``k`` counts
    the dummy.
    """

    method: str
    n: int
    factors: tuple[Factor, ...]
    problem: Any  # SALib.ProblemSpec
    X: np.ndarray
    seed: int
    second_order: bool = False
    dummy: bool = True
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.factors]

    @property
    def model_factors(self) -> tuple[Factor, ...]:
        """The factors the model reads (the dummy excluded)."""
        return tuple(f for f in self.factors if not (self.dummy and f.name == DUMMY))

    @property
    def n_points(self) -> int:
        return int(self.X.shape[0])

    @property
    def k(self) -> int:
        return len(self.factors)

    def rows_for(self, n: int) -> int:
        """How many leading rows of ``X`` make the design of base size ``n`` (n <= self.n)."""
        if not 0 < n <= self.n:
            raise ValueError(f"base size {n} is outside 1..{self.n}")
        if self.method == "efast" and n != self.n:
            raise ValueError("eFAST search curves cannot be cut short; only the full design can be analysed")
        return design_rows(self.method, n, self.k, self.second_order)

    def convergence_sizes(self) -> list[int]:
        """Base sizes the convergence check uses: N/4, N/2 and N (those large enough to analyse)."""
        if self.method == "efast":
            return [self.n]
        lo = _min_n(self.method, self.options)
        return [m for m in (self.n // 4, self.n // 2) if m >= lo and m < self.n] + [self.n]

    def points(self, include_dummy: bool = False) -> pd.DataFrame:
        """One row per design point, one column per factor, in model units (integers rounded).

        The dummy column is left out by default: the model never reads it, and the
        experiment engine may reject a parameter path it does not know.
        """
        cols = {f.name: f.values(self.X[:, j]) for j, f in enumerate(self.factors)
                if include_dummy or f in self.model_factors}
        return pd.DataFrame(cols)

    def seeds(self, replicates: int) -> np.ndarray:
        """``replicate_seeds(self.seed, self.n_points, replicates)``."""
        return replicate_seeds(self.seed, self.n_points, replicates)

    def runs(self, replicates: int) -> pd.DataFrame:
        """Every run to do: ``point``, ``replicate``, ``seed``, then one column per model factor."""
        seeds = self.seeds(replicates)
        idx = np.repeat(np.arange(self.n_points), replicates)
        df = pd.DataFrame({"point": idx, "replicate": np.tile(np.arange(replicates), self.n_points),
                           "seed": seeds.reshape(-1)})
        pts = self.points()
        for c in pts.columns:
            df[c] = pts[c].to_numpy()[idx]
        return df


def _problem(factors: Sequence[Factor]):
    from SALib import ProblemSpec

    spec: dict[str, Any] = {"names": [f.name for f in factors], "bounds": [f.salib_bounds for f in factors]}
    if any(f.dist != "unif" for f in factors):
        spec["dists"] = [f.dist for f in factors]
    return ProblemSpec(spec)


def make_design(factors: Sequence[Factor], method: str, n: int, seed: int, *, second_order: bool = False,
                dummy: bool = True, **options: Any) -> Design:
    """Sample a design for ``method`` with base size ``n``, seeded from ``seed``.

    Sobol': ``n`` must be a power of two; scrambled Sobol' sequence (``scramble`` option).
    Morris: ``n`` trajectories on ``num_levels`` levels (default 4).  eFAST: ``n`` points per
    search curve, interference ``M`` (default 4; n > 4 M^2).  RBD-FAST (``M``, default 10),
    PAWN (``S`` slides, default 10) and delta: a Latin hypercube of ``n`` points.
    ``dummy`` appends the factor :data:`DUMMY` ~ U(0, 1), which the model ignores.
    """
    method, n, factors, opts = check_design(factors, method, n, second_order=second_order, dummy=dummy,
                                            **options)
    problem = _problem(factors)
    rng = np.random.default_rng(_stream(seed, _SAMPLE_STREAM))
    if method == "sobol":
        problem.sample_sobol(n, calc_second_order=second_order, scramble=bool(opts["scramble"]), seed=rng)
    elif method == "morris":
        problem.sample_morris(n, num_levels=opts["num_levels"], seed=rng)
    elif method == "efast":
        problem.sample_fast(n, M=opts["M"], seed=rng)
    else:
        problem.sample_latin(n, seed=rng)
    return Design(method=method, n=n, factors=factors, problem=problem, X=np.asarray(problem.samples, dtype=float),
                  seed=int(seed), second_order=bool(second_order), dummy=dummy, options=opts)


# ---------------------------------------------------------------- model outputs


def _as_runs(arr: Any, n_points: int, what: str) -> np.ndarray:
    a = np.asarray(arr, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[0] != n_points:
        raise ValueError(f"{what}: expected shape (n_points={n_points}, replicates), got {a.shape}")
    return a


def _collect(design: Design, Y: Any, outputs: Sequence[str] | None) -> dict[str, np.ndarray]:
    """Outputs as ``{name: (n_points, replicates)}`` float arrays (NaN where a run is missing)."""
    n = design.n_points
    if isinstance(Y, pd.DataFrame):
        if "point" not in Y:
            raise ValueError("a table of runs needs a 'point' column (and 'replicate'; see Design.runs)")
        pts = Y["point"].to_numpy()
        if len(pts) and (pts.min() < 0 or pts.max() >= n):
            raise ValueError(f"'point' must be from 0 to {n - 1}")
        reps = Y["replicate"].to_numpy() if "replicate" in Y else Y.groupby("point").cumcount().to_numpy()
        reps = reps.astype(np.int64)
        pts = pts.astype(np.int64)
        if len(pts) != len(np.unique(pts * (reps.max(initial=0) + 1) + reps)):
            raise ValueError("a (point, replicate) pair appears twice in the table of runs")
        skip = {"point", "replicate", "seed", *design.names}
        if outputs is None:
            outputs = [c for c in Y.columns if c not in skip and pd.api.types.is_numeric_dtype(Y[c])
                       and not pd.api.types.is_bool_dtype(Y[c])]
        missing = [o for o in outputs if o not in Y]
        if missing:
            raise ValueError(f"output column(s) not in the table of runs: {', '.join(map(str, missing))}")
        R = int(reps.max(initial=-1)) + 1
        out = {}
        for o in outputs:
            a = np.full((n, max(R, 1)), np.nan)
            a[pts, reps] = Y[o].to_numpy(dtype=float)
            out[str(o)] = a
    elif isinstance(Y, Mapping):
        keys = list(Y) if outputs is None else list(outputs)
        out = {str(k): _as_runs(Y[k], n, f"output {k!r}") for k in keys}
    else:
        a = np.asarray(Y, dtype=float)
        if a.ndim == 3:
            names = list(outputs) if outputs is not None else [f"Y{i + 1}" for i in range(a.shape[2])]
            if len(names) != a.shape[2]:
                raise ValueError(f"{len(names)} output names for {a.shape[2]} outputs")
            out = {str(o): _as_runs(a[:, :, i], n, f"output {o!r}") for i, o in enumerate(names)}
        else:
            names = list(outputs) if outputs is not None else ["Y"]
            if len(names) != 1:
                raise ValueError("a 1- or 2-D array holds one output; give one name")
            out = {str(names[0]): _as_runs(a, n, "Y")}
    if not out:
        raise ValueError("no outputs to analyse")
    for o, a in out.items():
        empty = np.flatnonzero(~np.isfinite(a).any(axis=1))
        if len(empty):
            raise ValueError(f"output {o!r}: {len(empty)} design point(s) have no finite result "
                             f"(first: {empty[:5].tolist()}); every point needs at least one run")
    return out


def _noise(output: str, y: np.ndarray, threshold: float) -> dict[str, Any]:
    """The noise shares of one output (see the module doc)."""
    counts = np.isfinite(y).sum(axis=1)
    runs = int(counts.sum())
    total = float(np.nanvar(y, ddof=1)) if runs > 1 else float("nan")
    means = np.nanmean(y, axis=1)
    var_means = float(np.var(means, ddof=1)) if len(means) > 1 else float("nan")
    row: dict[str, Any] = {"output": output, "replicates": int(counts.max()), "runs": runs, "total_variance": total,
                           "within_variance": float("nan"), "noise_share": float("nan"),
                           "noise_share_of_mean": float("nan"), "noise_warning": False, "message": ""}
    multi = counts >= 2
    if not multi.any():
        row["message"] = ("one run per point: run-to-run noise is not measured here; the dummy factor's index is "
                          "the only check on it")
        return row
    with np.errstate(invalid="ignore", divide="ignore"):
        wv = np.nanvar(y[multi], axis=1, ddof=1)
    within = float(wv.mean())
    within_mean = float(np.mean(wv / counts[multi]))
    row["within_variance"] = within
    if not total > 0:
        row["message"] = "the output is constant"
        return row
    share = float(np.clip(within / total, 0.0, 1.0))
    share_mean = float(np.clip(within_mean / var_means, 0.0, 1.0)) if var_means > 0 else 1.0
    row["noise_share"], row["noise_share_of_mean"] = share, share_mean
    if share_mean > threshold:
        R = int(np.median(counts))
        signal = var_means - within_mean
        if signal > 0:
            need = math.ceil(within * (1 - threshold) / (threshold * signal))
            advice = f"about {need} replicates per point would bring it under {threshold:.0%}"
        else:
            advice = "the point means show no variation beyond the noise"
        row["noise_warning"] = True
        row["message"] = (f"{share_mean:.0%} of the variance of the replicate means is run-to-run noise "
                          f"(R={R}, threshold {threshold:.0%}): total-order indices read up to {share_mean:.2f} "
                          f"too high and first-order ones {share_mean:.0%} too low; {advice}")
    return row


# ---------------------------------------------------------------- SALib calls


_QUIET = ("FAST confidence intervals are estimated via bootstrap",)  # documented above: eFAST CIs are indicative


@contextlib.contextmanager
def _salib_guard(method: str, seed: int) -> Iterator[None]:
    """Run a SALib analyzer with numpy's global RNG seeded and restored, and warning state restored.

    Warnings the analyzer raised are re-issued once each, with their category, after the
    state is back (so pytest's and the caller's filters apply to them).
    """
    state = np.random.get_state()
    fmt = warnings.formatwarning
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            np.random.seed(seed)
            yield
    finally:
        warnings.formatwarning = fmt
        np.random.set_state(state)
    seen = set()
    for w in caught:
        msg = str(w.message).strip()
        if msg in seen or msg.startswith(_QUIET):
            continue
        seen.add(msg)
        warnings.warn(f"SALib {method}: {msg}", w.category, stacklevel=5)


def _rows(names: Sequence[str], index: str, values: Any, conf: Any = None) -> list[dict[str, Any]]:
    vals = np.asarray(np.ma.filled(np.ma.asarray(values, dtype=float), np.nan), dtype=float)
    half = (np.full(len(names), np.nan) if conf is None
            else np.asarray(np.ma.filled(np.ma.asarray(conf, dtype=float), np.nan), dtype=float))
    return [{"factor": nm, "index": index, "value": float(v), "half": float(h)} for nm, v, h in zip(names, vals, half)]


def _estimate(design: Design, X: np.ndarray, y: np.ndarray, bootstrap: int, conf_level: float,
              seed: int) -> list[dict[str, Any]]:
    """One analysis of the point means ``y`` (rows of ``X``): rows of factor, index, value, CI half-width."""
    from SALib.analyze import delta, fast, morris, pawn, rbd_fast, sobol

    p, names, m, o = design.problem, design.names, design.method, design.options
    rows: list[dict[str, Any]] = []
    with _salib_guard(m, seed):
        if m == "sobol":
            S = sobol.analyze(p, y, calc_second_order=design.second_order, num_resamples=bootstrap,
                              conf_level=conf_level, seed=seed)
            rows += _rows(names, "S1", S["S1"], S["S1_conf"]) + _rows(names, "ST", S["ST"], S["ST_conf"])
            if design.second_order:
                for a in range(len(names)):
                    for b in range(a + 1, len(names)):
                        rows.append({"factor": f"{names[a]}{PAIR_SEP}{names[b]}", "index": "S2",
                                     "value": float(S["S2"][a, b]), "half": float(S["S2_conf"][a, b])})
        elif m == "morris":
            S = morris.analyze(p, X, y, num_resamples=bootstrap, conf_level=conf_level,
                               num_levels=o["num_levels"], seed=seed)
            rows += (_rows(names, "mu_star", S["mu_star"], S["mu_star_conf"]) + _rows(names, "mu", S["mu"])
                     + _rows(names, "sigma", S["sigma"]))
        elif m == "efast":
            S = fast.analyze(p, y, M=o["M"], num_resamples=bootstrap, conf_level=conf_level, seed=seed)
            rows += _rows(names, "S1", S["S1"], S["S1_conf"]) + _rows(names, "ST", S["ST"], S["ST_conf"])
        elif m == "rbd_fast":
            S = rbd_fast.analyze(p, X, y, M=o["M"], num_resamples=bootstrap, conf_level=conf_level, seed=seed)
            rows += _rows(names, "S1", S["S1"], S["S1_conf"])
        elif m == "pawn":
            # SALib's PAWN has no interval: bootstrap the points (normal approximation, as SALib does elsewhere)
            med = np.asarray(pawn.analyze(p, X, y, S=o["S"])["median"], dtype=float)
            rng = np.random.default_rng(seed)
            boot = np.empty((bootstrap, len(names)))
            for i in range(bootstrap):
                idx = rng.integers(len(y), size=len(y))
                boot[i] = pawn.analyze(p, X[idx], y[idx], S=o["S"])["median"]
            half = norm.ppf(0.5 + conf_level / 2) * boot.std(axis=0, ddof=1) if bootstrap > 1 else None
            rows += _rows(names, "PAWN", med, half)
        elif m == "delta":
            # plain names: SALib's delta rejects names ending in _raw, _balanced, _step or _conf
            plain = {"names": [f"f{j}" for j in range(len(names))], "bounds": p["bounds"], "num_vars": len(names)}
            S = delta.analyze(plain, X, y, num_resamples=bootstrap, conf_level=conf_level, seed=seed)
            rows += _rows(names, "delta", S["delta_raw"], S["delta_raw_conf"]) + _rows(names, "S1", S["S1"],
                                                                                        S["S1_conf"])
    return rows


# ---------------------------------------------------------------- results


@dataclass
class SensitivityResult:
    """Indices, noise and convergence tables of one analysis (a ``time`` column when time-resolved).

    ``indices``: output, method, factor, index, value, conf_low, conf_high, n, converged,
    above_noise, noise_warning.  ``noise``: one row per output.  ``convergence``: the
    indices at each base size in ``n``.
    """

    method: str
    n: int
    indices: pd.DataFrame
    noise: pd.DataFrame
    convergence: pd.DataFrame
    conf_level: float = 0.95
    tolerance: float = 0.05
    dummy: bool = True

    @property
    def outputs(self) -> list[str]:
        return list(dict.fromkeys(self.indices["output"]))

    @property
    def main_indices(self) -> tuple[str, ...]:
        return MAIN_INDICES[self.method]

    @property
    def times(self) -> list[Any]:
        return list(dict.fromkeys(self.indices["time"])) if "time" in self.indices else []

    def table(self, output: str | None = None, index: str | None = None, time: Any = None,
              which: str = "indices") -> pd.DataFrame:
        """Rows of ``indices`` (or ``convergence``) for one output / index / time."""
        df = self.indices if which == "indices" else self.convergence
        mask = np.ones(len(df), dtype=bool)
        if output is not None:
            mask &= (df["output"] == output).to_numpy()
        if index is not None:
            mask &= (df["index"] == index).to_numpy()
        if time is not None and "time" in df:
            mask &= (df["time"] == time).to_numpy()
        return df[mask].reset_index(drop=True)

    def noise_floor(self, output: str, index: str, time: Any = None) -> tuple[float, float]:
        """The dummy's value of ``index`` for ``output`` and its upper confidence bound (NaN without a dummy)."""
        if not self.dummy:
            return float("nan"), float("nan")
        rows = self.table(output, index, time)
        if index == "S2":
            rows = rows[rows["factor"].str.split(PAIR_SEP).apply(lambda parts: DUMMY in parts)]
            if rows.empty:
                return float("nan"), float("nan")
            top = rows.loc[rows["value"].idxmax()]
            return float(top["value"]), float(top["conf_high"])
        rows = rows[rows["factor"] == DUMMY]
        if rows.empty:
            return float("nan"), float("nan")
        return float(rows["value"].iloc[0]), float(rows["conf_high"].iloc[0])

    def to_files(self, out_dir: str | Path, stem: str = "sensitivity") -> list[Path]:
        """Write ``{stem}_indices``, ``{stem}_noise`` and ``{stem}_convergence`` as CSV and Parquet, atomically."""
        from cisim.experiments.metadata import write_table

        out = Path(out_dir)
        written: list[Path] = []
        for name, df in (("indices", self.indices), ("noise", self.noise), ("convergence", self.convergence)):
            written += write_table(df, out / f"{stem}_{name}")
        return written


def analyze(design: Design, Y: Any, *, outputs: Sequence[str] | None = None, bootstrap: int = 1000,
            conf_level: float = 0.95, convergence: bool = True, seed: int | None = None,
            noise_threshold: float = 0.1, tolerance: float = 0.05) -> SensitivityResult:
    """Sensitivity indices of each output, computed on the replicate mean of every design point.

    ``Y``: the runs' outputs, as an array ``(n_points, replicates)`` (one output) or
    ``(n_points, replicates, n_outputs)``, a mapping of output name to such 2-D arrays, or a
    table of runs with ``point`` and ``replicate`` columns (as from :meth:`Design.runs`) and
    one column per output (``outputs`` picks them; default: every numeric column that is not
    a factor or ``seed``).  Missing runs may be NaN; every point needs one finite result.

    ``bootstrap`` resamples give the confidence intervals at ``conf_level`` (SALib's
    normal approximation, ``value ± z sd``); ``seed`` (default: the design's) seeds them.
    PAWN (no interval in SALib: its points are resampled here) and delta re-run the whole
    estimator per resample, so their cost grows with ``bootstrap``; 100 to 200 is usually
    enough for them.  eFAST's intervals are SALib's and only indicative (SALib issue 649).
    """
    if isinstance(conf_level, bool) or not isinstance(conf_level, (int, float)) or not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1, got {conf_level!r}")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 2:
        raise ValueError(f"bootstrap needs a whole number of 2 or more resamples, got {bootstrap!r}")
    seed = design.seed if seed is None else int(seed)
    data = _collect(design, Y, outputs)
    sizes = design.convergence_sizes() if convergence else [design.n]
    idx_frames, noise_rows, conv_rows = [], [], []
    for oi, (name, y) in enumerate(data.items()):
        noise = _noise(name, y, noise_threshold)
        means = np.nanmean(y, axis=1)
        mine = []
        for li, n_sub in enumerate(sizes):
            rows = design.rows_for(n_sub)
            est = _estimate(design, design.X[:rows], np.ascontiguousarray(means[:rows]), int(bootstrap), conf_level,
                            _stream_int(seed, _BOOT_STREAM, oi, li))
            mine += [{"output": name, "method": design.method, "factor": r["factor"], "index": r["index"],
                      "n": n_sub, "value": r["value"], "conf_low": r["value"] - r["half"],
                      "conf_high": r["value"] + r["half"]} for r in est]
        conv_rows += mine
        conv = pd.DataFrame(mine, columns=_CONV_COLUMNS)
        full = conv[conv["n"] == design.n].reset_index(drop=True)
        full = _flags(design, full, conv, tolerance, convergence and len(sizes) > 1)
        floor_index = RANK_INDEX[design.method]
        floor = full[(full["factor"] == DUMMY) & (full["index"] == floor_index)]["value"]
        noise["noise_floor_index"] = floor_index
        noise["noise_floor"] = float(floor.iloc[0]) if design.dummy and len(floor) else float("nan")
        if design.method == "sobol" and noise["replicates"] == 1 and noise["noise_floor"] > noise_threshold:
            # one run per point: the dummy's ST is the only estimate of the noise share of the analysed values
            noise["noise_warning"] = True
            noise["message"] = (f"one run per point, and the dummy factor's ST is {noise['noise_floor']:.2f}: "
                                f"about that share of the output variance is run-to-run noise, so total-order "
                                f"indices read up to {noise['noise_floor']:.2f} too high; run replicates per point")
        full["noise_warning"] = noise["noise_warning"]
        idx_frames.append(full)
        noise_rows.append(noise)
        if noise["noise_warning"]:
            warnings.warn(f"output {name!r}: {noise['message']}", NoiseWarning, stacklevel=2)
    indices = pd.concat(idx_frames, ignore_index=True)[_INDEX_COLUMNS]
    conv_df = pd.DataFrame(conv_rows, columns=_CONV_COLUMNS)
    if design.method == "efast" or not convergence:
        conv_df = conv_df.iloc[0:0]
    return SensitivityResult(method=design.method, n=design.n, indices=indices,
                             noise=pd.DataFrame(noise_rows, columns=_NOISE_COLUMNS), convergence=conv_df,
                             conf_level=conf_level, tolerance=tolerance, dummy=design.dummy)


def _flags(design: Design, full: pd.DataFrame, conv: pd.DataFrame, tolerance: float, check: bool) -> pd.DataFrame:
    """Add ``n``, ``converged`` and ``above_noise`` to the full-size rows of one output."""
    full = full.copy()
    full["n"] = design.n
    converged = pd.array([pd.NA] * len(full), dtype="boolean")
    if check:
        half_n = sorted(conv["n"].unique())[-2]
        prev = conv[conv["n"] == half_n].set_index(["factor", "index"])["value"]
        scale = {}
        for ix, grp in full.groupby("index"):
            scale[ix] = 1.0 if ix in SHARE_INDICES else float(np.nanmax(np.abs(grp["value"]))) if len(grp) else 1.0
        for i, r in enumerate(full.itertuples(index=False)):
            before = prev.get((r.factor, r.index), np.nan)
            if np.isfinite(before) and np.isfinite(r.value):
                s = scale[r.index]
                converged[i] = bool(abs(r.value - before) <= tolerance * s) if s > 0 else bool(r.value == before)
    full["converged"] = converged
    above = pd.array([pd.NA] * len(full), dtype="boolean")
    if design.dummy:
        for i, r in enumerate(full.itertuples(index=False)):
            parts = r.factor.split(PAIR_SEP) if r.index == "S2" else [r.factor]
            if DUMMY in parts or r.index == "mu":
                continue
            if r.index == "S2":
                pairs = full[(full["index"] == "S2") & full["factor"].str.split(PAIR_SEP).apply(lambda q: DUMMY in q)]
                floor = float(pairs["value"].max()) if len(pairs) else np.nan
            else:
                d = full[(full["factor"] == DUMMY) & (full["index"] == r.index)]["value"]
                floor = float(d.iloc[0]) if len(d) else np.nan
            low = r.conf_low if np.isfinite(r.conf_low) else r.value
            if np.isfinite(floor) and np.isfinite(low):
                above[i] = bool(low > floor)
    full["above_noise"] = above
    return full


def analyze_over_time(design: Design, Y_by_time: Mapping[Any, Any] | pd.DataFrame, *, time_column: str = "time",
                      **kwargs: Any) -> SensitivityResult:
    """Time-resolved indices: :func:`analyze` at each time (e.g. the outcome at the end of each year).

    ``Y_by_time`` maps each time to what :func:`analyze` takes as ``Y``, or is one table of
    runs with a ``time_column``.  Every table of the result gains a leading ``time`` column.
    """
    if isinstance(Y_by_time, pd.DataFrame):
        if time_column not in Y_by_time:
            raise ValueError(f"the table of runs has no {time_column!r} column")
        groups = {t: g.drop(columns=[time_column]) for t, g in Y_by_time.groupby(time_column, sort=True)}
    else:
        groups = dict(Y_by_time)
    if not groups:
        raise ValueError("no times to analyse")
    parts = [(t, analyze(design, y, **kwargs)) for t, y in groups.items()]
    tables = {}
    for attr in ("indices", "noise", "convergence"):
        frames = []
        for t, res in parts:
            df = getattr(res, attr).copy()
            df.insert(0, "time", [t] * len(df))
            frames.append(df)
        tables[attr] = pd.concat(frames, ignore_index=True)
    first = parts[0][1]
    return SensitivityResult(method=first.method, n=first.n, conf_level=first.conf_level, tolerance=first.tolerance,
                             dummy=first.dummy, **tables)


# ---------------------------------------------------------------- Ishigami test function

ISHIGAMI_FACTORS = tuple(Factor(f"x{i}", (-math.pi, math.pi)) for i in (1, 2, 3))


def ishigami(X: np.ndarray | pd.DataFrame, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    """Ishigami function ``sin x1 + a sin^2 x2 + b x3^4 sin x1`` (columns x1..x3, or the first three)."""
    if isinstance(X, pd.DataFrame):
        x1, x2, x3 = (X[c].to_numpy(dtype=float) for c in ("x1", "x2", "x3"))
    else:
        A = np.asarray(X, dtype=float)
        x1, x2, x3 = A[:, 0], A[:, 1], A[:, 2]
    return np.sin(x1) + a * np.sin(x2) ** 2 + b * x3**4 * np.sin(x1)


def ishigami_variance(a: float = 7.0, b: float = 0.1) -> float:
    """Variance of the Ishigami function with x_i ~ U(-pi, pi)."""
    return a**2 / 8 + b * math.pi**4 / 5 + b**2 * math.pi**8 / 18 + 0.5


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> pd.DataFrame:
    """Analytic first- and total-order indices of the Ishigami function: index x1..x3, columns S1 and ST.

    V1 = (1 + b pi^4 / 5)^2 / 2, V2 = a^2 / 8, V3 = 0, V13 = b^2 pi^8 (1/18 - 1/50), and
    V = V1 + V2 + V13 (no other terms).
    """
    V = ishigami_variance(a, b)
    V1 = 0.5 * (1 + b * math.pi**4 / 5) ** 2
    V2 = a**2 / 8
    V13 = b**2 * math.pi**8 * (1 / 18 - 1 / 50)
    return pd.DataFrame({"S1": [V1 / V, V2 / V, 0.0], "ST": [(V1 + V13) / V, V2 / V, V13 / V]},
                        index=pd.Index(["x1", "x2", "x3"], name="factor"))
