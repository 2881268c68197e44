"""The one figure pipeline: every route that draws takes its figure from the same lease, and a
plot's own failure never keeps a figure checked out."""

import inspect
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from werkzeug.test import Client

from wsgi_plot import Plot, PlotRegistry, create_app, default_registry
from wsgi_plot.declare.options import AnimationOptions
from wsgi_plot.figures.animation import FRAMES_MEASURED, CannotFinish, FrameSource, animate
from wsgi_plot.figures.pipeline import RenderTimeout, draw_frame, render_unpooled
from wsgi_plot.figures.pool import FigurePool
from wsgi_plot.web.request_args import RequestArgs

from .conftest import assert_same_picture


def test_every_route_that_draws_leases_through_the_pipeline(monkeypatch):
    callers = []
    checkout = FigurePool.checkout

    def recorded(self, *args, **kwargs):
        callers.append(Path(inspect.stack()[1].filename).name)
        return checkout(self, *args, **kwargs)

    monkeypatch.setattr(FigurePool, "checkout", recorded)
    app = create_app(warm=True)
    client = Client(app)
    app.warm()  # the default figures and the probe's
    small = "dpi=20&size=2x2"
    for url in (f"/fig/5_2?{small}", f"/fig/5_2.svg?{small}", f"/plot/normal.gif?{small}&frames=2",
                f"/plot/normal?{small}", "/readyz"):
        assert client.get(url).status_code == 200, url
    stream = client.get(f"/plot/normal.stream?{small}&fps=30&seconds=1",
                        environ_overrides={"wsgi.multithread": True})
    assert stream.status_code == 200 and stream.get_data()
    assert callers and set(callers) == {"pipeline.py"}, callers


def _failing_plot(where: str) -> Plot:
    def init(fig, p):
        return fig.add_subplot().plot([], [])

    def update(artists, p, rng):
        if where == "update":
            raise RuntimeError("update failed")
        artists[0].set_data([0, 1], [0, 1])

    def draw(fig, p, rng):
        fig.add_subplot().plot([0, 1])
        raise RuntimeError("draw failed")

    if where == "draw":
        return Plot("failing", draw=draw)
    return Plot("failing", init=init, update=update)


def test_a_plot_whose_update_or_draw_raises_leaves_no_figure_checked_out():
    for where in ("update", "draw"):
        app = create_app(registry=PlotRegistry([_failing_plot(where), *default_registry()]), pool_size=1,
                         pool_timeout=0.1)
        client = Client(app)
        for _ in range(3):  # with a figure kept checked out, the second would wait, then 503
            response = client.get("/plot/failing.png?dpi=20")
            assert response.status_code == 500 and b"Traceback" not in response.data, where
            assert app.pool.in_use == 0 and app.pool.size == 0, where  # dropped: it may be half drawn
        assert client.get("/fig/5_2?dpi=20").status_code == 200, where


def test_rc_params_and_warning_filters_change_only_under_the_draw_lock(monkeypatch):
    """Both are process-wide and not thread-safe: a change made outside the draw lock would reach a
    host app's draw, or another request's, half way through."""
    import warnings

    import matplotlib

    from wsgi_plot.figures.mpl_compat import DRAW_LOCK

    outside = []
    set_item = matplotlib.RcParams.__setitem__
    enter = warnings.catch_warnings.__enter__

    def rc_set(self, key, value):
        if not DRAW_LOCK._is_owned():  # type: ignore[attr-defined]  # private to CPython's RLock: held by this thread?
            outside.append(f"rcParams[{key!r}]")
        return set_item(self, key, value)

    def filters_entered(self):
        if not DRAW_LOCK._is_owned():  # type: ignore[attr-defined]
            outside.append("catch_warnings")
        return enter(self)

    monkeypatch.setattr(matplotlib.RcParams, "__setitem__", rc_set)
    monkeypatch.setattr(warnings.catch_warnings, "__enter__", filters_entered)
    client = Client(create_app())
    for url in ("/fig/5_2.svg?dpi=20", "/fig/5_2.pdf?dpi=20&theme=dark", "/fig/5_2?dpi=20&transparent=true",
                "/plot/line.png?y=1,5,3&dpi=20&size=1x1", "/plot/bar.svg?values=3,1&labels=a,b&theme=dark&dpi=20",
                "/plot/normal?dpi=20", "/readyz"):
        assert client.get(url).status_code == 200, url
    assert outside == []
    width = matplotlib.rcParams["lines.linewidth"]
    with DRAW_LOCK:
        matplotlib.rcParams["lines.linewidth"] = width
    assert outside == []
    matplotlib.rcParams["lines.linewidth"] = width  # the probe itself: it sees a change outside the lock
    assert outside == ["rcParams['lines.linewidth']"]


