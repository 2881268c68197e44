"""Every private matplotlib attribute wsgi_plot touches, and nowhere else.

matplotlib has no public equivalent for any of these, and its type stubs leave them out (hence
the ``type: ignore[attr-defined]`` here, and only here). Each has a test in
tests/test_matplotlib_api.py that names it, so a release that renames or changes one fails
there, by name, instead of drawing something subtly wrong. Nothing else in the package may
reach into matplotlib's private attributes (a test checks that too).
"""

import collections
import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from matplotlib import rcParams
from matplotlib.axes import Axes
from matplotlib.axis import Axis, Tick
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cbook import is_math_text
from matplotlib.figure import Figure
from matplotlib.font_manager import fontManager
from matplotlib.legend import Legend
from matplotlib.offsetbox import VPacker
from matplotlib.text import Text
from matplotlib.ticker import Locator, MaxNLocator

#: The lock ``Figure.draw`` takes. Drawing holds the GIL anyway, and matplotlib's shared font and
#: text caches are not safe to use from two threads at once, so our draws are serialised with it,
#: and with a host app's draws too. Our own lock where matplotlib has none (the test then fails).
DRAW_LOCK: threading.RLock = getattr(Figure, "_render_lock", None) or threading.RLock()

#: The warning ``ConstrainedLayoutEngine.execute`` gives when it finds no room for the axes (and
#: so leaves them where they were), and the one it gives for a figure without gridspecs. matplotlib
#: reports both only as warnings; their text is what tells them apart.
LAYOUT_COLLAPSED_WARNING = "constrained_layout not applied"
NO_GRIDSPEC_WARNING = "There are no gridspecs with layoutgrids"


def linespacing(text: Text) -> float | str:
    """``text``'s line spacing, as its layout uses it: matplotlib 3.11 has ``get_linespacing`` (and
    may answer "normal"); 3.8 to 3.10, which Python 3.10 installs, keep it as ``_linespacing``."""
    getter = getattr(text, "get_linespacing", None)
    if getter is not None:
        spacing: float | str = getter()
        return spacing
    return float(text._linespacing)  # type: ignore[attr-defined]


def ticks_drawn(axis: Axis) -> list[Tick]:
    """The ticks ``Axis.draw`` shows: inside the view limits, their labels' text and position set.
    (``Axis._update_ticks``: one call instead of locator, formatter and tick bookkeeping.)"""
    return axis._update_ticks()  # type: ignore[attr-defined]  # noqa: SLF001


def figure_texts(figure: Figure) -> list[Text]:
    """The figure's suptitle, supxlabel and supylabel, those it has (matplotlib has getters for
    their strings only)."""
    texts = (figure._suptitle, figure._supxlabel, figure._supylabel)  # type: ignore[attr-defined]  # noqa: SLF001
    return [text for text in texts if text is not None]


def suptitle(figure: Figure) -> Text | None:
    return figure._suptitle  # type: ignore[attr-defined]  # noqa: SLF001


def sup_labels(figure: Figure) -> list[Text]:
    """supxlabel and supylabel, those the figure has."""
    texts = (figure._supxlabel, figure._supylabel)  # type: ignore[attr-defined]  # noqa: SLF001
    return [text for text in texts if text is not None]


def axes_titles(axes: Axes) -> tuple[Text, Text, Text]:
    """The centre, left and right titles (``set_title(loc=...)``)."""
    return axes.title, axes._left_title, axes._right_title  # type: ignore[attr-defined]  # noqa: SLF001


@contextmanager
def renderer_asked_for(canvas: FigureCanvasAgg, renderer: RendererBase) -> Iterator[None]:
    """``canvas.get_renderer()`` returns ``renderer`` for the block: matplotlib's layout engine
    takes no renderer argument and asks the canvas, whose own renderer would allocate the figure's
    pixels. Shadows the method on this canvas only."""
    canvas.get_renderer = lambda: renderer  # type: ignore[method-assign]
    try:
        yield
    finally:
        del canvas.get_renderer


def forget_renderer(canvas: FigureCanvasAgg, texts: Iterable[Text]) -> None:
    """Let the canvas's Agg renderer (the figure's pixels) go now: the canvas and every Text drawn
    with it keep a reference (``Text._renderer``), and a figure is garbage in cycles that only a
    full collection (~100 ms in a worker) would free. A later draw makes a new renderer."""
    canvas.renderer = None
    canvas._lastKey = None  # noqa: SLF001 (else get_renderer would return the None just set)
    for text in texts:
        text._renderer = None  # type: ignore[attr-defined]  # noqa: SLF001 (its value before the first draw)


def legend_columns(legend: Legend) -> int:
    """How many columns a legend's entries are packed in (``ncols``; matplotlib has no getter)."""
    return len(legend._legend_handle_box.get_children())  # type: ignore[attr-defined]  # noqa: SLF001


def repack_legend(legend: Legend, ncols: int) -> Callable[[], None]:
    """Pack a legend's entries into ``ncols`` columns, in matplotlib's order (``Legend(ncols=...)``:
    the first columns one entry longer); returns what puts the columns back.

    A legend packs its entries once, at creation (``Legend._init_legend_box``): ``set_ncols`` only
    records the number. The entries' boxes are moved into new column packers like the old ones.
    """
    box = legend._legend_handle_box  # type: ignore[attr-defined]  # noqa: SLF001
    columns = box.get_children()
    before, before_ncols = list(columns), legend._ncols  # type: ignore[attr-defined]  # noqa: SLF001
    entries = [entry for column in columns for entry in column.get_children()]
    first = columns[0]
    size, extra = divmod(len(entries), ncols)
    new_columns, start = [], 0
    for index in range(ncols):
        end = start + size + (index < extra)
        if end > start:
            new_columns.append(VPacker(pad=0, sep=first.sep, align=first.align, children=entries[start:end]))
        start = end
    box._children = new_columns  # noqa: SLF001
    legend._ncols = ncols  # type: ignore[attr-defined]  # noqa: SLF001
    legend.stale = True

    def undo() -> None:
        box._children = before  # noqa: SLF001
        legend._ncols = before_ncols  # type: ignore[attr-defined]  # noqa: SLF001
        legend.stale = True

    return undo


