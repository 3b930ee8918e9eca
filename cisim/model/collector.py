"""A Mesa DataCollector that records the kernel's output row each step.

Mesa's collector calls and deep-copies one reporter per variable per step; the
model already holds this month's outputs in one array, so copying that row is
all a step needs.  The public API (``model_vars``, ``get_model_vars_dataframe``,
agent-type reporters) is Mesa's, so ``batch_run`` and SolaraViz read it as usual.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import mesa
import numpy as np
import pandas as pd


class OutputCollector(mesa.DataCollector):
    """Records ``row(model)`` (a 1-D float array named by ``names``) at every collect."""

    def __init__(self, names: Sequence[str], row: Callable, agenttype_reporters: dict | None = None):
        self._names = list(names)
        self._row = row
        self._rows: list[np.ndarray] = []
        self._cache: dict[str, list] | None = None
        super().__init__(model_reporters={n: row for n in names}, agenttype_reporters=agenttype_reporters)

    @property
    def model_vars(self) -> dict[str, list]:
        if self._cache is None or len(next(iter(self._cache.values()), [])) != len(self._rows):
            table = np.array(self._rows).reshape(len(self._rows), len(self._names))
            self._cache = {n: table[:, k].tolist() for k, n in enumerate(self._names)}
        return self._cache

    @model_vars.setter
    def model_vars(self, value) -> None:  # Mesa's __init__ assigns it; the rows are the record
        self._cache = None

    def _new_model_reporter(self, name, reporter) -> None:
        self.model_reporters[name] = reporter

    def collect(self, model) -> None:
        self._collection_steps.append(model.time)
        self._rows.append(self._row(model))
        if self.agenttype_reporters:
            self._agenttype_records[model.time] = {
                t: list(self._record_agenttype(model, t)) for t in self.agenttype_reporters
            }

    def array(self) -> np.ndarray:
        """All rows so far: (collects, variables)."""
        return np.array(self._rows).reshape(len(self._rows), len(self._names))

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        return pd.DataFrame(self.array(), columns=self._names)
