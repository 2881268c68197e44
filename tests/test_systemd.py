"""deploy/systemd: the unit files pass ``systemd-analyze verify``, and the service's command takes
its sockets from systemd (socket activation) in the socket unit's order.

``verify`` checks that ExecStart's program exists and is executable, and the units name
/opt/wsgi-plot/bin/wsgi-plot, where docs/deploying.md installs it. So the files verified are
copies in which that path, and only it, is replaced by this environment's own ``wsgi-plot``
(the same command from the same package, installed elsewhere). Any message of verify fails the
test: it reports an unknown or misspelt setting on stderr but still exits 0.
"""

import json
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from . import servers, tools
from .servers import ROOT

UNITS = ROOT / "deploy" / "systemd"
INSTALLED = "/opt/wsgi-plot/bin/wsgi-plot"
HERE = Path(sys.executable).parent / "wsgi-plot"


def test_the_units_pass_systemd_analyze_verify(tmp_path):
    analyze = tools.executable("systemd-analyze")
    for unit in ("wsgi-plot.service", "wsgi-plot.socket"):
        text = (UNITS / unit).read_text()
        (tmp_path / unit).write_text(text.replace(INSTALLED, str(HERE)))
    assert INSTALLED in (UNITS / "wsgi-plot.service").read_text() and HERE.exists()
    done = subprocess.run([analyze, "verify", "wsgi-plot.socket", "wsgi-plot.service"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout == "" and done.stderr == "", done.stdout + done.stderr


def test_the_service_is_hardened(tmp_path):
    """``systemd-analyze security`` rates the service's exposure: 'OK' (below 2 of 10), as shipped."""
    analyze = tools.executable("systemd-analyze")
    (tmp_path / "wsgi-plot.service").write_text((UNITS / "wsgi-plot.service").read_text())
    done = subprocess.run([analyze, "security", "--offline=true", "--no-pager", "wsgi-plot.service"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    exposure = re.search(r"Overall exposure level for wsgi-plot\.service: ([\d.]+) (\w+)", done.stdout)
    assert exposure and float(exposure.group(1)) < 2.0, done.stdout[-3000:]


def listen_streams() -> list[str]:
    return re.findall(r"^ListenStream=(\S+)$", (UNITS / "wsgi-plot.socket").read_text(), flags=re.M)


@pytest.mark.server
def test_the_command_serves_on_the_sockets_systemd_passes(tmp_path):
    """The service's ExecStart, given the socket unit's sockets as systemd gives them (LISTEN_FDS,
    here by ``systemd-socket-activate``), serves on both and binds nothing of its own."""
    activate = tools.executable("systemd-socket-activate")
    found = re.search(r"^ExecStart=(.+)$", (UNITS / "wsgi-plot.service").read_text(), flags=re.M)
    assert found, "wsgi-plot.service has no ExecStart"
    exec_start = found.group(1)
    command = exec_start.replace(INSTALLED, str(HERE)).split()
    probe, main = (servers.free_port(), servers.free_port())
    shipped = listen_streams()
    assert shipped == ["127.0.0.1:8101", "127.0.0.1:8001"]  # the probe address first, as PROBE_PORT
    # BIND names a port nobody asked for: with sockets from systemd gunicorn must not bind it.
    # (systemd-socket-activate passes on only the variables named with -E, as a unit's Environment=.)
    unused = servers.free_port()
    env = {"WEB_CONCURRENCY": "1", "BIND": f"127.0.0.1:{unused}"}
    cmd = [activate, "--listen", f"127.0.0.1:{probe}", "--listen", f"127.0.0.1:{main}",
           *(f"-E{name}={value}" for name, value in env.items()), *command]
    with servers.running(cmd, f"http://127.0.0.1:{probe}/healthz", log_path=tmp_path / "serve.log",
                         stop_group=False):
        for port in (probe, main):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
                assert response.status == 200
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{unused}/healthz", timeout=5)
    log = (tmp_path / "serve.log").read_text()
    assert f"Listening at: http://127.0.0.1:{probe},http://127.0.0.1:{main}" in log, log
    assert log.count("Booting worker") == 1  # WEB_CONCURRENCY reached it


#: An image with systemd as PID 1 and the units installed, on top of the container image's
#: virtualenv in /opt/wsgi-plot (where the units look for it): a VM as docs/deploying.md sets it up.
SYSTEMD_CONTAINERFILE = """\
ARG BASE
FROM ${BASE}
USER root
RUN apt-get update && apt-get install -y --no-install-recommends systemd systemd-sysv \\
 && rm -rf /var/lib/apt/lists/*
COPY wsgi-plot.socket wsgi-plot.service /etc/systemd/system/
COPY load.py /opt/load.py
RUN systemctl enable wsgi-plot.socket wsgi-plot.service
ENTRYPOINT []
CMD ["/sbin/init"]
"""

#: Run inside: 4 clients ask for /fig/5_2 without pause while the service is restarted twice, each
#: time once /readyz answers again (as an operator would restart it); prints {answer: count}.
LOAD = """\
import json, subprocess, threading, time, urllib.request
answers, done = [], threading.Event()
def get(url, timeout=60):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        response.read()
        return str(response.status)
def client():
    while not done.is_set():
        try:
            answers.append(get("http://127.0.0.1:8001/fig/5_2"))
        except Exception as error:
            answers.append(type(error).__name__)
def ready():
    while True:
        try:
            if get("http://127.0.0.1:8101/readyz", timeout=10) == "200":
                return
        except Exception:
            time.sleep(0.2)
ready()
threads = [threading.Thread(target=client) for _ in range(4)]
[thread.start() for thread in threads]
for _ in range(2):
    time.sleep(2)
    subprocess.run(["systemctl", "restart", "wsgi-plot.service"], check=True)
    ready()
time.sleep(2)
done.set()
[thread.join() for thread in threads]
print(json.dumps({answer: answers.count(answer) for answer in set(answers)}))
"""


@pytest.mark.server
@pytest.mark.container
def test_under_systemd_the_service_runs_hardened_and_restarts_lose_no_request(tmp_path):
    """The units under a real systemd (PID 1 of a container, ``--systemd=always``): the socket
    starts the service as a dynamic user with no capabilities under its seccomp filter, and two
    restarts during a steady load refuse no connection and fail no request."""
    from . import containers

    base = containers.image(tmp_path)
    context = tmp_path / "systemd"
    context.mkdir()
    (context / "Containerfile").write_text(SYSTEMD_CONTAINERFILE)
    (context / "load.py").write_text(LOAD)
    for unit in ("wsgi-plot.socket", "wsgi-plot.service"):
        shutil.copy(UNITS / unit, context / unit)
    name = f"localhost/wsgi-plot-systemd-test:{base.rpartition(':')[2]}"
    containers.podman("build", "--build-arg", f"BASE={base}", "-t", name, "-f", context / "Containerfile", context,
                      timeout=600)
    container = f"wsgi-plot-systemd-test-{servers.free_port()}"
    try:
        containers.podman("run", "--detach", "--name", container, "--systemd=always", "--network", "none", name)
        deadline = time.monotonic() + 90
        while containers.podman("exec", container, "systemctl", "is-active", "wsgi-plot.service",
                                check=False).stdout.strip() != "active":
            assert time.monotonic() < deadline, containers.podman("exec", container, "journalctl", "--no-pager").stdout
            time.sleep(1)
        main_pid = containers.podman("exec", container, "systemctl", "show", "-p", "MainPID", "--value",
                                     "wsgi-plot.service").stdout.strip()
        status = dict(line.split(":\t", 1) for line in containers.podman(
            "exec", container, "cat", f"/proc/{main_pid}/status").stdout.splitlines() if ":\t" in line)
        assert status["Uid"].split()[0] != "0" and status["CapEff"] == "0000000000000000"
        assert status["NoNewPrivs"] == "1" and status["Seccomp"] == "2"
        run = containers.podman("exec", container, "/opt/wsgi-plot/bin/python", "/opt/load.py", timeout=300)
        answers = json.loads(run.stdout.strip().splitlines()[-1])
        assert set(answers) == {"200"} and answers["200"] >= 20, answers
        journal = containers.podman("exec", container, "journalctl", "--no-pager", "-u", "wsgi-plot.service").stdout
        assert journal.count("Handling signal: term") == 2, journal[-4000:]
    finally:
        containers.podman("rm", "--force", "--time", "0", container, check=False)
        containers.podman("rmi", "--force", name, check=False)
