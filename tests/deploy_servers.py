"""Instances a deploy stops and starts: gunicorn with the shipped config on fixed loopback ports, and a
client that keeps asking through the front meanwhile."""

import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from . import servers


class Instance:
    """One gunicorn (the repository's gunicorn.conf.py) on ``port``, its probe address on ``probe``,
    in a session of its own, so that each signal reaches it alone; restartable on the same ports."""

    def __init__(self, name: str, port: int, probe: int, log_dir: Path, app: str = "wsgi_plot:app",
                 workers: int = 2, cwd: Path = servers.ROOT, env: dict | None = None) -> None:
        self.name, self.port, self.probe, self.log_dir = name, port, probe, log_dir
        self.app, self.workers, self.cwd, self.env = app, workers, cwd, dict(env or {})
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, env: dict | None = None) -> None:
        self.env.update(env or {})
        self.starts += 1
        environ = {**os.environ, **self.env, "BIND": f"127.0.0.1:{self.port}", "PROBE_PORT": str(self.probe)}
        environ.pop("PROBE_BIND", None)
        with open(self.log_dir / f"{self.name}-{self.starts}.log", "wb") as log:
            self.process = subprocess.Popen(
                [str(servers.BIN / "gunicorn"), "-c", str(servers.ROOT / "gunicorn.conf.py"), "--workers",
                 str(self.workers), self.app], cwd=self.cwd, env=environ, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)

    def wait_ready(self, timeout: float = 120) -> None:
        """Until /readyz on the probe address answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None and self.process.poll() is None, self.log()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.probe}/readyz", timeout=5) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"instance {self.name} not ready within {timeout} s")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM to the master, as a deploy sends it; its exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)

    def reload(self, timeout: float = 120) -> None:
        """``kill -HUP`` (gunicorn's graceful reload), then until every old worker has exited."""
        assert self.process is not None
        old = servers.worker_pids(self.process.pid)
        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout
        while servers.worker_pids(self.process.pid) & old:
            assert time.monotonic() < deadline, f"{self.name}: old workers still there after {timeout} s"
            time.sleep(0.1)

    def log(self) -> str:
        path = self.log_dir / f"{self.name}-{self.starts}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()


class Client(threading.Thread):
    """GETs ``url`` again and again, ``pause`` seconds apart, until stopped: every answer's status (or
    the name of the client error) and the instance nginx names in X-Upstream."""

    def __init__(self, url: str, pause: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.url, self.pause = url, pause
        self.answers: list[tuple[object, str]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            try:
                with urllib.request.urlopen(self.url, timeout=60) as answer:
                    answer.read()
                    self.answers.append((answer.status, answer.headers.get("X-Upstream", "")))
            except urllib.error.HTTPError as error:
                self.answers.append((error.code, error.headers.get("X-Upstream", "")))
            except OSError as error:
                self.answers.append((type(error).__name__, ""))
            self.halt.wait(self.pause)

    def stop(self) -> list[tuple[object, str]]:
        self.halt.set()
        self.join(timeout=120)
        return self.answers
