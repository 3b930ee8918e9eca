"""The classroom dashboard: its model and views, the page rendered by solara's test helpers,
the page in a real browser (headless Chromium), and ``cisim dashboard``'s errors."""

from __future__ import annotations

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
from cisim.interfaces.views import (
    LEFT_COLOR,
    VIEWS,
    ClassroomModel,
    draw_view,
    effort_per_domain,
    isolated_baseline,
    parse_seed,
    preset_values,
    trusted_ties,
    view_png,
)
from cisim.model import layout as L
from cisim.model.coalition import CoalitionModel
from cisim.model.scenario import bundled_names

PNG = b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------- the model the dashboard drives

def test_isolated_baseline_is_the_isolated_scenario_for_the_same_seed_and_size():
    base = isolated_baseline("collective", 4, 30)
    bundled = run_batch("isolated", [4], outputs="summary").series("outcome")[0]
    np.testing.assert_allclose(base.outcome, bundled)
    smaller = isolated_baseline("collective", 4, 12)
    expected = run_batch("isolated", [4], changes={"coalition.size": 12}).series("outcome")[0]
    np.testing.assert_allclose(smaller.outcome, expected)
    assert not np.allclose(smaller.outcome, base.outcome)
    with pytest.raises(ValueError):  # cached arrays are shared between sessions: read-only
        base.outcome[0] = 1.0


def test_baseline_of_a_preset_is_that_preset_working_alone():
    base = isolated_baseline("youth-homelessness", 2, 24)
    model = CoalitionModel("youth-homelessness", rng=2, common_agenda=0.0, shared_measurement=0.0,
                           mutually_reinforcing=0.0, continuous_communication=0.0, community_voice=0.0,
                           backbone_share=0.0)
    while model.running:
        model.step()
    np.testing.assert_allclose(base.equity_gap, model.datacollector.array()[:, L.O_GAP])


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


def test_slider_values_reach_the_model_in_range():
    model = ClassroomModel("collective", 0, common_agenda=1.0000000000000002, shared_measurement=0.30000000000000004,
                           backbone_share=0.12, size=40)
    assert model.setting.get("conditions.common_agenda") == 1.0
    assert model.setting.get("conditions.shared_measurement") == pytest.approx(0.3)
    assert model.setting.get("backbone.budget_share") == 0.12
    assert model.size == 40
    # None keeps the preset's value
    assert ClassroomModel("isolated", 0).setting.get("conditions.common_agenda") == 0.0


def test_every_preset_builds_steps_and_draws():
    for name in bundled_names():
        values = preset_values(name)
        assert 2 <= values["size"] <= 200
        model = ClassroomModel.from_preset(name, 1)
        assert model.preset == name and model.size == values["size"]
        model.step()
        for view in VIEWS:
            assert view_png(view.key, model).startswith(PNG)
            assert view.headline(model)


def test_the_model_stops_at_the_horizon():
    model = ClassroomModel("collective", 0, size=6)
    while model.running:
        model.step()
    assert model.month == model.setting.months
    model.step()  # Play may fire once more after the end
    assert model.month == model.setting.months


# ---------------------------------------------------------------- the views

def test_views_change_as_the_model_steps():
    model = ClassroomModel("collective", 3)
    before = {v.key: view_png(v.key, model) for v in VIEWS}
    headlines = {v.key: v.headline(model) for v in VIEWS}
    for _ in range(6):
        model.step()
    after = {v.key: view_png(v.key, model) for v in VIEWS}
    for key in before:
        assert after[key].startswith(PNG)
        assert after[key] != before[key], key
    assert VIEWS[2].headline(model) != headlines["outcome"]
    assert "month 6" in VIEWS[2].headline(model)


def test_fast_redraw_matches_a_full_draw():
    """The page redraws only what changes; the result must look like a view drawn from scratch."""
    from PIL import Image

    model = ClassroomModel("collective", 5)
    for key in ("outcome", "coverage", "network"):
        view_png(key, model)  # the static part is drawn for month 0
    for _ in range(9):
        model.step()
    for key in ("outcome", "coverage", "network"):
        fast = np.asarray(Image.open(io.BytesIO(view_png(key, model))).convert("L"), dtype=float)
        fig = draw_view(key, model)
        fig.canvas.draw()
        full = np.asarray(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("L"), dtype=float)
        assert fast.shape == full.shape
        assert np.mean(np.abs(fast - full)) < 2.0, key  # grey levels 0..255: antialiasing only


