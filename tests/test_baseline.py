"""The model's numbers, pinned: every month's outputs of a few bundled runs, bit for bit.

A change that only moves or tidies code must leave this test passing unchanged; a change to
the model's mechanisms rewrites ``tests/data/baseline.npz`` on purpose (see ``tests/baseline.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from baseline import FILE, RUNS, compute


@pytest.fixture(scope="module")
def pinned() -> dict[str, np.ndarray]:
    with np.load(FILE) as data:
        return {k: data[k] for k in data.files}


@pytest.fixture(scope="module")
def today() -> dict[str, np.ndarray]:
    return compute()


def test_the_baseline_covers_what_it_promises(pinned):
    names = {k.split("/")[0] for k in pinned}
    assert {"collective", "isolated", "backbone-withdrawn", "youth-homelessness", "no-backbone"} <= names
    # the no-backbone runs lose members, so membership is pinned too
    cols = list(pinned["no-backbone/0/columns"])
    members = pinned["no-backbone/0"][:, cols.index("active_members")]
    assert members[-1] < members[0]


@pytest.mark.parametrize("name,seed", [(n, s) for n, seeds in RUNS for s in seeds])
def test_every_month_matches_the_pinned_numbers_bit_for_bit(pinned, today, name, seed):
    key = f"{name}/{seed}"
    assert list(today[f"{key}/columns"]) == list(pinned[f"{key}/columns"])
    got, want = today[key], pinned[key]
    assert got.shape == want.shape
    differ = np.flatnonzero((got.view(np.int64) != want.view(np.int64)).any(axis=1))
    assert len(differ) == 0, f"{key}: first differing month {differ[0] if len(differ) else None}"
