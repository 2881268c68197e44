"""Alt text of a plot's image, read from its figure after update: for a reader who cannot see it.

What kind of chart it is (from its artists: lines, markers, bars), its title, its axis labels and
ranges, how many series and points or bars, and the first few bars' labels and values. A plot
that knows better gives its own (``Plot.describe``).
"""

from collections.abc import Sized

import matplotlib.collections
import matplotlib.dates
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator
from numpy.typing import ArrayLike

from ..declare.params import format_number
from .layout import all_axes

#: Bars whose labels and values are read out; more is a table, which the CSV link gives.
BARS_READ_OUT = 5
#: A date axis spanning at least this many days reads its limits as days, without the time of day
#: its margins fall on.
DAYS_READ_AS_DATES = 2
#: Significant digits of numbers read out: enough to tell values apart, short enough to listen to.
DIGITS = 4


def describe_figure(figure: Figure, fallback: str = "chart", sample: bool = False) -> str:
    """One sentence or a few per axes, joined; ``fallback`` names a figure with nothing recognisable.
    ``sample``: the figure shows random numbers another load draws anew: their values are not read out."""
    parts = [_describe_axes(axes, fallback, sample) for axes in all_axes(figure) if axes.get_visible()]
    text = " ".join(part for part in parts if part) or fallback
    return text + (" A new random sample on each load." if sample else "")


def _describe_axes(axes: Axes, fallback: str, sample: bool) -> str:
    bars = [c for c in axes.containers if isinstance(c, BarContainer)]
    lines = [line for line in axes.lines if line.get_transform() == axes.transData and _length(line.get_xdata())]
    points = [c for c in axes.collections if isinstance(c, matplotlib.collections.PathCollection)
              and _length(c.get_offsets())]
    marked_only = bool(lines) and all(line.get_linestyle() in ("None", "none", "") for line in lines)
    if bars:
        kind = "bar chart"
    elif points or marked_only:
        kind = "scatter chart"
    elif lines:
        kind = "line chart"
    else:
        kind = fallback
    title = axes.get_title()
    sentences = [f"{kind[0].upper()}{kind[1:]}" + (f" titled \u201c{title}\u201d" if title else "") + "."]
    horizontal = bool(bars) and _horizontal(bars[0])
    for axis, name, limits in ((axes.xaxis, "x", axes.get_xlim()), (axes.yaxis, "y", axes.get_ylim())):
        label = axis.get_label_text()
        if bars and (axis is axes.yaxis) == horizontal:
            continue  # the category axis: its labels are read out with the bars
        low, high = sorted(limits)
        shown = f"{name} axis" + (f" \u201c{label}\u201d" if label else "")
        days = high - low >= DAYS_READ_AS_DATES  # a date axis's numbers are days
        sentences.append(f"{shown} from {_value(axis, low, days)} to {_value(axis, high, days)}.")
    if bars:
        sentences.append(_bars(axes, bars, horizontal, sample))
    elif lines or points:
        series = len(lines) + len(points)
        total = sum(_length(line.get_xdata()) for line in lines) + sum(_length(c.get_offsets()) for c in points)
        sentences.append(f"{series} series, {total} points in all." if series > 1 else f"{total} points.")
    names = _legend_names(axes)
    if names:
        sentences.append("Series: " + ", ".join(names) + ".")
    return " ".join(sentences)


def _length(data: ArrayLike) -> int:
    """Points in an artist's data (a line's x, a collection's offsets): the length of its array or sequence."""
    return len(data) if isinstance(data, Sized) else 1


def _horizontal(bars: BarContainer) -> bool:
    return bars.orientation == "horizontal" if hasattr(bars, "orientation") else False


def _bars(axes: Axes, containers: list[BarContainer], horizontal: bool, sample: bool) -> str:
    axis = axes.yaxis if horizontal else axes.xaxis
    count = len(containers[0])
    # Labelled categories (set_xticks(positions, labels): a tick per bar) name the bars; otherwise
    # (a histogram) each bar is named by the span it covers.
    locator, formatter = axis.get_major_locator(), axis.get_major_formatter()
    labels = []
    # A FixedLocator gives its locations as set (matplotlib's stubs do not name its ``locs``).
    locs = locator() if isinstance(locator, FixedLocator) else []
    if len(locs) == count:
        labels = [formatter(loc, i) for i, loc in enumerate(locs)]
    head = f"{len(containers)} series of {count} bars." if len(containers) > 1 else f"{count} bars."
    if sample:
        return head
    read = []
    for index in range(min(count, BARS_READ_OUT)):
        label = labels[index] if index < len(labels) and labels[index] else _span(containers[0][index], horizontal)
        values = [(bars[index].get_width() if horizontal else bars[index].get_height()) for bars in containers]
        read.append(f"{label} {' / '.join(_number(v) for v in values)}")
    more = f", and {count - BARS_READ_OUT} more" if count > BARS_READ_OUT else ""
    return f"{head} {'; '.join(read)}{more}."


def _span(bar: Rectangle, horizontal: bool) -> str:
    start, size = (bar.get_y(), bar.get_height()) if horizontal else (bar.get_x(), bar.get_width())
    return f"{_number(start)} to {_number(start + size)}:"


def _legend_names(axes: Axes) -> list[str]:
    legends = [axes.get_legend()] + [legend for legend in axes.figure.legends]
    return [text.get_text() for legend in legends if legend is not None for text in legend.get_texts()]


def holds_dates(axis: Axis) -> bool:
    """Whether the axis holds dates: by the converter its data brought (Python dates, ``datetime64``,
    pandas' timestamps), or a date formatter set on it (dates given as numbers)."""
    getter = getattr(axis, "get_converter", None)  # matplotlib 3.10; before it, the converter attribute
    converter = getter() if getter is not None else getattr(axis, "converter", None)
    return (isinstance(converter, matplotlib.dates.DateConverter)  # pandas' DatetimeConverter too
            or type(converter).__module__ == "matplotlib.dates"  # the default: switches concise/auto
            or type(axis.get_major_formatter()).__module__ == "matplotlib.dates")


def _value(axis: Axis, value: float, days: bool = False) -> str:
    """A limit as the axis labels it: a date on a date axis (without its time over ``days``), else a number."""
    if holds_dates(axis):
        instant = matplotlib.dates.num2date(value)
        timed = not days and (instant.hour or instant.minute)
        return instant.strftime("%Y-%m-%d %H:%M") if timed else instant.strftime("%Y-%m-%d")
    return _number(value)


def _number(value: float) -> str:
    return format_number(float(f"{value:.{DIGITS}g}"))