def move_legend_inside(legend: Legend) -> Callable[[], None]:
    """Put an axes' legend inside its axes where it covers the least data (``loc="best"``, no
    anchor); returns what puts it back where it was."""
    anchor, loc = legend._bbox_to_anchor, legend._loc_real  # type: ignore[attr-defined]  # noqa: SLF001
    legend.set_bbox_to_anchor(None)
    legend.set_loc("best")

    def undo() -> None:
        legend._bbox_to_anchor = anchor  # type: ignore[attr-defined]  # noqa: SLF001
        legend.set_loc(loc)

    return undo


def fewer_ticks(locator: Locator, bins: int) -> Callable[[], None] | None:
    """Ask ``locator`` for at most ``bins`` intervals between ticks, as ``MaxNLocator(nbins=...)``
    does (an ``AutoLocator``'s ticks are fewer, at the same "nice" steps); returns what puts its
    count back, or None for a locator with no such setting (dates, logs, fixed ticks).

    ``MaxNLocator.set_params`` sets the count but has no getter for it: ``_nbins`` ("auto" or a number).
    """
    if not isinstance(locator, MaxNLocator):
        return None
    before = locator._nbins  # type: ignore[attr-defined]  # noqa: SLF001
    locator.set_params(nbins=bins)
    return functools.partial(locator.set_params, nbins=before)


# --- text layouts measured once ---------------------------------------------------------------

#: How many text layouts are remembered (least recently used first out): a few figures' worth of
#: titles and tick labels; an entry is a few hundred bytes.
TEXT_LAYOUTS_REMEMBERED = 4096

#: What a text's layout depends on besides the Text itself: how its font families resolve to files
#: (the theme sets them) and how Agg sizes glyphs (hinting, kerning).
_FONT_SETTINGS = ("font.family", "font.serif", "font.sans-serif", "font.cursive", "font.fantasy", "font.monospace",
                  "text.hinting", "text.hinting_factor", "text.kerning_factor")

_unmemoized_get_layout = Text._get_layout  # type: ignore[attr-defined]  # noqa: SLF001
_text_layouts: "collections.OrderedDict[tuple[object, ...], object]" = collections.OrderedDict()
_memoizing = threading.local()


def _text_layout_key(text: Text, renderer: RendererBase) -> tuple[object, ...] | None:
    """Everything ``Text._get_layout`` reads, or None for a text whose layout depends on more:
    wrapped text (its lines depend on its position), TeX and mathtext (their own settings)."""
    s = text.get_text()
    if text.get_wrap() or text.get_usetex() or (text.get_parse_math() and is_math_text(s)):
        return None
    figure = text.get_figure(root=True)
    inner = getattr(renderer, "_renderer", None)  # a MixedModeRenderer measures with the one it holds
    settings = (rcParams[name] for name in _FONT_SETTINGS)  # type: ignore[index]  # the names are rcParams'
    return (s, text.get_fontproperties().copy(), text.get_rotation(), text.get_rotation_mode(),
            text.get_horizontalalignment(), text.get_verticalalignment(),
            text._get_multialignment(), text._linespacing,  # type: ignore[attr-defined]  # noqa: SLF001
            None if figure is None else figure.dpi, type(renderer), type(inner), getattr(renderer, "dpi", None),
            len(fontManager.ttflist), *(tuple(value) if isinstance(value, list) else value for value in settings))


def _get_layout(text: Text, renderer: RendererBase) -> object:
    """``Text._get_layout``, remembered by what it depends on (never the text's position) while
    :func:`text_layouts_memoized` is on in this thread."""
    if not getattr(_memoizing, "on", False):
        return _unmemoized_get_layout(text, renderer)
    key = _text_layout_key(text, renderer)
    if key is None:
        return _unmemoized_get_layout(text, renderer)
    try:
        _text_layouts.move_to_end(key)
        return _text_layouts[key]
    except KeyError:
        layout = _text_layouts[key] = _unmemoized_get_layout(text, renderer)
        if len(_text_layouts) > TEXT_LAYOUTS_REMEMBERED:
            _text_layouts.popitem(last=False)
        return layout


@contextmanager
def text_layouts_memoized() -> Iterator[None]:
    """Text layouts measured once per distinct text, font and alignment in this thread for the
    block: a chart's tick labels, titles and legend are measured several times a draw (layout,
    fit checks, the draw itself) and again on every request, at ~0.1 ms each.

    Exact: the key holds everything matplotlib's ``Text._get_layout`` reads (text, font
    properties and how they resolve, rotation, alignments, line spacing, dpi, renderer), and its
    result is relative to the text's position, so the same key gives the same layout. Use under
    DRAW_LOCK (the memo is shared); other threads, a host app's draws among them, never see it.
    """
    if Text._get_layout is not _get_layout:  # type: ignore[attr-defined]  # noqa: SLF001
        Text._get_layout = _get_layout  # type: ignore[attr-defined]  # noqa: SLF001
    was_on = getattr(_memoizing, "on", False)
    _memoizing.on = True
    try:
        yield
    finally:
        _memoizing.on = was_on


def forget_text_layouts() -> None:
    """Empty the memo (tests; a process that changed its fonts keys new layouts anyway)."""
    with DRAW_LOCK:
        _text_layouts.clear()
