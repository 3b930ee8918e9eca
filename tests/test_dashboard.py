"""The classroom dashboard: its two runs and switches, its views, the page rendered by solara's test
helpers, the page in a real browser (headless Chromium), and ``cisim dashboard``'s errors."""

from __future__ import annotations

import asyncio
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import ipyvuetify as v
import ipywidgets
import numpy as np
import pytest
import solara
from cli_call import call

from cisim.experiments.runner import run_batch
from cisim.interfaces import dashboard
from cisim.interfaces.classroom import Classroom, ClassroomModel, parse_seed, preset_values
from cisim.interfaces.views import (
    LEFT_COLOR,
    VIEWS,
    draw_network,
    draw_view,
    strongest_ties,
    trusted_ties,
    view_png,
)
from cisim.model import layout as L
from cisim.model.scenario import bundled_names

PNG = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- the two runs

def _run(room: Classroom, months: int, at: dict[int, tuple[str, float]] | None = None) -> None:
    for _ in range(months):
        if at and room.month in at:
            room.switch(*at[room.month])
        room.step()


def test_alone_is_the_isolated_scenario_for_the_same_seed_and_size():
    room = Classroom("collective", 4)
    _run(room, room.months)
    bundled = run_batch("isolated", [4], outputs="summary").series("outcome")[0]
    np.testing.assert_allclose(room.alone.datacollector.array()[:, L.O_OUTCOME], bundled)
    small = Classroom("collective", 4, size=12)
    _run(small, small.months)
    expected = run_batch("isolated", [4], changes={"coalition.size": 12}).series("outcome")[0]
    np.testing.assert_allclose(small.alone.datacollector.array()[:, L.O_OUTCOME], expected)


def test_both_runs_start_from_the_same_organizations():
    room = Classroom("youth-homelessness", 2, size=24)
    t, a = room.together, room.alone
    np.testing.assert_array_equal(t.trust_matrix(), a.trust_matrix())
    np.testing.assert_array_equal(t.world.budget, a.world.budget)
    assert t.outcome == a.outcome  # month 0 is the status quo for both
    _run(room, 24)
    assert t.month == a.month == 24
    assert t.outcome != a.outcome


def test_a_switch_changes_the_running_model_and_is_recorded():
    room = Classroom("collective", 0)
    _run(room, 24)
    sw = room.switch("continuous_communication", 0)
    assert (sw.month, sw.name, sw.before, sw.after) == (25, "continuous_communication", 1.0, 0.0)
    assert room.together.world.P[0, L.COMMUNICATE] == 0.0
    assert room.alone.world.P[0, L.COMMUNICATE] == 0.0  # working alone: nothing to switch
    assert room.together.switches == [sw] and room.alone.switches == []
    assert "month 25: continuous communication 1 → 0" == sw.text
    # moving the slider on within the month is one switch; back where it was, none
    room.switch("continuous_communication", 0.5)
    assert room.together.switches[-1].after == 0.5 and len(room.together.switches) == 1
    room.switch("continuous_communication", 1.0)
    assert room.together.switches == []
    assert room.switch("continuous_communication", 1.0) is None
    with pytest.raises(KeyError):
        room.switch("size", 10)  # the organizations cannot change mid-run: Reset


def test_stopping_communication_at_month_24_is_the_runs_own_effect():
    """The switched run is the unswitched one until month 24, then trust stops building; the isolated run
    is the same in both."""
    kept = Classroom("collective", 0)
    switched = Classroom("collective", 0)
    _run(kept, 48)
    _run(switched, 48, at={24: ("continuous_communication", 0.0)})
    a, b = kept.together.datacollector.array(), switched.together.datacollector.array()
    np.testing.assert_array_equal(a[:25], b[:25])
    assert not np.allclose(a[25:, L.O_TW], b[25:, L.O_TW])
    assert b[48, L.O_TW] < a[48, L.O_TW]
    np.testing.assert_array_equal(kept.alone.datacollector.array(), switched.alone.datacollector.array())


