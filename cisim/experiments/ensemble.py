"""Parameter ensembles: the sets of assumed parameters that the evidence leaves open.

A calibration (``cisim calibrate``) ends with a posterior ensemble: weighted parameter sets, every one
of them consistent with the targets it was fitted to.  Reports that draw each replicate's parameters
from an ensemble as well as its seed (``uncertainty="parameters"``) give intervals that cover what the
evidence does not pin down, not only seed noise.

An ensemble is a CSV file with the columns ``particle``, ``weight`` and one column per parameter
(dotted path), and a JSON file of the same stem beside it (what it was fitted to, when, by which
cisim).  The bundled one, ``evidence``, lives in ``scenarios/ensembles/``.

Which parameter set a replicate uses depends on its seed alone
(``np.random.SeedSequence([seed, ENSEMBLE_STREAM])``): the runs of two scenarios with the same seeds
use the same parameter sets, so their differences stay paired, and a run's numbers never depend on
the batch it is in.  Reading an ensemble needs neither pandas nor a worker's heavy imports, and finding
its file (``ensemble_path``) not even numpy, so that ``cisim validate`` answers at once.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cisim.model.scenario import BUNDLED_DIR, ScenarioError, field_for, load

#: What an interval covers: seed noise only, or seed noise and the parameters the evidence leaves open.
UNCERTAINTY = ("seeds", "parameters")
#: Folder of the bundled ensembles, and the one reports use by default.
ENSEMBLE_DIR = BUNDLED_DIR / "ensembles"
DEFAULT_ENSEMBLE = "evidence"
#: The stream of a seed that picks its parameter set (any constant other than the model's own streams).
ENSEMBLE_STREAM = 0x5E7

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np


def ensemble_path(name_or_path: str | Path = DEFAULT_ENSEMBLE) -> Path:
    """The CSV file of a bundled ensemble by name, or of an ensemble file by path."""
    text = str(name_or_path)
    candidates = [Path(text), Path(f"{text}.csv"), ENSEMBLE_DIR / f"{text}.csv",
                  Path(__file__).resolve().parents[1] / "scenarios" / "ensembles" / f"{text}.csv"]
    for c in candidates:
        if c.is_file():
            return c
    names = sorted(p.stem for p in ENSEMBLE_DIR.glob("*.csv")) if ENSEMBLE_DIR.is_dir() else []
    raise ScenarioError(text, "ensemble", f"no such ensemble file (bundled: {', '.join(names) or 'none'})")


@dataclass(frozen=True)
class Ensemble:
    """Weighted parameter sets: ``values[i, j]`` is set i's value of ``parameters[j]``."""

    name: str
    path: Path
    parameters: tuple[str, ...]
    values: np.ndarray
    weights: np.ndarray  # sums to 1
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.weights)

    def indices(self, seeds: Iterable[int]) -> np.ndarray:
        """The parameter set each seed's run uses, drawn by weight from the seed alone."""
        import numpy as np

        cum = np.cumsum(self.weights)
        cum[-1] = 1.0
        u = np.array([np.random.SeedSequence([int(s), ENSEMBLE_STREAM]).generate_state(1, np.uint64)[0]
                      for s in seeds], dtype=np.float64) / 2.0**64
        return np.minimum(np.searchsorted(cum, u, side="right"), len(cum) - 1)

    def rows(self, seeds: Iterable[int], keep: Iterable[str] = ()) -> list[dict[str, float | int]]:
        """Per-run parameter changes for ``seeds`` (one dict a run), leaving out the paths in ``keep``
        (values the user set on purpose win over the ensemble)."""
        paths, values = self.columns(seeds, keep)
        ints = [(f := field_for_path(p)) is not None and f.integer for p in paths]
        return [{p: (int(v) if i else float(v)) for p, i, v in zip(paths, ints, row)} for row in values.tolist()]

    def columns(self, seeds: Iterable[int], keep: Iterable[str] = ()) -> tuple[list[str], np.ndarray]:
        """What ``rows`` gives, as the parameter paths left after ``keep`` and one array of their values
        (runs, paths), integer parameters rounded: a sweep's run table takes it whole.

        Seeds that repeat (common seeds at every point of a design) are drawn once."""
        import numpy as np

        keep = set(keep)
        js = [j for j, p in enumerate(self.parameters) if p not in keep]
        paths = [self.parameters[j] for j in js]
        seeds = np.asarray(list(seeds), dtype=np.int64)
        unique, back = np.unique(seeds, return_inverse=True)
        values = self.values[self.indices(unique.tolist())[back.reshape(-1)]][:, js]
        for k, p in enumerate(paths):
            f = field_for_path(p)
            if f is not None and f.integer:
                values[:, k] = np.round(values[:, k])
        return paths, values

    def quantile(self, q: float) -> dict[str, float]:
        """Each parameter's weighted quantile ``q`` (the median at 0.5)."""
        return {p: weighted_quantile(self.values[:, j], self.weights, q) for j, p in enumerate(self.parameters)}

    def effective_size(self) -> float:
        return effective_size(self.weights)


