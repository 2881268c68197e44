"""Property tests: arbitrary methods, paths, query strings and headers never break the app.

Every response is valid WSGI (``wsgiref.validate``), never a 5xx, never HTML for an error, and
a 4xx always names the parameter, the path or the method at fault.
"""

import json
import re
from urllib.parse import unquote
from wsgiref.validate import validator

import pytest
from hypothesis import HealthCheck, currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder, run_wsgi_app

from wsgi_plot import create_app
from wsgi_plot.core.errors import one_line

#: Small limits so that the requests which do render stay cheap on a 2-core machine.
APP = validator(create_app(max_dpi=60, default_dpi=20, max_pixels=60_000, max_points=500, pool_size=2,
                           max_animation_pixels=200_000))

PARAM_NAMES = ["n", "dpi", "size", "seed", "mean", "var", "bins", "steps", "step", "_", "format",
               "y", "x", "title", "marker", "grid", "labels", "values", "horizontal", "frames", "fps", "seconds"]
PREFIXES = ["/", "/fig/", "/normal/", "/plot/", "/plot/normal", "/plot/normal.", "/plot/histogram.", "/plots/",
            "/plot/random-walk", "/healthz", "/readyz", "/metrics", "/openapi.json", "//", "/fig/5_2",
            "/plot/line.png", "/plot/bar.svg", "/plot/line"]
NUMBERS = st.one_of(st.integers(-10**20, 10**20).map(str), st.floats(allow_nan=True).map(repr),
                    st.sampled_from(["", "0", "1", "2", "-1", "1e999", "nan", "inf", "0x10", "1_0", "4x3", "1x1",
                                     "60", "5_2", ".5", "+3", "１", "1,2,3", "1,,2", "a,b", "true", "on", "o",
                                     "$\\frac{1}{2}$", "$" * 30]))
# Printable text with the characters that matter in URLs, and beyond ASCII.
TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12)
URL_TEXT = st.one_of(TEXT, NUMBERS, st.sampled_from(["%", "%zz", "%2F", "..", ".png", ".svg", ".pdf", ".gif", "_"]))

SUFFIXES = st.sampled_from(["", ".png", ".svg", ".pdf", ".PDF", ".gif", ".apng", ".", "/"])
paths = st.one_of(
    st.builds(lambda prefix, parts: prefix + "".join(parts), st.sampled_from(PREFIXES), st.lists(URL_TEXT, max_size=3)),
    # Shaped like the routes, so that most examples reach parameter validation.
    st.builds("/fig/{}_{}{}".format, NUMBERS, NUMBERS, SUFFIXES),
    st.builds("/normal/{}_{}{}".format, NUMBERS, NUMBERS, SUFFIXES),
    st.builds("/plot/{}{}".format, st.sampled_from(["normal", "histogram", "random-walk", "line", "bar", "nope", ""]),
              SUFFIXES),
).filter(lambda p: "?" not in p and "#" not in p)
queries = st.lists(st.tuples(st.one_of(st.sampled_from(PARAM_NAMES), TEXT), st.one_of(NUMBERS, TEXT)),
                   max_size=5)
raw_queries = st.text(st.sampled_from("abnd=&;%+x0129._-é"), max_size=30)
# Mostly GET, so that most examples get past routing to the parameters.
methods = st.one_of(st.just("GET"), st.just("GET"), st.just("GET"),
                    st.sampled_from(["HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"]),
                    st.text(st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"), min_size=1, max_size=8))
HEADER_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_characters="\x7f"), max_size=40)
headers = st.dictionaries(
    st.one_of(st.sampled_from(["X-Request-Id", "Accept-Language", "Cookie", "Host", "X-Forwarded-For", "Referer",
                               "If-None-Match", "Range", "Content-Type"]),
              st.from_regex(r"X-[A-Za-z0-9-]{1,10}", fullmatch=True)),
    HEADER_VALUE, max_size=4)

#: 4xx bodies begin with the status, then what is at fault: a parameter, the path or the method.
_PLAIN_ERROR = re.compile(r"\A(\d{3}) [A-Za-z ]+: (.*)\n\Z", re.S)


