"""The outcome: a person is helped only if every domain on their path is covered (ODD 7.11)."""

from __future__ import annotations

from cisim.model.compiled import compiled
from cisim.model.layout import ACCESS, MARG_NEED, MARG_SHARE, NEED_RATE, OUTCOME0, ROOT
from cisim.model.processes.need import group_need


@compiled
def population_outcome(P, PD, G, r, start, cov):
    """Share of people helped in the majority and the marginalized group (a chain product over domains:
    the weakest link decides), and in the whole population.

    The marginalized group reaches services with lower access.  Month 0 (``start``) stores the status
    quo's outcome.  Returns the outcome, the two groups' outcomes and the gain over the status quo.
    """
    access = G[r, ACCESS]
    root = G[r, ROOT]
    ms = P[r, MARG_SHARE]
    mult = P[r, MARG_NEED]
    o_maj = 1.0
    o_marg = 1.0
    for d in range(cov.shape[1]):
        rate = PD[r, d, NEED_RATE]
        n_maj, n_marg = group_need(P, PD, r, d)
        mean_access = (n_maj + access * n_marg) / (n_maj + n_marg) if n_maj + n_marg > 0 else 1.0
        c_maj = min(1.0, cov[r, d] / mean_access)
        c_marg = min(1.0, cov[r, d] * access / mean_access)
        o_maj *= 1 - min(1.0, rate * root) * (1 - c_maj)
        o_marg *= 1 - min(1.0, rate * mult * root) * (1 - c_marg)
    outcome = (1 - ms) * o_maj + ms * o_marg
    if start:
        G[r, OUTCOME0] = outcome
    gain = max(0.0, outcome - G[r, OUTCOME0])
    return outcome, o_maj, o_marg, gain
