"""Experiments and analysis: many runs, and the numbers drawn from them.

The batch runner (``batch``, ``runner``), sweeps over experiment files (``experiment``,
``sweep``, ``worker``), comparisons (``compare``), sensitivity analysis (``sensitivity``),
per-run summaries (``summary``) and the record of what was run
(``metadata``).  It imports from ``cisim.model`` only, never from ``cisim.interfaces``.
"""
