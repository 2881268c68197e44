"""Security headers and escaping: CSP without inline script, nosniff everywhere, no raw input in headers."""

import base64
import hashlib
import re

import pytest
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app

from .http_checks import csp_directives

HTML_PAGES = ["/", "/plots/", "/normal/5_2", "/plot/normal", "/plot/histogram?bins=10", "/plot/random-walk"]


@pytest.fixture
def client(plain_client):
    return plain_client


@pytest.mark.parametrize("url", HTML_PAGES)
def test_html_pages_have_a_csp_that_allows_no_script(client, url):
    response = client.get(url)
    assert response.status_code == 200 and response.mimetype == "text/html"
    csp = csp_directives(response.headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"] and "script-src" not in csp  # so no script of any kind runs
    assert not any("'unsafe-inline'" in values or "'unsafe-eval'" in values or "*" in values
                   for values in csp.values())
    html = response.get_data(as_text=True)
    assert "<script" not in html.lower()
    assert not re.search(r"\son[a-z]+\s*=", html, re.I)  # no inline event handlers
    assert not re.search(r"\sstyle\s*=", html, re.I)  # style attributes would need 'unsafe-inline'
    # The one <style> block is allowed by its hash, so it must hash to exactly what the header says.
    (style,) = re.findall(r"<style>(.*?)</style>", html, re.S)
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    assert csp["style-src"] == [f"'sha256-{digest}'"]


RESPONSES = [
    ("GET", "/", 200), ("GET", "/fig/5_2?dpi=20", 200), ("GET", "/fig/5_2.svg?dpi=20", 200),
    ("GET", "/fig/5_2.pdf?dpi=20", 200), ("GET", "/healthz", 200), ("GET", "/readyz", 200),
    ("GET", "/metrics", 200), ("GET", "/openapi.json", 200), ("GET", "/fig/5_0", 400), ("GET", "/nope", 404),
    ("POST", "/", 405), ("GET", "/fig/5_2?size=40x40&dpi=600", 413), ("HEAD", "/fig/5_2?dpi=20", 200),
]


@pytest.mark.parametrize("method, url, status", RESPONSES)
def test_every_response_has_nosniff_and_a_request_id(client, method, url, status):
    response = client.open(url, method=method)
    assert response.status_code == status
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])


def test_server_errors_and_overload_have_nosniff_too():
    def broken(fig, p, rng):
        raise RuntimeError("bug")

    client = Client(create_app(registry=PlotRegistry([Plot("broken", draw=broken)])))
    assert client.get("/plot/broken.png").headers["X-Content-Type-Options"] == "nosniff"
    busy = create_app(pool_size=1, pool_timeout=0)
    with busy.pool.checkout("held", object):
        response = Client(busy).get("/fig/5_2?dpi=20")
    assert response.status_code == 503 and response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("request_id", ["<script>", "a b", "a\tb", "x" * 65, "é", "a;b", "a,b", ""])
def test_a_request_id_that_is_not_plain_is_replaced_not_echoed(client, request_id):
    response = client.get("/healthz", headers={"X-Request-Id": request_id})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])


def test_reflected_values_are_escaped_in_pages():
    def draw(fig, p, rng):
        ax = fig.add_subplot()
        ax.plot([0, 1], [0, p.x])

    evil = Plot("evil", [Param("x", float, 1.0, help='<b onmouseover="alert(1)">x</b>')], draw=draw,
                title="<script>alert(1)</script> $x", description="<img src=x onerror=alert(1)>")
    client = Client(create_app(registry=PlotRegistry([evil])))
    for url in ["/plot/evil?x=2&_=%22%3E%3Cscript%3E", "/", "/plots/"]:
        html = client.get(url).get_data(as_text=True)
        assert "<script" not in html and "<img src=x" not in html and "<b onmouseover" not in html, url
    # Shown as text, the title's template filled in.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 2" in client.get("/plot/evil?x=2").get_data(as_text=True)
    # A query value the page echoes (the cache buster "_" is passed on to image links) is URL-quoted.
    html = client.get("/plot/evil?x=2&_=%22%3E%3Cscript%3E").get_data(as_text=True)
    assert '"><script>' not in html


def test_error_bodies_reflect_input_only_as_inert_text(client):
    plain = client.get("/fig/%3Cscript%3E_2")
    assert plain.mimetype == "text/plain" and plain.headers["X-Content-Type-Options"] == "nosniff"
    json_error = client.get("/fig/%3Cscript%3E_2", headers={"Accept": "application/json"})
    assert json_error.mimetype == "application/json"
    assert "<script>" in json_error.get_json()["error"]["message"]  # data, never markup


def test_no_header_is_built_from_raw_input(client):
    response = client.get("/fig/5_2?dpi=20", headers={"X-Request-Id": "ok-id", "X-Evil": "v\u00e9"})
    for name, value in response.headers.items():
        assert re.fullmatch(r"[\x20-\x7e]*", value), (name, value)
    assert set(response.headers.keys()) == {
        "Content-Type", "Content-Length", "Server-Timing", "X-Content-Type-Options", "X-Request-Id",
        "Cache-Control", "Pragma", "Expires",
        "X-Accel-Expires",  # for a caching proxy: 0 here, an unseeded sample (nginx_cache.py)
    }


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_server_timing_has_draw_and_encode_milliseconds(client, fmt):
    header = client.get(f"/fig/5_2.{fmt}?dpi=20").headers["Server-Timing"]
    metrics = dict(re.fullmatch(r"\s*([a-z]+);dur=([0-9.]+)\s*", part).groups()  # type: ignore[union-attr, misc]
                   for part in header.split(","))  # a part that does not match fails the test (AttributeError)
    assert set(metrics) == {"checkout", "draw", "encode"}
    assert all(float(ms) >= 0 for ms in metrics.values()) and float(metrics["draw"]) > 0


def test_no_debugger_answers(client):
    """werkzeug's debugger serves a console and, for any URL with its key, its own script; neither is here."""
    assert client.get("/console").status_code == 404
    for url in ["/?__debugger__=yes&cmd=resource&f=debugger.js", "/healthz?__debugger__=yes&cmd=printpin&s=x"]:
        response = client.get(url)
        assert response.mimetype in ("text/html", "application/json"), url  # the page itself, not a script
        assert b"__debugger__" not in response.data and b"debugger.js" not in response.data


def test_slash_redirects_are_relative_and_do_not_echo_the_host(client):
    response = client.get("/plots", headers={"Host": "evil.example"})
    assert response.status_code == 308 and response.headers["Location"] == "/plots/"
    assert "evil" not in response.get_data(as_text=True) and response.mimetype == "text/plain"
    assert client.get(response.headers["Location"]).status_code == 200


def test_slash_redirect_does_not_copy_the_query():
    """The plot list takes no query, so the redirect drops it: a 4,000-character query stays out of Location."""
    response = Client(create_app()).get("/plots?" + "x" * 4000 + "&seed=1")
    assert response.status_code == 308 and response.headers["Location"] == "/plots/"
    assert len(response.get_data()) < 100


def test_a_host_that_idna_cannot_encode_is_a_400_naming_host_not_a_500(client):
    """werkzeug 3.1.0 raises BadHost while binding the URL map; later versions accept such a Host."""
    response = client.get("/fig/5_2?dpi=20", headers={"Host": "a\x80b"})
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert response.get_data(as_text=True) == "400 Bad Request: Host: not a valid host name\n"
