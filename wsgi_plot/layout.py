"""Fitting a figure's text inside it: a constrained layout computed once, then frozen.

The layout belongs to a figure's static part. It runs when a figure is
prepared, and no layout engine stays attached to the figure: a full draw then
paints the axes where the fast path's saved background has them.

Where the text cannot fit at its size (a figure of half an inch has no room
for tick labels), decorations are dropped rather than clipped or shrunk, in
this order, until what is left fits: titles, axis labels, tick labels (with
their marks), every other text and legend, and last the spines.
Text is drawn at its own size or not at all.
"""

import warnings
from contextlib import contextmanager

import matplotlib.axis
import matplotlib.legend
import matplotlib.text
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.layout_engine import ConstrainedLayoutEngine
from matplotlib.transforms import Bbox

#: Space between the outermost text and the figure's edge: matplotlib's
#: default constrained pad, but at least a few pixels, as at 10 dpi 3 points
#: are less than one pixel and antialiased glyph edges reach further (up to
#: 2 px beyond the measured box of a rotated 10-point label at 10 dpi, with
#: matplotlib 3.8 to 3.10's text metrics).
PAD_POINTS = 3
PAD_PIXELS = 4

#: Decorations are dropped until the axes keep at least this share of the
#: figure's width and height: a plot that is all labels shows no data.
MIN_AXES_FRACTION = 0.5

#: matplotlib warns when the decorations leave the axes no room; the fit
#: check below notices that, drops decorations and lays out again.
_COLLAPSED = "constrained_layout not applied"
_NO_GRIDSPEC = "There are no gridspecs with layoutgrids"


class Layout:
    """What a fit changed, so that a figure can go back to its frozen state."""

    def __init__(self):
        self.level = 0  # how many steps of decorations were dropped
        self._undo = []

    def restore(self):
        """Undo the fit: axes positions and every decoration hidden, latest first."""
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()


def lay_out(figure) -> Layout:
    """Lay out ``figure`` so that every visible artist outside its axes lies inside it.

    Runs constrained layout with the figure's text as it is, then with fewer
    decorations until it fits. Leaves no layout engine on the figure, so later
    draws keep these positions. Call with the figure's draw lock held.
    """
    layout = Layout()
    _remember_positions(figure, layout)
    with _measuring_renderer(figure) as renderer:
        _fit(figure, renderer, layout)
    return layout


def _fit(figure, renderer, layout):
    for level, drop in enumerate(_DROPS):
        if level:
            for axes in figure.axes:
                drop(axes, layout)
            if drop is _drop_texts:
                _drop_figure_texts(figure, layout)
        layout.level = level
        last = level == len(_DROPS) - 1
        _constrained(figure, renderer, last)
        fitted = fits(figure, renderer)
        if not fitted:
            # The axes' new size may have brought new ticks (4 at the edge where 5.0 lay
            # outside the limits): measure again before dropping anything.
            _constrained(figure, renderer, last)
            fitted = fits(figure, renderer)
        if fitted:
            break


def keep_inside(figure) -> Layout:
    """Lay ``figure`` out again only if its text no longer fits, as after limits widened.

    Wider limits can bring wider tick labels (``-100`` for ``-50``); a figure
    whose text still fits keeps its frozen positions.
    """
    with _measuring_renderer(figure) as renderer:
        if fits(figure, renderer):
            return Layout()
    return lay_out(figure)


@contextmanager
def _measuring_renderer(figure):
    """A 1x1 px Agg renderer at the figure's dpi, which the canvas hands out meanwhile.

    Text extents depend on the dpi, not on the canvas's size, and the canvas's own renderer
    would allocate the figure's pixels, which SVG and PDF never need (a 32 MB buffer near the
    pixel budget). matplotlib's layout engine takes no renderer argument: it asks the canvas.
    """
    renderer = RendererAgg(1, 1, figure.dpi)
    canvas = figure.canvas
    canvas.get_renderer = lambda: renderer  # shadows the method on this canvas only
    try:
        yield renderer
    finally:
        del canvas.get_renderer


def fits(figure, renderer) -> bool:
    """Everything drawn lies inside the figure, tick labels apart, and the axes keep room for the data."""
    if any(_overlapping(_drawn_tick_labels(axis), renderer) for axes in figure.axes for axis in _axes_axes(axes)):
        return False
    tight = _text_extent(figure, renderer)  # inches
    _, _, shown_width, shown_height = _on_canvas(figure)
    width, height = figure.get_size_inches()
    margin = 2 / figure.dpi  # two pixels: glyphs are antialiased, lines snapped to pixels
    if tight is not None and (tight.x0 < margin or tight.y0 < margin
                              or tight.x1 > shown_width * width - margin or tight.y1 > shown_height * height - margin):
        return False
    shown = [axes for axes in figure.axes if axes.get_visible() and axes.axison
             and any(a.get_visible() for a in [*axes.spines.values(), *_axes_axes(axes)])]
    if not shown:
        return True
    x0 = min(axes.get_position().x0 for axes in shown)
    y0 = min(axes.get_position().y0 for axes in shown)
    x1 = max(axes.get_position().x1 for axes in shown)
    y1 = max(axes.get_position().y1 for axes in shown)
    return x1 - x0 >= MIN_AXES_FRACTION and y1 - y0 >= MIN_AXES_FRACTION


