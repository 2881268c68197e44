"""gunicorn settings for wsgi_plot: ``gunicorn -c python:wsgi_plot.serve.gunicorn_config wsgi_plot:app``.

``wsgi-plot serve`` runs exactly that; the repository's gunicorn.conf.py takes these settings too.

Every value can be overridden by an environment variable named in its comment.
"""

from __future__ import annotations

import contextlib
import glob
import multiprocessing
import os
import select
import shutil
import signal
import socket
import struct
import tempfile
import time
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from gunicorn.glogging import Logger

if TYPE_CHECKING:
    from datetime import timedelta

    from gunicorn.arbiter import Arbiter
    from gunicorn.http import Request
    from gunicorn.http.wsgi import Response
    from gunicorn.workers.base import Worker


class ServerSettingError(ValueError):
    """A server variable (WEB_CONCURRENCY, MAX_REQUESTS, TIMEOUT) is not what it must be; names it."""


def _whole_number(variable: str, default: int, minimum: int) -> int:
    """``int(os.environ[variable])``, or ``default``; a bad value names the variable, not a traceback of int()."""
    text = os.environ.get(variable)
    if text is None or text.strip() == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise ServerSettingError(f"{variable}={text!r}: expected a whole number") from None
    if value < minimum:
        raise ServerSettingError(f"{variable}={text!r}: must be >= {minimum}")
    return value


# -- where to listen ----------------------------------------------------------
# Loopback by default: put nginx or another proxy in front to expose it.
MAIN_BIND = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"
bind: str | list[str] = MAIN_BIND

# -- health probes ahead of the queue -------------------------------------------------
# A second address for /healthz, /readyz and /metrics (PROBE_BIND, or PROBE_PORT on loopback;
# none by default). A sync worker that is drawing cannot answer anything, so a probe sent to the
# main address waits in the listen queue behind every request queued before it, and a busy
# instance looks dead. With this address listed first, a worker that finishes a request takes a
# waiting probe before the next request (gunicorn's sync worker accepts from its ready sockets
# in the order they are bound): a probe waits for at most the render in progress. The address
# serves the whole app; send only probes to it (deploy/nginx.conf does).
PROBE_BIND = os.environ.get("PROBE_BIND") or (
    f"127.0.0.1:{os.environ['PROBE_PORT']}" if os.environ.get("PROBE_PORT") else None)
if PROBE_BIND:
    bind = [PROBE_BIND, MAIN_BIND]

# -- behind a proxy -----------------------------------------------------------------
# gunicorn believes a proxy's X-Forwarded-Proto only from these addresses: the loopback nginx of
# deploy/nginx.conf (FORWARDED_ALLOW_IPS, comma-separated, to name another proxy).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
# Request headers such a proxy may send to set WSGI variables. gunicorn's default, SCRIPT_NAME and
# PATH_INFO, trusts any client on those addresses: a SCRIPT_NAME header the path does not start with
# made gunicorn answer 500, one it does moved the routes. deploy/nginx.conf sends neither (nginx
# drops headers with underscores); to mount the app under a prefix behind a proxy that sets it,
# FORWARDER_HEADERS=SCRIPT_NAME.
forwarder_headers = os.environ.get("FORWARDER_HEADERS", "")

# -- workers --------------------------------------------------------------------
# One sync worker per core. Agg drawing holds the GIL and matplotlib serialises
# Figure.draw within a process, so threads cannot draw in parallel; processes
# can. Each worker keeps its own pool of prepared figures.
workers = _whole_number("WEB_CONCURRENCY", multiprocessing.cpu_count(), 1)  # WEB_CONCURRENCY
worker_class = "sync"

# Recycle workers now and then as insurance against slow leaks in extensions;
# the jitter keeps them from restarting all at once.
max_requests = _whole_number("MAX_REQUESTS", 10000, 0)  # MAX_REQUESTS, 0 disables
max_requests_jitter = max_requests // 10

# A render is tens of milliseconds; a worker silent for this long is stuck. The app keeps below it:
# render_timeout must be shorter (else no worker starts), and an animation that would run past
# 80% of it is refused (wsgi_plot/serve/fitting.py).
timeout = _whole_number("TIMEOUT", 30, 0)  # TIMEOUT, seconds; 0: none (gunicorn never kills a worker)
# A worker told to stop (SIGTERM: the server stopping, or a reload replacing it) first hands over or
# drains (``drain_on_sigterm`` below) for at most two thirds of this, then finishes the request in
# hand; whatever is left after this many seconds is killed.
graceful_timeout = _whole_number("GRACEFUL_TIMEOUT", 30, 1)  # GRACEFUL_TIMEOUT, seconds

# -- control socket -------------------------------------------------------------------
# gunicorn 25.1+ opens a socket for `gunicornc` at one path per user ($XDG_RUNTIME_DIR/gunicorn.ctl
# or ~/.gunicorn/gunicorn.ctl): a second instance (the scale-out in docs/deploying.md) takes it over, and
# stopping either removes it. None by default; CONTROL_SOCKET names one, a path per instance.
control_socket_disable = not os.environ.get("CONTROL_SOCKET")
if os.environ.get("CONTROL_SOCKET"):
    control_socket = os.environ["CONTROL_SOCKET"]

