"""wsgi_plot without its no-cache middleware, sent with a one-hour max-age.

The control case for tests/test_browser.py: served this way, the browser must
reuse the cached image, which shows that the test would see caching if it happened.
"""

from wsgi_plot import PlotApp, Settings, default_registry


class OneHourCache:
    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        def cacheable_start_response(status, headers, exc_info=None):
            return start_response(status, headers + [("Cache-Control", "max-age=3600")], exc_info)

        return self.app(environ, cacheable_start_response)


app = OneHourCache(PlotApp(default_registry(), Settings()).wsgi_app)  # wsgi_app: the app without its middleware
