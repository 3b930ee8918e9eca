"""The README's cluster commands, run as written: every port the scheduler and the workers open is on
the address they are told (127.0.0.1 here, for the README's 10.0.0.x), and a sweep runs on them."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SMOKE = ROOT / "experiments" / "smoke.toml"
DASK = Path(sys.executable).with_name("dask")
EXAMPLE_HOSTS = ("10.0.0.5", "10.0.0.6")
WORKERS = 2  # the README's "one per core" would be dozens of processes on a big test machine
START_TIMEOUT = 90.0
Ports = list[tuple[str, int]]


def cluster_section(text: str) -> str:
    """The README's "On a Dask cluster" section, up to the next heading of its level or above (a ``#``
    line inside a code block is a shell comment, not a heading)."""
    lines = text[text.index("### On a Dask cluster"):].splitlines(keepends=True)
    fenced = False
    for k, line in enumerate(lines[1:], start=1):
        fenced ^= line.startswith("```")
        if not fenced and re.match(r"#{1,3} ", line):
            return "".join(lines[:k])
    return "".join(lines)


def shell_lines(section: str) -> list[str]:
    """The command lines of the section's ``sh`` blocks, without their comments."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line, comments=True)
            if words:
                lines.append(shlex.join(words))
    return lines


def readme_command(program: str) -> list[str]:
    """The one ``dask scheduler`` (or ``dask worker``) command line of the README's cluster section."""
    found = [line for line in shell_lines(cluster_section(README.read_text(encoding="utf-8")))
             if line.startswith(f"dask {program} ")]
    assert len(found) == 1, f"expected one 'dask {program}' line in the README's cluster section, found {found}"
    return shlex.split(found[0])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def localize(words: list[str], port: int, dashboard: int) -> list[str]:
    """The README's command for this machine: its example addresses become 127.0.0.1, its ports free ones."""
    text = shlex.join(words).replace(":8786", f":{port}").replace("--port 8786", f"--port {port}")
    text = text.replace(":8787", f":{dashboard}")
    for host in EXAMPLE_HOSTS:
        text = text.replace(host, "127.0.0.1")
    assert "10.0.0." not in text and "8786" not in text.replace(str(port), "")
    localized = shlex.split(text)
    if "--nworkers" in localized:
        localized[localized.index("--nworkers") + 1] = str(WORKERS)
    return [str(DASK), *localized[1:]]


def listening(pid: int) -> Ports:
    """The (address, port) of every TCP socket that ``pid`` and its children listen on."""
    found = []
    root = psutil.Process(pid)
    for proc in (root, *root.children(recursive=True)):
        try:
            found += [(c.laddr.ip, c.laddr.port) for c in proc.net_connections(kind="inet")
                      if c.status == psutil.CONN_LISTEN]
        except psutil.NoSuchProcess:
            pass
    return found


