"""The pinned baseline: every month's outputs of a few bundled scenarios and seeds.

``tests/test_baseline.py`` compares today's numbers with ``tests/data/baseline.npz`` bit for
bit, so a change meant to move code (not numbers) proves it moved none.  A change to the
model's mechanisms rewrites the file on purpose::

    uv run python tests/baseline.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import cisim

FILE = Path(__file__).parent / "data" / "baseline.npz"

#: (scenario, seeds): the no-backbone runs lose members; the four seed cases carry their own domains.
RUNS: tuple[tuple[str, tuple[int, ...]], ...] = (
    ("collective", (0, 1)),
    ("isolated", (0,)),
    ("backbone-withdrawn", (0, 1)),
    ("no-backbone", (0, 1)),
    ("youth-homelessness", (0,)),
    ("health-equity-delta", (0,)),
    ("wealth-building", (3,)),
    ("farmworker-health", (5,)),
)


def compute() -> dict[str, np.ndarray]:
    """Every per-step output and every domain's coverage, every month, per scenario and seed."""
    arrays: dict[str, np.ndarray] = {}
    for name, seeds in RUNS:
        batch = cisim.run_batch(name, list(seeds), outputs="steps")
        steps = batch.steps.drop(columns=["scenario", "run", "seed", "month"])
        months = batch.scenario.months + 1
        for k, seed in enumerate(seeds):
            rows = steps.iloc[k * months:(k + 1) * months]
            arrays[f"{name}/{seed}"] = rows.to_numpy(dtype=float)
            arrays[f"{name}/{seed}/columns"] = np.array(steps.columns, dtype=str)
    return arrays


if __name__ == "__main__":
    FILE.parent.mkdir(exist_ok=True)
    np.savez_compressed(FILE, **compute())
    print(f"wrote {FILE} ({FILE.stat().st_size:,} bytes)")
