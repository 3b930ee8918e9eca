"""The classroom dashboard: a Mesa SolaraViz app that drives a live coalition from sliders.

    cisim dashboard                       # serves this app on http://127.0.0.1:8765
    solara run cisim.interfaces.app                  # the page alone: solara's options, no Host check

A preset picker (the bundled scenarios), Mesa's play, step and reset buttons, a
slider for each condition, the backbone's budget and the coalition's size, a seed,
and the four views of ``cisim.interfaces.views``, redrawn at every step.
"""

from __future__ import annotations

import os
from typing import Any

import solara
from mesa.visualization import SolaraViz
from mesa.visualization.user_param import Slider
from mesa.visualization.utils import update_counter

from cisim.interfaces.views import (
    CONDITION_LABELS,
    DEFAULT_PRESET,
    VIEW_BY_KEY,
    VIEWS,
    ClassroomModel,
    preset_summary,
    preset_values,
    view_png,
)
from cisim.model.formats import money, share
from cisim.model.scenario import bundled_names

TITLE = "cisim: collective impact in the classroom"
SIZE_RANGE = (4, 80)
BACKBONE_RANGE = (0.0, 0.5)


# ---------------------------------------------------------------- the page

@solara.component
def ViewCard(model: ClassroomModel, key: str):
    """One view; redrawn when the model steps or is replaced."""
    update_counter.get()
    view = VIEW_BY_KEY[key]
    png = solara.use_memo(lambda: view_png(key, model), [model, model.month])
    with solara.Column(gap="2px", classes=["cisim-view", f"cisim-view-{key}"], style={"padding": "6px 10px"}):
        solara.Text(view.title, classes=["cisim-title"])
        solara.Text(view.headline(model), classes=["cisim-headline"])
        solara.Image(png, width="100%", classes=["cisim-figure"])
        solara.Text(view.caption, classes=["cisim-caption"])


@solara.component
def Views(model: solara.Reactive[ClassroomModel]):
    """The four views side by side, two to a row on a wide screen.

    They are laid out here rather than in SolaraViz's draggable grid: a fixed layout is what a
    projector needs, and the grid's browser library does not load with the Vue 3 front end of
    solara that this Mesa uses.
    """
    update_counter.get()
    with solara.Div(classes=["cisim-views"]):
        for view in VIEWS:
            ViewCard(model.value, view.key)


STYLE = """
.cisim-title, .cisim-headline, .cisim-caption, .cisim-status, .cisim-notice, .cisim-values { display: block; }
.cisim-title { font-size: 1.15rem; font-weight: 700; }
.cisim-headline { font-size: 1rem; font-weight: 600; color: #0b3d62; }
.cisim-caption { font-size: 0.9rem; color: #444; line-height: 1.25; }
.cisim-status { font-size: 1.2rem; font-weight: 700; padding: 4px 12px 0 12px; }
.cisim-notice { color: #a33c00; font-weight: 600; padding: 0 12px; }
.cisim-views { display: grid; grid-template-columns: repeat(auto-fit, minmax(480px, 1fr)); gap: 12px;
                padding: 8px 12px; }
.cisim-view { background: white; color: #222; border: 1px solid #e2e2e2; border-radius: 6px; }  /* also in dark mode */
.cisim-figure img, img.cisim-figure { max-width: 100%; height: auto; }
.cisim-values { font-size: 0.95rem; color: #333; padding: 0 12px 4px 12px; }
/* sidebar sliders: the label above the track, so long labels leave the track its full width */
.v-navigation-drawer .v-slider.v-input--horizontal { grid-template-areas: "prepend" "control" "messages";
                                                     grid-template-columns: minmax(0, 1fr); }
.v-navigation-drawer .v-slider.v-input--horizontal .v-input__prepend { margin-bottom: -6px; }
"""


