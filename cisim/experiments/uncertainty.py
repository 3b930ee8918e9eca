"""What an interval covers, and the one place its words come from.

Two kinds of uncertainty (``UNCERTAINTY``):

* ``seeds``: replicates differ only in their seed, so an interval covers seed noise alone (the
  model's parameters as the scenario gives them);
* ``parameters``: each replicate also takes the parameter set an ensemble (``cisim.experiments.ensemble``,
  by default the calibrated ``evidence`` one) gives its seed, on top of its scenario, so an interval
  covers seed noise and what the evidence leaves open about the assumed parameters.  Parameters the
  user set on purpose (``--set``, an experiment's ``[changes]`` and factors, a batch's parameter
  columns) keep their values: the ensemble's are dropped for them.

A replicate's parameter set depends on its seed alone: two scenarios run with the same seeds run the
same sets (their differences stay paired), and a run's numbers never depend on its batch.

Every table, figure and printed line that shows an interval words it with ``interval_text``, from the
``uncertainty`` record that every metadata record carries (``Uncertainty.record``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cisim.experiments.ensemble import DEFAULT_ENSEMBLE, UNCERTAINTY, Ensemble, ensemble_path, load_ensemble
from cisim.model.scenario import ScenarioError

#: What the API functions, ``cisim run`` and sweeps use unless told; the funders' reports
#: (``cisim compare``, ``cisim report backbone``) use ``REPORT_DEFAULT``.
DEFAULT = "seeds"
REPORT_DEFAULT = "parameters"


def file_sha256(path: str | Path) -> str:
    """The sha256 of a file's bytes (an ensemble's CSV file), to tell later which sets a run used."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@dataclass(frozen=True)
class Uncertainty:
    """What varies from replicate to replicate: the seed, or the seed and an ensemble's parameter set."""

    kind: str = DEFAULT
    ensemble: Ensemble | None = None
    sha256: str | None = None

    @property
    def parameters(self) -> bool:
        return self.kind == "parameters"

    def columns(self, seeds: Iterable[int], keep: Iterable[str] = ()) -> tuple[list[str], Any]:
        """The per-run parameter columns the ensemble adds for ``seeds`` (none with ``seeds``): paths and
        values (runs, paths), leaving out the paths in ``keep``."""
        if self.ensemble is None:
            import numpy as np

            return [], np.empty((len(list(seeds)), 0))
        return self.ensemble.columns(seeds, keep)

    def record(self, kept: Iterable[str] = ()) -> dict[str, Any]:
        """The ``uncertainty`` and ``ensemble`` entries of a metadata record (and of ``--json`` output)."""
        if self.ensemble is None:
            return {"uncertainty": self.kind, "ensemble": None}
        e = self.ensemble
        kept = sorted(set(kept) & set(e.parameters))
        return {"uncertainty": self.kind, "ensemble": {
            "name": e.name, "file": str(e.path), "sha256": self.sha256, "sets": len(e),
            "effective_sets": round(e.effective_size(), 1), "parameters": list(e.parameters),
            "kept": kept, "provisional": bool(e.meta.get("provisional", False))}}

    def interval(self, runs: int | str) -> str:
        """The words for an interval over ``runs`` runs of this kind (see ``interval_text``)."""
        return interval_text(self.record(), runs)


