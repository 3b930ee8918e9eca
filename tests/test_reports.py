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

SHARES = np.array([0.0, 0.02, 0.05, 0.15, 0.3, 0.45, 0.6])
BUDGET, MONTHS = 300_000.0, 60
BASE_PEOPLE, START = 8000.0, 0.6


def gain(s):
    """Concave outcome gain over the start: saturates, then falls as services starve (peak near 22%)."""
    return 0.6 * s / (s + 0.06) - 0.5 * s ** 2


def people(s):
    """People helped over the run: the status quo's plus 6,000 per unit of gain."""
    return BASE_PEOPLE + 6000 * gain(s)


def backbone_runs(shares=SHARES, seeds=range(20), noise=0.01, common=True, rng=1, people_of=None,
                  budget=BUDGET, months=MONTHS, factor="backbone.budget_share", people_noise=0.005):
    """A results table as a sweep writes it: the funder's money is the same at every share, so the share that
    helps the most people is the one whose funder dollars go furthest."""
    gen = np.random.default_rng(rng)
    people_of = people_of or (lambda s, seed: people(s))
    rows = []
    for k, s in enumerate(shares):
        for j in seeds:
            seed = j if common else 1000 * k + j
            g = gain(s) + gen.normal(0, noise)
            helped = people_of(s, j) * (1 + gen.normal(0, people_noise))
            funder = budget * months + (s * months if factor == "backbone.extra_budget" else 0.0)
            total = 2 * budget * months * (1 + gen.normal(0, 0.01))
            final = START + g
            rows.append({"point": k, "replicate": j, "seed": seed, "status": "ok", factor: s,
                         "outcome_start": START, "outcome_36": START + 0.8 * g, "outcome_60": final,
                         "outcome_final": final, "total_spend": total,
                         "cost_per_point": total / (100 * g) if g > 0 else np.nan,
                         "people_completed_total": helped, "funder_spend_total": funder,
                         "backbone_income_total": (s * budget if factor == "backbone.budget_share" else s) * months,
                         "funder_cost_per_person_helped": funder / helped, "cost_per_person_helped": total / helped,
                         "months_to_completion_final": 20.0})
    return pd.DataFrame(rows)


def test_backbone_report_recovers_best_share_and_marginal_returns(tmp_path):
    best = float(SHARES[np.argmax(people(SHARES))])
    assert 0 < best < SHARES[-1]  # the synthetic design: the most people at an interior share
    report = backbone_report(backbone_runs(), tmp_path, funder_budget=BUDGET, months=MONTHS)
    assert report["best_share"] == pytest.approx(best)
    t = report["table"]
    assert t["best"].sum() == 1 and t.loc[t["best"], "share"].item() == pytest.approx(best)
    assert t["outcome_m60_mean"].to_numpy() == pytest.approx(START + gain(SHARES), abs=0.01)
    assert t["outcome_m36_mean"].to_numpy() == pytest.approx(START + 0.8 * gain(SHARES), abs=0.01)
    # people and the funder's dollars, against no backbone money
    assert t["people_mean"].to_numpy() == pytest.approx(people(SHARES), rel=0.01)
    assert t["people_per_year_mean"].to_numpy() == pytest.approx(people(SHARES) / 5, rel=0.01)
    assert t["additional_mean"].to_numpy() == pytest.approx(people(SHARES) - people(0.0), abs=60)
    assert t["additional_paired"].all()
    assert t["funder_dollars"].to_numpy() == pytest.approx(BUDGET * MONTHS)
    assert t["funder_dollars_per_person_mean"].to_numpy() == pytest.approx(BUDGET * MONTHS / people(SHARES), rel=0.01)
    assert (t["extra_funder_dollars_per_additional_mean"].dropna() == 0).all()  # the same budget at every share
    added = t.iloc[1:]
    clear = added["additional_ci_low"] > 0
    assert added.loc[clear, "backbone_dollars_per_additional_mean"].to_numpy() == pytest.approx(
        (added.loc[clear, "share"] * BUDGET * MONTHS / added.loc[clear, "additional_mean"]).to_numpy())
    # marginal return: paired differences between consecutive shares, per extra $1,000 a month
    steps = np.diff(SHARES)
    assert t["marginal_points"].iloc[1:].to_numpy() == pytest.approx(100 * np.diff(gain(SHARES)), abs=0.8)
    assert t["people_per_1k"].iloc[1:].to_numpy() == pytest.approx(
        np.diff(people(SHARES)) / (steps * BUDGET / 1000), rel=0.25, abs=0.5)
    assert t["backbone_dollars_per_month"].to_numpy() == pytest.approx(SHARES * BUDGET)
    assert report["months"] == 60 and not t["thin"].any() and report["backbone"].edge is None
    assert "$300k a month" in report["takeaway"] and "over 5 years" in report["takeaway"]
    for name in ("backbone.png", "backbone.pdf", "backbone.csv", "backbone.parquet", "backbone-memo.md",
                 "backbone-memo.pdf"):
        assert (tmp_path / name).stat().st_size > 1000, name
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave nothing behind
    assert pd.read_csv(tmp_path / "backbone.csv")["share"].tolist() == pytest.approx(SHARES.tolist())