def model_params(preset: str, seed: int = 0) -> dict[str, Any]:
    """SolaraViz's controls, starting from a preset's values (the preset itself is fixed: it is chosen above)."""
    values = preset_values(preset)
    params: dict[str, Any] = {
        "preset": preset,
        "seed": {"type": "InputText", "value": str(seed), "label": "Seed (same seed: same organizations)"},
    }
    for name, label in CONDITION_LABELS.items():
        params[name] = Slider(label, values[name], 0.0, 1.0, 0.05, dtype=float)
    lo, hi = BACKBONE_RANGE
    share = values["backbone_share"]
    params["backbone_share"] = Slider("Backbone budget (share of funder's money)", share, lo, max(hi, share),
                                      0.01, dtype=float)
    lo, hi = SIZE_RANGE
    size = values["size"]
    params["size"] = Slider("Coalition size (organizations)", size, min(lo, size), max(hi, size), 1, dtype=int)
    return params


def run_values(model: ClassroomModel) -> str:
    """The values this run was built with (the sliders show no numbers, and may have moved since Reset)."""
    s = model.setting
    levels = " · ".join(f"{label.lower()} {s.get(f'conditions.{name}'):.2f}"
                        for name, label in CONDITION_LABELS.items())
    backbone_share = s.get("backbone.budget_share")
    backbone_money = backbone_share * s.get("funder.budget") + s.get("backbone.extra_budget")
    return (f"This run: {levels} · backbone {share(backbone_share)} of the funder's money "
            f"({money(backbone_money)} a month)")


@solara.component
def Status(model: solara.Reactive[ClassroomModel]):
    """The month and the run's identity, big enough to read from the back of the room."""
    update_counter.get()
    m = model.value
    state = "finished" if m.month >= m.setting.months else "running"
    solara.Text(f"{m.setting.name} · month {m.month} of {m.setting.months} ({state}) · seed {m.seed} · "
                f"{m.size} organizations", classes=["cisim-status"])
    solara.Text(run_values(m), classes=["cisim-values"])
    if m.notice:
        solara.Text(m.notice, classes=["cisim-notice"])


# ---------------------------------------------------------------- what a browser session has chosen
# (solara keeps a reactive variable per session: each browser tab has its own)

def _first_preset() -> str:
    """The preset the page starts from: ``cisim dashboard --preset`` passes it in the environment."""
    name = os.environ.get("CISIM_DASHBOARD_PRESET", "")
    return name if name in bundled_names() else DEFAULT_PRESET


preset_choice = solara.reactive(_first_preset())
seed_choice = solara.reactive(0)
page_generation = solara.reactive(0)


def start_over(model: ClassroomModel, preset: str) -> None:
    """Leave ``model`` and build the page again for ``preset``, keeping the seed."""
    model.running = False  # a play loop still running on it stops after its next step
    seed_choice.value = model.seed
    preset_choice.value = preset
    page_generation.value += 1


@solara.component
def Layout(children: list = []):  # noqa: B006 - solara's layout signature
    """Solara's page layout, built anew for each preset: SolaraViz's controls take their starting values
    only when they first appear, so a new preset needs new controls."""
    return solara.AppLayout(children=children).key(f"cisim-page-{page_generation.value}")


@solara.component
def Page():
    """The dashboard: a preset picker above Mesa's controls and sliders, the run's status and the four views."""
    preset, seed = solara.use_memo(lambda: (preset_choice.peek(), seed_choice.peek()), [])
    model = solara.use_memo(lambda: solara.reactive(ClassroomModel.from_preset(preset, seed)), [])

    def choose(name: str | None) -> None:
        if name and name != preset:
            start_over(model.value, name)

    solara.Title(TITLE)
    solara.Style(STYLE)
    with solara.Sidebar():
        with solara.Card("Preset"):
            solara.Select("Scenario", values=bundled_names(), value=preset, on_value=choose)
            solara.Text(preset_summary(preset), classes=["cisim-caption"])
            solara.Button("Back to the preset's values", on_click=lambda: start_over(model.value, preset),
                          text=True, color="primary")
            solara.Text("Move the sliders, then press Reset: a new run starts from month 0 with those values and "
                        "the same seed.", classes=["cisim-caption"])
    with solara.Column(gap="0px"):
        Status(model)
        SolaraViz(model, components=[], model_params=model_params(preset, seed), name=TITLE, play_interval=150)
        Views(model)


page = Page
