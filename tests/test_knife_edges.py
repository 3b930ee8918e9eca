"""No knife edges: a 20% change of one influential parameter moves the 5-year gain by less than half."""

from __future__ import annotations

import numpy as np

from cisim.experiments.robustness import knife_edges
from cisim.model.schema import BY_PATH

#: The rows of the closing note's table that moved the gain most (each moves in both scenarios).
ROWS = ["funder.budget", "behaviour.coordination_max", "problem.population", "coalition.home_capability",
        "backbone.build_rate",
        "trust.threshold", "backbone.salary", "behaviour.adaptation_rate", "coalition.size"]


def test_no_single_twenty_percent_change_swings_the_gain_by_half_or_turns_it_negative():
    table = knife_edges(paths=ROWS, replicates=12)
    assert list(table.columns[:3]) == ["parameter", "label", "default"]
    assert set(table.parameter) == set(ROWS)
    base = table.gain_default.iloc[0]
    assert base > 0.03
    assert np.all(table.swing < 0.5), table[["parameter", "gain_low", "gain_high", "swing"]]
    assert np.all(table[["gain_low", "gain_high"]].to_numpy() > 0)
    # the table says what its intervals cover
    assert "seed noise" in table.attrs["interval"] and table.attrs["step"] == 0.2


def test_the_moved_values_stay_in_range_and_integers_stay_whole():
    table = knife_edges(paths=["coalition.size", "trust.threshold"], replicates=4, month=24)
    size = table.set_index("parameter").loc["coalition.size"]
    assert size.low_value == 24 and size.high_value == 36
    thr = table.set_index("parameter").loc["trust.threshold"]
    default = BY_PATH["trust.threshold"].default
    assert abs(thr.low_value - 0.8 * default) < 1e-12 and abs(thr.high_value - 1.2 * default) < 1e-12
