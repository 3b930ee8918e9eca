"""Mesa agents: handles onto rows of the model's state arrays.

The numbers live in numpy arrays owned by the model (see ``cisim.model.state``); an
agent reads and writes its own row, so people can reason about one organization
while the model steps all of them at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from cisim.model import layout as L
from cisim.model.schema import BACKBONE_FUNCTIONS

if TYPE_CHECKING:
    from cisim.model.coalition import CoalitionModel


class Organization(mesa.Agent):
    """One organization of the coalition: a view on row ``index`` of the state arrays."""

    model: CoalitionModel

    def __init__(self, model: CoalitionModel, index: int):
        super().__init__(model)
        self.index = index

    @property
    def _w(self):
        return self.model.world

    @property
    def sector(self) -> str:
        return self.model.setting.sector_names[self._w.sector[0, self.index]]

    @property
    def home_domain(self) -> str:
        return self.model.setting.domain_names[self._w.home[0, self.index]]

    @property
    def budget(self) -> float:
        """This month's budget ($): own funds plus its share of the funder's grants, as the month's
        budgets process set it."""
        return float(self._w.budget[0, self.index])

    @property
    def member(self) -> bool:
        return bool(self._w.member[0, self.index])

    @property
    def alignment(self) -> float:
        return float(self._w.align[0, self.index])

    @alignment.setter
    def alignment(self, value: float) -> None:
        self._w.align[0, self.index] = min(1.0, max(0.0, value))

    @property
    def appraisal(self) -> float:
        """Its running appraisal of membership: what it gains (recent progress, support, trusted partners)
        less what meetings cost it, as a share of its budget.  Below zero, it is likely to leave."""
        return float(self._w.appraisal[0, self.index])

    def view(self) -> dict[str, float]:
        """The waiting it sees at each step on its own (its own clients and empty places, noisy and late)."""
        return dict(zip(self.model.setting.domain_names, self._w.seen[0, self.index].tolist()))

    def allocation(self) -> dict[str, float]:
        """Share of service money per domain."""
        return dict(zip(self.model.setting.domain_names, self._w.alloc[0, self.index].tolist()))

    def capability(self) -> dict[str, float]:
        return dict(zip(self.model.setting.domain_names, self._w.cap[0, self.index].tolist()))

    def trust_in(self, other: Organization) -> float:
        return float(self._w.trust[0, self.index, other.index])

    def set_trust_in(self, other: Organization, value: float) -> None:
        self._w.trust[0, self.index, other.index] = min(1.0, max(0.0, value))

    def leave(self) -> None:
        """Leave the coalition (the organization goes on serving on its own)."""
        self._w.member[0, self.index] = 0.0

    def remove(self) -> None:
        """Take the organization out of the run, as Mesa's ``remove`` takes an agent out of the model: its
        budget is 0 from now on, and from the next month it serves nobody and counts in no output (``leave``
        is leaving the coalition and going on serving alone)."""
        self._w.remove_organization(0, self.index)
        if self in self.model.organizations:
            self.model.organizations.remove(self)
        super().remove()

    def __repr__(self) -> str:
        return f"Organization({self.unique_id}, {self.sector}, home={self.home_domain}, member={self.member})"


class Backbone(mesa.Agent):
    """The backbone support organization: its budget buys staff for six functions."""

    model: CoalitionModel

    @property
    def budget(self) -> float:
        """Money coming in this month ($), as the month's backbone process received it (none at month 0)."""
        return float(self.model.world.G[0, L.BB_INCOME])

    @property
    def staff(self) -> float:
        """Full-time staff: they follow what the budget pays for with a hiring lag."""
        return float(self.model.world.G[0, L.BB_STAFF])

    @property
    def spending(self) -> float:
        """Money spent on staff this month ($)."""
        return self.staff * float(self.model.world.P[0, L.BB_SALARY])

    @property
    def reserve(self) -> float:
        return float(self.model.world.G[0, L.BB_RESERVE])

    @property
    def funded(self) -> bool:
        return bool(self.model.world.G[0, L.BB_FUNDED])

    def strengths(self) -> dict[str, float]:
        """Strength (0..1) of each function's stock: agreed strategy, routines and relationships, the data
        system, public will, policy work, funding relationships.  Stocks outlast the money, and decay."""
        g = self.model.world.G[0, L.STOCK:L.STOCK + 6]
        return dict(zip(BACKBONE_FUNCTIONS, g.tolist()))

    def end_funding(self) -> None:
        self.model.world.apply_event("backbone_funding_ends")
