"""How numbers are written for people: money, shares, percentage points, intervals, counts, seeds, values.

The command line, the figures, the reports, the handout, the dashboard and the generated
parameter table of ``docs/ODD.md`` all write their numbers with these functions, so that one
quantity reads the same wherever it appears.  It sits in the model layer because the parameter
table is written there, and imports only the standard library because the command line loads
it at start-up.  A number that is not finite (NaN, a run with no value) reads ``n/a``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable

NA = "n/a"
#: Seeds listed one by one before the rest are elided (a run of consecutive seeds is written as a range).
SEEDS_LISTED = 10


def _missing(x: float | None) -> bool:
    return x is None or not math.isfinite(x)


def number(x: float, digits: int = 1, signed: bool = False) -> str:
    """A plain number with thousands separators: ``1,234.5``; ``+0.3`` when ``signed``."""
    if _missing(x):
        return NA
    return f"{x:{'+' if signed else ''},.{digits}f}"


def percent(x: float, digits: int = 1, symbol: bool = True) -> str:
    """A share (0..1) as a percentage: 0.123 reads ``12.3%`` (``12.3`` without the ``symbol``)."""
    if _missing(x):
        return NA
    return f"{100 * x:.{digits}f}" + ("%" if symbol else "")


def share(x: float) -> str:
    """A share someone chose (a level, a tolerance), in as few digits as it needs: ``12%``, ``12.5%``."""
    if _missing(x):
        return NA
    pct = 100 * x
    return f"{pct:.0f}%" if abs(pct - round(pct)) < 1e-9 else f"{pct:.1f}%"


def points(x: float, digits: int = 1, signed: bool = False, unit: str = "pts") -> str:
    """A difference of two shares in percentage points: 0.032 reads ``3.2 pts`` (``+3.2 pts`` when ``signed``)."""
    if _missing(x):
        return NA
    text = number(100 * x, digits, signed)
    return f"{text} {unit}" if unit else text


def money(x: float) -> str:
    """Dollars, rounded to what a reader compares: ``$850``, ``$12k``, ``$1.2M``, ``-$3k``."""
    if _missing(x):
        return NA
    sign, x = ("-", -x) if x < 0 else ("", x)
    if x >= 1e6:
        return f"{sign}${x / 1e6:,.1f}M"
    if x >= 1e3:
        return f"{sign}${x / 1e3:,.0f}k"
    return f"{sign}${x:,.0f}"


def dollars(x: float) -> str:
    """Whole dollars, for amounts a reader takes per person: ``$4,100``."""
    if _missing(x):
        return NA
    sign, x = ("-", -x) if x < 0 else ("", x)
    return f"{sign}${x:,.0f}"


def interval(mean: float, low: float, high: float, fmt: Callable[[float], str] = number,
             bounds: Callable[[float], str] | None = None) -> str:
    """A mean and its interval, ``12.3% [10.1, 14.5]``: the bounds in ``bounds`` (default ``fmt``).

    The mean alone when the interval is unknown (one run) or has no width (every run alike),
    where brackets would add nothing.
    """
    if _missing(mean):
        return NA
    text = fmt(mean)
    if _missing(low) or _missing(high) or not high > low:
        return text
    bound = bounds or fmt
    return f"{text} [{bound(low)}, {bound(high)}]"


def horizon(months: int) -> str:
    """A horizon as people say it: ``3 years``, ``1 year``, ``30 months``."""
    if months % 12 == 0:
        return count(months // 12, "year")
    return count(months, "month")


def count(n: int, thing: str) -> str:
    """``1 factor``, ``3 factors``: a count with its noun."""
    return f"{n} {thing}{'' if n == 1 else 's'}"


def seed_text(values: Iterable[int]) -> str:
    """Seeds as a reader checks them: ``0 to 29`` when consecutive, else the first few listed."""
    seq = [int(s) for s in values]
    if len(seq) > 1 and seq == list(range(seq[0], seq[0] + len(seq))):
        return f"{seq[0]} to {seq[-1]}"
    return ", ".join(map(str, seq[:SEEDS_LISTED])) + (" ..." if len(seq) > SEEDS_LISTED else "")


def plain(x: float, integer: bool = False) -> str:
    """A parameter value as people write it: ``30``, ``0.035``, ``20000``, ``1e8``."""
    if integer:
        return str(int(x))
    if x == int(x) and abs(x) < 1e6:
        return str(int(x))
    return f"{x:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


__all__ = ["NA", "count", "horizon", "interval", "money", "number", "percent", "plain", "points", "seed_text", "share"]
