"""One kernel, two faces: run r of a batch has exactly the numbers of the Mesa model run alone.

Whatever the batch size, the chunking, the threads, and whichever other runs share the batch
(other seeds, other parameter values, other coalition sizes), including runs with events
and members leaving.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cisim.experiments.runner import batch_size_for, run_batch
from cisim.model import layout as L
from cisim.model.coalition import CoalitionModel
from cisim.model.scenario import load
from cisim.model.state import param_matrix

MONTHS = 30
COLUMNS = [*L.OUTPUTS]


def mesa_run(scenario, seed, changes):
    model = CoalitionModel(scenario, rng=seed, changes={**changes, "months": MONTHS})
    while model.running:
        model.step()
    return model.datacollector.get_model_vars_dataframe()


def batch_rows(scenario, rows, seeds, **kw):
    base = load(scenario)
    keys = sorted({k for row in rows for k in row})
    table = pd.DataFrame([{k: row.get(k, base.get(k)) for k in keys} for row in rows])
    table["months"] = MONTHS
    result = run_batch(table, seeds, outputs="steps", scenario=scenario, **kw)
    return result.steps


# (scenario, per-run parameter rows): sizes differ within a batch, so arrays are padded
CASES = {
    "collective": [
        {"coalition.size": 40, "backbone.budget_share": 0.08},
        {"coalition.size": 23, "backbone.budget_share": 0.2},
        {"coalition.size": 31, "backbone.budget_share": 0.0},  # no backbone: members leave
        {"coalition.size": 40, "conditions.shared_measurement": 0.3, "trust.growth": 0.08},
    ],
    "backbone-withdrawn": [  # an event at month 24
        {"coalition.size": 30},
        {"coalition.size": 38, "communication.meeting_cost": 1500.0},  # costly meetings: members leave
        {"coalition.size": 20},
    ],
    "youth-homelessness": [
        {"coalition.size": 24},
        {"coalition.size": 35, "domains.housing.extra_funding": 4000.0},
    ],
}


@pytest.mark.parametrize("name", list(CASES))
def test_batch_run_equals_mesa_run(name):
    rows = CASES[name]
    seeds = [101 + 7 * k for k in range(len(rows))]
    steps = batch_rows(name, rows, seeds)
    left = 0
    for k, (row, seed) in enumerate(zip(rows, seeds)):
        alone = mesa_run(name, seed, row)
        mine = steps[steps["run"] == k].sort_values("month")
        assert len(mine) == len(alone) == MONTHS + 1
        for col in [*COLUMNS, *(c for c in alone.columns if c.startswith("coverage_"))]:
            np.testing.assert_allclose(mine[col].to_numpy(), alone[col].to_numpy(), rtol=0, atol=1e-12,
                                       err_msg=f"{name} run {k} {col}")
        left += alone["active_members"].iloc[0] - alone["active_members"].iloc[-1]
    if name != "youth-homelessness":
        assert left > 0  # the cases do include members leaving


def test_same_run_whatever_shares_the_batch_and_however_it_is_split():
    rows = [{"coalition.size": s, "backbone.budget_share": b} for s, b in
            [(40, 0.08), (22, 0.0), (33, 0.15), (40, 0.3), (27, 0.05)]]
    seeds = [5, 6, 7, 8, 9]
    full = batch_rows("collective", rows, seeds, threads=1)
    variants = [
        batch_rows("collective", rows, seeds, threads=2),  # two blocks of runs, one per thread
        batch_rows("collective", rows, seeds, batch_size=2, threads=2),
        batch_rows("collective", rows[::-1], seeds[::-1], batch_size=3, threads=2),
        batch_rows("collective", [rows[2]], [seeds[2]], threads=1),
    ]
    key = full[full["seed"] == 7].drop(columns=["run"]).reset_index(drop=True)
    for v in variants:
        other = v[v["seed"] == 7].drop(columns=["run"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(key, other, check_exact=True)


def test_each_run_has_its_own_stream():
    """A run's numbers depend on its own seed only, not on its companions' seeds."""
    a = batch_rows("collective", [{}, {}], [1, 2])
    b = batch_rows("collective", [{}, {}], [1, 3])
    run1_a = a[a["seed"] == 1].drop(columns=["run"]).reset_index(drop=True)
    run1_b = b[b["seed"] == 1].drop(columns=["run"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(run1_a, run1_b, check_exact=True)
    assert not np.array_equal(a[a["seed"] == 2]["outcome"].to_numpy(), b[b["seed"] == 3]["outcome"].to_numpy())


def test_batches_are_bounded_in_memory():
    sc = load("collective")
    P, _ = param_matrix(sc, 1)
    per_run = 200e6 / batch_size_for(sc, P)
    big = sc.replace({"coalition.size": 200})
    P_big, _ = param_matrix(big, 1)
    assert batch_size_for(big, P_big) < batch_size_for(sc, P)  # bigger runs, fewer per chunk
    assert 10e3 < per_run < 2e6  # an honest per-run size, not a constant
    # a request larger than one chunk is split and gives the same numbers
    seeds = range(12)
    whole = run_batch("collective", seeds, changes={"months": 12}).summary
    split = run_batch("collective", seeds, changes={"months": 12}, batch_size=5).summary
    pd.testing.assert_frame_equal(whole, split, check_exact=True)
