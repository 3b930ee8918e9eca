"""The classroom dashboard: the coalition and the same organizations working alone, side by side, live.

    cisim dashboard                       # serves this app on http://127.0.0.1:8765
    solara run cisim.interfaces.app       # the page alone: solara's options, no Host check

One screen: the controls on the left (play, step, reset, speed in months a second, a
slider for each condition and the backbone's budget that act on the running coalition,
the backbone's funding on or off, keeping a run, and the next run's preset, seed and
size), the four views of ``cisim.interfaces.views`` on the right, and an Info panel;
"Hide controls" gives the views the whole width (the run's buttons move above them).
The layout is a fixed CSS grid sized to the window (a projector needs a fixed layout;
Mesa's draggable grid does not load with the Vue 3 front end of solara that this Mesa
uses), and the play loop is the page's own, so no Mesa internals show.
"""

from __future__ import annotations

import os
import time

import solara

from cisim.interfaces.classroom import (
    CONDITION_LABELS,
    DEFAULT_PRESET,
    SWITCHES,
    Classroom,
    parse_seed,
    preset_summary,
    preset_values,
)
from cisim.interfaces.dashboard_info import SECTIONS
from cisim.interfaces.views import VIEWS, view_png
from cisim.model.formats import share
from cisim.model.scenario import bundled_names

TITLE = "cisim: collective impact in the classroom"
SIZE_RANGE = (4, 80)
BACKBONE_RANGE = (0.0, 0.5)
SPEEDS = (1, 2, 4, 8, 12)  # months a second
DEFAULT_SPEED = 4

STYLE = """
html, body { overflow: hidden; }
.cisim-page { display: grid; grid-template-columns: 290px minmax(0, 1fr); height: 100vh; width: 100vw;
              background: #f4f5f7; color: #222; font-size: 14px; }
.cisim-presenting { grid-template-columns: minmax(0, 1fr); }
.cisim-controls { overflow-y: auto; padding: 6px 10px; background: white; border-right: 1px solid #ddd; }
.cisim-main { display: grid; grid-template-rows: auto minmax(0, 1fr); min-width: 0; min-height: 0; }
.cisim-top { display: flex; align-items: center; gap: 8px; padding: 4px 10px; }
.cisim-status { font-size: 1.15rem; font-weight: 700; flex: 1; line-height: 1.2; }
@media (max-width: 1100px) { .cisim-status { font-size: 0.95rem; } }
.cisim-views { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr));
               grid-template-rows: repeat(2, minmax(0, 1fr)); gap: 6px; padding: 0 8px 6px 8px; min-height: 0; }
.cisim-view { display: flex; flex-direction: column; min-height: 0; min-width: 0; background: white;
              border: 1px solid #e2e2e2; border-radius: 6px; padding: 3px 8px; }
.cisim-view > div { flex: 1 1 0; min-height: 0; height: auto !important; }
.cisim-view img.cisim-figure { display: block; width: 100%; height: 100%; object-fit: contain; }
.cisim-title { font-size: 1.0rem; font-weight: 700; display: block; }
.cisim-headline { font-size: 0.85rem; font-weight: 600; color: #0b3d62; display: block; line-height: 1.2; }
.cisim-caption { font-size: 0.75rem; color: #555; line-height: 1.15; display: block; }
.cisim-notice { color: #a33c00; font-weight: 600; display: block; font-size: 0.85rem; }
.cisim-heading { font-weight: 700; font-size: 0.9rem; margin-top: 4px; display: block; }
.cisim-summary { font-size: 0.75rem; color: #555; line-height: 1.15; display: -webkit-box; -webkit-line-clamp: 2;
                 -webkit-box-orient: vertical; overflow: hidden; }
.cisim-label { display: flex; justify-content: space-between; font-size: 0.85rem; line-height: 1.1;
               margin-top: 2px; }
.cisim-value { color: #0b3d62; font-weight: 700; white-space: nowrap; padding-left: 6px; }
.cisim-control .v-input__details { display: none; }
.cisim-control .v-slider.v-input--horizontal { margin-inline: 8px; }
.cisim-control .v-input__control { min-height: 22px !important; height: 22px; }
.cisim-controls .v-switch .v-input__control { height: 30px; }
.cisim-controls .v-selection-control { min-height: 30px; }
.cisim-buttons { display: flex; gap: 6px; margin: 4px 0; }
.cisim-info { overflow-y: auto; background: white; margin: 0 8px 6px 8px; padding: 8px 16px; border-radius: 6px;
              border: 1px solid #e2e2e2; font-size: 1.0rem; line-height: 1.35; }
.cisim-info-heading { display: block; margin: 8px 0 2px 0; font-size: 1.1rem; font-weight: 700; }
.cisim-info-text { display: block; }
.cisim-info-item { display: list-item; margin-left: 1.4em; }
"""


