"""The funder reports recover known structure from synthetic tables, and pattern 4 from the model."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from cisim.experiments.compare import mean_ci
from cisim.experiments.runner import run_batch
from cisim.interfaces.reports import _shares_text, ablation_report, backbone_report, factor_label

A, B, C = "conditions.common_agenda", "conditions.shared_measurement", "conditions.continuous_communication"


def _files_written(report, stem):
    assert sorted(p.suffix for p in report["figures"]) == [".pdf", ".png"]
    assert sorted(p.suffix for p in report["tables"]) == [".csv", ".parquet"]
    for p in [*report["figures"], *report["tables"]]:
        assert p.exists() and p.stat().st_size > 1000, p
        assert p.with_suffix("") == stem
    assert not list(stem.parent.glob(".*.tmp"))  # atomic writes leave nothing behind


# ---------------------------------------------------------------- ablation (synthetic)

def factorial_table(seeds=range(30), noise=0.02, seed_sd=0.05, rng=0):
    """outcome = 0.3 + 0.2 A + 0.1 B + 0.05 A B (+ nothing from C) + a per-seed effect + noise."""
    gen = np.random.default_rng(rng)
    seed_effect = {s: gen.normal(0, seed_sd) for s in seeds}
    rows = []
    for a, b, c in itertools.product((0.0, 1.0), repeat=3):
        for s in seeds:
            y = 0.3 + 0.2 * a + 0.1 * b + 0.05 * a * b + seed_effect[s] + gen.normal(0, noise)
            rows.append({A: a, B: b, C: c, "seed": s, "status": "ok", "outcome_60": y})
    return pd.DataFrame(rows)


# With A, B coded 0/1: main effect of A = 0.2 + 0.05 * mean(B) = 0.225; of B = 0.125; of C = 0;
# interaction A x B = half of (effect of A at B high - at B low) = 0.05 / 2 = 0.025.
TRUE = {A: 0.225, B: 0.125, C: 0.0}
TRUE_AB = 0.025


def _near(row, value):
    """The estimate is within about three standard errors of the truth (the half-width of a
    95% interval is about two), so the check holds whatever the noise draws."""
    return abs(row["effect"] - value) <= 0.75 * (row["ci_high"] - row["ci_low"])


def _check_effects(report, tol):
    main = report["main"].set_index("factor")
    for f, value in TRUE.items():
        assert main.loc[f, "effect"] == pytest.approx(value, abs=tol)
        assert _near(main.loc[f], value)
        assert 0 < main.loc[f, "ci_high"] - main.loc[f, "ci_low"] < 4 * tol
    assert list(report["main"]["factor"]) == [A, B, C]  # ranked by size
    assert list(report["main"]["rank"]) == [1, 2, 3]
    inter = report["interactions"]
    assert len(inter) == 3
    top = inter.iloc[0]
    assert {top["factor"], top["factor_b"]} == {A, B}
    assert top["effect"] == pytest.approx(TRUE_AB, abs=tol)
    assert _near(top, TRUE_AB) and top["ci_low"] > 0
    for _, row in inter.iloc[1:].iterrows():  # no interaction with C
        assert abs(row["effect"]) < tol and _near(row, 0.0)


def test_ablation_recovers_main_effects_and_interaction(tmp_path):
    table = factorial_table()
    # failed runs carry no outputs and must be ignored
    bad = table.head(5).assign(status="error", outcome_60=np.nan)
    report = ablation_report(pd.concat([table, bad], ignore_index=True), tmp_path / "ablation")
    assert report["paired"]  # every seed ran every cell: per-seed contrasts
    _check_effects(report, tol=0.01)
    main = report["main"].set_index("factor")
    assert main.loc[A, "significant"] and main.loc[B, "significant"] and not main.loc[C, "significant"]
    assert main.loc[A, "label"] == "Common agenda"
    assert main.loc[A, "effect_points"] == pytest.approx(100 * main.loc[A, "effect"])
    _files_written(report, tmp_path / "ablation")
    written = pd.read_csv(tmp_path / "ablation.csv")
    assert set(written["kind"]) == {"main", "interaction"} and len(written) == 6
    assert written.loc[written["kind"] == "main", "effect"].tolist() == pytest.approx(main["effect"].tolist())
    assert len(pd.read_parquet(tmp_path / "ablation.parquet")) == 6


def test_ablation_without_common_seeds_uses_pooled_variance(tmp_path):
    table = factorial_table(seed_sd=0.0)
    table["seed"] = np.arange(len(table))  # every run its own seed: nothing to pair
    table = table.drop(index=table.index[::7]).reset_index(drop=True)  # unbalanced cells
    report = ablation_report(table, tmp_path / "ablation", factors=[A, B, C])
    assert not report["paired"]
    assert "pooled" in report["method"]
    _check_effects(report, tol=0.015)


def test_ablation_picks_the_varying_conditions_and_checks_the_design(tmp_path):
    table = factorial_table(seeds=range(5))
    table["conditions.mutually_reinforcing"] = 1.0  # constant: not a factor
    report = ablation_report(table, tmp_path / "a")
    assert set(report["main"]["factor"]) == {A, B, C}
    with pytest.raises(ValueError, match="full 2"):
        ablation_report(table[~((table[A] == 1) & (table[B] == 1))], tmp_path / "b")
    with pytest.raises(ValueError, match="exactly two"):
        ablation_report(table.assign(**{A: table[A] * table["seed"]}), tmp_path / "c")
    assert factor_label("backbone.budget_share") == "Backbone (funded)"


# ---------------------------------------------------------------- backbone (synthetic)

SHARES = np.array([0.0, 0.02, 0.05, 0.15, 0.3, 0.45, 0.6])  # best value (0.15) well apart from its neighbours
START = 0.15


def gain(s):
    """Concave outcome gain over the start: saturates, then falls as services starve."""
    return 0.6 * s / (s + 0.06) - 0.5 * s ** 2


def spend(s):
    """Money spent over the run: more backbone money brings in more money (a steep enough rise
    that the cheapest point per outcome is below the outcome's peak)."""
    return 20e6 * (1 + 1.5 * s)


def expected_best():
    cost = spend(SHARES[1:]) / (100 * gain(SHARES[1:]))
    return float(SHARES[1:][np.argmin(cost)])


def backbone_table(seeds=range(20), noise=0.01, common=True, rng=1):
    gen = np.random.default_rng(rng)
    rows = []
    for k, s in enumerate(SHARES):
        for j in seeds:
            seed = j if common else 1000 * k + j
            g = gain(s) + gen.normal(0, noise)
            total = spend(s) * (1 + gen.normal(0, 0.01))
            final = START + g
            rows.append({"point": k, "replicate": j, "seed": seed, "status": "ok", "backbone.budget_share": s,
                         "outcome_start": START, "outcome_36": START + 0.8 * g, "outcome_60": final,
                         "outcome_final": final, "total_spend": total,
                         "cost_per_point": total / (100 * g) if g > 0 else np.nan})
    return pd.DataFrame(rows)


def test_backbone_report_recovers_best_share_and_marginal_returns(tmp_path):
    best = expected_best()
    peak = float(SHARES[np.argmax(gain(SHARES))])
    assert 0 < best < peak < SHARES[-1]  # the synthetic design: cheapest point below the peak, both interior
    report = backbone_report(backbone_table(), tmp_path / "backbone", funder_budget=300_000)
    assert report["best_share"] == pytest.approx(best)
    assert report["peak_share"] == pytest.approx(peak)
    t = report["table"]
    assert t["best_cost_effectiveness"].sum() == 1
    assert t.loc[t["best_cost_effectiveness"], "share"].item() == pytest.approx(best)
    assert t["outcome_60_mean"].to_numpy() == pytest.approx(START + gain(SHARES), abs=0.01)
    # marginal return: paired differences of the 5-year outcome between consecutive shares
    expected = 100 * np.diff(gain(SHARES))
    assert t["marginal_points"].iloc[1:].to_numpy() == pytest.approx(expected, abs=0.8)
    assert t["marginal_paired"].iloc[1:].all()
    steps = np.diff(SHARES)
    per_1k = expected / (steps * 300_000 / 1000)
    assert t["marginal_per_1k_dollars"].iloc[1:].to_numpy() == pytest.approx(per_1k, rel=0.25, abs=0.01)
    assert (t["marginal_points_ci_low"].iloc[1:] <= t["marginal_points"].iloc[1:]).all()
    assert t["backbone_dollars_per_month"].to_numpy() == pytest.approx(SHARES * 300_000)
    # with no backbone nothing is gained on average: only runs that gained by noise have a cost per point
    assert t["cost_per_point_n"].iloc[0] < 20 and t["cost_per_point_n"].iloc[1:].min() == 20
    _files_written(report, tmp_path / "backbone")
    assert pd.read_csv(tmp_path / "backbone.csv")["share"].tolist() == pytest.approx(SHARES.tolist())


def test_backbone_report_independent_samples_and_no_budget(tmp_path):
    table = backbone_table(common=False)
    table.loc[table.index[:3], "status"] = "error"
    report = backbone_report(table, tmp_path / "b")
    t = report["table"]
    assert not t["marginal_paired"].iloc[1:].any()
    assert report["funder_budget"] is None and "marginal_per_1k_dollars" not in t
    assert t["marginal_points"].iloc[1:].to_numpy() == pytest.approx(100 * np.diff(gain(SHARES)), abs=1.0)
    assert report["best_share"] == pytest.approx(expected_best())
    # the budget can come from the scenario
    assert backbone_report(table, tmp_path / "c", scenario="collective")["funder_budget"] == 300_000


def test_backbone_report_names_the_shares_near_the_best(tmp_path):
    """Where the cost per point is nearly flat the best share wins by a trifle; the report names the
    shares within the tolerance of it. Here 30% costs about 8% more per point than the best (15%),
    and 5% and 45% about a third more."""
    cost = spend(SHARES[1:]) / (100 * gain(SHARES[1:]))
    assert cost[SHARES[1:] == 0.3].item() / cost.min() == pytest.approx(1.085, abs=0.005)
    table = backbone_table()
    wide = backbone_report(table, tmp_path / "wide", tolerance=0.12)
    assert wide["near_best_shares"] == pytest.approx([0.15, 0.3])
    assert wide["table"]["cost_near_best"].sum() == 2
    assert "15% and 30% come within 12% of that (95% confidence)" in wide["takeaway"]
    assert pd.read_csv(tmp_path / "wide.csv")["cost_near_best"].sum() == 2
    narrow = backbone_report(table, tmp_path / "narrow")  # 5%: only the best itself
    assert narrow["near_best_shares"] == pytest.approx([0.15]) and "within" not in narrow["takeaway"]


def test_near_best_bands_follow_the_runs_of_shares():
    from matplotlib.figure import Figure

    from cisim.interfaces.reports import _near_span

    shares = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    ax = Figure().add_subplot()
    _near_span(ax, shares, np.array([False, True, True, True, False, True]))
    spans = sorted((round(p.get_x(), 3), round(p.get_x() + p.get_width(), 3)) for p in ax.patches)
    assert spans == [(0.1, 0.3), (0.475, 0.525)]  # 40% is not shaded; 50% alone gets a narrow band


def test_shares_in_words():
    levels = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    words = lambda *k: _shares_text(levels, np.isin(np.arange(6), k))  # noqa: E731
    assert words(1, 2, 3, 5) == ("every share from 10% to 30% and 50%", True)
    assert words(1, 2) == ("10% and 20%", True)
    assert words(2) == ("20%", False)
    assert words(0, 1, 2, 3, 4, 5) == ("every share from 0% to 50%", False)


def test_backbone_report_needs_two_levels(tmp_path):
    with pytest.raises(ValueError, match="at least two"):
        backbone_report(backbone_table().query("point == 3"), tmp_path / "x")


# ---------------------------------------------------------------- pattern 4 with the real model

LEVELS = [0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.15, 0.20, 0.30, 0.45, 0.60]


def test_pattern4_backbone_share_best_is_interior(tmp_path):
    """Pattern 4 of the model brief: with a fixed funder budget the 5-year outcome rises with the
    backbone's share, levels off and falls once the backbone starves services; the best share
    (for the outcome and for cost per point) is interior."""
    rows = pd.DataFrame([{"backbone.budget_share": s, "seed": r} for s in LEVELS for r in range(12)])
    summary = run_batch(rows, scenario="collective", changes={"months": 60}).summary
    report = backbone_report(summary, tmp_path / "pattern4", scenario="collective")
    t = report["table"].set_index("share")
    y = t["outcome_60_mean"]
    peak = float(y.idxmax())
    # rises from 0 to the maximum, by a lot, with no real dip on the way up
    assert y.max() - y.loc[0.0] > 0.1
    up = y.loc[:peak].to_numpy()
    assert (np.diff(up) > -0.01).all()
    # the maximum is interior
    assert 0.10 <= peak <= 0.45
    # falls at the largest share: paired by seed, the drop is larger than its CI's half-width
    wide = summary.pivot(index="seed", columns="backbone.budget_share", values="outcome_60")
    drop, lo, hi, _ = mean_ci((wide[0.60] - wide[peak]).to_numpy())
    assert hi < 0 and -drop > 0.03
    # best cost-effectiveness is interior, and costs per point there are far below no backbone
    assert 0.10 <= report["best_share"] <= 0.45
    assert report["best_share"] not in (LEVELS[0], LEVELS[-1])
    # without a backbone the coalition gains nothing over the status quo (no cost per point: NaN) or pays far more
    no_backbone = t.loc[0.0, "cost_per_point_mean"]
    assert np.isnan(no_backbone) or no_backbone > 5 * report["best_cost_per_point"]
    if np.isnan(no_backbone):
        assert (summary.query("`backbone.budget_share` == 0").outcome_60 <= summary.query(
            "`backbone.budget_share` == 0").outcome_start + 0.01).mean() > 0.5
    assert t.loc[0.60, "cost_per_point_mean"] > report["best_cost_per_point"]
    # the first steps of backbone money buy the most; the last ones cost outcome
    marginal = t["marginal_per_1k_dollars"].dropna()
    assert marginal.idxmax() <= 0.10
    assert marginal.iloc[-1] < 0
    _files_written(report, tmp_path / "pattern4")
