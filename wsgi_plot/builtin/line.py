"""A line chart of numbers given in the request: ``/plot/line.png?y=3,1,4,1,5,9``.

Several series share x (``y=1,2,3&y=4,5,6``), named in a legend (``names=a,b``); x may be numbers
or ISO 8601 dates and date-times, drawn on a date axis. The title, grid, names, the number of
series and the kind of x are the static part; each request puts its data in and the limits follow
them, so the axes are drawn again at the new limits, in the frozen layout (laid out again only
when the new tick labels change the margins). No randomness: the same request gives the same bytes.
"""

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.random import Generator

from ..declare.params import Param, Values
from ..declare.plot import FOREVER, Plot
from .series import (
    LITERAL,
    NAMES_PARAM,
    TITLE_PARAM,
    X_PARAM,
    add_legend,
    check_xy,
    follow_data,
    set_x_axis,
    x_values,
    xy_rows,
    xy_shape,
    y_param,
)

MARKERS = {"none": "no marker", "o": "circle", "s": "square", "^": "triangle", ".": "point"}

PARAMS = [
    y_param(),
    X_PARAM,
    NAMES_PARAM,
    TITLE_PARAM,
    Param("marker", str, "none", choices=MARKERS, help="marker at each point"),
    Param("grid", bool, False, static=True, help="grid lines"),
]


def init(fig: Figure, p: Values) -> list[Line2D]:
    ax = fig.add_subplot()
    ax.set_title(p.title, **LITERAL)
    ax.grid(p.grid)
    set_x_axis(ax, p.x_axis)
    lines = [ax.plot([], [])[0] for _ in range(p.series)]  # colours from the theme's cycle
    add_legend(fig, lines, p.names)
    return lines


def update(artists: list[Line2D], p: Values, rng: Generator) -> None:
    for line, series in zip(artists, p.y):
        # A single point is invisible as a line: mark it.
        marker = "o" if p.marker == "none" and len(series) == 1 else ("None" if p.marker == "none" else p.marker)
        line.set_data(x_values(p, series), series)
        line.set_marker(marker)
    follow_data(artists[0])


plot = Plot(
    "line", PARAMS, init=init, update=update, check=check_xy, shape=xy_shape, data=xy_rows, title="line chart",
    description="Lines through the values y (at positions x: numbers or dates), given in the query or a JSON body; "
                "several series with y repeated, named in a legend by names.",
    example={"y": "3,1,4,1,5,9", "marker": "o"},
    freshness=FOREVER, random=False,  # a picture of its parameters alone
)
