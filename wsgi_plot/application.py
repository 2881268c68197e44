"""The WSGI application: URL map, request validation, pooled rendering, responses."""

import json
import logging
import re
import threading
import time
import uuid
from contextlib import contextmanager
from http import HTTPStatus
from string import Template
from urllib.parse import urlsplit

import numpy as np
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from . import health
from .animation import (Frame, FrameSource, animate, animation_deadline, draw_frame, frames_that_fit,
                        parse_animation_options, parse_stream_options)
from .errors import Overloaded, ParameterError, PathNotFound, StreamsNeedThreads, error_response
from .formats import FORMAT_OPTION_NAMES, FORMATS, parse_format
from .metrics import create_metrics
from .middleware import NoCacheMiddleware
from .openapi import openapi_document
from .options import OPTION_NAMES, parse_render_options
from .pages import (CONTENT_SECURITY_POLICY, LIVE_CONTENT_SECURITY_POLICY, index_page, plot_fields,
                    plot_list_page, plot_page)
from .params import format_number
from .pool import FigurePool, PoolExhausted
from .refresh import REFRESH_KEY, pop_refresh
from .render import PreparedFigure, RenderTimeout, prepared_figure_bytes, render
from .request_args import RequestArgs, image_args, query_args
from .request_start import HEADER as REQUEST_START_HEADER, queued_seconds
from .settings import Settings
from .stream import FrameStream, StreamSlots, waiter

log = logging.getLogger("wsgi_plot")

#: The recipe's URLs are aliases of this plot's generic routes.
ALIAS_PLOT = "normal"
ALIAS_PARAMS = ("mean", "var")
#: The recipe's example URL, /fig/5_2: the one its users have. Prepared at start with the defaults.
ALIAS_EXAMPLE = {"mean": "5", "var": "2"}

_REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}\Z")
_FORMAT_SUFFIX_RE = re.compile(r"(.*)\.([A-Za-z][A-Za-z0-9]*)\Z")
_THUMBNAIL = {"dpi": "75", "size": "3.2x2.4"}  # 240x180 px; 75 dpi keeps tick labels legible (10 pt = 10 px)

#: Options of the image routes that may not repeat: every plot's, and those some format takes.
SINGLE_OPTIONS = OPTION_NAMES + FORMAT_OPTION_NAMES
#: Seconds a client refused for max_streams waits: streams last up to max_stream_seconds, most less.
STREAM_RETRY_AFTER = 5


