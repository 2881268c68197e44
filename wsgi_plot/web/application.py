"""The WSGI application: URL map, request validation, pages; images.py draws the images."""

import dataclasses
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from http import HTTPStatus
from string import Template
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from werkzeug.exceptions import BadHost, HTTPException, InternalServerError, MethodNotAllowed
from werkzeug.routing import Map, MapAdapter, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from ..core.errors import MethodNotAllowedHere, ParameterError, PathNotFound, error_response, one_line
from ..declare.formats import FORMATS, Format, parse_format
from ..declare.options import REFRESH_KEY, RenderOptions, pop_refresh
from ..declare.params import Param, Values, format_number
from ..declare.plot import Plot
from ..declare.registry import PlotRegistry
from ..declare.settings import Settings
from ..figures.animation import frames_that_fit
from ..figures.pipeline import RenderTimeout
from ..figures.pool import PoolExhausted
from ..figures.render import prepared_figure_bytes
from ..figures.theme import fonts
from . import health
from .images import Images
from .metrics import Metrics, create_metrics
from .middleware import NoCacheMiddleware
from .nginx_cache import KEY_ONLY_HEADER, key_only_response
from .openapi import openapi_document
from .pages import (
    CONTENT_SECURITY_POLICY,
    LIVE_CONTENT_SECURITY_POLICY,
    FormatLink,
    PlotListEntry,
    PlotRow,
    index_page,
    plot_fields,
    plot_list_page,
    plot_page,
)
from .request_args import RequestArgs, image_args, query_args

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

log = logging.getLogger("wsgi_plot")

#: The recipe's URLs are aliases of this plot's generic routes.
ALIAS_PLOT = "normal"
ALIAS_PARAMS = ("mean", "var")
#: The recipe's example URL, /fig/5_2: the one its users have. Prepared at start with the defaults.
ALIAS_EXAMPLE = {"mean": "5", "var": "2"}

_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
_FORMAT_SUFFIX_RE = re.compile(r"(.*)\.([A-Za-z][A-Za-z0-9]*)\Z")
_THUMBNAIL = {"dpi": "75", "size": "3.2x2.4"}  # 240x180 px; 75 dpi keeps tick labels legible (10 pt = 10 px)

#: A readiness check (``create_app(ready_checks=...)``): raises, with the reason, when not ready.
ReadyCheck = Callable[[], object]


class PlotRequest(Request):
    """A request as the endpoints get it: with the URL adapter that matched it, to build URLs, and its route."""

    url_adapter: MapAdapter
    route: str = "unmatched"  # the rule it matched, for metrics; bounded, unlike the path


class ImageUrl(Protocol):
    """A page's image URL, in format ``fmt`` with ``query`` (pages.py writes them into the page)."""

    def __call__(self, fmt: str, **query: Any) -> str: ...


