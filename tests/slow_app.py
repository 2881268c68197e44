"""wsgi_plot with one more plot, ``slow``, whose every frame costs ``cost`` seconds of the draw lock.

For tests of time bounds against real servers (``gunicorn tests.slow_app:app``): a frame that
costs what a costly real plot costs, but the same on a loaded machine as on an idle one. The one
place such a plot is declared; it draws nothing.
"""

import time

from wsgi_plot import Param, Plot, create_app, default_registry

MAX_COST = 5.0  # seconds a frame may be asked to cost


def _init(_figure, params):
    return []


def _update(artists, params, rng):
    time.sleep(params.cost)  # called under the draw lock, as a real draw is


SLOW = Plot("slow", [Param("cost", float, 0.5, minimum=0, maximum=MAX_COST, help="seconds a frame costs")],
            init=_init, update=_update, description="Costs `cost` seconds a frame; draws nothing.")


def registry():
    plots = default_registry()
    plots.add(SLOW)
    return plots


def build_app(**settings):
    return create_app(registry=registry(), **settings)


def __getattr__(name):
    # Built on first access, in each worker after the fork, from the worker's WSGI_PLOT_* variables.
    if name == "app":
        global app
        app = build_app()
        return app
    raise AttributeError(name)
