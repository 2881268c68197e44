"""Text that fits: matplotlib's constrained layout, run once and frozen, plus what it lacks.

A figure is laid out by the very engine ``Figure(layout="constrained")`` runs at every draw,
with its settings. The layout runs when a figure is prepared (after ``init``) and is then frozen:
the figure keeps no layout engine, so full draws and the fast path's saved background put every
axes in the same place.

The rule: where matplotlib's own picture is clean (:func:`clean`: no text within
:data:`EDGE_PIXELS` of the figure's edge, no two texts overlapping), it is the picture. Where it
is not, the picture carries every piece of information matplotlib's carries, tried in this order
until the text is clean:

* at each text scale of :func:`_scales` (1, then smaller down to :data:`MIN_TEXT_PIXELS`, all text
  together as a smaller ``font.size`` would set it), with the pads at least :data:`PAD_PIXELS`:
  titles and axis labels past the edge (and axes titles wider than their axes, side by side)
  wrapped at spaces, mathtext between ``$...$`` groups; legends past the edge packed in fewer
  columns, an axes' legend outside its axes moved inside at ``loc="best"``; category tick labels
  that collide wrapped, then turned upright (never thinned); numeric tick labels that collide
  thinned the locator's way (fewer ticks: ``MaxNLocator``'s ``nbins``), or where it has no count
  every k-th label kept (as Vega-Lite's ``labelOverlap: "parity"``); a 3D axes' axis labels moved
  off its tick labels, and the axes drawn smaller while they run past the edge;
* at the smallest scale, tick labels shortened with "…" (category labels each keeping a name of
  its own); then titles and axis labels kept to one line, shortened with "…"; and only past that
  (below the smallest supported size, docs/plots.md) decorations dropped in this order: titles,
  axis labels, tick labels (with their marks), every other text and legend, and last the spines.

Every try starts from the figure as ``init`` left it, so the result depends on the request only.
:class:`FrozenLayout` remembers what a layout decided; :meth:`FrozenLayout.still_holds` tells, by
measuring the moved axes' text only, whether new view limits (a request's data, a moving time
axis) leave every margin as it is, so the engine runs again only when the picture would change.
"""

import functools
import math
import warnings
from collections.abc import Callable, Iterable
from typing import Literal, cast

import matplotlib.axes
import matplotlib.axis
import matplotlib.category
import matplotlib.cbook
import matplotlib.legend
import matplotlib.text
import matplotlib.ticker
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.layout_engine import ConstrainedLayoutEngine, LayoutEngine
from matplotlib.transforms import Bbox

from .mpl_compat import (
    LAYOUT_COLLAPSED_WARNING,
    NO_GRIDSPEC_WARNING,
    axes_titles,
    fewer_ticks,
    figure_texts,
    legend_columns,
    move_legend_inside,
    renderer_asked_for,
    repack_legend,
    sup_labels,
    suptitle,
    ticks_drawn,
)
from .mpl_compat import (
    linespacing as mpl_linespacing,
)

#: A try whose text fits is taken if the axes keep at least this share of the figure's width and
#: height (all axes together); else a smaller text scale is tried first (a plot that is all labels
#: shows no data), and the largest scale whose text fit is taken if none leaves that room.
MIN_AXES_FRACTION = 0.5

#: Neighbouring tick labels keep this gap along their text, in ems: about half a character.
LABEL_GAP_EM = 0.3
#: Across the text (labels stacked, or rotated side by side) their line boxes may overlap this
#: much: a box spans the font's whole ascent and descent ("lp", 1.17 em for DejaVu Sans), ink
#: less; at this overlap a descender above meets a capital below at worst. matplotlib's own
#: stacked month labels on a 180 px thumbnail overlap 0.1 em and read well.
LINE_OVERLAP_EM = 0.15

#: Shortened tick labels reach at most this share of the figure across their axis.
SHORT_LABEL_FRACTION = 0.25

#: At least this many pixels between text and the figure's edge: glyphs are antialiased and
#: lines snapped to whole pixels.
EDGE_PIXELS = 2

#: The layout's pads are at least this many pixels, matplotlib's 3 points from 96 dpi up: at 10
#: dpi 3 points are less than a pixel, and antialiased glyph edges reach 2 px beyond a rotated
#: label's measured box (matplotlib 3.8 to 3.10's text metrics).
PAD_PIXELS = 4

#: Two texts overlapping by at most this many pixels (both ways) still read: antialiased edges.
OVERLAP_PIXELS = 2

#: Text is set smaller in steps of this factor when it does not fit at its size...
SCALE_STEP = 0.75
#: ...down to this many pixels for the smallest text's em: legible on a screen (about 4.5 points).
MIN_TEXT_PIXELS = 6

ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"

#: Pixels: a text measured this much nearer the figure's edge is a rounding error.
_EDGE_ROUNDING = 0.5

#: Pixels: text the engine placed exactly at the pads measures a rounding error past them.
_ROUNDING = 1e-6

#: Decorations that measure within this many pixels of the frozen ones are the same: rounding.
_SAME_PIXELS = 1e-3

#: matplotlib 3.11's default ``linespacing="normal"`` spaces lines by the font's own metrics: for
#: DejaVu Sans that measures as 1.2 times the lines' "lp" heights (within half a pixel a line at
#: 100 dpi), 1.2 being earlier releases' default.
_NORMAL_LINESPACING = 1.2


class FrozenLayout:
    """What :func:`lay_out` changed on a figure, and each axes' decorations as it measured them."""

    def __init__(self) -> None:
        self.level = 0  # 0: matplotlib's picture; 1: text fixed or set smaller; 1 + n: n ladder steps taken
        # Titles and axis labels that do not fit shortened to one line with "…" rather than wrapped
        # (a ladder step: wrapped lines take the height the axes need).
        self.one_line = False
        self._zooms: dict[matplotlib.axes.Axes, int] = {}  # a 3D axes -> its zoom's index in _fit_3d_labels
        self._undo: list[Callable[[], None]] = []
        # axes -> its decorations' box (pixels), as the layout made room for them
        self._boxes: dict[matplotlib.axes.Axes, Bbox] = {}
        # axis object -> its box (pixels): ticks, tick labels, label (None: it draws nothing)
        self._axis_boxes: dict[matplotlib.axis.Axis, Bbox | None] = {}
        # axes -> positions (original, active) and in_layout before any layout
        self._initial: dict[matplotlib.axes.Axes, tuple[Bbox, Bbox, bool]] = {}
        # axes -> where this layout put it (the same three)
        self._placed: dict[matplotlib.axes.Axes, tuple[Bbox, Bbox, bool]] = {}

    def restore(self) -> None:
        """Undo every change the layer made (wrapped texts, thinned labels, hidden decorations)."""
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()
        self.level = 0
        self.one_line = False
        self._zooms.clear()

    @property
    def reusable(self) -> bool:
        """Whether the layout changed nothing but the axes' positions (matplotlib's own picture):
        it can be put back later by positions alone (:meth:`holds_again`)."""
        return self.level == 0 and not self._undo

    def may_hold(self, depths: dict[matplotlib.axis.Axis, float | None]) -> bool:
        """Whether each axis object's depth (its box across the axis: an x axis' height, a y
        axis' width), ``depths`` as measured where the figure's current layout put it, is the
        depth this layout recorded: a cheap first look, before :meth:`holds_again` measures at
        this layout's positions (where the ticks may differ)."""
        recorded = _depths(self._axis_boxes)
        for axis, depth in depths.items():
            was = recorded.get(axis)
            if depth is None or was is None:
                if depth is not was:
                    return False
            elif abs(depth - was) > _SAME_PIXELS:
                return False
        return True

    def axis_depths(self, renderer: RendererAgg) -> dict[matplotlib.axis.Axis, float | None]:
        """Each axis object's depth as it stands now, for :meth:`may_hold`."""
        return _depths({axis: axis.get_tightbbox(renderer, for_layout_only=True)
                        for axes in self._placed for axis in _axis_objects(axes)})

    def holds_again(self, renderer: RendererAgg) -> bool:
        """Put every axes where this layout put it; whether the layout holds for the labels the
        axes show now: :meth:`still_holds`, every axis object measured. Only for a
        :attr:`reusable` layout, and after the figure's current layout was undone."""
        for axes, (original, active, in_layout) in self._placed.items():
            axes.set_position(original, which="original")
            axes.set_position(active, which="active")
            axes.set_in_layout(in_layout)
        return self.still_holds(renderer, [axis for axes in self._placed for axis in _axis_objects(axes)])

    def still_holds(self, renderer: RendererAgg, moved_axes: Iterable[matplotlib.axis.Axis]) -> bool:
        """Whether the layout stays as it is after the view limits of ``moved_axes`` (axis objects)
        moved: their axes' decorations, new tick labels included, measure what they measured
        when the layout was made (so the engine would find the same margins and place everything
        where it is), no labels collide, and none of them were thinned for other ticks.

        Measures those axes' text only: the engine runs again only when the picture would change.
        The same request so gets the same layout whatever the pooled figure drew before.
        """
        for axis in moved_axes:
            if isinstance(axis.get_major_formatter(), ThinnedFormatter):
                return False  # a thinned axis is judged again from all its new labels
            if not _keeps_box(axis.get_tightbbox(renderer, for_layout_only=True), self._axis_boxes.get(axis),
                              self._boxes.get(axis.axes)):
                return False
            if _collide(_drawn_tick_labels(axis), renderer):
                return False
        return True


