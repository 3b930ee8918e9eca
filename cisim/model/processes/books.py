"""The books: every dollar in is spent on services, meetings, the backbone, or held (ODD 7.16)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import CUM_BACKBONE, CUM_INFLOW, CUM_MEETINGS, CUM_SERVICES, CUM_WASTE


@compiled
def keep_books(G, r, inflow, services, meetings, backbone, waste):
    """Add this month's money to run r's cumulative books (the backbone's reserve is ``G[r, BB_RESERVE]``)."""
    G[r, CUM_INFLOW] += inflow
    G[r, CUM_SERVICES] += services
    G[r, CUM_MEETINGS] += meetings
    G[r, CUM_BACKBONE] += backbone
    G[r, CUM_WASTE] += waste
