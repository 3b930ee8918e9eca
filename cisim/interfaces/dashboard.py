"""Serve the classroom dashboard (``cisim.interfaces.app``) on this computer: ``cisim dashboard``.

The app runs in solara's server, in a child process bound to 127.0.0.1 only: the page
is for the person at this computer (and a projector), not for the network.  This
module starts it, waits until it answers, prints the address and stops it on Ctrl-C, on
``kill`` (SIGTERM) and when its terminal closes (SIGHUP).  The server is in a process group
of its own, so that a Ctrl-C reaches this module first and the server stops in order; on
Linux the server also stops if this process dies without a chance to stop it.

Binding to 127.0.0.1 keeps other computers out, but not other web sites: a page from
anywhere, open in this computer's browser, can point a name it controls at 127.0.0.1 (DNS
rebinding) and then talk to the dashboard as if it were that site.  So the server answers
only requests, page loads and websockets alike, whose ``Host`` header names this computer
(``127.0.0.1``, ``localhost`` or ``[::1]``, with any port); that takes wrapping solara's
Starlette app (``loopback_app``) and serving it with uvicorn, as solara documents for
self-hosting, instead of ``solara run``, which has no hook for a middleware.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
DEFAULT_PORT = 8765
APP = "cisim.interfaces.app"
START_TIMEOUT = 180.0  # seconds; the first start compiles the model's kernel


class DashboardError(RuntimeError):
    """The dashboard cannot start: the port is taken, or the server stopped before it answered."""


class Stopped(Exception):
    """SIGTERM or SIGHUP reached ``serve``: stop the server as Ctrl-C would."""


def _raise_stopped(signum, frame) -> None:
    raise Stopped(signal.Signals(signum).name)


@contextlib.contextmanager
def _stop_on_signals():
    """While serving, SIGTERM (``kill``) and SIGHUP (the terminal closes) stop the server too."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    kinds = [s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None]
    previous = {s: signal.signal(s, _raise_stopped) for s in kinds}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _may_preexec() -> bool:
    """A function run in the child before the server starts is safe only on Linux here, and only
    while this process has no other thread (the child of a threaded process may deadlock)."""
    import threading

    return sys.platform.startswith("linux") and threading.active_count() == 1


def _die_with_parent() -> None:
    """In the server's process, before it runs: on Linux, get SIGTERM when the parent dies."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def free_port() -> int:
    """A port nothing listens on right now (the system picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def check_port(port: int) -> None:
    """Fail early, with a message that says what to do, if ``port`` is taken or not a port."""
    if not 1 <= port <= 65535:
        raise DashboardError(f"expected a port from 1 to 65535 (or 0 for any free port), got {port}")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                why = "is in use" if exc.errno == errno.EADDRINUSE else "needs special permission"
                raise DashboardError(f"port {port} on {HOST} {why}; choose another with --port "
                                     f"(--port 0 picks a free one)") from None
            raise


def server_command(port: int) -> list[str]:
    """Solara's server for the app behind the Host check (``loopback_app``), on 127.0.0.1 only; in
    production mode (``server_env``: no reloader, no dev tools)."""
    return [sys.executable, "-m", "uvicorn", "cisim.interfaces.dashboard:loopback_app", "--factory", "--host", HOST,
            "--port", str(port), "--log-level", "warning", "--no-access-log"]


# ---------------------------------------------------------------- the Host check

#: The names a Host header may give for this computer (IPv6 addresses come in brackets).
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})
REFUSED = b"cisim dashboard: open it at http://127.0.0.1 or http://localhost on this computer\n"