def lay_out(figure: Figure, engine: LayoutEngine, renderer: RendererAgg,
            previous: FrozenLayout | None = None) -> FrozenLayout:
    """Lay ``figure`` out with ``engine`` (its constrained layout) and the layer above; then freeze.

    Tries, in order, until the text fits: matplotlib's own picture (level 0); then at each text
    scale of :func:`_scales` (1, then smaller, as a smaller ``font.size`` would set it) the same
    with texts wrapped, legends repacked or moved inside, category labels wrapped or turned and
    numeric tick labels thinned; at the smallest scale, category labels shortened with "…", then
    titles kept to one line with "…"; and only past that (figures below the smallest supported
    size) decorations dropped.

    ``renderer`` measures text (a 1x1 px Agg renderer at the figure's dpi does). ``previous``, a
    layout of the same figure, is undone first. Call with the draw lock held.
    """
    layout = FrozenLayout()
    if previous is None:
        layout._initial = _positions(figure)
    else:
        previous.restore()
        layout._initial = previous._initial
    scales = _scales(figure)
    plan: list[tuple[float, int, bool]] = [(1.0, 0, False)]  # (text scale, drop steps, changes allowed)
    if not _too_many_categories(figure):
        plan += [(scale, 0, True) for scale in scales]
    plan += [(scales[-1], drops, True) for drops in range(1, len(_LADDER))]
    boxes: dict[matplotlib.axes.Axes, Bbox] | None = None
    # Our figures are laid out on their Agg canvas (render.PreparedFigure); the stubs know a base one.
    with renderer_asked_for(cast(FigureCanvasAgg, figure.canvas), renderer):
        roomless: int | None = None  # the first try whose text fit but left the axes little room
        index = 0
        while index < len(plan):
            scale, drops, changes = plan[index]
            boxes = _try(figure, engine, renderer, layout, scale, drops, changes)
            if boxes is not None:
                if not changes or drops or fits(figure, renderer, need_room=True, boxes=boxes):
                    break
                if roomless is None:
                    roomless = index
                if roomless == index and index + 1 < len(plan) and plan[index + 1][1] == 1:
                    break  # the last scale is the first that fit: kept as it is
            if plan[index][1] == 0 and index + 1 < len(plan) and plan[index + 1][1] == 1 and \
                    roomless is not None and roomless != index:
                # Every scale fit its text only with little room for the data: rather that, at the
                # largest such scale, than text given up.
                boxes = _try(figure, engine, renderer, layout, *plan[roomless])
                break
            index += 1
    figure.set_layout_engine("none")  # frozen: draws keep these positions
    layout._placed = _positions(figure)
    layout._boxes = boxes if boxes is not None else _axes_boxes(figure, renderer)
    layout._axis_boxes = {axis: axis.get_tightbbox(renderer, for_layout_only=True)
                          for axes in layout._boxes for axis in _axis_objects(axes)}
    return layout


def _try(figure: Figure, engine: LayoutEngine, renderer: RendererAgg, layout: FrozenLayout, scale: float,
         drops: int, changes: bool) -> dict[matplotlib.axes.Axes, Bbox] | None:
    """One try of :func:`lay_out`, from the figure as ``init`` left it: the axes' boxes if the text
    fits (no text past the figure's edge, none overlapping), else None.

    Without ``changes``: matplotlib's engine alone, its pads as they are (plain matplotlib's
    picture), judged as the tests judge a picture clean. With them: text at ``scale``, the fixes
    that keep every text, and the first ``drops`` steps of the ladder.
    """
    layout.restore()
    for axes, (original, active_position, in_layout) in layout._initial.items():
        # Back to the state a new figure is in after init, so that the engine finds what it finds
        # on a plain Figure(layout="constrained") drawing this request: the same picture, whatever
        # this pooled figure (or the try before) drew (tick locators count ticks by the axes' size).
        axes.set_position(original, which="original")
        axes.set_position(active_position, which="active")
        axes.set_in_layout(in_layout)  # set_position takes an axes out of layouts
    if not changes:
        active = _engine_at(figure, engine, last=False, pads=False)
        if not _constrained(figure, active, renderer):
            return None
        plain = _axes_boxes(figure, renderer)
        return plain if clean(figure, renderer, plain) else None
    layout.level = 1 + drops
    if scale != 1:
        _scale_text(figure, scale, layout)
    for step in _LADDER[1:drops + 1]:
        if step is not None:
            step(figure, renderer, layout)
    active = _engine_at(figure, engine, last=drops == len(_LADDER) - 1)
    fitted = _constrained(figure, active, renderer)
    for fix in (_wrap_long_texts, _fit_legends, _fit_categories, _fit_3d_labels, _wrap_long_texts):
        # The last wrap: a title centred on axes that the fixes before it moved (category labels
        # made narrower widen the axes) may reach past the edge only now.
        if fix(figure, renderer, layout):
            fitted = _constrained(figure, active, renderer)  # the fixed texts take other room
    for _ in range(_RESIZED_ROUNDS):
        # A 3D axes drawn smaller takes less room: the engine's run may have given it back.
        if not _fit_3d_labels(figure, renderer, layout):
            break
        fitted = _constrained(figure, active, renderer)
    if not fitted:
        return None  # the engine found no room, even for the fixed texts
    boxes: dict[matplotlib.axes.Axes, Bbox] | None = _thin_tick_labels(figure, active, renderer, layout,
                                                                        categories=drops > 0)
    for _ in range(_RESIZED_ROUNDS):
        # Decorations sized by their axes (a table's rows) grow as the engine shrinks the axes:
        # each run starts from the last one's sizes.
        if boxes is None or fits(figure, renderer, need_room=False, boxes=boxes) or \
                not _constrained(figure, active, renderer):
            break
        boxes = _axes_boxes(figure, renderer)
    if boxes is None or not fits(figure, renderer, need_room=False, boxes=boxes):
        return None
    if drops < _LADDER.index(_drop_texts) and not clean(figure, renderer, boxes):
        return None
    return boxes


