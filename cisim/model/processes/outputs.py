"""This month's output row (ODD 4.11): the numbers the Mesa collector and the batch runner record."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import (
    ACCESS,
    BB_RESERVE,
    O_ACCESS,
    O_ACTIVE,
    O_ALIGN,
    O_BB,
    O_BELOW,
    O_DENS,
    O_GAP,
    O_INFL,
    O_MAJ,
    O_MARG,
    O_MEET,
    O_MINCOV,
    O_OUTCOME,
    O_RAISED,
    O_ROOT,
    O_SERV,
    O_TA,
    O_TOTAL,
    O_TW,
    O_UNSPENT,
    O_WASTE,
    RAISED,
    ROOT,
)


@compiled(inline=True)
def record_outputs(G, r, exists, member, align, cov, tstats, outcome, o_maj, o_marg, waste, below, min_cov,
                   influence, bb_spend, service_total, meet_total, out, out_cov):
    """Write run r's outputs (``out[r]``, names in ``cisim.model.layout.OUTPUTS``) and coverage per domain
    (``out_cov[r]``)."""
    n_exist = 0.0
    align_sum = 0.0
    active = 0.0
    for i in range(exists.shape[1]):
        if exists[r, i] > 0:
            n_exist += 1.0
            align_sum += align[r, i]
            active += member[r, i]
    for d in range(cov.shape[1]):
        out_cov[r, d] = cov[r, d]
    out[r, O_OUTCOME] = outcome
    out[r, O_MAJ] = o_maj
    out[r, O_MARG] = o_marg
    out[r, O_GAP] = o_maj - o_marg
    out[r, O_WASTE] = waste
    out[r, O_BELOW] = below
    out[r, O_MINCOV] = min_cov
    out[r, O_TW] = tstats[0]
    out[r, O_TA] = tstats[1]
    out[r, O_DENS] = tstats[2]
    out[r, O_ACTIVE] = active
    out[r, O_ALIGN] = align_sum / n_exist if n_exist > 0 else 0.0
    out[r, O_ROOT] = G[r, ROOT]
    out[r, O_ACCESS] = G[r, ACCESS]
    out[r, O_INFL] = influence
    out[r, O_BB] = bb_spend
    out[r, O_SERV] = service_total
    out[r, O_MEET] = meet_total
    out[r, O_TOTAL] = service_total + meet_total + bb_spend
    out[r, O_RAISED] = G[r, RAISED]
    out[r, O_UNSPENT] = G[r, BB_RESERVE]
