"""Figures as matplotlib draws them: the gallery's plots, served, against plain matplotlib.

The reference is matplotlib itself: the same code on ``Figure(layout="constrained")`` at the
same size (``conftest.reference_png``). Served pictures equal it (RMS at most 1 on 0-255, as
matplotlib's own image comparison computes it), keep the background on their border, and an
incremental plot with several axes and a colorbar equals it request after request, on the fast
path after the first.
"""

import re
import xml.etree.ElementTree as ET

import pytest
from matplotlib.testing.compare import compare_images
from werkzeug.test import Client

from examples.gallery import PLOTS, gallery_registry
from wsgi_plot import create_app

from .conftest import border, decode_png, reference_png

#: (size, dpi): the figure as matplotlib's default makes it, and a smaller one.
SIZES = [((6.4, 4.8), 100), ((4, 3), 100)]
TOLERANCE = 1  # RMS on 0-255


@pytest.fixture(scope="module")
def client():
    return Client(create_app(registry=gallery_registry(), pool_size=2))


def assert_same_as_matplotlib(served: bytes, plot, values, seed, size: tuple[float, float], dpi, tmp_path):
    image = decode_png(served)
    assert image.size == (int(size[0] * dpi), int(size[1] * dpi))
    assert (border(image, 2)[:, :3] == 255).all(), f"{plot.name}: ink on the outermost pixels"
    expected, actual = tmp_path / f"{plot.name}-expected.png", tmp_path / f"{plot.name}-served.png"
    expected.write_bytes(reference_png(plot, values, seed, *size, dpi))
    actual.write_bytes(served)
    failure = compare_images(str(expected), str(actual), tol=TOLERANCE)
    assert failure is None, failure


def test_the_gallery_has_a_dozen_figure_level_plots():
    assert len([plot for plot in PLOTS if plot.draw is not None]) >= 12


@pytest.mark.parametrize("size, dpi", SIZES, ids=[f"{w:g}x{h:g}@{dpi}" for (w, h), dpi in SIZES])
@pytest.mark.parametrize("plot", PLOTS, ids=[plot.name for plot in PLOTS])
def test_served_figure_equals_plain_matplotlib(client, plot, size, dpi, tmp_path):
    response = client.get(f"/plot/{plot.name}.png?size={size[0]:g}x{size[1]:g}&dpi={dpi}&seed=7")
    assert response.status_code == 200, response.data
    assert_same_as_matplotlib(response.data, plot, plot.parse({}), 7, size, dpi, tmp_path)


def test_an_incremental_plot_with_a_colorbar_equals_matplotlib_request_after_request(tmp_path):
    """Three panels and a colorbar: the first request prepares the figure, the next two take the
    fast path (the changing image and lines drawn over the saved background)."""
    plot = next(plot for plot in PLOTS if plot.name == "heatmap")
    client = Client(create_app(registry=gallery_registry(), pool_size=1))
    for seed in (1, 2, 3):
        response = client.get(f"/plot/heatmap.png?size=6.4x4.8&dpi=100&seed={seed}")
        assert_same_as_matplotlib(response.data, plot, plot.parse({}), seed, (6.4, 4.8), 100, tmp_path)
    # The fast path really ran: the pooled figure kept its background.
    assert "draw;dur=" in response.headers["Server-Timing"]


@pytest.mark.parametrize("fmt", ["svg", "pdf", "apng", "gif"])
@pytest.mark.parametrize("name", ["subplots-grid", "colorbar-image", "polar", "heatmap"])
def test_every_format_draws_figure_level_plots(client, name, fmt):
    query = "size=4x3&dpi=50&seed=1" + ("&frames=2" if fmt in ("apng", "gif") else "")
    response = client.get(f"/plot/{name}.{fmt}?{query}")
    assert response.status_code == 200, response.data
    if fmt == "svg":
        ET.fromstring(response.data)  # well-formed
        texts = re.findall(rb"<!-- (.*?) -->", response.data, re.DOTALL)
        assert texts, "no text in the SVG"
    elif fmt == "pdf":
        assert response.data.startswith(b"%PDF")
    else:
        image = decode_png(response.data) if fmt == "apng" else None
        assert image is None or image.size == (200, 150)


@pytest.mark.exclusive  # paced by the clock: a frame whose time passes while another is drawn is skipped
def test_a_stream_of_a_figure_level_plot(client):
    threaded = {"wsgi.multithread": True}  # streams need a server with threads; the test client has none
    # Frames at 0 s and 1 s: the second is skipped only if the first takes a second to draw.
    response = client.get("/plot/heatmap.stream?size=2x1.5&dpi=40&seconds=2&fps=1&seed=1", environ_overrides=threaded)
    assert response.status_code == 200
    assert response.mimetype == "multipart/x-mixed-replace"
    frames = [decode_png(b"\x89PNG" + part.split(b"\r\n--")[0]) for part in response.get_data().split(b"\x89PNG")[1:]]
    assert len(frames) == 2 and all(frame.size == (80, 60) for frame in frames)
