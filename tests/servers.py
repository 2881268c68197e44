"""Start real servers on loopback ports for end-to-end tests."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import threading
import urllib.request
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(url: str, timeout: float = 60.0, proc=None):
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


def wait_for_text(path, text: str, timeout: float = 10.0) -> str:
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


@contextlib.contextmanager
def running(cmd, url, env=None, cwd=ROOT, log_path=None, stop_group=True):
    """Run ``cmd`` until the block ends; yields the Popen once ``url`` answers.

    ``env`` adds to this process's environment; a value of None removes that variable.
    At the end SIGTERM goes to the whole process group, or with ``stop_group=False``
    to the first process only, for servers whose workers must hear it from their master.
    """
    log = open(log_path, "wb") if log_path else subprocess.DEVNULL
    environ = {k: v for k, v in {**os.environ, **(env or {})}.items() if v is not None}
    proc = subprocess.Popen(cmd, cwd=cwd, env=environ, stdout=log, stderr=subprocess.STDOUT,
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
        if log_path:
            log.close()


@contextlib.contextmanager
def gunicorn(port=None, workers=2, env=None, log_path=None, app="wsgi_plot:app", extra=(), probe_port=None):
    """gunicorn with the project's gunicorn.conf.py on a free loopback port; yields the base URL.

    ``probe_port``: the probes' address too (PROBE_PORT), which is not otherwise set.
    """
    port = port or free_port()
    cmd = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--workers", str(workers), *extra, app]
    server_env = {"BIND": f"127.0.0.1:{port}", "PROBE_PORT": str(probe_port) if probe_port else None,
                  "PROBE_BIND": None, **(env or {})}
    base = f"http://127.0.0.1:{port}"
    with running(cmd, base + "/", env=server_env, log_path=log_path) as proc:
        proc.base_url = base
        yield proc


@contextlib.contextmanager
def uwsgi(executable, workers=2, env=None, log_path=None, extra=()):
    """uWSGI with the project's uwsgi.ini on a free loopback port; yields the Popen (the master).

    The port is given as PORT, so the ini's default address (loopback) is the one used.
    """
    port = free_port()
    cmd = [str(executable), "--ini", str(ROOT / "uwsgi.ini"), *extra]
    server_env = {"PORT": str(port), "BIND": None, "WEB_CONCURRENCY": str(workers), **(env or {})}
    base = f"http://127.0.0.1:{port}"
    # SIGTERM to the master alone: die-on-term stops it and its workers. Sent to every
    # worker as well, it can leave uWSGI respawning them until it is killed.
    with running(cmd, base + "/", env=server_env, log_path=log_path, stop_group=False) as proc:
        proc.base_url, proc.port = base, port
        yield proc


@contextlib.contextmanager
def nginx(executable, config_text: str, prefix: Path, port: int):
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
def threaded_server(app):
    """werkzeug's threaded development server in this process, on a free loopback port; yields its URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join()
