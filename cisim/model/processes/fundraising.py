"""Fundraising: visible results attract funds for next month's grants (ODD 7.15)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import FUNDRAISING, RAISED, STOCK
from cisim.model.processes.budgets import funder_budget


@compiled
def fundraising(P, G, r, coalition, visibility, gain):
    """Funds raised this month (``G[r, RAISED]``), a share of the funder's budget: in proportion to the
    backbone's funding work and the outcome gain members can see."""
    G[r, RAISED] = P[r, FUNDRAISING] * G[r, STOCK + 5] * visibility * gain * funder_budget(P, G, r) * coalition
