"""wsgi_plot mounted at /plots in the Django and FastAPI examples, under real gunicorn and uvicorn.

The checks are test_mounting's (tests/mounting_checks.py), run here with this module's ``client``:
the Django host in-process (through wsgiref's validator) and under gunicorn, the FastAPI host
under uvicorn, both over HTTP on loopback.
"""

import http.client
import sys
from urllib.parse import urlsplit
from wsgiref.validate import validator

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from . import servers, tools
from .mounting_checks import CHECKS, get

pytestmark = pytest.mark.server


class HTTPResponse(Response):
    """A response read over HTTP, with the ``text`` of werkzeug's TestResponse."""

    @property
    def text(self) -> str:
        return self.get_data(as_text=True)


class HTTPClient:
    """werkzeug's test ``Client.get`` over real HTTP: one connection per request, no redirects followed."""

    def __init__(self, base_url: str):
        parts = urlsplit(base_url)
        assert parts.hostname is not None
        self.host, self.port = parts.hostname, parts.port

    def get(self, url, buffered=True, headers=None):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request("GET", url, headers=dict(headers or {}))
            answer = connection.getresponse()
            return HTTPResponse(answer.read(), status=answer.status, headers=answer.getheaders())
        finally:
            connection.close()


def uvicorn(app: str, log_path):
    """uvicorn serving ``app`` from the repository root on a free loopback port."""
    port = servers.free_port()
    cmd = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), "--no-access-log"]
    base = f"http://127.0.0.1:{port}"
    return servers.running(cmd, base + "/", log_path=log_path), base


@pytest.fixture(scope="module", params=["django in-process", "django under gunicorn", "fastapi under uvicorn"])
def client(request, tmp_path_factory):
    log = tmp_path_factory.mktemp("hosts") / "server.log"
    if request.param.startswith("django"):
        tools.module("django")
        if request.param == "django in-process":
            from examples.django_host.wsgi import application

            yield Client(validator(application))
            return
        with servers.gunicorn(workers=2, app="examples.django_host.wsgi:application", log_path=log) as server:
            yield HTTPClient(server.base_url)
    else:
        for name in ("fastapi", "a2wsgi", "uvicorn"):
            tools.module(name)
        context, base = uvicorn("examples.fastapi_host:app", log)
        with context:
            yield HTTPClient(base)


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__.removeprefix("check_"))
def test_mounted(client, check):
    check(client)


def test_host_middleware_never_sees_wsgi_plot_responses(client):
    """What the host adds to its own responses is not on wsgi_plot's, and the reverse."""
    home, plot = get(client, "/"), get(client, "/plots/fig/5_2?dpi=20")
    assert home.status_code == 200 and plot.status_code == 200
    assert plot.headers["X-Request-Id"] and "X-Request-Id" not in home.headers
    assert plot.mimetype == "image/png"
    if "Referrer-Policy" in home.headers:  # Django's SecurityMiddleware
        assert "Referrer-Policy" not in plot.headers


def test_under_the_fastapi_host_a_stream_whose_client_left_ends_within_3_s(tmp_path):
    """a2wsgi's sends never fail, so a stream used to draw for nobody to its end; it now hears http.disconnect."""
    import time
    import urllib.request

    from .metrics_text import samples, value

    for name in ("fastapi", "a2wsgi", "uvicorn"):
        tools.module(name)
    context, base = uvicorn("examples.fastapi_host:app", tmp_path / "uvicorn.log")

    def streams() -> float:
        with urllib.request.urlopen(base + "/plots/metrics", timeout=30) as response:
            return value(samples(response.read().decode()), "wsgi_plot_streams")

    with context:
        host = urlsplit(base)
        connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
        connection.request("GET", "/plots/plot/normal.stream?fps=5&seconds=30&size=2x1.5&dpi=50")
        response = connection.getresponse()
        assert response.status == 200 and response.readline() == b"--wsgi-plot-frame\r\n"
        assert streams() == 1
        connection.close()  # 30 s early
        left = time.monotonic()
        while streams() != 0 and time.monotonic() - left < 10:
            time.sleep(0.1)
        assert time.monotonic() - left < 3 + 1  # within 3 s, and a scrape's worth of slack on a loaded machine