def test_backbone_funding_can_go_off_and_on_again():
    room = Classroom("collective", 1)
    _run(room, 12)
    room.switch("backbone_funded", 0)
    room.step()
    assert room.together.world.out[0, L.O_BB_INCOME] == 0.0
    room.switch("backbone_funded", 1)
    room.step()
    assert room.together.world.out[0, L.O_BB_INCOME] > 0.0
    assert [s.text for s in room.together.switches] == ["month 13: backbone funding off",
                                                        "month 14: backbone funding on"]


def test_switches_say_when_there_is_nothing_to_switch():
    assert Classroom("isolated", 0).together.can_switch()
    assert Classroom("collective", 0).together.can_switch() == ""
    assert Classroom("collective", 0).alone.can_switch()


def test_kept_runs_follow_the_next_run():
    room = Classroom("collective", 0)
    _run(room, 6)
    kept = room.keep()
    assert len(kept.outcome) == 7 and "seed 0" in kept.label
    again = Classroom("collective", 0, kept=room.kept)
    assert again.kept == [kept] and again.month == 0


def test_seed_text_from_the_page_is_coerced_and_bad_text_is_reported():
    assert parse_seed(" 7 ") == (7, "")
    assert parse_seed(12) == (12, "")
    seed, notice = parse_seed("seven")
    assert seed == 0 and "whole number" in notice
    assert parse_seed("-3")[0] == 0
    typed = ClassroomModel("collective", "7")
    np.testing.assert_array_equal(typed.trust_matrix(), ClassroomModel("collective", 7).trust_matrix())
    assert typed.seed == 7 and typed.notice == ""
    assert "whole number" in ClassroomModel("collective", "x").notice


def test_control_values_reach_the_model_in_range():
    model = ClassroomModel("collective", 0, common_agenda=1.0000000000000002, shared_measurement=0.30000000000000004,
                           backbone_share=0.12, size=40)
    assert model.setting.get("conditions.common_agenda") == 1.0
    assert model.setting.get("conditions.shared_measurement") == pytest.approx(0.3)
    assert model.value("backbone_share") == 0.12
    assert model.size == 40
    assert ClassroomModel("isolated", 0).setting.get("conditions.common_agenda") == 0.0


def test_every_preset_builds_steps_and_draws():
    for name in bundled_names():
        values = preset_values(name)
        assert 2 <= values["size"] <= 200
        room = Classroom(name, 1)
        assert room.preset == name and room.together.size == values["size"]
        room.step()
        for view in VIEWS:
            assert view_png(view.key, room).startswith(PNG)
            assert view.headline(room)


def test_the_runs_stop_at_the_horizon():
    room = Classroom("collective", 0, size=6)
    _run(room, room.months)
    assert not room.running
    room.step()  # Play may fire once more after the end
    assert room.month == room.months == room.alone.month


# ---------------------------------------------------------------- the views

def test_views_change_as_the_runs_step():
    room = Classroom("collective", 3)
    before = {v.key: view_png(v.key, room) for v in VIEWS}
    headlines = {v.key: v.headline(room) for v in VIEWS}
    _run(room, 6)
    for view in VIEWS:
        after = view_png(view.key, room)
        assert after.startswith(PNG) and after != before[view.key], view.key
        assert view.headline(room) != headlines[view.key], view.key
    assert "month 6" in VIEWS[0].headline(room)


def _grey(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)


def test_fast_redraw_matches_a_full_draw():
    """The page redraws only what changes; the result must look like a view drawn from scratch."""
    room = Classroom("collective", 5)
    for view in VIEWS:
        view_png(view.key, room)  # the static parts are drawn for month 0
    _run(room, 9, at={4: ("mutually_reinforcing", 0.0)})
    for view in VIEWS:
        fast = _grey(view_png(view.key, room))
        fig = draw_view(view.key, room)
        fig.canvas.draw()
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=fig.dpi)
        full = _grey(buf.getvalue())
        assert fast.shape == full.shape
        assert np.mean(np.abs(fast - full)) < 2.0, view.key  # grey levels 0..255: antialiasing only


def _switch_pixels(png: bytes) -> int:
    """Pixels of the switch marks' colour (SWITCH_COLOR, #D55E00)."""
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)
    return int(np.sum((abs(rgb[..., 0] - 0xD5) < 30) & (abs(rgb[..., 1] - 0x5E) < 30) & (abs(rgb[..., 2]) < 40)))


