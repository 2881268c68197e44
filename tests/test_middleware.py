from werkzeug.test import Client

from wsgi_plot.web.middleware import NoCacheMiddleware


def caching_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("ETag", '"x"'), ("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
                              ("Cache-Control", "public, max-age=3600"), ("Expires", "Thu, 01 Jan 2099 00:00:00 GMT"),
                              ("Pragma", "cache"), ("X-Other", "kept")])
    return [b"hello"]


def test_strips_caching_headers_and_adds_no_store():
    response = Client(NoCacheMiddleware(caching_app)).get("/")
    assert response.data == b"hello"
    assert response.cache_control.no_store and response.cache_control.no_cache
    assert response.cache_control.must_revalidate and response.cache_control.max_age == 0
    assert response.headers.getlist("Cache-Control") == ["no-store, no-cache, must-revalidate, max-age=0"]
    assert response.headers.getlist("Pragma") == ["no-cache"]
    assert response.headers.getlist("Expires") == ["0"]
    assert "ETag" not in response.headers and "Last-Modified" not in response.headers
    assert response.headers["X-Other"] == "kept"


class ClosingIterable:
    def __init__(self):
        self.closed = False

    def __iter__(self):
        return iter([b"body"])

    def close(self):
        self.closed = True


def test_returns_the_wrapped_iterable_so_close_is_called():
    body = ClosingIterable()

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return body

    middleware = NoCacheMiddleware(app)
    result = middleware({"REQUEST_METHOD": "GET"}, lambda status, headers, exc_info=None: lambda data: None)
    assert result is body


def test_passes_exc_info_through():
    seen = {}

    def app(environ, start_response):
        try:
            raise ValueError("boom")
        except ValueError:
            import sys
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"x"]

    def start_response(status, headers, exc_info=None):
        seen["exc_info"] = exc_info

    NoCacheMiddleware(app)({}, start_response)
    assert seen["exc_info"][0] is ValueError