def host_name(host: str) -> str | None:
    """The name in a Host header without its port (``'[::1]:8765'`` -> ``'[::1]'``), lower case;
    None if the header is malformed (a port that is not a number, a bracket not closed)."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        name, port = host[:end + 1], host[end + 1:]
        if end < 0 or (port and not port.startswith(":")):
            return None
        port = port[1:]
    else:
        name, _, port = host.partition(":")
    return name if port.isdigit() or port == "" else None


def is_loopback_request(scope: dict[str, Any]) -> bool:
    """Whether the request has exactly one Host header and it names this computer."""
    hosts = [value for key, value in scope.get("headers", ()) if key.lower() == b"host"]
    if len(hosts) != 1:
        return False
    return host_name(hosts[0].decode("latin-1")) in LOOPBACK_NAMES


class LoopbackHostOnly:
    """ASGI middleware: refuse every HTTP request (403 and a line of text) and every websocket (closed
    before it opens, which the server answers with 403) whose Host header does not name this computer."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or is_loopback_request(scope):
            await self.app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})  # 1008: policy violation
        else:
            headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"%d" % len(REFUSED))]
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": REFUSED})


FETCH_COMMAND = "uv run python -m cisim.interfaces.dashboard --fetch-browser-files"


def missing_files_page(missing: Sequence[str]) -> bytes:
    """The page shown instead of a blank one when the browser files are not on this computer and the
    internet (where solara's server would fetch them from) cannot be reached."""
    items = "".join(f"<li><code>{p}</code></li>" for p in missing)
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>cisim dashboard: files missing</title>"
        "<style>body{font-family:sans-serif;max-width:46rem;margin:3rem auto;font-size:1.2rem;line-height:1.5}"
        "code{background:#f1f1f1;padding:0 .3em}</style></head><body class='cisim-missing-files'>"
        "<h1>The dashboard needs files that are not on this computer yet</h1>"
        "<p>The page is drawn by browser files (solara's front end) that are fetched from the internet once and "
        "then kept. This computer has not fetched them and cannot reach the internet now. Missing:</p>"
        f"<ul>{items}</ul>"
        "<p>On this computer, while connected to the internet, run in the cisim folder:</p>"
        f"<p><code>{FETCH_COMMAND}</code></p>"
        "<p>(or start <code>uv run cisim dashboard</code> once while online: it fetches them itself), then reload "
        "this page. After that the dashboard works without internet.</p></body></html>").encode()