def test_time_charts_mark_the_switch():
    room = Classroom("collective", 0)
    _run(room, 10)
    plain = {k: _switch_pixels(view_png(k, room)) for k in ("outcome", "trust")}
    room.switch("continuous_communication", 0)
    room.step()
    for key in ("outcome", "trust"):
        assert _switch_pixels(view_png(key, room)) > plain[key] + 100, key


def test_trusted_ties_are_mutual_and_between_members():
    model = ClassroomModel("collective", 2)
    for _ in range(24):
        model.step()
    ties = trusted_ties(model)
    assert len(ties) > 0
    trust = model.trust_matrix()
    threshold = model.setting.get("trust.threshold")
    i, j = ties[:, 0], ties[:, 1]
    assert np.all(i < j)
    assert np.all(trust[i, j] > threshold) and np.all(trust[j, i] > threshold)
    assert all(model.organizations[a].member and model.organizations[b].member for a, b in ties)


def test_the_network_draws_each_members_strongest_ties():
    room = Classroom("collective", 0, size=40)
    _run(room, 60)
    model = room.together
    ties, drawn = trusted_ties(model), strongest_ties(model)
    k = int(model.setting.get("behaviour.coordination_ties"))
    assert set(map(tuple, drawn)) <= set(map(tuple, ties))
    assert len(drawn) < len(ties) / 2  # readable at 40 organizations, where nearly all members trust each other
    trust = model.trust_matrix()
    for i in np.unique(ties):
        mine = ties[(ties == i).any(axis=1)]
        strength = np.minimum(trust[mine[:, 0], mine[:, 1]], trust[mine[:, 1], mine[:, 0]])
        strongest = mine[np.argmax(strength)]
        assert any((drawn == strongest).all(axis=1)), i  # every member's strongest tie is drawn
        assert (drawn == i).any(axis=1).sum() >= min(k, len(mine))


def test_members_who_left_are_greyed_out():
    from matplotlib.colors import to_rgba
    from matplotlib.figure import Figure

    room = Classroom("collective", 0)
    model = room.together
    members = sum(o.member for o in model.organizations)
    first = next(o for o in model.organizations if o.member)
    first.leave()
    ax = Figure().add_subplot()
    draw_network(model, ax)
    faces = ax.collections[-1].get_facecolors()
    k = model.organizations.index(first)
    assert np.allclose(faces[k], to_rgba(LEFT_COLOR))
    still = next(i for i, o in enumerate(model.organizations) if o.member)
    assert not np.allclose(faces[still], to_rgba(LEFT_COLOR))
    assert f"{members - 1} of 30" in VIEWS[-1].headline(room)


def test_info_panel_matches_the_teaching_notes():
    from cisim.interfaces.dashboard_info import HOW, SECTIONS

    teaching = " ".join((Path(__file__).parents[1] / "docs" / "teaching.md").read_text(encoding="utf-8").split())
    assert len(HOW) == 5  # how it works, in five sentences
    assert [h for h, _ in SECTIONS] == ["What is it?", "How it works", "Things to notice", "Things to try",
                                        "What is assumed"]
    for _, items in SECTIONS:
        for item in items:
            assert " ".join(item.split()) in teaching, item[:60]


# ---------------------------------------------------------------- the page, rendered without a browser

@pytest.fixture
def page():
    """The page as solara's server shows it (the app's Layout around its Page), fresh for each test."""
    import cisim.interfaces.app as app

    box, rc = solara.render(app.Layout(children=[app.Page()]), handle_error=False)
    yield rc
    rc.close()


def _texts(rc, cls: str) -> list[str]:
    return [h.widget.children[0] for h in rc.find(v.Html, class_=cls)]


def _labels(rc) -> dict[str, str]:
    """Each control's full label and the value shown beside it."""
    return dict(zip(_texts(rc, "cisim-label-text"), _texts(rc, "cisim-value")))


def _images(rc) -> list[bytes]:
    return [bytes(i.widget.value) for i in rc.find(ipywidgets.Image)]


