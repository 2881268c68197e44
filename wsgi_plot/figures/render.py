"""The prepared figure: a plot's static part drawn once, and the fast path that redraws the rest.

The fast path (PNG of an incremental plot) works like matplotlib's blitting:
the figure's static part is drawn once and its pixels saved; a request
restores those pixels, updates the changing artists and draws only them.
SVG gets the same split: the static part is serialised once and each request
appends only the changing artists, as a layer on top.

The static part includes the layout (:mod:`.layout`): computed when a figure
is prepared and frozen, so the fast path and full draws put the axes in the
same place.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, cast

import matplotlib
import matplotlib.axes
import matplotlib.axis
import matplotlib.collections
import matplotlib.image
import matplotlib.lines
import matplotlib.patches
import matplotlib.text
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.container import Container
from matplotlib.figure import Figure

from ..declare.looks import DEFAULT_LOOK, Look
from .layout import FrozenLayout, all_axes, lay_out, measuring_renderer
from .mpl_compat import DRAW_LOCK, forget_renderer, text_layouts_memoized
from .theme import make_transparent, styled
from .vector_files import save_vector, svg_layer

if TYPE_CHECKING:

    from ..core.frame import Frame
    from ..declare.params import Values
    from ..declare.plot import Plot


#: Space added beyond data that fell outside the static limits.
_WIDEN_MARGIN = 0.05

#: Agg's canvas is RGBA, one byte a channel; a saved background is a copy of it.
AGG_BYTES_PER_PIXEL = 4

#: A figure's Python objects besides its pixels (artists, transforms, text layout caches):
#: 0.68-0.96 MB measured with tracemalloc for the built-in plots at their defaults after a PNG
#: and an SVG (cached SVG included); rounded up.
FIGURE_OBJECT_BYTES = 1 << 20

#: Layouts remembered per pooled figure (each a few boxes per axes): the scales a chart's data
#: comes back to, and the static limits after a widened request.
LAYOUTS_REMEMBERED = 8

#: An axes' view limits: ``(xlim, ylim)``, each ``(left, right)`` as ``get_xlim`` gives them.
ViewLimits = tuple[tuple[float, float], tuple[float, float]]


def prepared_figure_bytes(plot: "Plot", width_px: int, height_px: int) -> int:
    """The most a reusable prepared figure holds before any cached SVG (measured later): its Agg
    canvas, for incremental plots a saved background of the same size, and its objects."""
    copies = 2 if plot.incremental else 1
    return copies * AGG_BYTES_PER_PIXEL * width_px * height_px + FIGURE_OBJECT_BYTES


class PreparedFigure:
    """A figure with its canvas and, for incremental plots, the static part drawn by ``init`` and
    laid out.

    Pixels are allocated only when a PNG is drawn: the Agg canvas, and for a
    ``reusable`` incremental figure the saved background of its static part.
    SVG and PDF never touch them. A figure that is not ``reusable`` (too large
    to keep) is drawn in full once, so it saves no background or static SVG.
    """

    def __init__(self, plot: "Plot", static_values: "Values", width: float, height: float, dpi: int,
                 reusable: bool = True, look: Look = DEFAULT_LOOK) -> None:
        self.plot = plot
        self.reusable = reusable
        self.look = look
        with self.look_applied():  # the figure's own colours come from the theme
            self.figure = _new_figure(plot, width, height, dpi)
        self.canvas = FigureCanvasAgg(self.figure)
        self._engine = self.figure.get_layout_engine() if plot.layout else None
        self._measure = measuring_renderer(self.figure)  # kept: matplotlib caches text sizes per renderer
        self.layout: FrozenLayout | None = None  # once laid out
        self._layouts: list[FrozenLayout] = []  # matplotlib's own layouts made for this figure, latest used first
        self.artists: Iterable[Artist | Container] | None = None  # what init returned, handed back to update
        self.changing: list[Artist] = []  # the artists as a flat list
        self.painted: list[Artist] = []  # what the fast path draws over the background, in a full draw's order
        # The static part's pixels; saved on the first fast-path PNG. Agg's BufferRegion (its module is
        # private and has no stubs): only ever handed back to restore_region.
        self.background: object | None = None
        self.widened: list[matplotlib.axes.Axes] = []  # axes this request's data widened beyond the static limits
        self.svg_static: bytes | None = None  # the static part as SVG, without its closing tag; made on first use
        self.static_limits: dict[matplotlib.axes.Axes, ViewLimits] = {}
        if plot.incremental:
            assert plot.init is not None  # Plot checks that a plot has init and update, or draw
            with self.look_applied():
                self.artists = plot.init(self.figure, static_values)
                if look.transparent:
                    make_transparent(self.figure)
                self.changing = _flatten(self.artists)
                if plot.layout:
                    _out_of_layout(self.changing)
                    self.layout = self._lay_out()
                # Lay out ticks and titles so what the fast path paints can be chosen; text sizes and positions
                # depend on the dpi, not on the canvas.
                self.figure.draw(self._measure)
                self.painted = _painted(self.figure, self.changing, self._measure)
                for artist in self.painted:
                    artist.set_animated(True)  # left out of full draws, as in blitting
                self._forget_static_part()

    @contextmanager
    def look_applied(self) -> Iterator[None]:
        """The look applied while this figure is built, updated, laid out and drawn: under DRAW_LOCK
        (re-entrant; callers hold it already), so no other thread draws with it or sees it. Text
        layouts are measured once per distinct text meanwhile (exact: mpl_compat)."""
        with DRAW_LOCK, styled(self.look), text_layouts_memoized():
            yield

    @property
    def nbytes(self) -> int:
        """Bytes held now: Agg canvas, saved background, cached static SVG and the figure's objects."""
        width, height = self.canvas.get_width_height(physical=True)
        pixel_copies = (getattr(self.canvas, "renderer", None) is not None) + (self.background is not None)
        return pixel_copies * AGG_BYTES_PER_PIXEL * width * height + len(self.svg_static or b"") + FIGURE_OBJECT_BYTES

    def release(self) -> None:
        """Free the pixels and cached SVG now, not when the cyclic garbage collector next runs.

        A figure's artists refer to one another, so a dropped figure is garbage in cycles, and a
        full collection costs ~100 ms in a worker. Its Agg canvas, though, is referred to only by
        the canvas and by every Text drawn with it (matplotlib keeps the last renderer in
        ``Text._renderer``): cutting those frees the pixels at once. The rest is objects (~1 MB).
        """
        self.background = None
        self.svg_static = None
        self._drop_pixels()

    def _drop_pixels(self) -> None:
        """Let the Agg canvas go: its renderer, and every Text's reference to it."""
        texts = self.figure.findobj(matplotlib.text.Text)
        for axes in all_axes(self.figure):  # ticks beyond the current count, which findobj skips
            for axis in (child for child in axes.get_children() if isinstance(child, matplotlib.axis.Axis)):
                texts += [label for tick in axis.majorTicks + axis.minorTicks for label in (tick.label1, tick.label2)]
        forget_renderer(self.canvas, texts)

    def _limits(self) -> dict[matplotlib.axes.Axes, ViewLimits]:
        return {axes: (axes.get_xlim(), axes.get_ylim()) for axes in all_axes(self.figure)}

    def _moved_axes(self) -> list[matplotlib.axis.Axis]:
        """The axis objects whose view limits differ from the static ones."""
        moved: list[matplotlib.axis.Axis] = []
        for axes, (xlim, ylim) in self._limits().items():
            static = self.static_limits.get(axes)
            if static is None or xlim != static[0]:
                moved.append(axes.xaxis)
            if static is None or ylim != static[1]:
                moved.append(axes.yaxis)
        return moved

    def _forget_static_part(self) -> None:
        """Take the current view limits as the static ones; the saved background and static SVG,
        drawn at other limits or not yet, are made again when a request next needs them."""
        self.static_limits = self._limits()
        self.background = None
        self.svg_static = None

    def load(self, values: "Values") -> None:
        """Run the plot's ``load`` hook (a query), if it has one: before ``update`` and outside
        DRAW_LOCK, so a slow read stalls no other thread's draw. The figure is this request's alone."""
        if self.plot.load is not None:
            self.plot.load(self.artists, values)

    def update(self, values: "Values", rng: np.random.Generator, frame: "Frame | None" = None) -> None:
        """Put a request's data in; a full-draw plot is drawn from scratch.

        ``frame`` (an ``animation.Frame``, None for a still image) is passed on to plots whose
        update takes it.
        """
        with self.look_applied():
            self._update(values, rng, frame)

    def _update(self, values: "Values", rng: np.random.Generator, frame: "Frame | None") -> None:
        extra = (frame,) if self.plot.update_takes_frame else ()
        if not self.plot.incremental:
            assert self.plot.draw is not None  # what not incremental means
            self.figure.clear()
            self.plot.draw(self.figure, values, rng, *extra)
            if self.look.transparent:
                make_transparent(self.figure)
            if self.plot.layout:  # nothing is static: laid out per request
                self.layout = self._lay_out()
            return
        assert self.plot.update is not None  # Plot checks that an incremental plot has one
        self.plot.update(self.artists, values, rng, *extra)
        moved = self._moved_axes()
        if moved:
            # update moved the view itself (a time axis following the requested range, limits that
            # follow the data): the static part is drawn once at the new limits and kept, so the
            # next request for the same view takes the fast path again. The new tick labels are
            # measured first; the layout runs again only if they change the margins.
            self._keep_text_inside(moved)
            self._forget_static_part()
        self.widened = [axes for axes, artists in _by_axes(self.changing).items() if widen_to_fit(axes, artists)]

    def undo_widening(self) -> None:
        """Back to the static limits after an update that was not drawn (an alt text was read):
        a widened view is for the one request that drew it."""
        for axes in self.widened:
            xlim, ylim = self.static_limits[axes]
            axes.set_xlim(*xlim, auto=None)  # autoscaling stays on: widened again by the next outlier
            axes.set_ylim(*ylim, auto=None)
        self.widened = []

    def _keep_text_inside(self, moved: Iterable[matplotlib.axis.Axis]) -> bool:
        """Lay out again if the new tick labels of ``moved`` axis objects change the margins (or
        collide); True if it did.

        A layout made before for labels like these is put back rather than made again (data that
        comes back to a scale it had: the engine's two passes and the layer's checks skipped).
        Only matplotlib's own layouts are remembered, at most :data:`LAYOUTS_REMEMBERED` per
        figure, and one is taken only if it holds for every axis (:meth:`FrozenLayout.holds_again`).
        """
        if self.layout is None or self.layout.still_holds(self._measure, moved):
            return False
        self._lay_out_again()
        return True

    def _lay_out_again(self) -> None:
        """A layout for the figure as it is now: a remembered one that holds, else a new one."""
        assert self.layout is not None
        if not self.layout.reusable:
            self.layout.restore()  # its changes undone: the remembered layouts start from init's figure
        candidates = [remembered for remembered in self._layouts if remembered is not self.layout]
        depths = self.layout.axis_depths(self._measure) if candidates else {}  # measured only when asked
        for remembered in candidates:
            if remembered.may_hold(depths) and remembered.holds_again(self._measure):
                self._layouts.remove(remembered)
                self._layouts.insert(0, remembered)
                self.layout = remembered
                return
        self.layout = self._lay_out(previous=self.layout)

    def _lay_out(self, previous: FrozenLayout | None = None) -> FrozenLayout:
        assert self._engine is not None  # a plot laid out has one: _new_figure made it
        layout = lay_out(self.figure, self._engine, self._measure, previous=previous)
        if self.plot.incremental and layout.reusable:  # a full-draw plot's axes are new each request
            self._layouts.insert(0, layout)
            del self._layouts[LAYOUTS_REMEMBERED:]
        return layout

    def draw_agg(self) -> None:
        """Draw into the Agg buffer: the fast path when the static part still fits."""
        with self.look_applied():
            self._draw_agg()

    def _draw_agg(self) -> None:
        if self.plot.incremental and self.reusable and not self.widened:
            if self.background is None:
                with _hidden(self._images_changing()):  # drawn in full draws even when animated
                    self.canvas.draw()  # the static part alone: the painted artists are animated
                self.background = self.canvas.copy_from_bbox(self.figure.bbox)
            self.canvas.restore_region(self.background)
            for artist in self.painted:
                self.figure.draw_artist(artist)
        else:
            with self._full_draw():
                self.canvas.draw()

    def _images_changing(self) -> list[matplotlib.image.AxesImage]:
        return [a for a in self.changing if isinstance(a, matplotlib.image.AxesImage)]

    def encode_vector(self, fmt: str) -> bytes:
        with self.look_applied():
            return self._vector(fmt)

    def _vector(self, fmt: str) -> bytes:
        if fmt == "svg" and self.plot.incremental and self.reusable and not self.widened:
            return self._layered_svg()
        with self._full_draw():
            return save_vector(self.figure, fmt)

    def _layered_svg(self) -> bytes:
        """The static part's SVG, serialised once, with the painted artists as a layer on top.

        The SVG backend writes the whole figure on every save, and the static
        axes are ~80 % of that work. Layering keeps the drawing order of the
        Agg fast path: static part, then what the fast path paints.
        """
        if self.svg_static is None:
            with _hidden([*self.painted, *self._images_changing()]):
                document = save_vector(self.figure, "svg")
            self.svg_static = document[: document.rindex(b"</svg>")]
        with _hidden(_static_around(self.figure, set(self.painted))), _unanimated(self.painted):
            layer = save_vector(self.figure, "svg")
        return self.svg_static + svg_layer(layer) + b"</svg>\n"

    @contextmanager
    def _full_draw(self) -> Iterator[None]:
        """Let a full draw include every artist, then restore the static state for the next request."""
        # Wider limits may bring wider tick labels: lay out again for this draw if they do not fit.
        relaid = self.widened and self._keep_text_inside([a for axes in self.widened for a in (axes.xaxis, axes.yaxis)])
        try:
            with _unanimated(self.painted):
                yield
        finally:
            if self.widened:  # the saved background was drawn at the static limits and layout
                self.undo_widening()
                if relaid:
                    self._lay_out_again()  # the static limits' layout: remembered, as a rule
                    self.background = self.svg_static = None