def wait_for(what: str, ready, proc: subprocess.Popen, log: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not start (exit status {proc.poll()}); its log:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


def start(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen:
    with open(log, "w") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=env, start_new_session=True, cwd=log.parent)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group (the worker's nannies and workers too), then SIGKILL if need be."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def cisim_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p))
    env.update(extra)
    return env


def run_cluster(tmp_path: Path, scheduler: list[str], worker: list[str], address: str,
                dask_settings: dict[str, str] | None = None) -> tuple[dict, Ports, Ports]:
    """Start the scheduler and the workers, sweep ``smoke`` on them, stop them; the sweep's
    metadata.json and what the scheduler and the workers listened on while it ran."""
    env = cisim_env(**(dask_settings or {}))
    processes = []
    try:
        sched_log, worker_log = tmp_path / "scheduler.log", tmp_path / "worker.log"
        processes.append(sched := start(scheduler, sched_log, env))
        wait_for("the scheduler", lambda: len(listening(sched.pid)) >= 2, sched, sched_log)
        processes.append(workers := start(worker, worker_log, env))
        wait_for("the workers", lambda: worker_log.read_text().count("Registered to:") >= WORKERS
                 and len(listening(workers.pid)) >= 3 * WORKERS, workers, worker_log)
        ports = listening(sched.pid), listening(workers.pid)
        out = tmp_path / "sweep"
        done = subprocess.run([sys.executable, "-m", "cisim.interfaces.cli", "sweep", str(SMOKE), "--scheduler",
                               address, "--out", str(out), "--json"], capture_output=True, text=True,
                              timeout=300, env=env, cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
        assert json.loads(done.stdout)["runs_ok"] == 12
        return json.loads((out / "metadata.json").read_text()), *ports
    finally:
        for proc in reversed(processes):
            stop(proc)


def _option(words: list[str], name: str) -> str | None:
    return words[words.index(name) + 1] if name in words else None


def test_the_readme_cluster_commands_name_an_address_for_every_port():
    """Without these options Dask listens on 0.0.0.0; ``--nworkers auto`` would override ``--nthreads 1``."""
    scheduler, worker = readme_command("scheduler"), readme_command("worker")
    assert _option(scheduler, "--host") == "10.0.0.5" and _option(scheduler, "--port") == "8786"
    assert _option(scheduler, "--dashboard-address") == "10.0.0.5:8787"
    assert worker[2] == "tcp://10.0.0.5:8786" and _option(worker, "--host") == "10.0.0.6"
    assert _option(worker, "--dashboard-address") == "10.0.0.6:0" or "--no-dashboard" in worker
    assert _option(worker, "--nthreads") == "1" and _option(worker, "--nworkers") not in (None, "auto")


@pytest.mark.slow
def test_the_readme_cluster_binds_every_port_to_the_address_it_names_and_runs_a_sweep(tmp_path):
    port, dashboard = free_port(), free_port()
    scheduler = localize(readme_command("scheduler"), port, dashboard)
    worker = localize(readme_command("worker"), port, dashboard)
    record, sched_ports, worker_ports = run_cluster(tmp_path, scheduler, worker, f"tcp://127.0.0.1:{port}")
    assert record["runs_ok"] == 12
    assert sorted(p for _, p in sched_ports) == sorted([port, dashboard])
    # a nanny per worker (in the dask worker process), and each worker's own port and web page
    assert len(worker_ports) == 3 * WORKERS
    assert {ip for ip, _ in sched_ports + worker_ports} == {"127.0.0.1"}, sched_ports + worker_ports


def _certificates(where: Path) -> dict[str, Path]:
    """A certificate authority for this test and one certificate it signed, for every role."""
    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=where, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1",
            "-subj", "/CN=cisim test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "node.key", "-out", "node.csr", "-subj", "/CN=node")
    (where / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", "node.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "node.pem", "-days", "1", "-extfile", "ext.cnf")
    return {"ca": where / "ca.pem", "cert": where / "node.pem", "key": where / "node.key"}


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make certificates")
def test_the_readme_tls_settings_let_cisim_sweep_on_a_tls_cluster(tmp_path):
    """The README's TLS advice: the same commands over tls://, and cisim's Dask client reads its
    certificate from the DASK_ variables the README names."""
    pem = _certificates(tmp_path)
    tls = ["--protocol", "tls", "--tls-ca-file", str(pem["ca"]), "--tls-cert", str(pem["cert"]),
           "--tls-key", str(pem["key"])]
    port, dashboard = free_port(), free_port()
    scheduler = localize(readme_command("scheduler"), port, dashboard) + tls
    worker = localize(readme_command("worker"), port, dashboard) + tls
    worker[worker.index(f"tcp://127.0.0.1:{port}")] = f"tls://127.0.0.1:{port}"
    section = cluster_section(README.read_text(encoding="utf-8"))
    client = {"DASK_DISTRIBUTED__COMM__REQUIRE_ENCRYPTION": "True",
              "DASK_DISTRIBUTED__COMM__TLS__CA_FILE": str(pem["ca"]),
              "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT": str(pem["cert"]),
              "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY": str(pem["key"])}
    assert sorted(re.findall(r"export (DASK_\w+)=", section)) == sorted(client)
    record, sched_ports, worker_ports = run_cluster(tmp_path, scheduler, worker, f"tls://127.0.0.1:{port}",
                                                    dask_settings=client)
    assert record["runs_ok"] == 12 and record["sessions"][-1]["scheduler"] == f"tls://127.0.0.1:{port}"
    assert {ip for ip, _ in sched_ports + worker_ports} == {"127.0.0.1"}
