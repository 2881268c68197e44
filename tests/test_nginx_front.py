"""What deploy/nginx.conf answers itself, and what it passes on: its error pages in the service's
format, its paced refusals, operations endpoints for internal addresses only, the headers an
instance sees."""

import http.client
import json
import socket
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path

import pytest

from . import servers
from .http_checks import NO_STORE, exchange, get
from .servers import config_for

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def front(nginx_executable):
    """nginx from deploy/nginx.conf in front of one gunicorn; yields nginx's port."""
    with tempfile.TemporaryDirectory(prefix="wsgi_plot-nginx-") as directory:  # see conftest.nginx_prefix
        prefix = Path(directory)
        prefix.chmod(0o755)
        listen, backend = servers.free_port(), servers.free_port()
        with servers.gunicorn(port=backend, workers=1, log_path=prefix / "gunicorn.log"), \
                servers.nginx(nginx_executable, config_for(listen, [backend]), prefix, listen):
            yield listen


def assert_service_error(status, headers, body, expected_status, json_body=False):
    assert status == expected_status
    for name, value in NO_STORE.items():
        assert headers.get(name) == value, (name, headers)
    text = body.decode()
    assert "<" not in text and text.endswith("\n") and text.count("\n") == 1, text
    if json_body:
        assert headers["content-type"] == "application/json"
        error = json.loads(text)["error"]
        assert error["status"] == expected_status and error["message"]
        return error
    assert headers["content-type"].startswith("text/plain")
    assert text.startswith(f"{expected_status} ")
    return text


# -- operations endpoints -------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/metrics", "/readyz"])
def test_operations_endpoints_answer_internal_addresses_only(front, path):
    status, headers, body = get(front, path, source="127.0.0.1")
    assert status == 200 and headers["x-upstream"]
    assert b"wsgi_plot_requests_total" in body if path == "/metrics" else json.loads(body)["versions"]

    text = assert_service_error(*get(front, path, source="127.0.0.2"), 404)
    assert text == "404 Not Found: path: no such page\n"
    error = assert_service_error(*get(front, path, source="127.0.0.2", accept="application/json"), 404, json_body=True)
    assert error == {"status": 404, "message": "path: no such page", "param": "path"}
    assert "x-upstream" not in get(front, path, source="127.0.0.2")[1]  # no instance was asked


@pytest.mark.parametrize("path", ["/metrics?x=1", "/readyz/", "//metrics", "/%6Detrics"])
def test_other_spellings_do_not_reach_them_from_outside(front, path):
    status, _, body = get(front, path, source="127.0.0.2")
    assert status in (400, 404) and b"wsgi_plot_" not in body and b"versions" not in body, (path, status)


def test_healthz_and_the_service_answer_anyone(front):
    status, _, body = get(front, "/healthz", source="127.0.0.2")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    status, headers, body = get(front, "/fig/5_2?dpi=20", source="127.0.0.2")
    assert status == 200 and body.startswith(b"\x89PNG")


# -- errors nginx makes itself --------------------------------------------------------------


def request_line_of(length: int) -> bytes:
    """A GET whose request line (without CRLF) is ``length`` bytes: a long unknown parameter."""
    fixed = len("GET /fig/5_2?a= HTTP/1.0")
    return b"GET /fig/5_2?a=" + b"a" * (length - fixed) + b" HTTP/1.0\r\n\r\n"


def test_a_request_line_too_long_for_gunicorn_is_refused_by_nginx_in_the_service_format(front):
    # gunicorn's limit is 4094 bytes; nginx (large_client_header_buffers 4k) passes no more.
    status, headers, body = exchange(front, request_line_of(4094))
    assert status == 400 and b"a: " in body and "x-request-id" in headers  # the app's own answer
    text = assert_service_error(*exchange(front, request_line_of(4095)), 414)
    assert text == "414 Request-URI Too Large: path: the request line is too long\n"
    assert_service_error(*exchange(front, request_line_of(20000)), 414)


@pytest.mark.parametrize("request_bytes, expected", [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /fig/5_2 HTTP/1.1\r\n\r\n", 400),  # HTTP/1.1 without Host
    (b"GET /fig/5_2 HTTP/1.0\r\nX-Big: " + b"b" * 5000 + b"\r\n\r\n", 400),  # a header line over 4 kB
    (b"GET /fig/5_2 HTTP/1.0\r\nBad Header\r\n\r\n", 400),
    (b"POST /plot/line.png HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n", 413),
])
def test_malformed_requests_get_the_service_format(front, request_bytes, expected):
    assert_service_error(*exchange(front, request_bytes), expected)


def test_json_when_asked(front):
    request = b"GET /fig/5_2 HTTP/1.0\r\nAccept: application/json\r\nX-Big: " + b"b" * 5000 + b"\r\n\r\n"
    error = assert_service_error(*exchange(front, request), 400, json_body=True)
    assert error == {"status": 400, "message": "the request is malformed", "param": None}


