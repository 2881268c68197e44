"""The image routes' answers: a still, an animation or a live stream, as the format's kind says.

:class:`Images` holds what they share: the pool of prepared figures, the live-stream slots, the
settings that bound each kind (render deadline, animation budget, stream limits, queue timeout)
and the metrics. Every refusal for capacity is an :class:`~wsgi_plot.core.errors.Overloaded` (503 with
Retry-After), counted by its reason, and decided before anything is drawn where it can be.
"""

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
from werkzeug.wrappers import Request, Response

from ..core.errors import FormatNotFound, Overloaded, StreamsNeedThreads, TooMuchWork
from ..core.frame import Frame
from ..declare.formats import FORMATS, Delivery, Format, build_formats
from ..declare.options import RenderOptions
from ..declare.params import Values
from ..declare.plot import Plot
from ..declare.settings import Settings
from ..figures.animation import CannotFinish, FrameSource, animate, animation_deadline
from ..figures.cost import estimate
from ..figures.describe import describe_figure
from ..figures.mpl_compat import DRAW_LOCK
from ..figures.pipeline import FigurePipeline, RenderTimeout, draw_frame
from ..figures.pool import FigurePool, PoolExhausted
from .cache_keys import cache_key, output_token, reusable_seconds
from .metrics import Metrics, NoMetrics
from .nginx_cache import KEY_ONLY_HEADER, cache_headers, expiry, key_only_response
from .request_args import RequestArgs
from .request_start import HEADER as REQUEST_START_HEADER
from .request_start import queued_seconds
from .response_cache import ResponseCache
from .server_limits import ServerLimits
from .stream import ClientWatch, FrameStream, StreamSlots

if TYPE_CHECKING:
    from ..figures.render import PreparedFigure

log = logging.getLogger("wsgi_plot")

#: Seconds a client refused for max_streams waits: streams last up to max_stream_seconds, most less.
STREAM_RETRY_AFTER = 5


