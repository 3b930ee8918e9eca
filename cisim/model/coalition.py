"""The Mesa model of a coalition: ``CoalitionModel``."""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from cisim.model import kernel as K
from cisim.model.agents import Backbone, Organization
from cisim.model.collector import OutputCollector
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


class CoalitionModel(mesa.Model):
    """Organizations, maybe a backbone, and the problem they work on; one step is one month.

    Args:
        scenario: a bundled scenario name, a path to a scenario file, or a loaded ``Scenario``.
        rng: Mesa's seed or generator; the only source of randomness.
        changes: values to change, by dotted path (``{"backbone.budget_share": 0.1}``).
        agent_data: also record per-organization data each step (slower).
        **values: short names from ``ALIASES`` or dotted paths, as ``batch_run`` passes them.
    """

    def __init__(self, scenario: str | Scenario = "collective", *, rng=None,
                 changes: dict[str, Any] | None = None, agent_data: bool = False, **values: Any):
        super().__init__(rng=rng)
        setting = load(scenario)
        merged = dict(changes or {})
        merged.update({ALIASES.get(k, k): v for k, v in values.items()})
        if merged:
            setting = setting.replace(merged)
        self.setting = setting
        P, PD = param_matrix(setting, 1)
        self.world = World(setting, P, PD, [self.rng])
        n = int(self.world.sizes[0])
        self.organizations = [Organization(self, i) for i in range(n)]
        has_backbone = setting.get("backbone.budget_share") > 0 or setting.get("backbone.extra_budget") > 0
        self.backbone = Backbone(self) if has_backbone else None

        names = [*K.OUTPUTS, *(f"coverage_{d}" for d in setting.domain_names)]
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
        return float(self.world.out[0, K.O_OUTCOME])

    def outputs(self) -> dict[str, float]:
        """This month's outputs by name."""
        out = dict(zip(K.OUTPUTS, self.world.out[0].tolist()))
        out.update({f"coverage_{d}": float(c) for d, c in zip(self.setting.domain_names, self.world.out_cov[0])})
        return out

    def coverage(self) -> dict[str, float]:
        return dict(zip(self.setting.domain_names, self.world.out_cov[0].tolist()))

    def trust_matrix(self) -> np.ndarray:
        """Trust of each organization (rows) in each other (columns)."""
        n = len(self.organizations)
        return self.world.trust[0, :n, :n].copy()

    def step(self) -> None:
        self.world.step()
        self.datacollector.collect(self)
        if self.world.month >= self.setting.months:
            self.running = False