def weighted_quantile(x, w, q: float) -> float:
    """The smallest x whose cumulative weight reaches q (of the total)."""
    import numpy as np

    order = np.argsort(x, kind="stable")
    c = np.cumsum(np.asarray(w)[order])
    return float(np.asarray(x)[order][min(np.searchsorted(c, q * c[-1]), len(order) - 1)])


def effective_size(w) -> float:
    """Kish's effective sample size of weights ``w``."""
    import numpy as np

    w = np.asarray(w, dtype=float)
    return float(w.sum() ** 2 / np.sum(w**2))


def field_for_path(path: str):
    """The schema field of a scalar parameter (None for a domain's parameter)."""
    from cisim.model.schema import BY_PATH

    return BY_PATH.get(path)


def load_ensemble(name_or_path: str | Path = DEFAULT_ENSEMBLE) -> Ensemble:
    """Read an ensemble (bundled name or CSV path), checking every value against its parameter's range."""
    import numpy as np

    path = ensemble_path(name_or_path)
    try:
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError(path, "ensemble", f"cannot read the file ({exc})") from exc
    if len(rows) < 2 or "weight" not in rows[0]:
        raise ScenarioError(path, "ensemble", "expected a CSV table with a header, a weight column and one row "
                            "per parameter set")
    header = rows[0]
    params = tuple(h for h in header if h not in ("particle", "weight"))
    base = load("collective")
    for p in params:
        if field_for(base, p, strict=False) is None:
            raise ScenarioError(path, p, "expected a scalar parameter's dotted path as a column name")
    try:
        table = np.array([[float(x) for x in r] for r in rows[1:] if r], dtype=float)
    except ValueError as exc:
        raise ScenarioError(path, "ensemble", f"expected numbers in every cell ({exc})") from exc
    if table.ndim != 2 or table.shape[1] != len(header) or not np.isfinite(table).all():
        raise ScenarioError(path, "ensemble", "expected a finite number in every cell of every row")
    w = table[:, header.index("weight")]
    if (w < 0).any() or w.sum() <= 0:
        raise ScenarioError(path, "weight", "expected weights of 0 or more, not all 0")
    values = table[:, [header.index(p) for p in params]]
    for j, p in enumerate(params):
        f = field_for_path(p)
        if f is not None and ((values[:, j] < f.lo) | (values[:, j] > f.hi)).any():
            raise ScenarioError(path, p, f"expected values from {f.lo:g} to {f.hi:g}")
    meta_file = path.with_suffix(".json")
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
    return Ensemble(path.stem, path, params, values, w / w.sum(), meta)


def write_ensemble(path: str | Path, parameters: Sequence[str], values: np.ndarray, weights: np.ndarray,
                   meta: dict[str, Any]) -> Path:
    """Write an ensemble's CSV file and its JSON record."""
    from cisim.experiments import metadata

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(["particle", "weight", *parameters])]
    for i, (w, row) in enumerate(zip(weights, values)):
        lines.append(",".join([str(i), repr(float(w)), *(repr(float(v)) for v in row)]))
    metadata.write_text(path, "\n".join(lines) + "\n")
    metadata.write_json(path.with_suffix(".json"), meta)
    return path


def check_uncertainty(value: str) -> str:
    if value not in UNCERTAINTY:
        raise ValueError(f"uncertainty must be one of {', '.join(UNCERTAINTY)}, got {value!r}")
    return value