class PlotApp:
    """Serves a registry's plots as images and pages."""

    def __init__(self, registry, settings: Settings):
        self.registry = registry
        self.settings = settings
        self.metrics = create_metrics(settings.metrics)
        self.pool = FigurePool(settings.pool_size, settings.pool_timeout, max_bytes=settings.pool_max_bytes,
                               on_in_use=self.metrics.set_figures_in_use, on_bytes=self.metrics.set_pool_bytes,
                               on_evicted=self.metrics.evicted_figure)
        self.streams = StreamSlots(settings.max_streams, on_change=self.metrics.set_streams)
        self._warm_lock = threading.Lock()
        self.warmed = not settings.warm  # True once the default figures are prepared
        self._capped = {}  # plot -> the plot with its counts capped at max_points
        self.plots()  # a plot the cap makes unusable stops start-up here
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
        if settings.metrics:
            rules.append(Rule("/metrics", endpoint="metrics", methods=["GET"]))
        self.url_map = Map(rules, strict_slashes=True)

    # -- WSGI ---------------------------------------------------------------

    def __call__(self, environ, start_response):
        return self.wsgi_app(environ, start_response)

    def wsgi_app(self, environ, start_response):
        request = Request(environ)
        request_id = request.headers.get("X-Request-Id", "")
        if not _REQUEST_ID_RE.match(request_id):
            request_id = uuid.uuid4().hex
        response = self.dispatch(request, request_id)
        self.metrics.count_request(getattr(request, "route", "unmatched"), response.status_code)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Request-Id"] = request_id
        return response(environ, start_response)

    def dispatch(self, request, request_id):
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            try:
                rule, values = adapter.match(return_rule=True)
            except RequestRedirect as exc:  # /plots -> /plots/
                return _relative_redirect(exc.new_url, exc.code)
            except HTTPException as exc:
                if exc.code == 404:
                    raise PathNotFound(request.path[:100]) from None
                if exc.code == 405:
                    exc.description = f"method {request.method[:20]!r} not allowed; use {', '.join(exc.valid_methods)}"
                    exc.param = "method"  # what the client got wrong, as JSON errors name it
                raise
            request.url_adapter = adapter
            request.route = rule.rule  # the metrics label: bounded, unlike the path
            return getattr(self, f"on_{rule.endpoint}")(request, **values)
        except HTTPException as exc:
            return error_response(exc, request.environ, request)
        except Exception:
            log.exception("error serving %s %s (request id %s)", request.method, request.path, request_id)
            return error_response(InternalServerError("the server failed to draw this; it has been logged"),
                                  request.environ, request)

    # -- endpoints ------------------------------------------------------------

    def on_index(self, request):
        url = request.url_adapter.build
        rows = [
            (plot.name, url("plot_page", {"name": plot.name, **dict(plot.example)}),
             [(p.name, p.describe_bounds(), _default_text(p), p.static, p.help) for p in plot.params])
            for plot in self.plots()
        ]
        example = url("normal_page", {"spec": "5_2"}) if ALIAS_PLOT in self.registry else url("plot_list")
        html = index_page(example_url=example, plots_url=url("plot_list"), settings=self.settings, plot_rows=rows)
        return _html_response(html)

    def on_plot_list(self, request):
        url = request.url_adapter.build
        entries = [
            (plot.name, plot.description, url("plot_page", {"name": plot.name, **dict(plot.example)}),
             url("plot_image", {"name": plot.name, "fmt": "png", **dict(plot.example), **_THUMBNAIL}))
            for plot in self.plots()
        ]
        return _html_response(plot_list_page(entries))

    def on_healthz(self, request):
        return _json_response(health.liveness())

    def on_readyz(self, request):
        self.warm()  # ready means warm: a server's start-up hook has usually done it already
        try:
            return _json_response(health.readiness(self.pool, time.monotonic() + self.settings.render_timeout))
        except (PoolExhausted, RenderTimeout) as exc:
            return _json_response({"status": "unavailable", "reason": str(exc)}, 503, {"Retry-After": "1"})

    def on_openapi(self, request):
        alias = ALIAS_PLOT if ALIAS_PLOT in self.registry else None
        return _json_response(openapi_document(self.plots(), self.settings, alias_plot=alias,
                                               alias_params=ALIAS_PARAMS, metrics=self.settings.metrics))

    def on_metrics(self, request):
        data, content_type = self.metrics.exposition()
        return Response(data, content_type=content_type)

    def on_fig(self, request, spec):
        mean, var, fmt = _parse_alias_spec(spec, allow_format=True)
        plot = self._plot(ALIAS_PLOT)
        args = query_args(request, {"mean": mean, "var": var}, SINGLE_OPTIONS)
        return self._image(request, plot, args, fmt or FORMATS["png"])

    def on_plot_image(self, request, name, fmt):
        plot, fmt = self._plot(name), parse_format(fmt)
        return self._image(request, plot, image_args(request, self.settings.max_body_bytes, SINGLE_OPTIONS), fmt)

    def on_normal_page(self, request, spec):
        mean, var, _ = _parse_alias_spec(spec, allow_format=False)
        plot = self._plot(ALIAS_PLOT)
        args = query_args(request, {"mean": mean, "var": var}, SINGLE_OPTIONS + (REFRESH_KEY,))
        refresh = pop_refresh(args)
        values, options = self._parse(plot, args)
        path = {"spec": f"{format_number(values.mean)}_{format_number(values.var)}"}
        extra = {k: v for k, v in args.items() if k not in ALIAS_PARAMS}

        def image_url(fmt, **query):
            suffix = "" if fmt == "png" else f".{fmt}"
            return request.url_adapter.build("fig", {"spec": path["spec"] + suffix, **query})

        return self._page(request, plot, values, options, image_url,
                          request.url_adapter.build("normal_page", {**path, **_without_seed(extra), **_live(refresh)}),
                          extra, refresh)

    def on_plot_page(self, request, name):
        plot = self._plot(name)
        args = query_args(request, single=SINGLE_OPTIONS + (REFRESH_KEY,))
        refresh = pop_refresh(args)
        values, options = self._parse(plot, args)

        def image_url(fmt, **query):
            return request.url_adapter.build("plot_image", {"name": name, "fmt": fmt, **query})

        return self._page(request, plot, values, options, image_url,
                          request.url_adapter.build("plot_page", {"name": name, **_without_seed(args), **_live(refresh)}),
                          args, refresh)

    # -- helpers ----------------------------------------------------------------

    def plots(self):
        """The registry's plots as served: count parameters capped at ``max_points``."""
        return [self._served(plot) for plot in self.registry]

    def _served(self, plot):
        # Looked up per request, so plots added to the registry later are capped too.
        if plot not in self._capped:
            self._capped[plot] = plot.capped(self.settings.max_points)
        return self._capped[plot]

    def _plot(self, name):
        plot = self.registry.get(name)
        if plot is None:
            raise PathNotFound(f"/plot/{name}"[:80], "no plot of that name")
        return self._served(plot)

    def _parse(self, plot, args, fmt=FORMATS["png"]):
        """The plot's values and the options of ``fmt``: the options of other formats are unknown parameters."""
        values = plot.parse(args, reserved=OPTION_NAMES + fmt.options, from_json=args.from_json)
        return values, parse_render_options(args, self.settings, fmt.name)

    def _lease(self, plot, values, options):
        """The pool's checkout (a context manager) of a figure prepared for this plot, static values and size."""
        static = plot.static_values(values)
        key = (plot.name, plot.static_key(values), options.width, options.height, options.dpi)
        nbytes = prepared_figure_bytes(plot, *options.pixels)
        keep = self.pool.keeps(nbytes)  # one too large to keep is drawn in full, saving nothing

        def build():
            return PreparedFigure(plot, static, options.width, options.height, options.dpi, reusable=keep)

        return self.pool.checkout(key, build, nbytes)

    def _image(self, request, plot, args, fmt):
        """The response for an image route: drawn as the format's kind says."""
        return getattr(self, f"_send_{fmt.kind}")(request, plot, args, fmt)

    def _send_still(self, request, plot, args, fmt):
        values, options = self._parse(plot, args, fmt)
        self._shed_if_queued_too_long(request)
        with self._overload_as_503("the render"):
            data, timing = self._render(plot, values, options)
        return Response(data, mimetype=fmt.media_type, headers={"Server-Timing": timing})

    def _send_animation(self, request, plot, args, fmt):
        """An APNG or GIF: every frame drawn on one pooled figure, held for the whole animation."""
        values, options = self._parse(plot, args, fmt)
        animation = parse_animation_options(args, self.settings, options.pixels)  # 413 before any drawing
        self._shed_if_queued_too_long(request)
        source = FrameSource(plot, options.seed)
        deadline = animation_deadline(self.settings, animation.frames)
        started = time.perf_counter()
        with self._overload_as_503("the animation"), self._lease(plot, values, options) as lease:
            self.metrics.waited_for_figure(lease.waited)
            writer = fmt.writer(animation.frames, animation.fps, options.dpi)
            data = animate(lease.obj, values, source, animation, writer, deadline)
        elapsed = time.perf_counter() - started
        self.metrics.rendered(fmt.name, elapsed)
        return Response(data, mimetype=fmt.media_type, headers={"Server-Timing": f"render;dur={elapsed * 1000:.1f}"})

    @contextmanager
    def _overload_as_503(self, what: str):
        """No free figure, or a render past its deadline: a counted 503 with Retry-After."""
        try:
            yield
        except PoolExhausted:
            self.metrics.rejected("pool_exhausted")
            raise Overloaded("no figure free: the server is at capacity, retry shortly") from None
        except RenderTimeout:
            self.metrics.rejected("render_timeout")
            raise Overloaded(f"{what} took too long and was abandoned") from None

    def _send_stream(self, request, plot, args, fmt):
        """A live stream: PNG frames paced by the server, one thread held per stream."""
        if not request.environ.get("wsgi.multithread"):
            # A sync worker would be held for the whole stream, refusing every other request.
            self.metrics.rejected("stream_needs_threads")
            raise StreamsNeedThreads()
        values, options = self._parse(plot, args, fmt)
        stream = parse_stream_options(args, self.settings)
        self._shed_if_queued_too_long(request)
        if not self.streams.try_take():
            self.metrics.rejected("max_streams")
            raise Overloaded(f"already {self.settings.max_streams} live streams in this process (max_streams); "
                             "retry later", retry_after=STREAM_RETRY_AFTER)
        try:
            source = FrameSource(plot, options.seed)

            def render_frame(number):
                deadline = time.monotonic() + self.settings.render_timeout
                started = time.perf_counter()
                with self._lease(plot, values, options) as lease:  # held for one frame only
                    self.metrics.waited_for_figure(lease.waited)
                    pixels = draw_frame(lease.obj, values, source.rng(), Frame(number, stream.frames), deadline)
                    png = fmt.encode(pixels, options.dpi)
                self.metrics.rendered(fmt.name, time.perf_counter() - started)
                return png

            with self._overload_as_503("the first frame"):
                first = render_frame(0)

            def later_frame(number):
                try:
                    return render_frame(number)
                except (PoolExhausted, RenderTimeout) as exc:
                    log.warning("stream of %s ended at frame %d: %s", plot.name, number, exc)
                    return None

            body = FrameStream(first, later_frame, stream.frames, stream.fps, self.streams.give_back,
                               wait=waiter(request.environ))
        except BaseException:
            self.streams.give_back()
            raise
        # X-Accel-Buffering: nginx would otherwise buffer the parts and deliver them in lumps.
        return Response(body, content_type=fmt.media_type, direct_passthrough=True,
                        headers={"X-Accel-Buffering": "no"})

    def _page(self, request, plot, values, options, image_url, new_sample_url, query, refresh=None):
        fill = {p.name: p.text(getattr(values, p.name)) for p in plot.params}
        title = Template(plot.title or plot.name).safe_substitute(fill)
        width, height = 800, round(800 * options.height / options.width)
        links = []  # every format a page offers, as the registry lists them
        for fmt in FORMATS.values():
            if not fmt.linked:
                continue
            extra = {}
            if fmt.kind == "animation":  # as many frames as the budget allows at this size, up to the default
                extra["frames"] = frames_that_fit(self.settings, options.pixels)
                if extra["frames"] is None:
                    continue
            links.append((fmt.name, fmt.label, image_url(fmt.name, **query, **extra)))
        html = plot_page(
            title=title, heading=title, description=plot.description,
            image_url=image_url("png", **query), links=links, new_sample_url=new_sample_url,
            index_url=request.url_adapter.build("plot_list"),
            form_action=request.url_adapter.build("plot_page", {"name": plot.name}),
            fields=plot_fields(plot, values, options), display_width=width, display_height=height,
            refresh=refresh,
        )
        return _html_response(html, live=refresh is not None)


    def _shed_if_queued_too_long(self, request):
        """503 at once, before any drawing, for a request that waited past ``queue_timeout``.

        The wait is the time since the proxy in front stamped ``X-Request-Start``: spent in its
        queue, the network and this server's listen queue. A client that waited that long has
        likely given up, or its proxy has; drawing for it would only delay the requests behind.
        """
        limit = self.settings.queue_timeout
        if not limit:
            return
        queued = queued_seconds(request.headers.get(REQUEST_START_HEADER), time.time())
        if queued is not None and queued > limit:
            self.metrics.rejected("queue_timeout")
            raise Overloaded(f"the request waited {queued:.1f} s before reaching the server "
                             f"(over {limit:g} s): the server is at capacity, retry shortly")

    def _render(self, plot, values, options, record=True):
        """Draw through the pool: the image's bytes and its Server-Timing header.

        ``record=False`` leaves the metrics alone: warming up serves no request."""
        rng = np.random.default_rng(options.seed)
        started = time.perf_counter()
        deadline = time.monotonic() + self.settings.render_timeout
        expired = None
        with self._lease(plot, values, options) as lease:
            if record:
                self.metrics.waited_for_figure(lease.waited)
            checkout_ms = (time.perf_counter() - started) * 1000
            try:
                data, timings = render(lease.obj, values, rng, options.fmt, deadline)
            except RenderTimeout as exc:
                if not exc.figure_untouched:
                    raise  # maybe half drawn: leaving the block with it makes the pool drop the figure
                expired = exc  # nothing drawn: the figure goes back to the pool
        if expired:
            raise expired
        if record:
            self.metrics.rendered(options.fmt, (timings.draw + timings.encode) / 1000)
        return data, f"checkout;dur={checkout_ms:.1f}, draw;dur={timings.draw:.1f}, encode;dur={timings.encode:.1f}"

    def warm(self):
        """Prepare the default figures, once: each plot's at its defaults and the recipe's /fig/5_2, as PNGs.

        Only while they fit the pool without dropping a figure, so at most ``pool_size`` figures and
        ``pool_max_bytes``; a few hundred milliseconds at the defaults. Called by the servers'
        start-up hooks (see :func:`warm`) before a worker takes requests, else by the first /readyz.
        """
        with self._warm_lock:
            if self.warmed:
                return
            try:
                health.readiness(self.pool, time.monotonic() + self.settings.render_timeout)  # its figure too
            except (PoolExhausted, RenderTimeout):
                pass  # busy: /readyz reports that itself
            for plot, args in self._default_images():
                try:
                    values, options = self._parse(plot, args)
                    if not self.pool.has_room(prepared_figure_bytes(plot, *options.pixels)):
                        break
                    self._render(plot, values, options, record=False)
                except Exception:  # a plot broken at its defaults fails its own requests, not start-up
                    log.exception("could not prepare plot %r at %s", plot.name, args)
            self.warmed = True

    def _default_images(self):
        served = {plot.name: plot for plot in self.plots()}
        if ALIAS_PLOT in served:
            yield served[ALIAS_PLOT], RequestArgs(ALIAS_EXAMPLE)
        for plot in served.values():
            if not any(param.required for param in plot.params):
                yield plot, RequestArgs()
            elif plot.example:
                yield plot, RequestArgs(plot.example)


