"""Drawing a plot into a pooled Agg figure and encoding it.

The fast path (PNG of an incremental plot) works like matplotlib's blitting:
the figure's static part is drawn once and its pixels saved; a request
restores those pixels, updates the changing artists and draws only them.
SVG gets the same split: the static part is serialised once and each request
appends only the changing artists, as a layer on top.

The static part includes the layout (:mod:`.layout`): computed when a figure
is prepared and frozen, so the fast path and full draws put the axes in the
same place.
"""

import io
import re
import threading
import time
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

import matplotlib
import matplotlib.axis
import matplotlib.collections
import matplotlib.lines
import matplotlib.patches
import matplotlib.text
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.container import Container
from matplotlib.figure import Figure

from .formats import FORMATS
from .layout import keep_inside, lay_out

#: Drawing holds the GIL anyway, and matplotlib's shared font and text caches
#: are not safe to use from two threads at once, so draws are serialised. We
#: share the lock matplotlib itself takes in ``Figure.draw`` so host-app draws
#: are serialised with ours. It is private and has no public equivalent: our own
#: lock where it is missing, and tests/test_matplotlib_api.py fails loudly then.
#: Encoding runs outside it.
DRAW_LOCK = getattr(Figure, "_render_lock", None) or threading.RLock()

#: Fixed so that the same seed gives byte-identical SVG files. matplotlib reads it
#: from rcParams only, so it is set for the length of an SVG save, under DRAW_LOCK.
_SVG_HASH_SALT = "wsgi_plot"
_VECTOR_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}

#: Space added beyond data that fell outside the static limits.
_WIDEN_MARGIN = 0.05

#: Agg's canvas is RGBA, one byte a channel; a saved background is a copy of it.
AGG_BYTES_PER_PIXEL = 4

#: A figure's Python objects besides its pixels (artists, transforms, text layout caches):
#: 0.68-0.96 MB measured with tracemalloc for the built-in plots at their defaults after a PNG
#: and an SVG (cached SVG included); rounded up.
FIGURE_OBJECT_BYTES = 1 << 20


def prepared_figure_bytes(plot, width_px: int, height_px: int) -> int:
    """The most a reusable prepared figure holds before any cached SVG (measured later): its Agg
    canvas, for incremental plots a saved background of the same size, and its objects."""
    copies = 2 if plot.incremental else 1
    return copies * AGG_BYTES_PER_PIXEL * width_px * height_px + FIGURE_OBJECT_BYTES


class RenderTimeout(Exception):
    """A render ran past its deadline."""

    def __init__(self, message, figure_untouched=False):
        super().__init__(message)
        #: The deadline passed before drawing began, so the figure can be used again as it is.
        self.figure_untouched = figure_untouched


@dataclass
class Timings:
    """Milliseconds per stage of one render (sent as Server-Timing)."""

    draw: float = 0.0
    encode: float = 0.0


