"""Sensitivity analysis of a stochastic model: the Ishigami function stands in for the model.

Every check runs the same path an analysis of cisim runs (make_design, runs with derived
seeds, one "model run" per row, analyze), with the model replaced by the Ishigami
function (a = 7, b = 0.1), with and without run-to-run noise drawn from each run's seed.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from cisim.experiments import sensitivity as sa
from cisim.interfaces import sensitivity_plots as sp

EXACT = sa.ishigami_indices()
V = sa.ishigami_variance()
TOL = 0.05  # index error accepted (the bootstrap half-widths at these sizes are 0.01 to 0.05)
SD = 2.0  # noise sd: 22% of a single run's variance, enough to inflate one-run total indices by 0.1 to 0.17
FACTORS = ["x1", "x2", "x3"]


def noise(seeds: np.ndarray, sd: float) -> np.ndarray:
    """Gaussian noise that depends only on each run's seed (the seeds are uniform 63-bit hashes)."""
    return sd * norm.ppf((np.asarray(seeds, dtype=np.float64) + 0.5) / 2.0**63)


def run_ishigami(design: sa.Design, replicates: int, sd: float = 0.0, **kw) -> pd.DataFrame:
    """The runs table of ``design`` with each run's Ishigami output (plus seeded noise) in column ``y``."""
    runs = design.runs(replicates)
    runs["y"] = sa.ishigami(runs, **kw) + (noise(runs["seed"], sd) if sd else 0.0)
    return runs


def values(result: sa.SensitivityResult, index: str, output: str = "y") -> pd.Series:
    return result.table(output, index).set_index("factor")["value"]


@pytest.fixture(scope="module")
def sobol_design() -> sa.Design:
    return sa.make_design(sa.ISHIGAMI_FACTORS, "sobol", 4096, seed=1)


@pytest.fixture(scope="module")
def clean(sobol_design):
    return sa.analyze(sobol_design, run_ishigami(sobol_design, 1), bootstrap=200)


@pytest.fixture(scope="module")
def noisy_one(sobol_design):
    with pytest.warns(sa.NoiseWarning, match="dummy factor's ST is 0.2"):
        return sa.analyze(sobol_design, run_ishigami(sobol_design, 1, SD), bootstrap=200)


@pytest.fixture(scope="module")
def noisy_many(sobol_design):
    return sa.analyze(sobol_design, run_ishigami(sobol_design, 16, SD), bootstrap=200)


# ---------------------------------------------------------------- the analytic reference


def test_ishigami_reference_values():
    assert V == pytest.approx(13.8446, abs=1e-4)
    assert EXACT["S1"].tolist() == pytest.approx([0.3139, 0.4424, 0.0], abs=1e-4)
    assert EXACT["ST"].tolist() == pytest.approx([0.5576, 0.4424, 0.2437], abs=1e-4)
    x = np.random.default_rng(0).uniform(-np.pi, np.pi, (400_000, 3))
    assert np.var(sa.ishigami(x)) == pytest.approx(V, rel=0.01)


# ---------------------------------------------------------------- Sobol': recovering the indices


def test_sobol_recovers_ishigami_without_noise(clean):
    for ix in ("S1", "ST"):
        err = values(clean, ix)[FACTORS] - EXACT[ix]
        assert err.abs().max() < 0.02, (ix, err.round(4).to_dict())
        rows = clean.table("y", ix).set_index("factor").loc[FACTORS]
        assert ((rows["conf_low"] <= EXACT[ix]) & (EXACT[ix] <= rows["conf_high"])).all(), ix
    # the model ignores the dummy: its indices are exactly zero without noise
    assert abs(values(clean, "ST")[sa.DUMMY]) < 0.02 and abs(values(clean, "S1")[sa.DUMMY]) < 0.02
    above = clean.table("y").set_index(["factor", "index"])["above_noise"]
    assert above[("x1", "S1")] and above[("x2", "S1")] and above[("x3", "ST")]
    assert not above[("x3", "S1")]  # x3 has no first-order effect
    assert pd.isna(above[(sa.DUMMY, "ST")])
    noise_row = clean.noise.iloc[0]
    assert noise_row["replicates"] == 1 and np.isnan(noise_row["noise_share"]) and "one run" in noise_row["message"]


