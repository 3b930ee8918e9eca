"""Calibration to evidence: approximate Bayesian computation by sequential Monte Carlo (ABC-SMC).

The assumed parameters get priors (``cisim.experiments.targets``); the evidence gives each statistic a range.
A parameter set's distance adds up how far each statistic lies outside its range, in half-widths of that
range: ``sum_k max(0, |s_k - centre_k| / half_width_k - 1)``.  0 means every statistic lies inside its range.
A sum, so that a target no parameter set can reach does not leave the others unconstrained.

ABC-SMC (Beaumont et al. 2009; Del Moral et al. 2012 for the
adaptive tolerances) draws a population from the prior, then, generation by generation, perturbs the last
population's sets with a Gaussian kernel (twice their weighted covariance, in the unit cube of the priors)
and keeps the proposals whose distance is within a tolerance that falls to the ``quantile`` of the last
population's distances, until it reaches ``final_epsilon`` (0: inside every range).  The accepted sets,
weighted by prior over proposal density, are the posterior: the parameter sets under which the model's
statistics fall inside the evidence's ranges, with the seed noise of ``replicates`` runs per set.

Why not a library: pyabc evaluates one parameter set per model call (its parallel samplers draw proposals
in worker processes, from numpy's global random state), so its numbers depend on the workers and it cannot
hand a generation to the batch runner at once; ELFI caps matplotlib below 3.9 and pulls in GPy.  Here a
generation's proposals are drawn in this process from ``np.random.default_rng([seed, generation, round])``
and run in large chunks through the batch runner, on this machine's cores or a Dask cluster, like a sweep.
The known-answer tests (``tests/test_calibration.py``) check the posterior against an analytic one.

Results folder::

    OUT/evaluations/g00r000c0000.parquet   every evaluated set: generation, round, set, seed, unit-cube
    ...                                    coordinates, parameters, statistics, distance, status, error
    OUT/populations/g00.parquet            each generation's accepted sets and weights
    OUT/predictive/c0000.parquet           the posterior's sets run again with new seeds
    OUT/posterior.csv, posterior.parquet   the posterior ensemble (``cisim.experiments.ensemble`` reads the CSV)
    OUT/targets.csv                        each target: range, posterior predictive mean and interval, met or not
    OUT/generations.csv                    tolerance, proposals, acceptance and effective size per generation
    OUT/evaluations.parquet                every evaluation in one table (for ``cisim report discover``)
    OUT/metadata.json                      the targets file, priors, status, versions

Every chunk is written when it finishes; ``resume=True`` keeps the finished ones (after checking that each
holds the sets the plan says) and reruns only the rest, with the same numbers as an uninterrupted run.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from cisim.experiments import chunks, lock
from cisim.experiments import metadata as meta
from cisim.experiments.chunks import ChunkError, Expected
from cisim.experiments.ensemble import effective_size, weighted_quantile, write_ensemble
from cisim.experiments.evidence_stats import run_sets
from cisim.experiments.targets import Prior, Target, TargetsFile, load_targets
from cisim.experiments.worker import ChunkResult
from cisim.model.scenario import ScenarioError

#: Runs in one chunk, about: a chunk of the bundled calibration is about a second of work.
CHUNK_RUNS = 1000
#: Proposals per round at most, as a multiple of the population (the acceptance rate may be low).
ROUND_FACTOR = 20
#: Stream of the base seeds of the posterior predictive runs (generations use their own index).
PREDICTIVE = 10_000
#: The posterior predictive interval reported for each target.
INTERVAL = (0.05, 0.95)


@dataclass
class Problem:
    """What ABC-SMC needs: priors, targets (name, low, high) and a simulator with ``names``,
    ``runs_per_set`` and ``simulate(values, base_seeds) -> (sets, stats)``."""

    priors: list[Prior]
    targets: list[Target]
    simulator: Any
    seed: int
    abc: dict[str, Any]
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def parameters(self) -> list[str]:
        return [p.path for p in self.priors]

    @classmethod
    def from_targets(cls, tf: TargetsFile) -> Problem:
        return cls(tf.priors, tf.targets, tf.simulator(), tf.seed, dict(tf.abc),
                   {"targets": tf.to_record(), "replicates": tf.replicates, "months": tf.months,
                    "scenarios": {r: meta.scenario_record(sc) for r, sc in tf.scenarios.items()}})


@dataclass
class Calibration:
    """What a calibration found: the posterior, the targets' verdicts and how it got there."""

    out_dir: Path
    posterior: pd.DataFrame
    predictive: pd.DataFrame
    targets: pd.DataFrame
    generations: pd.DataFrame
    status: str
    epsilon: float
    runs: int
    parameters: list[str]
    priors: list[Prior]

    @property
    def met(self) -> bool:
        return bool(self.targets["met"].all())


