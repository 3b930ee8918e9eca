"""The Mesa model of a coalition: ``CoalitionModel``, and the scenario it runs as Mesa's ``Scenario``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mesa
import numpy as np
from mesa.experimental.scenarios import Scenario as MesaScenario

from cisim.model import layout as L
from cisim.model.agents import Backbone, Organization
from cisim.model.collector import OutputCollector
from cisim.model.processes.setup import has_backbone
from cisim.model.scenario import Scenario, load
from cisim.model.state import World, param_matrix

# Short names for the values people change most (dashboard sliders, batch_run).
ALIASES = {
    "common_agenda": "conditions.common_agenda",
    "shared_measurement": "conditions.shared_measurement",
    "mutually_reinforcing": "conditions.mutually_reinforcing",
    "continuous_communication": "conditions.continuous_communication",
    "community_voice": "conditions.community_voice",
    "backbone_share": "backbone.budget_share",
    "backbone_extra": "backbone.extra_budget",
    "size": "coalition.size",
    "funder_budget": "funder.budget",
}


def _output_row(model: CoalitionModel) -> np.ndarray:
    return model.world.record[0].copy()


def _dotted(values: dict[str, Any]) -> dict[str, Any]:
    return {ALIASES.get(k, k): v for k, v in values.items()}


class CoalitionScenario(MesaScenario):
    """Which cisim scenario a run uses, as Mesa's ``Scenario``: ``CoalitionModel`` keeps it in
    ``model.scenario``, and SolaraViz's Reset builds a new one from the page's ``model_params``
    (a ``name`` there chooses the cisim scenario; the class defaults fill the rest).

    Attributes:
        name: a bundled scenario name, a path to a scenario file, or a loaded cisim ``Scenario``.
        changes: values changed from it, by dotted path (short names from ``ALIASES`` are accepted).
        rng: Mesa's seed or generator.
    """

    name: str | Path | Scenario = "collective"
    changes: dict[str, Any] | None = None

    def __init__(self, *, rng=None, **kwargs: Any):
        super().__init__(rng=rng, **kwargs)
        # a dict of its own, by dotted path (the class default would be shared by every instance)
        self.changes = _dotted(self.changes or {})

    def resolve(self) -> Scenario:
        """The cisim scenario with the changes applied, checked as a scenario file is."""
        setting = load(self.name)
        return setting.replace(self.changes) if self.changes else setting

    def derive(self, **kwargs: Any) -> CoalitionScenario:
        """A copy with some attributes replaced, under the same scenario id (the original is left as it was)."""
        return type(self)(**{**dict(self), **kwargs, "_scenario_id": self._scenario_id})


class CoalitionModel(mesa.Model[mesa.Agent, CoalitionScenario]):
    """Organizations, maybe a backbone, and the problem they work on; one step is one month.

    ``model.scenario`` is the run's ``CoalitionScenario`` (which cisim scenario, every change and the
    seed); ``model.setting`` is the cisim ``Scenario`` it resolves to.

    Args:
        scenario: a ``CoalitionScenario``, or a bundled scenario name, a path to a scenario file or a
            loaded cisim ``Scenario``.
        rng: Mesa's seed or generator; the only source of randomness.  With a ``CoalitionScenario``
            that has no ``rng``, this is its seed (as SolaraViz's Reset passes it).
        changes: values to change, by dotted path (``{"backbone.budget_share": 0.1}``).
        agent_data: also record per-organization data each step (slower).
        **values: short names from ``ALIASES`` or dotted paths, as ``batch_run`` and SolaraViz's
            sliders pass them.
    """

    def __init__(self, scenario: CoalitionScenario | str | Path | Scenario = "collective", *, rng=None,
                 changes: dict[str, Any] | None = None, agent_data: bool = False, **values: Any):
        extra = _dotted({**(changes or {}), **values})
        if not isinstance(scenario, MesaScenario):
            scenario, rng = CoalitionScenario(rng=rng, name=scenario, changes=extra), None
        elif not isinstance(scenario, CoalitionScenario):
            raise TypeError(f"CoalitionModel runs a CoalitionScenario (cisim.model.coalition), not a "
                            f"{type(scenario).__name__}; or pass a scenario name, path or cisim Scenario")
        else:
            if rng is not None and scenario.rng is None:
                scenario, rng = scenario.derive(rng=rng), None
            if extra or scenario.model is not None:  # one already bound to a model is copied, not taken over
                scenario = scenario.derive(changes={**scenario.changes, **extra})
        super().__init__(rng=rng, scenario=scenario)
        setting = self.scenario.resolve()
        self.setting = setting  # the cisim scenario, resolved
        P, PD = param_matrix(setting, 1)
        self.world = World(setting, P, PD, [self.rng])
        n = int(self.world.sizes[0])
        # the organizations in the run, by row (``org.index``); ``Organization.remove`` takes one out
        self.organizations = [Organization(self, i) for i in range(n)]
        self.backbone = Backbone(self) if has_backbone(self.world.P, 0) else None

        names = [*L.OUTPUTS, *(f"coverage_{d}" for d in setting.domain_names),
                 *(f"dropped_{d}" for d in setting.domain_names)]
        agenttype = {}
        if agent_data:
            agenttype = {Organization: {"sector": "sector", "budget": "budget", "member": "member",
                                        "alignment": "alignment"}}
        self.datacollector = OutputCollector(names, _output_row, agenttype_reporters=agenttype)
        self.datacollector.collect(self)

    @property
    def month(self) -> int:
        return self.world.month

    @property
    def outcome(self) -> float:
        return float(self.world.out[0, L.O_OUTCOME])

    def outputs(self) -> dict[str, float]:
        """This month's outputs by name."""
        out = dict(zip(L.OUTPUTS, self.world.out[0].tolist()))
        out.update({f"coverage_{d}": float(c) for d, c in zip(self.setting.domain_names, self.world.out_cov[0])})
        out.update({f"dropped_{d}": float(c) for d, c in zip(self.setting.domain_names, self.world.out_drop[0])})
        return out

    def coverage(self) -> dict[str, float]:
        """Share of the people wanting each step who are in service this month."""
        return dict(zip(self.setting.domain_names, self.world.out_cov[0].tolist()))

    def dropouts(self) -> dict[str, float]:
        """People who gave up waiting at each step this month."""
        return dict(zip(self.setting.domain_names, self.world.out_drop[0].tolist()))

    def people(self) -> dict[str, float]:
        """Everyone who entered need, and where they are now (see ``World.people``)."""
        return {k: float(v[0]) for k, v in self.world.people().items()}

    def trust_matrix(self) -> np.ndarray:
        """Trust of each organization in ``organizations`` (rows) in each other (columns)."""
        rows = [o.index for o in self.organizations]
        return self.world.trust[0][np.ix_(rows, rows)]

    def step(self) -> None:
        self.world.step()
        self.datacollector.collect(self)
        if self.world.month >= self.setting.months:
            self.running = False
