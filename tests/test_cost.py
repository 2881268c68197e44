"""The cost estimate before drawing (wsgi_plot/figures/cost.py): a still that cannot be drawn within
render_timeout is refused at once, 413 naming what to reduce, and no figure is taken for it."""

import numpy as np
import pytest
from werkzeug.test import Client

from wsgi_plot import create_app
from wsgi_plot.figures.cost import estimate
from wsgi_plot.web.metrics import Metrics
from wsgi_plot.web.request_args import RequestArgs

from .conftest import decode_png

Y = np.round(np.random.default_rng(0).normal(size=140_000), 3).tolist()  # the heavy POST: ~1 MB of JSON


def renders(app) -> float:
    return app.metrics.registry.get_sample_value("wsgi_plot_render_seconds_count", {"format": "png"}) or 0.0


def cost_of(app, plot_name, **args):
    plot = app.registry.get(plot_name)
    values, options = app.images.parse(plot, RequestArgs(args))
    return estimate(plot, values, options)


@pytest.mark.parametrize("body, named, advice", [({"y": Y, "marker": "o"}, "y", "marker=none"),
                                                 ({"y": Y}, "y", "fewer numbers in y (now 140,000)")])
def test_a_picture_that_cannot_be_drawn_in_time_is_413_naming_what_to_reduce_and_nothing_is_drawn(body, named, advice):
    app = create_app(render_timeout=1.0, warm=False)
    response = Client(app).post("/plot/line.png", json=body, headers={"Accept": "application/json"})
    error = response.get_json()["error"]
    assert response.status_code == 413 and error["param"] == named, error
    assert "render_timeout" in error["message"] and advice in error["message"]
    assert app.pool.size == 0 and renders(app) == 0
    assert isinstance(app.metrics, Metrics)
    rejected = app.metrics.registry.get_sample_value("wsgi_plot_rejections_total", {"reason": "too_costly"})
    assert rejected == 1


def test_a_large_canvas_is_refused_naming_size():
    app = create_app(render_timeout=0.2, warm=False)
    response = Client(app).get("/fig/5_2?size=20x20&dpi=200", headers={"Accept": "application/json"})
    assert response.status_code == 413 and response.get_json()["error"]["param"] == "size"


def test_at_the_bound_the_estimate_just_within_render_timeout_is_drawn_and_just_over_is_refused():
    probe = create_app(warm=False)
    # About half a second: past the time the figure takes to build, which render_timeout bounds too.
    seconds = cost_of(probe, "line", y=",".join(map(str, Y)), dpi="100").seconds
    path = "/plot/line.png"
    body = {"y": Y, "dpi": 100}
    within = create_app(render_timeout=round(seconds * 1.01, 3), warm=False)
    drawn = Client(within).post(path, json=body)
    assert drawn.status_code == 200 and decode_png(drawn.data).size == (400, 300)
    over = create_app(render_timeout=round(seconds * 0.99, 3), warm=False)
    assert Client(over).post(path, json=body).status_code == 413


def test_the_estimate_grows_with_points_markers_and_dpi_and_counts_x_and_y_as_one_line():
    app = create_app(warm=False)
    few, many = cost_of(app, "line", y="1,2,3"), cost_of(app, "line", y=",".join(["1"] * 10_000))
    marked = cost_of(app, "line", y=",".join(["1"] * 10_000), marker="o")
    sharper = cost_of(app, "line", y=",".join(["1"] * 10_000), marker="o", dpi="600")
    assert few.seconds < many.seconds < marked.seconds < sharper.seconds
    xy = cost_of(app, "scatter", x=",".join(["1"] * 10_000), y=",".join(["1"] * 10_000))
    assert xy.seconds == pytest.approx(many.seconds, rel=0.01)


def test_the_default_settings_draw_the_heaviest_body_that_fits():
    """At the defaults (render_timeout 10 s, max_body_bytes 1 MiB) a body of 140,000 points is drawn:
    the estimate refuses what cannot finish, not what is merely large."""
    app = create_app(warm=False)
    assert cost_of(app, "line", y=",".join(map(str, Y)), marker="o").seconds < app.settings.render_timeout
