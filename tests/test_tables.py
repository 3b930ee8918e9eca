"""The report tables are statistics alone: exact on noise-free results, with no figure drawn."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from cisim.experiments.tables import ablation_table, backbone_table

A, B = "conditions.common_agenda", "conditions.shared_measurement"


def test_ablation_table_is_exact_without_noise():
    """outcome = 0.3 + 0.2 A + 0.1 B + 0.1 A B: main effect of A 0.25, of B 0.15, interaction 0.05
    (half the difference between the effect of A with B high, 0.3, and with B low, 0.2)."""
    rows = [{A: a, B: b, "seed": s, "outcome_60": 0.3 + 0.2 * a + 0.1 * b + 0.1 * a * b + 0.01 * s}
            for a, b, s in itertools.product((0.0, 1.0), (0.0, 1.0), range(4))]
    t = ablation_table(pd.DataFrame(rows))
    assert t.paired and t.scale == 100 and t.factors == [A, B]
    main = t.main.set_index("factor")["effect"]
    assert main[A] == pytest.approx(0.25) and main[B] == pytest.approx(0.15)
    assert t.interactions["effect"].item() == pytest.approx(0.05)
    assert t.effects["label"].tolist() == ["Common agenda", "Shared measurement", "Common agenda × Shared measurement"]
    assert len(t.runs) == 16 and set(t.runs["_cell"]) == {0, 1, 2, 3}


def test_backbone_table_finds_the_share_that_helps_the_most_and_the_peak():
    shares = np.array([0.0, 0.1, 0.2, 0.3])
    gain = np.array([0.01, 0.10, 0.16, 0.15])  # the highest outcome at 20%
    helped = np.array([1000.0, 1150.0, 1120.0, 1050.0])  # the most people at 10%
    rows = [{"backbone.budget_share": sh, "seed": s, "outcome_start": 0.3, "outcome_36": 0.3 + g / 2,
             "outcome_60": 0.3 + g + 0.001 * s, "outcome_final": 0.3 + g + 0.001 * s,
             "total_spend": 1e6 * (1 + 20 * sh), "people_completed_total": p + s,
             "funder_spend_total": 100_000 * 60.0, "backbone_income_total": sh * 100_000 * 60,
             "funder_cost_per_person_helped": 100_000 * 60 / (p + s), "cost_per_person_helped": 1e6 / (p + s),
             "months_to_completion_final": 10.0}
            for sh, g, p in zip(shares, gain, helped) for s in range(5)]
    t = backbone_table(pd.DataFrame(rows), funder_budget=100_000, months=60)
    costs = 1e6 * (1 + 20 * shares) / (100 * (gain + 0.002))  # the seeds' 0.001 * s adds 0.002 on average
    assert t.table["cost_per_point_mean"].to_numpy() == pytest.approx(costs, rel=0.02)
    assert t.best["share"] == pytest.approx(0.1)
    assert t.peak["share"] == pytest.approx(0.2)
    assert t.table["marginal_points"].iloc[1:].to_numpy() == pytest.approx(100 * np.diff(gain))
    assert t.table["step_people"].iloc[1:].to_numpy() == pytest.approx(np.diff(helped))
    assert t.table["additional_mean"].to_numpy() == pytest.approx(helped - helped[0])
    assert t.table["marginal_paired"].iloc[1:].all() and t.end == "outcome_m60" and t.mid == "outcome_m36"
    assert t.table["backbone_dollars_per_month"].tolist() == pytest.approx((shares * 100_000).tolist())
    assert t.status_quo == 0.0 and t.edge is None
