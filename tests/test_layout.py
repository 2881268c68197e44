"""No text leaves the picture: every registered plot at every kind of size and dpi the settings allow.

Three views of the same promise: the decoded PNG's outermost pixels are all
background; in process, every text a renderer draws (PNG and SVG) lies inside
the figure; and the SVG's viewBox contains every text element's position.
"""

import re
import xml.etree.ElementTree as ET
from urllib.parse import quote

import matplotlib.text
import numpy as np
import pytest
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app, default_registry
from wsgi_plot.declare.settings import Settings

from .conftest import border, decode_png

SETTINGS = Settings()
SMALL, LARGE = SETTINGS.min_inches, SETTINGS.max_inches
LOW_DPI, HIGH_DPI = SETTINGS.min_dpi, SETTINGS.max_dpi

#: (width, height, dpi). Small sizes at the dpi they are served at; few large-pixel cases.
GRID = [
    (SMALL, SMALL, LOW_DPI),  # 5x5 px: not even the pads fit
    (SMALL, SMALL, HIGH_DPI),
    (LARGE, SMALL, LOW_DPI),
    (SMALL, LARGE, LOW_DPI),
    (LARGE, LARGE, LOW_DPI),  # the most inches, 400x400 px
    (LARGE, SMALL, 140),  # the widest strip within the pixel budget, 5600x70 px
    (1, 1, 100),
    (2, 1.5, 100),  # the sizes the issue found clipped
    (6, 2, 100),
    (3.2, 2.4, 75),  # the gallery thumbnail
    (4, 3, 300),  # the default picture
]

PLOTS = [plot.name for plot in default_registry()]



class TextRecorder:
    """Every text drawn, with its window extent and the canvas size, in that renderer's units.

    Recorded where a Text draws itself, so that a text of several lines (a wrapped title) counts
    once, with its whole box.
    """

    def __init__(self, monkeypatch):
        self.drawn = []
        monkeypatch.setattr(matplotlib.text.Text, "draw", self._recording(matplotlib.text.Text.draw))

    def _recording(self, draw):
        recorder = self

        def recorded(text, renderer):
            shown = text.get_visible() and text.get_text() and text.get_alpha() != 0
            if shown and (renderer.width, renderer.height) != (1, 1):  # 1x1 px: measured at prepare, not shown
                extent = text.get_window_extent(renderer)
                recorder.drawn.append((type(renderer).__name__, text.get_text(), extent, renderer.width,
                                       renderer.height))
            return draw(text, renderer)

        return recorded

    def outside(self):
        return [(kind, s, tuple(np.round(extent.extents, 1)), (width, height))
                for kind, s, extent, width, height in self.drawn
                if extent.x0 < 0 or extent.y0 < 0 or extent.x1 > width or extent.y1 > height]


def svg_text_positions(svg: bytes):
    """``(text, x, y)`` of every text element (a group ``text_N``, glyphs drawn as paths), and the viewBox."""
    root = ET.fromstring(svg)
    view_box = [float(v) for v in root.attrib["viewBox"].split()]
    positions = []
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        if re.fullmatch(r"(layer-)?text_\d+", group.get("id", "")):
            placed = group.find("{http://www.w3.org/2000/svg}g")
            assert placed is not None
            translate = re.match(r"translate\(([-\d.e]+) ([-\d.e]+)\)", placed.attrib["transform"])
            assert translate, placed.attrib
            x, y = translate.groups()
            positions.append((placed.attrib["transform"], float(x), float(y)))
    return view_box, positions