def test_coverage_view_numbers():
    model = ClassroomModel("isolated", 0)
    for _ in range(12):
        model.step()
    effort = effort_per_domain(model)
    cov = model.world.out_cov[0]
    assert np.all(effort >= cov - 1e-9)  # coverage is what effort reaches, less the overlap
    assert np.any(effort > cov + 0.05)  # working alone, some services are duplicated


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


def test_members_who_left_are_greyed_out():
    model = ClassroomModel("collective", 0)
    members = sum(o.member for o in model.organizations)
    first = next(o for o in model.organizations if o.member)
    first.leave()
    fig = draw_view("network", model)
    dots = fig.axes[0].collections[-1]
    faces = dots.get_facecolors()
    from matplotlib.colors import to_rgba

    k = model.organizations.index(first)
    assert np.allclose(faces[k], to_rgba(LEFT_COLOR))
    still = next(i for i, o in enumerate(model.organizations) if o.member)
    assert not np.allclose(faces[still], to_rgba(LEFT_COLOR))
    assert f"{members - 1} of 30" in VIEWS[0].headline(model)


# ---------------------------------------------------------------- the page, rendered without a browser

@pytest.fixture
def page():
    """The page as solara's server shows it (the app's Layout around its Page), fresh for each test."""
    import cisim.interfaces.app as app

    app.preset_choice.value = "collective"
    app.seed_choice.value = 0
    app.page_generation.value = 0
    box, rc = solara.render(app.Layout(children=[app.Page()]), handle_error=False)
    yield rc
    rc.close()


def _texts(rc, cls: str) -> list[str]:
    return [h.widget.children[0] for h in rc.find(v.Html, class_=cls)]


def _images(rc) -> list[bytes]:
    return [bytes(i.widget.value) for i in rc.find(ipywidgets.Image)]


def test_page_has_the_controls_and_the_views(page):
    labels = {s.widget.label: s.widget.v_model for s in page.find(v.Slider)}
    for label in ("Common agenda", "Shared measurement", "Mutually reinforcing activities",
                  "Continuous communication", "Community voice", "Coalition size (organizations)"):
        assert label in labels
    assert labels["Community voice"] == 0.5
    assert any(label.startswith("Backbone budget") for label in labels)
    assert page.find(v.TextField).widget.label.startswith("Seed")
    assert page.find(v.Select).widget.v_model == "collective"
    assert set(page.find(v.Select).widget.items) == set(bundled_names())
    for name in ("Reset", "▶", "Step"):
        assert page.find(v.Btn, children=[name]).widget
    assert len(_texts(page, "cisim-headline")) == 4
    assert len(_texts(page, "cisim-caption")) >= 4
    assert all(img.startswith(PNG) for img in _images(page))
    assert "month 0 of 60" in _texts(page, "cisim-status")[0]


def test_slider_reset_and_step_update_the_views(page):
    headlines = _texts(page, "cisim-headline")
    images = _images(page)
    page.find(v.Slider, label="Coalition size (organizations)").widget.v_model = 10
    page.find(v.Btn, children=["Reset"]).widget.click()
    status = _texts(page, "cisim-status")[0]
    assert "10 organizations" in status and "month 0" in status
    page.find(v.Btn, children=["Step"]).widget.click()
    page.find(v.Btn, children=["Step"]).widget.click()
    assert "month 2 of 60" in _texts(page, "cisim-status")[0]
    after = _texts(page, "cisim-headline")
    assert all(a != b for a, b in zip(after, headlines))
    assert " of 10 organizations are members" in after[0]  # the new size (85% join at the start)
    assert all(a != b for a, b in zip(_images(page), images))
    # Reset keeps the chosen values and the seed
    page.find(v.Btn, children=["Reset"]).widget.click()
    status = _texts(page, "cisim-status")[0]
    assert "month 0" in status and "10 organizations" in status and "seed 0" in status
    assert not page.find(v.Alert).widgets