def test_one_noisy_run_per_point_inflates_total_indices(noisy_one):
    """The problem the replicates solve: with one noisy run per row, ST reads high and S1 low."""
    st, s1 = values(noisy_one, "ST"), values(noisy_one, "S1")
    err = st[FACTORS] - EXACT["ST"]
    assert (err > 0.05).all() and err.max() > 0.1, err.round(3).to_dict()
    assert (s1[["x1", "x2"]] - EXACT["S1"][["x1", "x2"]] < -0.04).all()
    # the dummy measures the noise: its ST is the noise share of one run, sd^2 / (V + sd^2)
    d = st[sa.DUMMY]
    assert d == pytest.approx(SD**2 / (V + SD**2), abs=0.02)
    # and predicts the inflation: ST_hat = ST + d (1 - ST)
    predicted = EXACT["ST"] + d * (1 - EXACT["ST"])
    assert (st[FACTORS] - predicted).abs().max() < 0.03
    row = noisy_one.noise.iloc[0]
    assert row["noise_floor"] == pytest.approx(d) and row["noise_warning"] and np.isnan(row["noise_share"])


def test_replicate_means_recover_ishigami_with_noise(noisy_many, noisy_one, clean, sobol_design):
    for ix in ("S1", "ST"):
        err = values(noisy_many, ix)[FACTORS] - EXACT[ix]
        assert err.abs().max() < TOL, (ix, err.round(4).to_dict())
    row = noisy_many.noise.iloc[0]
    assert row["replicates"] == 16 and row["runs"] == 16 * sobol_design.n_points
    assert row["noise_share"] == pytest.approx(SD**2 / (V + SD**2), abs=0.01)
    share_mean = SD**2 / 16 / (V + SD**2 / 16)
    assert row["noise_share_of_mean"] == pytest.approx(share_mean, rel=0.1)
    assert not row["noise_warning"]
    # the noise floor: near zero without noise, larger with it, smaller with more replicates
    d_many = values(noisy_many, "ST")[sa.DUMMY]
    assert d_many == pytest.approx(share_mean, abs=0.01)
    assert values(clean, "ST")[sa.DUMMY] < d_many < values(noisy_one, "ST")[sa.DUMMY]
    assert noisy_many.table("y", "ST").query("factor in @FACTORS")["above_noise"].all()


def test_noise_warning_when_noise_dominates_the_means():
    design = sa.make_design(sa.ISHIGAMI_FACTORS, "sobol", 256, seed=2)
    runs = run_ishigami(design, 2, sd=4.0)
    with pytest.warns(sa.NoiseWarning, match="replicates per point would bring it under"):
        res = sa.analyze(design, runs, bootstrap=50, convergence=False)
    row = res.noise.iloc[0]
    expected = 16 / 2 / (V + 16 / 2)
    assert row["noise_warning"] and row["noise_share_of_mean"] == pytest.approx(expected, abs=0.06)
    assert res.indices["noise_warning"].all()
    # the same noise with many replicates passes quietly
    with warnings.catch_warnings():
        warnings.simplefilter("error", sa.NoiseWarning)
        res = sa.analyze(design, run_ishigami(design, 64, sd=4.0), bootstrap=50, convergence=False)
    assert not res.noise.iloc[0]["noise_warning"]


# ---------------------------------------------------------------- convergence


def test_convergence_rows_and_flags(clean, sobol_design):
    conv = clean.convergence
    assert sorted(conv["n"].unique()) == [1024, 2048, 4096]
    assert len(conv) == 3 * 2 * 4  # sizes x (S1, ST) x (3 factors + dummy)
    full = conv[conv["n"] == 4096].set_index(["factor", "index"])["value"]
    assert full.to_dict() == clean.indices.set_index(["factor", "index"])["value"].to_dict()
    assert clean.indices["converged"].all()
    assert sobol_design.rows_for(1024) == 1024 * 6  # base rows come first: A, AB_1..AB_k, B per base row


def test_tiny_design_is_not_converged():
    design = sa.make_design(sa.ISHIGAMI_FACTORS, "sobol", 16, seed=5)
    with pytest.warns(sa.NoiseWarning):
        res = sa.analyze(design, run_ishigami(design, 1, SD), bootstrap=50)
    assert sorted(res.convergence["n"].unique()) == [4, 8, 16]
    assert not res.indices["converged"].all()
    assert res.indices["converged"].notna().all()


# ---------------------------------------------------------------- the other methods


