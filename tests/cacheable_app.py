"""wsgi_plot without its no-cache middleware, sent with a one-hour max-age.

The control case for tests/test_browser.py: served this way, the browser must
reuse the cached image, which shows that the test would see caching if it happened.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from wsgi_plot import PlotApp, Settings, default_registry

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class OneHourCache:
    def __init__(self, app: WSGIApplication) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        def cacheable_start_response(status: str, headers: list[tuple[str, str]],
                                     exc_info: OptExcInfo | None = None) -> Callable[[bytes], object]:
            return start_response(status, headers + [("Cache-Control", "max-age=3600")], exc_info)

        return self.app(environ, cacheable_start_response)


app = OneHourCache(PlotApp(default_registry(), Settings()).wsgi_app)  # wsgi_app: the app without its middleware
