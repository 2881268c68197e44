"""POST /plot/NAME.FMT with a JSON body: the same image as the GET, and every way a body can be wrong.

In-process with werkzeug's test client, then against real gunicorn over loopback sockets: the
413 must come while most of a 100 MiB body is still unsent.
"""

import gzip
import io
import json
import socket
import time

import pytest
from werkzeug.test import Client, EnvironBuilder, run_wsgi_app

from wsgi_plot import create_app

from . import servers
from .conftest import decode_png

NO_CACHE = "no-store, no-cache, must-revalidate, max-age=0"
SAME = [
    ("line", "png", "y=3,1,4,1,5,9&x=0,1,2,3,4,5.5&title=%24x%24&marker=s&grid=on&dpi=50&size=5x3",
     {"y": [3, 1, 4, 1, 5, 9], "x": [0, 1, 2, 3, 4, 5.5], "title": "$x$", "marker": "s", "grid": True, "dpi": 50,
      "size": "5x3"}),
    ("bar", "svg", "labels=a,b,c&values=3,1,2&horizontal=yes", {"labels": ["a", "b", "c"], "values": [3, 1, 2],
                                                                  "horizontal": True}),
    ("bar", "pdf", "labels=x&values=-1.5", {"labels": ["x"], "values": [-1.5]}),
    ("normal", "png", "mean=5&var=2&n=30&seed=7&dpi=40", {"mean": 5, "var": 2, "n": 30, "seed": 7, "dpi": 40}),
]


@pytest.fixture(scope="module")
def client():
    return Client(create_app(pool_size=2, max_body_bytes=10_000))


@pytest.mark.parametrize("name, fmt, query, body", SAME, ids=[f"{n}.{f}" for n, f, _, _ in SAME])
def test_post_gives_the_same_bytes_as_get(client, name, fmt, query, body):
    get = client.get(f"/plot/{name}.{fmt}?{query}")
    post = client.post(f"/plot/{name}.{fmt}", json=body)
    assert get.status_code == post.status_code == 200, post.data
    assert post.data == get.data and post.mimetype == get.mimetype
    assert post.headers["Cache-Control"] == NO_CACHE and "ETag" not in post.headers
    assert client.post(f"/plot/{name}.{fmt}", json=body).data == post.data  # deterministic
    if fmt == "png":
        decode_png(post.data)


def error(response):
    return response.status_code, response.get_json()["error"]["param"], response.get_json()["error"]["message"]


def post(client, path="/plot/line.png", data=b"", content_type="application/json", **kwargs):
    return client.post(path, data=data, content_type=content_type, headers={"Accept": "application/json"}, **kwargs)


@pytest.mark.parametrize("data, param, message", [
    (b"", "body", "not valid JSON"),
    (b"{", "body", "not valid JSON"),
    (b"[1, 2]", "body", "must be a JSON object"),
    (b'"y"', "body", "must be a JSON object"),
    (b"\xff\xfe", "body", "not UTF-8"),
    (b'{"y": [1, NaN]}', "body", "NaN is not a number JSON allows"),
    (b'{"y": [Infinity]}', "body", "Infinity"),
    (b'{"y": [1e999]}', "y", "item 1: is too large"),
    (b'{"y": [1], "y": [2]}', "body", "'y' given more than once"),
    (b'{"y": null}', "y", "is null"),
    (b'{"": 1, "y": [1]}', "body", "a key is empty"),
    (b'{"y": [1], "colour": "red"}', "colour", "unknown parameter"),
    (b'{"y": "1,2"}', "y", "expected an array"),
    (b'{"y": [1, "2"]}', "y", "item 2: expected a number"),
    (b'{"y": [1, true]}', "y", "item 2: expected a number, got JSON boolean"),
    (b'{"y": [1], "grid": "yes"}', "grid", "expected true or false"),
    (b'{"y": [1], "marker": "x"}', "marker", "choose one of none, o, s"),
    (b'{"y": [1], "dpi": "50"}', "dpi", "expected a whole number"),
    (b'{"y": [1], "dpi": 50.0}', "dpi", "expected a whole number"),
    (b'{"y": [1], "size": [4, 3]}', "size", "WIDTHxHEIGHT"),
    (b'{"y": [1, 2], "x": [1]}', "y", "y has 2 values, but x has 1"),
    (b'{"x": [1]}', "y", "is required"),
    (b"[" * 100_000 + b"]" * 100_000, "body", "is nested too deeply"),
    (b'{"y": [' + b"1" * 5000 + b"]}", "body", "not valid JSON"),  # past Python's int digit limit
])
def test_bad_bodies_get_400_naming_what_is_wrong(data, param, message):
    response = post(Client(create_app(max_body_bytes=300_000)), data=data)
    status, named, text = error(response)
    assert (status, named) == (400, param) and message in text, text


