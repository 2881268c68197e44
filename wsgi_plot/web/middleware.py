"""A WSGI middleware that stops browsers and proxies from caching any response.

It replaces the recipe's ``@nocache`` view decorator: it wraps any WSGI
application, not only wsgi_plot's, and works on the headers the wrapped
application sends, so the application needs no change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # typeshed's names for PEP 3333's parts (wsgiref.types from Python 3.11 on)
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: Headers that let a client reuse or revalidate a stored response.
CACHING_HEADERS = frozenset({"etag", "last-modified", "expires", "cache-control", "pragma"})

#: ``no-store`` alone forbids storing; the rest is for old HTTP/1.0 caches
#: and for clients that ignore ``no-store`` but honour ``max-age=0``.
NO_CACHE_HEADERS = (
    ("Cache-Control", "no-store, no-cache, must-revalidate, max-age=0"),
    ("Pragma", "no-cache"),
    ("Expires", "0"),
)


class NoCacheMiddleware:
    """Strip the wrapped app's caching headers and add ``no-store`` ones."""

    def __init__(self, app: WSGIApplication, headers: Iterable[tuple[str, str]] = NO_CACHE_HEADERS) -> None:
        self.app = app
        self.headers = list(headers)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def no_cache_start_response(status: str, headers: list[tuple[str, str]],
                                    exc_info: OptExcInfo | None = None) -> Callable[[bytes], object]:
            kept = [(name, value) for name, value in headers if name.lower() not in CACHING_HEADERS]
            return start_response(status, kept + self.headers, exc_info)

        # Returned untouched so the server still calls the iterable's close().
        return self.app(environ, no_cache_start_response)
