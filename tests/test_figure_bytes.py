"""What a prepared figure holds: pixels only for PNG, an honest byte count, and nothing left once released."""

import gc
import re

import numpy as np
import pytest
from matplotlib.backends.backend_agg import RendererAgg
from werkzeug.test import Client

from wsgi_plot import create_app
from wsgi_plot.builtin import default_registry
from wsgi_plot.figures.pipeline import draw_still, render_unpooled
from wsgi_plot.figures.render import FIGURE_OBJECT_BYTES, PreparedFigure, prepared_figure_bytes

from .conftest import assert_same_picture, decode_png

PLOTS = [plot.name for plot in default_registry()]


def prepared(name, reusable=True, width=4, height=3, dpi=100):
    plot = default_registry().get(name)
    assert plot is not None
    values = plot.parse(dict(plot.example))  # the data charts have required data; their example has it
    return plot, values, PreparedFigure(plot, plot.static_values(values), width, height, dpi, reusable=reusable)


_EARLIER_CANVASES: set[int] = set()  # ids of canvases other tests keep alive (apps in module fixtures)


def live_agg_canvases():
    """The full-size Agg canvases alive now that were not alive when the test began."""
    # type(), not isinstance: some objects (Django's lazy settings) raise when asked their class.
    return [renderer for renderer in gc.get_objects() if type(renderer) is RendererAgg
            and renderer.get_canvas_width_height() != (1, 1) and id(renderer) not in _EARLIER_CANVASES]


@pytest.fixture
def no_collector():
    """Only reference counting frees objects while the test runs, as between two full collections."""
    gc.collect()
    _EARLIER_CANVASES.clear()
    _EARLIER_CANVASES.update(id(renderer) for renderer in live_agg_canvases())
    gc.disable()
    yield
    gc.enable()
    _EARLIER_CANVASES.clear()


@pytest.mark.parametrize("name", PLOTS)
@pytest.mark.parametrize("fmt", ["svg", "pdf"])
def test_vector_formats_allocate_no_pixels(name, fmt):
    plot, values, figure = prepared(name)
    draw_still(figure, values, np.random.default_rng(0), fmt)
    assert getattr(figure.canvas, "renderer", None) is None and figure.background is None
    assert figure.nbytes == FIGURE_OBJECT_BYTES + len(figure.svg_static or b"")


@pytest.mark.parametrize("name", PLOTS)
def test_nbytes_counts_canvas_background_and_svg_within_the_estimate(name):
    plot, values, figure = prepared(name)
    draw_still(figure, values, np.random.default_rng(0), "png")
    pixels = 400 * 300 * 4
    copies = 2 if plot.incremental else 1
    assert figure.nbytes == copies * pixels + FIGURE_OBJECT_BYTES
    assert figure.nbytes == prepared_figure_bytes(plot, 400, 300)
    draw_still(figure, values, np.random.default_rng(0), "svg")
    assert figure.nbytes == prepared_figure_bytes(plot, 400, 300) + len(figure.svg_static or b"")


@pytest.mark.parametrize("name", PLOTS)
def test_a_figure_not_kept_saves_no_background_and_draws_the_same_picture(name, tmp_path):
    plot, values, figure = prepared(name, reusable=False, dpi=300)
    png, _ = draw_still(figure, values, np.random.default_rng(3), "png")
    assert figure.background is None
    assert_same_picture(png, render_unpooled(plot, values, np.random.default_rng(3), "png", 4, 3, 300), tmp_path)
    svg, _ = draw_still(figure, values, np.random.default_rng(3), "svg")
    assert figure.svg_static is None and svg == render_unpooled(plot, values, np.random.default_rng(3), "svg", 4, 3, 300)


def test_release_frees_the_pixels_without_the_garbage_collector(no_collector):
    plot, values, figure = prepared("normal", dpi=300)
    draw_still(figure, values, np.random.default_rng(0), "svg")
    draw_still(figure, values, np.random.default_rng(0), "png")  # last, so its texts keep the Agg renderer
    assert len(live_agg_canvases()) == 1
    figure.release()
    assert live_agg_canvases() == [] and figure.background is None and figure.svg_static is None


def test_figures_dropped_by_the_app_leave_no_pixels_behind(no_collector):
    client = Client(create_app(pool_size=1, warm=False))
    for size in ("10x8", "9.9x8"):  # over a quarter of the byte budget: drawn and dropped
        assert client.get(f"/fig/5_2?size={size}").status_code == 200
        assert live_agg_canvases() == []
    for mean in (1, 2, 3):  # pooled, each evicting the one before (pool_size=1)
        assert client.get(f"/fig/{mean}_2").status_code == 200
        assert len(live_agg_canvases()) == 1


def test_a_large_png_is_served_at_its_size_and_not_kept():
    app = create_app(warm=False)
    response = Client(app).get("/fig/5_2?size=10.4x8.5")
    assert response.status_code == 200 and decode_png(response.data).size == (3120, 2550)
    assert app.pool.size == 0 and app.pool.nbytes == 0


def test_pool_bytes_stay_within_the_setting_and_evictions_are_counted():
    budget = 40 * 2**20  # four 1200x900 figures fit (9.7 MB each with their objects), five do not
    app = create_app(pool_max_bytes=budget, warm=False)
    client = Client(app)
    for mean in range(6):
        assert client.get(f"/fig/{mean}_2").status_code == 200
        assert app.pool.nbytes <= budget
    assert app.pool.size == 4
    metrics = client.get("/metrics").text
    assert "wsgi_plot_pool_evictions_total 2.0" in metrics
    pool_bytes = re.search(r"^wsgi_plot_pool_bytes (\S+)$", metrics, re.M)
    assert pool_bytes and float(pool_bytes.group(1)) == app.pool.nbytes