def _click(rc, name: str) -> None:
    rc.find(v.Btn, children=[name]).widget.click()


def test_page_has_the_controls_and_the_views(page):
    labels = _labels(page)
    for label in ("Common agenda", "Shared measurement", "Mutually reinforcing activities",
                  "Continuous communication", "Community voice", "Backbone budget (share of the funder's money)",
                  "Coalition size (organizations)", "Speed"):
        assert label in labels, label
    assert labels["Community voice"] == "0.50" and labels["Speed"] == "4 months a second"
    assert page.find(v.TextField).widget.label.startswith("Seed")
    assert page.find(v.Select).widget.v_model == "collective"
    assert set(page.find(v.Select).widget.items) == set(bundled_names())
    buttons = [b.widget.children[0] for b in page.find(v.Btn) if b.widget.children]
    for name in ("▶ Play", "Step", "Reset", "Keep this run"):
        assert name in buttons
    for internal in ("Use Threads", "Render Interval"):
        assert internal not in str(labels) and internal not in str(buttons)
    assert len(_texts(page, "cisim-headline")) == 4
    assert all(img.startswith(PNG) for img in _images(page))
    assert "month 0 of 60" in _texts(page, "cisim-status")[0]


def test_a_slider_acts_on_the_running_model(page):
    for _ in range(3):
        _click(page, "Step")
    slider = next(s for s in page.find(v.Slider) if s.widget.v_model == 1.0)  # common agenda, the first
    images = _images(page)
    slider.widget.v_model = 0.0
    assert _labels(page)["Common agenda"] == "0.00"
    assert "month 3 of 60" in _texts(page, "cisim-status")[0]  # no Reset: the same run goes on
    assert _images(page)[0] != images[0]  # the outcome chart marks the switch
    _click(page, "Step")
    assert "month 4 of 60" in _texts(page, "cisim-status")[0]


def test_reset_starts_over_with_the_preset_seed_and_size(page):
    page.find(v.Slider, v_model=30).widget.v_model = 10
    _click(page, "Step")
    _click(page, "Reset")
    status = _texts(page, "cisim-status")[0]
    assert "10 organizations" in status and "month 0" in status and "seed 0" in status
    _click(page, "Step")
    _click(page, "Step")
    assert "month 2 of 60" in _texts(page, "cisim-status")[0]
    assert " of 10 are members" in _texts(page, "cisim-headline")[-1]


def test_choosing_a_preset_starts_it(page):
    page.find(v.Select).widget.v_model = "isolated"
    assert _texts(page, "cisim-status")[0].startswith("isolated · month 0")
    assert _labels(page)["Common agenda"] == "0.00"
    assert _texts(page, "cisim-headline")[-1].startswith("No coalition")
    assert "no coalition" in " ".join(_texts(page, "cisim-notice"))


def test_a_bad_seed_shows_a_notice_not_an_error(page):
    field = page.find(v.TextField).widget
    field.v_model = "seven"
    field.fire_event("keyup.enter", None)  # the seed box sends its text on Enter or on leaving it
    _click(page, "Reset")
    assert "whole number" in _texts(page, "cisim-notice")[0]
    assert "seed 0" in _texts(page, "cisim-status")[0]


def test_presentation_mode_keeps_the_runs_buttons(page):
    _click(page, "Hide controls")
    assert not _labels(page).get("Common agenda")  # the sliders are hidden ...
    _click(page, "Step")  # ... the run's buttons are not
    assert "month 1 of 60" in _texts(page, "cisim-status")[0]
    _click(page, "Show controls")
    assert _labels(page)["Common agenda"] == "1.00"


def test_the_info_panel_is_in_the_page(page):
    assert not _texts(page, "cisim-info-heading")
    page.find(v.BtnToggle).widget.v_model = "Info"
    text = " ".join(_texts(page, "cisim-info-heading") + _texts(page, "cisim-info-item"))
    assert not _texts(page, "cisim-headline")  # the views give way to it
    for heading in ("What is it?", "How it works", "Things to notice", "Things to try", "What is assumed"):
        assert heading in text


# ---------------------------------------------------------------- cisim dashboard

