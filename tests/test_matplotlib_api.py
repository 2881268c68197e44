"""What wsgi_plot relies on in matplotlib beyond its plain drawing API, so that a new release that
changes it fails here, by name, rather than drawing something subtly wrong."""

import threading

import matplotlib
import numpy as np
import pytest
from matplotlib.artist import Artist
from matplotlib.axis import Tick
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from werkzeug.test import Client

from wsgi_plot import Plot, PlotRegistry, create_app
from wsgi_plot.figures import mpl_compat
from wsgi_plot.figures.mpl_compat import DRAW_LOCK, LAYOUT_COLLAPSED_WARNING, forget_renderer
from wsgi_plot.figures.render import _above
from wsgi_plot.figures.vector_files import svg_layer


def test_draw_lock_is_the_lock_figure_draw_takes():
    """Private, with no public equivalent: without it host-app draws would run alongside ours."""
    assert getattr(Figure, "_render_lock", None) is DRAW_LOCK, "matplotlib no longer has Figure._render_lock"
    held_while_drawing = []

    class Probe(Artist):
        def draw(self, renderer):
            # Another thread must not get the lock while this figure draws.
            other = threading.Thread(target=lambda: held_while_drawing.append(not _try_lock()))
            other.start()
            other.join()

    figure = Figure()
    FigureCanvasAgg(figure)
    figure.add_artist(Probe())
    figure.canvas.draw()
    assert held_while_drawing == [True]


def _try_lock() -> bool:
    if DRAW_LOCK.acquire(blocking=False):
        DRAW_LOCK.release()
        return True
    return False


@pytest.mark.parametrize("direction, in_overlay", [("out", False), ("in", True), ("inout", True)])
def test_ticks_reaching_into_the_axes_are_drawn_over_the_data(direction, in_overlay):
    figure = Figure()
    canvas = FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.tick_params(direction=direction)
    (line,) = axes.plot([0, 1], [0, 1], zorder=0.5)
    figure.canvas.draw()
    assert all(t.get_tickdir() == direction for t in axes.xaxis.get_major_ticks())
    assert (axes.xaxis in _above(axes, [line], canvas.get_renderer())) is in_overlay


def test_tick_direction_is_public():
    assert callable(getattr(Tick, "get_tickdir", None))


@pytest.mark.parametrize("href", [b"xlink:href", b"href"])
def test_svg_layer_renames_references_as_svg_1_1_and_svg_2_write_them(href):
    document = (b'<?xml version="1.0"?><svg><defs><style>x</style></defs><g id="figure_1">'
                b'<defs><path id="m1" d="M 0 0"/></defs><use ' + href + b'="#m1" x="1"/>'
                b'<g clip-path="url(#p1)"/></g></svg>')
    layer = svg_layer(document)
    assert b'id="layer-m1"' in layer and href + b'="#layer-m1"' in layer and b"url(#layer-p1)" in layer
    assert b'="#m1"' not in layer


def test_vector_saves_leave_other_rc_params_alone():
    """A host thread's rc change made during a save stays; rc_context would have undone it."""
    changed_during_save: dict = {"lines.linewidth": 7.0}  # dict: the stubs type rcParams' keys as a Literal

    class ChangesRc(Artist):
        def draw(self, renderer):
            matplotlib.rcParams.update(changed_during_save)

    def draw(fig, p, rng):
        ax = fig.add_subplot()
        ax.add_artist(ChangesRc())

    client = Client(create_app(registry=PlotRegistry([Plot("rc", draw=draw)])))
    with matplotlib.rc_context():  # this test's own clean-up
        salt = matplotlib.rcParams["svg.hashsalt"]
        for fmt in ("svg", "pdf"):
            matplotlib.rcParams["lines.linewidth"] = 1.0
            assert client.get(f"/plot/rc.{fmt}?dpi=20").status_code == 200
            assert matplotlib.rcParams["lines.linewidth"] == 7.0, fmt
            assert matplotlib.rcParams["svg.hashsalt"] == salt


@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_vector_files_do_not_depend_on_the_savefig_rc_params(fmt):
    client = Client(create_app())
    url = f"/fig/5_2.{fmt}?seed=3&n=20"
    expected = client.get(url).data
    host_settings: dict = {"savefig.facecolor": "red", "savefig.edgecolor": "blue", "savefig.transparent": True,
                     "savefig.bbox": "tight", "savefig.dpi": 50, "svg.hashsalt": "host"}
    with matplotlib.rc_context(host_settings):
        assert client.get(url).data == expected
        assert Client(create_app()).get(url).data == expected  # a figure prepared under them too


def test_axis_update_ticks_gives_the_ticks_a_draw_shows():
    """layout._drawn_tick_labels: ``Axis._update_ticks`` (private) returns the ticks inside the view
    limits with their labels' text set, as ``Axis.draw`` uses them."""
    figure = Figure()
    axes = figure.add_subplot()
    axes.set_xticks([0, 1, 2, 3], ["zero", "one", "two", "three"])
    axes.set_xlim(0.5, 2.5)  # after: set_xticks widens the limits to show every tick
    ticks = axes.xaxis._update_ticks()  # type: ignore[attr-defined]  # private: what this test checks
    assert [tick.label1.get_text() for tick in ticks] == ["one", "two"]