@pytest.mark.parametrize("width, height, dpi", GRID, ids=[f"{w:g}x{h:g}@{d}" for w, h, d in GRID])
@pytest.mark.parametrize("name", PLOTS)
def test_no_text_leaves_the_figure(name, width, height, dpi, monkeypatch):
    recorder = TextRecorder(monkeypatch)
    client = Client(create_app(pool_size=1))
    plot = default_registry().get(name)
    assert plot is not None
    example = "".join(f"&{key}={quote(value)}" for key, value in dict(plot.example).items())
    query = f"size={width:g}x{height:g}&dpi={dpi}&seed=1{example}"  # the data charts need their data

    response = client.get(f"/plot/{name}.png?{query}")
    assert response.status_code == 200, response.data
    image = decode_png(response.data)
    assert image.size == (int(width * dpi), int(height * dpi))
    ring = max(1, min(2, min(image.size) // 8))
    assert (border(image, ring) == 255).all(), "ink on the outermost pixels: something is clipped"

    svg = client.get(f"/plot/{name}.svg?{query}").data
    (x0, y0, view_width, view_height), positions = svg_text_positions(svg)
    for transform, x, y in positions:
        assert x0 <= x <= x0 + view_width and y0 <= y <= y0 + view_height, transform

    if min(width, height) >= 1.5:  # room for tick labels: a recorder that saw none would be broken
        assert recorder.drawn
    assert recorder.outside() == []


def test_gallery_thumbnails_keep_legible_text(monkeypatch):
    """Each /plots/ thumbnail (240x180) keeps its tick labels, at least 10 px tall."""
    client = Client(create_app(pool_size=1))
    sources = re.findall(r'<img src="([^"]+)"', client.get("/plots/").get_data(as_text=True))
    assert len(sources) == len(PLOTS)
    for source in sources:
        recorder = TextRecorder(monkeypatch)
        image = decode_png(client.get(source.replace("&amp;", "&")).data)
        assert image.size == (240, 180)
        numbers = [s for _, s, extent, _, _ in recorder.drawn if re.fullmatch(r"[−\d.]+", s)]
        assert len(numbers) >= 6, (source, numbers)  # tick labels on both axes
        heights = [extent.height for _, s, extent, _, _ in recorder.drawn if s in numbers]
        assert min(heights) >= 10, (source, heights)


def labelled_registry(layout=True):
    """A user's plots with a long title, axis labels, a legend and big tick labels; one incremental, one full-draw."""

    def decorate(ax):
        ax.set_title("readings of one sensor over a long time")
        ax.set_xlabel("time since the start of the experiment (s)")
        ax.set_ylabel("reading")

    def init(fig, p):
        ax = fig.add_subplot()
        ax.set_xlim(0, 1_000_000)
        decorate(ax)
        (line,) = ax.plot([], [], label="sensor")
        ax.set_ylim(0, 9, auto=True)  # y follows the data: a peak past 9 widens it
        ax.legend(loc="upper right")
        return [line]

    def update(artists, p, rng):
        artists[0].set_data([0, 500_000, 1_000_000], [1, p.peak, 2])

    def draw(fig, p, rng):
        ax = fig.add_subplot()
        ax.bar(["north", "south", "east", "west"], rng.uniform(0, 1, 4) * p.peak)
        decorate(ax)

    peak = Param("peak", float, 5.0)
    return PlotRegistry([Plot("labelled", [peak], init=init, update=update, layout=layout),
                         Plot("drawn", [peak], draw=draw, layout=layout)])


@pytest.mark.parametrize("name", ["labelled", "drawn"])
@pytest.mark.parametrize("size, dpi", [("4x3", 100), ("2x1.5", 100), ("0.5x0.5", 100)])
def test_a_users_plot_is_laid_out_too(name, size, dpi, monkeypatch):
    recorder = TextRecorder(monkeypatch)
    client = Client(create_app(registry=labelled_registry(), pool_size=1))
    for seed in (1, 2):  # a full-draw plot lays out at every request
        image = decode_png(client.get(f"/plot/{name}.png?size={size}&dpi={dpi}&seed={seed}").data)
        assert (border(image, 2) == 255).all()
    assert recorder.outside() == []
    if size == "4x3":  # room for everything: nothing dropped
        assert {"reading", "time since the start of the experiment (s)"} <= {s for _, s, *_ in recorder.drawn}


def test_a_plot_can_opt_out_of_the_layout(monkeypatch):
    recorder = TextRecorder(monkeypatch)
    client = Client(create_app(registry=labelled_registry(layout=False), pool_size=1))
    assert client.get("/plot/labelled.png?size=2x1.5&dpi=100").status_code == 200
    assert recorder.outside() != []  # matplotlib's default positions: the long title runs off both sides


def test_wider_limits_lay_out_again_for_that_draw_only(tmp_path, monkeypatch):
    """The outlier's tick labels (100000 for 8) would run off the left edge of the frozen layout."""
    from .conftest import assert_same_picture  # noqa: PLC0415

    registry = labelled_registry()
    client = Client(create_app(registry=registry, pool_size=1))
    url = "/plot/labelled.png?size=4x3&dpi=100&seed=1&peak="
    static = client.get(url + "5").data
    recorder = TextRecorder(monkeypatch)
    widened = decode_png(client.get(url + "99999").data)
    assert (border(widened, 2) == 255).all()
    assert recorder.outside() == []
    assert "100000" in {s for _, s, *_ in recorder.drawn}
    assert client.get(url + "5").data == static  # back on the frozen layout and background

    plot = registry.get("labelled")
    from wsgi_plot.declare.params import Values  # noqa: PLC0415
    from wsgi_plot.figures.pipeline import render_unpooled  # noqa: PLC0415

    reference = render_unpooled(plot, Values(peak=99999.0), np.random.default_rng(1), "png", 4, 3, 100)
    assert_same_picture(client.get(url + "99999").data, reference, tmp_path)


def test_the_same_request_gets_the_same_picture_whatever_the_pooled_figure_drew_before():
    """A data chart's margins follow its own tick labels, never an earlier request's."""
    narrow, wide = "/plot/line.png?y=1,2,3&dpi=100", "/plot/line.png?y=1,-200000,3&dpi=100"
    pooled = Client(create_app(pool_size=1))
    first = pooled.get(narrow).data
    assert pooled.get(wide).status_code == 200  # wider labels: laid out again
    assert pooled.get(narrow).data == first == Client(create_app(pool_size=1)).get(narrow).data


def test_new_data_whose_labels_keep_the_margins_is_not_laid_out_again(monkeypatch):
    from wsgi_plot.figures import render  # noqa: PLC0415

    client = Client(create_app(pool_size=1))
    assert client.get("/plot/line.png?y=1,5,3&dpi=100").status_code == 200
    layouts = []
    original = render.lay_out

    def lay_out(*args, **kwargs):
        layouts.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(render, "lay_out", lay_out)
    for query in ("y=1.2,5,3", "y=1,4.8,3", "y=1.1,4.9,2"):  # the limits move; labels as wide as 0.5 to 5.5
        assert client.get(f"/plot/line.png?{query}&dpi=100").status_code == 200
    assert layouts == []
    assert client.get("/plot/line.png?y=1,5,30000&dpi=100").status_code == 200  # wider labels
    assert layouts == [1]


def test_stacked_tick_labels_that_crowd_are_thinned(monkeypatch):
    """Two-line tick labels at matplotlib 3.11's default line spacing ("normal", not a number) are
    measured like others (once a TypeError, so a 500). Given with their ticks they are category
    labels: all twelve kept (turned upright, or set smaller), none overlapping."""
    def draw(fig, values, rng):
        axes = fig.add_subplot()
        axes.plot(range(12))
        axes.set_xticks(range(12), [f"Jan\n{2000 + i}" for i in range(12)])

    recorder = TextRecorder(monkeypatch)
    client = Client(create_app(registry=PlotRegistry([Plot("stacked", draw=draw)]), pool_size=1))
    response = client.get("/plot/stacked.png?size=3x2&dpi=100")
    assert response.status_code == 200
    assert (border(decode_png(response.data), 2) == 255).all()
    assert recorder.outside() == []
    assert len([s for _, s, *_ in recorder.drawn if s.startswith("Jan\n")]) == 12


def laid_out(figure):
    """``figure`` (constrained) through the layer, as a pooled figure is prepared; and its measuring renderer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415

    from wsgi_plot.figures.layout import lay_out, measuring_renderer  # noqa: PLC0415
    from wsgi_plot.figures.mpl_compat import DRAW_LOCK  # noqa: PLC0415

    FigureCanvasAgg(figure)
    renderer = measuring_renderer(figure)
    with DRAW_LOCK:
        layout = lay_out(figure, figure.get_layout_engine(), renderer)
    return layout, renderer


def test_numeric_labels_that_collide_are_thinned_the_locators_way_every_tick_keeping_its_label():
    from matplotlib.figure import Figure  # noqa: PLC0415

    from wsgi_plot.figures.layout import _collide, _drawn_tick_labels  # noqa: PLC0415
    from wsgi_plot.figures.mpl_compat import ticks_drawn  # noqa: PLC0415

    figure = Figure(figsize=(2, 1.5), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    axes.plot([1_000_000, 1_012_345], [0, 1])
    axes.ticklabel_format(useOffset=False, style="plain")
    plain_ticks = len(axes.xaxis.get_major_locator()())
    layout, renderer = laid_out(figure)
    assert layout.level >= 1  # matplotlib's own labels run into each other here
    ticks, labels = ticks_drawn(axes.xaxis), _drawn_tick_labels(axes.xaxis)
    assert 2 <= len(ticks) < plain_ticks
    assert len(labels) == len(ticks)  # fewer ticks, none with its label hidden
    assert not _collide(labels, renderer)
    layout.restore()
    assert len(axes.xaxis.get_major_locator()()) == plain_ticks  # the locator's own count back


def test_titles_that_cannot_wrap_keep_their_start_on_one_line_rather_than_go():
    """Six panels under a long suptitle at 144x108 px: wrapped lines would take the axes' height."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    from wsgi_plot.figures.layout import clean  # noqa: PLC0415
    from wsgi_plot.figures.mpl_compat import suptitle as suptitle_of  # noqa: PLC0415

    suptitle = "Daily water level at six stations along the river, first month of records"
    figure = Figure(figsize=(2, 1.5), dpi=72, layout="constrained")
    for index, axes in enumerate(figure.subplots(2, 3).flat):
        axes.plot(np.arange(30), np.cumsum(np.random.default_rng(index).normal(size=30)))
        axes.set_title(f"station {index + 1}")
    figure.suptitle(suptitle)
    layout, renderer = laid_out(figure)
    shown = " ".join(figure.get_suptitle().split())  # one line, or (matplotlib 3.10's sizes) two
    assert shown == suptitle or (shown.endswith("\N{HORIZONTAL ELLIPSIS}") and suptitle.startswith(shown[:-1].rstrip()))
    shown_suptitle = suptitle_of(figure)
    assert shown_suptitle is not None and shown_suptitle.get_visible()
    titles = [axes.get_title() for axes in figure.axes]
    assert all(title and title.get_visible() for title in (axes.title for axes in figure.axes))
    assert sum(title.startswith("station ") for title in titles) >= 4  # whole where their column leaves room
    assert clean(figure, renderer)
    layout.restore()
    assert figure.get_suptitle() == suptitle and [axes.get_title() for axes in figure.axes][0] == "station 1"


def test_mathtext_is_shortened_between_its_groups_never_inside_one():
    from matplotlib.backends.backend_agg import RendererAgg  # noqa: PLC0415
    from matplotlib.text import Text  # noqa: PLC0415

    from wsgi_plot.figures.layout import _shortened  # noqa: PLC0415

    text = Text(text="")
    s = r"growth $\frac{dN}{dt} = rN$ of the $\alpha$ population over time"
    shortened = _shortened(text, s, 120, RendererAgg(1, 1, 100))
    assert shortened.endswith(" \N{HORIZONTAL ELLIPSIS}")
    assert shortened[:-2].count("$") % 2 == 0 and s.startswith(shortened[:-2])
    plain = Text(text="", parse_math=False)
    assert _shortened(plain, "station 12 north", 30, RendererAgg(1, 1, 100)).endswith("\N{HORIZONTAL ELLIPSIS}")