def _painted(figure: Figure, changing: list[Artist], renderer: RendererAgg) -> list[Artist]:
    """What the fast path draws over the saved background, in the order a full draw paints it.

    A full draw stacks each axes' children by zorder; blitting draws only some of them. Besides
    the changing artists, that is every static artist a full draw puts above them where they may
    meet: in their axes, children above the lowest changing one (axis objects, most of a draw's
    cost, only when their grid lines or ticks reach inside; texts only inside the axes); axes
    drawn later over the same place (twins); figure texts and legends over a changing axes.
    """
    changing_set = set(changing)
    by_axes = _by_axes(changing)
    redrawn = set(changing)
    for axes, artists in by_axes.items():
        redrawn.update(_above(axes, artists, renderer))
    changed_boxes = [axes.bbox for axes in by_axes]
    seen_changes = False
    for child in sorted(figure.get_children(), key=lambda a: a.get_zorder()):
        if child is figure.patch or not child.get_visible():
            continue
        if isinstance(child, matplotlib.axes.Axes):
            if seen_changes and child not in by_axes and any(child.bbox.overlaps(box) for box in changed_boxes):
                redrawn.add(child)  # a twin drawn over changing data
            seen_changes = seen_changes or _holds_any(child, by_axes)
        elif any(child.get_window_extent(renderer).overlaps(box) for box in changed_boxes):
            redrawn.add(child)
    order: list[Artist] = []

    def walk(parent_children: list[Artist]) -> None:
        for child in sorted(parent_children, key=lambda a: a.get_zorder()):
            if child in redrawn:
                order.append(child)
                if isinstance(child, matplotlib.axes.Axes) and child not in changing_set:
                    walk(child.get_children())  # what Axes.draw leaves out: its animated children
            elif isinstance(child, matplotlib.axes.Axes):
                walk(child.get_children())

    walk([c for c in figure.get_children() if c is not figure.patch])
    return order