def test_query_and_body_together_is_400(client):
    assert error(post(client, "/plot/line.png?dpi=50", data=b'{"y": [1]}'))[:2] == (400, "query")


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/jsonx",
                                          "multipart/form-data; boundary=x", None])
def test_other_content_types_are_415(client, content_type):
    response = post(client, data=b'{"y": [1]}', content_type=content_type)
    assert error(response)[:2] == (415, "body")


def test_charset_parameter_is_fine(client):
    assert post(client, data=b'{"y": [1, 2]}', content_type="application/json; charset=utf-8").status_code == 200


class CountingInput(io.BytesIO):
    """A request body that counts the bytes read from it."""

    bytes_read = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def counting_input(data: bytes) -> CountingInput:
    return CountingInput(data)


def raw_post(app, body_stream, headers, chunked=False):
    builder = EnvironBuilder(method="POST", path="/plot/line.png", headers=headers)
    environ = builder.get_environ()
    builder.close()
    environ["wsgi.input"] = body_stream
    environ["CONTENT_LENGTH"] = headers.get("Content-Length", "")
    if chunked:  # as gunicorn passes a chunked body: no length, input terminated
        environ.pop("CONTENT_LENGTH", None)
        environ["wsgi.input_terminated"] = True
    app_iter, status, response_headers = run_wsgi_app(app, environ)
    body = b"".join(app_iter)
    app_iter.close()  # type: ignore[attr-defined]  # wsgi_plot's iterables have close(), which a server calls
    return int(status.split()[0]), body


def test_413_before_reading_a_body_whose_length_is_over_the_limit():
    app = create_app(max_body_bytes=1000)
    stream = counting_input(b"x" * 5000)
    status, body = raw_post(app, stream, {"Content-Type": "application/json", "Content-Length": str(100 * 2**20)})
    assert status == 413 and b"body: larger than the limit of 1000 bytes" in body
    assert stream.bytes_read == 0


def test_a_chunked_body_is_read_only_up_to_the_limit():
    app = create_app(max_body_bytes=1000)
    stream = counting_input(b"x" * 50_000)
    status, body = raw_post(app, stream, {"Content-Type": "application/json"}, chunked=True)
    assert status == 413 and stream.bytes_read <= 1001 + 64 * 1024  # werkzeug may read one buffer ahead


def test_body_at_the_limit_is_read_and_one_byte_more_is_413():
    body = json.dumps({"y": [1, 2, 3]}).encode()
    at_limit = Client(create_app(max_body_bytes=len(body)))
    assert post(at_limit, data=body).status_code == 200
    assert error(post(Client(create_app(max_body_bytes=len(body) - 1)), data=body))[:2] == (413, "body")


@pytest.mark.parametrize("path", ["/", "/plots/", "/plot/line", "/fig/5_2", "/fig/5_2.png", "/normal/5_2",
                                  "/openapi.json", "/healthz", "/readyz", "/metrics"])
def test_every_other_route_stays_get_and_head(client, path):
    response = post(client, path, data=b'{"y": [1]}')
    assert response.status_code == 405 and set(response.allow) == {"GET", "HEAD"}
    assert response.get_json()["error"]["param"] == "method"


def test_image_routes_allow_post(client):
    response = client.put("/plot/line.png", data=b"{}")
    assert response.status_code == 405 and set(response.allow) == {"GET", "HEAD", "POST"}