def test_choosing_a_preset_sets_the_model_and_the_sliders(page):
    page.find(v.Select).widget.v_model = "isolated"
    assert _texts(page, "cisim-status")[0].startswith("isolated · month 0")
    labels = {s.widget.label: s.widget.v_model for s in page.find(v.Slider)}
    assert labels["Common agenda"] == 0.0 and labels["Community voice"] == 0.0
    assert _texts(page, "cisim-headline")[0].startswith("No coalition")
    # Reset rebuilds from the preset's controls, not the previous preset's
    page.find(v.Btn, children=["Reset"]).widget.click()
    assert _texts(page, "cisim-status")[0].startswith("isolated · month 0")
    assert "common agenda 0.00" in _texts(page, "cisim-values")[0]


def test_a_bad_seed_shows_a_notice_not_an_error(page):
    field = page.find(v.TextField).widget
    field.v_model = "seven"
    field.fire_event("keyup.enter", None)  # the seed box sends its text on Enter or on leaving it
    page.find(v.Btn, children=["Reset"]).widget.click()
    assert "whole number" in _texts(page, "cisim-notice")[0]
    assert "seed 0" in _texts(page, "cisim-status")[0]


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


def test_the_host_check_refuses_http_and_websockets_and_passes_the_rest():
    import asyncio

    reached: list[str] = []

    async def app(scope, receive, send):
        reached.append(scope["type"])

    def call(scope: dict) -> list[dict]:
        sent: list[dict] = []

        async def send(message):
            sent.append(message)

        asyncio.run(dashboard.LoopbackHostOnly(app)(scope, None, send))
        return sent

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


def test_a_missing_browser_cache_is_announced(tmp_path):
    note = dashboard.browser_files_note(tmp_path)  # an empty cache
    assert note and "--fetch-browser-files" in note and "without internet" in note
    for package in dashboard.browser_packages():
        (tmp_path / package).mkdir(parents=True)
        (tmp_path / package / "package.json").write_text("{}")
    assert dashboard.browser_files_note(tmp_path) is None


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

    The page's browser files go into solara's cache first when npm can fetch them (this
    machine cannot reach the CDN solara's server would fetch them from); without npm the
    server fetches them itself.
    """
    if dashboard.missing_browser_packages() and shutil.which("npm"):
        dashboard.fetch_browser_files()
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
    from playwright.sync_api import sync_playwright

    url, log = served
    errors: list[str] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                           "--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1100})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(url)
            try:
                page.wait_for_selector(".cisim-headline", timeout=90_000)
            except Exception:
                shot = tmp_path / "dashboard-failed.png"
                page.screenshot(path=str(shot), full_page=True)
                missing = dashboard.missing_browser_packages()
                pytest.fail(f"the page showed no views (screenshot {shot}); page errors: {errors}; browser files "
                            f"not in solara's cache: {missing or 'none'} (uv run python -m cisim.interfaces.dashboard "
                            f"--fetch-browser-files fetches them); server log:\n{log.read_text()[-3000:]}")
            status = page.locator(".cisim-status")
            assert "month 0 of 60" in status.inner_text()
            headlines = page.locator(".cisim-headline").all_inner_texts()
            images = page.locator("img.cisim-figure, .cisim-figure img")
            assert images.count() == 4
            sources = [images.nth(k).get_attribute("src") for k in range(4)]

            size = page.locator(".v-input", has_text="Coalition size").get_by_role("slider")
            size.focus()
            size.press("Home")  # the smallest coalition
            assert size.get_attribute("aria-valuenow") == "4"
            page.get_by_role("button", name="Reset", exact=True).click()
            page.wait_for_function("document.querySelector('.cisim-status').innerText.includes('4 organizations')",
                                   timeout=30_000)
            page.get_by_role("button", name="Step", exact=True).click()
            page.wait_for_function("document.querySelector('.cisim-status').innerText.includes('month 1 of 60')",
                                   timeout=30_000)
            page.wait_for_function(
                "(old) => [...document.querySelectorAll('.cisim-headline')].every((e, k) => e.innerText !== old[k])",
                arg=headlines, timeout=30_000)
            # four organizations are fewer than a coalition needs to meet (coalition.min_members): it dissolves
            assert page.locator(".cisim-headline").first.inner_text().startswith("The coalition dissolved")
            assert [images.nth(k).get_attribute("src") for k in range(4)] != sources

            body = page.locator("body").inner_text()
            for bad in ("Traceback", "Exception", "error in step"):
                assert bad not in body
            assert errors == []
            shot = tmp_path / "dashboard.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.read_bytes().startswith(PNG)
            print(f"screenshot: {shot}")
        finally:
            browser.close()