def test_morris_screens_ishigami():
    design = sa.make_design(sa.ISHIGAMI_FACTORS, "morris", 64, seed=3)
    assert design.n_points == 64 * 5
    clean = sa.analyze(design, run_ishigami(design, 1), bootstrap=200)
    mu, sigma = values(clean, "mu_star"), values(clean, "sigma")
    assert mu[sa.DUMMY] == 0 and sigma[sa.DUMMY] == 0
    assert mu["x1"] > 5 and mu["x2"] > 5 and mu["x3"] > 1
    assert sigma["x3"] > mu["x3"]  # x3 acts only through its interaction with x1
    assert clean.table("y", "mu_star").query("factor in @FACTORS")["above_noise"].all()
    noisy = sa.analyze(design, run_ishigami(design, 4, SD), bootstrap=200)
    floor = values(noisy, "mu_star")[sa.DUMMY]
    assert floor > 0.5 and values(noisy, "mu_star")[["x1", "x2"]].min() > 3 * floor
    assert sorted(noisy.convergence["n"].unique()) == [16, 32, 64]


def test_efast_recovers_ishigami():
    design = sa.make_design(sa.ISHIGAMI_FACTORS, "efast", 1024, seed=3)
    assert design.n_points == 1024 * 4
    res = sa.analyze(design, run_ishigami(design, 1), bootstrap=100)
    for ix in ("S1", "ST"):
        err = values(res, ix)[FACTORS] - EXACT[ix]
        assert err.abs().max() < 0.03, (ix, err.round(4).to_dict())
    assert values(res, "ST")[sa.DUMMY] < 0.05
    # search curves cannot be shortened: no convergence for eFAST
    assert res.convergence.empty and res.indices["converged"].isna().all()
    with pytest.raises(ValueError, match="cannot be cut short"):
        design.rows_for(512)


def test_rbd_fast_recovers_first_order():
    design = sa.make_design(sa.ISHIGAMI_FACTORS, "rbd_fast", 2048, seed=3)
    res = sa.analyze(design, run_ishigami(design, 1), bootstrap=100)
    err = values(res, "S1")[FACTORS] - EXACT["S1"]
    assert err.abs().max() < 0.04, err.round(4).to_dict()
    assert abs(values(res, "S1")[sa.DUMMY]) < 0.03
    assert sorted(res.convergence["n"].unique()) == [512, 1024, 2048]


@pytest.mark.parametrize(("method", "n", "index"), [("pawn", 512, "PAWN"), ("delta", 1024, "delta")])
def test_moment_independent_methods_rank_above_the_dummy(method, n, index):
    design = sa.make_design(sa.ISHIGAMI_FACTORS, method, n, seed=3)
    res = sa.analyze(design, run_ishigami(design, 1), bootstrap=10, convergence=False)
    v = values(res, index)
    assert v["x2"] > v[sa.DUMMY] and v["x1"] > v[sa.DUMMY]
    assert res.table("y", index).set_index("factor").loc[["x1", "x2"], "above_noise"].all()
    assert res.table("y", index)["conf_high"].gt(res.table("y", index)["conf_low"]).all()


def test_analysers_leave_global_state_alone():
    """SALib's fast, pawn and delta reseed numpy's global RNG; delta rewrites the warning filters."""
    np.random.seed(123)
    before = np.random.get_state()[1].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # SALib delta's notes on its binning, re-issued
        filters, fmt = list(warnings.filters), warnings.formatwarning
        for method, n in (("efast", 128), ("pawn", 100), ("delta", 200)):
            design = sa.make_design(sa.ISHIGAMI_FACTORS, method, n, seed=3)
            sa.analyze(design, run_ishigami(design, 1), bootstrap=5, convergence=False)
        assert warnings.filters == filters and warnings.formatwarning is fmt
    assert np.array_equal(np.random.get_state()[1], before)


# ---------------------------------------------------------------- designs, seeds, inputs


def test_designs_follow_salib_layouts_and_are_deterministic():
    f = sa.ISHIGAMI_FACTORS
    d = sa.make_design(f, "sobol", 64, seed=9)
    assert d.X.shape == (64 * 6, 4) and d.names == [*FACTORS, sa.DUMMY]
    assert d.problem.samples is not None and np.array_equal(d.problem.samples, d.X)
    assert np.array_equal(d.X, sa.make_design(f, "sobol", 64, seed=9).X)
    assert not np.array_equal(d.X, sa.make_design(f, "sobol", 64, seed=10).X)
    d2 = sa.make_design(f, "sobol", 64, seed=9, second_order=True)
    assert d2.X.shape == (64 * 10, 4) and d2.rows_for(16) == 160
    assert sa.make_design(f, "sobol", 64, seed=9, dummy=False).X.shape == (64 * 5, 3)
    assert sa.make_design(f, "rbd_fast", 100, seed=9).X.shape == (100, 4)
    pts = d.points()
    assert list(pts.columns) == FACTORS and len(pts) == d.n_points
    assert list(d.points(include_dummy=True).columns) == [*FACTORS, sa.DUMMY]
    assert pts.abs().max().max() <= np.pi