def cdn_reachable(timeout: float = 3.0) -> bool:
    """Whether solara's server can fetch browser files from its CDN right now."""
    from solara import settings

    try:
        with urllib.request.urlopen(f"{settings.assets.cdn.rstrip('/')}/{browser_packages()[-1]}/package.json",
                                    timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


class BrowserFilesOrMessage:
    """ASGI middleware: when the page's browser files are missing and cannot be fetched, every page load
    gets a page that says what to run (503) instead of a page that stays blank."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and not path.startswith(("/_solara", "/static", "/jupyter")):
            missing = missing_browser_packages()
            if missing and not cdn_reachable():
                body = missing_files_page(missing)
                headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", b"%d" % len(body)),
                           (b"cache-control", b"no-store"), (b"x-cisim-page", b"missing-files")]
                await send({"type": "http.response.start", "status": 503, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def loopback_app():
    """The app uvicorn serves (``--factory``): solara's Starlette app, behind the Host check, with a page
    that says what to run when the browser files are missing."""
    os.environ.setdefault("SOLARA_APP", APP)
    from solara.server.starlette import app

    warm_up()
    return LoopbackHostOnly(BrowserFilesOrMessage(app))


def warm_up() -> None:
    """Build both runs and draw every view once before the server answers (the model's compiled kernel and
    matplotlib's fonts load here), so the first page shows its views within a few seconds."""
    from cisim.interfaces.classroom import Classroom
    from cisim.interfaces.views import VIEWS, view_png

    room = Classroom()
    room.step()
    for view in VIEWS:
        view.headline(room)
        view_png(view.key, room)


def server_env(preset: str | None = None) -> dict[str, str]:
    """The server's environment: nothing is sent to third parties, and the page starts from ``preset``."""
    env = dict(os.environ)
    env.update({
        "SOLARA_APP": APP,
        "SOLARA_MODE": "production",  # no reloader, no dev tools (what solara run --production sets)
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",  # solara's usage statistics
        "SOLARA_THEME_SHOW_BANNER": "False",
        "SOLARA_THEME_TITLE": "cisim dashboard",
        "SOLARA_ASSETS_FONTAWESOME_ENABLED": "False",  # the page uses no Font Awesome icon
        "PYTHONUNBUFFERED": "1",
    })
    # solara warns on every page load that plain http on 127.0.0.1 gets lax cookies, which is what we want
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS", ""), quiet) if w)
    if preset:
        env["CISIM_DASHBOARD_PRESET"] = preset
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def wait_until_up(url: str, process: subprocess.Popen, timeout: float = START_TIMEOUT) -> None:
    """Poll ``url`` until the server answers; fail if the process ends or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DashboardError(f"the dashboard server stopped (exit status {process.returncode}) before it "
                                 f"answered; its messages are above")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except urllib.error.HTTPError as exc:
            if exc.code == 503 and exc.headers.get("x-cisim-page") == "missing-files":
                return  # it answers, with the page that says what to run
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.25)
    raise DashboardError(f"the dashboard server did not answer at {url} within {timeout:.0f} s")


def start(port: int = DEFAULT_PORT, preset: str | None = None, timeout: float = START_TIMEOUT,
          output=None) -> tuple[subprocess.Popen, str]:
    """Start the server and wait until it answers; returns the process and the page's address.

    ``port=0`` picks a free port.  ``output`` is where the server's messages go (default: this
    process's stderr).  The caller stops the process (``stop``).
    """
    if port == 0:
        port = free_port()
    check_port(port)
    url = f"http://{HOST}:{port}/"
    process = subprocess.Popen(server_command(port), env=server_env(preset), stdin=subprocess.DEVNULL,
                               stdout=output if output is not None else sys.stderr,
                               stderr=subprocess.STDOUT, start_new_session=True,
                               preexec_fn=_die_with_parent if _may_preexec() else None)
    try:
        wait_until_up(url, process, timeout)
    except BaseException:
        stop(process)
        raise
    return process, url


def stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop the server: ask first (SIGTERM to its process group), then insist."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# ---------------------------------------------------------------- the page's browser files
#
# The page's JavaScript and CSS (solara's Vue app and RequireJS) are npm packages that solara's
# server would fetch from a CDN on first use and keep in a cache.  ``cisim dashboard`` fills the
# cache itself when it starts (from the npm registry, once), so a computer that has started it
# once while online works offline; this does the same without starting the server:
#     uv run python -m cisim.interfaces.dashboard --fetch-browser-files
# Without the files and without internet, every page load gets a page saying what to run
# (``BrowserFilesOrMessage``), never a blank one.

def browser_packages() -> list[str]:
    """The npm packages (``name@version``) the page loads through solara's server, read from solara's page
    template so they follow the installed solara version."""
    import solara
    import solara.util

    root = Path(solara.__file__).resolve().parent
    template = (root / "server" / "templates" / "solara.html.j2").read_text(encoding="utf-8")
    app = "solara-vuetify3-app" if solara.util.ipyvuetify_major_version == 3 else "solara-vuetify-app"
    found = [*re.findall(rf"{{{{cdn}}}}/(@widgetti/{app}@[\w.-]+)/", template),
             *re.findall(r"{{cdn}}/(requirejs@[\w.-]+)/", template)]
    return list(dict.fromkeys(found))


def browser_files_dir() -> Path:
    """Where solara's server keeps the files it fetched for the page."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def missing_browser_packages(cache: Path | None = None) -> list[str]:
    cache = cache or browser_files_dir()
    return [p for p in browser_packages() if not (cache / p / "package.json").is_file()]


def _npm_pack(npm: str, spec: str, tmp: Path) -> Path:
    done = subprocess.run([npm, "pack", spec, "--pack-destination", str(tmp), "--silent"], cwd=tmp,
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise DashboardError(f"npm pack {spec} failed: {done.stderr.strip() or done.stdout.strip()}")
    return tmp / done.stdout.strip().splitlines()[-1]


def _registry_tarball(spec: str, tmp: Path, timeout: float = 60.0) -> Path:
    """A package's tarball from the npm registry, as ``npm pack`` would fetch it (for computers without npm)."""
    name, _, version = spec.rpartition("@")
    registry = os.environ.get("npm_config_registry") or "https://registry.npmjs.org/"
    url = f"{registry.rstrip('/')}/{name}/-/{name.rsplit('/', 1)[-1]}-{version}.tgz"
    target = tmp / f"{name.replace('/', '-').lstrip('@')}-{version}.tgz"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(target, "wb") as out:
            out.write(response.read())
    except (urllib.error.URLError, OSError) as exc:
        raise DashboardError(f"could not fetch {spec} from the npm registry ({exc}); connect to the internet "
                             f"and run '{FETCH_COMMAND}'") from None
    return target


def fetch_browser_files(cache: Path | None = None, npm: str | None = None) -> list[str]:
    """Put the page's npm packages into solara's cache, straight from the npm registry (or with ``npm pack``,
    which knows a proxy npm is set up for, when that fails and npm is installed; ``npm=""``: never);
    returns the packages fetched."""
    import shutil
    import tarfile
    import tempfile

    cache = cache or browser_files_dir()
    todo = missing_browser_packages(cache)
    if not todo:
        return []
    npm = shutil.which("npm") if npm is None else npm  # "": without npm
    with tempfile.TemporaryDirectory() as tmp:
        for spec in todo:
            try:
                tarball = _registry_tarball(spec, Path(tmp))
            except DashboardError:
                if not npm:
                    raise
                tarball = _npm_pack(npm, spec, Path(tmp))
            target = cache / spec
            staging = Path(tempfile.mkdtemp(prefix=".cisim-", dir=tmp))
            with tarfile.open(tarball) as tar:
                tar.extractall(staging, filter="data")
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                shutil.rmtree(target)
            shutil.copytree(staging / "package", target)
    return todo


def can_open_browser() -> bool:
    """Whether a graphical browser can be opened here (never a text browser in the terminal)."""
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def serve(port: int = DEFAULT_PORT, open_browser: bool = True, preset: str | None = None,
          announce: Sequence[str] = ()) -> int:
    """Run the dashboard until Ctrl-C (or SIGTERM, or the terminal closing): start the server,
    print its address, maybe open a browser."""
    if port == 0:
        port = free_port()
    check_port(port)
    print("Starting the dashboard (the first start takes up to a minute) ...", file=sys.stderr, flush=True)
    with contextlib.suppress(Exception):  # never stop the dashboard over it: the page says what to run
        if missing_browser_packages():
            print("Fetching the page's browser files (once; afterwards the dashboard works offline) ...",
                  file=sys.stderr, flush=True)
            try:
                fetch_browser_files()
            except DashboardError as exc:
                print(f"note: {exc}; the page will say what to run", file=sys.stderr, flush=True)
    with _stop_on_signals():
        try:
            process, url = start(port, preset)  # stops the server itself if interrupted while starting
        except Stopped:
            with contextlib.suppress(OSError):  # the terminal may be gone
                print("cisim dashboard: stopped", file=sys.stderr)
            return 0
        print(f"cisim dashboard: {url}", flush=True)
        for line in announce:
            print(line, flush=True)
        print("Press Ctrl-C to stop.", file=sys.stderr, flush=True)
        if open_browser and can_open_browser():
            with contextlib.suppress(webbrowser.Error):
                webbrowser.open(url)
        try:
            status = process.wait()
        except (KeyboardInterrupt, Stopped):
            stop(process)
            with contextlib.suppress(OSError):  # the terminal may be gone
                print("cisim dashboard: stopped", file=sys.stderr)
            return 0
    if status != 0:
        raise DashboardError(f"the dashboard server stopped with exit status {status}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m cisim.interfaces.dashboard --fetch-browser-files``: fill solara's cache for use without internet."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m cisim.interfaces.dashboard", description=main.__doc__)
    parser.add_argument("--fetch-browser-files", action="store_true",
                        help="fetch the page's browser files (npm packages) into solara's cache, if missing")
    args = parser.parse_args(argv)
    if not args.fetch_browser_files:
        parser.print_help()
        return 2
    try:
        fetched = fetch_browser_files()
    except DashboardError as exc:
        print(f"cisim dashboard: error: {exc}", file=sys.stderr)
        return 2
    where = browser_files_dir()
    print(f"fetched {', '.join(fetched)} into {where}" if fetched else f"the page's browser files are in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