def test_dashboard_server_listens_on_loopback_only():
    command = dashboard.server_command(8765)
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert "cisim.interfaces.dashboard:loopback_app" in command and "--factory" in command
    env = dashboard.server_env("isolated")
    assert env["SOLARA_MODE"] == "production" and env["SOLARA_APP"] == "cisim.interfaces.app"
    assert env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] == "False"
    assert env["CISIM_DASHBOARD_PRESET"] == "isolated"


@pytest.mark.parametrize("host, name", [
    ("127.0.0.1:8765", "127.0.0.1"), ("localhost", "localhost"), ("LocalHost:80", "localhost"),
    ("[::1]:8765", "[::1]"), ("[::1]", "[::1]"), ("evil.example:8765", "evil.example"),
    ("localhost:x", None), ("[::1", None), ("[::1]8765", None), ("127.0.0.1:80:80", None),
])
def test_host_names_are_read_without_their_port(host, name):
    assert dashboard.host_name(host) == name


def _scope(*hosts: bytes, kind: str = "http") -> dict:
    return {"type": kind, "headers": [(b"host", h) for h in hosts] + [(b"accept", b"*/*")]}


def test_only_requests_naming_this_computer_pass():
    for host in (b"127.0.0.1:8765", b"localhost:8765", b"[::1]:8765", b"localhost"):
        assert dashboard.is_loopback_request(_scope(host))
    for scope in (_scope(b"evil.example"), _scope(b"127.0.0.1.evil.example:8765"), _scope(b"localhost.evil"),
                  _scope(), _scope(b"127.0.0.1", b"evil.example"), _scope(b"[::2]:8765")):
        assert not dashboard.is_loopback_request(scope)


def _through(middleware, scope: dict) -> list[dict]:
    """The messages an ASGI middleware sends back for ``scope`` (none when it passes the request on)."""
    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    asyncio.run(middleware(scope, None, send))
    return sent


def test_the_host_check_refuses_http_and_websockets_and_passes_the_rest():

    reached: list[str] = []

    async def app(scope, receive, send):
        reached.append(scope["type"])

    def call(scope: dict) -> list[dict]:
        return _through(dashboard.LoopbackHostOnly(app), scope)

    sent = call(_scope(b"evil.example"))
    assert sent[0]["status"] == 403 and b"127.0.0.1" in sent[1]["body"]
    assert call(_scope(b"evil.example", kind="websocket")) == [{"type": "websocket.close", "code": 1008}]
    assert reached == []
    assert call(_scope(b"localhost:1", kind="websocket")) == [] and call({"type": "lifespan"}) == []
    assert reached == ["websocket", "lifespan"]


def test_dashboard_port_in_use_is_a_clear_error():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        status, out, err = call(["dashboard", "--port", str(port), "--no-open"])
    assert status == 2
    assert f"port {port}" in err and "in use" in err and "--port" in err
    assert "Traceback" not in err


def test_dashboard_rejects_unknown_presets_and_ports():
    status, _, err = call(["dashboard", "--preset", "colective", "--no-open"])
    assert status == 2 and "no bundled scenario 'colective'; did you mean 'collective'?" in err
    status, _, err = call(["dashboard", "--port", "70000", "--no-open"])
    assert status == 2 and "65535" in err