def _text_extent(figure, renderer):
    """What the figure draws, in inches: its tight box, with every axis label at its full length.

    Before matplotlib 3.11 an Axes's tight box counts each axis by its layout-only extent, in
    which an axis label spans only across its axis: an x label wider than the figure ran off
    both sides unnoticed. So the labels' own boxes are added (one text extent each; the axes'
    tick labels are already in the figure's box).
    """
    boxes = [figure.get_tightbbox(renderer)]
    to_inches = figure.dpi_scale_trans.inverted()
    for axes in figure.axes:
        if axes.get_visible() and axes.axison:
            boxes += [axis.label.get_window_extent(renderer).transformed(to_inches) for axis in _axes_axes(axes)
                      if axis.get_visible() and axis.label.get_visible() and axis.label.get_text()]
    boxes = [box for box in boxes if box is not None]
    return Bbox.union(boxes) if boxes else None


def _drawn_tick_labels(axis):
    """The tick labels a draw shows: visible, not empty, at a tick inside the view limits."""
    low, high = sorted(axis.get_view_interval())
    slack = (high - low) * 1e-10
    labels = []
    for minor, ticks in ((False, axis.get_major_ticks), (True, axis.get_minor_ticks)):
        locs = axis.get_ticklocs(minor=minor)
        axis.get_ticklabels(minor=minor)  # puts each label's text and position in place
        for tick, loc in zip(ticks(len(locs)), locs):
            if low - slack <= loc <= high + slack:
                labels += [label for label in (tick.label1, tick.label2) if label.get_visible() and label.get_text()]
    return labels


def _overlapping(labels, renderer) -> bool:
    """Whether any two of ``labels`` overlap: the ticker guesses label widths, and at small sizes guesses short."""
    boxes = [label.get_window_extent(renderer) for label in labels]
    return any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def _constrained(figure, renderer, last: bool):
    width, height = figure.get_size_inches()
    w_pad = h_pad = max(PAD_POINTS / 72, PAD_PIXELS / figure.dpi)
    if last:
        # Nothing left to drop: the pads alone must leave the axes room, at least a pixel (a
        # 5-pixel image keeps 2-pixel pads: Agg rounds the clip box to whole pixels).
        pixel = 1 / figure.dpi
        w_pad, h_pad = min(w_pad, (width - pixel) / 2), min(h_pad, (height - pixel) / 2)
    engine = ConstrainedLayoutEngine(w_pad=w_pad, h_pad=h_pad, wspace=0, hspace=0, rect=_on_canvas(figure))
    # The draw lock is held, so no other figure of ours is drawing; the filter
    # is narrow, so a host thread's other warnings still show.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_COLLAPSED, category=UserWarning)
        warnings.filterwarnings("ignore", message=_NO_GRIDSPEC, category=UserWarning)
        engine.execute(figure)


def _on_canvas(figure):
    """The part of the figure an Agg canvas shows, as ``(left, bottom, width, height)`` fractions.

    The canvas has whole pixels: 1.91 inches at 60 dpi are 114.6 pixels, of
    which 114 exist. Agg drops the fraction on the right and at the top.
    """
    width, height = figure.bbox.size
    return 0, 0, int(width) / width, int(height) / height


def _remember_positions(figure, layout):
    for axes in figure.axes:
        original, active = axes.get_position(original=True).frozen(), axes.get_position().frozen()

        def undo(axes=axes, original=original, active=active, in_layout=axes.get_in_layout()):
            axes.set_position(original, which="original")
            axes.set_position(active, which="active")
            axes.set_in_layout(in_layout)  # set_position takes an axes out of layouts

        layout._undo.append(undo)


def _hide(artist, layout):
    if artist is not None and artist.get_visible():
        artist.set_visible(False)
        layout._undo.append(lambda: artist.set_visible(True))


def _axes_axes(axes):
    """The x and y (and z) axis objects of ``axes``."""
    return [child for child in axes.get_children() if isinstance(child, matplotlib.axis.Axis)]


def _drop_titles(axes, layout):
    """Titles first: often the longest text, and the page around an image names the plot."""
    for child in axes.get_children():  # the three titles are the Text children that are not ax.texts
        if isinstance(child, matplotlib.text.Text) and child not in axes.texts:
            _hide(child, layout)


def _drop_axis_labels(axes, layout):
    for axis in _axes_axes(axes):
        _hide(axis.label, layout)


def _drop_tick_labels(axes, layout):
    """Tick labels, and the tick marks with them: layouts measure labels, not marks, which
    would reach past the pads once their labels are gone."""
    for axis in _axes_axes(axes):
        for which, ticks in (("major", axis.majorTicks), ("minor", axis.minorTicks)):
            first = ticks[0]
            shown = {"label1On": first.label1.get_visible(), "label2On": first.label2.get_visible(),
                     "tick1On": first.tick1line.get_visible(), "tick2On": first.tick2line.get_visible()}
            if any(shown.values()):
                # Through the tick parameters, so that ticks made later are hidden (and restored) too.
                axis.set_tick_params(which=which, **dict.fromkeys(shown, False))
                layout._undo.append(lambda axis=axis, which=which, shown=shown: axis.set_tick_params(which=which, **shown))
        _hide(axis.offsetText, layout)


def _drop_texts(axes, layout):
    """Every other text and legend: annotations can reach outside the axes too."""
    for child in axes.get_children():
        if isinstance(child, (matplotlib.text.Text, matplotlib.legend.Legend)):
            _hide(child, layout)


def _drop_figure_texts(figure, layout):
    for child in figure.get_children():
        if isinstance(child, (matplotlib.text.Text, matplotlib.legend.Legend)):
            _hide(child, layout)


def _drop_axis_lines(axes, layout):
    """Spines and what is left of the axis objects: the data remains, inside the pads.

    Hidden one by one rather than with ``set_axis_off``: the fast path draws
    spines itself (they may lie over the data) and would not know.
    """
    for artist in [*axes.spines.values(), *_axes_axes(axes)]:
        _hide(artist, layout)


#: One step per level; level 0 drops nothing.
_DROPS = (None, _drop_titles, _drop_axis_labels, _drop_tick_labels, _drop_texts, _drop_axis_lines)