def test_integer_and_non_uniform_factors():
    size = sa.Factor("coalition.size", (5, 40), integer=True)
    share = sa.Factor("backbone.budget_share", (0.1, 0.02), dist="norm")
    d = sa.make_design([size, share], "rbd_fast", 360, seed=1)
    pts = d.points()
    assert pts["coalition.size"].dtype == np.int64
    counts = pts["coalition.size"].value_counts()
    assert sorted(counts.index) == list(range(5, 41)) and (counts == 10).all()  # each whole number equally often
    assert pts["backbone.budget_share"].mean() == pytest.approx(0.1, abs=0.005)
    assert pts["backbone.budget_share"].std() == pytest.approx(0.02, rel=0.15)
    parsed = sa.factors_from_spec({"a.b": [0, 1], "c": {"bounds": [1, 5], "integer": True},
                                   "d": {"bounds": [0, 10, 0.5], "dist": "triang"}})
    assert parsed == [sa.Factor("a.b", (0, 1)), sa.Factor("c", (1, 5), integer=True),
                      sa.Factor("d", (0, 10, 0.5), "triang")]


def test_design_errors():
    f = sa.ISHIGAMI_FACTORS
    with pytest.raises(ValueError, match=r"power of two, got N=1000"):
        sa.make_design(f, "sobol", 1000, seed=1)
    with pytest.raises(ValueError, match="unknown sensitivity method 'saltelli'"):
        sa.make_design(f, "saltelli", 64, seed=1)
    with pytest.raises(ValueError, match="low must be less than high"):
        sa.Factor("x", (1.0, 0.0))
    with pytest.raises(ValueError, match="sd must be positive"):
        sa.Factor("x", (0.0, -1.0), dist="norm")
    with pytest.raises(ValueError, match="triang needs 3 bounds"):
        sa.Factor("x", (0.0, 1.0), dist="triang")
    with pytest.raises(ValueError, match="whole numbers"):
        sa.Factor("coalition.size", (4.5, 10), integer=True)
    with pytest.raises(ValueError, match="unknown distribution"):
        sa.Factor("x", (0.0, 1.0), dist="cauchy")
    with pytest.raises(ValueError, match="dummy"):
        sa.make_design([sa.Factor("dummy", (0, 1)), *f], "sobol", 64, seed=1)
    with pytest.raises(ValueError, match="repeated: x1"):
        sa.make_design([f[0], f[0]], "sobol", 64, seed=1)
    with pytest.raises(TypeError, match="unknown option"):
        sa.make_design(f, "sobol", 64, seed=1, num_levels=4)
    with pytest.raises(ValueError, match="Sobol' only"):
        sa.make_design(f, "morris", 10, seed=1, second_order=True)
    with pytest.raises(ValueError, match="infinite"):
        sa.make_design([sa.Factor("x", (0, 1), dist="norm"), *f], "morris", 10, seed=1)
    with pytest.raises(ValueError, match="N >= 65"):
        sa.make_design(f, "efast", 64, seed=1)


def test_replicate_seeds_are_distinct_and_deterministic():
    s = sa.replicate_seeds(11, 3000, 8)
    assert s.shape == (3000, 8) and s.dtype == np.int64 and (s >= 0).all()
    assert len(np.unique(s)) == s.size
    assert np.array_equal(s, sa.replicate_seeds(11, 3000, 8))
    assert np.array_equal(sa.replicate_seeds(11, 3000, 3), s[:, :3])  # more replicates keep the earlier seeds
    assert not np.intersect1d(sa.replicate_seeds(12, 3000, 8), s).size
    design = sa.make_design(sa.ISHIGAMI_FACTORS, "sobol", 8, seed=11)
    runs = design.runs(2)
    assert np.array_equal(runs["seed"].to_numpy().reshape(-1, 2), design.seeds(2))
    # the rows of one Sobol' base row (A, AB_1..AB_4, B) never share a seed
    assert len(np.unique(design.seeds(2)[:6])) == 12


