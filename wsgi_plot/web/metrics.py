"""Prometheus metrics of the app: requests, render and wait seconds, figures in use, pool bytes, rejections,
the response cache's hits, misses, evictions and bytes.

Under gunicorn or uWSGI every worker is a process counting on its own. prometheus_client's
multiprocess mode keeps each process's counts in files under ``PROMETHEUS_MULTIPROC_DIR`` and
``/metrics`` sums the files of all of them, so any worker answers for the whole server.
gunicorn.conf.py and uwsgi.ini set that variable before the workers import prometheus_client,
and clean it up. Without it the counts are this process's.
"""

import glob
import os

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, values
from prometheus_client.multiprocess import MultiProcessCollector, mark_process_dead

MULTIPROC_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"

#: A fast-path PNG takes a few milliseconds, a large PDF a second; the render deadline is 10 s.
RENDER_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: Mostly no wait at all; the pool timeout (5 s by default) bounds the rest.
WAIT_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    """The app's metrics and their exposition; its methods are the hooks the app calls."""

    def __init__(self) -> None:
        directory = _multiprocess_directory()
        # In multiprocess mode values live in files, not in a registry: register nowhere and
        # collect from the files instead.
        own: CollectorRegistry | None = None if directory else CollectorRegistry()
        self.requests = Counter("wsgi_plot_requests", "Requests answered, by route and status.",
                                ["route", "status"], registry=own)
        self.render_seconds = Histogram("wsgi_plot_render_seconds", "Seconds drawing and encoding an image, by format.",
                                        ["format"], buckets=RENDER_BUCKETS, registry=own)
        self.figure_wait_seconds = Histogram("wsgi_plot_figure_wait_seconds", "Seconds a request waited for a free figure.",
                                             buckets=WAIT_BUCKETS, registry=own)
        # livesum: the sum over live workers; a dead worker's figures are in use by no one.
        self.figures_in_use = Gauge("wsgi_plot_figures_in_use", "Pooled figures lent to requests now.",
                                    multiprocess_mode="livesum", registry=own)
        self.streams = Gauge("wsgi_plot_streams", "Live streams being sent now (each holds a server thread).",
                             multiprocess_mode="livesum", registry=own)
        self.pool_bytes = Gauge("wsgi_plot_pool_bytes",
                                "Bytes counted for the figures the pool keeps (pool_max_bytes bounds it).",
                                multiprocess_mode="livesum", registry=own)
        self.pool_evictions = Counter("wsgi_plot_pool_evictions", "Idle figures dropped to make room for another.",
                                      registry=own)
        self.cache_hits = Counter("wsgi_plot_response_cache_hits",
                                  "Images answered from the response cache, without drawing.", registry=own)
        self.cache_joined = Counter("wsgi_plot_response_cache_joined",
                                    "Images answered by waiting for an identical request's render (part of hits).",
                                    registry=own)
        self.cache_misses = Counter("wsgi_plot_response_cache_misses",
                                    "Reusable images that had to be drawn.", registry=own)
        self.cache_evictions = Counter("wsgi_plot_response_cache_evictions",
                                       "Images dropped to make room (response_cache_bytes).", registry=own)
        self.cache_bytes = Gauge("wsgi_plot_response_cache_bytes",
                                 "Bytes counted for the images the response cache keeps (response_cache_bytes "
                                 "bounds it, per process).", multiprocess_mode="livesum", registry=own)
        self.rejections = Counter("wsgi_plot_rejections", "Requests refused with 503, by reason.",
                                  ["reason"], registry=own)
        self.directory = directory
        if own is not None:
            self.registry = own
        else:
            self.registry = CollectorRegistry()
            MultiProcessCollector(self.registry, path=directory)

    def count_request(self, route: str, status: int) -> None:
        self.requests.labels(route, str(status)).inc()

    def rendered(self, fmt: str, seconds: float) -> None:
        self.render_seconds.labels(fmt).observe(seconds)

    def waited_for_figure(self, seconds: float) -> None:
        self.figure_wait_seconds.observe(seconds)

    def set_figures_in_use(self, count: int) -> None:
        self.figures_in_use.set(count)

    def set_streams(self, count: int) -> None:
        self.streams.set(count)

    def set_pool_bytes(self, count: float) -> None:
        self.pool_bytes.set(count)

    def evicted_figure(self) -> None:
        self.pool_evictions.inc()

    def rejected(self, reason: str) -> None:
        self.rejections.labels(reason).inc()

    def cache_hit(self) -> None:
        self.cache_hits.inc()

    def cache_joined_render(self) -> None:
        self.cache_hits.inc()
        self.cache_joined.inc()

    def cache_miss(self) -> None:
        self.cache_misses.inc()

    def cache_evicted(self) -> None:
        self.cache_evictions.inc()

    def set_cache_bytes(self, count: int) -> None:
        self.cache_bytes.set(count)

    def exposition(self) -> tuple[bytes, str]:
        """The text format and its content type."""
        if self.directory:
            forget_dead_processes(self.directory)
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class NoMetrics:
    """Metrics turned off: the same hooks, counting nothing."""

    def count_request(self, route: str, status: int) -> None:
        pass

    def rendered(self, fmt: str, seconds: float) -> None:
        pass

    def waited_for_figure(self, seconds: float) -> None:
        pass

    def set_figures_in_use(self, count: int) -> None:
        pass

    def set_streams(self, count: int) -> None:
        pass

    def set_pool_bytes(self, count: float) -> None:
        pass

    def evicted_figure(self) -> None:
        pass

    def rejected(self, reason: str) -> None:
        pass

    def cache_hit(self) -> None:
        pass

    def cache_joined_render(self) -> None:
        pass

    def cache_miss(self) -> None:
        pass

    def cache_evicted(self) -> None:
        pass

    def set_cache_bytes(self, count: int) -> None:
        pass


def forget_dead_processes(directory: str) -> None:
    """Drop the live gauges (figures in use, streams, pool bytes, cache bytes) of processes that no longer run.

    A worker's gauges count only while it lives. gunicorn says when one exits (its
    ``child_exit`` hook, in gunicorn_config.py); uWSGI does not, so a worker it recycled
    (max-requests) or killed (harakiri, or a crash mid-render) would go on adding its last
    values to the sums. Checked at each scrape: a few files, one signal-0 probe each.
    """
    for path in glob.glob(os.path.join(directory, "gauge_live*_*.db")):
        pid = os.path.basename(path)[:-len(".db")].rpartition("_")[2]
        if pid.isdigit() and not _running(int(pid)):
            mark_process_dead(int(pid), directory)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        pass
    return True


def create_metrics(enabled: bool) -> Metrics | NoMetrics:
    return Metrics() if enabled else NoMetrics()


def _multiprocess_directory() -> str | None:
    """The directory of multiprocess mode, or None; an error when it cannot work as asked."""
    directory = os.environ.get(MULTIPROC_DIR_VARIABLE)
    # prometheus_client chooses where values live when it is first imported.
    multiprocess = values.ValueClass is not values.MutexValue
    if directory and not multiprocess:
        raise RuntimeError(f"{MULTIPROC_DIR_VARIABLE} was set after prometheus_client was imported; "
                           "set it before the server starts (gunicorn.conf.py does)")
    if multiprocess and not (directory and os.path.isdir(directory)):
        raise RuntimeError(f"{MULTIPROC_DIR_VARIABLE}={directory!r} is not a directory")
    return directory if multiprocess else None