# ---------------------------------------------------------------- arithmetic

def misses(stats: np.ndarray, targets: list[Target]) -> np.ndarray:
    """How far each statistic lies outside its target's range, in half-widths of the range (0 inside)."""
    centre = np.array([t.centre for t in targets])
    half = np.array([t.half_width for t in targets])
    return np.maximum(0.0, np.abs(stats - centre) / half - 1.0)


def distances(stats: np.ndarray, targets: list[Target]) -> np.ndarray:
    """Each set's misses added up over the targets (NaN where a statistic could not be computed)."""
    z = misses(stats, targets)
    d = z.sum(axis=1) if len(targets) else np.zeros(len(stats))
    return np.where(np.isnan(z).any(axis=1), np.nan, d)


def kernel(U: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The perturbation kernel's covariance: twice the population's weighted covariance (Beaumont et al.
    2009), with a floor so that a population that has collapsed in one direction can still move."""
    mean = w @ U
    X = U - mean
    cov = 2.0 * (X * w[:, None]).T @ X
    return cov + np.eye(len(cov)) * 1e-8


def propose(rng: np.random.Generator, U: np.ndarray, w: np.ndarray, chol: np.ndarray, n: int) -> np.ndarray:
    """``n`` proposals: a set picked by weight, moved by the kernel, drawn again (set and move) until the
    move stays inside the priors' unit cube, so the proposal density is the kernel mixture cut at the cube."""
    out = np.empty((0, U.shape[1]))
    while len(out) < n:
        m = 2 * (n - len(out)) + 16
        j = rng.choice(len(U), size=m, p=w)
        u = U[j] + rng.standard_normal((m, U.shape[1])) @ chol.T
        out = np.vstack([out, u[((u >= 0) & (u <= 1)).all(axis=1)]])
    return out[:n]


def importance_weights(u: np.ndarray, U: np.ndarray, w: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Prior over proposal density for each new set (the prior is uniform on the unit cube), normalized."""
    inv = np.linalg.inv(cov)
    diff = u[:, None, :] - U[None, :, :]
    log_k = -0.5 * np.einsum("ijk,kl,ijl->ij", diff, inv, diff)
    a = log_k + np.log(w)[None, :]
    top = a.max(axis=1, keepdims=True)
    log_q = top[:, 0] + np.log(np.exp(a - top).sum(axis=1))
    v = np.exp(-(log_q - log_q.min()))
    return v / v.sum()


def base_seeds(seed: int, stream: int, rnd: int, n: int) -> np.ndarray:
    """Base seeds of a round's sets: from the calibration's seed, the generation (or stream) and the round."""
    return (np.random.SeedSequence([seed, stream, rnd]).generate_state(n, np.uint64) >> np.uint64(1)).astype(np.int64)


# ---------------------------------------------------------------- files

def _eval_path(out: Path, t: int, r: int, k: int) -> Path:
    return out / "evaluations" / f"g{t:02d}r{r:03d}c{k:04d}.parquet"


def _columns(problem: Problem) -> tuple[list[str], list[str], list[str]]:
    units = [f"unit:{p}" for p in problem.parameters]
    return units, problem.parameters, [t.name for t in problem.targets]


def _expected(path: Path, fingerprint: str, lo: int, hi: int, seeds: np.ndarray, U: np.ndarray,
              units: list[str]) -> Expected:
    """What the plan says the chunk at ``path`` holds: sets ``lo:hi`` of its round, with these seeds and
    unit-cube coordinates."""
    keys = pd.DataFrame({"seed": seeds, **{c: U[:, j] for j, c in enumerate(units)}})
    return Expected(KIND, path.stem, lo, hi, fingerprint, chunks.digest(keys, ["seed", *units]))


KIND = "calibration"


# ---------------------------------------------------------------- the fit

def calibrate(targets: str | Path | TargetsFile | Problem, out_dir: str | Path, workers: int | None = None,
              resume: bool = False, progress: bool | str = True, backend: str = "local",
              scheduler: str | None = None, command: str | None = None,
              on_chunk: Callable[[Path], None] | None = None, log: Callable[[str], None] | None = None,
              fn: Callable[..., ChunkResult] = run_sets) -> Calibration:
    """Fit the targets file's parameters to its targets by ABC-SMC and write the results to ``out_dir``.

    ``workers``, ``backend`` and ``scheduler`` choose where chunks run, as for a sweep; the numbers do not
    depend on them.  ``resume`` keeps the finished chunks in ``out_dir``.  ``log`` gets one line per
    generation and one per chunk set aside on resume.  Raises ``ScenarioError`` if ``out_dir`` holds other
    results or another live job is writing into it.
    """
    problem = targets if isinstance(targets, Problem) else Problem.from_targets(
        targets if isinstance(targets, TargetsFile) else load_targets(targets))
    out = Path(out_dir)
    fingerprint = _fingerprint(problem)
    _prepare(out, resume, fingerprint)
    with lock.hold(out, command, log=log):
        return _fit(problem, out, fingerprint, workers, resume, progress, backend, scheduler, command, on_chunk,
                    log, fn)


def _fit(problem: Problem, out: Path, fingerprint: str, workers: int | None, resume: bool, progress: bool | str,
         backend: str, scheduler: str | None, command: str | None, on_chunk: Callable[[Path], None] | None,
         log: Callable[[str], None] | None, fn: Callable[..., ChunkResult]) -> Calibration:
    """``calibrate`` while holding the folder's lock."""
    from cisim.experiments import sweep as sw
    from cisim.experiments.batch import available_cores
    from cisim.experiments.runner import _show_progress

    abc = problem.abc
    N, p = abc["population"], len(problem.priors)
    per_set = problem.simulator.runs_per_set
    chunk_sets = abc["chunk_sets"] or max(1, CHUNK_RUNS // per_set)
    units, params, names = _columns(problem)
    say = log or (lambda s: None)
    show = _show_progress(progress)

    chosen = workers is not None
    workers = int(workers or available_cores())
    if scheduler:
        backend = "dask"
    if backend == "dask":
        executor = sw._DaskExecutor(scheduler, workers if (chosen or not scheduler) else None)
    elif workers > 1:
        executor = sw._ProcessPool(workers)
    else:
        executor = sw._InProcess()
    started = datetime.now(UTC).isoformat(timespec="seconds")
    record: dict[str, Any] = {
        "kind": "calibration", "fingerprint": fingerprint, **problem.record,
        "parameters": params,
        "priors": [{"path": q.path, "low": q.low, "high": q.high, "scale": "log" if q.log else "linear"}
                   for q in problem.priors],
        "target_ranges": [{"name": t.name, "low": t.low, "high": t.high, "source": t.source} for t in problem.targets],
        "abc": abc, "seed": problem.seed, "started": started, "finished": None, "status": "running",
        "backend": backend, "workers": executor.slots, "command": command if command is not None else
        meta.command_line(), "versions": meta.package_versions(), "source_revision": meta.source_revision(),
    }
    meta.write_json(out / "metadata.json", record)

    total_runs = 0
    kept = ran = 0
    planned: list[Path] = []  # every chunk of this calibration, in order

    def evaluate(t: int, r: int, U: np.ndarray, seeds: np.ndarray, label: str) -> pd.DataFrame:
        """Statistics of a round's sets (chunks kept from before are checked and reused)."""
        nonlocal total_runs, kept, ran
        X = np.column_stack([q.from_unit(U[:, j]) for j, q in enumerate(problem.priors)]) if p else U
        bounds = [(lo, min(lo + chunk_sets, len(U))) for lo in range(0, len(U), chunk_sets)]
        tables: dict[int, pd.DataFrame] = {}
        jobs = []
        plans = {}
        for k, (lo, hi) in enumerate(bounds):
            path = _eval_path(out, t, r, k)
            plans[k] = _expected(path, fingerprint, lo, hi, seeds[lo:hi], U[lo:hi], units)
            planned.append(path)
            if resume and path.exists():
                try:
                    tables[k] = chunks.verify(path, plans[k], ["seed", *units])
                    kept += 1
                    continue
                except ChunkError as exc:
                    moved = chunks.set_aside(path, out)
                    say(f"{path.name}: {exc.reason}; moved aside to {moved.relative_to(out)}, running it again")
            jobs.append((k, problem.simulator, X[lo:hi], seeds[lo:hi]))
        bar = None
        if show and jobs:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(U) * per_set, initial=sum(len(v) for v in tables.values()) * per_set,
                       desc=label, unit=" runs", smoothing=0.1)

        def done(res: ChunkResult) -> None:
            nonlocal ran
            lo, hi = bounds[res.k]
            table = pd.DataFrame({"generation": t, "round": r, "set": np.arange(lo, hi), "seed": seeds[lo:hi]})
            for j, c in enumerate(units):
                table[c] = U[lo:hi, j]
            for j, c in enumerate(params):
                table[c] = X[lo:hi, j]
            for j, c in enumerate(names):
                table[c] = res.values[:, j]
            table["distance"] = distances(res.values, problem.targets)
            table["status"] = pd.array(["ok" if e is None else "error" for e in res.errors], dtype="string")
            table["error"] = pd.array(res.errors, dtype="string")
            path = _eval_path(out, t, r, res.k)
            chunks.write(table, path, plans[res.k])
            tables[res.k] = table
            ran += 1
            if bar is not None:
                bar.update(len(table) * per_set)
            if on_chunk is not None:
                on_chunk(path)

        try:
            executor.run(jobs, done, bar, fn=fn)
        finally:
            if bar is not None:
                bar.close()
        total_runs += len(U) * per_set
        return pd.concat([tables[k] for k in sorted(tables)], ignore_index=True)

    gens: list[dict[str, Any]] = []
    population: pd.DataFrame | None = None
    status = "generations"
    eps_reached = math.inf
    try:
        for t in range(abc["generations"]):
            if population is None:
                eps = math.inf
            else:
                eps = max(abc["final_epsilon"], weighted_quantile(population["distance"].to_numpy(),
                                                                  population["weight"].to_numpy(), abc["quantile"]))
            if population is not None:
                U_prev = population[units].to_numpy()
                w_prev = population["weight"].to_numpy()
                cov = kernel(U_prev, w_prev)
                chol = np.linalg.cholesky(cov)
            accepted: list[pd.DataFrame] = []
            n_acc = evaluated = r = 0
            rate = abc["quantile"]
            stop = None
            while n_acc < N:
                need = N - n_acc
                if population is None:
                    n_prop = need
                else:
                    wanted = math.ceil(1.2 * need / max(rate, abc["min_acceptance"]))
                    n_prop = min(ROUND_FACTOR * N, max(chunk_sets, wanted))
                rng = np.random.default_rng([problem.seed, t, r])
                U = rng.random((n_prop, p)) if population is None else propose(rng, U_prev, w_prev, chol, n_prop)
                seeds = base_seeds(problem.seed, t, r, n_prop)
                table = evaluate(t, r, U, seeds, f"generation {t}" + (f", round {r}" if r else ""))
                ok = table["distance"].notna() & (table["distance"] <= eps)
                accepted.append(table[ok])
                n_acc += int(ok.sum())
                evaluated += n_prop
                rate = max(n_acc / evaluated, 1e-9)
                r += 1
                if population is not None and n_acc < N:
                    if evaluated >= N / abc["min_acceptance"]:
                        stop = "acceptance"
                    elif total_runs >= abc["max_runs"]:
                        stop = "budget"
                    if stop:
                        break
                if population is None and n_acc < N and r >= ROUND_FACTOR:
                    stop = "failures"
                    break
            if stop:
                status = stop
                gens.append({"generation": t, "epsilon": eps, "proposals": evaluated, "accepted": n_acc,
                             "acceptance": n_acc / evaluated, "ess": float("nan"), "complete": False,
                             "runs": evaluated * per_set})
                say(f"generation {t}: tolerance {eps:.3f}, {n_acc} of {evaluated} accepted: "
                    + {"acceptance": f"acceptance below {abc['min_acceptance']:g}",
                       "budget": f"the budget of {abc['max_runs']:,} runs is spent",
                       "failures": "too many failed runs"}[stop] + "; stopping")
                break
            new = pd.concat(accepted, ignore_index=True).iloc[:N].copy()
            if population is None:
                new["weight"] = 1.0 / N
            else:
                new["weight"] = importance_weights(new[units].to_numpy(), U_prev, w_prev, cov)
            new["generation"] = t
            new["epsilon"] = eps
            path = out / "populations" / f"g{t:02d}.parquet"
            path.parent.mkdir(parents=True, exist_ok=True)
            with meta.atomic_path(path) as tmp:
                new.to_parquet(tmp, index=False)
            population = new
            ess = effective_size(new["weight"])
            gens.append({"generation": t, "epsilon": eps, "proposals": evaluated, "accepted": n_acc,
                         "acceptance": n_acc / evaluated, "ess": ess, "complete": True, "runs": evaluated * per_set})
            eps_reached = eps
            say(f"generation {t}: tolerance {eps:.3f}, {N} accepted of {evaluated} proposed "
                f"({100 * n_acc / evaluated:.0f}%), effective size {ess:.0f}, largest miss in the population "
                f"{new['distance'].max():.3f}")
            if eps <= abc["final_epsilon"]:
                status = "reached"
                break
            if total_runs >= abc["max_runs"]:
                status = "budget"
                break
        if population is None:
            raise RuntimeError("the first generation could not be completed")
        # the posterior predictive: every posterior set once more, with new seeds
        U_post = population[units].to_numpy()
        pred = evaluate(PREDICTIVE, 0, U_post, base_seeds(problem.seed, PREDICTIVE, 0, len(U_post)),
                        "posterior predictive")
        pred["weight"] = population["weight"].to_numpy()
    finally:
        executor.close()

    posterior = population[["set", "generation", "weight", *params, *names, "distance"]].reset_index(drop=True)
    verdicts = _verdicts(problem.targets, pred, posterior)
    generations = pd.DataFrame(gens)
    result = Calibration(out, posterior, pred, verdicts, generations, status, eps_reached, total_runs, params,
                         problem.priors)
    _write_results(result, problem, record, kept, ran, planned, say)
    return result


def _verdicts(targets: list[Target], pred: pd.DataFrame, posterior: pd.DataFrame) -> pd.DataFrame:
    """Each target: its range, the posterior predictive mean and interval, the share inside, met or not.

    A target is met when the posterior predictive mean lies inside its range; otherwise the model, under
    every parameter set the other targets allow, misses it, and it is reported unmet, not fitted."""
    rows = []
    w = pred["weight"].to_numpy()
    for t in targets:
        s = pred[t.name].to_numpy()
        ok = np.isfinite(s)
        ww = w[ok] / w[ok].sum() if ok.any() else w[ok]
        mean = float(ww @ s[ok]) if ok.any() else float("nan")
        lo = weighted_quantile(s[ok], ww, INTERVAL[0]) if ok.any() else float("nan")
        hi = weighted_quantile(s[ok], ww, INTERVAL[1]) if ok.any() else float("nan")
        inside = float(ww @ ((s[ok] >= t.low) & (s[ok] <= t.high))) if ok.any() else 0.0
        rows.append({"target": t.name, "statistic": t.stat.kind, "arguments": json.dumps(dict(t.stat.args)),
                     "low": t.low, "high": t.high, "predictive_mean": mean, "predictive_low": lo,
                     "predictive_high": hi, "share_inside": inside,
                     "met": bool(np.isfinite(mean) and t.low <= mean <= t.high), "source": t.source})
    return pd.DataFrame(rows)


def _fingerprint(problem: Problem) -> str:
    import hashlib

    text = json.dumps({"record": problem.record, "priors": [vars(q) for q in problem.priors],
                       "targets": [(t.name, t.low, t.high, t.stat.kind, t.stat.args) for t in problem.targets],
                       "abc": problem.abc, "seed": problem.seed,
                       "simulator": repr(type(problem.simulator).__qualname__)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _prepare(out: Path, resume: bool, fingerprint: str) -> None:
    previous = out / "metadata.json"
    if previous.exists():
        try:
            old = json.loads(previous.read_text())
        except (OSError, ValueError):
            old = {}
        if not resume:
            raise ScenarioError(out, None, "already holds results: pass --resume to go on with them, or choose "
                                "another folder")
        if old.get("kind") != "calibration" or old.get("fingerprint") != fingerprint:
            raise ScenarioError(out, None, "holds the results of another calibration (or another targets file); "
                                "--resume needs the same one")
    elif resume and out.exists() and any(p.name != lock.LOCK_NAME for p in out.iterdir()):
        raise ScenarioError(out, None, "holds files but no calibration's metadata.json: nothing to resume")
    out.mkdir(parents=True, exist_ok=True)


def _write_results(result: Calibration, problem: Problem, record: dict, kept: int, ran: int, planned: list[Path],
                   say: Callable[[str], None]) -> None:
    out = result.out_dir
    meta.write_table(result.posterior, out / "posterior", ("csv", "parquet"))
    meta.write_table(result.targets, out / "targets", ("csv",))
    meta.write_table(result.generations, out / "generations", ("csv",))
    wanted = set(planned)
    for stray in sorted(p for p in (out / "evaluations").iterdir() if p not in wanted):
        say(f"evaluations/{stray.name}: no chunk of this calibration; moved aside to "
            f"{chunks.set_aside(stray, out).relative_to(out)}")
    table = pd.concat([pd.read_parquet(f) for f in planned], ignore_index=True)
    with meta.atomic_path(out / "evaluations.parquet") as tmp:
        table.to_parquet(tmp, index=False)
    record.update({
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": result.status, "epsilon": result.epsilon, "runs": result.runs, "chunks_kept": kept,
        "chunks_run": ran, "evaluations": len(table), "posterior_sets": len(result.posterior),
        "effective_size": effective_size(result.posterior["weight"]),
        "targets_met": {r["target"]: r["met"] for r in result.targets.to_dict("records")},
        "evaluations_sha256": chunks.digest(table),
    })
    meta.write_json(out / "metadata.json", record)


def export_ensemble(result: Calibration, path: str | Path, record: dict[str, Any] | None = None) -> Path:
    """Write the posterior as an ensemble file (``cisim.experiments.ensemble``) with what it was fitted to."""
    info = dict(record or json.loads((result.out_dir / "metadata.json").read_text()))
    keep = {k: info.get(k) for k in ("targets", "priors", "target_ranges", "abc", "seed", "replicates", "months",
                                      "status", "epsilon", "runs", "effective_size", "versions", "finished")}
    keep["targets_met"] = {r["target"]: r["met"] for r in result.targets.to_dict("records")}
    keep["predictive"] = result.targets.to_dict("records")
    return write_ensemble(path, result.parameters, result.posterior[result.parameters].to_numpy(),
                          result.posterior["weight"].to_numpy(), keep)


def best_set(targets: str | Path | TargetsFile, posterior: pd.DataFrame, replicates: int = 32, candidates: int = 60,
             seed: int = 1) -> tuple[pd.Series, pd.DataFrame]:
    """The posterior set that misses the targets least with ``replicates`` runs per role (seed noise averaged
    out), among the ``candidates`` sets of highest weight: a single named set for defaults, where the
    marginal medians of a correlated posterior need not fit at all.  Returns it and every candidate's score."""
    tf = targets if isinstance(targets, TargetsFile) else load_targets(targets)
    tf.replicates = replicates
    sim = tf.simulator()
    pool = posterior.sort_values("weight", ascending=False, kind="stable").head(candidates).reset_index(drop=True)
    stats = sim.simulate(pool[tf.parameters].to_numpy(), np.full(len(pool), seed, dtype=np.int64))
    names = [t.name for t in tf.targets]
    scored = pool[["set", "weight", *tf.parameters]].copy()
    for j, n in enumerate(names):
        scored[n] = stats[:, j]
    scored["distance"] = distances(stats, tf.targets)
    scored["inside"] = (misses(stats, tf.targets) == 0).sum(axis=1)
    scored = scored.sort_values(["distance", "weight"], ascending=[True, False], kind="stable")
    return scored.iloc[0], scored