#: Runs of the engine after the first for decorations that its first run resized (two settle a table).
_RESIZED_ROUNDS = 3


def _depths(boxes: dict[matplotlib.axis.Axis, Bbox | None]) -> dict[matplotlib.axis.Axis, float | None]:
    """Each axis object's box across its axis (the margin it asks for), in pixels."""
    return {axis: None if box is None else box.height if isinstance(axis, matplotlib.axis.XAxis) else box.width
            for axis, box in boxes.items()}


def _keeps_box(new: Bbox | None, old: Bbox | None, axes_box: Bbox | None) -> bool:
    """Whether an axis whose box was ``old`` leaves its axes' box ``axes_box`` as it was with ``new``.

    An axes' box is the union of its axis objects', titles' and other decorations' boxes. Where
    the axis reached the edge of that union, it must reach it still (the y tick labels' width sets
    the left margin); elsewhere it may move within it (the same labels at other heights).
    """
    if new is None or old is None or axes_box is None:
        return new is None and old is None
    for side, outward in ((0, -1), (1, -1), (2, 1), (3, 1)):  # x0, y0 extend downwards; x1, y1 upwards
        edge = axes_box.extents[side]
        if abs(old.extents[side] - edge) <= _SAME_PIXELS:
            if abs(new.extents[side] - edge) > _SAME_PIXELS:
                return False
        elif (new.extents[side] - edge) * outward > _SAME_PIXELS:
            return False
    return True


def _positions(figure: Figure) -> dict[matplotlib.axes.Axes, tuple[Bbox, Bbox, bool]]:
    return {axes: (axes.get_position(original=True).frozen(), axes.get_position().frozen(), axes.get_in_layout())
            for axes in all_axes(figure)}


def measuring_renderer(figure: Figure) -> RendererAgg:
    """A 1x1 px Agg renderer at the figure's dpi: text extents depend on the dpi, not the canvas,
    and the canvas's own renderer would allocate the figure's pixels, which SVG and PDF never need."""
    return RendererAgg(1, 1, figure.dpi)


def _engine_at(figure: Figure, engine: LayoutEngine, last: bool, pads: bool = True) -> LayoutEngine:
    """``engine``, or one like it where its pads would leave text on the image's outermost pixels.

    matplotlib's pads are 3 points: under :data:`PAD_PIXELS` below 96 dpi, where antialiased
    glyphs can reach the edge; there the pads are :data:`PAD_PIXELS`. An image of a fraction of a
    pixel more than whole pixels is laid out in the whole ones (Agg drops the fraction on the right
    and at the top).
    On the ladder's last step, with nothing left to drop, the pads alone must leave the axes a pixel.
    Without ``pads``, matplotlib's own pads and rectangle: plain matplotlib's picture, laid out in
    the fractional size (:func:`clean` judges it on the pixels Agg keeps).
    """
    params = engine.get()
    pixel = 1 / figure.dpi
    width, height = figure.get_size_inches()
    w_pad, h_pad = params["w_pad"], params["h_pad"]
    if pads:
        w_pad, h_pad = max(w_pad, PAD_PIXELS * pixel), max(h_pad, PAD_PIXELS * pixel)
    if last:
        w_pad, h_pad = min(w_pad, (width - pixel) / 2), min(h_pad, (height - pixel) / 2)
    shown_width, shown_height = int(figure.bbox.width) / figure.bbox.width, int(figure.bbox.height) / figure.bbox.height
    rect = params["rect"] if not pads or (shown_width, shown_height) == (1, 1) else (0, 0, shown_width, shown_height)
    if (w_pad, h_pad, rect) == (params["w_pad"], params["h_pad"], params["rect"]):
        return engine
    return ConstrainedLayoutEngine(w_pad=w_pad, h_pad=h_pad, wspace=params["wspace"], hspace=params["hspace"],
                                   rect=rect)


def _constrained(figure: Figure, engine: LayoutEngine, renderer: RendererAgg) -> bool:
    """Run the engine; False when it found no room for the axes (and so left them where they were)."""
    with warnings.catch_warnings(record=True) as caught:
        # The draw lock is held, so no other figure of ours is drawing; the filters are narrow.
        warnings.filterwarnings("always", message=LAYOUT_COLLAPSED_WARNING, category=UserWarning)
        warnings.filterwarnings("ignore", message=NO_GRIDSPEC_WARNING, category=UserWarning)
        engine.execute(figure)
    collapsed = [w for w in caught if LAYOUT_COLLAPSED_WARNING in str(w.message)]
    for other in caught:
        if other not in collapsed:
            warnings.warn_explicit(other.message, other.category, other.filename, other.lineno)
    return not collapsed


def fits(figure: Figure, renderer: RendererAgg, need_room: bool = True,
         boxes: dict[matplotlib.axes.Axes, Bbox] | None = None) -> bool:
    """Every text lies inside the figure, no tick labels collide, and (``need_room``) the axes
    keep :data:`MIN_AXES_FRACTION` of the figure. ``boxes``: the axes' boxes, if measured already."""
    if any(_collide(_drawn_tick_labels(axis), renderer) for axes in all_axes(figure) for axis in _axis_objects(axes)):
        return False
    tight = _text_extent(figure, renderer, _axes_boxes(figure, renderer) if boxes is None else boxes)  # pixels
    if tight is not None:
        width, height = int(figure.bbox.width), int(figure.bbox.height)  # Agg drops a partial pixel
        edge = EDGE_PIXELS - _ROUNDING
        if tight.x0 < edge or tight.y0 < edge or tight.x1 > width - edge or tight.y1 > height - edge:
            return False
    if not need_room:
        return True
    shown = [axes for axes in figure.axes if axes.get_visible() and axes.axison]
    if not shown:
        return True
    x0 = min(axes.get_position().x0 for axes in shown)
    y0 = min(axes.get_position().y0 for axes in shown)
    x1 = max(axes.get_position().x1 for axes in shown)
    y1 = max(axes.get_position().y1 for axes in shown)
    return x1 - x0 >= MIN_AXES_FRACTION and y1 - y0 >= MIN_AXES_FRACTION


def _axes_boxes(figure: Figure, renderer: RendererAgg) -> dict[matplotlib.axes.Axes, Bbox]:
    """Each visible axes' box as layouts measure it (pixels): the engine's view of its decorations."""
    boxes: dict[matplotlib.axes.Axes, Bbox] = {}
    for axes in all_axes(figure):
        for table in axes.tables:
            table.draw(renderer)  # a table sizes its cells (and their text) to the axes as it draws
        box = axes.get_tightbbox(renderer, for_layout_only=True) if axes.get_visible() else None
        if box is not None:
            boxes[axes] = box
    return boxes


