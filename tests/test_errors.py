"""Errors a client can read: plain text or JSON as Accept prefers, naming what was wrong, never a traceback."""

import logging

import pytest
from werkzeug.test import Client

from wsgi_plot import Plot, PlotRegistry, create_app

CASES = [  # and a part of the message that says what was wrong
    ("GET", "/fig/5_0", 400, "var", "var: must be > 0"),
    ("GET", "/fig/5_2?size=40x40&dpi=600", 413, "size", "exceeds the budget of 8000000 pixels"),
    ("GET", "/nope", 404, "path", "'/nope': no such page"),
    ("GET", "/plot/nope.png", 404, "path", "no plot of that name"),
    ("POST", "/fig/5_2", 405, "method", "'POST' not allowed"),
    ("DELETE", "/healthz", 405, "method", "'DELETE' not allowed"),
]


@pytest.fixture
def client(plain_client):
    return plain_client


@pytest.mark.parametrize("method, url, status, param, message", CASES)
def test_json_errors_name_the_status_message_and_param(client, method, url, status, param, message):
    response = client.open(url, method=method, headers={"Accept": "application/json"})
    assert response.status_code == status and response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert set(error) == {"status", "message", "param"}
    assert (error["status"], error["param"]) == (status, param)
    assert message in error["message"]


@pytest.mark.parametrize("accept, mimetype", [
    (None, "text/plain"),
    ("*/*", "text/plain"),
    ("text/html", "text/plain"),  # never HTML: nothing in an error is markup
    ("application/json", "application/json"),
    ("application/json, text/plain;q=0.5", "application/json"),
    ("text/plain, application/json;q=0.9", "text/plain"),
    ("application/*", "application/json"),
    ("image/png", "text/plain"),
])
def test_the_error_format_follows_accept(client, accept, mimetype):
    headers = {"Accept": accept} if accept else {}
    response = client.get("/fig/5_0", headers=headers)
    assert response.status_code == 400 and response.mimetype == mimetype
    assert response.vary.as_set() == {"accept"}  # a cache in between must not hand JSON to a text client


@pytest.mark.parametrize("path", ["/nope", "/plot/line.png?y=x", "/plot/nope.png"])
def test_every_negotiated_error_says_it_varies_by_accept(client, path):
    response = client.get(path)
    assert response.status_code in (400, 404) and response.vary.as_set() == {"accept"}


def broken_client():
    def broken(fig, p, rng):
        raise RuntimeError("plot bug with secret details")

    return Client(create_app(registry=PlotRegistry([Plot("broken", draw=broken)])))


@pytest.mark.parametrize("accept", ["text/plain", "application/json"])
def test_server_errors_show_no_traceback_and_are_logged_with_path_and_request_id(caplog, accept):
    caplog.set_level(logging.ERROR, "wsgi_plot")
    response = broken_client().get("/plot/broken.png?dpi=20", headers={"Accept": accept})
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Traceback" not in body and "secret" not in body and "RuntimeError" not in body
    request_id = response.headers["X-Request-Id"]
    assert len(request_id) == 32  # generated, since the client sent none
    (record,) = [r for r in caplog.records if r.name == "wsgi_plot"]
    assert "/plot/broken.png" in record.getMessage() and request_id in record.getMessage()
    assert record.exc_info  # the traceback goes to the log


def test_a_request_id_from_the_client_is_kept_when_it_is_plain(client):
    assert client.get("/healthz", headers={"X-Request-Id": "lb-7.a_b"}).headers["X-Request-Id"] == "lb-7.a_b"


def test_a_query_parameter_without_a_name_is_named_query(client):
    response = client.get("/fig/5_2?=1", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["param"] == "query"


@pytest.mark.parametrize("name", ["a\r\nb", "a\x00b", "a\u2028b", "a\x1b[31mb"])
def test_a_text_error_is_one_line_with_control_characters_escaped(client, name):
    from urllib.parse import quote

    response = client.get(f"/plot/normal.png?{quote(name)}=1")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert text.endswith("\n") and text.count("\n") == 1 and "\r" not in text and "\u2028" not in text
    assert text.isprintable() or text[:-1].isprintable()
    assert name.encode("unicode_escape").decode("ascii") in text  # the name as escapes, still readable


@pytest.mark.parametrize("accept", ["text/plain", "application/json"])
def test_a_capacity_503_sends_retry_after_once(accept):
    """werkzeug's 503 adds Retry-After itself; the error response added it a second time."""
    app = create_app(max_streams=0)
    response = Client(app).get("/plot/normal.stream", environ_overrides={"wsgi.multithread": True},
                               headers={"Accept": accept})
    assert response.status_code == 503
    assert response.headers.getlist("Retry-After") == ["5"]
