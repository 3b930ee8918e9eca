"""What an option buys against the status quo, in people and in the funder's dollars.

A funder asks three things of each option (a backbone share, a scenario): how many more people
are helped, what the funder's own money buys, and what all the money spent buys.  This module
answers them from the per-run outputs of ``cisim.experiments.summary`` for one option's runs and
the status quo's, and is the one place where these ratios are formed; the backbone report and
``cisim compare`` read its results.

- *People helped* are the people who completed the whole pathway over months 1..T
  (``people_completed_total``), in the scenario's words (``[outcome] completed``).
- *Additional people* are the option's minus the status quo's, paired seed by seed when both ran
  the same seeds (common random numbers), else as independent samples.
- *The funder's dollars* (``funder_spend_total``) are its grants and backbone money; *all money*
  (``total_spend``) adds the organizations' own funds and the funds raised from others.
- *Extra funder dollars per additional person* is the incremental cost-effectiveness ratio from
  the funder's side: what the option costs the funder beyond the status quo, over the people it
  adds.  An option paid from the same budget costs the funder nothing extra, so the ratio is 0:
  more people for the same money.  *Backbone dollars per additional person* is the money moved to
  coordination over the people it adds, whether it came from the grants or on top of them.

A ratio is formed only when the gain is clear (the lower end of the 95% interval of the
additional people is above zero); its interval divides by the ends of that interval, holding the
dollars at their mean, and so covers the uncertainty of the gain, not of the spending.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from cisim.experiments.intervals import mean_ci, welch

#: Fewer valid runs than ``MIN_VALID_SHARE`` of a level's runs (or than ``MIN_VALID_RUNS``) make a statistic
#: thin: a ratio that leaves out the runs that helped nobody describes only the runs that went well.
MIN_VALID_RUNS = 3
MIN_VALID_SHARE = 0.8

#: The per-run outputs the people-and-dollars answers need.
VALUE_COLUMNS = ("people_completed_total", "funder_spend_total", "backbone_income_total", "total_spend",
                 "funder_cost_per_person_helped", "cost_per_person_helped", "months_to_completion_final")


def thin(valid: int, runs: int) -> bool:
    """Whether a statistic from ``valid`` of ``runs`` runs rests on too few to be drawn as solid."""
    return valid < MIN_VALID_RUNS or valid < MIN_VALID_SHARE * runs


def _ci(values: np.ndarray) -> tuple[float, float, float, int]:
    mean, lo, hi, n = mean_ci(np.asarray(values, dtype=float))
    return float(mean), float(lo), float(hi), int(n)


def paired(option: pd.DataFrame, base: pd.DataFrame, column: str) -> tuple[float, float, float, int, bool]:
    """Mean of ``option[column]`` minus ``base[column]`` with its 95% interval: seed by seed when both ran
    the same seeds once each, else a Welch interval.  Returns (mean, low, high, n, paired)."""
    a, b = base, option
    if "seed" in a and "seed" in b and not a["seed"].duplicated().any() and not b["seed"].duplicated().any() \
            and set(a["seed"]) == set(b["seed"]):
        d = b.set_index("seed")[column].astype(float) - a.set_index("seed")[column].astype(float)
        mean, lo, hi, n = _ci(d.to_numpy())
        return mean, lo, hi, n, True
    mean, lo, hi = welch(a[column].to_numpy(dtype=float), b[column].to_numpy(dtype=float))
    n = int(min(a[column].notna().sum(), b[column].notna().sum()))
    return mean, lo, hi, n, False


def _ratio(dollars: float, gain: tuple[float, float, float]) -> tuple[float, float, float]:
    """``dollars`` over the gain (mean, low, high), with the interval from the gain's ends; NaN unless the gain
    is clearly above zero."""
    mean, lo, hi = gain
    if not (lo > 0 and math.isfinite(dollars)):
        return math.nan, math.nan, math.nan
    return dollars / mean, dollars / hi if math.isfinite(hi) else math.nan, dollars / lo


def has_value_columns(df: pd.DataFrame) -> bool:
    return all(c in df for c in VALUE_COLUMNS)


def against(option: pd.DataFrame, base: pd.DataFrame, months: int) -> dict[str, Any]:
    """People and dollars of ``option``'s runs against the status quo's ``base`` runs, over ``months`` months.

    Keys: ``runs``; ``people_*`` (mean, ci_low, ci_high; ``people_per_year_*``), ``additional_*`` (with
    ``additional_per_year_*``, ``additional_paired``, ``additional_clear``); ``funder_dollars``,
    ``extra_funder_dollars_*``, ``backbone_dollars``, ``extra_backbone_dollars``;
    ``funder_dollars_per_person_*`` and ``all_dollars_per_person_*`` (per run, then averaged, with the runs
    that helped nobody left out: ``*_valid`` counts those kept and ``*_thin`` flags too few);
    ``extra_funder_dollars_per_additional_*`` and ``backbone_dollars_per_additional_*`` (see the module
    doc); ``months_to_completion_mean``.
    """
    years = months / 12.0
    row: dict[str, Any] = {"runs": len(option)}
    m, lo, hi, _ = _ci(option["people_completed_total"].to_numpy())
    row.update(people_mean=m, people_ci_low=lo, people_ci_high=hi,
               people_per_year_mean=m / years, people_per_year_ci_low=lo / years, people_per_year_ci_high=hi / years)
    am, alo, ahi, _, pair = paired(option, base, "people_completed_total")
    row.update(additional_mean=am, additional_ci_low=alo, additional_ci_high=ahi, additional_paired=pair,
               additional_per_year_mean=am / years, additional_per_year_ci_low=alo / years,
               additional_per_year_ci_high=ahi / years, additional_clear=bool(alo > 0))
    funder = float(option["funder_spend_total"].mean())
    em, elo, ehi, _, _ = paired(option, base, "funder_spend_total")
    backbone = float(option["backbone_income_total"].mean())
    extra_backbone = backbone - float(base["backbone_income_total"].mean())
    row.update(funder_dollars=funder, extra_funder_dollars_mean=em, extra_funder_dollars_ci_low=elo,
               extra_funder_dollars_ci_high=ehi, backbone_dollars=backbone, extra_backbone_dollars=extra_backbone)
    for name, column in (("funder_dollars_per_person", "funder_cost_per_person_helped"),
                         ("all_dollars_per_person", "cost_per_person_helped")):
        m, lo, hi, n = _ci(option[column].to_numpy())
        row.update({f"{name}_mean": m, f"{name}_ci_low": lo, f"{name}_ci_high": hi, f"{name}_valid": n,
                    f"{name}_thin": thin(n, len(option))})
    gain = (am, alo, ahi)
    # an option that costs the funder no more than the status quo (within a dollar a month) costs nothing extra
    extra = 0.0 if abs(em) <= months else em
    for name, dollars in (("extra_funder_dollars_per_additional", extra),
                          ("backbone_dollars_per_additional", extra_backbone)):
        m, lo, hi = _ratio(dollars, gain)
        row.update({f"{name}_mean": m, f"{name}_ci_low": lo, f"{name}_ci_high": hi})
    row["months_to_completion_mean"] = float(option["months_to_completion_final"].mean())
    return row