def warm(application) -> bool:
    """Prepare the default figures of the wsgi_plot app inside ``application`` before it serves.

    ``application`` is :func:`create_app`'s result, a :class:`PlotApp`, or a middleware wrapping
    one as ``.app``. False when there is no wsgi_plot app in it (nothing to do).
    """
    for _ in range(10):  # a few middleware layers at most; never loop on a cycle
        if isinstance(application, PlotApp):
            application.warm()
            return True
        application = getattr(application, "app", None)
    return False


def create_app(*, registry=None, **settings):
    """The wsgi_plot WSGI application, wrapped in the no-cache middleware.

    ``settings`` are :class:`Settings` fields; those not given are read from
    ``WSGI_PLOT_<NAME>`` environment variables, then defaults.
    """
    if registry is None:
        from .builtin import default_registry

        registry = default_registry()
    return NoCacheMiddleware(PlotApp(registry, Settings.from_environ(settings)))


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


def _json_response(body: dict, status: int = 200, headers=None) -> Response:
    return Response(json.dumps(body) + "\n", status, headers, mimetype="application/json")


def _default_text(param) -> str:
    if param.required:
        return "required"
    return "optional" if param.default is None else f"default {param.text(param.default)}"


def _live(refresh: int | None) -> dict:
    return {} if refresh is None else {REFRESH_KEY: refresh}


def _without_seed(args: dict) -> dict:
    return {k: v for k, v in args.items() if k != "seed"}


def _parse_alias_spec(spec: str, allow_format: bool):
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