# ---------------------------------------------------------------- what a browser session has chosen
# (solara keeps a reactive variable per session: each browser tab has its own)

def _first_preset() -> str:
    """The preset the page starts from: ``cisim dashboard --preset`` passes it in the environment."""
    name = os.environ.get("CISIM_DASHBOARD_PRESET", "")
    return name if name in bundled_names() else DEFAULT_PRESET


def new_room(preset: str, seed: str | int, size: int, kept=()) -> Classroom:
    """Both runs from month 0: the preset's conditions and backbone, the given seed and size."""
    return Classroom(preset, seed, size=size, kept=kept)


# ---------------------------------------------------------------- the controls

@solara.component
def Labelled(label: str, value: str, children: list = []):  # noqa: B006 - solara's children
    """A control with its full label and its value above it, readable from the back of the room."""
    with solara.Div(classes=["cisim-control"]):
        with solara.Div(classes=["cisim-label"]):
            solara.Text(label, classes=["cisim-label-text"])
            solara.Text(value, classes=["cisim-value"])
        solara.Div(children=children)


@solara.component
def LiveControls(room: Classroom, redraw, tick: int):
    """The sliders and switch that act on the running coalition, from the next month on (``tick``: redrawn
    whenever the runs change, so each shows the value the run uses)."""
    why = room.together.can_switch()
    t = room.together

    def setter(name: str):
        def set_value(value: float) -> None:
            with room.lock:
                room.switch(name, value)
            redraw()
        return set_value

    solara.Text("Change now (together, from next month):", classes=["cisim-heading"])
    if why:
        solara.Text(why, classes=["cisim-notice"])
    for name, label in CONDITION_LABELS.items():
        value = t.value(name)
        with Labelled(label, f"{value:.2f}"):
            solara.SliderFloat("", value=value, min=0.0, max=1.0, step=0.05, on_value=setter(name),
                               thumb_label=False, disabled=bool(why))
    lo, hi = BACKBONE_RANGE
    value = t.value("backbone_share")
    with Labelled(SWITCHES["backbone_share"], share(value)):
        solara.SliderFloat("", value=value, min=lo, max=max(hi, value), step=0.01, on_value=setter("backbone_share"),
                           thumb_label=False, disabled=bool(why))
    funded = bool(t.value("backbone_funded"))
    solara.Switch(label=f"Backbone funded: {'on' if funded else 'off'}", value=funded, color="primary",
                  on_value=lambda on: setter("backbone_funded")(float(on)), disabled=bool(why))


@solara.component
def NextRun(preset: solara.Reactive[str], seed: solara.Reactive[str], size: solara.Reactive[int], on_reset):
    """What Reset starts: the preset (its conditions and backbone), the seed and the coalition's size."""
    solara.Text("Reset starts from month 0 with:", classes=["cisim-heading"])

    def choose(name: str | None) -> None:
        if name and name != preset.value:
            preset.value = name
            size.value = int(preset_values(name)["size"])
            on_reset()

    solara.Select("Preset", values=bundled_names(), value=preset.value, on_value=choose, dense=True)
    solara.Text(preset_summary(preset.value), classes=["cisim-summary"])
    solara.InputText("Seed (same seed: same organizations)", value=seed, dense=True)
    lo, hi = SIZE_RANGE
    with Labelled("Coalition size (organizations)", str(size.value)):
        solara.SliderInt("", value=size, min=min(lo, size.value), max=max(hi, size.value), thumb_label=False)


# ---------------------------------------------------------------- the views

@solara.component
def ViewCard(room: Classroom, key: str, tick: int):
    """One view; redrawn when the runs step, a switch is made, or the runs are replaced."""
    view = next(v for v in VIEWS if v.key == key)

    def draw() -> tuple[str, bytes]:
        with room.lock:
            return view.headline(room), view_png(key, room)

    headline, png = solara.use_memo(draw, [room, tick])
    with solara.Div(classes=["cisim-view", f"cisim-view-{key}"]):
        solara.Text(view.title, classes=["cisim-title"])
        solara.Text(headline, classes=["cisim-headline"])
        solara.Image(png, classes=["cisim-figure"])
        solara.Text(view.caption, classes=["cisim-caption"])


