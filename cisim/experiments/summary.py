"""Per-run summary outputs, computed from the recorded monthly outputs of a batch.

Every function takes ``out`` of shape (runs, months + 1, n_outputs) (month 0 is the
status quo before the initiative) and returns one value per run.
"""

from __future__ import annotations

import numpy as np

from cisim.model import kernel as K

#: Per-run summary outputs, in table order, with a one-line meaning each.
SUMMARY_DOCS: dict[str, str] = {
    "outcome_start": "outcome at month 0 (the status quo before the initiative)",
    "outcome_12": "outcome at month 12, the end of year 1 (NaN when the horizon is shorter)",
    "outcome_24": "outcome at month 24, the end of year 2 (NaN when the horizon is shorter)",
    "outcome_36": "outcome at month 36 (NaN when the horizon is shorter)",
    "outcome_48": "outcome at month 48, the end of year 4 (NaN when the horizon is shorter)",
    "outcome_60": "outcome at month 60 (NaN when the horizon is shorter)",
    "outcome_final": "outcome at the last month",
    "auc": "area under the outcome curve: mean outcome over months 1..T",
    "months_to_target": "first month the outcome reaches problem.target (NaN if never)",
    "cost_per_point": "all money spent over months 1..T per outcome percentage point gained (NaN if no gain)",
    "points_per_million": "outcome percentage points gained (final against start) per $1M spent over months 1..T; "
                          "defined for every run, unlike cost_per_point (negative when the outcome fell)",
    "total_spend": "services + meetings + backbone over months 1..T ($)",
    "duplication_waste_total": "money spent on services that duplicated others, months 1..T ($)",
    "equity_gap_final": "outcome of the majority minus the marginalized group, last month",
    "min_coverage_final": "coverage of the worst-covered domain, last month",
    "domains_below_floor_final": "domains below problem.coverage_floor, last month",
    "active_members_final": "coalition members still active, last month",
    "members_lost": "members at the coalition's start (month 0) minus active members at the last month",
    "trust_across_final": "mean trust across sectors, last month",
    "trust_within_final": "mean trust within sectors, last month",
    "root_cause_final": "root-cause level (1 = as at the start), last month",
}
SUMMARY_COLUMNS: tuple[str, ...] = tuple(SUMMARY_DOCS)
OUTCOME_COLUMNS = ("outcome_start", "outcome_12", "outcome_24", "outcome_36", "outcome_48", "outcome_60",
                   "outcome_final", "auc")
#: The outcome at the end of each year: (year, column).
YEARLY_OUTCOMES = ((1, "outcome_12"), (2, "outcome_24"), (3, "outcome_36"), (4, "outcome_48"), (5, "outcome_60"))


def _at(series: np.ndarray, month: int) -> np.ndarray:
    if month < series.shape[1]:
        return series[:, month].copy()
    return np.full(series.shape[0], np.nan)


def months_to_target(outcome: np.ndarray, target: float | np.ndarray) -> np.ndarray:
    """First month (0..T) each run's outcome reaches ``target``; NaN if it never does."""
    target = np.asarray(target, dtype=float).reshape(-1, 1) if np.ndim(target) else target
    reached = outcome >= target
    first = np.argmax(reached, axis=1).astype(float)
    first[~reached.any(axis=1)] = np.nan
    return first


def cost_per_point(total_spend: np.ndarray, start: np.ndarray, final: np.ndarray) -> np.ndarray:
    """Money spent per outcome percentage point gained against the start; NaN when nothing was gained."""
    points = (final - start) * 100.0
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = total_spend / points
    cost[~(points > 0)] = np.nan
    return cost


def points_per_million(total_spend: np.ndarray, start: np.ndarray, final: np.ndarray) -> np.ndarray:
    """Outcome percentage points gained per $1M spent: cost-effectiveness that stays finite at zero gain."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total_spend > 0, (final - start) * 100.0 / (total_spend / 1e6), np.nan)


def summarize(out: np.ndarray, target: float | np.ndarray) -> dict[str, np.ndarray]:
    """The per-run summary outputs of ``out`` (runs, months + 1, n_outputs).

    ``target`` is ``problem.target``, one value or one per run.
    """
    if out.ndim != 3 or out.shape[2] != K.N_OUTPUTS:
        raise ValueError(f"expected out of shape (runs, months + 1, {K.N_OUTPUTS}), got {out.shape}")
    if out.shape[1] < 2:
        raise ValueError("expected at least one month after month 0")
    outcome = out[:, :, K.O_OUTCOME]
    last = out[:, -1]
    months = out[:, 1:]  # the initiative's months, without the status quo
    start = outcome[:, 0].copy()
    final = outcome[:, -1].copy()
    total = months[:, :, K.O_TOTAL].sum(axis=1)
    return {
        "outcome_start": start,
        "outcome_12": _at(outcome, 12),
        "outcome_24": _at(outcome, 24),
        "outcome_36": _at(outcome, 36),
        "outcome_48": _at(outcome, 48),
        "outcome_60": _at(outcome, 60),
        "outcome_final": final,
        "auc": outcome[:, 1:].mean(axis=1),
        "months_to_target": months_to_target(outcome, target),
        "cost_per_point": cost_per_point(total, start, final),
        "points_per_million": points_per_million(total, start, final),
        "total_spend": total,
        "duplication_waste_total": months[:, :, K.O_WASTE].sum(axis=1),
        "equity_gap_final": last[:, K.O_GAP].copy(),
        "min_coverage_final": last[:, K.O_MINCOV].copy(),
        "domains_below_floor_final": last[:, K.O_BELOW].copy(),
        "active_members_final": last[:, K.O_ACTIVE].copy(),
        "members_lost": out[:, 0, K.O_ACTIVE] - last[:, K.O_ACTIVE],
        "trust_across_final": last[:, K.O_TA].copy(),
        "trust_within_final": last[:, K.O_TW].copy(),
        "root_cause_final": last[:, K.O_ROOT].copy(),
    }
