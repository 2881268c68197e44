"""Workers start warm: the default figures are prepared before the first request, and /readyz waits for them."""

import re
import urllib.request

import pytest
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app, warm
from wsgi_plot.web.middleware import NoCacheMiddleware

from . import servers

#: The probe's figure, /fig/5_2, the three built-in plots at their defaults, and the three data
#: charts (line, bar, scatter) at their examples: the default pool_size, 8.
WARM_FIGURES = 8


def test_warm_prepares_the_default_figures_once():
    app = create_app()
    assert app.pool.size == 0 and not app.warmed  # creating the app draws nothing
    assert warm(app) is True
    assert app.pool.size == WARM_FIGURES and app.warmed
    warm(app)
    assert app.pool.size == WARM_FIGURES
    for url in ("/fig/5_2", "/plot/normal.png", "/plot/histogram.png", "/plot/random-walk.png"):
        assert Client(app).get(url).status_code == 200
    assert app.pool.size == WARM_FIGURES  # each found its figure: none was built


def test_first_readyz_warms_an_app_no_server_hook_warmed():
    app = create_app()
    client = Client(app)
    assert client.get("/readyz").status_code == 200
    assert app.pool.size == WARM_FIGURES
    first = client.get("/fig/5_2")
    assert first.status_code == 200 and app.pool.size == WARM_FIGURES  # reused, none built


def test_warm_off_prepares_nothing():
    app = create_app(warm=False)
    assert Client(app).get("/readyz").status_code == 200
    assert app.pool.size == 1  # the probe's figure only


def test_warm_stays_within_the_pool_and_never_evicts():
    app = create_app(pool_size=3)
    warm(app)
    assert app.pool.size == 3
    app = create_app(pool_max_bytes=20 * 2**20)  # a 1200x900 figure is over a quarter of it: never kept
    warm(app)
    assert app.pool.size == 1 and app.warmed  # the probe's figure only; nothing drawn to be dropped


def test_a_plot_broken_at_its_defaults_does_not_stop_warming(caplog):
    def broken(fig, params):
        raise RuntimeError("broken plot")

    registry = PlotRegistry([Plot("broken", [Param("x", float, 1.0)], init=broken, update=lambda a, p, r: None),
                             Plot("fine", [Param("x", float, 1.0)], init=lambda fig, p: fig.add_subplot().plot([], []),
                                  update=lambda artists, p, rng: artists[0].set_data([0, 1], [0, p.x]))])
    app = create_app(registry=registry)
    warm(app)
    assert app.warmed and app.pool.size == 2  # the probe and "fine"
    assert "could not prepare plot 'broken'" in caplog.text


def test_warm_finds_the_app_through_middleware_and_ignores_other_apps():
    app = create_app()
    assert warm(NoCacheMiddleware(app)) is True and app.pool.size == WARM_FIGURES
    assert warm(lambda environ, start_response: []) is False


def checkout_ms(response) -> float:
    checkout = re.search(r"checkout;dur=([0-9.]+)", response.headers["Server-Timing"])
    assert checkout
    return float(checkout.group(1))


@pytest.mark.server
def test_uwsgi_workers_start_warm(tmp_path):
    with servers.uwsgi(servers.uwsgi_executable(), workers=1, log_path=tmp_path / "uwsgi.log") as server:
        servers.wait_for_http(server.base_url + "/readyz")
        metrics = urllib.request.urlopen(server.base_url + "/metrics", timeout=30).read().decode()
        pool_bytes = re.search(r"^wsgi_plot_pool_bytes (\S+)$", metrics, re.M)
        assert pool_bytes
        bytes_before = float(pool_bytes.group(1))
        with urllib.request.urlopen(server.base_url + "/fig/5_2", timeout=30) as warm_response:
            warm_response.read()
        with urllib.request.urlopen(server.base_url + "/fig/5_3", timeout=30) as cold_response:
            cold_response.read()
    assert bytes_before > 4 * 8_640_000  # the four default 1200x900 figures, canvas and background each
    assert checkout_ms(warm_response) * 10 < checkout_ms(cold_response)