@solara.component
def Info():
    """What the model is, how it works, things to notice and to try, and what is assumed."""
    with solara.Div(classes=["cisim-info"]):
        for heading, items in SECTIONS:
            solara.Text(heading, classes=["cisim-info-heading"])
            for item in items:
                solara.Text(item, classes=["cisim-info-item" if len(items) > 1 else "cisim-info-text"])


def status_text(room: Classroom) -> str:
    state = "finished" if not room.running else "running"
    return (f"{room.preset} · month {room.month} of {room.months} ({state}) · seed {room.seed} · "
            f"{room.together.size} organizations")


# ---------------------------------------------------------------- the page

@solara.component
def Layout(children: list = []):  # noqa: B006 - solara's layout signature
    """No app bar and no sidebar that could open over the views: the page is the whole window."""
    return solara.Div(children=children)


@solara.component
def Page():
    """The dashboard: controls on the left, the four views (or the Info panel) on the right."""
    first = solara.use_memo(_first_preset, [])
    preset = solara.use_reactive(first)
    seed = solara.use_reactive("0")
    size = solara.use_reactive(int(preset_values(first)["size"]))
    room = solara.use_reactive(solara.use_memo(lambda: new_room(first, 0, size.value), []))
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(DEFAULT_SPEED)
    tab = solara.use_reactive("Model")
    presenting = solara.use_reactive(False)  # the views across the whole width, the run's buttons above them

    def redraw() -> None:
        tick.value += 1

    def step() -> None:
        with room.value.lock:
            room.value.step()
        redraw()

    def reset() -> None:
        playing.value = False
        room.value = new_room(preset.value, seed.value, size.value, kept=room.value.kept)
        redraw()

    def keep() -> None:
        with room.value.lock:
            room.value.keep()
        redraw()

    def clear_kept() -> None:
        room.value.kept.clear()
        redraw()

    def play_loop() -> None:
        current = room.value
        while playing.value and current.running and current is room.value:
            started = time.monotonic()
            with current.lock:
                current.step()
            redraw()
            time.sleep(max(0.0, 1.0 / speed.value - (time.monotonic() - started)))
        if not current.running:
            playing.value = False

    solara.lab.use_task(play_loop, dependencies=[playing.value, room.value], prefer_threaded=True)

    r = room.value
    _, notice = parse_seed(seed.value)
    solara.Title(TITLE)
    solara.Style(STYLE)

    def run_buttons() -> None:
        with solara.Div(classes=["cisim-buttons"]):
            solara.Button("❚❚ Pause" if playing.value else "▶ Play", color="primary",
                          on_click=lambda: playing.set(not playing.value), disabled=not r.running)
            solara.Button("Step", color="primary", on_click=step, disabled=playing.value or not r.running)
            solara.Button("Reset", color="primary", outlined=True, on_click=reset)

    with solara.Div(classes=["cisim-page", *(["cisim-presenting"] if presenting.value else [])]):
        if not presenting.value:
            with solara.Div(classes=["cisim-controls"]):
                run_buttons()
                with Labelled("Speed", f"{speed.value} months a second"):
                    solara.SliderInt("", value=SPEEDS.index(speed.value), min=0, max=len(SPEEDS) - 1,
                                     on_value=lambda k: speed.set(SPEEDS[k]), thumb_label=False)
                LiveControls(r, redraw, tick.value)
                NextRun(preset, seed, size, reset)
                if notice or r.together.notice:
                    solara.Text(notice or r.together.notice, classes=["cisim-notice"])
        with solara.Div(classes=["cisim-main"]):
            with solara.Div(classes=["cisim-top"]):
                if presenting.value:
                    run_buttons()
                solara.Text(status_text(r), classes=["cisim-status"])
                solara.Button("Keep this run", on_click=keep, outlined=True, color="primary", disabled=r.month == 0)
                solara.Button(f"Clear kept ({len(r.kept)})", on_click=clear_kept, text=True, disabled=not r.kept)
                solara.Button("Show controls" if presenting.value else "Hide controls", text=True,
                              on_click=lambda: presenting.set(not presenting.value))
                solara.ToggleButtonsSingle(value=tab, values=["Model", "Info"], dense=True)
            if tab.value == "Info":
                Info()
            else:
                with solara.Div(classes=["cisim-views"]):
                    for view in VIEWS:
                        ViewCard(r, view.key, tick.value)


page = Page
