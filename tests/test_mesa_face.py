"""The Mesa face as a Mesa user meets it: ``model.scenario`` is Mesa's ``Scenario``, ``agent.remove()``
takes an organization out of the run, and a plain SolaraViz page around ``CoalitionModel`` steps and resets."""

from __future__ import annotations

import ipyvuetify as v
import ipywidgets
import mesa
import numpy as np
import pytest
import solara
from mesa.experimental.scenarios import Scenario as MesaScenario
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.user_param import Slider

from cisim.model.agents import Organization
from cisim.model.coalition import CoalitionModel, CoalitionScenario
from cisim.model.scenario import Scenario


def _rows(model: CoalitionModel, months: int) -> np.ndarray:
    for _ in range(months):
        model.step()
    return model.datacollector.array()


# ---------------------------------------------------------------- model.scenario

def test_model_scenario_is_a_mesa_scenario_naming_the_cisim_scenario_and_changes():
    model = CoalitionModel("youth-homelessness", rng=3, size=12, changes={"trust.growth": 0.05})
    assert isinstance(model.scenario, CoalitionScenario) and isinstance(model.scenario, MesaScenario)
    assert model.scenario.name == "youth-homelessness" and model.scenario.rng == 3
    assert model.scenario.changes == {"trust.growth": 0.05, "coalition.size": 12}
    assert model.scenario.model is model
    assert isinstance(model.setting, Scenario) and model.setting.name == "youth-homelessness"
    assert model.setting.get("coalition.size") == 12 and len(model.organizations) == 12
    plain = CoalitionModel(rng=1)
    assert plain.scenario.name == "collective" and plain.scenario.changes == {}


def test_every_way_of_naming_a_scenario_gives_the_same_numbers():
    by_name = _rows(CoalitionModel("youth-homelessness", rng=42), 6)
    by_scenario = _rows(CoalitionModel(scenario=CoalitionScenario(rng=42, name="youth-homelessness")), 6)
    np.testing.assert_array_equal(by_name, by_scenario)
    np.testing.assert_array_equal(_rows(CoalitionModel(rng=1), 6), _rows(CoalitionModel("collective", rng=1), 6))
    changed = CoalitionScenario(rng=2, changes={"backbone_share": 0.12})
    assert changed.changes == {"backbone.budget_share": 0.12}
    np.testing.assert_array_equal(_rows(CoalitionModel(changed), 6),
                                  _rows(CoalitionModel("collective", rng=2, backbone_share=0.12), 6))


def test_a_scenario_without_a_seed_takes_the_models_and_stays_as_it_was():
    chosen = CoalitionScenario(name="isolated", changes={"size": 10})
    model = CoalitionModel(chosen, rng=7, community_voice=0.2)
    assert model.scenario.rng == 7 and model.scenario._scenario_id == chosen._scenario_id
    assert model.scenario.changes == {"coalition.size": 10, "conditions.community_voice": 0.2}
    assert chosen.rng is None and chosen.changes == {"coalition.size": 10} and chosen.model is None
    np.testing.assert_array_equal(_rows(model, 4),
                                  _rows(CoalitionModel("isolated", rng=7, size=10, community_voice=0.2), 4))
    with pytest.raises(ValueError, match="rng"):  # Mesa's own check: one seed, not two
        CoalitionModel(CoalitionScenario(rng=1), rng=2)


def test_one_scenario_runs_two_models_at_once():
    seeded = CoalitionScenario(rng=3, name="isolated")
    first, second = CoalitionModel(seeded), CoalitionModel(seeded)
    assert first.scenario is seeded and second.scenario is not seeded and second.scenario.model is second
    np.testing.assert_array_equal(_rows(first, 4), _rows(second, 4))


def test_scenarios_do_not_share_their_changes():
    a, b = CoalitionScenario(), CoalitionScenario()
    a.changes["coalition.size"] = 5
    assert b.changes == {} and CoalitionScenario().changes == {}


def test_a_plain_mesa_scenario_is_refused_with_a_pointer():
    with pytest.raises(TypeError, match="CoalitionScenario"):
        CoalitionModel(MesaScenario(rng=1, name="collective"))


