"""The ``readings`` plot: one sensor's mean per minute, hour or day over a time range, from SQLite.

A typed class plot. Static (one pooled figure per sensor, ``every`` and ``grid``):
title, labels, date ticks, grid, the value axis. Per request: the range is queried
in ``load``, outside matplotlib's draw lock (a slow query stalls no other draw),
and the line updated. The time axis spans the range rounded out to whole hours
(every minute) or days, so while a live page refreshes within the same hour the
axes, ticks included, stay as drawn and only the line is redrawn; when the range
moves into the next hour the figure draws its axes once more and keeps them.
"""

import datetime as dt
import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from werkzeug.exceptions import NotFound

from wsgi_plot import Choices, Help, Param, ParameterError, Plot, PlotError, Static
from wsgi_plot.core.errors import Overloaded
from wsgi_plot.declare.typed import typed_plot

from .query import BUCKETS, DatabaseBusy, DatabaseUnavailable, ReadingsStore, TooManyPoints, check_bucket_count

DAY = 86400  # seconds
DEFAULT_SPAN = DAY  # start and end left out: the last 24 hours of the sensor's data
#: The time axis is rounded out to these, so that a moving range keeps its axes for a while.
AXIS_STEP = {"minute": 3600, "hour": DAY, "day": DAY}
VALUE_MARGIN = 0.05  # of the value range, added above and below
FEW_POINTS = 60  # fewer buckets than this are marked, so that one alone still shows

#: Seconds a picture may be reused for the same request: readings arrive while it is served, and a
#: live page (refresh >= 1 s) must show them at its next tick.
FRESHNESS = 1.0

EVERY = {"minute": "mean per minute", "hour": "mean per hour", "day": "mean per day"}


class NoReadings(PlotError, NotFound):
    """The sensor has no readings in the range asked for (404 naming ``sensor``)."""

    def __init__(self, sensor: str, start: int, end: int):
        super().__init__(f"no readings of sensor {sensor!r} between {_iso(start)} and {_iso(end)}", param="sensor")


def readings_plot(store: ReadingsStore, *, max_points: int) -> Plot:
    """The plot of ``store``'s readings; no query returns more than ``max_points`` rows.

    The sensor choices are the database's sensors when this is called (when the
    app is built); a sensor added later needs a restart.
    """
    sensors = store.sensors()
    if not sensors:
        raise ValueError(f"{store.path}: the readings table is empty; there is no sensor to plot")

    class Readings:
        """A sensor's readings from the SQLite database, averaged per minute, hour or day."""

        sensor: Annotated[str, Choices(sensors), Static, Help("which sensor")] = sensors[0]
        start: Annotated[dt.datetime | None, Help("UTC, or a date; blank: 24 h before end")] = None
        end: Annotated[dt.datetime | None, Help("UTC, or a date; blank: 24 h after start, or the newest reading")] = None
        every: Annotated[str, Choices(EVERY), Static, Help("one point per bucket, its mean")] = "minute"
        grid: Annotated[bool, Static, Help("draw grid lines")] = False
        line: Line2D

        def check(self) -> None:
            # Called when the request is parsed, for pages and images alike, before a figure is taken
            # from the pool: a bad range costs two index probes, not a figure.
            if self.start is not None and self.end is not None and self.start > self.end:
                raise ParameterError("start", f"must not be after end ({_iso(self.start)} > {_iso(self.end)})")
            with _busy_is_503():
                start, end = _range(store, self)
                try:
                    check_bucket_count(start, end, self.every, max_points)
                except TooManyPoints as exc:
                    raise ParameterError("every", str(exc)) from None
                if not store.has_readings(self.sensor, start, end):
                    raise NoReadings(self.sensor, start, end)

        def init(self, fig: Figure) -> None:
            ax = fig.add_subplot()
            ax.set_title(f"{self.sensor}: {EVERY[self.every]}, UTC", parse_math=False)  # a name is data, not TeX
            ax.set_ylabel("value")
            locator = AutoDateLocator(minticks=3, maxticks=8)
            ax.xaxis.set_major_locator(locator)
            ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
            if self.grid:
                ax.grid(True, color="#dddddd", linewidth=0.6)
            with _busy_is_503():
                low, high = store.value_range(self.sensor) or (0.0, 1.0)
                newest = store.latest(self.sensor) or 0
            ax.set_ylim(*_padded(low, high))
            ax.set_xlim(*_axis_span(newest - DEFAULT_SPAN, newest, self.every))
            (self.line,) = ax.plot([], [], color="tab:blue", linewidth=1, markersize=3)

        def load(self) -> None:
            """The range asked for, and its buckets' start times (epoch seconds) and means: the query,
            run outside matplotlib's draw lock so that a slow one stalls no other draw."""
            with _busy_is_503():
                self.start_s, self.end_s = _range(store, self)
                try:
                    self.times, self.means = store.bucket_means(self.sensor, self.start_s, self.end_s, self.every,
                                                                max_points)
                except TooManyPoints as exc:
                    raise ParameterError("every", str(exc)) from None
            if not len(self.times):  # checked when parsed; only a race with a writer deleting rows gets here
                raise NoReadings(self.sensor, self.start_s, self.end_s)

        def update(self) -> None:
            times, means = self.times, self.means
            self.line.set_data(times / DAY, means)  # matplotlib's dates: days since 1970-01-01
            self.line.set_marker("o" if len(times) < FEW_POINTS else "None")
            ax = self.line.axes
            assert ax is not None  # the line was drawn on axes in init
            ax.set_xlim(*_axis_span(self.start_s, self.end_s, self.every))
            low, high = ax.get_ylim()
            if means.min() < low or means.max() > high:  # new extremes: grow the value axis for good
                ax.set_ylim(*_padded(min(low, means.min()), max(high, means.max())))

        def data(self) -> tuple[list[str], list[tuple[dt.datetime, float]]]:
            instants = [dt.datetime.fromtimestamp(int(t), dt.timezone.utc) for t in self.times]
            return ["time", f"{self.sensor} ({EVERY[self.every]})"], list(zip(instants, self.means.tolist()))

    return typed_plot("readings", Readings, freshness=FRESHNESS, title="$sensor readings")


