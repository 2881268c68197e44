"""wsgi_plot mounted at /plots inside a plain werkzeug application.

    gunicorn -c gunicorn.conf.py examples.werkzeug_host:app

then open http://127.0.0.1:8000/ (the host) and http://127.0.0.1:8000/plots/normal/5_2
(wsgi_plot). The host's own responses keep their caching headers: the no-cache
middleware wraps only the mounted wsgi_plot app.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.exceptions import HTTPException
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

import wsgi_plot

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

#: Where wsgi_plot lives inside the host.
PLOTS_PREFIX = "/plots"


class HostApp:
    """A stand-in for an existing site: a home page and a cacheable JSON status."""

    def __init__(self) -> None:
        self.url_map = Map([Rule("/", endpoint="home"), Rule("/status.json", endpoint="status")])

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request(environ)
        adapter = self.url_map.bind_to_environ(environ)
        try:
            endpoint, values = adapter.match()
            response = getattr(self, f"on_{endpoint}")(request, **values)
        except HTTPException as exc:
            response = exc
        return response(environ, start_response)

    def on_home(self, request: Request) -> Response:
        # script_root keeps the link right if the host itself is mounted under a prefix.
        plots = request.script_root + PLOTS_PREFIX
        return Response(
            f"<!doctype html><title>host</title><h1>The host site</h1>"
            f'<p><a id="plot" href="{plots}/normal/5_2">a plot</a> &middot; <a href="{plots}/">all plots</a></p>',
            mimetype="text/html",
        )

    def on_status(self, request: Request) -> Response:
        # A response the host wants cached and revalidated: it must keep these headers.
        response = Response(json.dumps({"ok": True}), mimetype="application/json")
        response.cache_control.public = True
        response.cache_control.max_age = 60
        response.add_etag()
        return response.make_conditional(request)


app = DispatcherMiddleware(HostApp(), {PLOTS_PREFIX: wsgi_plot.create_app()})
