"""One writer per results folder: a lock file that a dead process cannot leave held.

Two sweeps (or calibrations) writing into the same folder would each trust the other's chunks and
overwrite its metadata.  ``hold(out_dir)`` takes ``OUT/cisim.lock`` for the duration of a ``with``
block: the file says who holds it (process, host, since when, the command), and the hold itself is an
advisory ``flock`` on it, which the operating system releases when the process ends however it ends
(a kill, an out-of-memory kill, a crash).  So a lock file left by a dead process is stale by
construction: the next job finds it unlocked, says whose it was and takes it over.  Where ``flock`` is
missing (Windows), the holder's process id is checked instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

from cisim.model.scenario import ScenarioError

LOCK_NAME = "cisim.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(path: Path) -> dict:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        return found if isinstance(found, dict) else {}
    except (OSError, ValueError):
        return {}


def _describe(holder: dict) -> str:
    if not holder:
        return "another process"
    return (f"process {holder.get('pid')} on {holder.get('host')} since {holder.get('since')}"
            + (f" ({holder['command']})" if holder.get("command") else ""))


def _busy(out_dir: Path, holder: dict) -> ScenarioError:
    return ScenarioError(str(out_dir), None, f"is in use by {_describe(holder)}; wait for it to finish, or "
                         "choose another --out")


def _taken_over(stale: dict | None, log) -> None:
    if stale is not None and log is not None:
        log(f"took over the lock of {_describe(stale)}, which is no longer running")


def _record(command: str | None) -> dict:
    return {"pid": os.getpid(), "host": socket.gethostname(), "since": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": command}


@contextlib.contextmanager
def hold(out_dir: str | Path, command: str | None = None, log=None) -> Iterator[dict | None]:
    """Hold ``out_dir``'s lock while the block runs; yields the stale holder taken over, or None.

    Raises ``ScenarioError`` (one line) if a live process holds it.  ``log`` gets the line saying a
    stale lock was taken over.
    """
    out_dir = Path(out_dir)
    created = not out_dir.exists()
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with _hold(out_dir, command, log) as stale:
            yield stale
    finally:
        if created:  # a job that stopped before writing anything leaves no empty folder behind
            with contextlib.suppress(OSError):
                out_dir.rmdir()


@contextlib.contextmanager
def _hold(out_dir: Path, command: str | None, log) -> Iterator[dict | None]:
    path = out_dir / LOCK_NAME
    if fcntl is None:  # pragma: no cover - Windows
        with _hold_by_pid(out_dir, path, command, log) as stale:
            yield stale
        return
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise _busy(out_dir, _holder(path)) from None
        # the holder before us may have removed the file between our open and our lock: lock the file
        # that is there now
        try:
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    stale = _holder(path) or None
    _taken_over(stale, log)
    os.ftruncate(fd, 0)
    os.write(fd, json.dumps(_record(command)).encode())
    os.fsync(fd)
    try:
        yield stale
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        os.close(fd)


@contextlib.contextmanager
def _hold_by_pid(out_dir: Path, path: Path, command: str | None, log) -> Iterator[dict | None]:  # pragma: no cover
    stale = None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        holder = _holder(path)
        if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int) \
                and not _alive(holder["pid"]):
            stale = holder
            _taken_over(stale, log)
            path.unlink()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        else:
            raise _busy(out_dir, holder) from None
    os.write(fd, json.dumps(_record(command)).encode())
    os.close(fd)
    try:
        yield stale
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
