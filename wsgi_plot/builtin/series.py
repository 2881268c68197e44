"""What the data charts (line, scatter, bar) share: series of numbers from the request, an x axis
of numbers, dates or the index, a legend of the series' names, and the data as CSV rows.

Several series: ``y`` repeated in the query (``y=1,2,3&y=4,5,6``), separated by ``;``, or an
array of arrays in JSON. Their count is bounded by the app's ``max_series`` setting and their
numbers together by ``max_points``.
"""

import datetime as dt
from collections.abc import Sequence
from typing import TypedDict

import matplotlib
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.container import Container
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import MaxNLocator
from numpy.random import Generator

from ..core.errors import ParameterError
from ..declare.params import Param, Values

#: matplotlib's autoscaling and tick locators overflow near the float maximum (1e308); values
#: within 1e100 keep every step finite.
LIMIT = 1e100

#: Names of a legend; each one is checked to be one per series, so max_series bounds them in fact.
MAX_NAMES = 100

#: Tick steps as matplotlib's AutoLocator takes them; an index axis keeps them whole numbers.
_AUTO_STEPS = [1, 2, 2.5, 5, 10]

#: Pixels between a legend and the figure's edge, at least (wsgi_plot.figures.layout keeps text 2 px off it).
EDGE_CLEARANCE_PIXELS = 3

class TextOptions(TypedDict):
    """Keyword arguments of matplotlib's text functions (typed, so that ``**LITERAL`` checks)."""

    parse_math: bool
    usetex: bool


LITERAL: TextOptions = {"parse_math": False, "usetex": False}  # the client's text, never mathtext or TeX


def y_param(name: str = "y", help: str = "the values, comma-separated; several series: repeat the parameter") -> Param:
    return Param(name, list[list[float]], minimum=-LIMIT, maximum=LIMIT, help=help)


X_PARAM = Param("x", list[float | dt.datetime], minimum=-LIMIT, maximum=LIMIT, optional=True,
                help="positions shared by every series: numbers, or ISO 8601 dates and date-times "
                     "(UTC unless an offset is given); 0, 1, 2, ... when left out")
NAMES_PARAM = Param("names", list[str], max_length=40, max_items=MAX_NAMES, optional=True, static=True,
                    help="a name per series, comma-separated: shown in a legend")
TITLE_PARAM = Param("title", str, "", max_length=80, static=True, help="drawn as written")


def check_names(p: Values, series_param: str = "y") -> None:
    series = getattr(p, series_param)
    if p.names is not None and len(p.names) != len(series):
        raise ParameterError("names", f"has {len(p.names)} names, but {series_param} has {len(series)} series; "
                                      "give one per series")


def check_xy(p: Values) -> None:
    if p.x is not None:
        for number, series in enumerate(p.y, 1):
            if len(series) != len(p.x):
                which = f"series {number} of y" if len(p.y) > 1 else "y"
                raise ParameterError("y", f"{which} has {len(series)} values, but x has {len(p.x)}; give as many")
    check_names(p)


def x_axis_kind(x: Sequence[float | dt.datetime] | None) -> str:
    """How the x axis is drawn: "index" (0, 1, 2, ...: whole-number ticks), "number" or "date"."""
    if x is None:
        return "index"
    return "date" if isinstance(x[0], dt.datetime) else "number"


def xy_shape(p: Values) -> dict[str, int | str]:
    return {"series": len(p.y), "x_axis": x_axis_kind(p.x)}


def set_x_axis(axes: Axes, kind: str) -> None:
    """Ticks for the x values: dates as matplotlib's ConciseDateFormatter labels them (in UTC),
    whole numbers for an index."""
    if kind == "date":
        locator = AutoDateLocator(tz=dt.timezone.utc)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=dt.timezone.utc))
    elif kind == "index":
        axes.xaxis.set_major_locator(MaxNLocator(nbins="auto", steps=_AUTO_STEPS, integer=True))


def x_values(p: Values, series: Sequence[float]) -> np.ndarray:
    """The x positions of one series, as floats on the axis (dates in matplotlib's days)."""
    if p.x is None:
        return np.arange(len(series))
    if isinstance(p.x[0], dt.datetime):
        return date2num(list(p.x))
    return np.asarray(p.x, dtype=float)


def add_legend(figure: Figure, handles: Sequence[Artist | Container], names: Sequence[str] | None) -> None:
    """A legend of ``names`` outside the axes, at the right: it never covers data, and stays where
    the static part drew it (matplotlib's "best" place moves with the data)."""
    if names is None:
        return
    # matplotlib keeps an outside legend half a font size (5 points) from the figure's edge: under
    # 43 dpi that is less than the 3 pixels antialiased text needs to stay off the outermost ones.
    font_pixels = FontProperties(size=matplotlib.rcParams["legend.fontsize"]).get_size_in_points() * figure.dpi / 72
    # matplotlib's stubs name Artist handles only; legend takes containers too (a BarContainer is
    # in its default handler map), as bar charts pass them.
    legend = figure.legend(handles, list(names), loc="outside right upper",  # type: ignore[call-overload]
                           borderaxespad=max(0.5, EDGE_CLEARANCE_PIXELS / font_pixels))
    for text in legend.get_texts():
        text.set_parse_math(False)


def series_names(p: Values, series_param: str = "y") -> list[str]:
    count = len(getattr(p, series_param))
    if p.names is not None:
        return list(p.names)
    return [series_param] if count == 1 else [f"{series_param}{i}" for i in range(1, count + 1)]


def follow_data(artist: Artist) -> None:
    """The limits of the axes ``artist`` is on follow this request's data, as a new ``ax.plot``
    or ``ax.bar`` would set them."""
    axes = artist.axes
    assert axes is not None  # init drew it on its axes
    axes.relim()
    axes.autoscale_view()


def xy_rows(p: Values, rng: Generator | None = None) -> tuple[list[str], list[list[object]]]:
    """CSV columns and rows of the x values and every series: the request's data as drawn (the
    ``data`` hook of line and scatter: no random numbers)."""
    columns = ["x"] + series_names(p)
    length = max(len(series) for series in p.y)
    x = range(length) if p.x is None else p.x
    rows: list[list[object]] = []
    for i, position in enumerate(x):
        rows.append([position] + [series[i] if i < len(series) else None for series in p.y])
    return columns, rows