def test_outputs_in_every_accepted_shape():
    design = sa.make_design(sa.ISHIGAMI_FACTORS, "rbd_fast", 200, seed=4)
    runs = run_ishigami(design, 3, SD)
    runs["z"] = -runs["y"]
    y = runs["y"].to_numpy().reshape(-1, 3)
    kw = {"bootstrap": 10, "convergence": False}
    ref = sa.analyze(design, runs, outputs=["y"], **kw).indices
    for Y, outs in ((y, ["y"]), ({"y": y}, None), (y[:, :, None], ["y"])):
        got = sa.analyze(design, Y, outputs=outs, **kw).indices
        pd.testing.assert_frame_equal(got, ref)
    both = sa.analyze(design, runs, **kw)  # every numeric column that is not a factor, point, replicate or seed
    assert both.outputs == ["y", "z"] and set(both.noise["output"]) == {"y", "z"}
    # missing runs are allowed; a point with none is not
    runs.loc[runs.index[:2], "y"] = np.nan
    sa.analyze(design, runs, outputs=["y"], **kw)
    with pytest.raises(ValueError, match="1 design point"):
        sa.analyze(design, runs.drop(index=runs.index[:3]), outputs=["y"], **kw)
    with pytest.raises(ValueError, match="shape"):
        sa.analyze(design, y[:-1], **kw)


def test_time_resolved_indices_follow_the_changing_model():
    design = sa.make_design(sa.ISHIGAMI_FACTORS, "sobol", 1024, seed=6)
    pts = design.points()
    years = {t: sa.ishigami(pts, a=7.0 * t / 5) for t in range(1, 6)}
    res = sa.analyze_over_time(design, years, outputs=["outcome"], bootstrap=50, convergence=False)
    assert res.times == [1, 2, 3, 4, 5] and list(res.indices.columns[:2]) == ["time", "output"]
    for t in res.times:
        got = res.table("outcome", "S1", time=t).set_index("factor")["value"][FACTORS]
        assert (got - sa.ishigami_indices(a=7.0 * t / 5)["S1"]).abs().max() < TOL
    # the same from one long table with a time column
    long = pd.concat([pd.DataFrame({"time": t, "point": np.arange(len(pts)), "outcome": y}) for t, y in years.items()])
    res2 = sa.analyze_over_time(design, long, bootstrap=50, convergence=False)
    pd.testing.assert_frame_equal(res2.indices, res.indices)


# ---------------------------------------------------------------- files and figures


def test_tables_written_atomically(tmp_path, clean):
    written = clean.to_files(tmp_path / "out", "ishigami")
    names = sorted(p.name for p in written)
    assert names == sorted(f"ishigami_{t}.{x}" for t in ("indices", "noise", "convergence") for x in ("csv", "parquet"))
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == names  # no temporary files left
    back = pd.read_parquet(tmp_path / "out" / "ishigami_indices.parquet")
    pd.testing.assert_frame_equal(back, clean.indices, check_dtype=False)
    assert list(pd.read_csv(tmp_path / "out" / "ishigami_noise.csv").columns)[:3] == ["output", "replicates", "runs"]


def _gids(ax) -> set[str]:
    return {a.get_gid() for a in ax.get_children() if a.get_gid()}


def test_index_bars_with_noise_floor(tmp_path, noisy_one):
    fig = sp.plot_indices(noisy_one, path=tmp_path / "bars", formats=("png", "svg"))
    axes = fig.axes
    assert len(axes) == 2 and [a.get_title(loc="left") for a in axes] == ["First order (S1)", "Total order (ST)"]
    for ax in axes:
        bars = ax.containers[0]
        assert len(bars) == 3  # the three model factors; the dummy is the floor, not a bar
        assert {"noise_floor", "noise_floor_band"} <= _gids(ax)
    st_ax = axes[1]
    labels = [t.get_text() for t in st_ax.get_yticklabels()]
    assert labels == ["x3", "x2", "x1"]  # sorted by total effect, largest on top
    floor = next(a for a in st_ax.get_lines() if a.get_gid() == "noise_floor")
    assert floor.get_xdata()[0] == pytest.approx(values(noisy_one, "ST")[sa.DUMMY])
    assert (tmp_path / "bars.png").stat().st_size > 0 and (tmp_path / "bars.svg").stat().st_size > 0


def test_morris_plot(tmp_path):
    design = sa.make_design(sa.ISHIGAMI_FACTORS, "morris", 16, seed=3)
    res = sa.analyze(design, run_ishigami(design, 2, SD), bootstrap=50)
    fig = sp.plot_morris(res, path=tmp_path / "morris", formats=("png",))
    (ax,) = fig.axes
    assert {"guide_0.1", "guide_0.5", "guide_1", "dummy", "factors", "noise_floor"} <= _gids(ax)
    pts = next(c for c in ax.collections if c.get_gid() == "factors")
    assert len(pts.get_offsets()) == 3
    assert (tmp_path / "morris.png").exists()
    with pytest.raises(ValueError, match="needs a Morris analysis"):
        sp.plot_morris(sa.analyze(sa.make_design(sa.ISHIGAMI_FACTORS, "sobol", 8, seed=1),
                                  sa.ishigami(sa.make_design(sa.ISHIGAMI_FACTORS, "sobol", 8, seed=1).points()),
                                  bootstrap=10))


