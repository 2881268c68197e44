"""Fitting the app to its server: each server's start-up hook reads its limits and tells the app.

gunicorn.conf.py's ``post_worker_init`` (``--threads``, ``timeout``), uwsgi.ini's ``eval`` (uWSGI's
threads per worker, ``harakiri``), and examples/fastapi_host.py (a2wsgi's thread pool) call these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ..web.application import find_plot_apps
from ..web.server_limits import ServerLimits

if TYPE_CHECKING:
    from gunicorn.workers.base import Worker


def gunicorn_limits(worker: Worker) -> ServerLimits:
    """From a gunicorn worker (``post_worker_init``): its threads (sync: one) and its ``timeout``."""
    # Async workers (gevent, tornado, ASGI) serve requests on no fixed number of threads.
    threaded = any(cls.__name__ in ("SyncWorker", "ThreadWorker") for cls in type(worker).__mro__)
    timeout = worker.cfg.timeout
    return ServerLimits(threads=worker.cfg.threads if threaded else None,
                        worker_timeout=float(timeout) if timeout and timeout > 0 else None)


def uwsgi_limits() -> ServerLimits:
    """From inside a uWSGI worker: its threads (``uwsgi.cores``) and ``harakiri``."""
    import uwsgi

    option = uwsgi.opt.get("harakiri", b"0")
    if isinstance(option, list):  # given more than once (ini and command line): the last one counts
        option = option[-1]
    harakiri = int(option.decode()) if isinstance(option, bytes) else 0
    return ServerLimits(threads=int(uwsgi.cores), worker_timeout=float(harakiri) if harakiri > 0 else None)


def fit_to_server(application: Callable[..., Iterable[bytes]], limits: ServerLimits) -> bool:
    """Tell each wsgi_plot app inside ``application`` its server's limits; SettingsError if they clash.

    ``application`` as for :func:`wsgi_plot.web.application.find_plot_apps`: mounted under werkzeug's
    DispatcherMiddleware, in Flask's ``wsgi_app``, behind middleware. False when there is no wsgi_plot
    app in it.
    """
    plot_apps = find_plot_apps(application)
    for plot_app in plot_apps:
        limits.check(plot_app.settings)
    for plot_app in plot_apps:
        plot_app.images.fit_to_server(limits)
    return bool(plot_apps)
