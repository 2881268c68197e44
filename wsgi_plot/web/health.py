"""Health probes: liveness draws nothing; readiness draws a tiny figure through the pool.

Both return plain dicts for the app to send as JSON.
"""

import functools
import importlib.metadata
import time

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ..declare.options import RenderOptions
from ..declare.params import Values
from ..declare.plot import Plot
from ..figures.pipeline import FigurePipeline

#: 0.5 x 0.5 inches at 20 dpi: a 10 x 10 px PNG, the cheapest real trip through pool, draw and encode.
PROBE_OPTIONS = RenderOptions("png", dpi=20, width=0.5, height=0.5, seed=0)

#: The probe's figure is pooled under its own key, so probes reuse one figure instead of building one each.
PROBE_KEY = ("wsgi_plot:readyz",)


def _init_probe(fig: Figure, params: Values) -> list[Line2D]:
    ax = fig.add_subplot()
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    return ax.plot([], [])


def _update_probe(artists: list[Line2D], params: Values, rng: np.random.Generator) -> None:
    artists[0].set_data([0, 1], rng.random(2))


# Incremental, like the built-ins, so a probe exercises the same fast path as a request.
PROBE = Plot("readyz", init=_init_probe, update=_update_probe)


def liveness() -> dict:
    """The process answers requests; nothing else is checked, so this never waits."""
    return {"status": "ok"}


def readiness(pipeline: FigurePipeline, deadline: float) -> dict:
    """Draw the probe figure as a PNG through ``pipeline`` (the app's pool and PNG deflate), as a request
    draws: raises PoolExhausted or RenderTimeout when not ready."""
    started = time.perf_counter()
    pipeline.still(PROBE, Values(), PROBE_OPTIONS, np.random.default_rng(PROBE_OPTIONS.seed), deadline, key=PROBE_KEY)
    return {"status": "ok", "render_ms": round((time.perf_counter() - started) * 1000, 3), "versions": versions()}


@functools.cache
def versions() -> dict:
    """Versions of wsgi_plot and the libraries that draw and serve: what a bug report needs."""
    from .. import __version__

    found = {"wsgi_plot": __version__}
    for name in ("matplotlib", "numpy", "werkzeug"):
        found[name] = importlib.metadata.version(name)
    return found