def test_convergence_plot(tmp_path, clean):
    fig = sp.plot_convergence(clean, path=tmp_path / "conv", formats=("svg",))
    assert len(fig.axes) == 2
    for ax in fig.axes:
        gids = _gids(ax)
        assert {"factor:x1", "factor:x2", "factor:x3", "noise_floor"} <= gids
        line = next(a for a in ax.get_lines() if a.get_gid() == "factor:x1")
        assert list(line.get_xdata()) == [1024, 2048, 4096]
    assert (tmp_path / "conv.svg").exists()
    efast = sa.make_design(sa.ISHIGAMI_FACTORS, "efast", 128, seed=1)
    with pytest.raises(ValueError, match="eFAST"):
        sp.plot_convergence(sa.analyze(efast, sa.ishigami(efast.points()), bootstrap=10))


def test_over_time_plot(tmp_path):
    design = sa.make_design(sa.ISHIGAMI_FACTORS, "sobol", 128, seed=6)
    pts = design.points()
    res = sa.analyze_over_time(design, {t: sa.ishigami(pts, a=7.0 * t / 5) for t in (1, 2, 3)}, bootstrap=20,
                               convergence=False)
    fig = sp.plot_over_time(res, index="S1", path=tmp_path / "time", formats=("png",))
    (ax,) = fig.axes
    assert {"factor:x1", "factor:x2", "factor:x3", "noise_floor", "noise_floor_band"} <= _gids(ax)
    assert list(next(a for a in ax.get_lines() if a.get_gid() == "factor:x2").get_xdata()) == [1, 2, 3]
    assert (tmp_path / "time.png").exists()
    assert len(sp.plot_indices(res).axes) == 2  # the last time by default


# ---------------------------------------------------------------- figures of a study with many factors

SOBOL_PATHS = ["conditions.mutually_reinforcing", "conditions.continuous_communication", "backbone.budget_share",
               "coalition.size", "conditions.common_agenda", "communication.meeting_cost", "trust.growth",
               "trust.decay", "conditions.shared_measurement", "conditions.community_voice",
               "policy.advocacy_threshold", "behaviour.adaptation_rate"]
MORRIS_PATHS = SOBOL_PATHS + ["trust.cross_sector_factor", "trust.initial_across", "behaviour.comparative_advantage",
                              "behaviour.gap_response", "behaviour.perception_noise", "behaviour.patience",
                              "backbone.hiring_months", "policy.fundraising_rate"]
WEIGHTS = np.geomspace(3.0, 0.05, len(SOBOL_PATHS))  # a clear leader, a tail near the noise floor


def linear_model(points: pd.DataFrame, paths: list[str], weights: np.ndarray) -> np.ndarray:
    """A stand-in for the model with dotted factor paths: a weighted sum of the factors, plus one interaction."""
    x = points[paths].to_numpy(dtype=float)
    return x @ weights + weights[0] * x[:, 0] * x[:, 1]


@pytest.fixture(scope="module")
def many_sobol() -> tuple[sa.SensitivityResult, sa.SensitivityResult]:
    """Indices of 12 dotted factors (plus the dummy), and the same over five years with a changing ranking."""
    design = sa.make_design([sa.Factor(p, (0.0, 1.0)) for p in SOBOL_PATHS], "sobol", 256, seed=11)
    pts = design.points()
    res = sa.analyze(design, linear_model(pts, SOBOL_PATHS, WEIGHTS), bootstrap=30, seed=1)
    years = {}
    for t in range(1, 6):
        w = WEIGHTS.copy()
        w[0] *= 1.5 - 0.25 * t  # the leader fades
        w[8] = 0.6 * t  # shared measurement grows from the tail into the lead
        years[t] = linear_model(pts, SOBOL_PATHS, w)
    over = sa.analyze_over_time(design, years, outputs=["outcome"], bootstrap=30, convergence=False, seed=1)
    return res, over


@pytest.fixture(scope="module")
def many_morris() -> sa.SensitivityResult:
    design = sa.make_design([sa.Factor(p, (0.0, 1.0)) for p in MORRIS_PATHS], "morris", 16, seed=12)
    weights = np.r_[WEIGHTS, np.full(8, 0.02)]
    runs = design.runs(2)
    runs["outcome_60"] = linear_model(runs, MORRIS_PATHS, weights) + noise(runs["seed"], 0.05)
    return sa.analyze(design, runs, bootstrap=30, seed=1)