#: Seconds a client waits before asking again of a database that is gone: someone must restore it.
UNAVAILABLE_RETRY_AFTER = 30


@contextmanager
def _busy_is_503() -> Iterator[None]:
    """A database locked past the busy timeout, a query past its time limit, or a database file gone
    (deleted while serving; /readyz says not ready too) is 503 with Retry-After."""
    try:
        yield
    except DatabaseBusy:
        raise Overloaded("the database is busy; retry shortly") from None
    except DatabaseUnavailable as exc:
        raise Overloaded(f"the sensors database is unavailable: {exc}", retry_after=UNAVAILABLE_RETRY_AFTER) from None


def _range(store: ReadingsStore, p: Any) -> tuple[int, int]:  # p: a request's Readings (readings_plot's class)
    """``[start, end]`` in whole seconds; a bound left out is filled from the other or the newest reading."""
    if p.end is not None:
        end = int(p.end.timestamp())
    elif p.start is not None:
        end = int(p.start.timestamp()) + DEFAULT_SPAN - 1
    else:
        newest = store.latest(p.sensor)
        if newest is None:
            raise NoReadings(p.sensor, 0, 0)
        # The 24 hours of whole buckets that end with the one holding the newest reading.
        width = BUCKETS[p.every]
        end = newest // width * width + width - 1
    start = int(p.start.timestamp()) if p.start is not None else end - DEFAULT_SPAN + 1
    return start, end


def _axis_span(start: int, end: int, every: str) -> tuple[float, float]:
    step = AXIS_STEP[every]
    return start // step * step / DAY, (end // step + 1) * step / DAY


def _padded(low: float, high: float) -> tuple[float, float]:
    pad = (high - low) * VALUE_MARGIN or 0.5
    return low - pad, high + pad


def _iso(instant: int | float | dt.datetime) -> str:
    """ISO 8601 UTC; seconds outside datetime's years 1 to 9999 (a range that ends after 9999-12-31) as seconds."""
    try:
        if isinstance(instant, dt.datetime):
            return instant.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return dt.datetime.fromtimestamp(instant, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (ValueError, OverflowError, OSError):
        return f"{int(instant.timestamp()) if isinstance(instant, dt.datetime) else int(instant)} s since 1970 UTC"


#: The largest |value| a reading may have: the value axis pads its range by a twentieth, and
#: matplotlib's ticks and autoscaling overflow long before 1e308 (the built-ins' bound too).
MAX_ABS_VALUE = 1e100


def check_row(sensor: str, seconds: int, value: float) -> None:
    """Raise ValueError, saying why, for a reading this plot could not serve: what ``import`` checks.

    The sensor must be a choice the ``sensor`` parameter can offer (no comma, no control
    character), its time within the years the time axis and messages can write, its value finite
    and within ``MAX_ABS_VALUE``.
    """
    try:
        Param("sensor", str, sensor, choices=[sensor], static=True)
    except ValueError as exc:
        raise ValueError(f"sensor {sensor!r} cannot be served: {str(exc).split(': ', 1)[-1]}") from None
    try:
        year = dt.datetime.fromtimestamp(seconds, dt.timezone.utc).year
    except (ValueError, OverflowError, OSError):
        year = None
    if year is None or not 1 < year < 9999:  # a day of margin each side for ranges around it
        raise ValueError(f"timestamp {seconds} is outside the years 2 to 9998 the plot can show")
    if not math.isfinite(value) or abs(value) > MAX_ABS_VALUE:
        raise ValueError(f"value {value!r} is not a finite number within ±{MAX_ABS_VALUE:g}")