class Images:
    """Draws the images of one process's requests through its pool of prepared figures."""

    def __init__(self, settings: Settings, metrics: Metrics | NoMetrics) -> None:
        self.settings = settings
        #: When this process was ready to draw (epoch seconds): made, then warmed (PlotApp.warm).
        self.ready_since = time.time()
        #: What else changes the bytes, in every cache key (cache_keys.output_token).
        self.output_token = output_token(settings)
        self.metrics = metrics
        self.pool = FigurePool(settings.pool_size, settings.pool_timeout, max_bytes=settings.pool_max_bytes,
                               on_in_use=metrics.set_figures_in_use, on_bytes=metrics.set_pool_bytes,
                               on_evicted=metrics.evicted_figure)
        self.server = ServerLimits()  # until the server's start-up hook tells (server_limits.py)
        self.streams = StreamSlots(settings.max_streams, on_change=metrics.set_streams)
        # The registry with this app's PNG deflate bound into every encoder and writer that makes PNGs.
        self.formats = build_formats(settings.png_compression)
        self.pipeline = FigurePipeline(self.pool, self.formats)
        self._deliveries: dict[Delivery, Callable[[Request, Plot, RequestArgs, Format], Response]] = {
            "still": self.still, "animation": self.animation, "stream": self.stream, "data": self.data}
        self.cache = None if not settings.response_cache_bytes else ResponseCache(
            settings.response_cache_bytes, on_hit=metrics.cache_hit, on_miss=metrics.cache_miss,
            on_joined=metrics.cache_joined_render, on_evicted=metrics.cache_evicted, on_bytes=metrics.set_cache_bytes)

    def fit_to_server(self, limits: ServerLimits) -> None:
        """The server's threads bound the streams, its worker timeout the animations."""
        self.server = limits
        self.streams.limit = limits.stream_limit(self.settings.max_streams)

    def parse(self, plot: Plot, args: RequestArgs, fmt: Format = FORMATS["png"]) -> tuple[Values, RenderOptions]:
        """The plot's values and the options of ``fmt`` (an animation's and a stream's too, held to their
        budgets: 413 before anything is drawn); the options of other formats are unknown parameters."""
        values = plot.parse(args, reserved=fmt.option_names(self.settings), from_json=args.from_json)
        return values, fmt.parse_options(args, self.settings)

    def respond(self, request: Request, plot: Plot, args: RequestArgs, fmt: Format) -> Response:
        """The response for an image route: drawn as the format's delivery says."""
        fmt = self.formats[fmt.name]
        if fmt.delivery != "still" and request.headers.get(KEY_ONLY_HEADER):
            return key_only_response(None)  # animations and streams are never reused
        return self._deliveries[fmt.delivery](request, plot, args, fmt)

    # -- the four deliveries ---------------------------------------------------------

    def still(self, request: Request, plot: Plot, args: RequestArgs, fmt: Format) -> Response:
        """One image; reused from the response cache when its plot allows (cache_keys.py).

        With ``X-Cache-Key-Only`` (nginx asking how to key the request), only the key: 204, nothing drawn.
        """
        values, options = self.parse(plot, args, fmt)
        fresh_for = reusable_seconds(plot, options)
        key = cache_key(plot, values, options, self.output_token) if fresh_for else None
        if request.headers.get(KEY_ONLY_HEADER):
            return key_only_response(key)
        self.refuse_what_cannot_finish(plot, values, options)

        def render() -> tuple[bytes, str]:
            self.shed_if_queued_too_long(request)  # only before drawing: a stored image costs nothing to send
            return self.render(plot, values, options)

        with self.overload_as_503("the render"):
            if key is None or self.cache is None:
                data, timing = render()
                now = time.time()
                expires = expiry(now, fresh_for)
            else:
                # Waiting for an identical render: at most as long as that one may wait and draw.
                wait = self.settings.pool_timeout + self.settings.render_timeout
                image, hit = self.cache.lookup(key, fresh_for, render, wait)
                data, timing, expires = image.data, ("cache;desc=hit" if hit else image.timing), image.expires
                now = self.cache.clock()
        return Response(data, mimetype=fmt.media_type, headers={"Server-Timing": timing,
                                                                **cache_headers(key, expires, now)})

    def data(self, request: Request, plot: Plot, args: RequestArgs, fmt: Format) -> Response:
        """The numbers the image of the same request draws, from the plot's data hook: no figure is
        taken. The same seed draws the same random numbers as the image's update does."""
        if plot.data is None:
            raise FormatNotFound(fmt.name, plot.name, "has no data hook, so no CSV; ask for an image format")
        values, options = self.parse(plot, args, fmt)
        columns, rows = plot.data(values, np.random.default_rng(options.seed))
        # inline: a browser shows it; filename: what "save as" and a download name it.
        return Response(fmt.encoder()(columns, rows), mimetype=fmt.media_type,  # text/csv; charset=utf-8
                        headers={"Content-Disposition": f'inline; filename="{plot.name}.csv"'})

    def animation(self, request: Request, plot: Plot, args: RequestArgs, fmt: Format) -> Response:
        """An APNG or GIF: every frame drawn on one pooled figure, held for the whole animation.

        Its deadline is the animation's share of ``render_timeout``, and never later than the
        server lets a request run; as soon as the frames drawn so far say the rest cannot be done
        by then, it is refused (413 naming ``frames``) instead of being killed by the server.
        """
        values, options = self.parse(plot, args, fmt)
        animation = options.animation  # parsed and held to its budget with the other options
        if animation is None or fmt.writer is None:
            raise TypeError(f"format {fmt.name!r} of kind animation has no animation options or no writer")
        self.shed_if_queued_too_long(request)
        source = FrameSource(plot, options.seed)
        started = time.monotonic()
        deadline = min(animation_deadline(self.settings, animation.frames, started),
                       started + self.server.animation_seconds())
        timer = time.perf_counter()
        try:
            with self.overload_as_503("the animation"), self.pipeline.lease(plot, values, options) as lease:
                self.metrics.waited_for_figure(lease.waited)
                writer = fmt.writer(animation.frames, animation.fps, options.dpi)
                data = animate(lease.figure, values, source, animation, writer, deadline)
        except CannotFinish as exc:
            fit = max(int(exc.frames_that_fit), 0)
            raise TooMuchWork("frames", f"{animation.frames} frames at about {exc.seconds_per_frame:.2f} s each "
                                        f"cannot be drawn within the {deadline - started:.0f} s this server allows "
                                        f"an animation; ask for at most {fit} frames, or a smaller size or dpi") from None
        elapsed = time.perf_counter() - timer
        self.metrics.rendered(fmt.name, elapsed)
        return Response(data, mimetype=fmt.media_type, headers={"Server-Timing": f"render;dur={elapsed * 1000:.1f}"})

    def stream(self, request: Request, plot: Plot, args: RequestArgs, fmt: Format) -> Response:
        """A live stream: PNG frames paced by the clock, one thread held per stream, never the last one."""
        if not request.environ.get("wsgi.multithread"):
            # A sync worker would be held for the whole stream, refusing every other request.
            self.metrics.rejected("stream_needs_threads")
            raise StreamsNeedThreads()
        if self.streams.limit == 0 and self.server.threads is not None and self.settings.max_streams > 0:
            self.metrics.rejected("stream_needs_threads")
            raise StreamsNeedThreads(self.server.threads)
        values, options = self.parse(plot, args, fmt)
        stream = options.stream
        if stream is None:
            raise TypeError(f"format {fmt.name!r} of kind stream has no stream options")
        encode = fmt.encoder()
        self.shed_if_queued_too_long(request)
        if not self.streams.try_take():
            self.metrics.rejected("max_streams")
            raise Overloaded(f"already {self.streams.limit} live streams in this process (max_streams, and one "
                             "thread kept for other requests); retry later", retry_after=STREAM_RETRY_AFTER)
        watch: ClientWatch | None = None
        try:
            watch = ClientWatch(request.environ, self.settings.stream_send_timeout)  # 503 where it cannot watch
            source = FrameSource(plot, options.seed)

            def render_frame(number: int) -> bytes:
                deadline = time.monotonic() + self.settings.render_timeout
                started = time.perf_counter()
                with self.pipeline.lease(plot, values, options) as lease:  # held for one frame only
                    self.metrics.waited_for_figure(lease.waited)
                    pixels = draw_frame(lease.figure, values, source.rng(), Frame(number, stream.frames), deadline)
                    png = encode(pixels, options.dpi)
                self.metrics.rendered(fmt.name, time.perf_counter() - started)
                return png

            start = time.monotonic()
            with self.overload_as_503("the first frame"):
                first = render_frame(0)

            def later_frame(number: int) -> bytes | None:
                try:
                    return render_frame(number)
                except (PoolExhausted, RenderTimeout) as exc:
                    log.warning("stream of %s ended at frame %d: %s", plot.name, number, exc)
                    return None

            def closed() -> None:
                watch.close()
                self.streams.give_back()

            body = FrameStream(first, later_frame, stream.frames, stream.fps, closed, wait=watch.wait, start=start)
        except BaseException:
            if watch is not None:
                watch.close()
            self.streams.give_back()
            raise
        # X-Accel-Buffering: nginx would otherwise buffer the parts and deliver them in lumps.
        return Response(body, content_type=fmt.media_type, direct_passthrough=True,
                        headers={"X-Accel-Buffering": "no"})

    # -- what they share ----------------------------------------------------------------

    def render(self, plot: Plot, values: Values, options: RenderOptions, record: bool = True) -> tuple[bytes, str]:
        """Draw through the pool: the image's bytes and its Server-Timing header.

        ``record=False`` leaves the metrics alone: warming up serves no request."""
        rng = np.random.default_rng(options.seed)
        started = time.perf_counter()
        deadline = time.monotonic() + self.settings.render_timeout
        data, timings, lease = self.pipeline.still(plot, values, options, rng, deadline)
        if record:
            self.metrics.waited_for_figure(lease.waited)
            self.metrics.rendered(options.fmt, (timings.draw + timings.encode) / 1000)
        checkout_ms = (time.perf_counter() - started) * 1000 - timings.draw - timings.encode
        return data, f"checkout;dur={checkout_ms:.1f}, draw;dur={timings.draw:.1f}, encode;dur={timings.encode:.1f}"

    def describe(self, plot: Plot, values: Values, options: RenderOptions, fallback: str) -> str:
        """The alt text of the image these values and options draw: the plot's own, else read from
        its pooled figure after update (nothing drawn; the image request that follows finds the
        figure prepared). ``fallback`` when no figure is free."""
        if plot.describe is not None:
            return plot.describe(values)
        try:
            with self.pipeline.lease(plot, values, options) as lease:
                prepared: PreparedFigure = lease.figure
                prepared.load(values)  # outside the draw lock, as for an image
                with DRAW_LOCK:
                    rng = np.random.default_rng(options.seed)
                    before = rng.bit_generator.state
                    prepared.update(values, rng)
                    # Without a seed the image draws other random numbers than these: say so, not their
                    # values, and describe the axes as the plot sets them, not as this sample widened them.
                    sample = options.seed is None and rng.bit_generator.state != before
                    if sample:
                        prepared.undo_widening()
                    text = describe_figure(prepared.figure, fallback, sample=sample)
                    prepared.undo_widening()  # nothing is drawn: the figure goes back to the pool as it was
                    return text
        except PoolExhausted:
            return fallback

    @contextmanager
    def overload_as_503(self, what: str) -> Iterator[None]:
        """No free figure, or a render not begun by its deadline: a counted 503 with Retry-After."""
        try:
            yield
        except PoolExhausted:
            self.metrics.rejected("pool_exhausted")
            raise Overloaded("no figure free: the server is at capacity, retry shortly") from None
        except RenderTimeout:
            self.metrics.rejected("render_timeout")
            raise Overloaded(f"{what} waited too long to begin (render_timeout) and was not started; "
                             "the server is busy, retry shortly") from None

    def refuse_what_cannot_finish(self, plot: Plot, values: Values, options: RenderOptions) -> None:
        """413 at once, naming what to reduce, for a still whose estimated drawing (figures/cost.py)
        is longer than ``render_timeout``: refused before any figure is taken, not drawn and late."""
        cost = estimate(plot, values, options)
        if cost.seconds > self.settings.render_timeout:
            self.metrics.rejected("too_costly")
            raise TooMuchWork(cost.largest, f"this picture would take about {cost.seconds:.1f} s to draw, over "
                                            f"the {self.settings.render_timeout:g} s this server allows "
                                            f"(render_timeout); ask for {cost.reduce}")

    def shed_if_queued_too_long(self, request: Request) -> None:
        """503 at once, before any drawing, for a request that waited past ``queue_timeout``.

        The wait is the time since the proxy in front stamped ``X-Request-Start``: spent in its
        queue, the network and this server's listen queue. A client that waited that long has
        likely given up, or its proxy has; drawing for it would only delay the requests behind.

        Only the wait since this process was ready counts (``ready_since``): a request that reached a
        starting instance (its sockets open, its workers still warming up) waited for the start, not
        behind other requests, and its client is still there. Worst case: the requests a proxy sends
        an instance while it starts (deploy/nginx.conf: max_conns, 4) are drawn however long the
        start took, up to the proxy's own timeout.
        """
        limit = self.settings.queue_timeout
        if not limit:
            return
        now = time.time()
        queued = queued_seconds(request.headers.get(REQUEST_START_HEADER), now)
        if queued is not None and min(queued, now - self.ready_since) > limit:
            self.metrics.rejected("queue_timeout")
            raise Overloaded(f"the request waited {queued:.1f} s before reaching the server "
                             f"(over {limit:g} s): the server is at capacity, retry shortly")