class PlotApp:
    """Serves a registry's plots as images and pages: the WSGI application :func:`create_app` returns.

    Its middleware is inside it, as a Starlette app's is: calling it runs
    :class:`NoCacheMiddleware` around :meth:`wsgi_app`, the app alone (which, as in Flask, is
    what to call to serve without the middleware, or to wrap with another).
    """

    def __init__(self, registry: PlotRegistry, settings: Settings, ready_checks: Iterable[ReadyCheck] = ()) -> None:
        self.registry = registry
        self.settings = settings
        #: Callables /readyz runs after its own probe; one that raises makes it 503 with its message
        #: (the sensors example: its database file is there and readable).
        self.ready_checks = list(ready_checks)
        self.metrics = create_metrics(settings.metrics)
        self.images = Images(settings, self.metrics)
        self.pool = self.images.pool  # for health checks and warm-up, and for those who inspect it
        self._warm_lock = threading.Lock()
        self.warmed = not settings.warm  # True once the default figures are prepared
        #: True once the server is stopping (:func:`drain`): /readyz answers 503, requests are still served.
        self.draining = False
        self._capped: dict[Plot, Plot] = {}  # plot -> the plot with its counts capped at max_points
        self.plots()  # a plot the cap makes unusable stops start-up here
        fonts().report_missing()  # once per process: scripts without a font are drawn as boxes
        rules = [
            Rule("/", endpoint="index", methods=["GET"]),
            Rule("/fig/<spec>", endpoint="fig", methods=["GET"]),
            Rule("/normal/<spec>", endpoint="normal_page", methods=["GET"]),
            Rule("/plots/", endpoint="plot_list", methods=["GET"]),
            Rule("/plot/<name>", endpoint="plot_page", methods=["GET"]),
            Rule("/plot/<name>.<fmt>", endpoint="plot_image", methods=["GET", "POST"]),  # POST: a JSON body
            Rule("/healthz", endpoint="healthz", methods=["GET"]),
            Rule("/readyz", endpoint="readyz", methods=["GET"]),
            Rule("/openapi.json", endpoint="openapi", methods=["GET"]),
        ]
        if isinstance(self.metrics, Metrics):  # settings.metrics: NoMetrics has no exposition to serve
            rules.append(Rule("/metrics", endpoint="metrics", methods=["GET"]))
        self.url_map = Map(rules, strict_slashes=True)
        self._with_middleware = NoCacheMiddleware(self.wsgi_app)

    # -- WSGI ---------------------------------------------------------------

    def __call__(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> Iterable[bytes]:
        return self._with_middleware(environ, start_response)

    def wsgi_app(self, environ: "WSGIEnvironment", start_response: "StartResponse") -> Iterable[bytes]:
        request = PlotRequest(environ)
        request_id = request.headers.get("X-Request-Id", "")
        if not _REQUEST_ID_RE.match(request_id):
            request_id = uuid.uuid4().hex
        response = self.dispatch(request, request_id)
        if response.status_code != 204 and request.headers.get(KEY_ONLY_HEADER):
            # nginx asked for a key (deploy/nginx.conf): a bad request has none, and its 4xx comes to the
            # request itself; nginx takes any answer but 2xx to its key request as a failure (500).
            response = key_only_response(None, keep_seconds=0)
        self.metrics.count_request(request.route, response.status_code)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Request-Id"] = request_id
        return response(environ, start_response)

    def dispatch(self, request: PlotRequest, request_id: str) -> Response:
        try:
            try:
                adapter = self.url_map.bind_to_environ(request.environ)
            except BadHost:  # a Host that IDNA cannot encode: werkzeug 3.1.0 raises this, later ones do not
                raise ParameterError("Host", "not a valid host name") from None
            try:
                rule, values = adapter.match(return_rule=True)
            except RequestRedirect as exc:  # /plots -> /plots/
                return _relative_redirect(exc.new_url, exc.code)
            except HTTPException as exc:
                if exc.code == 404:
                    raise PathNotFound(request.path[:100]) from None
                if isinstance(exc, MethodNotAllowed):
                    raise MethodNotAllowedHere(request.method, list(exc.valid_methods or ())) from None
                raise
            request.url_adapter = adapter
            request.route = rule.rule  # the metrics label: bounded, unlike the path
            endpoint: Callable[..., Response] = getattr(self, f"on_{rule.endpoint}")
            return endpoint(request, **values)
        except HTTPException as exc:
            return error_response(exc, request.environ, request)
        except Exception:
            log.exception("error serving %s %s (request id %s)", request.method, request.path, request_id)
            return error_response(InternalServerError("the server failed to draw this; it has been logged"),
                                  request.environ, request)

    # -- endpoints ------------------------------------------------------------

    def on_index(self, request: PlotRequest) -> Response:
        url = request.url_adapter.build
        rows: list[PlotRow] = [
            (plot.name, url("plot_page", {"name": plot.name, **dict(plot.example)}),
             [(p.name, p.describe_bounds(), _default_text(p), p.static, p.help) for p in plot.params])
            for plot in self.plots()
        ]
        example = url("normal_page", {"spec": "5_2"}) if ALIAS_PLOT in self.registry else url("plot_list")
        html = index_page(example_url=example, plots_url=url("plot_list"), settings=self.settings, plot_rows=rows)
        return _html_response(html)

    def on_plot_list(self, request: PlotRequest) -> Response:
        url = request.url_adapter.build
        entries: list[PlotListEntry] = []
        for plot in self.plots():
            thumbnail = {**dict(plot.example), **_THUMBNAIL}
            values, options = self.images.parse(plot, RequestArgs(thumbnail))
            entries.append((plot.name, plot.description, url("plot_page", {"name": plot.name, **dict(plot.example)}),
                            url("plot_image", {"name": plot.name, "fmt": "png", **thumbnail}),
                            url("plot_image", {"name": plot.name, "fmt": "png", **thumbnail, "theme": "dark"}),
                            self.images.describe(plot, values, options, plot.name)))
        return _html_response(plot_list_page(entries))

    def on_healthz(self, request: PlotRequest) -> Response:
        return _json_response(health.liveness())

    def _readiness(self) -> dict[str, Any]:
        """The probe's render, through this app's pool and PNG encoder, within one render_timeout."""
        return health.readiness(self.images.pipeline, time.monotonic() + self.settings.render_timeout)

    def on_readyz(self, request: PlotRequest) -> Response:
        if self.draining:
            return _not_ready("draining: the server is stopping; requests in flight are finished")
        self.warm()  # ready means warm: a server's start-up hook has usually done it already
        try:
            ready = self._readiness()
        except (PoolExhausted, RenderTimeout) as exc:
            return _not_ready(str(exc))
        for check in self.ready_checks:
            try:
                check()
            except Exception as exc:  # whatever the check's own failure is, it is the reason, not a 500
                return _not_ready(str(exc))
        return _json_response(ready)

    def on_openapi(self, request: PlotRequest) -> Response:
        alias = ALIAS_PLOT if ALIAS_PLOT in self.registry else None
        return _json_response(openapi_document(self.plots(), self.settings, alias_plot=alias,
                                               alias_params=ALIAS_PARAMS, metrics=self.settings.metrics,
                                               prefix=request.script_root))

    def on_metrics(self, request: PlotRequest) -> Response:
        if not isinstance(self.metrics, Metrics):  # the route is made only when metrics are on
            raise PathNotFound(request.path[:100])
        data, content_type = self.metrics.exposition()
        return Response(data, content_type=content_type)

    def on_fig(self, request: PlotRequest, spec: str) -> Response:
        mean, var, fmt = _parse_alias_spec(spec, allow_format=True)
        plot = self._plot(ALIAS_PLOT)
        args = query_args(request, {"mean": mean, "var": var})
        return self.images.respond(request, plot, args, fmt or FORMATS["png"])

    def on_plot_image(self, request: PlotRequest, name: str, fmt: str) -> Response:
        plot, image_format = self._plot(name), parse_format(fmt)
        return self.images.respond(request, plot, image_args(request, self.settings.max_body_bytes), image_format)

    def on_normal_page(self, request: PlotRequest, spec: str) -> Response:
        mean, var, _ = _parse_alias_spec(spec, allow_format=False)
        plot = self._plot(ALIAS_PLOT)
        args = query_args(request, {"mean": mean, "var": var})
        refresh = pop_refresh(args)
        values, options = self.images.parse(plot, args)
        path = {"spec": f"{format_number(values.mean)}_{format_number(values.var)}"}
        extra = {k: v for k, v in args.items() if k not in ALIAS_PARAMS}

        def image_url(fmt: str, **query: Any) -> str:
            suffix = "" if fmt == "png" else f".{fmt}"
            return request.url_adapter.build("fig", {"spec": path["spec"] + suffix, **query})

        return self._page(request, plot, values, options, image_url,
                          request.url_adapter.build("normal_page", {**path, **_without_seed(extra), **_live(refresh)}),
                          extra, refresh)

    def on_plot_page(self, request: PlotRequest, name: str) -> Response:
        plot = self._plot(name)
        args = query_args(request)
        refresh = pop_refresh(args)
        missing = [p.name for p in plot.params if p.required and p.name not in args]
        if missing:  # the form, to fill them in: no image yet (it would be a 400)
            return self._form_page(request, plot, args, missing, refresh)
        values, options = self.images.parse(plot, args)

        def image_url(fmt: str, **query: Any) -> str:
            return request.url_adapter.build("plot_image", {"name": name, "fmt": fmt, **query})

        return self._page(request, plot, values, options, image_url,
                          request.url_adapter.build("plot_page", {"name": name, **_without_seed(args), **_live(refresh)}),
                          args, refresh)

    # -- helpers ----------------------------------------------------------------

    def plots(self) -> list[Plot]:
        """The registry's plots as served: count parameters capped at ``max_points``."""
        return [self._served(plot) for plot in self.registry]

    def _served(self, plot: Plot) -> Plot:
        # Looked up per request, so plots added to the registry later are capped too.
        if plot not in self._capped:
            self._capped[plot] = plot.capped(self.settings.max_points, self.settings.max_series)
            self._capped[plot].fingerprint  # noqa: B018 - taken as the app starts (see Plot.fingerprint)
        return self._capped[plot]

    def _plot(self, name: str) -> Plot:
        plot = self.registry.get(name)
        if plot is None:
            raise PathNotFound(f"/plot/{name}"[:80], "no plot of that name")
        return self._served(plot)

    def _form_page(self, request: PlotRequest, plot: Plot, args: RequestArgs, missing: list[str],
                   refresh: int | None) -> Response:
        """A plot's page whose required parameters ``missing`` were left out: its form, those marked
        (``required`` keeps a browser from sending it without them), and no image. What was given is
        checked as for the image (a 400 names a bad value)."""
        blank = tuple(dataclasses.replace(p, optional=True) if p.name in missing else p for p in plot.params)
        values, options = self.images.parse(dataclasses.replace(plot, params=blank, check=None, example={}), args)
        title = Template(plot.title or plot.name).safe_substitute(
            {p.name: "\u2026" if p.name in missing else p.text(getattr(values, p.name)) for p in plot.params})
        html = plot_page(
            title=title, heading=title, description=plot.description, image_url=None, links=(),
            new_sample_url=None, index_url=request.url_adapter.build("plot_list"),
            form_action=request.url_adapter.build("plot_page", {"name": plot.name}),
            fields=plot_fields(plot, values, options, self.settings, refresh, missing=missing),
            display_width=0, display_height=0, missing=missing)
        return _html_response(html, live=False)

    def _page(self, request: PlotRequest, plot: Plot, values: Values, options: RenderOptions, image_url: ImageUrl,
              new_sample_url: str, query: Mapping[str, Any], refresh: int | None = None) -> Response:
        fill = {p.name: p.text(getattr(values, p.name)) for p in plot.params}
        title = Template(plot.title or plot.name).safe_substitute(fill)
        width, height = 800, round(800 * options.height / options.width)
        links: list[FormatLink] = []  # every format a page offers, as the registry lists them
        for fmt in FORMATS.values():
            if not fmt.linked or (fmt.delivery == "data" and plot.data is None):
                continue
            extra: dict[str, int] = {}
            if fmt.delivery == "animation":  # as many frames as the budget allows at this size, up to the default
                frames = frames_that_fit(self.settings, options.pixels)
                if frames is None:
                    continue
                extra["frames"] = frames
            links.append((fmt.name, fmt.label, image_url(fmt.name, **query, **extra)))
        html = plot_page(
            title=title, heading=title, description=plot.description,
            image_url=image_url("png", **query), links=links, new_sample_url=new_sample_url if plot.random else None,
            index_url=request.url_adapter.build("plot_list"),
            form_action=request.url_adapter.build("plot_page", {"name": plot.name}),
            fields=plot_fields(plot, values, options, self.settings, refresh),
            display_width=width, display_height=height,
            refresh=refresh, alt=self.images.describe(plot, values, options, title),
            # A live page's script reloads the one <img>: it keeps the theme asked for.
            dark_image_url=None if refresh is not None else image_url("png", **{**query, "theme": "dark"}),
        )
        return _html_response(html, live=refresh is not None)

    # -- warm start ---------------------------------------------------------------

    def warm(self) -> None:
        """Prepare the default figures, once: each plot's at its defaults and the recipe's /fig/5_2, as PNGs.

        Only while they fit the pool without dropping a figure, so at most ``pool_size`` figures and
        ``pool_max_bytes``; a few hundred milliseconds at the defaults. Called by the servers'
        start-up hooks (see :func:`warm`) before a worker takes requests, else by the first /readyz.
        """
        with self._warm_lock:
            if self.warmed:
                return
            try:
                self._readiness()  # its figure too
            except (PoolExhausted, RenderTimeout):
                pass  # busy: /readyz reports that itself
            for plot, args in self._default_images():
                try:
                    values, options = self.images.parse(plot, args)
                    if not self.pool.has_room(prepared_figure_bytes(plot, *options.pixels)):
                        break
                    self.images.render(plot, values, options, record=False)
                except Exception:  # a plot broken at its defaults fails its own requests, not start-up
                    log.exception("could not prepare plot %r at %s", plot.name, args)
            self.warmed = True
            self.images.ready_since = time.time()  # a wait before this was for the start, not a queue

    def _default_images(self) -> Iterator[tuple[Plot, RequestArgs]]:
        served = {plot.name: plot for plot in self.plots()}
        if ALIAS_PLOT in served:
            yield served[ALIAS_PLOT], RequestArgs(ALIAS_EXAMPLE)
        for plot in served.values():
            if not any(param.required for param in plot.params):
                yield plot, RequestArgs()
            elif plot.example:
                yield plot, RequestArgs(plot.example)


#: Attributes under which a WSGI wrapper keeps the application it calls: ``app`` (werkzeug's and
#: wsgi_plot's middleware, a2wsgi's WSGIMiddleware, most others), ``wsgi_app`` (Flask, whose
#: ``app.wsgi_app`` is where its documentation mounts other WSGI apps) and ``application`` (Django's
#: and others' handlers that keep one).
_WRAPPED = ("app", "wsgi_app", "application")
#: How many objects :func:`find_plot_apps` looks at, at most: a host's stack is a few layers.
MOST_SEARCHED = 100


def find_plot_apps(application: object) -> list[PlotApp]:
    """Every :class:`PlotApp` inside ``application``, wherever it sits in the host's WSGI stack.

    Followed: the attributes a wrapper keeps the app it calls under (``.app``, ``.wsgi_app`` as in
    Flask, ``.application``), werkzeug ``DispatcherMiddleware``'s ``.app`` and ``.mounts``, and
    ``application.wsgi_plot_apps``, where a host whose stack hides the app names it itself
    (:func:`serve_plot_apps`). Each object is looked at once, at most ``MOST_SEARCHED`` in all,
    breadth first, so a cycle or a deep framework object costs nothing.
    """
    found: list[PlotApp] = []
    seen: set[int] = set()
    queue: list[object] = [application]
    while queue and len(seen) < MOST_SEARCHED:
        candidate = queue.pop(0)
        if id(candidate) in seen:
            continue
        seen.add(id(candidate))
        if isinstance(candidate, PlotApp):
            found.append(candidate)
            continue
        queue.extend(getattr(candidate, "wsgi_plot_apps", ()))
        for name in _WRAPPED:
            inner = getattr(candidate, name, None)
            if callable(inner) and not isinstance(inner, type):
                queue.append(getattr(inner, "__self__", inner))  # a bound method (Flask's wsgi_app): its object
        mounts = getattr(candidate, "mounts", None)
        if isinstance(mounts, Mapping):  # werkzeug's DispatcherMiddleware
            queue.extend(mounts.values())
    return found


def find_plot_app(application: object) -> PlotApp | None:
    """The first :class:`PlotApp` :func:`find_plot_apps` finds in ``application``; None when there is none."""
    found = find_plot_apps(application)
    return found[0] if found else None


def serve_plot_apps(host: Any, *plot_apps: "PlotApp") -> Any:
    """Tell the servers' start-up hooks where wsgi_plot is inside ``host``, when they cannot find it.

    For a host whose stack hides the app (a framework view that calls it, a wrapper keeping it under
    another name): ``application = serve_plot_apps(application, plots)``. Returns ``host``, on which it
    sets ``wsgi_plot_apps``, so that :func:`warm`, ``fit_to_server`` and ``wsgi-plot check --app``
    reach each app.
    """
    host.wsgi_plot_apps = (*getattr(host, "wsgi_plot_apps", ()), *plot_apps)
    return host


def warm(application: object) -> bool:
    """Prepare the default figures of each wsgi_plot app inside ``application`` before it serves.

    ``application`` as for :func:`find_plot_apps`. False when there is no wsgi_plot app in it (nothing to do).
    """
    plot_apps = find_plot_apps(application)
    for plot_app in plot_apps:
        plot_app.warm()
    return bool(plot_apps)


def drain(application: object) -> bool:
    """Mark each wsgi_plot app inside ``application`` as stopping: its /readyz answers 503 from now on,
    while it goes on serving what it is sent. A server's stop hook calls it (gunicorn.conf.py on SIGTERM),
    so that a balancer that probes /readyz stops sending requests before the process exits."""
    plot_apps = find_plot_apps(application)
    for plot_app in plot_apps:
        plot_app.draining = True
    return bool(plot_apps)


def create_app(*, registry: PlotRegistry | None = None, ready_checks: Iterable[ReadyCheck] = (),
               **settings: object) -> PlotApp:
    """The wsgi_plot WSGI application (a :class:`PlotApp`, its no-cache middleware inside).

    ``settings`` are :class:`Settings` fields; those not given are read from
    ``WSGI_PLOT_<NAME>`` environment variables, then defaults. ``ready_checks``: callables
    that /readyz runs, each raising with the reason when what it checks is not ready.
    """
    if registry is None:
        from ..builtin import default_registry

        registry = default_registry()
    return PlotApp(registry, Settings.from_environ(settings), ready_checks)


def _html_response(html: str, live: bool = False) -> Response:
    """A page; a live one (``?refresh=``) may run its one hashed script, the others none."""
    policy = LIVE_CONTENT_SECURITY_POLICY if live else CONTENT_SECURITY_POLICY
    return Response(html, mimetype="text/html", headers={"Content-Security-Policy": policy})


def _relative_redirect(new_url: str, code: int) -> Response:
    """Redirect to ``new_url``'s path only, so the Location never echoes the Host header or the query.

    The one redirect is ``/plots`` -> ``/plots/``, a page that takes no query: copying the
    client's query would put raw input of any length into a header.
    """
    location = urlsplit(new_url).path
    return Response(f"{code} {HTTPStatus(code).phrase}: {location}\n", code, {"Location": location}, mimetype="text/plain")


def _not_ready(reason: str) -> Response:
    return _json_response({"status": "unavailable", "reason": one_line(reason)[:300]}, 503, {"Retry-After": "1"})


def _json_response(body: Mapping[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body) + "\n", status, headers, mimetype="application/json")


def _default_text(param: Param) -> str:
    if param.required:
        return "required"
    return "optional" if param.default is None else f"default {param.text(param.default)}"


def _live(refresh: int | None) -> dict[str, int]:
    return {} if refresh is None else {REFRESH_KEY: refresh}


def _without_seed(args: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in args.items() if k != "seed"}


def _parse_alias_spec(spec: str, allow_format: bool) -> tuple[str, str, Format | None]:
    """``MEAN_VAR`` with an optional ``.png``/``.svg``/``.pdf`` suffix, unparsed numbers."""
    fmt = None
    match = _FORMAT_SUFFIX_RE.match(spec)
    if match:
        if not allow_format:
            raise ParameterError("format", "pages have no format suffix; use /fig/MEAN_VAR.FORMAT for images")
        spec, fmt = match.group(1), parse_format(match.group(2))
    mean, sep, var = spec.partition("_")
    if not sep or "_" in var:
        raise ParameterError("path", f"expected MEAN_VAR such as 5_2, got {spec[:40]!r}")
    return mean, var, fmt