def _text_extent(figure: Figure, renderer: RendererAgg, axes_boxes: dict[matplotlib.axes.Axes, Bbox]) -> Bbox | None:
    """What the figure draws, in pixels: its axes' boxes, its own texts and legends, and every axis
    label at its full length (a layout's box counts an axis label only across its axis, so an x
    label wider than the figure would run off both sides unnoticed)."""
    boxes = list(axes_boxes.values())
    for child in figure.get_children():
        if child is not figure.patch and not isinstance(child, matplotlib.axes.Axes) and child.get_visible():
            box = child.get_tightbbox(renderer)
            if box is not None and box.width > 0 and box.height > 0:
                boxes.append(box)
    for axes in axes_boxes:
        if axes.axison:
            boxes += [axis.label.get_window_extent(renderer) for axis in _axis_objects(axes)
                      if axis.get_visible() and axis.label.get_visible() and axis.label.get_text()]
        for table in axes.tables:
            if table.get_visible():
                # Its cells' edges are drawn centred on the box it measures: half a line, and the
                # pixel antialiasing spreads that line over, reach past it.
                width = max((cell.get_linewidth() for cell in table.get_celld().values()), default=0.0)
                boxes.append(table.get_window_extent(renderer).padded(renderer.points_to_pixels(width) / 2 + 0.5))
    return Bbox.union(boxes) if boxes else None


def _drawn_tick_labels(axis: matplotlib.axis.Axis) -> list[matplotlib.text.Text]:
    """The tick labels a draw shows, in tick order: visible, not empty, at ticks inside the view.

    The ticks are those ``Axis.draw`` shows (:func:`.mpl_compat.ticks_drawn`).
    """
    labels: dict[int, list[tuple[float, matplotlib.text.Text]]] = {1: [], 2: []}
    for tick in ticks_drawn(axis):
        for side, label in ((1, tick.label1), (2, tick.label2)):
            if label.get_visible() and label.get_text():
                labels[side].append((tick.get_loc(), label))
    # Each side's labels in the order of their ticks: neighbours are the ones that can collide.
    return [label for side in (1, 2) for _, label in sorted(labels[side], key=lambda pair: pair[0])]


def _placed_tick_labels(axis: matplotlib.axis.Axis, renderer: RendererAgg) -> list[matplotlib.text.Text]:
    """:func:`_drawn_tick_labels`, where a draw puts them: a 3D axes places them when drawn."""
    labels = _drawn_tick_labels(axis)
    if axis.axes.name == "3d":
        axis.axes.draw(renderer)
    return labels


# --- tick labels: collisions and thinning -------------------------------------------------


def _collide(labels: list[matplotlib.text.Text], renderer: RendererAgg) -> bool:
    return any(_too_close(a, b, renderer) for a, b in zip(labels, labels[1:]) if a.axes is b.axes)


def _too_close(a: matplotlib.text.Text, b: matplotlib.text.Text, renderer: RendererAgg,
               gap_em: float = LABEL_GAP_EM) -> bool:
    """Whether two texts' boxes, as drawn (rotated), come closer than the gap.

    Two boxes of the same rotation are apart when their centres are apart by more than their
    half sizes along the text (plus :data:`LABEL_GAP_EM`) or across it. Upright boxes of rotated
    text would overlap for labels that do not touch at all.
    """
    box_a, box_b = a.get_window_extent(renderer), b.get_window_extent(renderer)
    em = a.get_fontsize() * renderer.points_to_pixels(1)
    if not box_a.padded(gap_em * em / 2).overlaps(box_b):
        return False  # apart even as upright boxes: the common case, and no text to measure
    if a.get_rotation() != b.get_rotation():
        return box_a.overlaps(box_b)
    angle = math.radians(a.get_rotation())
    along, across = (math.cos(angle), math.sin(angle)), (-math.sin(angle), math.cos(angle))
    dx = (box_b.x0 + box_b.x1 - box_a.x0 - box_a.x1) / 2
    dy = (box_b.y0 + box_b.y1 - box_a.y0 - box_a.y1) / 2
    (width_a, height_a), (width_b, height_b) = _text_size(a, renderer), _text_size(b, renderer)
    apart_along = abs(dx * along[0] + dy * along[1]) - (width_a + width_b) / 2 >= gap_em * em
    apart_across = abs(dx * across[0] + dy * across[1]) - (height_a + height_b) / 2 >= -LINE_OVERLAP_EM * em
    return not (apart_along or apart_across)


def _text_size(text: matplotlib.text.Text, renderer: RendererAgg) -> tuple[float, float]:
    """The width and height of ``text``'s box before rotation, in pixels: each line at least as
    tall as "lp" (ascender and descender), as matplotlib lays text out."""
    s = text.get_text()
    ismath = "TeX" if text.get_usetex() else bool(text.get_parse_math() and matplotlib.cbook.is_math_text(s))
    linespacing = mpl_linespacing(text)
    if linespacing == "normal":
        linespacing = _NORMAL_LINESPACING
    return _text_size_at(s, text.get_fontproperties().copy(), ismath, linespacing, renderer.dpi)


@functools.lru_cache(maxsize=4096)
def _text_size_at(s: str, prop: FontProperties, ismath: bool | Literal["TeX"], linespacing: float,
                  dpi: float) -> tuple[float, float]:
    """Text sizes depend on the text, font and dpi only: measured once (a font lookup each)."""
    renderer = RendererAgg(1, 1, dpi)
    _, line_height, _ = renderer.get_text_width_height_descent("lp", prop, False)
    sizes = [renderer.get_text_width_height_descent(line or " ", prop, ismath) for line in s.split("\n")]
    height = sum(max(h, line_height) for _, h, _ in sizes) * (linespacing if len(sizes) > 1 else 1)
    return max(w for w, _, _ in sizes), height


class ThinnedFormatter(matplotlib.ticker.Formatter):
    """Another formatter's labels, every ``step``-th kept and each at most ``max_chars`` long."""

    def __init__(self, inner: matplotlib.ticker.Formatter, step: int = 1, max_chars: int | None = None,
                 rewrite: dict[str, str] | None = None) -> None:
        self.inner = inner
        self.step = step
        self.max_chars = max_chars
        self.rewrite = rewrite  # label -> the label shown (wrapped, or shortened keeping labels distinct)

    def _shown(self, label: str, index: int | None) -> str:
        if index is not None and index % self.step:
            return ""
        if self.rewrite is not None:
            return self.rewrite.get(label, label)
        if self.max_chars is not None and len(label) > self.max_chars:
            return label[: max(self.max_chars - 1, 1)].rstrip() + ELLIPSIS
        return label

    def __call__(self, x: float, pos: int | None = None) -> str:
        return self._shown(self.inner(x, pos), pos)

    def format_ticks(self, values: list[float]) -> list[str]:
        return [self._shown(label, i) for i, label in enumerate(self.inner.format_ticks(values))]

    # Only Axis.set_major_formatter sets it (with the Axis); the supertype also takes matplotlib's
    # private stand-in axes, which only its own helpers use.
    def set_axis(self, axis: matplotlib.axis.Axis | None) -> None:  # type: ignore[override]
        super().set_axis(axis)
        self.inner.set_axis(axis)

    def set_locs(self, locs: list[float]) -> None:
        self.inner.set_locs(locs)

    def get_offset(self) -> str:
        return self.inner.get_offset()

    def format_data(self, value: float) -> str:
        return self.inner.format_data(value)

    def format_data_short(self, value: float) -> str:
        return self.inner.format_data_short(value)


