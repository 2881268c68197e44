"""The fast path draws the same picture as a full draw, and renders never leak into each other."""

import hashlib
import re
import subprocess
import sys
import threading
import urllib.request
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app, default_registry
from wsgi_plot.builtin import normal
from wsgi_plot.declare.params import Values
from wsgi_plot.figures.pipeline import render_unpooled

from .conftest import assert_same_picture, decode_png
from .servers import threaded_server


def unpooled(plot, fmt="png", seed=1, width=4, height=3, dpi=300, **values):
    full = {p.name: p.default for p in plot.params} | values
    return render_unpooled(plot, Values(**full), np.random.default_rng(seed), fmt, width, height, dpi)


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_same_seed_same_bytes(client, fmt):
    first = client.get(f"/fig/5_2.{fmt}?seed=42").data
    assert client.get(f"/fig/5_2.{fmt}?seed=43").data != first
    assert client.get(f"/fig/5_2.{fmt}?seed=42").data == first


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_same_seed_same_bytes_across_processes(client, fmt):
    here = hashlib.sha256(client.get(f"/fig/5_2.{fmt}?seed=7").data).hexdigest()
    code = ("import hashlib; from werkzeug.test import Client; from wsgi_plot import create_app; "
            f"print(hashlib.sha256(Client(create_app()).get('/fig/5_2.{fmt}?seed=7').data).hexdigest())")
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert here == there


def test_without_seed_each_request_differs(client):
    assert client.get("/fig/5_2").data != client.get("/fig/5_2").data


@pytest.mark.parametrize("plot_name, query", [("normal", "mean=5&var=2"), ("histogram", "bins=20"),
                                              ("random-walk", "steps=300")])
def test_renders_a_b_a_match_a_brand_new_figure(client, plot_name, query, tmp_path):
    a = client.get(f"/plot/{plot_name}.png?{query}&seed=1").data
    b = client.get(f"/plot/{plot_name}.png?{query}&seed=2").data
    a_again = client.get(f"/plot/{plot_name}.png?{query}&seed=1").data
    assert a != b
    assert a_again == a
    plot = default_registry().get(plot_name)
    assert plot is not None
    values = dict(pair.split("=") for pair in query.split("&"))
    reference = unpooled(plot, seed=1, **{k: plot.param(k).parse(v) for k, v in values.items()})
    assert_same_picture(a, reference, tmp_path)


def test_fast_path_equals_a_full_draw_for_many_seeds(tmp_path):
    client = Client(create_app(pool_size=1))
    identical = 0
    for seed in range(12):
        fast = client.get(f"/fig/5_2?seed={seed}").data
        full = unpooled(normal.plot, seed=seed, mean=5.0, var=2.0)
        assert_same_picture(fast, full, tmp_path)
        identical += fast == full
    # Points drawn over the static part differ from a full draw only where a
    # marker overlaps a spine, which needs a near-4-sigma sample.
    assert identical >= 10


def test_pdf_equals_a_full_draw(client):
    assert client.get("/fig/5_2.pdf?seed=3").data == unpooled(normal.plot, "pdf", seed=3, mean=5.0, var=2.0)


def outlier_seed(n=1000):
    """A seed whose normal samples reach past the static limits, so that the figure is widened."""
    return next(s for s in range(10_000) if np.abs(np.random.default_rng(s).normal(0, 1, 2 * n)).max() > normal.SPREAD)


@pytest.mark.parametrize("plot_name, query", [("normal", "mean=0&var=1&n=1000"), ("histogram", "bins=20"),
                                              ("random-walk", "steps=300")])