# -- logging ----------------------------------------------------------------------
accesslog = "-"  # stdout
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")  # LOG_LEVEL

#: Health probes a load balancer or orchestrator sends every few seconds.
QUIET_PATHS = frozenset({"/healthz", "/readyz"})


class QuietProbesLogger(Logger):
    """The access log without successful health probes, which would drown the requests.

    A failing probe (4xx/5xx) is still logged: that is when someone reads the log.
    """

    def access(self, resp: Response, req: Request, environ: MutableMapping[str, Any], request_time: timedelta) -> None:
        if req.path in QUIET_PATHS and resp.status_code is not None and resp.status_code < 400:
            return
        super().access(resp, req, environ, request_time)


logger_class = QuietProbesLogger

# -- metrics ----------------------------------------------------------------------
# Each worker counts in its own files under PROMETHEUS_MULTIPROC_DIR and /metrics sums
# them all, so any worker answers for the server. prometheus_client reads the variable
# when first imported, so it is set here, before a worker imports the app: a fresh
# temporary directory, removed on exit, unless you name one (PROMETHEUS_MULTIPROC_DIR).
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="wsgi_plot-metrics-")
    # Kept in the environment, not a variable here, because a reload (HUP) runs this file again.
    os.environ["_WSGI_PLOT_OWN_METRICS_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]

# -- matplotlib's cache ------------------------------------------------------------------
# matplotlib keeps its font list under MPLCONFIGDIR, by default in the home directory, which a
# service account often cannot write: then each worker builds the list again at every start and
# recycle (0.5 to 1 s here), in a throwaway directory. Unless you name one (MPLCONFIGDIR), it is a
# directory of this run's own, removed on exit: the first workers build the list, every later start
# reads it. (A matplotlibrc in the service account's ~/.config/matplotlib is then not read.)
if not os.environ.get("MPLCONFIGDIR"):
    os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="wsgi_plot-matplotlib-")
    os.environ["_WSGI_PLOT_OWN_MPLCONFIGDIR"] = os.environ["MPLCONFIGDIR"]


# -- workers that are ready -----------------------------------------------------------
# A worker that has warmed up leaves a file named by its pid here, so that the workers a reload
# (HUP) replaces serve until their successors are ready. A directory of this master's own (kept in
# the environment, as a reload runs this file again), removed on exit.
if os.environ.get("_WSGI_PLOT_READY_FOR") != str(os.getpid()):
    os.environ["_WSGI_PLOT_READY_DIR"] = tempfile.mkdtemp(prefix="wsgi_plot-ready-")
    os.environ["_WSGI_PLOT_READY_FOR"] = str(os.getpid())
READY_DIR = os.environ["_WSGI_PLOT_READY_DIR"]


def on_starting(server: Arbiter) -> None:
    # Files left by an earlier run in the same directory would be added to this run's counts.
    for path in glob.glob(os.path.join(os.environ["PROMETHEUS_MULTIPROC_DIR"], "*.db")):
        os.remove(path)


def child_exit(server: Arbiter, worker: Worker) -> None:
    with contextlib.suppress(OSError):
        os.remove(os.path.join(READY_DIR, str(worker.pid)))
    # A dead worker's counters still count; its live gauge (figures in use) must not.
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Arbiter | None) -> None:
    shutil.rmtree(READY_DIR, ignore_errors=True)
    for variable, own in (("PROMETHEUS_MULTIPROC_DIR", "_WSGI_PLOT_OWN_METRICS_DIR"),
                          ("MPLCONFIGDIR", "_WSGI_PLOT_OWN_MPLCONFIGDIR")):
        directory = os.environ.get(own)
        if directory and directory == os.environ.get(variable):
            shutil.rmtree(directory, ignore_errors=True)


# -- memory and warm start --------------------------------------------------------
def post_worker_init(worker: Worker) -> None:
    # glibc keeps the memory of large freed buffers in the heap unless its thresholds are fixed:
    # with them a worker's RSS comes back down after near-budget images (wsgi_plot/serve/memory.py has
    # the measurements). Set here, in the worker, so the forked process has them before it draws.
    from .memory import set_malloc_thresholds

    set_malloc_thresholds()
    # Prepare each plot's default figure before this worker accepts a request, so the first user
    # is served as fast as the rest and /readyz is ready only once they are (no-op for other apps).
    from .. import warm
    from .fitting import fit_to_server, gunicorn_limits

    # Streams leave a thread free; animations end before `timeout`; a render_timeout not below it
    # stops the worker here, and gunicorn with it ("Worker failed to boot"), naming both.
    fit_to_server(worker.wsgi, gunicorn_limits(worker))
    warm(worker.wsgi)
    drain_on_sigterm(worker)
    # Ready: a worker that a reload replaces serves until this one is (drain_on_sigterm).
    with contextlib.suppress(OSError):
        open(os.path.join(READY_DIR, str(os.getpid())), "w").close()