def _formatted(axis: matplotlib.axis.Axis, layout: FrozenLayout, **changes: object) -> ThinnedFormatter:
    """``axis``'s major formatter as a ThinnedFormatter (installed once per layout), with ``changes``."""
    formatter = axis.get_major_formatter()
    if not isinstance(formatter, ThinnedFormatter):
        original, default = formatter, axis.isDefault_majfmt
        formatter = ThinnedFormatter(original)
        axis.set_major_formatter(formatter)

        def undo() -> None:
            axis.set_major_formatter(original)
            axis.isDefault_majfmt = default  # so that units (dates) may still choose the formatter

        layout._undo.append(undo)
    for name, value in changes.items():
        setattr(formatter, name, value)
    return formatter


def _fewer_ticks(axis: matplotlib.axis.Axis, renderer: RendererAgg, layout: FrozenLayout) -> bool:
    """Numeric tick labels that collide thinned the locator's own way: fewer ticks at its "nice"
    steps (``MaxNLocator``'s ``nbins``), each tick keeping its label. True if that stopped the
    collisions; False (the count put back) for a locator without a count, or one that still
    collides at a single interval."""
    shown = len(_drawn_tick_labels(axis))
    for bins in range(max(shown - 2, 1), 0, -1):
        undo = fewer_ticks(axis.get_major_locator(), bins)
        if undo is None:
            return False
        if not _collide(_placed_tick_labels(axis, renderer), renderer):
            layout._undo.append(undo)
            return True
        undo()
    return False


#: Thinning, then laying out again, settles in one or two rounds; the fit check judges the rest.
_THINNING_ROUNDS = 3


def _thin_tick_labels(figure: Figure, engine: LayoutEngine, renderer: RendererAgg, layout: FrozenLayout,
                      categories: bool = False) -> dict[matplotlib.axes.Axes, Bbox] | None:
    """Keep every k-th major tick label of each axis whose labels collide, then lay out again.
    Category labels only with ``categories`` (below the smallest supported size: 200 bars).

    Returns the axes' boxes as measured last (see :func:`_axes_boxes`), or None when the engine
    found no room after thinning.
    """
    for _ in range(_THINNING_ROUNDS):
        # Measuring the axes first also puts every tick label where a draw puts it (a polar
        # axes places its radial labels then): collisions are judged on those positions.
        boxes = _axes_boxes(figure, renderer)
        thinned = False
        for axes in all_axes(figure):
            for axis in _axis_objects(axes):
                if (categorical(axis) and not categories) or not _collide(_placed_tick_labels(axis, renderer),
                                                                           renderer):
                    continue  # category labels are never thinned: _fit_categories places them
                thinned = True
                if not categorical(axis) and _fewer_ticks(axis, renderer, layout):
                    continue
                thinned_so_far = getattr(axis.get_major_formatter(), "step", 1)
                for step in range(thinned_so_far + 1, max(len(axis.get_ticklocs()), 2) + 1):
                    _formatted(axis, layout, step=step)
                    if not _collide(_placed_tick_labels(axis, renderer), renderer):
                        break
        if not thinned:
            return boxes
        # Fewer labels may need less room, and the axes' new size may bring other ticks: again.
        if not _constrained(figure, engine, renderer):
            return None
    return _axes_boxes(figure, renderer)


# --- long texts ---------------------------------------------------------------------------


def _wrap_long_texts(figure: Figure, renderer: RendererAgg, layout: FrozenLayout) -> bool:
    """Titles and axis labels that run past the figure's edge where they stand, and (with several
    axes side by side) axes titles wider than their axes: wrapped at spaces to the room their
    alignment leaves them, a word too long for it shortened. True if any was."""
    width, height = int(figure.bbox.width), int(figure.bbox.height)
    edge = max(EDGE_PIXELS, renderer.points_to_pixels(3))
    own_width = {id(title): room for axes, room in _title_rooms(figure, renderer).items() for title in axes_titles(axes)}
    wrapped = False
    for text in _titles_and_labels(figure):
        s = text.get_text()
        if not s or not text.get_visible():
            continue
        box = text.get_window_extent(renderer)
        vertical = abs(math.sin(math.radians(text.get_rotation()))) > 0.5
        low, high, size = (box.y0, box.y1, height) if vertical else (box.x0, box.x1, width)
        narrow = own_width.get(id(text), math.inf)
        if low >= edge and high <= size - edge and high - low <= narrow:
            continue
        align = text.get_verticalalignment() if vertical else text.get_horizontalalignment()
        if align in ("left", "bottom", "baseline"):
            room = size - edge - low
        elif align in ("right", "top"):
            room = high - edge
        else:
            centre = (low + high) / 2
            room = 2 * min(centre - edge, size - edge - centre)
        room = max(min(room, narrow), 1)
        if layout.one_line:
            text.set_text(_shortened(text, " ".join(_words(s.replace("\n", " "))), room, renderer))
        else:
            text.set_text("\n".join(_wrapped_lines(text, s, room, renderer)))
        layout._undo.append(functools.partial(text.set_text, s))
        wrapped = True
    return wrapped


def _title_rooms(figure: Figure, renderer: RendererAgg) -> dict[matplotlib.axes.Axes, float]:
    """The width each axes' titles may take with axes beside it (pixels): the distance to the
    nearest axes in its row, centre to centre, less a gap. Two neighbours' titles, each centred
    on its axes and each no wider than that, never meet. Axes alone in their row are left out
    (the figure's edges bound their titles)."""
    shown = [axes for axes in figure.axes if axes.get_visible()]
    frames = {axes: axes.get_window_extent(renderer) for axes in shown}
    rooms: dict[matplotlib.axes.Axes, float] = {}
    for axes, frame in frames.items():
        pitches = [abs((other_frame.x0 + other_frame.x1) - (frame.x0 + frame.x1)) / 2
                   for other, other_frame in frames.items()
                   if other is not axes and min(frame.y1, other_frame.y1) > max(frame.y0, other_frame.y0)]
        pitches = [pitch for pitch in pitches if pitch > 0]
        if pitches:
            titles = axes_titles(axes)
            em = (titles[0].get_fontsize() if titles else 10) * renderer.points_to_pixels(1)
            rooms[axes] = max(min(pitches) - LABEL_GAP_EM * em, 1)
    return rooms


def _wrapped_lines(text: matplotlib.text.Text, s: str, room: float, renderer: RendererAgg,
                   shorten: bool = True) -> list[str]:
    """``s`` in lines at most ``room`` pixels wide, broken at spaces outside ``$...$`` (a mathtext
    group stays whole on its line); a word too long alone is shortened with "…" (``shorten``) or
    kept whole."""
    lines = []
    for paragraph in s.split("\n"):
        line = ""
        for word in _words(paragraph):
            candidate = f"{line} {word}" if line else word
            if _line_width(text, candidate, renderer) <= room:
                line = candidate
                continue
            if line:
                lines.append(line)
            fits_alone = _line_width(text, word, renderer) <= room
            line = word if fits_alone or not shorten or "$" in word else _shortened(text, word, room, renderer)
        lines.append(line)
    return lines


def _words(paragraph: str) -> list[str]:
    """``paragraph`` split at spaces, except inside ``$...$`` (mathtext, where ``\\$`` is a dollar)."""
    words, word, in_math, escaped = [], "", False, False
    for char in paragraph:
        if char == " " and not in_math:
            words.append(word)
            word = ""
            continue
        word += char
        if char == "$" and not escaped:
            in_math = not in_math
        escaped = char == "\\" and not escaped
    words.append(word)
    return words