def test_vector_saves_between_two_pngs_leave_the_pooled_figure_as_new(plot_name, query):
    """PNG, PDF, SVG, PNG on one pooled figure: the last PNG is the one a brand-new figure gives.

    The vector saves draw the whole figure (the normal plot's outlier seed also widens its limits);
    the fast path after them must start from the same static state again.
    """
    app = create_app(pool_size=1)
    client = Client(app)
    png = f"/plot/{plot_name}.png?{query}&seed=1&dpi=100"
    first = client.get(png).data
    for fmt in ("pdf", "svg"):
        assert client.get(f"/plot/{plot_name}.{fmt}?{query}&seed={outlier_seed()}&dpi=100").status_code == 200
    assert client.get(png).data == first
    assert app.pool.size == 1  # one figure served all four
    assert Client(create_app(pool_size=1)).get(png).data == first


def svg_markers(svg: bytes) -> list:
    """The marker instances (``<use>``) of an SVG, as (x, y) strings, in document order."""
    root = ET.fromstring(svg)
    return [(use.get("x", ""), use.get("y", "")) for use in root.iter("{http://www.w3.org/2000/svg}use")]


def test_layered_svg_has_the_full_draws_markers_and_unique_ids(client):
    """Byte for byte it differs from savefig (the layer is a document of its own); what it draws does not.

    tests/test_browser.py compares the two as a browser renders them.
    """
    for seed in (3, 4):
        layered = client.get(f"/fig/5_2.svg?seed={seed}&n=50").data
        full = unpooled(normal.plot, "svg", seed=seed, mean=5.0, var=2.0, n=50)
        assert sorted(svg_markers(layered)) == sorted(svg_markers(full))
        ids = re.findall(rb' id="([^"]+)"', layered)
        assert len(ids) == len(set(ids))
        for ref in re.findall(rb'(?:url\(#|xlink:href="#)([^")]+)', layered):
            assert ref in ids  # every reference resolves


def test_layered_svg_falls_back_to_a_full_save_after_widening():
    """Autoscaled axes widened for one request's data: the static layer, drawn at other limits, is
    not used; the next ordinary request is layered again on the unchanged static part."""
    registry = far_point_registry()
    client = Client(create_app(registry=registry, pool_size=1))
    layered = client.get("/plot/far.svg?x=100&dpi=100").data
    assert layered == unpooled(registry.get("far"), "svg", dpi=100, x=100.0)
    assert client.get("/plot/far.svg?x=0.5&dpi=100").data.count(b'id="layer-') > 0


def test_layered_svg_after_normals_own_code_widened_its_limits():
    """normal's update widens its limits for an outlier itself: the static part is drawn again at
    those limits and the layered SVG shows the full save's markers."""
    client = Client(create_app(pool_size=1))
    seed = outlier_seed()
    layered = client.get(f"/fig/0_1.svg?n=1000&seed={seed}&dpi=100").data
    full = unpooled(normal.plot, "svg", seed=seed, dpi=100, mean=0.0, var=1.0, n=1000)
    assert sorted(svg_markers(layered)) == sorted(svg_markers(full))
    assert client.get("/fig/0_1.svg?n=1000&seed=1&dpi=100").data.count(b'id="layer-') > 0


def far_point_registry(fixed=False):
    """A scatter whose second point goes to (x, x): on axes that follow the data (autoscaling on,
    starting at 0..1), or ``fixed`` at 0..1 by init, where matplotlib clips a far point."""

    def init(fig, p):
        ax = fig.add_subplot()
        points = ax.scatter([], [], s=400, color="red")
        ax.set_xlim(0, 1, auto=not fixed)  # after the scatter, whose autoscaling would move them
        ax.set_ylim(0, 1, auto=not fixed)
        return [points]

    def update(artists, p, rng):
        artists[0].set_offsets([[0.2, 0.2], [p.x, p.x]])

    return PlotRegistry([Plot("far", [Param("x", float, 0.2)], init=init, update=update)])


def red_pixels(image) -> int:
    pixels = np.asarray(image.convert("RGB")).astype(int)
    red = (pixels[..., 0] > 200) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)
    return int(red.sum())


