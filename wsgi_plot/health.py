"""Health probes: liveness draws nothing; readiness draws a tiny figure through the pool.

Both return plain dicts for the app to send as JSON.
"""

import functools
import importlib.metadata
import time

import numpy as np

from .params import Values
from .plot import Plot
from .render import PreparedFigure, prepared_figure_bytes, render

#: 0.5 x 0.5 inches at 20 dpi: a 10 x 10 px PNG, the cheapest real trip through pool, draw and encode.
PROBE_SIZE = (0.5, 0.5, 20)

#: The probe's figure is pooled under its own key, so probes reuse one figure instead of building one each.
PROBE_KEY = ("wsgi_plot:readyz",)


def _init_probe(fig, params):
    ax = fig.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return ax.plot([], [])


def _update_probe(artists, params, rng):
    artists[0].set_data([0, 1], rng.random(2))


# Incremental, like the built-ins, so a probe exercises the same fast path as a request.
PROBE = Plot("readyz", init=_init_probe, update=_update_probe)


def liveness() -> dict:
    """The process answers requests; nothing else is checked, so this never waits."""
    return {"status": "ok"}


def readiness(pool, deadline: float, png="png") -> dict:
    """Draw the probe figure through ``pool`` as ``png`` (the app's PNG format, with its deflate):
    raises PoolExhausted or RenderTimeout when not ready."""
    started = time.perf_counter()
    width, height, dpi = PROBE_SIZE
    nbytes = prepared_figure_bytes(PROBE, int(width * dpi), int(height * dpi))
    with pool.checkout(PROBE_KEY, lambda: PreparedFigure(PROBE, Values(), *PROBE_SIZE), nbytes) as lease:
        render(lease.obj, Values(), np.random.default_rng(0), png, deadline)
    return {"status": "ok", "render_ms": round((time.perf_counter() - started) * 1000, 3), "versions": versions()}


@functools.cache
def versions() -> dict:
    """Versions of wsgi_plot and the libraries that draw and serve: what a bug report needs."""
    from . import __version__

    found = {"wsgi_plot": __version__}
    for name in ("matplotlib", "numpy", "werkzeug"):
        found[name] = importlib.metadata.version(name)
    return found
