"""Start real servers on loopback ports for end-to-end tests."""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from re import Match
from typing import IO, TYPE_CHECKING

from werkzeug.serving import make_server

from . import tools

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
NGINX_CONFIG = ROOT / "deploy" / "nginx.conf"


#: Under pytest-xdist each worker takes its servers' ports from a range of its own: a port that
#: another worker's server holds could otherwise be handed out here too, and a test would then
#: talk to that server. Without xdist, the kernel picks any free port.
_PORTS_PER_WORKER = 2000
_FIRST_WORKER_PORT = 20000
_next_port = itertools.count()


def free_port() -> int:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1", ...
    if not worker.startswith("gw"):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return sock.getsockname()[1]
    first = _FIRST_WORKER_PORT + int(worker[2:]) * _PORTS_PER_WORKER
    for _ in range(_PORTS_PER_WORKER):
        port = first + next(_next_port) % _PORTS_PER_WORKER
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue  # in use (by this worker's earlier server, or anything else)
            return port
    raise RuntimeError(f"no free port in {first}..{first + _PORTS_PER_WORKER - 1}")


def wait_for_http(url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                response.read()
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError(f"no answer from {url} within {timeout} s")


def wait_for_text(path: str | os.PathLike[str], text: str, timeout: float = 10.0) -> str:
    """The file's text once it contains ``text``.

    Servers log a request after sending its response, so a client can see the
    answer before the log line is written.
    """
    deadline = time.monotonic() + timeout
    while True:
        content = Path(path).read_text(errors="replace")
        if text in content or time.monotonic() > deadline:
            return content
        time.sleep(0.05)


class ServerProcess(subprocess.Popen[bytes]):
    """A server's process: the helpers below set the URL it answers on and its ports; a test may set its log's path."""

    base_url: str
    port: int
    probe_port: int | None
    log_path: Path


@contextlib.contextmanager
def running(cmd: list[str], url: str, env: Mapping[str, str | None] | None = None, cwd: str | Path = ROOT,
            log_path: str | os.PathLike[str] | None = None, stop_group: bool = True) -> Iterator[ServerProcess]:
    """Run ``cmd`` until the block ends; yields the Popen once ``url`` answers.

    ``env`` adds to this process's environment; a value of None removes that variable.
    At the end SIGTERM goes to the whole process group, or with ``stop_group=False``
    to the first process only, for servers whose workers must hear it from their master.
    """
    log: IO[bytes] | int = open(log_path, "wb") if log_path else subprocess.DEVNULL
    environ = {k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None}
    proc = ServerProcess(cmd, cwd=cwd, env=environ, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        wait_for_http(url, proc=proc)
        yield proc
    finally:
        if proc.poll() is None:
            (os.killpg if stop_group else os.kill)(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        with contextlib.suppress(ProcessLookupError):  # whatever of the group is left
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        if not isinstance(log, int):
            log.close()


@contextlib.contextmanager
def gunicorn(port: int | None = None, workers: int = 2, env: Mapping[str, str | None] | None = None,
             log_path: str | os.PathLike[str] | None = None, app: str = "wsgi_plot:app", extra: Iterable[str] = (),
             probe_port: int | None = None) -> Iterator[ServerProcess]:
    """gunicorn with the project's gunicorn.conf.py on a free loopback port; yields the base URL.

    ``probe_port``: the probes' address too (PROBE_PORT), which is not otherwise set.
    """
    port = port or free_port()
    cmd = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--workers", str(workers), *extra, app]
    server_env: dict[str, str | None] = {"BIND": f"127.0.0.1:{port}", "PROBE_PORT": str(probe_port) if probe_port else None,
                  "PROBE_BIND": None, **(env or {})}
    base = f"http://127.0.0.1:{port}"
    with running(cmd, base + "/", env=server_env, log_path=log_path) as proc:
        proc.base_url, proc.port, proc.probe_port = base, port, probe_port
        yield proc


@contextlib.contextmanager
def uwsgi(executable: str | Path, workers: int = 2, env: Mapping[str, str | None] | None = None,
          log_path: str | os.PathLike[str] | None = None, extra: Iterable[str] = ()) -> Iterator[ServerProcess]:
    """uWSGI with the project's uwsgi.ini on a free loopback port; yields the Popen (the master).

    The port is given as PORT, so the ini's default address (loopback) is the one used.
    """
    port = free_port()
    cmd = [str(executable), "--ini", str(ROOT / "uwsgi.ini"), *extra]
    server_env: dict[str, str | None] = {"PORT": str(port), "BIND": None, "WEB_CONCURRENCY": str(workers), **(env or {})}
    base = f"http://127.0.0.1:{port}"
    # SIGTERM to the master alone: die-on-term stops it and its workers. Sent to every
    # worker as well, it can leave uWSGI respawning them until it is killed.
    with running(cmd, base + "/", env=server_env, log_path=log_path, stop_group=False) as proc:
        proc.base_url, proc.port = base, port
        yield proc


@contextlib.contextmanager
def nginx(executable: str | Path, config_text: str, prefix: Path, port: int) -> Iterator[ServerProcess]:
    """nginx in the foreground with ``config_text``, its pid, logs and temporary files under ``prefix``.

    Yields the Popen (the master) once ``port`` answers on loopback.
    """
    for folder in ("logs", "temp"):
        (prefix / folder).mkdir(parents=True, exist_ok=True)
    config = prefix / "nginx.conf"
    config.write_text(config_text)
    cmd = [str(executable), "-p", f"{prefix}/", "-c", str(config), "-e", str(prefix / "logs" / "error.log"),
           "-g", "daemon off;"]
    base = f"http://127.0.0.1:{port}"
    with running(cmd, base + "/", log_path=prefix / "logs" / "stdout.log") as proc:
        proc.base_url = base
        yield proc


@contextlib.contextmanager
def threaded_server(app: WSGIApplication) -> Iterator[str]:
    """werkzeug's threaded development server in this process, on a free loopback port; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()


def uwsgi_executable() -> str:
    return tools.executable("uwsgi", BIN / "uwsgi")


def worker_pids(master_pid: int) -> set[int]:
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return {int(pid) for pid in children}


def config_for(listen_port: int, backend_ports: Iterable[int], overflow_port: int | None = None,
               probe_ports: Iterable[int] | None = None) -> str:
    """deploy/nginx.conf with the test's own ports, everything else as shipped.

    The instance lines of the upstream of requests (ports 800x) become one line per backend port,
    those of the probes' upstream (ports 810x) one per probe port (the instances' PROBE_PORT), or
    per backend port if none are given, with the shipped options; the front port 8080 and the
    overflow port 8081 (the upstream's backup, nginx itself) become ``listen_port`` and
    ``overflow_port`` (a free one if not given).
    """
    overflow_port = overflow_port or free_port()
    text = NGINX_CONFIG.read_text()
    text, listens = re.subn(r"127\.0\.0\.1:8080\b", f"127.0.0.1:{listen_port}", text)
    text, overflows = re.subn(r"\b8081\b", str(overflow_port), text)
    instances = re.compile(r"((?:^ *server 127\.0\.0\.1:8[01]0\d\b.*;\n)+)", flags=re.M)
    blocks = instances.findall(text)
    assert listens == 1 and overflows == 5 and len(blocks) == 2 and ":800" in blocks[0] and ":810" in blocks[1], \
        "deploy/nginx.conf changed shape: update config_for"
    ports = iter([backend_ports, probe_ports or backend_ports])

    def one_line_per_port(match: Match[str]) -> str:
        server = re.match(r" *server 127\.0\.0\.1:\d+ (.*);", match.group(1))
        assert server is not None
        options = server.group(1)
        return "".join(f"        server 127.0.0.1:{port} {options};\n" for port in next(ports))

    return instances.sub(one_line_per_port, text)


def wait_for_a_reading_after(path: str | os.PathLike[str], stamp: int, timeout: float = 60.0) -> None:
    """Until the sensors example's writer has committed a reading stamped ``stamp`` or later."""
    from examples.sensors import db  # only for the tests that run it

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.closing(sqlite3.connect(db.read_only_uri(path), uri=True)) as conn:
            if conn.execute("SELECT max(timestamp) FROM readings").fetchone()[0] >= stamp:
                return
        time.sleep(0.1)
    raise AssertionError(f"the writer appended nothing in {timeout:.0f} s")


@contextlib.contextmanager
def sensors_writer(path: Path, seconds: int) -> Iterator[int]:
    """The sensors example's writer appending a reading every second to ``path`` for at most
    ``seconds``; yields the time it started (epoch seconds). Its exit status is checked at the end."""
    started = int(time.time())
    writer = subprocess.Popen([sys.executable, "-m", "examples.sensors", "append", "--db", str(path),
                               "--interval", "1", "--seconds", str(seconds)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield started
    finally:
        writer.terminate()
        _, errors = writer.communicate(timeout=30)
    assert writer.returncode == 0, errors  # SIGTERM ends its loop after the commit in progress