# -- every way out of a lease leaves the figure as a fresh one would draw, or drops it -------------

NORMAL_Y = "3,1,4,1,5"
WIDE_Y = "3,1,4,1,5,-900,2000"  # outside the static limits: the update widens the view


class Writer:
    def __init__(self):
        self.frames = 0

    def add(self, pixels):
        self.frames += 1

    def finish(self):
        return b"file"


def _leave_by_deadline(images, plot, values, options):
    with pytest.raises(RenderTimeout):
        images.pipeline.still(plot, values, options, np.random.default_rng(0), deadline=time.monotonic() - 1)


def _leave_by_svg(images, plot, values, options):
    svg = replace(options, fmt="svg")
    assert images.pipeline.still(plot, values, svg, np.random.default_rng(0), None)[0].startswith(b"<?xml")


def _leave_by_pdf(images, plot, values, options):
    pdf = replace(options, fmt="pdf")
    assert images.pipeline.still(plot, values, pdf, np.random.default_rng(0), None)[0].startswith(b"%PDF")


def _leave_by_alt_text(images, plot, values, options):
    assert "line" in images.describe(plot, values, options, "fallback").lower()


def _leave_by_cannot_finish(images, plot, values, options):
    ticks = iter(range(10**6))

    def clock():  # a second per reading: two frames predict that 600 cannot fit
        return time.monotonic() + next(ticks)

    writer = Writer()
    with pytest.raises(CannotFinish), images.pipeline.lease(plot, values, options) as lease:
        animate(lease.figure, values, FrameSource(plot, 0), AnimationOptions(600, 10), writer,
                deadline=time.monotonic() + 60, clock=clock)
    assert writer.frames == FRAMES_MEASURED


def _leave_by_encoder_error(images, plot, values, options):
    with pytest.raises(RuntimeError), images.pipeline.lease(plot, values, options) as lease:
        draw_frame(lease.figure, values, np.random.default_rng(0), None)  # type: ignore[arg-type]  # a still: no frame
        raise RuntimeError("the encoder failed")


def _leave_by_plot_error(images, plot, values, options):
    def broken(artists, values, rng):
        artists[0].set_data([0, 1, 2], [5, -5, 5])  # half done
        raise RuntimeError("update failed")

    with pytest.raises(RuntimeError), images.pipeline.lease(plot, values, options) as lease:
        lease.figure.plot = replace(plot, update=broken)
        try:
            lease.figure.update(values, np.random.default_rng(0))
        finally:
            lease.figure.plot = plot


@pytest.mark.parametrize("leave, kept", [
    (_leave_by_deadline, True), (_leave_by_svg, True), (_leave_by_pdf, True), (_leave_by_alt_text, True),
    (_leave_by_cannot_finish, True), (_leave_by_encoder_error, False), (_leave_by_plot_error, False),
])
def test_after_each_way_out_of_a_lease_the_next_picture_is_a_fresh_figure_s(leave, kept, tmp_path):
    app = create_app(pool_size=1, response_cache_bytes=0, warm=False, default_dpi=40)
    images = app.images
    plot = app.registry.get("line")
    assert plot is not None
    wide, options = images.parse(plot, RequestArgs(y=WIDE_Y))
    values, _ = images.parse(plot, RequestArgs(y=NORMAL_Y))
    images.pipeline.still(plot, values, options, np.random.default_rng(0), None)  # the pooled figure, drawn once
    leave(images, plot, wide, options)
    data, _, lease = images.pipeline.still(plot, values, options, np.random.default_rng(0), None)
    assert lease.reused is kept and app.pool.in_use == 0
    fresh = render_unpooled(plot, values, np.random.default_rng(0), "png", options.width, options.height, options.dpi)
    assert_same_picture(data, fresh, tmp_path)
