"""Experiments and analysis: many runs, and the numbers drawn from them.

The batch runner (``batch``, ``runner``), sweeps over experiment files (``experiment``,
``sweep``, ``worker``), comparisons (``compare``), sensitivity analysis (``sensitivity``, its designs' factors and
checks in ``sensitivity_factors``), per-run summaries (``summary``, their names in ``outputs``),
the funder reports' tables (``tables``), plain-language names of parameters and outputs (``labels``)
and the record of what was run (``metadata``).  It imports from ``cisim.model`` only, never from ``cisim.interfaces``.
"""
