"""wsgi_plot mounted in a host (werkzeug's DispatcherMiddleware, Flask, Django) is fitted to its server and
warmed, under gunicorn with the shipped config, as it is when served alone; `wsgi-plot check --app` says so.

Where the plot app sits: ``find_plot_apps`` follows ``.app``, Flask's ``.wsgi_app``,
DispatcherMiddleware's ``.mounts``, a2wsgi's ``.app``, and what a host names with ``serve_plot_apps``.
"""

import http.client
import os
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware

import wsgi_plot
from wsgi_plot.web.application import MOST_SEARCHED, find_plot_apps

from . import servers, tools
from .metrics_text import samples, value

#: Each host example as gunicorn names it, and the package it needs.
HOSTS = {
    "DispatcherMiddleware": ("examples.werkzeug_host:app", None),
    "Flask": ("examples.flask_host:app", "flask"),
    "Django": ("examples.django_host.wsgi:application", "django"),
}
STREAM = "/plots/plot/normal.stream?fps=5&seconds=20&size=2x1.5&dpi=50"


def load(target: str):
    module, _, name = target.partition(":")
    return getattr(__import__(module, fromlist=[name]), name)


# -- where the app sits ----------------------------------------------------------------


@pytest.mark.parametrize("host", HOSTS)
def test_the_examples_mounted_app_is_found(host):
    target, package = HOSTS[host]
    if package:
        tools.module(package)
    found = find_plot_apps(load(target))
    assert len(found) == 1 and isinstance(found[0], wsgi_plot.PlotApp)


def test_every_mounted_app_is_found_and_warmed():
    first, second = wsgi_plot.create_app(warm=True), wsgi_plot.create_app(warm=True)
    not_an_app = {"not": "an app"}  # a mount of the wrong type is passed over, not followed
    host = DispatcherMiddleware(lambda environ, start_response: [],
                                {"/a": first, "/b": not_an_app})  # type: ignore[dict-item]
    outer = DispatcherMiddleware(host, {"/c": second})
    assert find_plot_apps(outer) == [second, first]  # breadth first
    assert not first.warmed and not second.warmed
    assert wsgi_plot.warm(outer) is True
    assert first.warmed and second.warmed and first.pool.size > 0


def test_a2wsgi_wrapper_and_a_bound_wsgi_app_are_followed():
    a2wsgi = tools.module("a2wsgi")
    plots = wsgi_plot.create_app()
    assert find_plot_apps(a2wsgi.WSGIMiddleware(plots)) == [plots]

    class Wrapper:  # keeps the bare app, without its middleware (tests/cacheable_app.py does)
        def __init__(self, app):
            self.app = app

    assert find_plot_apps(Wrapper(plots.wsgi_app)) == [plots]


def test_a_host_that_hides_the_app_names_it_in_one_call():
    plots = wsgi_plot.create_app()

    def hidden(environ, start_response):  # a view that calls the app: nothing to follow
        return plots(environ, start_response)

    assert find_plot_apps(hidden) == []
    assert wsgi_plot.serve_plot_apps(hidden, plots) is hidden
    assert find_plot_apps(hidden) == [plots]


def test_a_cycle_or_a_deep_object_is_searched_in_bounded_steps():
    class Node:
        looked_at = 0

        def __init__(self, following: object = None) -> None:
            self.following = following

        @property
        def app(self) -> object:
            Node.looked_at += 1
            return self.following if self.following is not None else self

    cycle = Node()  # its app is itself
    chain = Node()
    for _ in range(1000):
        chain = Node(chain)
    assert find_plot_apps(cycle) == []
    assert Node.looked_at == 1
    assert find_plot_apps(chain) == []
    assert Node.looked_at <= 1 + MOST_SEARCHED  # bounded by the search's budget, not by the chain


# -- under gunicorn ------------------------------------------------------------------------


@pytest.fixture(scope="module", params=list(HOSTS))
def served(request, tmp_path_factory):
    """The host example under gunicorn with the shipped config: one gthread worker of 2 threads."""
    target, package = HOSTS[request.param]
    if package:
        tools.module(package)
    log = tmp_path_factory.mktemp("mounted") / "gunicorn.log"
    with servers.gunicorn(workers=1, app=target, log_path=log, extra=("-k", "gthread", "--threads", "2")) as proc:
        yield proc


@pytest.mark.server
def test_mounted_app_is_warm_before_its_first_request(served):
    # The first request the plot app sees draws nothing: its pool already holds the default figures.
    with urllib.request.urlopen(served.base_url + "/plots/metrics", timeout=30) as response:
        scraped = samples(response.read().decode())
    assert value(scraped, "wsgi_plot_pool_bytes") > 0
    assert value(scraped, "wsgi_plot_render_seconds_count", format="png") == 0  # warming is not counted as renders


@pytest.mark.server
def test_mounted_app_caps_streams_by_the_servers_threads(served):
    address = urlsplit(served.base_url)
    first = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        first.request("GET", STREAM)
        response = first.getresponse()
        assert response.status == 200 and response.readline() == b"--wsgi-plot-frame\r\n"
        # 2 threads: one stream, and a thread kept for everything else.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(served.base_url + STREAM, timeout=30)
        assert refused.value.code == 503
        # Refused by the cap fitted to the threads (unfitted, max_streams = 4 would admit it).
        assert "already 1 live streams in this process" in refused.value.read().decode()
        with urllib.request.urlopen(served.base_url + "/plots/healthz", timeout=30) as health:
            assert health.status == 200
    finally:
        first.close()


@pytest.mark.server
@pytest.mark.parametrize("host", HOSTS)
def test_mounted_app_with_render_timeout_above_the_worker_timeout_does_not_start(host, tmp_path):
    target, package = HOSTS[host]
    if package:
        tools.module(package)
    log = tmp_path / "gunicorn.log"
    env = {**os.environ, "BIND": f"127.0.0.1:{servers.free_port()}", "TIMEOUT": "30",
           "WSGI_PLOT_RENDER_TIMEOUT": "31"}
    env.pop("PROBE_PORT", None)
    with open(log, "wb") as out:
        process = subprocess.Popen([str(servers.BIN / "gunicorn"), "-c", str(servers.ROOT / "gunicorn.conf.py"),
                                    "--workers", "1", target], cwd=servers.ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        try:
            returncode = process.wait(timeout=120)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    text = log.read_text()
    assert returncode != 0, text
    assert "render_timeout" in text and "Worker failed to boot" in text


@pytest.mark.parametrize("host", HOSTS)
def test_check_reports_the_mounted_app_fitted(host):
    target, package = HOSTS[host]
    if package:
        tools.module(package)
    env = {**os.environ, "TIMEOUT": "30"}
    env.pop("WSGI_PLOT_RENDER_TIMEOUT", None)
    ok = subprocess.run([sys.executable, "-m", "wsgi_plot", "check", "--app", target], cwd=servers.ROOT, env=env,
                        capture_output=True, text=True, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert "wsgi_plot app 1 of 1 (mounted inside it): fitted to the server, warmed at worker start" in ok.stdout
    refused = subprocess.run([sys.executable, "-m", "wsgi_plot", "check", "--app", target], cwd=servers.ROOT,
                             env={**env, "WSGI_PLOT_RENDER_TIMEOUT": "31"}, capture_output=True, text=True,
                             timeout=120)
    assert refused.returncode == 1 and "render_timeout" in refused.stderr
