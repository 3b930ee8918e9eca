"""The calibration's code path on models whose posterior is known, and on targets no parameter can meet."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from cisim.experiments.calibration import Problem, calibrate, distances, weighted_quantile
from cisim.experiments.evidence_stats import StatSpec
from cisim.experiments.targets import Prior, Target


@dataclass(frozen=True)
class Gauss:
    """The mean of ``n`` draws from N(mu, 1), and their variance: a model whose posterior is known."""

    n: int = 10
    names: tuple[str, ...] = ("mean",)

    runs_per_set = 1

    def simulate(self, values: np.ndarray, base_seeds: np.ndarray) -> np.ndarray:
        out = np.empty((len(values), len(self.names)))
        for i, (v, s) in enumerate(zip(values, base_seeds)):
            x = np.random.default_rng(int(s)).normal(v[0], 1.0, self.n)
            stats = {"mean": x.mean(), "variance": x.var(ddof=1)}
            out[i] = [stats[k] for k in self.names]
        return out


def _target(name: str, low: float, high: float) -> Target:
    return Target(name, StatSpec(name, "toy", ()), low, high)


def _problem(targets, names=("mean",), population=400, **abc) -> Problem:
    settings = {"population": population, "generations": 12, "quantile": 0.5, "min_acceptance": 0.01,
                "max_runs": 10**7, "final_epsilon": 0.0, "chunk_sets": 250, **abc}
    return Problem([Prior("mu", -5.0, 5.0)], targets, Gauss(names=names), 7, settings)


def _posterior_cdf(mu: np.ndarray, a: float, b: float, n: int) -> np.ndarray:
    """CDF of mu given a uniform prior on [-5, 5] and a sample mean observed inside [a, b]."""
    grid = np.linspace(-5, 5, 20001)
    dens = norm.cdf((b - grid) * math.sqrt(n)) - norm.cdf((a - grid) * math.sqrt(n))
    cdf = np.cumsum(dens)
    return np.interp(mu, grid, cdf / cdf[-1])


@pytest.fixture(scope="module")
def gauss_fit(tmp_path_factory):
    out = tmp_path_factory.mktemp("gauss")
    return calibrate(_problem([_target("mean", 0.5, 1.5)]), out, workers=1, progress=False), out


def test_recovers_a_known_posterior(gauss_fit):
    fit, _ = gauss_fit
    assert fit.status == "reached" and fit.epsilon == 0.0 and fit.met
    mu, w = fit.posterior["mu"].to_numpy(), fit.posterior["weight"].to_numpy()
    mean = w @ mu
    sd = math.sqrt(w @ (mu - mean) ** 2)
    # analytic: a uniform window of width 1 convolved with N(0, 1/10): mean 1, sd sqrt(1/12 + 1/10)
    assert abs(mean - 1.0) < 0.06
    assert abs(sd - math.sqrt(1 / 12 + 1 / 10)) < 0.05
    order = np.argsort(mu)
    ecdf = np.cumsum(w[order])
    ks = np.max(np.abs(ecdf - _posterior_cdf(mu[order], 0.5, 1.5, 10)))
    assert ks < 0.08
    # every accepted set meets the target, and the predictive check says so
    assert (fit.posterior["distance"] == 0.0).all()
    assert fit.targets.loc[0, "met"] and 0.5 <= fit.targets.loc[0, "predictive_mean"] <= 1.5


def test_a_wrong_sampler_would_fail_the_check(gauss_fit):
    """The checks above can fail: the prior (no fit at all) is far from the posterior."""
    prior = np.sort(np.random.default_rng(0).uniform(-5, 5, 400))
    ks = np.max(np.abs(np.arange(1, 401) / 400 - _posterior_cdf(prior, 0.5, 1.5, 10)))
    assert ks > 0.3


def test_results_folder_is_complete_and_tidy(gauss_fit):
    fit, out = gauss_fit
    for name in ("posterior.csv", "posterior.parquet", "targets.csv", "generations.csv", "evaluations.parquet",
                 "metadata.json"):
        assert (out / name).is_file(), name
    evals = pd.read_parquet(out / "evaluations.parquet")
    assert {"generation", "round", "set", "seed", "unit:mu", "mu", "mean", "distance", "status"} <= set(evals)
    gens = pd.read_csv(out / "generations.csv")
    assert gens["epsilon"].is_monotonic_decreasing and gens["epsilon"].iloc[-1] == 0.0
    assert abs(fit.posterior["weight"].sum() - 1) < 1e-12


def test_same_seed_same_posterior_and_resume_redoes_nothing(gauss_fit, tmp_path):
    fit, out = gauss_fit
    again = calibrate(_problem([_target("mean", 0.5, 1.5)]), tmp_path / "again", workers=1, progress=False)
    pd.testing.assert_frame_equal(again.posterior, fit.posterior)
    # interrupted after a few chunks, then resumed: the same posterior, finished chunks kept
    seen = []

    class Stop(Exception):
        pass

    def stop_after(path):
        seen.append(path)
        if len(seen) == 5:
            raise Stop

    with pytest.raises(Stop):
        calibrate(_problem([_target("mean", 0.5, 1.5)]), tmp_path / "cut", workers=1, progress=False,
                  on_chunk=stop_after)
    ran = []
    resumed = calibrate(_problem([_target("mean", 0.5, 1.5)]), tmp_path / "cut", workers=1, progress=False,
                        resume=True, on_chunk=ran.append)
    pd.testing.assert_frame_equal(resumed.posterior, fit.posterior)
    assert not {p.name for p in ran} & {p.name for p in seen}


def test_a_corrupt_chunk_is_run_again(gauss_fit, tmp_path):
    fit, _ = gauss_fit
    out = tmp_path / "c"
    calibrate(_problem([_target("mean", 0.5, 1.5)]), out, workers=1, progress=False)
    victim = sorted((out / "evaluations").glob("g01*.parquet"))[0]
    victim.write_bytes(b"not parquet")
    lines = []
    resumed = calibrate(_problem([_target("mean", 0.5, 1.5)]), out, workers=1, progress=False, resume=True,
                        log=lines.append)
    pd.testing.assert_frame_equal(resumed.posterior, fit.posterior)
    assert any(victim.name in line and "moved aside" in line for line in lines)


def test_swapped_copied_and_stray_chunks_are_set_aside(gauss_fit, tmp_path):
    """A chunk copied under another chunk's name (of another round) and a stray copy: neither is trusted, and the
    resumed calibration's evaluations equal an uninterrupted one's exactly."""
    import shutil

    fit, _ = gauss_fit
    out = tmp_path / "s"
    first = calibrate(_problem([_target("mean", 0.5, 1.5)]), out, workers=1, progress=False)
    evaluations = pd.read_parquet(out / "evaluations.parquet")
    g0, g1 = sorted((out / "evaluations").glob("g00*.parquet"))[0], sorted((out / "evaluations").glob("g01*"))[0]
    shutil.copyfile(g0, g1)  # misnamed: another round's sets
    shutil.copyfile(g0, out / "evaluations" / "g00r000c0000 (copy).parquet")
    lines = []
    resumed = calibrate(_problem([_target("mean", 0.5, 1.5)]), out, workers=1, progress=False, resume=True,
                        log=lines.append)
    pd.testing.assert_frame_equal(resumed.posterior, first.posterior)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "evaluations.parquet"), evaluations)
    assert any(g1.name in line and "misnamed copy" in line for line in lines), lines
    assert any("(copy)" in line and "moved aside" in line for line in lines), lines
    assert len(list((out / "rejected").iterdir())) == 2
    # and a report refuses its evaluations once they are changed
    from cli_call import call

    evaluations.loc[0, "distance"] += 1.0
    evaluations.to_parquet(out / "evaluations.parquet", index=False)
    status, stdout, stderr = call(["report", "discover", str(out), "--where", "distance < 1", "--inputs", "mu"])
    assert status == 2 and "does not match its checksum" in stderr and len(stderr.strip().splitlines()) == 1


def test_an_unreachable_target_is_reported_unmet(tmp_path):
    """A sample mean of 20 is out of reach for mu in [-5, 5]: the fit stops and says the target is unmet."""
    fit = calibrate(_problem([_target("mean", 20.0, 21.0)], population=100, min_acceptance=0.05), tmp_path,
                    workers=1, progress=False)
    assert fit.status == "acceptance" and fit.epsilon > 0
    assert not fit.met and not fit.targets.loc[0, "met"]
    # and the posterior leans to the edge nearest the target, as it should
    assert fit.posterior["mu"].min() > 3


def test_only_the_unmeetable_target_is_unmet(tmp_path):
    """Two targets, one within reach (the mean) and one out of it (a variance of 5 to 6 from unit noise)."""
    fit = calibrate(_problem([_target("mean", 0.0, 2.0), _target("variance", 5.0, 6.0)], names=("mean", "variance"),
                             population=100, min_acceptance=0.05), tmp_path, workers=1, progress=False)
    verdict = fit.targets.set_index("target")["met"]
    assert fit.status != "reached"
    assert verdict["mean"] and not verdict["variance"]


def test_distance_and_quantile():
    t = [_target("a", 0, 2), _target("b", 10, 20)]
    d = distances(np.array([[1.0, 15.0], [3.0, 15.0], [1.0, 30.0], [4.0, 30.0], [np.nan, 15.0]]), t)
    assert d[0] == 0 and d[1] == 1 and d[2] == 2 and d[3] == 4 and np.isnan(d[4])
    assert weighted_quantile(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 1.0]), 0.5) == 2.0