def test_the_horizon_names_the_columns_and_the_labels(tmp_path):
    """A 36-month study reads month 36 as its end and month 24 as its checkpoint, in the table and the legend."""
    runs = backbone_runs(months=36).drop(columns=["outcome_60"]).assign(outcome_24=lambda d: d["outcome_36"])
    report = backbone_report(runs, tmp_path, funder_budget=150_000, months=36, memo=False)
    t = report["table"]
    assert {"outcome_m36_mean", "outcome_m24_mean"} <= set(t.columns)
    assert not any(c.startswith("outcome_m60") for c in t.columns)
    from cisim.interfaces.backbone_report import backbone_figure

    bt = report["backbone"]
    fig = backbone_figure(bt, None, report["takeaway"], report["statement"], report["interval"])
    legend = [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    assert legend == ["after 2 years", "after 3 years (the end)"]
    assert "$150k a month" in fig.axes[0].get_xlabel().replace("\\$", "$")
    assert t["backbone_dollars_per_month"].to_numpy() == pytest.approx(SHARES * 150_000)


def test_backbone_report_independent_samples_and_no_budget(tmp_path):
    table = backbone_runs(common=False)
    table.loc[table.index[:3], "status"] = "error"
    report = backbone_report(table, tmp_path, months=MONTHS, memo=False)
    t = report["table"]
    assert not t["marginal_paired"].iloc[1:].any() and not t["additional_paired"].iloc[1:].any()
    assert report["funder_budget"] is None and "people_per_1k" not in t
    assert t["marginal_points"].iloc[1:].to_numpy() == pytest.approx(100 * np.diff(gain(SHARES)), abs=1.0)
    assert report["best_share"] == pytest.approx(float(SHARES[np.argmax(people(SHARES))]))
    assert report["backbone"].decision is None  # no common seeds: no worlds to weigh
    # the budget and the horizon can come from the scenario
    r = backbone_report(table, tmp_path / "c", scenario="collective", memo=False)
    assert r["funder_budget"] == 300_000 and r["months"] == 60


def test_backbone_report_names_the_shares_near_the_best(tmp_path):
    """Where the people helped are nearly flat the best share wins by a trifle; the report names the shares
    within the tolerance of it."""
    cost = 1 / people(SHARES)
    ratio = cost / cost.min()
    table = backbone_runs()
    wide = backbone_report(table, tmp_path / "wide", tolerance=0.12, months=MONTHS, memo=False)
    expected = SHARES[ratio < 1.08]  # well inside 12%, with the noise's interval
    assert set(np.round(expected, 3)) <= set(np.round(wide["near_best_levels"], 3))
    assert len(wide["near_best_levels"]) > 1 and "within 12% of that (95% confidence)" in wide["takeaway"]
    narrow = backbone_report(table, tmp_path / "narrow", tolerance=0.001, months=MONTHS, memo=False)
    assert narrow["near_best_levels"] == pytest.approx([narrow["best_share"]]) and "within" not in narrow["takeaway"]


def test_levels_resting_on_few_valid_runs_are_flagged_and_never_best(tmp_path):
    """The issue's case: a share whose dollars per person come from a few runs of twenty (the others helped
    nobody) looks cheapest, but rests on too little to be the answer."""
    table = backbone_runs()
    low = table["backbone.budget_share"] == 0.02
    idx = table.index[low][:17]
    table.loc[idx, ["funder_cost_per_person_helped", "cost_per_person_helped"]] = np.nan
    table.loc[table.index[low][17:], "funder_cost_per_person_helped"] = 1.0  # absurdly cheap, on 3 runs
    report = backbone_report(table, tmp_path, months=MONTHS, funder_budget=BUDGET)
    t = report["table"].set_index("share")
    assert t.loc[0.02, "thin"] and t.loc[0.02, "funder_dollars_per_person_valid"] == 3
    assert report["best_share"] != 0.02 and not t.loc[0.02, "near_best"]
    assert t["thin"].sum() == 1


def test_a_best_share_at_the_edge_says_so_and_suggests_the_range(tmp_path):
    shares = np.array([0.0, 0.02, 0.04, 0.06, 0.08])  # people still rising at the last share tried
    report = backbone_report(backbone_runs(shares), tmp_path, months=MONTHS, funder_budget=BUDGET, memo=True)
    bt = report["backbone"]
    assert report["best_share"] == pytest.approx(0.08) and bt.edge == "high"
    assert bt.suggestion == pytest.approx((0.06, 0.12))
    assert "highest share tried" in report["takeaway"] and "try 6% to 12%" in report["takeaway"]
    assert "may find a better one" in (tmp_path / "backbone-memo.md").read_text()


def test_the_decision_across_worlds_follows_what_each_world_rewards(tmp_path):
    """Each world (seed) has its own best share, set by a parameter of that world: the report finds each world's
    best, the range that covers 80% of them, and the parameter that drives it."""
    worlds = range(40)
    best_of = {w: SHARES[1 + w % 5] for w in worlds}  # 2% to 45%, eight worlds each

    def people_of(s, w):
        return BASE_PEOPLE + 3000 * (1 - abs(s - best_of[w]) / 0.6)

    table = backbone_runs(seeds=worlds, people_of=people_of, people_noise=0.001)
    table["trust.growth"] = table["seed"].map(lambda w: 0.01 + best_of[w] / 10)  # the world's parameter
    report = backbone_report(table, tmp_path, months=MONTHS, funder_budget=BUDGET,
                             uncertainty={"uncertainty": "parameters",
                                          "ensemble": {"name": "test", "parameters": ["trust.growth"], "kept": []}})
    d = report["backbone"].decision
    assert d.worlds == 40 and d.same_budget
    found = d.best.to_dict()
    assert all(found[w] == best_of[w] for w in worlds)
    assert d.range == pytest.approx((0.02, 0.45))
    assert d.drivers[0]["parameter"] == "trust.growth" and d.drivers[0]["rho"] > 0.9
    t = report["table"].set_index("share")
    assert t.loc[0.0, "p_best"] == 0 and t.loc[0.6, "p_best"] == 0
    assert t["p_best"].sum() == pytest.approx(1.0)
    assert (t["people_short_mean"] >= -1).all() and t.loc[0.6, "people_short_mean"] > t.loc[0.15, "people_short_mean"]
    assert "In 80% of 40 plausible worlds" in report["statement"] and "between 2% and 45%" in report["statement"]
    memo = (tmp_path / "backbone-memo.md").read_text()
    assert "The best level is higher in worlds where trust growth rate is higher" in memo


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
        backbone_report(backbone_runs().query("point == 3"), tmp_path, months=MONTHS)


def test_money_on_top_reads_in_dollars_and_extra_funder_money(tmp_path):
    levels = np.array([0.0, 10_000.0, 20_000.0, 40_000.0])
    table = backbone_runs(levels / 1e5, factor="backbone.budget_share")  # people as for shares 0 to 40%
    table = table.rename(columns={"backbone.budget_share": "backbone.extra_budget"})
    table["backbone.extra_budget"] = table["backbone.extra_budget"] * 1e5
    table["funder_spend_total"] = BUDGET * MONTHS + table["backbone.extra_budget"] * MONTHS
    table["backbone_income_total"] = table["backbone.extra_budget"] * MONTHS
    table["funder_cost_per_person_helped"] = table["funder_spend_total"] / table["people_completed_total"]
    report = backbone_report(table, tmp_path, months=MONTHS, funder_budget=BUDGET)
    t = report["table"]
    assert report["backbone"].on_top and (tmp_path / "backbone-on-top.png").is_file()
    assert t["backbone_dollars_per_month"].to_numpy() == pytest.approx(levels)
    clear = t["additional_ci_low"] > 0
    assert t.loc[clear, "extra_funder_dollars_per_additional_mean"].to_numpy() == pytest.approx(
        (t.loc[clear, "level"] * MONTHS / t.loc[clear, "additional_mean"]).to_numpy(), rel=0.02)
    assert t["people_per_1k"].iloc[1:].to_numpy() == pytest.approx(
        t["step_people"].iloc[1:].to_numpy() / (np.diff(levels) / 1000))
    assert "a month for the backbone" in report["takeaway"]


# ---------------------------------------------------------------- pattern 4 with the real model

LEVELS = [0.0, 0.02, 0.04, 0.06, 0.08, 0.10, 0.15, 0.20, 0.30, 0.45, 0.60]


def test_pattern4_backbone_share_best_is_interior(tmp_path):
    """Pattern 4 of the model brief: with a fixed funder budget the 5-year outcome rises with the
    backbone's share, levels off and falls once the backbone starves services; the best share
    (for the outcome and for cost per point) is interior."""
    rows = pd.DataFrame([{"backbone.budget_share": s, "seed": r} for s in LEVELS for r in range(12)])
    summary = run_batch(rows, scenario="collective", changes={"months": 60}).summary
    report = backbone_report(summary, tmp_path, scenario="collective", memo=False)
    t = report["table"].set_index("share")
    y = t["outcome_m60_mean"]
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
    # the share that helps the most people for the funder's money is interior, and costs per point there are far
    # below no backbone
    assert 0.10 <= report["best_share"] <= 0.45
    assert report["best_share"] not in (LEVELS[0], LEVELS[-1])
    best_cost = t.loc[report["best_share"], "cost_per_point_mean"]
    # without a backbone the coalition gains nothing over the status quo (no cost per point: NaN) or pays far more
    no_backbone = t.loc[0.0, "cost_per_point_mean"]
    assert np.isnan(no_backbone) or no_backbone > 5 * best_cost
    if np.isnan(no_backbone):
        assert (summary.query("`backbone.budget_share` == 0").outcome_60 <= summary.query(
            "`backbone.budget_share` == 0").outcome_start + 0.01).mean() > 0.5
    assert t.loc[0.60, "cost_per_point_mean"] > best_cost
    # the first steps of backbone money buy the most people; the last ones cost people
    marginal = t["people_per_1k"].dropna()
    assert marginal.idxmax() <= 0.10
    assert marginal.iloc[-1] < 0
    _files_written(report, tmp_path / "backbone")