def _shortened(text: matplotlib.text.Text, s: str, room: float, renderer: RendererAgg) -> str:
    """``s`` cut to fit ``room`` pixels, with an ellipsis: mathtext between words (a ``$...$`` group
    is never cut inside), other text between characters."""
    if "$" in s and text.get_parse_math():
        words = _words(s)
        for end in range(len(words) - 1, 0, -1):
            candidate = " ".join(words[:end]) + " " + ELLIPSIS
            if _line_width(text, candidate, renderer) <= room:
                return candidate
        return ELLIPSIS
    for end in range(len(s) - 1, 0, -1):
        candidate = s[:end].rstrip() + ELLIPSIS
        if _line_width(text, candidate, renderer) <= room:
            return candidate
    return ELLIPSIS


def _line_width(text: matplotlib.text.Text, s: str, renderer: RendererAgg) -> float:
    ismath = bool(text.get_parse_math() and matplotlib.cbook.is_math_text(s))
    width, _, _ = renderer.get_text_width_height_descent(s, text.get_fontproperties(), ismath)
    return width


def _titles_and_labels(figure: Figure) -> list[matplotlib.text.Text]:
    texts: list[matplotlib.text.Text] = []
    texts += figure_texts(figure)
    for axes in all_axes(figure):
        texts += axes_titles(axes)
        if axes.name != "3d":  # a 3D axis label turns with its axis: measured flat, it is not wrapped
            texts += [axis.label for axis in _axis_objects(axes)]
    return texts


# --- a clean picture: no text past the edge, none overlapping ------------------------------


def clean(figure: Figure, renderer: RendererAgg, boxes: dict[matplotlib.axes.Axes, Bbox] | None = None) -> bool:
    """Whether no text comes within :data:`EDGE_PIXELS` of the figure's edge and no two texts
    overlap by more than :data:`OVERLAP_PIXELS` both ways (tick labels of one axis turned alike:
    their boxes as drawn, turned).

    The texts are those :func:`text_boxes` lists; a legend counts as one box. ``boxes``: the
    axes' boxes, if measured already (:func:`_axes_boxes`).
    """
    tight = _text_extent(figure, renderer, _axes_boxes(figure, renderer) if boxes is None else boxes)
    width, height = int(figure.bbox.width), int(figure.bbox.height)  # Agg drops a partial pixel
    edge = EDGE_PIXELS - _EDGE_ROUNDING  # antialiased glyphs reach past their measured box

    def near_edge(box: Bbox, margin: float) -> bool:
        return box.x0 < margin or box.y0 < margin or box.x1 > width - margin or box.y1 > height - margin

    # What the axes draw (tick labels, tables padded by their lines) as texts are judged; a legend's
    # frame is drawn with a line reaching past its box: EDGE_PIXELS whole.
    if tight is not None and near_edge(tight, edge):
        return False
    legends = [*(axes.get_legend() for axes in all_axes(figure)), *figure.legends]
    if any(near_edge(legend.get_window_extent(renderer), EDGE_PIXELS) for legend in legends
           if legend is not None and legend.get_visible()):
        return False
    shown = text_boxes(figure, renderer)
    if any(near_edge(box, edge) for _, box, _ in shown):
        return False  # a title or 3D label: layouts measure titles across their axes only
    for index, (a, box_a, group_a) in enumerate(shown):
        for b, box_b, group_b in shown[index + 1:]:
            if group_a is not None and group_a is group_b and isinstance(a, matplotlib.text.Text) and \
                    isinstance(b, matplotlib.text.Text) and a.get_rotation() % 90 != 0:
                if _too_close(a, b, renderer, gap_em=0):
                    return False  # labels turned alike: their upright boxes overlap where they do not
            elif _overlap(box_a, box_b) > OVERLAP_PIXELS:
                return False
    return True


def _overlap(a: Bbox, b: Bbox) -> float:
    """How far two boxes overlap, in pixels: the lesser of the overlaps across and along (0: apart)."""
    return max(0.0, min(min(a.x1, b.x1) - max(a.x0, b.x0), min(a.y1, b.y1) - max(a.y0, b.y0)))


def text_boxes(figure: Figure, renderer: RendererAgg) -> list[tuple[Artist, Bbox, object | None]]:
    """Every text the figure shows, with its box (pixels) and its group: the axis object for tick
    labels (neighbours judged on their rotated boxes), None for the others.

    Titles, axis labels, offset texts, tick labels drawn, the axes' and the figure's texts
    (annotations, pie labels, bar labels) and legends (each one box). Left out: tables (matplotlib
    sizes their cells' text to the cells). A 3D axes places its labels only when drawn: it is
    drawn with ``renderer`` first.
    """
    found: list[tuple[Artist, Bbox, object | None]] = []
    seen: set[int] = set()

    def add(text: Artist, group: object | None = None) -> None:
        if not text.get_visible() or id(text) in seen:
            return
        seen.add(id(text))
        if isinstance(text, matplotlib.text.Text) and not text.get_text():
            return
        box = text.get_window_extent(renderer)
        if box.width > 0 and box.height > 0 and np.isfinite(box.extents).all():
            found.append((text, box, group))

    for axes in all_axes(figure):
        if not axes.get_visible():
            continue
        for title in axes_titles(axes):
            add(title)
        if axes.axison or axes.name == "3d":  # a 3D axes draws its axes its own way
            axis_objects = [axis for axis in _axis_objects(axes) if axis.get_visible()]
            tick_labels = {axis: _drawn_tick_labels(axis) for axis in axis_objects}
            if axes.name == "3d":
                axes.draw(renderer)  # places the labels just listed
            for axis in axis_objects:
                add(axis.label)
                add(axis.offsetText)
                for label in tick_labels[axis]:
                    add(label, axis)
        for text in axes.texts:
            add(text)
        legend = axes.get_legend()
        if legend is not None:
            add(legend)
    for text in [*figure_texts(figure), *figure.texts]:
        add(text)
    for legend in figure.legends:
        add(legend)
    return found


# --- text set smaller, all together -----------------------------------------------------------


def _scales(figure: Figure) -> list[float]:
    """The text scales tried, largest first: 1, then :data:`SCALE_STEP` smaller each time, down to
    the one that sets the figure's smallest text :data:`MIN_TEXT_PIXELS` tall (its em)."""
    sizes = [float(text.get_fontsize()) for text in figure.findobj(matplotlib.text.Text)
             if text.get_visible() and text.get_text()]
    for axes in all_axes(figure):
        sizes += [float(ticks[0].label1.get_fontsize()) for axis in _axis_objects(axes)
                  for ticks in (axis.majorTicks, axis.minorTicks) if ticks]
    if not sizes:
        return [1.0]
    smallest = min(sizes) * figure.dpi / 72  # pixels
    floor = min(1.0, MIN_TEXT_PIXELS / smallest) if smallest > 0 else 1.0
    scales = [1.0]
    while scales[-1] * SCALE_STEP > floor:
        scales.append(scales[-1] * SCALE_STEP)
    if floor < scales[-1]:
        scales.append(floor)
    return scales


def _too_many_categories(figure: Figure) -> bool:
    """Whether an axis has more category labels than fit along its axes even a line of
    :data:`MIN_TEXT_PIXELS` each (200 bars on 930 pixels): only thinning can show them."""
    for axes in all_axes(figure):
        for axis in _axis_objects(axes):
            if categorical(axis):
                frame = axes.get_window_extent()  # where init left it: less than the figure
                room = frame.width if isinstance(axis, matplotlib.axis.XAxis) else frame.height
                if len(_drawn_tick_labels(axis)) * MIN_TEXT_PIXELS > room:
                    return True
    return False