def _waiting(sockets: list[Any]) -> int | None:
    """Connections waiting in these listening sockets' accept queues (Linux: TCP_INFO's tcpi_unacked,
    which is the queue's length for a listening socket); None where that cannot be read."""
    total = 0
    for listener in sockets:
        try:
            info = listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
            total += struct.unpack("B" * 8 + "I" * 24, info)[12]
        except (OSError, AttributeError, struct.error):
            return None
    return total


def _booting_siblings() -> list[int]:
    """The other workers of this worker's master that are not ready yet (a reload's new workers); Linux."""
    master, me = os.getppid(), os.getpid()
    try:
        children = open(f"/proc/{master}/task/{master}/children").read().split()
    except OSError:
        return []
    return [int(pid) for pid in children if int(pid) != me and not os.path.exists(os.path.join(READY_DIR, pid))]


def drain_on_sigterm(worker: Worker) -> None:
    """SIGTERM makes this worker hand over or drain rather than stop at once (gunicorn's own handler
    stops taking connections at once, and those waiting in the listen queue are then reset).

    If the master has started workers that are not ready yet (``kill -HUP``, gunicorn's graceful
    reload, sends SIGTERM to the old ones as soon as the new ones are forked, seconds before they can
    serve), this worker goes on serving until every one of them is ready (warmed). Otherwise the server
    is stopping, and the wsgi_plot apps' /readyz answers 503 from now on (for a balancer that probes
    it). Then it drains: it takes the connections waiting on its sockets at that moment (as many
    as the kernel says are queued; where it cannot say, while any is waiting), then exits, leaving
    later ones to the proxy's retry. Both for at most two thirds of ``graceful_timeout`` in all (one
    third when it only drains, as when the whole server stops), which leaves a third (10 s of the
    default 30, the default render_timeout) for the request in hand. A proxy that retries a refused
    or reset connection on another instance (deploy/nginx.conf) then loses nothing: what reached
    this instance is answered, what comes after its sockets close goes elsewhere. Worst case: a stop
    takes as long as the requests queued for it (behind nginx, ``max_conns``), and at most a third
    of ``graceful_timeout`` more; a reload whose new workers never become ready, two thirds.
    Other worker classes than sync only get the 503 from /readyz, then stop as gunicorn stops them.
    """
    from ..web.application import drain

    graceful = float(worker.cfg.graceful_timeout)
    state: dict[str, Any] = {}  # set on SIGTERM: "until" (no new connection taken after), "newer" (pids)
    stop = worker.handle_exit
    sync = any(cls.__name__ == "SyncWorker" for cls in type(worker).__mro__)

    def on_sigterm(signum: int, frame: Any) -> None:
        if state:
            return  # the master repeats SIGTERM while this worker is still there
        state["newer"] = _booting_siblings()
        if not state["newer"]:
            drain(worker.wsgi)
            state["left"] = _waiting(worker.sockets)
        if not sync:
            stop(signum, frame)
        else:
            state["until"] = time.monotonic() + graceful * (2 if state["newer"] else 1) / 3
            if state["newer"]:
                worker.log.info("Worker %s stopping: serving until workers %s are ready, then draining",
                                os.getpid(), state["newer"])
            else:
                worker.log.info("Worker %s stopping: draining its listen queue", os.getpid())

    signal.signal(signal.SIGTERM, on_sigterm)
    if not sync:
        return
    wait, notify = worker.wait, worker.notify  # type: ignore[attr-defined]

    def handed_over() -> bool:
        """Every newer worker still alive is ready (or there is none)."""
        alive = [pid for pid in state["newer"] if os.path.exists(f"/proc/{pid}")]
        return all(os.path.exists(os.path.join(READY_DIR, str(pid))) for pid in alive)

    def waiting_or_stop(timeout: float) -> object:
        if not state:
            return wait(timeout)
        if time.monotonic() < state["until"] and state["newer"]:
            if not handed_over():
                return wait(min(timeout, 0.1))  # serving as usual, looking again every 0.1 s
            worker.log.info("Worker %s: workers %s ready, draining", os.getpid(), state["newer"])
            state["newer"] = []
            state["left"] = _waiting(worker.sockets)
        ready = select.select(worker.sockets, [], [], 0)[0]
        if not ready or time.monotonic() > state["until"]:
            worker.alive = False
            return None
        return ready

    def notify_or_stop() -> None:
        # Called once a loop, before each connection taken: counts them down while draining.
        if state and not state["newer"] and state.get("left") is not None:
            state["left"] -= 1
            if state["left"] < 0:
                worker.alive = False
        if state and time.monotonic() > state["until"]:
            worker.alive = False
        notify()

    worker.wait = waiting_or_stop  # type: ignore[attr-defined]
    worker.notify = notify_or_stop  # type: ignore[method-assign]
