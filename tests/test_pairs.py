"""The pass over pairs against the plain pass it was rewritten from, bit for bit.

``trust.pairs`` adds every organization's sums side by side (vector instructions) and counts
pairs as integers; here it must give exactly the numbers of the plain pass below (one row at a
time, each sum in the row's order, as the model did before) on random states of the shapes the
model makes: members and non-members, organizations that no longer exist, sectors in blocks or
not, any number of organizations, with and without the month's update.
"""

from __future__ import annotations

import numpy as np
import pytest

from cisim.model import layout as L
from cisim.model.processes.trust import pairs
from cisim.model.schema import FIELDS


def plain_pairs(P, r, exists, member, sector, home, trust, cap, fail, freq, convening, update, mean_trust, degree,
                partners, n_partners, keep, stats):
    """The pass over pairs as one loop over rows (the model's code before it was vectorized), in Python."""
    n = member.shape[1]
    growth = min(1.0, P[r, L.T_GROWTH] * freq * convening)
    cross = P[r, L.T_CROSS]
    decay_met = P[r, L.T_DECAY] * max(0.0, 1.0 - freq)
    decay_alone = P[r, L.T_DECAY]
    betrayal = P[r, L.T_BETRAYAL]
    fail_rate = P[r, L.T_FAIL]
    threshold = P[r, L.T_THRESHOLD]
    m, e, sec = member[r], exists[r], sector[r]
    n_members = 0.0
    n_exist = 0.0
    for j in range(n):
        n_members += m[j]
        n_exist += e[j]
        keep[j] = 1.0 - betrayal if (m[j] > 0 and fail[r, j] < fail_rate) else 1.0
    within = n_within = across = n_across = dense = 0.0
    for i in range(n):
        row = trust[r, i]
        c = 0
        mi, ei, si = m[i], e[i], sec[i]
        if update:
            g_same = mi * growth
            g_cross = mi * growth * cross
            for j in range(n):
                mm = mi * m[j]
                g = m[j] * (g_cross + (g_same - g_cross) * (1.0 if sec[j] == si else 0.0))
                decay = decay_alone + mm * (decay_met - decay_alone)
                t = row[j]
                t = (t + g * (1.0 - t) - decay * t) * keep[j]
                row[j] = min(1.0, max(0.0, t))
            row[i] = 0.0
        s = w_sum = w_n = a_sum = a_n = d_n = 0.0
        for j in range(n):
            t = row[j]
            ej = ei * e[j]
            mm = mi * m[j]
            same = 1.0 if sec[j] == si else 0.0
            trusted = 1.0 if t > threshold else 0.0
            if mm * trusted > 0 and j != i:
                partners[i, c] = j
                c += 1
            s += mm * t
            w_sum += ej * same * t
            w_n += ej * same
            a_sum += ej * (1.0 - same) * t
            a_n += ej * (1.0 - same)
            d_n += ej * trusted
        n_partners[i] = c
        w_n -= ei
        mean_trust[i] = s / max(1.0, n_members - 1.0)
        degree[i] = c
        within += w_sum
        n_within += w_n
        across += a_sum
        n_across += a_n
        dense += d_n
    stats[0] = within / n_within if n_within > 0 else 0.0
    stats[1] = across / n_across if n_across > 0 else 0.0
    stats[2] = dense / (n_exist * (n_exist - 1.0)) if n_exist > 1 else 0.0
    spill = P[r, L.SPILLOVER] / max(1.0, n_members)
    if update and spill > 0:
        for i in range(n):
            for k in range(n_partners[i]):
                j = partners[i, k]
                if sec[j] != sec[i]:
                    d = home[r, j]
                    lift = cap[r, j, d] - cap[r, i, d]
                    if lift > 0:
                        cap[r, i, d] += spill * lift


def random_state(seed: int, n: int, blocks: bool) -> dict:
    """One run of ``n`` organizations (arrays as the model passes them), drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    D, S = 5, 4
    P = np.array([[f.default for f in FIELDS]], dtype=float)
    for column, lo, hi in ((L.T_GROWTH, 0.0, 0.2), (L.T_CROSS, 0.0, 1.0), (L.T_DECAY, 0.0, 0.1),
                           (L.T_BETRAYAL, 0.0, 0.5), (L.T_FAIL, 0.0, 0.3), (L.T_THRESHOLD, 0.2, 0.8),
                           (L.SPILLOVER, 0.0, 0.5)):
        P[0, column] = rng.uniform(lo, hi)
    sector = rng.integers(0, S, n)
    if blocks:
        sector.sort()
    size = rng.integers(2, n + 1)  # organizations past the run's size do not exist
    exists = (np.arange(n) < size) & (rng.random(n) < 0.9)
    member = exists & (rng.random(n) < 0.8)
    trust = rng.random((1, n, n))
    trust[0][np.diag_indices(n)] = rng.random(n) < 0.1  # without the update, trust in oneself is ignored
    fail = np.full((1, 2, n), 1.0, dtype=np.float32)[:, 0]
    fail[0] = rng.random(n)
    return {"P": P, "exists": exists[None].astype(float), "member": member[None].astype(float),
            "sector": sector[None].astype(np.int64), "home": rng.integers(0, D, (1, n)).astype(np.int64),
            "trust": trust, "cap": rng.random((1, n, D)), "fail": fail, "freq": float(rng.uniform(0, 3)),
            "convening": float(rng.uniform(0, 1))}


def run(fn, state: dict, update: bool) -> dict:
    """What ``fn`` writes, from a copy of ``state``."""
    n = state["member"].shape[1]
    out = {"trust": state["trust"].copy(), "cap": state["cap"].copy(), "mean_trust": np.zeros(n),
           "degree": np.zeros(n), "partners": np.full((n, n), -1, np.int64), "n_partners": np.zeros(n, np.int64),
           "keep": np.zeros(n), "stats": np.zeros(3)}
    fn(state["P"], 0, state["exists"], state["member"], state["sector"], state["home"], out["trust"], out["cap"],
       state["fail"], state["freq"], state["convening"], update, out["mean_trust"], out["degree"], out["partners"],
       out["n_partners"], out["keep"], out["stats"])
    out["partners"] = [list(out["partners"][i, :c]) for i, c in enumerate(out["n_partners"])]
    return out


@pytest.mark.parametrize("n", [2, 3, 7, 13, 40])
@pytest.mark.parametrize("blocks", [True, False])
@pytest.mark.parametrize("update", [True, False])
def test_pairs_gives_the_plain_passs_numbers_bit_for_bit(n, blocks, update):
    for seed in range(4):
        state = random_state(1000 * n + seed, n, blocks)
        got, want = run(pairs, state, update), run(plain_pairs, state, update)
        for name, value in want.items():
            if name == "partners":
                assert got[name] == value, (seed, name)
            else:
                assert got[name].tobytes() == value.tobytes(), (seed, name)