def drawn_texts(fig) -> list:
    """Every text artist the renderer draws (tick labels of ticks out of view are not drawn)."""
    renderer = fig.canvas.get_renderer()
    seen = []
    draw_text = renderer.draw_text

    def record(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if mtext is not None and mtext not in seen:
            seen.append(mtext)
        return draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = record
    try:
        fig.canvas.draw()
    finally:
        del renderer.draw_text
    return seen


def assert_inside(fig) -> list[str]:
    """No drawn text runs off the canvas; returns the texts drawn."""
    texts = drawn_texts(fig)
    renderer = fig.canvas.get_renderer()
    for t in texts:
        box = t.get_window_extent(renderer)
        assert box.x0 >= fig.bbox.x0 - 1 and box.x1 <= fig.bbox.x1 + 1, f"{t.get_text()!r} runs off the side"
        assert box.y0 >= fig.bbox.y0 - 1 and box.y1 <= fig.bbox.y1 + 1, f"{t.get_text()!r} runs off the top/bottom"
    return [t.get_text() for t in texts]


def factor_lines(ax) -> dict[str, object]:
    return {a.get_gid().removeprefix("factor:"): a for a in ax.get_lines() if (a.get_gid() or "").startswith("factor:")}


def test_default_labels_are_plain_language():
    assert sp.default_label("conditions.mutually_reinforcing") == "Mutually reinforcing activities"
    assert sp.default_label("trust.growth") == "Trust growth rate"
    assert sp.default_label("model.speed") == "Model speed"  # a bare "Speed" would not say of what
    assert sp.default_label("model.meeting_length") == "Meeting length"
    assert sp.default_label("x1") == "x1"
    assert sp.default_label(sa.DUMMY) == "dummy (noise floor)"
    assert sp.default_label(f"coalition.size{sa.PAIR_SEP}x1") == "Coalition size × x1"


def test_label_table_keeps_the_paths(many_sobol):
    res, _ = many_sobol
    table = sp.label_table(res, {"trust.decay": "Forgetting"})
    assert list(table.columns) == ["factor", "label"]
    assert table["factor"].tolist() == SOBOL_PATHS + [sa.DUMMY]
    got = table.set_index("factor")["label"]
    assert got["trust.decay"] == "Forgetting" and got["coalition.size"] == "Coalition size"


def test_index_bars_fit_the_canvas_with_plain_labels(tmp_path, many_sobol):
    res, _ = many_sobol
    fig = sp.plot_indices(res, path=tmp_path / "bars", formats=("png",))
    texts = assert_inside(fig)
    assert not any(p in t for p in SOBOL_PATHS for t in texts)  # dotted paths are not shown ...
    ticks = fig.axes[1].get_yticklabels()
    assert {t.get_gid() for t in ticks} == {f"label:{p}" for p in SOBOL_PATHS}  # ... but kept with the labels
    assert ticks[-1].get_text().replace("\n", " ") == "Mutually reinforcing activities"  # the leader on top
    title = fig.get_suptitle()
    assert title.startswith("Y: Sobol' sensitivity indices\n") and "R = 1 run per point" in title
    renamed = sp.plot_indices(res, labels={"trust.growth": "Growth of trust"})
    assert "Growth of trust" in [t.get_text() for t in renamed.axes[0].get_yticklabels()]
    raw = sp.plot_indices(res, labels=str)
    assert sorted(t.get_text() for t in raw.axes[0].get_yticklabels()) == sorted(SOBOL_PATHS)
    with pytest.raises(TypeError, match="labels"):
        sp.plot_indices(res, labels=3)


def test_over_time_highlights_the_leaders(tmp_path, many_sobol):
    _, over = many_sobol
    fig = sp.plot_over_time(over, path=tmp_path / "time", formats=("png",))
    texts = assert_inside(fig)
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["1", "2", "3", "4", "5"]  # whole years
    lines = factor_lines(ax)
    assert set(lines) == set(SOBOL_PATHS)
    bright = {f: ln.get_color() for f, ln in lines.items() if ln.get_color() != sp.OTHER}
    assert len(bright) == 6 and len(set(bright.values())) == 6
    assert "conditions.shared_measurement" in bright  # leads at the end, though in the tail at first
    assert "conditions.mutually_reinforcing" in bright  # leads at first, though fading
    assert all(lines[f].get_linewidth() < 1.5 for f in set(lines) - set(bright))
    # legend: the six by their rank at the last time, one entry for the grey rest, then the noise floor
    legend = [t.get_text().replace("\n", " ") for t in fig.legends[0].get_texts()]
    st5 = over.table("outcome", "ST", time=5).set_index("factor")["value"]
    assert legend[:6] == [sp.default_label(f) for f in st5[list(bright)].sort_values(ascending=False).index]
    assert legend[6:] == ["6 other factors", "dummy (noise floor)"]
    assert {"noise_floor", "noise_floor_band"} <= _gids(ax)
    assert "dummy (noise floor)" in texts
    short = sp.plot_over_time(over, highlight=2, labels=lambda f: f.upper())
    assert fig.legends and short.legends[0].get_texts()[2].get_text() == "10 other factors"
    assert short.legends[0].get_texts()[0].get_text() == "CONDITIONS.SHARED_MEASUREMENT"


def test_over_time_ticks_for_other_times():
    df = pd.DataFrame({"time": [0.5, 1.5, 0.5, 1.5], "output": "y", "method": "sobol",
                       "factor": ["a.b", "a.b", sa.DUMMY, sa.DUMMY], "index": "ST", "value": [0.5, 0.6, 0.01, 0.02],
                       "conf_low": 0.0, "conf_high": 0.7})
    (ax,) = sp.plot_over_time(df).axes
    assert list(next(iter(factor_lines(ax).values())).get_xdata()) == [0.5, 1.5]
    many = pd.concat([df.assign(time=df["time"] * 0 + t) for t in range(0, 60, 2)], ignore_index=True)
    fig = sp.plot_over_time(many)
    assert_inside(fig)
    assert all(float(t).is_integer() for t in fig.axes[0].get_xticks())


def test_convergence_highlights_the_same_factors_in_every_panel(tmp_path, many_sobol):
    res, _ = many_sobol
    fig = sp.plot_convergence(res, path=tmp_path / "conv", formats=("png",))
    texts = assert_inside(fig)
    assert not any(p in t for p in SOBOL_PATHS for t in texts)
    colours = [{f: ln.get_color() for f, ln in factor_lines(ax).items() if ln.get_color() != sp.OTHER}
               for ax in fig.axes]
    assert len(colours) == 2 and colours[0] == colours[1]
    assert len(colours[0]) == 6 and len(set(colours[0].values())) == 6
    st = res.table(None, "ST").set_index("factor")["value"].drop(sa.DUMMY)
    assert set(colours[0]) == set(st.nlargest(6).index)
    legend = [t.get_text().replace("\n", " ") for t in fig.legends[0].get_texts()]
    assert legend[-2:] == ["6 other factors", "dummy (noise floor)"]


def test_morris_names_only_the_factors_above_the_floor(tmp_path, many_morris):
    from matplotlib.text import Text

    fig = sp.plot_morris(many_morris, path=tmp_path / "morris", formats=("png",))
    assert_inside(fig)
    (ax,) = fig.axes
    named = [t for t in ax.texts if (t.get_gid() or "").startswith("label:")]
    mu = many_morris.table(None, "mu_star").set_index("factor").drop(sa.DUMMY)
    clear = mu[mu["above_noise"].astype(bool)]
    assert 0 < len(named) <= 8
    assert [t.get_gid().removeprefix("label:") for t in named] == clear["value"].nlargest(8).index.tolist()
    assert len(next(c for c in ax.collections if c.get_gid() == "factors").get_offsets()) == 20  # all drawn
    fig.canvas.draw()
    boxes = [Text.get_window_extent(t) for t in named]  # the texts, without their leader lines
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
    few = sp.plot_morris(many_morris, annotate=3, labels={"coalition.size": "Members"})
    assert len([t for t in few.axes[0].texts if (t.get_gid() or "").startswith("label:")]) == 3


def test_saved_figures_are_cropped_to_what_is_drawn(tmp_path, many_sobol):
    from matplotlib.image import imread

    res, _ = many_sobol
    fig = sp.plot_indices(res)
    (png,) = sp.save_figure(fig, tmp_path / "bars.pdf", formats=("png",), dpi=100)
    assert png.name == "bars.png"
    canvas = (round(fig.get_figheight() * 100), round(fig.get_figwidth() * 100))
    tight = fig.get_tightbbox().padded(0.08)  # inches: what is drawn, and the margin save_figure leaves
    assert imread(png).shape[:2] != canvas
    assert imread(png).shape[:2] == pytest.approx((tight.height * 100, tight.width * 100), abs=2)
    (full,) = sp.save_figure(fig, tmp_path / "full", formats=("png",), dpi=100, bbox_inches=None)
    assert imread(full).shape[:2] == canvas
