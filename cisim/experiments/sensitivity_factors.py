"""What a sensitivity design is made of, checked without sampling it: factors, methods, sizes.

``cisim validate`` checks a sensitivity experiment with this module alone, so that it answers
before numpy, pandas, scipy or SALib load; ``cisim.experiments.sensitivity`` samples the design
and re-exports every name here.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

METHODS = ("sobol", "morris", "efast", "rbd_fast", "pawn", "delta")
DUMMY = "dummy"

# number of values SALib expects in ``bounds`` for each distribution, and what they mean
DISTS = {
    "unif": ("low", "high"),
    "logunif": ("low", "high"),
    "triang": ("start", "end", "peak (fraction of the width)"),
    "norm": ("mean", "sd"),
    "truncnorm": ("low", "high", "mean", "sd"),
    "lognorm": ("mean of ln", "sd of ln"),
}
#: Distributions with unbounded support: only a sample says whether their values stay in a parameter's range.
UNBOUNDED = ("norm", "lognorm")
# options per method, with defaults: sampling options and analysis options live on the design
_OPTIONS: dict[str, dict[str, Any]] = {
    "sobol": {"scramble": True},
    "morris": {"num_levels": 4},
    "efast": {"M": 4},
    "rbd_fast": {"M": 10},
    "pawn": {"S": 10},
    "delta": {},
}


#: The range of each whole-number sampling option (Morris's levels, eFAST's and RBD-FAST's interference
#: factor M, PAWN's slides S): below it SALib divides by zero or draws nothing; above it nothing is gained.
OPTION_RANGES = {"num_levels": (2, 1000), "M": (1, 1000), "S": (2, 1000)}


class OptionError(ValueError):
    """A design option out of its domain; ``option`` names it (``M``, ``num_levels``, ``scramble``, ...)."""

    def __init__(self, option: str, message: str):
        self.option = option
        super().__init__(message)


@dataclass(frozen=True)
class Factor:
    """An uncertain input: a dotted parameter path, its bounds and distribution (SALib's conventions).

    ``bounds`` holds what SALib expects for ``dist`` (see :data:`DISTS`): ``unif`` and
    ``logunif`` (low, high); ``triang`` (start, end, peak as a fraction of the width);
    ``norm`` (mean, sd); ``truncnorm`` (low, high, mean, sd); ``lognorm`` (mean, sd of ln x).
    ``integer`` rounds the sampled value (for ``unif``: each whole number from low to high
    equally often).
    """

    name: str
    bounds: tuple[float, ...]
    dist: str = "unif"
    integer: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"a factor needs a name (a dotted parameter path), got {self.name!r}")
        if self.dist not in DISTS:
            raise ValueError(f"factor {self.name!r}: unknown distribution {self.dist!r}; "
                             f"choose from {', '.join(DISTS)}")
        try:
            bounds = tuple(float(b) for b in self.bounds)
        except (TypeError, ValueError):
            raise ValueError(f"factor {self.name!r}: bounds must be numbers, got {self.bounds!r}") from None
        object.__setattr__(self, "bounds", bounds)
        want = DISTS[self.dist]
        if len(bounds) != len(want):
            raise ValueError(f"factor {self.name!r}: {self.dist} needs {len(want)} bounds ({', '.join(want)}), "
                             f"got {len(bounds)}: {bounds!r}")
        if not all(math.isfinite(b) for b in bounds):
            raise ValueError(f"factor {self.name!r}: bounds must be finite, got {bounds!r}")
        problem = _bounds_problem(self.dist, bounds)
        if not problem and self.integer and self.dist == "unif" and not all(b == int(b) for b in bounds):
            problem = "an integer factor's bounds must be whole numbers"
        if problem:
            raise ValueError(f"factor {self.name!r} ({self.dist} {bounds!r}): {problem}")

    @classmethod
    def from_spec(cls, name: str, spec: Sequence[float] | Mapping[str, Any]) -> Factor:
        """A factor from ``[low, high]`` or ``{"bounds": [...], "dist": "norm", "integer": true}`` (e.g. TOML)."""
        if isinstance(spec, Mapping):
            unknown = set(spec) - {"bounds", "dist", "integer"}
            if unknown:
                raise ValueError(f"factor {name!r}: unknown key(s) {sorted(unknown)}; known: bounds, dist, integer")
            if "bounds" not in spec:
                raise ValueError(f"factor {name!r}: missing 'bounds'")
            return cls(name, tuple(spec["bounds"]), spec.get("dist", "unif"), bool(spec.get("integer", False)))
        return cls(name, tuple(spec))

    @property
    def salib_bounds(self) -> list[float]:
        """The bounds handed to SALib (integer uniform factors are widened by half a unit each side)."""
        if self.integer and self.dist == "unif":
            return [self.bounds[0] - 0.5, self.bounds[1] + 0.5]
        return list(self.bounds)

    def values(self, x: np.ndarray) -> np.ndarray:
        """Model values from sampled values: integers rounded (into range, for uniform ones)."""
        import numpy as np

        if not self.integer:
            return np.asarray(x, dtype=float)
        if self.dist == "unif":
            lo, hi = math.ceil(self.bounds[0]), math.floor(self.bounds[1])
            return np.clip(np.floor(np.asarray(x) + 0.5), lo, hi).astype(np.int64)
        return np.rint(np.asarray(x)).astype(np.int64)


def _bounds_problem(dist: str, b: tuple[float, ...]) -> str | None:
    """Why SALib would reject these bounds for ``dist`` (None if it would not)."""
    if dist == "unif" and not b[0] < b[1]:
        return "low must be less than high"
    if dist == "logunif" and not 0 < b[0] < b[1]:
        return "needs 0 < low < high"
    if dist == "triang":
        start, end, peak = b
        if not start < end:
            return "start must be less than end"
        if end < 0:
            return "SALib's triangular scaling rejects a negative end"
        if not 0 <= peak < 1:
            return "peak is a fraction of the width, from 0 up to (not including) 1"
    if dist in ("norm", "lognorm") and not b[1] > 0:
        return "sd must be positive"
    if dist == "truncnorm":
        if not b[0] < b[1]:
            return "low must be less than high"
        if not b[3] > 0:
            return "sd must be positive"
    return None


def factors_from_spec(spec: Mapping[str, Sequence[float] | Mapping[str, Any]]) -> list[Factor]:
    """Factors from a mapping of dotted path to bounds or to ``{"bounds", "dist", "integer"}``."""
    return [Factor.from_spec(name, s) for name, s in spec.items()]


def _check_method(method: str) -> str:
    m = str(method).lower().replace("-", "_")
    if m not in METHODS:
        raise ValueError(f"unknown sensitivity method {method!r}; choose from {', '.join(METHODS)}")
    return m


def _min_n(method: str, options: Mapping[str, Any]) -> int:
    """The smallest base sample size an analysis (or a convergence level) is run with."""
    return {"sobol": 2, "morris": 2, "efast": 4 * options.get("M", 4) ** 2 + 1, "rbd_fast": 4 * options.get("M", 10),
            "pawn": 5 * options.get("S", 10), "delta": 100}[method]



def _check_options(method: str, opts: Mapping[str, Any], second_order: Any, dummy: Any) -> None:
    """Every option of the method inside its domain (see ``OPTION_RANGES``); the switches true or false."""
    for name, value in (("second_order", second_order), ("dummy", dummy), ("scramble", opts.get("scramble", True))):
        if not isinstance(value, bool):
            raise OptionError(name, f"{name} must be true or false, got {value!r}")
    for name, value in opts.items():
        if name not in OPTION_RANGES:
            continue
        lo, hi = OPTION_RANGES[name]
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or not lo <= value <= hi:
            raise OptionError(name, f"{method} {name} must be a whole number from {lo} to {hi}, got {value!r}")


def check_design(factors: Sequence[Factor], method: str, n: int, *, second_order: bool = False,
                 dummy: bool = True, **options: Any) -> tuple[str, int, tuple[Factor, ...], dict[str, Any]]:
    """The arguments of ``make_design`` checked: (method, n, factors with the dummy last, options with defaults).

    Raises ``ValueError`` (``TypeError`` for an unknown option) for what would make the design unusable.
    """
    method = _check_method(method)
    factors = tuple(factors)
    if not factors or not all(isinstance(f, Factor) for f in factors):
        raise ValueError("give one or more Factor objects")
    names = [f.name for f in factors]
    dupes = sorted({x for x in names if names.count(x) > 1})
    if dupes:
        raise ValueError(f"factor names must be unique; repeated: {', '.join(dupes)}")
    if dummy and DUMMY in names:
        raise ValueError(f"{DUMMY!r} is the name of the added dummy factor; rename the factor or pass dummy=False")
    unknown = set(options) - set(_OPTIONS[method])
    if unknown:
        known = ", ".join(_OPTIONS[method]) or "none"
        raise TypeError(f"unknown option(s) for {method}: {', '.join(sorted(unknown))} (known: {known})")
    opts = {**_OPTIONS[method], **options}
    _check_options(method, opts, second_order, dummy)
    if second_order and method != "sobol":
        raise OptionError("second_order", f"second-order indices come from Sobol' only, not {method}")
    if isinstance(n, bool) or not isinstance(n, numbers.Integral):
        raise ValueError(f"N must be a whole number, got {n!r}")
    n = int(n)
    if method == "sobol" and (n < 2 or n & (n - 1)):
        lower = 2 ** max(1, int(math.log2(max(n, 2))))
        raise ValueError(f"Sobol' needs N to be a power of two, got N={n} (try N={lower} or N={2 * lower})")
    if n < _min_n(method, opts):
        raise ValueError(f"{method} needs N >= {_min_n(method, opts)}, got N={n}")
    if method == "morris":
        levels = opts["num_levels"]
        if levels % 2:
            raise OptionError("num_levels", f"Morris num_levels must be an even whole number >= 2, got {levels!r}")
        unbounded = [f.name for f in factors if f.dist in UNBOUNDED]
        if unbounded:
            raise ValueError(f"Morris grids include the 0 and 1 quantiles, which are infinite for "
                             f"{', '.join(unbounded)} (norm/lognorm); use truncnorm or another method")
    if dummy:
        factors = factors + (Factor(DUMMY, (0.0, 1.0)),)
    if len(factors) < 2:
        raise ValueError("a sensitivity analysis needs two or more factors (or keep the dummy)")

    return method, n, factors, opts


def design_rows(method: str, n: int, k: int, second_order: bool = False) -> int:
    """Rows SALib's sampler gives for base size ``n`` and ``k`` factors (the dummy counted)."""
    if method == "sobol":
        return n * (2 * k + 2 if second_order else k + 2)
    if method == "morris":
        return n * (k + 1)
    if method == "efast":
        return n * k
    return n
