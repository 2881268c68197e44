"""End to end: the README's server, real gunicorn with gunicorn.conf.py, over HTTP on loopback."""

import time
import urllib.request

import pytest

from . import servers
from .http_checks import check_recipe_page, check_recipe_png, fetch


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with servers.gunicorn(workers=2, log_path=log) as proc:
        proc.log_path = log
        yield proc


def test_png_over_http(server):
    check_recipe_png(server.base_url)


def test_page_over_http(server):
    check_recipe_page(server.base_url)


def test_bad_input_over_http(server):
    with pytest.raises(urllib.error.HTTPError) as info:
        fetch(server.base_url + "/fig/5_-2")
    assert info.value.code == 400 and b"var" in info.value.read()


def read_log_until(server, text, timeout=10.0):
    """The log once it holds ``text``: gunicorn writes the access line after the response is sent."""
    deadline = time.monotonic() + timeout
    while text not in (log := server.log_path.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return log


def test_access_log_goes_to_stdout(server):
    fetch(server.base_url + "/fig/5_2?dpi=50")
    assert "GET /fig/5_2?dpi=50" in read_log_until(server, "GET /fig/5_2?dpi=50")


def test_successful_health_probes_stay_out_of_the_access_log(server):
    for probe in ("/healthz", "/readyz"):
        status, headers, body = fetch(server.base_url + probe)
        assert status == 200 and headers["Content-Type"] == "application/json"
    with pytest.raises(urllib.error.HTTPError):  # a failing probe is logged
        urllib.request.urlopen(urllib.request.Request(server.base_url + "/healthz", method="POST"), timeout=30)
    fetch(server.base_url + "/fig/5_2?dpi=51")
    log = read_log_until(server, "GET /fig/5_2?dpi=51")
    assert "GET /fig/5_2?dpi=51" in log
    assert "POST /healthz" in log
    assert "GET /healthz" not in log and "GET /readyz" not in log
