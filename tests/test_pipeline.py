"""The one figure pipeline: every route that draws takes its figure from the same lease, and a
plot's own failure never keeps a figure checked out."""

import inspect
from pathlib import Path

from werkzeug.test import Client

from wsgi_plot import Plot, PlotRegistry, create_app, default_registry
from wsgi_plot.figures.pool import FigurePool


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
        if not DRAW_LOCK._is_owned():
            outside.append(f"rcParams[{key!r}]")
        return set_item(self, key, value)

    def filters_entered(self):
        if not DRAW_LOCK._is_owned():
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
