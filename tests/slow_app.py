"""wsgi_plot with two more plots that cost ``cost`` seconds a frame and draw nothing.

``slow`` spends them in ``update``, under matplotlib's draw lock, as a costly draw does;
``slow-load`` spends them in ``load``, outside it, as a slow query does.

For tests of time bounds against real servers (``gunicorn tests.slow_app:app``): a frame that
costs what a costly real plot costs, but the same on a loaded machine as on an idle one. With
``SLOW_APP_MARKS`` set to a directory, each touches a file named after itself there when its
cost begins, and NAME.done when it ends, so a test knows where a request is without guessing how
long anything takes.
"""

import os
import time
from pathlib import Path
from typing import Annotated, Any

from matplotlib.figure import Figure
from numpy.random import Generator

from wsgi_plot import Help, Param, Plot, PlotApp, PlotRegistry, Range, create_app, default_registry
from wsgi_plot.declare.params import Values
from wsgi_plot.declare.typed import typed_plot

MAX_COST = 5.0  # seconds a frame may be asked to cost


def _init(_figure: Figure, params: Values) -> list:
    return []


def _mark(name: str) -> None:
    marks = os.environ.get("SLOW_APP_MARKS")
    if marks:
        (Path(marks) / name).touch()


def _update(artists: list, params: Values, rng: Generator) -> None:
    _mark("slow")
    time.sleep(params.cost)  # called under the draw lock, as a real draw is
    _mark("slow.done")


SLOW = Plot("slow", [Param("cost", float, 0.5, minimum=0, maximum=MAX_COST, help="seconds a frame costs")],
            init=_init, update=_update, description="Costs `cost` seconds a frame; draws nothing.")


class SlowLoad:
    """Costs ``cost`` seconds in ``load``, outside the draw lock; draws one point."""

    cost: Annotated[float, Range(0, MAX_COST), Help("seconds load takes")] = 0.5

    def init(self, fig: Figure) -> None:
        (self.point,) = fig.add_subplot().plot([], [])

    def load(self) -> None:
        _mark("slow-load")
        time.sleep(self.cost)  # a query, say
        _mark("slow-load.done")

    def update(self, rng: Generator) -> None:
        self.point.set_data([0], [0])


SLOW_LOAD = typed_plot("slow-load", SlowLoad)


def registry() -> PlotRegistry:
    plots = default_registry()
    plots.add(SLOW)
    plots.add(SLOW_LOAD)
    return plots


def build_app(**settings: Any) -> PlotApp:
    return create_app(registry=registry(), **settings)


app: PlotApp  # built by __getattr__ on first access


def __getattr__(name: str) -> PlotApp:
    # Built on first access, in each worker after the fork, from the worker's WSGI_PLOT_* variables.
    if name == "app":
        global app
        app = build_app()
        return app
    raise AttributeError(name)