def _above(axes: matplotlib.axes.Axes, changing: list[Artist], renderer: RendererAgg) -> list[Artist]:
    """Static children of ``axes`` that a full draw puts above ``changing`` where they may meet."""
    lowest = min(a.get_zorder() for a in changing)
    found: list[Artist] = []
    for child in axes.get_children():
        if child is axes.patch or not child.get_visible() or child in changing or child.get_zorder() <= lowest:
            continue
        if isinstance(child, matplotlib.axis.Axis):
            ticks = child.get_major_ticks() + child.get_minor_ticks()
            if not any(t.gridline.get_visible() or t.get_tickdir() != "out" for t in ticks):
                continue
        if isinstance(child, matplotlib.text.Text) and (
            not child.get_text() or not child.get_window_extent(renderer).overlaps(axes.bbox)
        ):
            continue  # titles and labels outside the axes never meet clipped data
        found.append(child)
    return found


def _by_axes(artists: Iterable[Artist]) -> dict[matplotlib.axes.Axes, list[Artist]]:
    """``artists`` grouped by the axes they belong to, in order."""
    grouped: dict[matplotlib.axes.Axes, list[Artist]] = {}
    for artist in artists:
        if artist.axes is not None:
            # An Axes: the stubs type Artist.axes as its private base class.
            grouped.setdefault(cast(matplotlib.axes.Axes, artist.axes), []).append(artist)
    return grouped


