"""Per-run summary outputs, computed from the recorded monthly outputs of a batch.

Every function takes ``out`` of shape (runs, months + 1, n_outputs) (month 0 is the
status quo before the initiative) and returns one value per run.
"""

from __future__ import annotations

import numpy as np

from cisim.model import layout as L


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


def cost_per_person(total_spend: np.ndarray, completed: np.ndarray) -> np.ndarray:
    """All money spent per person who completed the pathway; NaN when nobody did."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(completed > 0, total_spend / completed, np.nan)


def summarize(out: np.ndarray, target: float | np.ndarray) -> dict[str, np.ndarray]:
    """The per-run summary outputs of ``out`` (runs, months + 1, n_outputs).

    ``target`` is ``problem.target``, one value or one per run.
    """
    if out.ndim != 3 or out.shape[2] != L.N_OUTPUTS:
        raise ValueError(f"expected out of shape (runs, months + 1, {L.N_OUTPUTS}), got {out.shape}")
    if out.shape[1] < 2:
        raise ValueError("expected at least one month after month 0")
    outcome = out[:, :, L.O_OUTCOME]
    last = out[:, -1]
    months = out[:, 1:]  # the initiative's months, without the status quo
    start = outcome[:, 0].copy()
    final = outcome[:, -1].copy()
    total = months[:, :, L.O_TOTAL].sum(axis=1)
    funder = months[:, :, L.O_FUNDER].sum(axis=1)
    completed = months[:, :, L.O_COMPLETED].sum(axis=1)
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
        "funder_spend_total": funder,
        "backbone_income_total": months[:, :, L.O_BB_INCOME].sum(axis=1),
        "funder_cost_per_person_helped": cost_per_person(funder, completed),
        "duplication_waste_total": months[:, :, L.O_WASTE].sum(axis=1),
        "equity_gap_final": last[:, L.O_GAP].copy(),
        "min_coverage_final": last[:, L.O_MINCOV].copy(),
        "domains_below_floor_final": last[:, L.O_BELOW].copy(),
        "active_members_final": last[:, L.O_ACTIVE].copy(),
        "members_lost": out[:, 0, L.O_ACTIVE] - last[:, L.O_ACTIVE],
        "trust_across_final": last[:, L.O_TA].copy(),
        "trust_within_final": last[:, L.O_TW].copy(),
        "root_cause_final": last[:, L.O_ROOT].copy(),
        "people_completed_total": completed,
        "people_dropped_total": months[:, :, L.O_DROPPED].sum(axis=1),
        "people_in_need_final": last[:, L.O_NEED].copy(),
        "months_to_completion_final": last[:, L.O_MONTHS].copy(),
        "need_met_final": last[:, L.O_NEED_MET].copy(),
        "cost_per_person_helped": cost_per_person(total, completed),
        "members_joined_total": months[:, :, L.O_JOINED].sum(axis=1),
        "members_left_total": months[:, :, L.O_LEFT].sum(axis=1),
        "coalition_alive_final": last[:, L.O_ALIVE].copy(),
    }
