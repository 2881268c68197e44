"""/healthz answers without drawing; /readyz draws through the pool and says what runs."""

import importlib.metadata

import matplotlib
import numpy
import pytest
from werkzeug.test import Client

import wsgi_plot
from wsgi_plot import create_app


@pytest.fixture
def plot_app():
    return create_app(pool_size=1, pool_timeout=0.1)


def test_liveness_is_json_and_draws_nothing(plot_app):
    response = Client(plot_app).get("/healthz")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json() == {"status": "ok"}
    assert plot_app.pool.size == 0


def test_readiness_draws_through_the_pool_and_reports_versions(plot_app):
    response = Client(plot_app).get("/readyz")
    assert response.status_code == 200 and response.mimetype == "application/json"
    body = response.get_json()
    assert body["status"] == "ok" and body["render_ms"] > 0
    assert body["versions"] == {
        "wsgi_plot": wsgi_plot.__version__, "matplotlib": matplotlib.__version__, "numpy": numpy.__version__,
        "werkzeug": importlib.metadata.version("werkzeug"),
    }
    assert plot_app.pool.size == 1 and plot_app.pool.in_use == 0
    Client(plot_app).get("/readyz")
    assert plot_app.pool.size == 1  # later probes reuse the probe's figure


def test_with_every_figure_busy_only_readiness_fails(plot_app):
    client = Client(plot_app)
    with plot_app.pool.checkout("held by a slow request", object):
        ready = client.get("/readyz")
        live = client.get("/healthz")
    assert ready.status_code == 503 and ready.mimetype == "application/json"
    assert ready.get_json()["status"] == "unavailable" and ready.headers["Retry-After"] == "1"
    assert live.status_code == 200
    assert client.get("/readyz").status_code == 200  # ready again once the figure is back


@pytest.mark.parametrize("url", ["/healthz", "/readyz"])
def test_probes_are_not_cached_and_refuse_other_methods(plot_app, url):
    client = Client(plot_app)
    response = client.get(url)
    assert response.headers["Cache-Control"].startswith("no-store")
    assert client.post(url).status_code == 405
