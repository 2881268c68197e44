"""A line chart of numbers given in the request: ``/plot/line.png?y=3,1,4,1,5,9``.

The title and grid are the static part; each request puts its data in and the limits follow
them, so the axes are drawn again at the new limits, in the frozen layout (laid out again only
when the new tick labels do not fit it). No randomness: the same request gives the same bytes.
"""

import numpy as np

from wsgi_plot import Param, ParameterError, Plot
from wsgi_plot.plot import FOREVER

#: matplotlib's autoscaling and tick locators overflow near the float maximum (1e308); values
#: within 1e100 keep every step finite.
LIMIT = 1e100

MARKERS = {"none": "no marker", "o": "circle", "s": "square", "^": "triangle", ".": "point"}

PARAMS = [
    Param("y", list[float], minimum=-LIMIT, maximum=LIMIT, help="the values, comma-separated"),
    Param("x", list[float], minimum=-LIMIT, maximum=LIMIT, optional=True,
          help="positions, as many as y; 0, 1, 2, ... when left out"),
    Param("title", str, "", max_length=80, static=True, help="drawn as written"),
    Param("marker", str, "none", choices=MARKERS, help="marker at each point"),
    Param("grid", bool, False, static=True, help="grid lines"),
]


def check(p):
    if p.x is not None and len(p.x) != len(p.y):
        raise ParameterError("x", f"has {len(p.x)} items, but y has {len(p.y)}; give as many")


def init(fig, p):
    ax = fig.add_subplot()
    ax.set_title(p.title, parse_math=False, usetex=False)  # the client's text, never mathtext or TeX
    ax.grid(p.grid)
    return ax.plot([], [], color="tab:blue")


def update(artists, p, rng):
    (line,) = artists
    x = np.arange(len(p.y)) if p.x is None else np.asarray(p.x)
    # A single point is invisible as a line: mark it.
    marker = "o" if p.marker == "none" and len(p.y) == 1 else ("None" if p.marker == "none" else p.marker)
    line.set_data(x, np.asarray(p.y))
    line.set_marker(marker)
    line.axes.relim()  # the limits follow this request's data, as a new ax.plot's would
    line.axes.autoscale_view()


plot = Plot(
    "line", PARAMS, init=init, update=update, check=check, title="line chart",
    description="A line through the values y (at positions x), given in the query or a JSON body.",
    example={"y": "3,1,4,1,5,9", "marker": "o"},
    freshness=FOREVER, random=False,  # a picture of its parameters alone
)