def _dashboard_process() -> tuple[subprocess.Popen, str]:
    """``cisim dashboard`` in a child process (a session of its own, as in a terminal) and its address."""
    proc = subprocess.Popen([sys.executable, "-m", "cisim.interfaces.cli", "dashboard", "--port", "0", "--no-open"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    deadline = time.monotonic() + 240
    for line in proc.stdout:
        m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
        if m:
            return proc, m.group(1)
        if time.monotonic() > deadline:
            break
    proc.kill()
    pytest.fail(f"cisim dashboard printed no address (exit status {proc.poll()})")


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=5):
            return True
    except OSError:
        return False


def _gone(url: str, within: float = 30.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _answers(url):
            return True
        time.sleep(0.25)
    return False


def test_dashboard_server_stops_when_its_terminal_closes():
    """Closing the terminal (SIGHUP) or ``kill`` (SIGTERM) stops the server as Ctrl-C does, and
    frees the port; so does the death of ``cisim dashboard`` itself (SIGKILL), on Linux."""
    proc, url = _dashboard_process()
    try:
        assert _answers(url)
        os.killpg(proc.pid, signal.SIGHUP)
        assert proc.wait(timeout=60) == 0
        assert _gone(url), "the server still answers after its terminal closed"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    if sys.platform.startswith("linux"):
        proc, url = _dashboard_process()
        try:
            proc.kill()  # only cisim dashboard, not the server's own process group
            proc.wait(timeout=30)
            assert _gone(url), "the server outlived cisim dashboard"
        finally:
            if proc.poll() is None:
                proc.kill()


def test_missing_browser_files_get_a_page_that_says_what_to_run(tmp_path, monkeypatch):
    page = dashboard.missing_files_page(dashboard.browser_packages()).decode()
    assert dashboard.FETCH_COMMAND in page and "uv run cisim dashboard" in page
    assert all(p in page for p in dashboard.browser_packages())
    assert dashboard.missing_browser_packages(tmp_path) == dashboard.browser_packages()  # an empty cache
    for package in dashboard.browser_packages():
        (tmp_path / package).mkdir(parents=True)
        (tmp_path / package / "package.json").write_text("{}")
    assert dashboard.missing_browser_packages(tmp_path) == []

    reached: list[str] = []

    async def app(scope, receive, send):
        reached.append(scope["path"])

    def get(path: str) -> list[dict]:
        return _through(dashboard.BrowserFilesOrMessage(app), {"type": "http", "path": path})

    monkeypatch.setattr(dashboard, "missing_browser_packages", lambda cache=None: ["requirejs@2.3.6"])
    monkeypatch.setattr(dashboard, "cdn_reachable", lambda timeout=3.0: False)
    sent = get("/")
    assert sent[0]["status"] == 503 and dashboard.FETCH_COMMAND.encode() in sent[1]["body"]
    assert get("/_solara/cdn/x") == [] and reached == ["/_solara/cdn/x"]  # solara's own requests pass
    monkeypatch.setattr(dashboard, "cdn_reachable", lambda timeout=3.0: True)  # online: solara fetches them
    assert get("/") == [] and reached[-1] == "/"


def test_browser_files_come_from_the_npm_registry_without_npm(tmp_path):
    """What ``cisim dashboard`` does on its first start when npm is not installed."""
    fetched = dashboard.fetch_browser_files(tmp_path, npm="")
    assert fetched == dashboard.browser_packages()
    assert dashboard.missing_browser_packages(tmp_path) == []
    assert any((tmp_path / fetched[0]).rglob("*.js"))


def test_browser_packages_follow_solara():
    packages = dashboard.browser_packages()
    assert any(p.startswith("requirejs@") for p in packages)
    assert any("solara-vuetify" in p for p in packages)
    assert all(re.search(r"@\d+\.\d+\.\d+", p) for p in packages)


# ---------------------------------------------------------------- the page in a real browser

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """``cisim dashboard`` in a child process on a free port; yields the page's address.

    ``cisim dashboard`` puts the page's browser files into solara's cache itself on its first start.
    """
    log = tmp_path_factory.mktemp("dashboard") / "server.log"
    with open(log, "w") as err:
        proc = subprocess.Popen([sys.executable, "-m", "cisim.interfaces.cli", "dashboard", "--port", "0", "--no-open"],
                                stdout=subprocess.PIPE, stderr=err, text=True, start_new_session=True)
    found: list[str] = []

    def read() -> None:
        for line in proc.stdout:
            m = re.search(r"(http://127\.0\.0\.1:\d+/)", line)
            if m:
                found.append(m.group(1))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    deadline = time.monotonic() + 240
    while not found and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    try:
        if not found:
            pytest.fail(f"cisim dashboard printed no address (exit status {proc.poll()}); its log:\n"
                        f"{log.read_text()[-3000:]}")
        yield found[0], log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C, as a teacher stops it
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _raw_request(url: str, head: str, whole: bool = True) -> tuple[int, bytes]:
    """Send ``head`` (request line and headers) to the server at ``url``; its status and body (with
    ``whole=False``, only the status: an accepted websocket stays open)."""
    port = int(url.rstrip("/").rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(head.encode("latin-1") + b"\r\n")
        data = b""
        while (whole or b"\r\n\r\n" not in data) and (chunk := conn.recv(65536)):
            data += chunk
    status_line, _, rest = data.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def test_the_served_page_answers_only_to_this_computers_names(served):
    """DNS rebinding: a page from elsewhere that points its own name at 127.0.0.1 is refused."""
    url, _ = served
    port = url.rstrip("/").rsplit(":", 1)[1]

    def get(host: str | None, version: str = "1.1") -> tuple[int, bytes]:
        header = f"Host: {host}\r\n" if host is not None else ""
        return _raw_request(url, f"GET / HTTP/{version}\r\n{header}Connection: close\r\n")

    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}"):
        assert get(host)[0] == 200, host
    for host in ("evil.example", f"evil.example:{port}", f"127.0.0.1.evil.example:{port}"):
        status, body = get(host)
        assert status == 403 and body.startswith(b"cisim dashboard:") and b"<" not in body, host
    assert get(None, "1.0")[0] == 403  # HTTP/1.0 may leave the Host out; 1.1 must not (the server says 400)
    assert get(None)[0] == 400

    def upgrade(host: str) -> int:
        key = "dGhlIHNhbXBsZSBub25jZQ=="
        return _raw_request(url, f"GET /jupyter/api/kernels/k/channels?session_id=s HTTP/1.1\r\nHost: {host}\r\n"
                                 f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                                 f"Sec-WebSocket-Version: 13\r\n", whole=False)[0]

    assert upgrade(f"evil.example:{port}") == 403
    assert upgrade(f"localhost:{port}") == 101  # the same websocket, from the page on this computer


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_dashboard_in_a_real_browser(served, tmp_path):
    """At the classroom screens' sizes every view and the controls fit the window; a mid-run switch is
    marked on the time chart and the two runs diverge.  Screenshots go to tmp_path (and the one
    docs/teaching.md shows to docs/figures, with CISIM_DASHBOARD_FIGURES=1)."""
    from playwright.sync_api import sync_playwright

    url, log = served
    errors: list[str] = []
    figures = Path(__file__).parents[1] / "docs" / "figures" if os.environ.get("CISIM_DASHBOARD_FIGURES") else None
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                           "--disable-dev-shm-usage"])
        try:
            for width, height in ((1366, 768), (1280, 800)):
                page = browser.new_page(viewport={"width": width, "height": height})
                page.on("pageerror", lambda exc: errors.append(str(exc)))
                started = time.monotonic()
                page.goto(url)
                try:
                    page.wait_for_selector(".cisim-view-outcome img.cisim-figure", timeout=90_000)
                except Exception:
                    shot = tmp_path / "dashboard-failed.png"
                    page.screenshot(path=str(shot), full_page=True)
                    pytest.fail(f"the page showed no views (screenshot {shot}); page errors: {errors}; server "
                                f"log:\n{log.read_text()[-3000:]}")
                print(f"{width}x{height}: first view {time.monotonic() - started:.2f} s after the page was asked for")
                views = [f".cisim-view-{v.key}" for v in VIEWS]
                for part in (".cisim-controls .cisim-buttons", ".cisim-status", *views,
                             *(f"{view} img.cisim-figure" for view in views)):
                    box = page.locator(part).first.bounding_box()
                    assert box is not None, part
                    assert box["x"] >= 0 and box["y"] >= 0, (part, box)
                    assert box["x"] + box["width"] <= width + 0.5 and box["y"] + box["height"] <= height + 0.5, (
                        f"{part} at {box} leaves the {width}x{height} window")
                    assert box["width"] > 150 or "buttons" in part or "status" in part, (part, box)
                assert page.evaluate("(e => e.scrollHeight <= e.clientHeight)(document.querySelector("
                                     "'.cisim-controls'))"), "the controls need scrolling"
                for label in page.locator(".cisim-label").all():  # full labels, each with its value
                    assert label.evaluate("e => e.scrollWidth <= e.clientWidth + 1"), label.inner_text()
                assert "Use Threads" not in page.content() and "Render Interval" not in page.content()
                page.screenshot(path=str(tmp_path / f"dashboard-{width}x{height}.png"))
                if width == 1280:
                    page.close()
                    continue

                for _ in range(3):
                    page.get_by_role("button", name="Step", exact=True).click()
                page.wait_for_function("document.querySelector('.cisim-status').innerText.includes('month 3 of 60')",
                                       timeout=30_000)
                before = _orange_pixels(page)
                slider = page.locator(".cisim-control", has_text="Continuous communication").get_by_role("slider")
                slider.focus()
                slider.press("Home")  # communication off, in the middle of the run
                page.wait_for_function(
                    "[...document.querySelectorAll('.cisim-label')].some(e => e.innerText.includes('Continuous "
                    "communication') && e.innerText.includes('0.00'))", timeout=30_000)
                assert "month 3 of 60" in page.locator(".cisim-status").inner_text()  # the same run goes on
                page.wait_for_function(f"(() => {{{ORANGE_JS}}})() > {before + 100}", timeout=30_000)
                speed = page.locator(".cisim-control", has_text="Speed").get_by_role("slider")
                speed.focus()
                speed.press("End")
                page.wait_for_function("document.body.innerText.includes('12 months a second')", timeout=30_000)
                page.get_by_role("button", name="▶ Play", exact=True).click()
                page.wait_for_function("/month (1[2-9]|[2-6][0-9]) of 60/.test("
                                       "document.querySelector('.cisim-status').innerText)", timeout=60_000)
                page.get_by_role("button", name="❚❚ Pause", exact=True).click()
                headline = page.locator(".cisim-view-pathway .cisim-headline").inner_text()
                together, alone = re.search(r"Waiting: together ([\d,]+), alone ([\d,]+)", headline).groups()
                assert together != alone, headline  # the runs diverge
                body = page.locator("body").inner_text()
                for bad in ("Traceback", "Exception", "error in step"):
                    assert bad not in body
                shot = tmp_path / "dashboard-switch-1366x768.png"
                page.screenshot(path=str(shot))
                page.close()
            assert errors == []
            if figures:  # the screenshot docs/teaching.md shows
                shutil.copy(tmp_path / "dashboard-switch-1366x768.png", figures / "dashboard-switch-1366x768.png")
        finally:
            browser.close()


