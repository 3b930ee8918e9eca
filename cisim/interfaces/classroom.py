"""The runs the classroom dashboard drives: the coalition and the same organizations working alone.

``ClassroomModel`` is a ``CoalitionModel`` built from the dashboard's controls, whose
conditions and backbone funding can be switched while it runs (``switch``), each
switch recorded so the time charts can mark it.  ``Classroom`` steps two of them
together from one seed: the preset as chosen (``together``) and the same
organizations with no conditions and no backbone (``alone``).  The same seed draws
the same organizations, budgets and starting trust, so the two differ only in how
the organizations work.  Switches act on ``together`` only: working alone there is
no coalition for a condition or a backbone to act on.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from cisim.experiments.labels import label
from cisim.model import layout as L
from cisim.model.coalition import CoalitionModel
from cisim.model.processes.setup import has_coalition
from cisim.model.scenario import ISOLATED_CHANGES, load
from cisim.model.schema import BY_PATH, COLUMN, CONDITIONS

DEFAULT_PRESET = "collective"

# The conditions the dashboard has a slider for, by the short names of cisim.model.coalition.ALIASES.
CONDITION_LABELS = {name: label(f"conditions.{name}") for name in (*CONDITIONS, "community_voice")}
#: What can be switched while a run goes, and its label: the condition levels, the backbone's share of
#: the funder's money, and whether the backbone is funded at all (1 or 0).
SWITCHES = {**CONDITION_LABELS, "backbone_share": "Backbone budget (share of the funder's money)",
            "backbone_funded": "Backbone funded"}
_PATHS = {**{name: f"conditions.{name}" for name in CONDITION_LABELS}, "backbone_share": "backbone.budget_share",
          "size": "coalition.size"}


def parse_seed(value: Any) -> tuple[int, str]:
    """The seed from a slider or the seed text box (which hands over text), and a notice if it was not usable."""
    text = str(value).strip()
    try:
        seed = int(text)
    except ValueError:
        return 0, f"The seed must be a whole number, got {text!r}; using seed 0."
    if seed < 0:
        return 0, f"The seed must be 0 or more, got {seed}; using seed 0."
    return seed, ""


def control_value(name: str, value: Any) -> float | int:
    """A control's value as the scenario expects it: in range, and without float noise from the slider's steps."""
    field = BY_PATH[_PATHS[name]]
    if field.integer:
        return int(min(field.hi, max(field.lo, round(float(value)))))
    return float(min(field.hi, max(field.lo, round(float(value), 6))))


@dataclass(frozen=True)
class Switch:
    """A change made while the run went: at the start of ``month`` (the first month it acts on), ``name``
    went from ``before`` to ``after``."""

    month: int
    name: str
    before: float
    after: float

    @property
    def text(self) -> str:
        """How the time charts and the page name it: ``month 24: continuous communication 1 → 0``."""
        if self.name == "backbone_funded":
            what = "backbone funding " + ("on" if self.after else "off")
        else:
            what = f"{SWITCHES[self.name].lower()} {self.before:g} → {self.after:g}"
        return f"month {self.month}: {what}"


class ClassroomModel(CoalitionModel):
    """A ``CoalitionModel`` built the way the dashboard's controls describe it.

    Every control is a keyword argument (``None`` keeps the preset's value).  ``switch``
    changes a condition or the backbone's funding of the running model.

    Args:
        preset: a bundled scenario name.
        seed: the seed (text from the seed box is accepted; anything that is not a whole
            number falls back to 0 with a notice shown on the page).
        common_agenda, shared_measurement, mutually_reinforcing, continuous_communication,
        community_voice: condition levels, 0..1.
        backbone_share: share of the funder's budget given to the backbone.
        size: number of organizations.
        alone: the same organizations with no conditions and no backbone.
    """

    def __init__(self, preset: str = DEFAULT_PRESET, seed: int | str = 0, *,
                 common_agenda: float | None = None, shared_measurement: float | None = None,
                 mutually_reinforcing: float | None = None, continuous_communication: float | None = None,
                 community_voice: float | None = None, backbone_share: float | None = None,
                 size: int | None = None, alone: bool = False):
        seed_value, notice = parse_seed(seed)
        given = {"common_agenda": common_agenda, "shared_measurement": shared_measurement,
                 "mutually_reinforcing": mutually_reinforcing, "continuous_communication": continuous_communication,
                 "community_voice": community_voice, "backbone_share": backbone_share, "size": size}
        values: dict[str, Any] = {k: control_value(k, v) for k, v in given.items() if v is not None}
        if alone:
            values.update(ISOLATED_CHANGES)
        super().__init__(preset, rng=seed_value, **values)
        self.preset = preset
        self.seed = seed_value
        self.notice = notice
        self.alone = alone
        self.switches: list[Switch] = []
        self._view_cache: dict[str, Any] = {}

    @classmethod
    def from_preset(cls, preset: str, seed: int = 0) -> ClassroomModel:
        return cls(preset, seed, **preset_values(preset))

    @property
    def size(self) -> int:
        return len(self.organizations)

    def value(self, name: str) -> float:
        """A switchable value as the run uses it now (see ``SWITCHES``)."""
        if name == "backbone_funded":
            return float(self.world.G[0, L.BB_FUNDED])
        return float(self.world.P[0, COLUMN[_PATHS[name]]])

    def can_switch(self) -> str:
        """Why switches would change nothing in this run ('' when they act)."""
        if self.alone or not has_coalition(self.world.P, 0):
            return "This run has no coalition: the conditions and the backbone have nothing to act on."
        if self.world.G[0, L.COALITION] == 0:
            return "The coalition has dissolved: the conditions and the backbone have nothing left to act on."
        return ""

    def switch(self, name: str, value: float) -> Switch | None:
        """Change a condition's level, the backbone's share or its funding (1 or 0) from the next month on,
        and record it.  Returns the switch, or None when it changes nothing.

        Several moves of one control within a month are one switch (a slider sends every position it
        passes); moving it back to where the month began takes the switch back.
        """
        if name not in SWITCHES:
            raise KeyError(f"no switch {name!r}; switches: {', '.join(SWITCHES)}")
        after = float(bool(value)) if name == "backbone_funded" else float(control_value(name, value))
        now = self.value(name)
        if after == now:
            return None
        if name == "backbone_funded":
            self.world.G[0, L.BB_FUNDED] = after
        else:
            self.world.P[0, COLUMN[_PATHS[name]]] = after
        month = self.month + 1
        last = self.switches[-1] if self.switches else None
        if last is not None and last.month == month and last.name == name:
            self.switches.pop()
            now = last.before
            if after == now:
                return None
        record = Switch(month, name, now, after)
        self.switches.append(record)
        return record

    def step(self) -> None:
        if self.world.month >= self.setting.months:
            self.running = False
            return
        super().step()


def preset_values(preset: str) -> dict[str, float | int]:
    """The control values of a bundled scenario."""
    s = load(preset)
    values: dict[str, float | int] = {name: float(s.get(f"conditions.{name}")) for name in CONDITION_LABELS}
    values["backbone_share"] = float(s.get("backbone.budget_share"))
    values["size"] = int(s.get("coalition.size"))
    return values


def preset_summary(preset: str) -> str:
    """The first sentence of a preset's description."""
    text = " ".join(load(preset).description.split())
    first = text.split(". ")[0].rstrip(".")
    return first + "." if first else ""


@dataclass(frozen=True)
class Kept:
    """A run kept for comparison: what it was, its switches and its outcome month by month."""

    label: str
    outcome: np.ndarray


class Classroom:
    """Two runs stepped together from one seed: the preset (``together``) and the same organizations
    working alone (``alone``).  Switches act on ``together``.

    Args:
        preset, seed: as ``ClassroomModel``; ``controls``: its other keywords (``None`` keeps the preset's).
        kept: runs kept from earlier, drawn faintly beside this one.
    """

    def __init__(self, preset: str = DEFAULT_PRESET, seed: int | str = 0, *, kept: Sequence[Kept] = (),
                 **controls: Any):
        values = {**preset_values(preset), **{k: v for k, v in controls.items() if v is not None}}
        self.together = ClassroomModel(preset, seed, **values)
        self.alone = ClassroomModel(preset, self.together.seed, size=self.together.size, alone=True)
        self.preset = preset
        self.kept: list[Kept] = list(kept)
        self.painters: dict[str, Any] = {}  # the views' figures for these runs (``views.view_png``)
        # the page's play loop steps in a thread while a student may move a slider: one at a time
        self.lock = threading.RLock()

    def keep(self) -> Kept:
        """Keep the coalition's run so far for comparison with the runs after it."""
        t = self.together
        what = "; ".join(sw.text for sw in t.switches) or "no switches"
        kept = Kept(f"{t.preset}, seed {t.seed}, to month {t.month} ({what})",
                    t.datacollector.array()[:, L.O_OUTCOME].copy())
        self.kept.append(kept)
        return kept

    @property
    def month(self) -> int:
        return self.together.month

    @property
    def months(self) -> int:
        return self.together.setting.months

    @property
    def running(self) -> bool:
        return self.month < self.months

    @property
    def seed(self) -> int:
        return self.together.seed

    def step(self) -> None:
        """One month of both runs."""
        if not self.running:
            return
        self.together.step()
        self.alone.step()

    def switch(self, name: str, value: float) -> Switch | None:
        """Switch a condition or the backbone's funding in the coalition's run (see ``ClassroomModel.switch``)."""
        return self.together.switch(name, value)