def call(method, path, query, header_values, accept, data=None):
    # A path starting "//" reaches an app as it is (a server takes the request target as the path),
    # but EnvironBuilder reads it as a URL with a host ("//[" even fails to parse): set it as a server does.
    authority_like = path.startswith("//")
    builder = EnvironBuilder(method=method, path="/" if authority_like else path, query_string=query, data=data,
                             headers=Headers({**header_values, "Accept": accept}))
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    if authority_like:
        environ["PATH_INFO"] = unquote(path).encode().decode("latin-1")  # WSGI's bytes-as-latin-1
    app_iter, status, response_headers = run_wsgi_app(APP, environ)
    try:
        body = b"".join(app_iter)
    finally:
        app_iter.close()  # type: ignore[attr-defined]  # the validator's iterable: it checks that the server closes it
    return int(status.split()[0]), response_headers, body


def check(method, path, query, header_values, data=None):
    status, response_headers, body = call(method, path, query, header_values, "application/json", data)
    if currently_in_test_context():
        event(f"status {status}")  # --hypothesis-show-statistics: how many requests got how far
    assert status < 500, (status, body)
    assert response_headers["X-Content-Type-Options"] == "nosniff"
    for value in response_headers.values():
        assert re.fullmatch(r"[\x20-\x7e]*", value), value
    sent_id = header_values.get("X-Request-Id", "")
    if response_headers["X-Request-Id"] != sent_id:
        assert re.fullmatch(r"[0-9a-f]{32}", response_headers["X-Request-Id"])
    if 300 <= status < 400:  # built from the route, relative: never the client's Host
        assert response_headers["Location"].startswith("/") and not response_headers["Location"].startswith("//")
    if status >= 400:
        assert response_headers["Content-Type"] == "application/json"
        if method == "HEAD":  # no body to read; the GET twin is fuzzed too
            assert body == b""
            return
        error = json.loads(body)["error"]
        assert error["status"] == status and error["param"], error
        plain_status, plain_headers, plain = call(method, path, query, header_values, "text/plain", data)
        assert plain_status == status and plain_headers["Content-Type"].startswith("text/plain")
        match = _PLAIN_ERROR.match(plain.decode())
        assert match and match.group(1) == str(status), plain
        named = one_line(error["param"])  # the text body writes control characters as escapes
        assert match.group(2).startswith((named + ":", named + " ")), (error, plain)
        assert b"Traceback" not in plain


FUZZ = settings(max_examples=200, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# The validator warns about the environ, not the app, when a method is an extension method (any
# token is a valid HTTP method); the app must still answer it (405).
@pytest.mark.filterwarnings("ignore:Unknown REQUEST_METHOD:wsgiref.validate.WSGIWarning")
@FUZZ
@given(method=methods, path=paths, query=queries, header_values=headers)
def test_arbitrary_requests_get_valid_non_5xx_responses(method, path, query, header_values):
    check(method, path, query, header_values)


@FUZZ
@given(path=st.sampled_from(["/fig/5_2", "/plot/histogram.svg", "/normal/1_1", "/plot/random-walk"]),
       query=raw_queries)
def test_raw_query_strings(path, query):
    check("GET", path, query, {})


# JSON bodies for POST: any JSON value, objects shaped like the plots' parameters, and raw bytes.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=4), children, max_size=3),
    max_leaves=12)
PARAM_OBJECTS = st.dictionaries(st.sampled_from(PARAM_NAMES), st.one_of(
    JSON_VALUES, st.lists(st.floats(-1e6, 1e6) | st.integers(-10, 10), min_size=1, max_size=5),
    st.lists(st.text(max_size=5), min_size=1, max_size=5)), max_size=5)
bodies = st.one_of(PARAM_OBJECTS.map(lambda o: json.dumps(o).encode()), JSON_VALUES.map(lambda v: json.dumps(v).encode()),
                   st.binary(max_size=40))


@FUZZ
@given(path=st.sampled_from(["/plot/line.png", "/plot/bar.svg", "/plot/normal.png", "/plot/histogram.pdf",
                             "/plot/line", "/fig/5_2"]),
       query=st.sampled_from(["", "", "dpi=20", "y=1"]), data=bodies,
       content_type=st.sampled_from(["application/json", "application/json", "application/json; charset=utf-8",
                                     "text/plain", ""]))
def test_post_bodies(path, query, data, content_type):
    check("POST", path, query, {"Content-Type": content_type} if content_type else {}, data)


@pytest.mark.parametrize("path", ["//[", "//", "//plot/normal.png", "//évé]"])
def test_paths_that_look_like_a_host_reach_the_app_as_paths(path):
    """Found by the fuzzer: "//[" as a URL has a broken host; as a request target it is a path."""
    check("GET", path, "", {})