# the pixels of the switch marks' colour (#D55E00) in the outcome chart, counted in the page
ORANGE_JS = """
const img = document.querySelector('.cisim-view-outcome img.cisim-figure');
const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
const g = c.getContext('2d'); g.drawImage(img, 0, 0);
const d = g.getImageData(0, 0, c.width, c.height).data; let n = 0;
for (let k = 0; k < d.length; k += 4) {
  if (Math.abs(d[k] - 213) < 30 && Math.abs(d[k + 1] - 94) < 30 && d[k + 2] < 40) n++;
}
return n;
"""


def _orange_pixels(page) -> int:
    return int(page.evaluate(f"(() => {{{ORANGE_JS}}})()"))


@pytest.mark.slow  # a server of its own: about 20 s
@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_offline_without_browser_files_the_page_says_what_to_run(tmp_path, monkeypatch):
    """No browser files in solara's cache and no internet (the CDN at a closed port): the page is not blank."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("SOLARA_ASSETS_PROXY_CACHE_DIR", str(tmp_path / "empty-cache"))
    monkeypatch.setenv("SOLARA_ASSETS_CDN", "http://127.0.0.1:9/npm/")
    with open(tmp_path / "server.log", "w") as log:
        process, url = dashboard.start(port=0, output=log, timeout=90)
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                         args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            try:
                page = browser.new_page(viewport={"width": 1366, "height": 768})
                response = page.goto(url)
                assert response.status == 503
                text = page.locator("body").inner_text()
                assert dashboard.FETCH_COMMAND in text and "uv run cisim dashboard" in text
                assert all(p in text for p in dashboard.browser_packages())
                page.screenshot(path=str(tmp_path / "dashboard-offline.png"))
            finally:
                browser.close()
    finally:
        dashboard.stop(process)