def test_batch_run_seeds_coalition_scenarios():
    rows = mesa.batch_run(CoalitionModel, {"scenario": [CoalitionScenario(name="isolated", changes={"size": 8})]},
                          rng=[4, 5], max_steps=3, number_processes=1, data_collection_period=-1,
                          display_progress=False)
    assert [r["rng"] for r in rows] == [4, 5]
    for row in rows:
        expected = CoalitionModel("isolated", rng=row["rng"], size=8)
        _rows(expected, 3)
        assert row["Step"] == 3 and row["outcome"] == expected.outcome


# ---------------------------------------------------------------- agent.remove()

def test_removing_an_organization_takes_it_out_of_the_run():
    model = CoalitionModel("collective", rng=4, size=20)
    twin = CoalitionModel("collective", rng=4, size=20)
    before = _rows(model, 3)
    np.testing.assert_array_equal(before, _rows(twin, 3))
    org = model.organizations[5]
    assert org.budget > 0 and org.member
    org.remove()
    assert org.budget == 0 and not org.member
    assert org not in model.organizations and org not in model.agents
    assert len(model.agents_by_type[Organization]) == 19 and model.trust_matrix().shape == (19, 19)
    after = _rows(model, 3)
    alone = _rows(twin, 3)
    np.testing.assert_array_equal(after[:4], before)
    assert not np.array_equal(after[4:], alone[4:])
    assert org.budget == 0 and model.world.served[0, 5].sum() == 0
    out = model.outputs()
    assert out["active_members"] == sum(o.member for o in model.organizations)
    assert out["mean_alignment"] == pytest.approx(np.mean([o.alignment for o in model.organizations]))
    extra = sum(d["extra_funding"] for d in model.setting.domains.values())
    assert out["service_spend"] + out["meeting_spend"] == pytest.approx(
        sum(o.budget for o in model.organizations) + extra)
    org.remove()  # a second time changes nothing
    np.testing.assert_array_equal(model.datacollector.array(), after)


# ---------------------------------------------------------------- a plain SolaraViz page

def test_the_collector_gives_what_make_plot_component_reads():
    model = CoalitionModel("collective", rng=1)
    _rows(model, 2)
    df = model.datacollector.get_model_vars_dataframe()
    assert list(df.index) == [0, 1, 2]
    assert df.loc[:, "outcome"].tolist() == model.datacollector.model_vars["outcome"]


@pytest.fixture
def viz():
    """SolaraViz as a Mesa user writes it around CoalitionModel, rendered without a browser."""
    model = solara.reactive(CoalitionModel(scenario=CoalitionScenario(rng=5, name="youth-homelessness")))
    params = {"name": "youth-homelessness", "rng": 5, "size": Slider("Organizations", 20, 4, 40, 1)}
    page = SolaraViz(model, components=[make_plot_component(["outcome", "trust_across"])], model_params=params)
    box, rc = solara.render(solara.AppLayout(children=[page]), handle_error=False)
    yield model, rc
    rc.close()


def _plots(rc) -> list[bytes]:
    return [bytes(i.widget.value) for i in rc.find(ipywidgets.Image)]


def test_solaraviz_steps_and_resets_to_a_fresh_model_of_the_chosen_scenario(viz):
    model, rc = viz
    first = model.value
    plots = _plots(rc)
    assert plots and all(p.startswith(b"\x89PNG") for p in plots)
    rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert first.month == 2 and _plots(rc) != plots
    rc.find(v.Slider, label="Organizations").widget.v_model = 12
    rc.find(v.Btn, children=["Reset"]).widget.click()
    fresh = model.value
    assert fresh is not first and type(fresh) is CoalitionModel and fresh.month == 0
    assert isinstance(fresh.scenario, CoalitionScenario)
    assert fresh.scenario.name == "youth-homelessness" and fresh.setting.name == "youth-homelessness"
    assert fresh.scenario.rng == 5 and fresh.scenario.changes == {"coalition.size": 12}
    assert len(fresh.organizations) == 12
    np.testing.assert_array_equal(fresh.datacollector.array(),
                                  CoalitionModel("youth-homelessness", rng=5, size=12).datacollector.array())
    rc.find(v.Btn, children=["Step"]).widget.click()
    assert fresh.month == 1 and first.month == 2
    assert not rc.find(v.Alert).widgets