def _holds_any(axes: matplotlib.axes.Axes, by_axes: dict[matplotlib.axes.Axes, list[Artist]]) -> bool:
    return axes in by_axes or any(_holds_any(cast(matplotlib.axes.Axes, child), by_axes) for child in axes.child_axes)


def _static_around(figure: Figure, shown: set[Artist]) -> list[Artist]:
    """The visible artists to hide so that only ``shown`` (and the axes holding them) is drawn."""
    hidden: list[Artist] = []

    def holds(artist: Artist) -> bool:
        return artist in shown or (isinstance(artist, matplotlib.axes.Axes)
                                   and any(holds(child) for child in artist.get_children()))

    def walk(children: list[Artist]) -> None:
        for child in children:
            if child in shown or not child.get_visible():
                continue
            if isinstance(child, matplotlib.axes.Axes) and holds(child):
                walk(child.get_children())
            else:
                hidden.append(child)

    walk(figure.get_children())
    return hidden


def _flatten(artists: Iterable[Artist | Container] | None) -> list[Artist]:
    flat: list[Artist] = []
    for item in artists or ():
        if isinstance(item, Container):
            flat.extend(item.get_children())
        else:
            flat.append(item)
    return flat


def _out_of_layout(changing: Iterable[Artist]) -> None:
    """Leave the changing artists that are clipped to the axes out of layout measurements.

    Clipped, they cannot reach outside the axes, but after a layout their clip
    box differs from the axes' box by rounding, so matplotlib would measure
    each one: 500 histogram bars cost ~100 ms per measurement.
    """
    for artist in changing:
        if artist.get_clip_on():
            artist.set_in_layout(False)


