"""Numbers read the same wherever cisim writes them (``cisim.model.formats``)."""

from __future__ import annotations

import math
import subprocess
import sys

from cisim.model import formats as F


def test_money_rounds_to_what_a_reader_compares():
    assert F.money(850) == "$850"
    assert F.money(12_345) == "$12k"
    assert F.money(1_240_000) == "$1.2M"
    assert F.money(-3_000) == "-$3k"
    assert F.money(math.nan) == F.money(math.inf) == "n/a"


def test_shares_percentages_and_points():
    assert F.percent(0.1234) == "12.3%"
    assert F.percent(0.1234, 0) == "12%"
    assert F.percent(0.1234, symbol=False) == "12.3"
    assert F.share(0.12) == "12%" and F.share(0.125) == "12.5%" and F.share(0.05) == "5%"
    assert F.points(0.032) == "3.2 pts"
    assert F.points(0.032, signed=True, unit="points") == "+3.2 points"
    assert F.points(-0.032, signed=True, unit="") == "-3.2"
    assert F.number(1234.56) == "1,234.6" and F.number(3, 0) == "3" and F.number(0.25, 2, signed=True) == "+0.25"
    assert F.percent(math.nan) == F.points(math.nan) == F.number(math.nan) == F.share(math.nan) == "n/a"


def test_intervals_show_brackets_only_when_they_say_something():
    assert F.interval(0.623, 0.601, 0.645, F.percent) == "62.3% [60.1%, 64.5%]"
    bare = F.interval(0.623, 0.601, 0.645, F.percent, lambda v: F.percent(v, symbol=False))
    assert bare == "62.3% [60.1, 64.5]"
    assert F.interval(0.5, math.nan, math.nan, F.percent) == "50.0%"  # one run: no interval
    assert F.interval(3.0, 3.0, 3.0) == "3.0"  # every run alike
    assert F.interval(math.nan, 0.1, 0.2) == "n/a"


def test_counts_and_seeds():
    assert F.count(1, "factor") == "1 factor" and F.count(3, "factor") == "3 factors"
    assert F.seed_text(range(30)) == "0 to 29"
    assert F.seed_text([0, 1]) == "0 to 1"
    assert F.seed_text([4]) == "4"
    assert F.seed_text([3, 7, 9]) == "3, 7, 9"
    assert F.seed_text(range(0, 40, 2)) == "0, 2, 4, 6, 8, 10, 12, 14, 16, 18 ..."


def test_parameter_values_read_plainly():
    assert F.plain(30, integer=True) == "30"
    assert F.plain(20000.0) == "20000"
    assert F.plain(0.035) == "0.035"
    assert F.plain(1e8) == "1e8"
    assert F.plain(1e10) == "1e10"
    assert F.plain(2.5e-5) == "2.5e-5"


def test_formats_and_labels_load_nothing_heavy():
    """The command line imports both at start-up."""
    code = ("import sys, cisim.model.formats, cisim.experiments.labels; "
            "print(sorted(m for m in ('numpy', 'pandas', 'matplotlib', 'numba') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