def test_figure_and_axes_titles_are_text_attributes():
    """layout's wrapping and ladder reach sup-labels and side titles through private attributes
    (matplotlib has getters for their strings only)."""
    figure = Figure()
    axes = figure.add_subplot()
    figure.suptitle("s")
    figure.supxlabel("x")
    figure.supylabel("y")
    axes.set_title("left", loc="left")
    axes.set_title("right", loc="right")
    texts = [figure._suptitle, figure._supxlabel, figure._supylabel, axes._left_title,  # type: ignore[attr-defined]
             axes._right_title]  # type: ignore[attr-defined]  # private, all of them: what this test checks
    assert [text.get_text() for text in texts] == ["s", "x", "y", "left", "right"]


def test_the_layout_engine_asks_the_canvas_for_its_renderer():
    """layout._measured_by shadows ``canvas.get_renderer`` so that the engine measures text with a
    1x1 px renderer instead of allocating the figure's pixels."""
    from matplotlib.backends.backend_agg import RendererAgg

    figure = Figure(figsize=(4, 3), dpi=100, layout="constrained")
    canvas = FigureCanvasAgg(figure)
    figure.add_subplot().set_title("title")
    asked = []
    measuring = RendererAgg(1, 1, figure.dpi)

    def get_renderer():
        asked.append(1)
        return measuring

    canvas.get_renderer = get_renderer  # type: ignore[method-assign]  # shadowed as layout._measured_by does
    engine = figure.get_layout_engine()
    assert engine is not None
    engine.execute(figure)
    assert asked
    assert getattr(canvas, "renderer", None) is None  # no full-size renderer was made


def test_dropping_the_renderer_frees_the_canvas_pixels():
    """mpl_compat.forget_renderer: ``FigureCanvasAgg._lastKey`` and ``Text._renderer`` are what keep
    the Agg renderer (the figure's pixels) alive after a draw; a later draw makes a new one."""
    import gc
    import weakref

    figure = Figure(figsize=(2, 2), dpi=50)
    canvas = FigureCanvasAgg(figure)
    text = figure.add_subplot().set_title("title")
    canvas.draw()
    assert canvas._lastKey is not None and text._renderer is canvas.renderer  # type: ignore[attr-defined]  # private
    renderer = weakref.ref(canvas.renderer)
    gc.disable()  # freed by reference counting, not by a collection
    try:
        forget_renderer(canvas, figure.findobj(Text) + [t.label1 for t in figure.axes[0].xaxis.majorTicks])
        assert renderer() is None or not [r for r in gc.get_referrers(renderer()) if r is not None]
    finally:
        gc.enable()
    canvas.draw()  # draws again with a new renderer
    assert canvas.get_renderer() is not None


