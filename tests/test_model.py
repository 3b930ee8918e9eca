"""The Mesa face: CoalitionModel, its agents as handles on the state arrays, batch_run, seeding."""

from __future__ import annotations

import warnings

import mesa
import numpy as np
import pytest

from cisim.model import layout as L
from cisim.model.agents import Backbone, Organization
from cisim.model.coalition import CoalitionModel


def test_runs_to_horizon_and_records_every_month():
    model = CoalitionModel("collective", rng=3)
    while model.running:
        model.step()
    df = model.datacollector.get_model_vars_dataframe()
    assert model.steps == model.setting.months == 60
    assert len(df) == 61  # month 0 (status quo) and every month after
    for name in (*L.OUTPUTS, *(f"coverage_{d}" for d in model.setting.domain_names)):
        assert name in df.columns
    assert df["outcome"].between(0, 1).all()
    assert df["outcome"].iloc[-1] == pytest.approx(model.outcome)


def test_no_deprecation_or_future_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = CoalitionModel("backbone-withdrawn", rng=1)
        for _ in range(30):
            model.step()
        model.datacollector.get_model_vars_dataframe()


def test_same_seed_same_numbers_different_seed_differs():
    def series(seed):
        m = CoalitionModel("collective", rng=seed)
        for _ in range(24):
            m.step()
        return m.datacollector.get_model_vars_dataframe().to_numpy()

    assert np.array_equal(series(5), series(5))
    assert not np.array_equal(series(5), series(6))


def test_seeded_only_through_mesa_rng():
    """Global random states do not matter; a Generator handed to Mesa reproduces the run."""
    import random

    def series(rng, global_seed):
        np.random.seed(global_seed)
        random.seed(global_seed)
        m = CoalitionModel("collective", rng=rng)
        for _ in range(12):
            m.step()
        return m.datacollector.get_model_vars_dataframe().to_numpy()

    assert np.array_equal(series(11, 1), series(11, 2))
    assert np.array_equal(series(np.random.default_rng(11), 1), series(np.random.default_rng(11), 2))


def test_agents_are_handles_on_state_rows():
    model = CoalitionModel("collective", rng=2, size=25)
    orgs = model.agents_by_type[Organization]
    assert len(orgs) == 25 and len(model.organizations) == 25
    assert isinstance(model.backbone, Backbone)
    org = model.organizations[4]
    other = model.organizations[9]
    org.alignment = 0.7
    assert model.world.align[0, 4] == 0.7
    org.set_trust_in(other, 0.9)
    assert model.trust_matrix()[4, 9] == 0.9
    assert sum(org.allocation().values()) == pytest.approx(1.0)
    assert org.sector in model.setting.sector_names
    assert org.home_domain in model.setting.domain_names
    org.leave()
    assert not org.member and model.world.member[0, 4] == 0
    model.step()
    assert model.outputs()["active_members"] <= 24


def test_isolated_has_no_backbone_and_no_members():
    model = CoalitionModel("isolated", rng=1)
    assert model.backbone is None
    model.step()
    assert model.outputs()["active_members"] == 0


def test_backbone_withdrawn_event_stops_funding():
    model = CoalitionModel("backbone-withdrawn", rng=1)
    for _ in range(23):
        model.step()
    assert model.backbone.funded and model.backbone.budget > 0
    model.step()
    assert not model.backbone.funded and model.backbone.budget == 0
    spend_24 = model.backbone.spending
    for _ in range(12):
        model.step()
    assert model.backbone.spending < spend_24  # staff wind down on the reserve


def test_short_names_and_dotted_paths():
    m = CoalitionModel("collective", rng=1, backbone_share=0.12, **{"trust.growth": 0.05})
    assert m.setting.get("backbone.budget_share") == 0.12
    assert m.setting.get("trust.growth") == 0.05


def test_agent_data_uses_agenttype_reporters():
    m = CoalitionModel("collective", rng=1, size=20, agent_data=True)
    m.step()
    df = m.datacollector.get_agenttype_vars_dataframe(Organization)
    assert set(df.columns) >= {"sector", "budget", "member", "alignment"}
    assert len(df) == 2 * 20


def test_batch_run():
    rows = mesa.batch_run(
        CoalitionModel,
        {"scenario": "collective", "backbone_share": [0.0, 0.1], "size": 20},
        rng=[1, 2],
        max_steps=60,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    assert len(rows) == 4
    by = {(r["backbone_share"], r["rng"]): r for r in rows}
    assert set(by) == {(0.0, 1), (0.0, 2), (0.1, 1), (0.1, 2)}
    for (share, seed), row in by.items():
        m = CoalitionModel("collective", rng=seed, backbone_share=share, size=20)
        for _ in range(60):
            m.step()
        assert row["Step"] == 60
        assert row["outcome"] == m.outcome
