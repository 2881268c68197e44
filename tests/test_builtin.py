"""The built-in plots draw every value their declarations allow, extremes included."""

import warnings

import numpy as np
import pytest
from werkzeug.test import Client

from wsgi_plot import create_app, default_registry
from wsgi_plot.figures.pipeline import draw_still
from wsgi_plot.figures.render import PreparedFigure

from .conftest import decode_png

# Found by schemathesis: a var too small to change mean's float gave equal axis limits (a warning
# per request) or zero-width histogram bins (a 500).
EXTREMES = [
    "/fig/-1000000000_5e-324", "/fig/0_5e-324.svg", "/fig/1e9_1e-9", "/fig/1e9_1e9", "/fig/-1e9_1e9.pdf",
    "/plot/histogram.png?mean=0&var=5e-324", "/plot/histogram.png?mean=1e9&var=5e-324&bins=500",
    "/plot/histogram.png?mean=1e9&var=1e-6&bins=500", "/plot/histogram.svg?mean=-1e9&var=1e-300&bins=1",
    "/plot/histogram.png?mean=1e9&var=1e9&bins=500&n=1", "/plot/random-walk.png?step=5e-324&steps=1",
    "/plot/random-walk.pdf?step=1e9&steps=100000",
]


@pytest.mark.parametrize("url", EXTREMES)
def test_extreme_values_draw_without_errors_or_warnings(url):
    client = Client(create_app(pool_size=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = client.get(url + ("&" if "?" in url else "?") + "dpi=30&seed=1")
    assert response.status_code == 200, response.data


def ink(image, channel_over_others) -> int:
    """Pixels clearly of the plot's data colour: ``channel_over_others(r, g, b)`` true; text is grey, never."""
    r, g, b = (np.asarray(image.convert("RGB")).astype(int)[..., i] for i in range(3))
    return int(channel_over_others(r, g, b).sum())


BLUE = lambda r, g, b: (b - r > 60) & (b > g)  # noqa: E731 histogram bars, tab:blue
RED = lambda r, g, b: (r - g > 60) & (r - b > 60)  # noqa: E731 normal's markers
GREEN = lambda r, g, b: (g - r > 60) & (g - b > 60)  # noqa: E731 random walk's line

# Issue 15: a var far below mean's float spacing scaled every bar by var (1e-14 tall): 200, no bar.
TINY_SPREADS = [
    ("histogram", "mean=1000&var=1e-14", BLUE), ("histogram", "mean=1e9&var=1e-8", BLUE),
    ("histogram", "mean=0&var=1e-300", BLUE), ("histogram", "mean=0&var=5e-324", BLUE),
    ("histogram", "mean=5&var=1e-320&bins=500", BLUE), ("histogram", "mean=1e9&var=5e-324&bins=500", BLUE),
    ("histogram", "bins=500&n=1", BLUE),
    ("normal", "mean=1000&var=1e-14", RED), ("normal", "mean=1e9&var=1e-8", RED), ("normal", "mean=0&var=1e-300", RED),
    ("normal", "mean=-1e9&var=5e-324&n=1", RED),
    ("random-walk", "step=1e-300", GREEN), ("random-walk", "step=5e-324&steps=1", GREEN),
]


@pytest.mark.parametrize("name, query, colour", TINY_SPREADS)
def test_every_sample_shows_however_small_the_spread(name, query, colour):
    response = Client(create_app(pool_size=1)).get(f"/plot/{name}.png?{query}&dpi=100&seed=1")
    assert response.status_code == 200
    assert ink(decode_png(response.data), colour) >= 20


def test_tiny_var_puts_every_sample_in_one_visible_bar():
    plot = default_registry().get("histogram")
    assert plot is not None
    for query in ({"mean": "1000", "var": "1e-14"}, {"mean": "1e9", "var": "1e-8"}, {"mean": "0", "var": "1e-300"}):
        values = plot.parse(query)
        prepared = PreparedFigure(plot, plot.static_values(values), 4, 3, 100)
        draw_still(prepared, values, np.random.default_rng(1), "png")
        bars = prepared.artists[0]  # type: ignore[index]  # init's list, the histogram's bars first
        heights = np.array([bar.get_height() for bar in bars])
        widths = np.array([bar.get_width() for bar in bars])
        assert np.count_nonzero(heights) == 1 and (heights * widths).sum() == pytest.approx(1)  # one full bin
        low, high = prepared.figure.axes[0].get_ylim()
        assert 0.5 * high <= heights.max() <= high  # inside the picture, and most of its height


def test_histogram_bars_use_most_of_the_axes():
    """The static density limit follows the distribution: a normal density peaks near 0.4, not 1."""
    plot = default_registry().get("histogram")
    assert plot is not None
    for query in ({}, {"var": "3"}, {"bins": "10"}):
        values = plot.parse(query)
        prepared = PreparedFigure(plot, plot.static_values(values), 4, 3, 100)
        for seed in range(3):
            draw_still(prepared, values, np.random.default_rng(seed), "png")
            tallest = max(bar.get_height() for bar in prepared.artists[0])  # type: ignore[index]  # init's list, the bars first
            assert 0.65 <= tallest / prepared.figure.axes[0].get_ylim()[1] <= 1, (query, seed)