def _scale_text(figure: Figure, scale: float, layout: FrozenLayout) -> None:
    """Every text of the figure ``scale`` times its size, as a smaller ``font.size`` would set it:
    tick labels through their axis' tick parameters (so that ticks made later follow)."""
    tick_labels: set[int] = set()
    for axes in all_axes(figure):
        for axis in _axis_objects(axes):
            which: Literal["major", "minor"]
            for which, ticks in (("major", axis.majorTicks), ("minor", axis.minorTicks)):
                if not ticks:
                    continue
                size = float(ticks[0].label1.get_fontsize())
                axis.set_tick_params(which=which, labelsize=size * scale)
                layout._undo.append(functools.partial(axis.set_tick_params, which=which, labelsize=size))
                tick_labels.update(id(label) for tick in ticks for label in (tick.label1, tick.label2))
    for text in figure.findobj(matplotlib.text.Text):
        if id(text) in tick_labels:
            continue
        size = float(text.get_fontsize())
        text.set_fontsize(size * scale)
        layout._undo.append(functools.partial(text.set_fontsize, size))


# --- legends and category labels that do not fit ------------------------------------------------


def _fit_legends(figure: Figure, renderer: RendererAgg, layout: FrozenLayout) -> bool:
    """Legends past the figure's edge packed in fewer columns; an axes' legend outside its axes that
    still does not fit (or takes more room than the data) put inside at ``loc="best"``. True if any
    changed."""
    width, height = int(figure.bbox.width), int(figure.bbox.height)
    edge = EDGE_PIXELS

    def cut(box: Bbox) -> bool:
        return box.x0 < edge or box.y0 < edge or box.x1 > width - edge or box.y1 > height - edge

    changed = False
    legends = [*figure.legends, *(axes.get_legend() for axes in all_axes(figure))]
    for legend in legends:
        if legend is None or not legend.get_visible():
            continue
        box = legend.get_window_extent(renderer)
        columns = legend_columns(legend)
        while columns > 1 and (box.x0 < edge or box.x1 > width - edge):
            columns -= 1
            layout._undo.append(repack_legend(legend, columns))
            box = legend.get_window_extent(renderer)
            changed = True
        axes = legend.axes if legend.parent is not figure else None
        if axes is None:
            continue
        frame = axes.get_window_extent(renderer)
        outside = not frame.padded(1).contains(box.x0, box.y0) or not frame.padded(1).contains(box.x1, box.y1)
        if outside and (cut(box) or box.width > frame.width or box.height > frame.height):
            layout._undo.append(move_legend_inside(legend))
            changed = True
    return changed


#: A 3D axis label moved off its tick labels in at most this many steps.
_LABEL_PAD_ROUNDS = 4


def _fit_3d_labels(figure: Figure, renderer: RendererAgg, layout: FrozenLayout) -> bool:
    """A 3D axes whose axis labels overlap its tick labels gets them moved outwards (``labelpad``:
    matplotlib places them a fixed distance from the axis, whatever the tick labels' size); one
    whose labels then run past the figure's edge is drawn smaller inside its axes (as its zoom
    does: layouts measure a 3D axes' labels where they are not drawn), and its labels placed
    again. True if anything moved."""
    moved = False
    width, height = int(figure.bbox.width), int(figure.bbox.height)
    for axes in all_axes(figure):
        if axes.name != "3d" or not axes.get_visible():
            continue
        axis_objects = [axis for axis in _axis_objects(axes) if axis.get_visible()]
        pads = {axis: axis.labelpad for axis in axis_objects}
        zooms = (1.0, *_ZOOMS_3D)
        # From the zoom an earlier call left: the engine, given a smaller 3D axes, may have made it larger.
        for index in range(layout._zooms.get(axes, 0), len(zooms)):
            if index > layout._zooms.get(axes, 0):
                for axis, pad in pads.items():
                    axis.labelpad = pad  # placed again from matplotlib's distance at this zoom
                axes.set_box_aspect(None, zoom=zooms[index])  # type: ignore[call-arg]  # Axes3D's signature
                if index == 1:
                    layout._undo.append(functools.partial(axes.set_box_aspect, None, zoom=1))  # type: ignore[call-arg]
                layout._zooms[axes] = index
                moved = True
            moved = _pad_3d_labels(axes, axis_objects, renderer) or moved
            ticks = [label for axis in axis_objects for label in _drawn_tick_labels(axis)]
            axes.draw(renderer)
            boxes = [text.get_window_extent(renderer) for text in [*(axis.label for axis in axis_objects), *ticks]
                     if text.get_visible() and text.get_text()]
            if all(box.x0 >= EDGE_PIXELS and box.y0 >= EDGE_PIXELS and box.x1 <= width - EDGE_PIXELS
                   and box.y1 <= height - EDGE_PIXELS for box in boxes):
                break
        for axis, pad in pads.items():
            if axis.labelpad != pad:
                layout._undo.append(functools.partial(setattr, axis, "labelpad", pad))
    return moved


def _pad_3d_labels(axes: matplotlib.axes.Axes, axis_objects: list[matplotlib.axis.Axis],
                   renderer: RendererAgg) -> bool:
    """The axis labels of a 3D axes that overlap its tick labels moved outwards. True if any was."""
    moved = False
    for axis in axis_objects:
        if not axis.label.get_text():
            continue
        for _ in range(_LABEL_PAD_ROUNDS):
            ticks = [label for other in axis_objects for label in _drawn_tick_labels(other)]
            axes.draw(renderer)
            box = axis.label.get_window_extent(renderer)
            overlap = max((_overlap(box, label.get_window_extent(renderer)) for label in ticks), default=0.0)
            if overlap <= OVERLAP_PIXELS:
                break
            axis.labelpad += overlap / renderer.points_to_pixels(1)
            moved = True
    return moved


#: The zooms a 3D axes whose labels run past the figure's edge is drawn at, in turn (1: its own).
_ZOOMS_3D = (0.85, 0.72, 0.6, 0.5, 0.42)


def categorical(axis: matplotlib.axis.Axis) -> bool:
    """Whether ``axis`` labels categories (strings plotted, or labels given with the ticks, which
    matplotlib formats through a FuncFormatter over fixed ticks): labels that are never thinned or
    dropped."""
    formatter = axis.get_major_formatter()
    if isinstance(formatter, ThinnedFormatter):
        formatter = formatter.inner
    if isinstance(formatter, (matplotlib.ticker.FixedFormatter, matplotlib.category.StrCategoryFormatter)):
        return True
    return isinstance(formatter, matplotlib.ticker.FuncFormatter) and \
        isinstance(axis.get_major_locator(), matplotlib.ticker.FixedLocator)


