"""The documented plot examples, executed as written: the README's first five-line function, its typed function and class (a choice, a
date and a bool parameter), and the same class in the explicit form after them."""

import re

import numpy as np
import pytest
from matplotlib.testing.compare import compare_images
from werkzeug.test import Client

from wsgi_plot.figures.pipeline import render_unpooled

from .conftest import decode_png, reference_png
from .readme_app import app, explicit_app, explicit_sine, first_app, heat, sine, wave


@pytest.mark.parametrize("size, dpi", [("6.4x4.8", 72), ("4x3", 40)])
def test_the_first_example_is_matplotlibs_picture_at_other_dpi_too(size, dpi, tmp_path):
    """At 72 dpi 6.4 in is 460.8 px (Agg keeps 460: matplotlib lays out in the fraction); at 40 dpi
    the tick labels stand 1.67 px from the edge, not cut: both matplotlib's clean picture."""
    width, height = (float(side) for side in size.split("x"))
    served = Client(first_app).get(f"/plot/wave.png?cycles=3&size={size}&dpi={dpi}")
    assert served.status_code == 200
    (tmp_path / "served.png").write_bytes(served.data)
    (tmp_path / "expected.png").write_bytes(reference_png(wave, wave.parse({"cycles": "3"}), 0, width, height, dpi))
    assert compare_images(str(tmp_path / "expected.png"), str(tmp_path / "served.png"), tol=1) is None


def test_the_first_example_is_what_plain_matplotlib_draws(tmp_path):
    client = Client(first_app)
    served = client.get("/plot/wave.png?cycles=3&size=4x3&dpi=100")
    assert served.status_code == 200
    (tmp_path / "served.png").write_bytes(served.data)
    (tmp_path / "expected.png").write_bytes(reference_png(wave, wave.parse({"cycles": "3"}), 0, 4, 3, 100))
    assert compare_images(str(tmp_path / "expected.png"), str(tmp_path / "served.png"), tol=1) is None
    refused = client.get("/plot/wave.png?cycles=abc")
    assert refused.status_code == 400 and refused.get_data(as_text=True).startswith("400 Bad Request: cycles:")
    assert '<input name="cycles"' in client.get("/plot/wave").get_data(as_text=True)


def test_every_kind_of_the_example_over_http():
    client = Client(app)
    query = "amplitude=2&wave=square&day=2024-03-01&grid=on&seed=3&dpi=50"
    image = client.get(f"/plot/sine.png?{query}")
    assert image.status_code == 200 and decode_png(image.data).size == (200, 150)
    posted = client.post("/plot/sine.png", json={"amplitude": 2, "wave": "square", "day": "2024-03-01", "grid": True,
                                                 "seed": 3, "dpi": 50})
    assert posted.data == image.data
    for bad, param in [("wave=triangle", "wave"), ("day=2024-02-30", "day"), ("day=1999-01-01", "day"),
                       ("grid=maybe", "grid")]:
        response = client.get(f"/plot/sine.png?{bad}")
        assert response.status_code == 400 and response.get_data(as_text=True).startswith(f"400 Bad Request: {param}:")
    assert "sine, square" in client.get("/plot/sine.png?wave=x").get_data(as_text=True)


def test_the_example_page_has_a_select_a_date_and_a_checkbox():
    html = Client(app).get("/plot/sine?wave=square&day=2024-03-01").get_data(as_text=True)
    assert '<select name="wave" required><option value="sine">smooth sine</option>' \
           '<option value="square" selected>square wave</option></select>' in html
    assert '<input name="day" type="date" value="2024-03-01" min="2000-01-01" required>' in html
    assert '<input type="hidden" name="grid" value="false"><input name="grid" type="checkbox" value="true">' in html
    assert "<title>noisy square</title>" in html


def test_the_fast_path_matches_a_full_draw_with_every_static_kind():
    client = Client(app)
    values = sine.parse({"wave": "square", "day": "2024-03-01", "grid": "true", "amplitude": "2"})
    for seed in (1, 2):  # the second request reuses the pooled figure
        fast = client.get(f"/plot/sine.png?wave=square&day=2024-03-01&grid=true&amplitude=2&seed={seed}&dpi=60").data
        assert fast == render_unpooled(sine, values, np.random.default_rng(seed), "png", 4, 3, 60)
    assert re.search(r"sine", client.get("/plots/").get_data(as_text=True))


def test_the_typed_function_plot_of_the_example():
    client = Client(app)
    image = client.get("/plot/heat.png?n=5&cmap=magma&label=noise&smooth=true&seed=2&dpi=50")
    assert image.status_code == 200 and decode_png(image.data).size == (200, 150)
    assert image.data == render_unpooled(heat, heat.parse({"n": "5", "cmap": "magma", "label": "noise",
                                                            "smooth": "true"}), np.random.default_rng(2), "png", 4, 3, 50)
    for bad, param in [("n=51", "n"), ("cmap=jet", "cmap"), ("label=" + "x" * 21, "label"), ("smooth=2", "smooth")]:
        response = client.get(f"/plot/heat.png?{bad}")
        assert response.status_code == 400 and response.get_data(as_text=True).startswith(f"400 Bad Request: {param}:")
    html = client.get("/plot/heat").get_data(as_text=True)
    assert '<select name="cmap" required><option value="viridis" selected>viridis</option>' in html


def test_the_explicit_form_draws_the_same_bytes_as_the_typed_class():
    typed, explicit = Client(app), Client(explicit_app)
    for query in ("seed=3&dpi=50", "amplitude=2&wave=square&day=2024-03-01&grid=on&noise=0.3&points=50&seed=4&dpi=40"):
        for fmt in ("png", "svg"):
            assert typed.get(f"/plot/sine.{fmt}?{query}").data == explicit.get(f"/plot/sine.{fmt}?{query}").data
    assert [p.name for p in sine.params] == [p.name for p in explicit_sine.params]
    assert sine.params == explicit_sine.params  # the same declarations: the same parsing, forms and schemas