def test_the_apps_own_errors_pass_through_unchanged(front):
    status, headers, body = get(front, "/fig/5_0")
    assert status == 400 and body == b"400 Bad Request: var: must be > 0, got 0\n" and "x-request-id" in headers
    status, headers, body = exchange(front, b"POST /fig/5_2 HTTP/1.0\r\n\r\n")
    assert status == 405 and set(headers["allow"].split(", ")) == {"GET", "HEAD"}


def test_a_posted_json_body_reaches_the_app(front):
    body = json.dumps({"y": [3, 1, 4, 1, 5], "dpi": 30}).encode()
    request = (b"POST /plot/line.png HTTP/1.0\r\nContent-Type: application/json\r\n"
               b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    status, headers, posted = exchange(front, request)
    assert status == 200 and headers["content-type"] == "image/png"
    assert posted == get(front, "/plot/line.png?y=3,1,4,1,5&dpi=30")[2]  # the same image as the GET
    status, _, body = exchange(front, b"POST /plot/line.png HTTP/1.0\r\nContent-Type: text/plain\r\n"
                                      b"Content-Length: 2\r\n\r\n{}")
    assert status == 415 and body.startswith(b"415 Unsupported Media Type: body:")  # the app's own answer


def test_hundreds_of_headers_never_reach_gunicorns_limit(front):
    # gunicorn refuses over 100 header fields with its own HTML page; nginx passes on only those the app reads.
    headers = "".join(f"X-Extra-{i}: {i}\r\n" for i in range(300))
    status, _, body = exchange(front, f"GET /fig/5_2?dpi=20 HTTP/1.0\r\n{headers}\r\n".encode())
    assert status == 200 and body.startswith(b"\x89PNG")


# -- what an instance sees --------------------------------------------------------------------


def echo_headers(environ, start_response):
    """A stand-in instance: answers with the request headers it received, as JSON."""
    seen = {key[5:].replace("_", "-").lower(): value for key, value in environ.items() if key.startswith("HTTP_")}
    seen["received-at"] = time.time()
    body = json.dumps(seen).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def test_the_instance_gets_the_headers_it_reads_and_a_request_start_in_milliseconds(nginx_executable, nginx_prefix):
    with servers.threaded_server(echo_headers) as backend:
        listen = servers.free_port()
        with servers.nginx(nginx_executable, config_for(listen, [int(backend.rsplit(":", 1)[1])]), nginx_prefix, listen):
            request = (b"GET /fig/5_2 HTTP/1.1\r\nHost: example.org\r\nAccept: application/json\r\n"
                       b"X-Request-Id: abc-1\r\nUser-Agent: test\r\nCookie: secret=1\r\nX-Junk: 1\r\n"
                       b"X-Request-Start: t=1\r\nConnection: close\r\n\r\n")
            status, _, body = exchange(listen, request)
    assert status == 200
    seen = json.loads(body)
    assert seen["host"] == "example.org" and seen["accept"] == "application/json"
    assert seen["x-request-id"] == "abc-1" and seen["user-agent"] == "test"
    assert seen["x-forwarded-for"] == "127.0.0.1" and seen["x-forwarded-proto"] == "http"
    assert "cookie" not in seen and "x-junk" not in seen
    start = seen["x-request-start"]  # nginx's own stamp, not the client's
    assert start.startswith("t=") and start[2:].isdigit() and len(start) == 15
    assert abs(int(start[2:]) / 1000 - seen["received-at"]) < 5


def test_with_every_instance_down_requests_get_503_and_probes_fail(nginx_executable, nginx_prefix):
    listen = servers.free_port()
    instance: AbstractContextManager[str] | None
    instance = servers.threaded_server(echo_headers)  # up while nginx starts (it waits for a 200), then gone
    port = int(instance.__enter__().rsplit(":", 1)[1])
    try:
        with servers.nginx(nginx_executable, config_for(listen, [port]), nginx_prefix, listen):
            instance.__exit__(None, None, None)
            instance = None
            shed = get(listen, "/fig/5_2")
            probe = get(listen, "/healthz", accept="application/json")
    finally:
        if instance is not None:
            instance.__exit__(None, None, None)
    text = assert_service_error(*shed, 503)
    assert text == "503 Service Unavailable: no instance can take this request now; retry shortly\n"
    assert shed[1]["retry-after"] == "1"
    error = assert_service_error(*probe, 502, json_body=True)
    assert error == {"status": 502, "message": "no instance could answer; retry shortly", "param": None}


def test_refusals_to_a_connection_that_asks_again_at_once_are_paced(nginx_executable, nginx_prefix):
    """deploy/nginx.conf's limit_req_zone wsgi_plot_refusals: at most 4 refusals a second per connection."""
    listen = servers.free_port()
    instance: AbstractContextManager[str] | None
    instance = servers.threaded_server(echo_headers)
    port = int(instance.__enter__().rsplit(":", 1)[1])
    answers = []
    try:
        with servers.nginx(nginx_executable, config_for(listen, [port]), nginx_prefix, listen):
            instance.__exit__(None, None, None)
            instance = None
            for _ in range(2):  # two connections, each asking four times in a row
                connection = http.client.HTTPConnection("127.0.0.1", listen, timeout=30)
                for _ in range(4):
                    started = time.monotonic()
                    connection.request("GET", "/fig/5_2", headers={"Accept": "application/json"})
                    response = connection.getresponse()
                    answers.append((response.status, response.getheader("Retry-After"), json.loads(response.read()),
                                    time.monotonic() - started, connection.sock is not None))
                connection.close()
            error_log = (nginx_prefix / "logs" / "error.log").read_text()
    finally:
        if instance is not None:
            instance.__exit__(None, None, None)
    assert all(status == 503 and retry_after == "1" and still_open for status, retry_after, _, _, still_open in answers)
    assert all(body["error"]["status"] == 503 for _, _, body, _, _ in answers)
    waits = [seconds for *_, seconds, _ in answers]
    # Each connection's first refusal at once; the three after it 1/4 s apart (a lower bound: a
    # busy machine only makes them later).
    assert waits[0] < 0.2 and waits[4] < 0.2, waits
    assert all(wait >= 0.2 for wait in waits[1:4] + waits[5:8]), waits
    assert "by zone" not in error_log, error_log  # pacing is not logged as an error (limit_req_log_level)


# -- fairness: per-client limits, what clients see -------------------------------------------------


def test_one_address_past_its_rate_gets_429_with_retry_after_while_others_are_served(front):
    answers = [get(front, "/no-such-page", source="127.0.0.3") for _ in range(80)]  # as fast as it can
    statuses = [status for status, _, _ in answers]
    assert set(statuses) == {404, 429} and statuses[:40] == [404] * 40  # the burst of 40 passes
    refused = next(answer for answer in answers if answer[0] == 429)
    text = assert_service_error(*refused, 429)
    assert text == "429 Too Many Requests: too many requests from this address at once; retry shortly\n"
    assert refused[1]["retry-after"] == "1" and refused[1]["vary"] == "Accept"
    assert get(front, "/no-such-page", source="127.0.0.4")[0] == 404  # another address: served
    assert get(front, "/no-such-page", source="127.0.0.1")[0] == 404  # an operator's: never limited
    assert get(front, "/healthz", source="127.0.0.3")[0] == 200  # liveness is never limited


def test_a_heavy_post_at_a_time_per_address(front):
    """A body of 100 kB or more (seconds of drawing) holds one slot per address: a second one from
    the same address while the first is being sent is refused at once; a small one is served."""
    body = json.dumps({"y": [round(0.001 * i, 3) for i in range(25_000)], "dpi": 20}).encode()
    assert len(body) >= 100_000
    head = (b"POST /plot/line.png HTTP/1.0\r\nContent-Type: application/json\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    with socket.create_connection(("127.0.0.1", front), timeout=30, source_address=("127.0.0.5", 0)) as first:
        first.sendall(head + body[:1000])  # its head is in, its body on the way
        time.sleep(0.2)
        status, headers, _ = exchange(front, head + body, source="127.0.0.5")
        assert status == 429 and headers["retry-after"] == "1"
        small = json.dumps({"y": [1, 2, 3], "dpi": 20}).encode()
        assert exchange(front, b"POST /plot/line.png HTTP/1.0\r\nContent-Type: application/json\r\n"
                               b"Content-Length: " + str(len(small)).encode() + b"\r\n\r\n" + small,
                        source="127.0.0.5")[0] == 200
        assert exchange(front, head + body, source="127.0.0.6")[0] == 200  # another address
        first.sendall(body[1000:])
        answer = b""
        while chunk := first.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_clients_never_see_which_instance_answered_nor_the_cache_key_but_operators_do(front):
    for path in ["/plot/line.png?y=1,2&dpi=20", "/normal/5_2", "/healthz"]:
        _, headers, _ = get(front, path, source="127.0.0.2")
        assert "x-upstream" not in headers and "x-cache-key" not in headers, (path, headers)
    _, headers, _ = get(front, "/plot/line.png?y=1,3&dpi=20", source="127.0.0.1")  # drawn: an instance answered
    assert headers["x-upstream"] and len(headers["x-cache-key"]) == 64


def test_nginx_s_own_errors_vary_by_accept(front):
    _, headers, _ = get(front, "/metrics", source="127.0.0.2")
    assert headers["vary"] == "Accept"


def test_the_longest_accepted_url_fits_the_cache_key_buffer(nginx_executable, nginx_prefix):
    with servers.gunicorn(workers=1, log_path=nginx_prefix / "gunicorn.log") as server:
        listen = servers.free_port()
        backend = int(server.base_url.rsplit(":", 1)[1])
        with servers.nginx(nginx_executable, config_for(listen, [backend]), nginx_prefix, listen):
            numbers = ",".join(["1.5"] * 990)  # a request line just under the 4 kB nginx accepts
            path = f"/plot/line.png?dpi=20&y={numbers}"
            assert 3900 < len(f"GET {path} HTTP/1.0") < 4096
            assert get(front_port := listen, path)[0] == 200
            assert get(front_port, path)[0] == 200
    error_log = (nginx_prefix / "logs" / "error.log").read_text()
    assert "not enough for cache key" not in error_log, error_log[-2000:]
