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


def test_backbone_table_finds_the_cheapest_share_and_the_peak():
    shares = np.array([0.0, 0.1, 0.2, 0.3])
    gain = np.array([0.01, 0.10, 0.16, 0.15])  # most per dollar at 10%, highest outcome at 20%
    rows = [{"backbone.budget_share": sh, "seed": s, "outcome_start": 0.3, "outcome_36": 0.3 + g / 2,
             "outcome_60": 0.3 + g + 0.001 * s, "outcome_final": 0.3 + g + 0.001 * s,
             "total_spend": 1e6 * (1 + 20 * sh)}
            for sh, g in zip(shares, gain) for s in range(5)]
    t = backbone_table(pd.DataFrame(rows), funder_budget=100_000)
    costs = 1e6 * (1 + 20 * shares) / (100 * (gain + 0.002))  # the seeds' 0.001 * s adds 0.002 on average
    assert t.table["cost_per_point_mean"].to_numpy() == pytest.approx(costs, rel=0.02)
    assert t.best["share"] == pytest.approx(0.1)
    assert t.peak["share"] == pytest.approx(0.2)
    assert t.table["marginal_points"].iloc[1:].to_numpy() == pytest.approx(100 * np.diff(gain))
    assert t.table["marginal_paired"].iloc[1:].all() and t.horizon == "outcome_60"
    assert t.table["backbone_dollars_per_month"].tolist() == pytest.approx((shares * 100_000).tolist())
