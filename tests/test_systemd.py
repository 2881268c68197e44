"""deploy/systemd: the unit files pass ``systemd-analyze verify``, and the service's command takes
its sockets from systemd (socket activation) in the socket unit's order.

``verify`` checks that ExecStart's program exists and is executable, and the units name
/opt/wsgi-plot/bin/wsgi-plot, where docs/deploying.md installs it. So the files verified are
copies in which that path, and only it, is replaced by this environment's own ``wsgi-plot``
(the same command from the same package, installed elsewhere). Any message of verify fails the
test: it reports an unknown or misspelt setting on stderr but still exits 0.
"""

import re
import subprocess
import sys
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
    exec_start = re.search(r"^ExecStart=(.+)$", (UNITS / "wsgi-plot.service").read_text(), flags=re.M).group(1)
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