def test_points_outside_the_static_limits_stay_visible():
    client = Client(create_app(registry=far_point_registry(), pool_size=1))
    inside = decode_png(client.get("/plot/far.png?x=0.2&dpi=50").data)
    outside = decode_png(client.get("/plot/far.png?x=100&dpi=50").data)
    width, height = outside.size
    top_right = (width // 2, 0, width, height // 2)
    assert red_pixels(inside.crop(top_right)) == 0
    assert red_pixels(outside.crop(top_right)) > 100  # the far point, drawn after widening
    # The pooled figure went back to its static limits for the next request.
    assert client.get("/plot/far.png?x=0.2&dpi=50").data == client.get("/plot/far.png?x=0.2&dpi=50").data
    assert red_pixels(decode_png(client.get("/plot/far.png?x=0.2&dpi=50").data)) == red_pixels(inside)


def test_limits_fixed_by_init_stay_fixed_and_matplotlib_clips(tmp_path):
    """The plot's code said 0..1: an outlier at 100 is clipped, the picture equal to plain
    matplotlib's (the same init and update on a Figure(layout="constrained"))."""
    from matplotlib.figure import Figure  # noqa: PLC0415

    plot = far_point_registry(fixed=True).get("far")
    client = Client(create_app(registry=far_point_registry(fixed=True), pool_size=1))
    inside = client.get("/plot/far.png?x=0.2&dpi=100").data  # the fast path's static part, drawn
    served = client.get("/plot/far.png?x=100&dpi=100").data
    figure = Figure(figsize=(4, 3), dpi=100, layout="constrained")
    artists = plot.init(figure, Values(x=100.0))
    plot.update(artists, Values(x=100.0), np.random.default_rng(0))
    reference = tmp_path / "reference.png"
    figure.savefig(reference)
    assert (figure.axes[0].get_xlim(), figure.axes[0].get_ylim()) == ((0, 1), (0, 1))
    assert_same_picture(served, reference.read_bytes(), tmp_path)
    image = decode_png(served)
    assert red_pixels(image.crop((image.width // 2, 0, image.width, image.height // 2))) == 0  # clipped away
    assert red_pixels(decode_png(inside)) > 100


def test_an_outlier_seed_matches_a_full_draw(tmp_path):
    client = Client(create_app(pool_size=1))
    seed = outlier_seed()
    fast = client.get(f"/fig/0_1?n=1000&seed={seed}&dpi=100").data
    full = unpooled(normal.plot, seed=seed, dpi=100, mean=0.0, var=1.0, n=1000)
    assert fast == full


def test_threads_never_mix_figures():
    """Many client threads against one threaded server process: each image equals the one rendered alone."""
    urls = [f"/fig/{m}_{v}?seed={s}&dpi=60" for m, v in [(0, 1), (5, 2), (-3, 0.5)] for s in range(4)]
    expected = {url: Client(create_app(pool_size=1)).get(url).data for url in urls}
    mismatches, errors = [], []

    with threaded_server(create_app(pool_size=3)) as base_url:
        def worker(offset):
            for i in range(20):
                url = urls[(offset + i) % len(urls)]
                try:
                    with urllib.request.urlopen(base_url + url, timeout=30) as response:
                        if response.read() != expected[url]:
                            mismatches.append(url)
                except OSError as error:
                    errors.append(error)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors and not mismatches


def test_widening_for_an_outlier_keeps_the_pooled_figure(monkeypatch):
    """An outlier costs one full draw, not a new figure: rebuilding figures grew RSS by ~50 MiB."""
    from wsgi_plot.figures.render import PreparedFigure

    builds = []
    original = PreparedFigure.__init__

    def counting_init(self, *args, **kwargs):
        builds.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(PreparedFigure, "__init__", counting_init)
    client = Client(create_app(registry=far_point_registry(), pool_size=1))
    inside = client.get("/plot/far.png?x=0.2&dpi=50").data
    for _ in range(3):
        assert client.get("/plot/far.png?x=100&dpi=50").status_code == 200
        assert client.get("/plot/far.png?x=0.2&dpi=50").data == inside
    assert len(builds) == 1