def resolve(uncertainty: str | Uncertainty | None = DEFAULT, ensemble: str | Path | Ensemble | None = None, *,
            where: tuple[str, str] = ("uncertainty", "ensemble")) -> Uncertainty:
    """An ``Uncertainty`` from its kind and, for ``parameters``, an ensemble (bundled name, CSV path or
    ``Ensemble``; default ``evidence``).

    Raises ``ScenarioError`` (a ``ValueError``) naming ``where`` (the argument, option or key) for an
    unknown kind, an ensemble given with ``seeds``, or an ensemble file that is missing or wrong.
    """
    if isinstance(uncertainty, Uncertainty):
        if ensemble is not None:
            raise ScenarioError(where[1], None, "give an ensemble or an Uncertainty, not both")
        return uncertainty
    kind = DEFAULT if uncertainty is None else uncertainty
    if kind not in UNCERTAINTY:
        raise ScenarioError(where[0], None, f"expected {' or '.join(UNCERTAINTY)}, got {kind!r}")
    if kind == "seeds":
        if ensemble is not None:
            raise ScenarioError(where[1], None, f"applies with {where[0]} 'parameters' only (here 'seeds': "
                                "every replicate keeps the scenario's parameters)")
        return Uncertainty("seeds")
    if isinstance(ensemble, Ensemble):
        return Uncertainty("parameters", ensemble, file_sha256(ensemble.path))
    name = DEFAULT_ENSEMBLE if ensemble is None else ensemble
    try:
        loaded = load_ensemble(name)
    except ScenarioError as exc:
        raise _named(exc, f"{where[1]} {name}") from None
    return Uncertainty("parameters", loaded, file_sha256(loaded.path))


def _named(exc: ScenarioError, where: str) -> ScenarioError:
    """``exc`` said of ``where`` (the option or key that named the ensemble), keeping the column it names."""
    text = str(exc)
    prefix = f"{exc.file}: " + ("key 'ensemble': " if exc.key == "ensemble" else "")
    return ScenarioError(where, None, text[len(prefix):] if text.startswith(prefix) else text)


def find(ensemble: str | Path, where: str = "ensemble") -> Path:
    """The CSV file of an ensemble, by bundled name or path, without reading it (no numpy: for ``cisim validate``)."""
    try:
        return ensemble_path(ensemble)
    except ScenarioError as exc:
        raise _named(exc, f"{where} {ensemble}") from None


def kind_of(record: Mapping[str, Any] | None) -> str:
    """The kind of uncertainty a metadata record says its runs had (``seeds`` for a record from before
    ensembles existed: those runs had seed noise only)."""
    return (record or {}).get("uncertainty") or "seeds"


def interval_text(record: Mapping[str, Any] | None, runs: int | str, level: float | None = None) -> str:
    """What an interval covers, in the words every table, figure and printed line uses::

        95% interval: seed noise (20 seeds)
        95% interval: seed noise and the calibrated parameters (20 runs, parameter sets from the evidence ensemble)

    ``record`` is a metadata record (or its ``uncertainty`` entries; None means seed noise only),
    ``runs`` the runs behind each interval (a number, or words such as "3 to 5").
    """
    if level is None:
        from cisim.experiments.intervals import LEVEL  # (numpy's module: this one stays light for the CLI's checks)

        level = LEVEL
    pct = f"{100 * level:g}%"
    record = record or {}
    if kind_of(record) == "seeds":
        return f"{pct} interval: seed noise ({runs} seeds)"
    e = record.get("ensemble") or {}
    name = e.get("name") or DEFAULT_ENSEMBLE
    note = ", provisional" if e.get("provisional") else ""
    return (f"{pct} interval: seed noise and the calibrated parameters ({runs} runs, parameter sets from the "
            f"{name} ensemble{note})")


def ensemble_columns(record: Mapping[str, Any] | None) -> list[str]:
    """The columns of a results table that hold the ensemble's values the runs took (none with seeds): they vary
    from run to run by design, paired by seed, and are not factors."""
    if kind_of(record) == "seeds":
        return []
    e = (record or {}).get("ensemble") or {}
    return [p for p in e.get("parameters", []) if p not in set(e.get("kept", []))]


def parameters_note(record: Mapping[str, Any] | None) -> str:
    """Where a run's parameters came from, for outputs with no interval (one run): "" with seeds."""
    if kind_of(record) == "seeds":
        return ""
    e = (record or {}).get("ensemble") or {}
    return f"parameters from the {e.get('name') or DEFAULT_ENSEMBLE} ensemble, the set its seed picks"


__all__ = ["DEFAULT", "REPORT_DEFAULT", "UNCERTAINTY", "Uncertainty", "file_sha256", "find", "interval_text",
           "ensemble_columns", "kind_of", "parameters_note", "resolve"]
