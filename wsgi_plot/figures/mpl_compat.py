"""Every private matplotlib attribute wsgi_plot touches, and nowhere else.

matplotlib has no public equivalent for any of these, and its type stubs leave them out (hence
the ``type: ignore[attr-defined]`` here, and only here). Each has a test in
tests/test_matplotlib_api.py that names it, so a release that renames or changes one fails
there, by name, instead of drawing something subtly wrong. Nothing else in the package may
reach into matplotlib's private attributes (a test checks that too).
"""

import functools
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

from matplotlib.axes import Axes
from matplotlib.axis import Axis, Tick
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
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

