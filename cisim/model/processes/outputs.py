"""This month's output row (ODD 4.11): the numbers the Mesa collector and the batch runner record."""

from __future__ import annotations

from cisim.model import layout as L
from cisim.model.compiled import compiled
from cisim.model.processes.outcome import months_to_completion
from cisim.model.processes.pathway import people_on_pathway

#: Fewer people than this (a millionth of a person) count as nobody, when dividing by people.
PERSON = 1e-6


@compiled(inline=True)
def record_outputs(PD, G, r, path, exists, member, align, cov, tstats, outcome, o_maj, o_marg, waste, below, low,
                   influence, bb_spend, service_total, meet_total, funder_paid, out, out_cov, out_drop):
    """Write run r's outputs (``out[r]``, names in ``cisim.model.layout.OUTPUTS``), coverage per step
    (``out_cov[r]``) and drop-outs per step (``out_drop[r]``); ``funder_paid`` is what the funder paid this
    month (``processes.budgets.funder_money``)."""
    n_exist = 0.0
    align_sum = 0.0
    active = 0.0
    for i in range(exists.shape[1]):
        if exists[r, i] > 0:
            n_exist += 1.0
            align_sum += align[r, i]
            active += member[r, i]
    waiting = 0.0
    for k in range(path.shape[2]):
        out_cov[r, k] = cov[k]
        out_drop[r, k] = path[r, L.DROPPED, k]
        waiting += path[r, L.WAIT, k] + path[r, L.WAIT + 1, k]
    on_path = people_on_pathway(r, path)
    strength = 0.0
    for f in range(6):
        strength += G[r, L.STOCK + f] / 6.0
    total = service_total + meet_total + bb_spend
    out[r, L.O_OUTCOME] = outcome
    out[r, L.O_MAJ] = o_maj
    out[r, L.O_MARG] = o_marg
    out[r, L.O_GAP] = o_maj - o_marg
    out[r, L.O_NEED] = on_path
    out[r, L.O_WAITING] = waiting
    out[r, L.O_SERVED] = on_path - waiting
    out[r, L.O_ENTERING] = G[r, L.FLOW_IN] + G[r, L.FLOW_IN + 1]
    out[r, L.O_COMPLETED] = G[r, L.FLOW_DONE] + G[r, L.FLOW_DONE + 1]
    out[r, L.O_DROPPED] = G[r, L.FLOW_DROP] + G[r, L.FLOW_DROP + 1]
    out[r, L.O_HELPED] = G[r, L.HELPED] + G[r, L.HELPED + 1]
    out[r, L.O_MONTHS] = months_to_completion(PD, r, path)
    out[r, L.O_NEED_MET] = (on_path - waiting) / on_path if on_path > 0 else 1.0
    done = G[r, L.COMPLETED]
    completed = out[r, L.O_COMPLETED]
    # all money spent per person helped since month 1 (this month's at month 0); 0 while hardly anyone was
    if done > PERSON:
        out[r, L.O_COST_PERSON] = G[r, L.SPENT] / done
    else:
        out[r, L.O_COST_PERSON] = total / completed if completed > PERSON else 0.0
    out[r, L.O_WASTE] = waste
    out[r, L.O_BELOW] = below
    out[r, L.O_MINCOV] = low
    out[r, L.O_TW] = tstats[0]
    out[r, L.O_TA] = tstats[1]
    out[r, L.O_DENS] = tstats[2]
    out[r, L.O_ACTIVE] = active
    out[r, L.O_JOINED] = G[r, L.JOINED]
    out[r, L.O_LEFT] = G[r, L.LEFT]
    out[r, L.O_ALIVE] = G[r, L.COALITION]
    out[r, L.O_ALIGN] = align_sum / n_exist if n_exist > 0 else 0.0
    out[r, L.O_ROOT] = G[r, L.ROOT]
    out[r, L.O_ACCESS] = G[r, L.ACCESS]
    out[r, L.O_INFL] = influence
    out[r, L.O_STAFF] = G[r, L.BB_STAFF]
    out[r, L.O_STRENGTH] = strength
    out[r, L.O_BB] = bb_spend
    out[r, L.O_SERV] = service_total
    out[r, L.O_MEET] = meet_total
    out[r, L.O_TOTAL] = total
    out[r, L.O_RAISED] = G[r, L.RAISED]
    out[r, L.O_UNSPENT] = G[r, L.BB_RESERVE]
    out[r, L.O_FUNDER] = funder_paid
    out[r, L.O_BB_INCOME] = G[r, L.BB_INCOME]