def test_the_layout_engine_warns_with_the_texts_layout_listens_for():
    """mpl_compat.LAYOUT_COLLAPSED_WARNING: the only way matplotlib says the axes got no room."""
    import warnings

    figure = Figure(figsize=(0.5, 0.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.set_title("a title far longer than the figure is wide")
    axes.set_ylabel("a label far longer than the figure is high")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        engine = figure.get_layout_engine()
        assert engine is not None
        engine.execute(figure)
    assert any(LAYOUT_COLLAPSED_WARNING in str(w.message) for w in caught)


def test_no_module_but_mpl_compat_touches_a_private_attribute_of_another_library():
    """Private attributes read anywhere in wsgi_plot/ are the package's own (assigned or defined
    in it), except in mpl_compat.py (matplotlib's) and host_compat.py (a2wsgi's)."""
    import ast
    from pathlib import Path

    package = Path(mpl_compat.__file__).parent
    compat = ("mpl_compat.py", "host_compat.py")
    trees = {path: ast.parse(path.read_text()) for path in package.rglob("*.py")}
    ours = set()  # what the package defines: functions, classes, names, and attributes set on self
    for path, tree in trees.items():
        if path.name in compat:
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
                ours.add(node.name)
            elif (isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store)
                  and isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                ours.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                ours.add(node.id)
            elif isinstance(node, ast.alias):
                ours.add(node.asname or node.name.split(".")[0])
    foreign = []
    for path, tree in trees.items():
        if path.name in compat:
            continue
        for node in ast.walk(tree):
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and node.attr not in ours):
                foreign.append(f"{path.name}:{node.lineno} .{node.attr}")
    assert not foreign, foreign


def test_a_legend_repacked_in_fewer_columns_is_matplotlibs_legend_of_that_many():
    """layout packs a legend too wide for the figure in fewer columns through its private packers
    (``Legend._legend_handle_box``, ``_ncols``: ``set_ncols`` only records the number); the result
    measures as a legend made with that many columns, and the undo puts the columns back."""
    def legend(ncols):
        figure = Figure(dpi=100)
        axes = figure.add_subplot()
        for k in range(7):
            axes.plot([0, 1], label=f"series {k}")
        return figure, figure.legend(loc="outside lower center", ncols=ncols)

    renderer = FigureCanvasAgg(Figure(dpi=100)).get_renderer()
    figure, wide = legend(4)
    _, made = legend(2)
    assert mpl_compat.legend_columns(wide) == 4
    before = wide.get_window_extent(renderer).frozen()
    undo = mpl_compat.repack_legend(wide, 2)
    assert mpl_compat.legend_columns(wide) == 2
    assert wide.get_window_extent(renderer).size == pytest.approx(made.get_window_extent(renderer).size)
    undo()
    assert mpl_compat.legend_columns(wide) == 4
    assert wide.get_window_extent(renderer).size == pytest.approx(before.size)


def test_an_axes_legend_moved_inside_goes_back_where_it_was():
    """layout moves an outside axes legend inside (``loc="best"``) and back through
    ``Legend._bbox_to_anchor`` and ``_loc_real``."""
    figure = Figure(dpi=100)
    axes = figure.add_subplot()
    axes.plot([0, 1], label="one")
    legend = axes.legend(loc="center left", bbox_to_anchor=(1, 0.5))
    renderer = FigureCanvasAgg(figure).get_renderer()
    outside = legend.get_window_extent(renderer).frozen()
    undo = mpl_compat.move_legend_inside(legend)
    inside = legend.get_window_extent(renderer)
    assert axes.get_window_extent(renderer).contains(inside.x0, inside.y0)
    assert axes.get_window_extent(renderer).contains(inside.x1, inside.y1)
    undo()
    assert legend.get_window_extent(renderer).bounds == pytest.approx(outside.bounds)


def test_a_texts_line_spacing_is_read_on_every_supported_matplotlib():
    """matplotlib 3.11's Text.get_linespacing, or the _linespacing attribute 3.8 to 3.10 keep it in."""
    from matplotlib.text import Text

    from wsgi_plot.figures.mpl_compat import linespacing

    assert linespacing(Text(0, 0, "a\nb", linespacing=1.5)) == 1.5
    assert linespacing(Text(0, 0, "a")) in (1.2, "normal")  # matplotlib's default: 1.2 before 3.11


def test_fewer_ticks_asks_a_maxnlocator_and_puts_its_count_back():
    """layout thins colliding numeric labels through ``MaxNLocator.set_params(nbins=...)`` and reads
    the count back from the private ``MaxNLocator._nbins`` ("auto" for an AutoLocator)."""
    from matplotlib.dates import AutoDateLocator  # noqa: PLC0415
    from matplotlib.ticker import AutoLocator  # noqa: PLC0415

    locator = AutoLocator()
    locator.create_dummy_axis()
    assert locator.axis is not None
    locator.axis.set_view_interval(0, 100)
    before = list(locator())
    undo = mpl_compat.fewer_ticks(locator, 2)
    assert undo is not None
    fewer = list(locator())
    assert 2 <= len(fewer) < len(before) and set(fewer) <= set(np.arange(0, 101, 50))
    undo()
    assert list(locator()) == before and locator._nbins == "auto"  # type: ignore[attr-defined]  # noqa: SLF001
    assert mpl_compat.fewer_ticks(AutoDateLocator(), 2) is None  # no count to ask: the formatter thins instead


def test_text_layout_memo_reads_what_text_get_layout_reads():
    """mpl_compat.text_layouts_memoized replaces the private ``Text._get_layout(renderer)`` and
    keys it by ``Text._get_multialignment()`` and ``Text._linespacing`` among public getters: a
    release that renames them, or makes the layout read something else, fails here."""
    from matplotlib.backends.backend_agg import RendererAgg  # noqa: PLC0415

    figure = Figure(dpi=100)
    text = figure.text(0.2, 0.5, "two\nlines", multialignment="right", linespacing=1.5, rotation=20)
    assert text._get_multialignment() == "right" and text._linespacing == 1.5  # type: ignore[attr-defined]  # noqa: SLF001
    renderer = RendererAgg(1, 1, 100)
    with DRAW_LOCK:
        plain = repr(text._get_layout(renderer))  # type: ignore[attr-defined]  # noqa: SLF001
        with mpl_compat.text_layouts_memoized():
            assert repr(text._get_layout(renderer)) == plain  # type: ignore[attr-defined]  # noqa: SLF001  (measured)
            assert repr(text._get_layout(renderer)) == plain  # type: ignore[attr-defined]  # noqa: SLF001  (remembered)
        text.set_position((0.7, 0.1))  # the layout is relative to the text's position
        assert repr(text._get_layout(renderer)) == plain  # type: ignore[attr-defined]  # noqa: SLF001
    mpl_compat.forget_text_layouts()
