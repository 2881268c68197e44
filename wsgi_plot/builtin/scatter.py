"""A scatter of points given in the request: ``/plot/scatter.png?x=1,2,3&y=3,1,2``.

Several series share x as in ``line`` (``y=1,2,3&y=4,5,6``, ``names=a,b``). Points are markers
of a line without its segments, as matplotlib's own guide draws a fast scatter: the limits follow
the data with ``relim``, which a scatter collection escapes.
"""

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.random import Generator

from ..declare.params import Values
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

PARAMS = [y_param(), X_PARAM, NAMES_PARAM, TITLE_PARAM]


def init(fig: Figure, p: Values) -> list[Line2D]:
    ax = fig.add_subplot()
    ax.set_title(p.title, **LITERAL)
    set_x_axis(ax, p.x_axis)
    points = [ax.plot([], [], linestyle="none", marker="o", alpha=0.7)[0] for _ in range(p.series)]
    add_legend(fig, points, p.names)
    return points


def update(artists: list[Line2D], p: Values, rng: Generator) -> None:
    for points, series in zip(artists, p.y):
        points.set_data(x_values(p, series), series)
    follow_data(artists[0])


plot = Plot(
    "scatter", PARAMS, init=init, update=update, check=check_xy, shape=xy_shape, data=xy_rows, title="scatter chart",
    description="Points at (x, y), given in the query or a JSON body; several series with y repeated, "
                "named in a legend by names.",
    example={"x": "1,2,3,4,5,6", "y": "3,1,4,1,5,9;2,7,1,8,2,8", "names": "pi,e"},
    freshness=FOREVER, random=False,  # a picture of its parameters alone
)