def test_openapi_documents_the_body(client):
    doc = client.get("/openapi.json").get_json()
    operation = doc["paths"]["/plot/line.png"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["y"] and schema["additionalProperties"] is False
    one, several = schema["properties"]["y"]["anyOf"]  # one series, or an array of them
    assert one["type"] == "array" and one["maxItems"] == 1_000_000
    assert several["items"] == one and several["maxItems"] == 10  # max_series
    assert schema["properties"]["grid"] == {"type": "boolean", "default": False, "description": "grid lines"}
    assert schema["properties"]["marker"]["enum"] == ["none", "o", "s", "^", "."]
    assert schema["properties"]["dpi"]["type"] == "integer"
    assert set(operation["responses"]) == {"200", "400", "404", "413", "415", "503"}
    assert "10000 bytes" in operation["requestBody"]["description"]
    query = {p["name"]: p for p in doc["paths"]["/plot/line.png"]["get"]["parameters"]}
    assert query["y"]["required"] is True and query["y"]["style"] == "form" and query["y"]["explode"] is True  # y repeated
    assert query["x"]["style"] == "form" and query["x"]["explode"] is False  # comma-separated
    assert query["title"]["schema"]["maxLength"] == 80


# -- real gunicorn --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with servers.gunicorn(workers=2, log_path=log) as proc:
        yield proc


def http(base_url, method, path, body=b"", headers=()):
    """One request over a raw socket: (status, headers, body)."""
    port = int(base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
                f"Content-Length: {len(body)}", *headers]
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        return read_response(sock)


def read_response(sock):
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:  # the server closed with our unread body in its buffer: RST after its answer
            if not data:
                raise
            break
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


@pytest.mark.server
def test_gunicorn_post_gives_the_same_bytes_as_get(gunicorn):
    for name, fmt, query, body in SAME:
        status, get_headers, get = http(gunicorn.base_url, "GET", f"/plot/{name}.{fmt}?{query}")
        status_post, headers, posted = http(gunicorn.base_url, "POST", f"/plot/{name}.{fmt}", json.dumps(body).encode(),
                                            ["Content-Type: application/json"])
        assert status == status_post == 200 and posted == get, name
        assert headers["cache-control"] == NO_CACHE and headers["content-type"] == get_headers["content-type"]


@pytest.mark.server
def test_gunicorn_413_without_reading_a_100_mib_body(gunicorn):
    port = int(gunicorn.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        head = ("POST /plot/line.png HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                f"Content-Length: {100 * 2**20}\r\n\r\n").encode()
        sock.sendall(head + b'{"y": [' + b"1," * 32_768)  # 64 KiB of the promised 100 MiB
        started = time.monotonic()
        status, headers, body = read_response(sock)
    assert status == 413 and b"body: larger than the limit of 1048576 bytes" in body
    assert headers["cache-control"] == NO_CACHE
    assert time.monotonic() - started < 25  # answered, not waiting for the rest of the body (socket timeout 30 s)


@pytest.mark.parametrize("method, path, body, headers, status", [
    ("POST", "/plot/line.png", b'{"y": [1]}', ["Content-Type: text/plain"], 415),
    ("POST", "/plot/line.png", b"{not json", ["Content-Type: application/json"], 400),
    ("POST", "/plot/line.png", b'{"y": [1], "z": 1}', ["Content-Type: application/json"], 400),
    ("POST", "/plot/line.png?dpi=50", b'{"y": [1]}', ["Content-Type: application/json"], 400),
    ("POST", "/fig/5_2", b"{}", ["Content-Type: application/json"], 405),
    ("POST", "/plot/line", b"{}", ["Content-Type: application/json"], 405),
])
@pytest.mark.server
def test_gunicorn_post_errors(gunicorn, method, path, body, headers, status):
    got, response_headers, text = http(gunicorn.base_url, method, path, body, headers + ["Accept: application/json"])
    assert got == status, text
    error = json.loads(text)["error"]
    assert error["status"] == status and error["param"] in ("body", "z", "query", "method")
    if status == 405:
        assert set(response_headers["allow"].split(", ")) == {"GET", "HEAD"}


def raw_exchange(base_url, head: str, body: bytes, half_close: bool) -> tuple[int, dict, bytes]:
    """Send ``head`` and ``body`` as they are, half-close if asked, and read the answer."""
    port = int(base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode() + body)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        return read_response(sock)


_HEAD = "POST /plot/line.png HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nAccept: application/json\r\n"


_GZIPPED = gzip.compress(b'{"y": [1]}', mtime=0)


@pytest.mark.parametrize("extra_head, body, half_close, status, message", [
    ("Transfer-Encoding: chunked\r\n", b"zz\r\n{}\r\n0\r\n\r\n", False, 400, "could not be read"),
    ("Transfer-Encoding: chunked\r\n", b'a\r\n{"y": [1]}XX0\r\n\r\n', False, 400, "could not be read"),
    ("Transfer-Encoding: chunked\r\n", b'20\r\n{"y": [1', True, 400, "could not be read"),
    ("Content-Length: 100\r\n", b'{"y": [1]}', True, 400, "ended after 10 of the 100 bytes"),
    (f"Content-Length: {len(_GZIPPED)}\r\nContent-Encoding: gzip\r\n", _GZIPPED, False, 415,
     "Content-Encoding 'gzip' is not accepted"),
    (f"Content-Length: {len(_GZIPPED)}\r\n", _GZIPPED, False, 415, "gzip-compressed"),
], ids=["chunk-size-zz", "no-crlf-after-chunk", "chunked-cut-short", "content-length-cut-short", "content-encoding",
        "gzip-without-header"])
@pytest.mark.server
def test_gunicorn_a_malformed_or_short_body_is_4xx_naming_body(gunicorn, extra_head, body, half_close, status, message):
    status_got, headers, text = raw_exchange(gunicorn.base_url, _HEAD + extra_head + "Connection: close\r\n\r\n", body,
                                             half_close)
    assert status_got == status, text
    error = json.loads(text)["error"]
    assert error["param"] == "body" and message in error["message"]