def _fit_categories(figure: Figure, renderer: RendererAgg, layout: FrozenLayout) -> bool:
    """Category labels that collide, or reach past :data:`SHORT_LABEL_FRACTION` of the figure
    across their axis: wrapped at spaces to their share of the axis (x) or to that fraction (y);
    x labels that still collide turned upright (90°). True if any changed."""
    changed = False
    for axes in all_axes(figure):
        for axis in _axis_objects(axes):
            labels = _drawn_tick_labels(axis)
            if not labels or not categorical(axis) or axes.name == "3d":
                continue
            across_x = isinstance(axis, matplotlib.axis.XAxis)
            boxes = [label.get_window_extent(renderer) for label in labels]
            reach = max(box.height if across_x else box.width for box in boxes)
            limit = SHORT_LABEL_FRACTION * (figure.bbox.height if across_x else figure.bbox.width)
            if not _collide(labels, renderer) and reach <= limit:
                continue
            em = labels[0].get_fontsize() * renderer.points_to_pixels(1)
            if across_x:
                room = axes.get_window_extent(renderer).width / len(labels) - LABEL_GAP_EM * em
            else:
                room = limit
            # Labels already rewritten (shortened by the ladder) are wrapped as shown, not as given.
            formatter = axis.get_major_formatter()
            shown_for = dict(formatter.rewrite or {}) if isinstance(formatter, ThinnedFormatter) else {}
            for label in labels:
                shown_for.setdefault(label.get_text(), label.get_text())
            rewrite = {given: "\n".join(_wrapped_lines(labels[0], shown, max(room, 1), renderer, shorten=False))
                       for given, shown in shown_for.items()}
            _formatted(axis, layout, rewrite=rewrite)
            changed = True
            labels = _drawn_tick_labels(axis)
            if across_x and _collide(labels, renderer) and labels[0].get_rotation() == 0:
                _formatted(axis, layout, rewrite=None)
                axis.set_tick_params(which="major", labelrotation=90)
                layout._undo.append(functools.partial(axis.set_tick_params, which="major", labelrotation=0))
    return changed


def _distinct_short(labels: list[str], max_chars: int) -> dict[str, str]:
    """Each label cut to ``max_chars`` with "…", longer where that would make two labels alike."""
    shown = {label: label for label in labels}
    length = dict.fromkeys(labels, max(max_chars, 2))
    for _ in range(max((len(label) for label in labels), default=0)):
        for label in labels:
            n = length[label]
            shown[label] = label if len(label) <= n else label[: max(n - 1, 1)].rstrip() + ELLIPSIS
        seen: dict[str, list[str]] = {}
        for label in labels:
            seen.setdefault(shown[label], []).append(label)
        alike = [group for group in seen.values() if len(group) > 1]
        if not alike:
            break
        for group in alike:
            for label in group:
                length[label] += 1
    return shown


# --- the ladder: what goes when text cannot fit ---------------------------------------------


def all_axes(figure: Figure) -> list[matplotlib.axes.Axes]:
    """Every axes of the figure, insets (child axes) included, in drawing order."""
    found: list[matplotlib.axes.Axes] = []

    def walk(axes: matplotlib.axes.Axes) -> None:
        found.append(axes)
        for child in axes.child_axes:
            walk(cast(matplotlib.axes.Axes, child))  # an Axes (inset_axes); stubs: its private base class

    for axes in figure.axes:
        walk(axes)
    return found


def _axis_objects(axes: matplotlib.axes.Axes) -> list[matplotlib.axis.Axis]:
    """The x and y (and z) axis objects of ``axes``."""
    return [child for child in axes.get_children() if isinstance(child, matplotlib.axis.Axis)]


def _hide(artist: Artist | None, layout: FrozenLayout) -> None:
    if artist is not None and artist.get_visible():
        artist.set_visible(False)
        layout._undo.append(lambda: artist.set_visible(True))


def _shorten_tick_labels(figure: Figure, renderer: RendererAgg, layout: FrozenLayout) -> None:
    """Tick labels reach at most :data:`SHORT_LABEL_FRACTION` of the figure across their axis."""
    for axes in all_axes(figure):
        for axis in _axis_objects(axes):
            labels = _drawn_tick_labels(axis)
            if not labels:
                continue
            vertical = isinstance(axis, matplotlib.axis.XAxis)
            room = SHORT_LABEL_FRACTION * (figure.bbox.height if vertical else figure.bbox.width)
            reach = max((box.height if vertical else box.width)
                        for box in (t.get_window_extent(renderer) for t in labels))
            if reach > room:
                longest = max(len(label.get_text()) for label in labels)
                max_chars = max(2, int(longest * room / reach))
                if categorical(axis):  # every category keeps a name of its own
                    names = [label.get_text().replace("\n", " ") for label in labels]
                    _formatted(axis, layout, rewrite=_distinct_short(names, max_chars))
                else:
                    _formatted(axis, layout, max_chars=max_chars)


def _titles_on_one_line(figure: Figure, renderer: RendererAgg, layout: FrozenLayout) -> None:
    """Titles and axis labels that do not fit kept to one line, shortened with "…": their start
    stays, and the lines wrapping would take are left to the axes (six panels under a suptitle)."""
    layout.one_line = True


def _drop_titles(figure: Figure, renderer: RendererAgg, layout: FrozenLayout) -> None:
    """Titles first: often the longest text, and the page around an image names the plot."""
    for axes in all_axes(figure):
        for title in axes_titles(axes):
            _hide(title, layout)
    _hide(suptitle(figure), layout)


def _drop_axis_labels(figure: Figure, renderer: RendererAgg, layout: FrozenLayout) -> None:
    for axes in all_axes(figure):
        for axis in _axis_objects(axes):
            _hide(axis.label, layout)
    for label in sup_labels(figure):
        _hide(label, layout)


def _drop_tick_labels(figure: Figure, renderer: RendererAgg, layout: FrozenLayout) -> None:
    """Tick labels, and the tick marks with them: layouts measure labels, not marks, which
    would reach past the pads once their labels are gone."""
    for axes in all_axes(figure):
        for axis in _axis_objects(axes):
            which: Literal["major", "minor"]
            for which, ticks in (("major", axis.majorTicks), ("minor", axis.minorTicks)):
                first = ticks[0]
                shown = {"label1On": first.label1.get_visible(), "label2On": first.label2.get_visible(),
                         "tick1On": first.tick1line.get_visible(), "tick2On": first.tick2line.get_visible()}
                if any(shown.values()):
                    # Through the tick parameters, so that ticks made later are hidden (and restored) too.
                    axis.set_tick_params(which=which, **dict.fromkeys(shown, False))
                    layout._undo.append(functools.partial(axis.set_tick_params, which=which, **shown))
            _hide(axis.offsetText, layout)


def _drop_texts(figure: Figure, renderer: RendererAgg, layout: FrozenLayout) -> None:
    """Every other text and legend: annotations can reach outside the axes too."""
    for parent in [figure, *all_axes(figure)]:
        for child in parent.get_children():
            if isinstance(child, (matplotlib.text.Text, matplotlib.legend.Legend)):
                _hide(child, layout)
    # Constrained layout keeps room for every figure legend placed "outside", even a hidden one
    # (it asks neither visibility nor in_layout): a dropped one leaves the figure's list meanwhile.
    dropped = list(figure.legends)
    if dropped:
        figure.legends[:] = []
        layout._undo.append(lambda: figure.legends.extend(dropped))


def _drop_axis_lines(figure: Figure, renderer: RendererAgg, layout: FrozenLayout) -> None:
    """Spines and what is left of the axis objects: the data remains, inside the pads.

    Hidden one by one rather than with ``set_axis_off``: the fast path draws
    spines itself (they may lie over the data) and would not know.
    """
    for axes in all_axes(figure):
        for artist in [*axes.spines.values(), *_axis_objects(axes)]:
            _hide(artist, layout)


#: The steps past the smallest text scale, taken in order; the first is nothing. Up to
#: _shorten_tick_labels every text is kept (category labels shortened, each still its own).
_LADDER: tuple[Callable[[Figure, RendererAgg, FrozenLayout], None] | None, ...] = (
    None, _shorten_tick_labels, _titles_on_one_line, _drop_titles, _drop_axis_labels, _drop_tick_labels, _drop_texts, _drop_axis_lines)
#: From this level on nothing but lines is left, so the axes need no minimum room.
_LAST_WITH_TEXT = _LADDER.index(_drop_texts)
