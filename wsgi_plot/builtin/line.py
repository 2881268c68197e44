"""A line chart of numbers given in the request: ``/plot/line.png?y=3,1,4,1,5,9``.

Drawn in full per request (``draw``): the data fix the axes' limits, ticks and tick labels, which
are the static part of the other plots, so there is nothing to keep between requests. The pool
still reuses the figure and its canvas. No randomness: the same request gives the same bytes.
"""

import numpy as np

from wsgi_plot import Param, ParameterError, Plot

#: matplotlib's autoscaling and tick locators overflow near the float maximum (1e308); values
#: within 1e100 keep every step finite.
LIMIT = 1e100

MARKERS = {"none": "no marker", "o": "circle", "s": "square", "^": "triangle", ".": "point"}

PARAMS = [
    Param("y", list[float], minimum=-LIMIT, maximum=LIMIT, help="the values, comma-separated"),
    Param("x", list[float], minimum=-LIMIT, maximum=LIMIT, optional=True,
          help="positions, as many as y; 0, 1, 2, ... when left out"),
    Param("title", str, "", max_length=80, help="drawn as written"),
    Param("marker", str, "none", choices=MARKERS, help="marker at each point"),
    Param("grid", bool, False, help="grid lines"),
]


def check(p):
    if p.x is not None and len(p.x) != len(p.y):
        raise ParameterError("x", f"has {len(p.x)} items, but y has {len(p.y)}; give as many")


def draw(ax, p, rng):
    x = np.arange(len(p.y)) if p.x is None else np.asarray(p.x)
    # A single point is invisible as a line: mark it.
    marker = "o" if p.marker == "none" and len(p.y) == 1 else (None if p.marker == "none" else p.marker)
    ax.plot(x, np.asarray(p.y), marker=marker, color="tab:blue")
    ax.set_title(p.title, parse_math=False, usetex=False)  # the client's text, never mathtext or TeX
    ax.grid(p.grid)


plot = Plot(
    "line", PARAMS, draw=draw, check=check, title="line chart",
    description="A line through the values y (at positions x), given in the query or a JSON body.",
    example={"y": "3,1,4,1,5,9", "marker": "o"},
)