class PreparedFigure:
    """A figure with its canvas and, for incremental plots, the static part laid out.

    Pixels are allocated only when a PNG is drawn: the Agg canvas, and for a
    ``reusable`` incremental figure the saved background of its static part.
    SVG and PDF never touch them. A figure that is not ``reusable`` (too large
    to keep) is drawn in full once, so it saves no background or static SVG.
    """

    def __init__(self, plot, static_values, width: float, height: float, dpi: int, reusable: bool = True):
        self.plot = plot
        self.reusable = reusable
        self.figure = _new_figure(plot, width, height, dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self.axes = None
        self.artists = None  # what init returned, handed back to update
        self.drawn = []  # the artists as a flat list, in drawing order
        self.overlay = []  # static artists drawn again over the changing ones
        self.background = None  # the static part's pixels; saved on the first fast-path PNG
        self.widened = False  # this request's data needed wider limits than the static ones
        self.svg_static = None  # the static part as SVG, without its closing tag; made on first use
        if plot.incremental:
            with DRAW_LOCK:
                self.axes = self.figure.add_subplot()
                self.artists = plot.init(self.axes, static_values)
                if plot.layout:
                    _out_of_layout(_flatten(self.artists))
                    lay_out(self.figure)
                self.drawn = sorted(_flatten(self.artists), key=lambda a: a.get_zorder())
                for artist in self.drawn:
                    artist.set_animated(True)  # left out of full draws, as in blitting
                # Lay out ticks and titles so the overlay can be chosen, on a 1x1 px renderer: text
                # sizes and positions depend on the dpi, not on the canvas, and a full-size one
                # would allocate the figure's pixels, which SVG and PDF never need.
                layout_renderer = RendererAgg(1, 1, dpi)
                self.figure.draw(layout_renderer)
                self.overlay = _overlay(self.axes, self.drawn, layout_renderer)
                for artist in self.overlay:
                    artist.set_animated(True)
                self._forget_static_part()

    @property
    def nbytes(self) -> int:
        """Bytes held now: Agg canvas, saved background, cached static SVG and the figure's objects."""
        width, height = self.canvas.get_width_height(physical=True)
        pixel_copies = (getattr(self.canvas, "renderer", None) is not None) + (self.background is not None)
        return pixel_copies * AGG_BYTES_PER_PIXEL * width * height + len(self.svg_static or b"") + FIGURE_OBJECT_BYTES

    def release(self):
        """Free the pixels and cached SVG now, not when the cyclic garbage collector next runs.

        A figure's artists refer to one another, so a dropped figure is garbage in cycles, and a
        full collection costs ~100 ms in a worker. Its Agg canvas, though, is referred to only by
        the canvas and by every Text drawn with it (matplotlib keeps the last renderer in
        ``Text._renderer``): cutting those frees the pixels at once. The rest is objects (~1 MB).
        """
        self.background = None
        self.svg_static = None
        self._drop_pixels()

    def _drop_pixels(self):
        """Let the Agg canvas go: its renderer, and every Text's reference to it."""
        self.canvas.renderer = None
        self.canvas._lastKey = None  # so that a later get_renderer makes a new one, not returns None
        for text in self.figure.findobj(matplotlib.text.Text):
            text._renderer = None  # its value before the first draw

    def _forget_static_part(self):
        """Take the current view limits as the static ones; the saved background and static SVG,
        drawn at other limits or not yet, are made again when a request next needs them."""
        self.static_limits = self.axes.get_xlim(), self.axes.get_ylim()
        self.background = None
        self.svg_static = None

    def update(self, values, rng, frame=None):
        """Put a request's data in; a full-draw plot is drawn from scratch.

        ``frame`` (an ``animation.Frame``, None for a still image) is passed on to plots whose
        update takes it.
        """
        extra = (frame,) if self.plot.update_takes_frame else ()
        if not self.plot.incremental:
            self.figure.clear()
            self.plot.draw(self.figure.add_subplot(), values, rng, *extra)
            if self.plot.layout:
                lay_out(self.figure)  # nothing is static: laid out per request
            return
        self.plot.update(self.artists, values, rng, *extra)
        if (self.axes.get_xlim(), self.axes.get_ylim()) != self.static_limits:
            # update moved the view itself (a time axis following the requested range): the static
            # part is drawn once at the new limits and kept, so the next request for the same view
            # takes the fast path again.
            self._forget_static_part()
        self.widened = widen_to_fit(self.axes, self.drawn)

    def draw_agg(self):
        """Draw into the Agg buffer: the fast path when the static part still fits."""
        if self.plot.incremental and self.reusable and not self.widened:
            if self.background is None:
                self.canvas.draw()  # the static part alone: the changing artists are animated
                self.background = self.canvas.copy_from_bbox(self.figure.bbox)
            self.canvas.restore_region(self.background)
            for artist in self.drawn + self.overlay:  # overlay: what a full draw puts above them
                self.figure.draw_artist(artist)
        else:
            with self._full_draw():
                self.canvas.draw()

    def encode_vector(self, fmt: str) -> bytes:
        if fmt == "svg" and self.plot.incremental and self.reusable and not self.widened:
            return self._layered_svg()
        with self._full_draw():
            return _encode_vector(self.figure, fmt)

    def _layered_svg(self) -> bytes:
        """The static part's SVG, serialised once, with the changing artists as a layer on top.

        The SVG backend writes the whole figure on every save, and the static
        axes are ~80 % of that work. Layering keeps the drawing order of the
        Agg fast path: static part, changing artists, then the overlay.
        """
        changing = self.drawn + self.overlay
        if self.svg_static is None:
            with _hidden(changing):
                document = _encode_vector(self.figure, "svg")
            self.svg_static = document[: document.rindex(b"</svg>")]
        static = [a for a in self.figure.get_children() + self.axes.get_children()  # patches included
                  if a is not self.axes and a not in changing]
        with _hidden(static):
            layer = _encode_vector(self.figure, "svg")
        return self.svg_static + _svg_layer(layer) + b"</svg>\n"

    @contextmanager
    def _full_draw(self):
        """Let a full draw include every artist, then restore the static state for the next request."""
        for artist in self.drawn + self.overlay:
            artist.set_animated(False)
        # Wider limits may bring wider tick labels: lay out again for this draw only.
        relaid = keep_inside(self.figure) if self.widened and self.plot.layout else None
        try:
            yield
        finally:
            for artist in self.drawn + self.overlay:
                artist.set_animated(True)
            if self.widened:  # the saved background was drawn at the static limits and layout
                self.axes.set_xlim(*self.static_limits[0])
                self.axes.set_ylim(*self.static_limits[1])
                if relaid is not None:
                    relaid.restore()
                self.widened = False


def _overlay(axes, changing, renderer):
    """Static artists of ``axes`` that a full draw puts above ``changing`` where they may meet.

    A full draw stacks artists by zorder; blitting draws the changing ones
    last. Redrawing what lies above them keeps the two pictures the same.
    Axis objects (ticks and tick labels: most of a draw's cost) are left in
    the background unless they reach inside the axes (grid lines, inward ticks).
    """
    if not changing:
        return []
    lowest = min(a.get_zorder() for a in changing)
    overlay = []
    for child in axes.get_children():
        if child is axes.patch or not child.get_visible() or child.get_animated() or child.get_zorder() <= lowest:
            continue
        if isinstance(child, matplotlib.axis.Axis):
            ticks = child.get_major_ticks() + child.get_minor_ticks()
            if not any(t.gridline.get_visible() or t.get_tickdir() != "out" for t in ticks):
                continue
        if isinstance(child, matplotlib.text.Text) and (
            not child.get_text() or not child.get_window_extent(renderer).overlaps(axes.bbox)
        ):
            continue  # titles and labels outside the axes never meet clipped data
        overlay.append(child)
    return sorted(overlay, key=lambda a: a.get_zorder())


def _flatten(artists):
    flat = []
    for item in artists or ():
        if isinstance(item, Container):
            flat.extend(item.get_children())
        else:
            flat.append(item)
    return flat


def _out_of_layout(changing):
    """Leave the changing artists that are clipped to the axes out of layout measurements.

    Clipped, they cannot reach outside the axes, but after a layout their clip
    box differs from the axes' box by rounding, so matplotlib would measure
    each one: 500 histogram bars cost ~100 ms per measurement.
    """
    for artist in changing:
        if artist.get_clip_on():
            artist.set_in_layout(False)


def _data_bounds(artist):
    """``(xmin, ymin, xmax, ymax)`` of an artist's data, or None when unknown or empty."""
    if isinstance(artist, matplotlib.lines.Line2D):
        points = np.asarray(artist.get_xydata(), dtype=float)
    elif isinstance(artist, matplotlib.collections.Collection):
        points = np.asarray(artist.get_offsets(), dtype=float)
        if artist.get_offset_transform() != artist.axes.transData or not len(points):
            bbox = artist.get_datalim(artist.axes.transData)
            points = bbox.get_points() if np.isfinite(bbox.get_points()).all() else np.empty((0, 2))
    elif isinstance(artist, matplotlib.patches.Patch):
        points = artist.get_path().get_extents(artist.get_patch_transform()).get_points()
    else:
        return None
    points = points.reshape(-1, 2)
    points = points[np.isfinite(points).all(axis=1)]
    if not len(points):
        return None
    (xmin, ymin), (xmax, ymax) = points.min(axis=0), points.max(axis=0)
    return xmin, ymin, xmax, ymax


def widen_to_fit(axes, artists) -> bool:
    """Widen the view limits so every data point of ``artists`` shows; True if they changed.

    Cached limits come from static parameters, so an outlier could otherwise
    fall outside the picture.
    """
    bounds = [b for b in map(_data_bounds, artists) if b is not None]
    if not bounds:
        return False
    xmin, ymin = min(b[0] for b in bounds), min(b[1] for b in bounds)
    xmax, ymax = max(b[2] for b in bounds), max(b[3] for b in bounds)
    changed = False
    for lo, hi, get, set_ in (
        (xmin, xmax, axes.get_xlim, axes.set_xlim),
        (ymin, ymax, axes.get_ylim, axes.set_ylim),
    ):
        view_lo, view_hi = sorted(get())
        if lo >= view_lo and hi <= view_hi:
            continue
        new_lo, new_hi = min(lo, view_lo), max(hi, view_hi)
        pad = (new_hi - new_lo) * _WIDEN_MARGIN
        new_lo = new_lo - pad if lo < view_lo else view_lo
        new_hi = new_hi + pad if hi > view_hi else view_hi
        inverted = get()[0] > get()[1]
        set_(*((new_hi, new_lo) if inverted else (new_lo, new_hi)))
        changed = True
    return changed


@contextmanager
def _hidden(artists):
    shown = [a for a in artists if a.get_visible()]
    for artist in shown:
        artist.set_visible(False)
    try:
        yield
    finally:
        for artist in shown:
            artist.set_visible(True)


#: Every id a layer defines or refers to, so that they can be renamed apart from the static part's;
#: ``href`` as SVG 2 writes it, ``xlink:href`` as SVG 1.1 (matplotlib today) does.
_SVG_ID_RE = re.compile(rb'(id="|url\(#|(?:xlink:)?href="#)')


def _svg_layer(document: bytes) -> bytes:
    """The drawing of an SVG document as a fragment to append to another one.

    Keeps everything from the figure's group (the first ``<g>``) to the end,
    dropping the prolog, metadata and style (the static part has them), and
    prefixes the layer's ids: both documents number their groups, clip paths
    and markers alike.
    """
    body = document[document.index(b"<g id="): document.rindex(b"</svg>")]
    return _SVG_ID_RE.sub(rb"\1layer-", body)


def _encode_vector(figure, fmt: str) -> bytes:
    """``figure`` saved as ``fmt``, the same whatever the process's ``savefig.*`` rcParams say.

    Called under DRAW_LOCK. Only the SVG hash salt is set in rcParams, and only it
    is put back: ``rc_context`` would put back every rcParam, undoing changes a
    host app's thread made meanwhile.
    """
    out = io.BytesIO()
    with _rc_param("svg.hashsalt", _SVG_HASH_SALT) if fmt == "svg" else nullcontext():
        figure.savefig(out, format=fmt, metadata=_VECTOR_METADATA[fmt], dpi="figure", facecolor="auto",
                       edgecolor="auto", transparent=False,
                       bbox_inches=figure.bbox_inches)  # the whole figure: savefig.bbox may say "tight"
    return out.getvalue()


@contextmanager
def _rc_param(name, value):
    previous = matplotlib.rcParams[name]
    matplotlib.rcParams[name] = value
    try:
        yield
    finally:
        matplotlib.rcParams[name] = previous


def render(prepared: PreparedFigure, values, rng, fmt, deadline: float | None = None) -> tuple[bytes, Timings]:
    """Draw ``values`` into ``prepared`` and encode it as ``fmt`` (a still ``Format`` or its name).

    A raster format is drawn into the Agg canvas by the fast path and encoded outside the draw
    lock; a vector one is saved by matplotlib under it. The figure stays reusable.
    """
    fmt = _still_format(fmt)
    timings = Timings()
    start = time.perf_counter()
    with DRAW_LOCK:
        # The lock may have been held long (a host app's draw, a queue of renders): a request
        # already past its deadline is not drawn at all.
        _check_deadline(deadline, "wait for the draw lock", figure_untouched=True)
        prepared.update(values, rng)
        if fmt.raster:
            prepared.draw_agg()
        _check_deadline(deadline, "draw")
        timings.draw = _ms_since(start)
        if not fmt.raster:
            start = time.perf_counter()
            data = prepared.encode_vector(fmt.name)
            timings.encode = _ms_since(start)
    if fmt.raster:
        # Outside the lock: the figure is ours until it goes back to the pool.
        start = time.perf_counter()
        data = fmt.encode(np.asarray(prepared.canvas.buffer_rgba()), prepared.figure.dpi)
        timings.encode = _ms_since(start)
    _check_deadline(deadline, "encode")
    return data, timings


def render_unpooled(plot, values, rng, fmt: str, width: float, height: float, dpi: int, frame=None) -> bytes:
    """A full draw on a brand-new figure: the reference the fast path must match."""
    fmt = _still_format(fmt)
    extra = (frame,) if plot.update_takes_frame else ()
    figure = _new_figure(plot, width, height, dpi)
    canvas = FigureCanvasAgg(figure)
    with DRAW_LOCK:
        axes = figure.add_subplot()
        if plot.incremental:
            artists = plot.init(axes, plot.static_values(values))
            if plot.layout:
                _out_of_layout(_flatten(artists))
                lay_out(figure)
            plot.update(artists, values, rng, *extra)
            if widen_to_fit(axes, _flatten(artists)) and plot.layout:
                keep_inside(figure)
        else:
            plot.draw(axes, values, rng, *extra)
            if plot.layout:
                lay_out(figure)
        if not fmt.raster:
            return _encode_vector(figure, fmt.name)
        canvas.draw()
    return fmt.encode(np.asarray(canvas.buffer_rgba()), figure.dpi)


def _still_format(fmt):
    fmt = FORMATS[fmt] if isinstance(fmt, str) else fmt
    if fmt.kind != "still":
        raise ValueError(f"{fmt.name} is not a still image; animations and streams draw frames")
    return fmt


def _new_figure(plot, width, height, dpi) -> Figure:
    # No layout engine for a plot we lay out: one would lay out again on every full draw.
    return Figure(figsize=(width, height), dpi=dpi, layout="none" if plot.layout else None)


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _check_deadline(deadline, stage, figure_untouched=False):
    if deadline is not None and time.monotonic() > deadline:
        raise RenderTimeout(f"render passed its deadline during {stage}", figure_untouched)
