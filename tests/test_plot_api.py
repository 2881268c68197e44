"""A plot defined here, as a user would, gets every route, validation, format and the fast path."""

import re

import numpy as np
import pytest
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app, default_registry
from wsgi_plot.declare.params import Values
from wsgi_plot.figures.pipeline import render_unpooled

from .conftest import decode_png


def init(fig, p):
    ax = fig.add_subplot()
    ax.set_xlim(0, 2 * np.pi)
    ax.set_ylim(-1.5 * p.amplitude, 1.5 * p.amplitude)
    ax.set_title(f"noisy sine, amplitude {p.amplitude:g}")
    (line,) = ax.plot([], [], color="tab:purple")
    return [line]


def update(artists, p, rng):
    x = np.linspace(0, 2 * np.pi, p.points)
    artists[0].set_data(x, p.amplitude * np.sin(x) + rng.normal(0, p.noise, p.points))


SINE = Plot("sine", [
    Param("amplitude", float, 1.0, minimum=0.1, maximum=100, static=True),
    Param("noise", float, 0.1, minimum=0, maximum=10),
    Param("points", int, 200, minimum=2, maximum=10_000),
], init=init, update=update, title="noisy sine")


def bars(fig, p, rng):
    ax = fig.add_subplot()
    ax.bar(range(p.count), rng.integers(1, 10, p.count))


BARS = Plot("bars", [Param("count", int, 5, minimum=1, maximum=50)], draw=bars)


@pytest.fixture(params=[1, 3], ids=["pool1", "pool3"])
def client(request):
    registry = default_registry()
    registry.add(SINE)
    registry.add(BARS)
    return Client(create_app(registry=registry, pool_size=request.param))


@pytest.mark.parametrize("fmt, mimetype", [("png", "image/png"), ("svg", "image/svg+xml"), ("pdf", "application/pdf")])
@pytest.mark.parametrize("name", ["sine", "bars"])
def test_user_plot_in_every_format(client, name, fmt, mimetype):
    response = client.get(f"/plot/{name}.{fmt}?dpi=80")
    assert response.status_code == 200, response.data
    assert response.mimetype == mimetype
    if fmt == "png":
        assert decode_png(response.data).size == (320, 240)


def test_user_plot_page_lists_and_links(client):
    listing = client.get("/plots/").get_data(as_text=True)
    assert 'href="/plot/sine"' in listing and 'href="/plot/bars"' in listing
    page = client.get("/plot/sine?amplitude=2&noise=0.5").get_data(as_text=True)
    assert '<input name="amplitude" type="number" value="2" step="any" min="0.1" max="100" required>' in page
    assert '<input name="points" type="number" value="200" step="1" min="2" max="10000" required>' in page
    img = re.search(r'<img class="plot" id="plot" src="([^"]+)"', page)
    assert img
    src = img.group(1)
    assert src.startswith("/plot/sine.png?") and "amplitude=2" in src
    assert client.get(src.replace("&amp;", "&")).status_code == 200
    index = client.get("/").get_data(as_text=True)
    assert "sine" in index and "amplitude" in index


@pytest.mark.parametrize("query, param", [("amplitude=0", "amplitude"), ("amplitude=1000", "amplitude"),
                                          ("noise=-1", "noise"), ("points=1", "points"), ("points=2.5", "points"),
                                          ("color=red", "color")])
def test_validation_comes_from_the_declarations(client, query, param):
    response = client.get(f"/plot/sine.png?{query}")
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith(f"400 Bad Request: {param}:")


def test_two_plots_do_not_leak_into_each_other(client):
    sine = client.get("/plot/sine.png?seed=5&dpi=60").data
    normal = client.get("/plot/normal.png?seed=5&dpi=60").data
    assert client.get("/plot/sine.png?seed=5&dpi=60").data == sine
    assert client.get("/plot/normal.png?seed=5&dpi=60").data == normal
    assert client.get("/plot/bars.png?seed=5&dpi=60").data == client.get("/plot/bars.png?seed=5&dpi=60").data


def test_static_parameters_key_the_pool(client):
    """A figure initialised for amplitude=1 is never reused for amplitude=2."""
    one = decode_png(client.get("/plot/sine.png?amplitude=1&seed=1&dpi=60").data)
    two = decode_png(client.get("/plot/sine.png?amplitude=2&seed=1&dpi=60").data)
    assert one.tobytes() != two.tobytes()


def test_fast_path_equals_a_full_draw():
    client = Client(create_app(registry=PlotRegistry([SINE]), pool_size=1))
    for seed in range(3):
        fast = client.get(f"/plot/sine.png?amplitude=2&seed={seed}&dpi=100").data
        values = Values(amplitude=2.0, noise=0.1, points=200)
        assert fast == render_unpooled(SINE, values, np.random.default_rng(seed), "png", 4, 3, 100)


def test_declaration_mistakes_fail_at_definition():
    with pytest.raises(TypeError):
        Plot("x", [], init=init)  # no update
    with pytest.raises(TypeError):
        Plot("x", [], init=init, update=update, draw=bars)
    with pytest.raises(ValueError):
        Plot("Bad Name", [], draw=bars)
    with pytest.raises(ValueError):
        Plot("x", [Param("a"), Param("a")], draw=bars)
    with pytest.raises(ValueError):
        PlotRegistry([SINE, SINE])
    with pytest.raises(Exception, match="must be"):
        Param("a", int, default=0, minimum=1)


def test_registry_decorator_registers_a_full_draw_plot():
    registry = PlotRegistry()

    @registry.plot("dots", [Param("k", int, 3, minimum=1, maximum=9)])
    def dots(fig, p, rng):
        ax = fig.add_subplot()
        ax.plot(rng.random(p.k), "o")

    assert "dots" in registry and len(registry) == 1
    response = Client(create_app(registry=registry)).get("/plot/dots.png?k=4&dpi=50")
    assert response.status_code == 200 and decode_png(response.data).size == (200, 150)