def _data_bounds(artist: Artist) -> tuple[float, float, float, float] | None:
    """``(xmin, ymin, xmax, ymax)`` of an artist's data, or None when unknown or empty."""
    if isinstance(artist, matplotlib.lines.Line2D):
        points = np.asarray(artist.get_xydata(), dtype=float)
    elif isinstance(artist, matplotlib.collections.Collection) and artist.axes is not None:
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


def widen_to_fit(axes: matplotlib.axes.Axes, artists: Iterable[Artist]) -> bool:
    """Widen the autoscaled view limits so every data point of ``artists`` shows; True if they changed.

    The static part was drawn at the limits ``init`` left, so an outlier could otherwise fall
    outside the picture where matplotlib's autoscaling would have shown it. Limits the plot's
    code fixed (``set_xlim``, ``set_ylim``: autoscaling off for that axis) stay as they are, and
    matplotlib clips, as it does on a plain figure. The autoscaling state is left as it was.
    """
    bounds = [b for b in map(_data_bounds, artists) if b is not None]
    if not bounds:
        return False
    xmin, ymin = min(b[0] for b in bounds), min(b[1] for b in bounds)
    xmax, ymax = max(b[2] for b in bounds), max(b[3] for b in bounds)
    changed = False
    for lo, hi, get, set_, autoscaled in (
        (xmin, xmax, axes.get_xlim, axes.set_xlim, axes.get_autoscalex_on()),
        (ymin, ymax, axes.get_ylim, axes.set_ylim, axes.get_autoscaley_on()),
    ):
        if not autoscaled:
            continue
        view_lo, view_hi = sorted(get())
        if lo >= view_lo and hi <= view_hi:
            continue
        new_lo, new_hi = min(lo, view_lo), max(hi, view_hi)
        pad = (new_hi - new_lo) * _WIDEN_MARGIN
        new_lo = new_lo - pad if lo < view_lo else view_lo
        new_hi = new_hi + pad if hi > view_hi else view_hi
        inverted = get()[0] > get()[1]
        set_(*((new_hi, new_lo) if inverted else (new_lo, new_hi)), auto=None)
        changed = True
    return changed


@contextmanager
def _unanimated(artists: Sequence[Artist]) -> Iterator[None]:
    """Let a full draw or a save include ``artists``: a figure leaves out animated children even
    when saving."""
    for artist in artists:
        artist.set_animated(False)
    try:
        yield
    finally:
        for artist in artists:
            artist.set_animated(True)


@contextmanager
def _hidden(artists: Iterable[Artist]) -> Iterator[None]:
    shown = [a for a in artists if a.get_visible()]
    for artist in shown:
        artist.set_visible(False)
    try:
        yield
    finally:
        for artist in shown:
            artist.set_visible(True)


def _new_figure(plot: "Plot", width: float, height: float, dpi: int) -> Figure:
    """The reference's figure: constrained layout with matplotlib's settings, so that what ``init``
    or ``draw`` makes (colorbars, outside legends) is placed as plain matplotlib places it. The
    layout is then run by :func:`.layout.lay_out`, which freezes it."""
    return Figure(figsize=(width, height), dpi=dpi, layout="constrained" if plot.layout else None)
