"""What a still image costs to draw, estimated before any figure is taken, so that a request that
cannot be drawn within ``render_timeout`` is refused at once (413 naming what to reduce) instead of
drawn for seconds and answered late, or killed by the server.

The estimate is a sum of three terms: the canvas (restoring, drawing and encoding its pixels), the
points of the request's data (the numbers of its list parameters and its counts, each a vertex of
a line), and the markers (one per point when the plot has a ``marker`` parameter that is not
``none``). A point's and a marker's cost grow with the area of a line's width or a marker at the
request's dpi, so with dpi squared. The figures are measured with the built-in data charts on the
2-core development VM (1200x900 px: 140,000 points, a line 3.0 s, with ``marker=o`` 4.3 s; 100 dpi
0.5 s); they err high for a line with markers (5.5 s estimated for 4.3 s) and low for a scatter
(2.9 s for 5.6 s), within a factor of two: the estimate refuses what clearly cannot finish.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..declare.options import RenderOptions
    from ..declare.params import Param, Values
    from ..declare.plot import Plot

#: Seconds every still costs besides its data: parsing, the pool, layout lookups.
BASE_SECONDS = 0.01
#: Seconds per pixel of the canvas: restoring the background, drawing, deflating the PNG
#: (10x10 inches at 280 dpi, 7.8 Mpx: 0.68 s).
SECONDS_PER_PIXEL = 9e-8
#: The dpi at which the per-point and per-marker figures below were measured.
MEASURED_DPI = 300
#: Seconds per vertex of a line at MEASURED_DPI, and the part that does not shrink with the dpi.
SECONDS_PER_POINT = 20e-6
SECONDS_PER_POINT_ANY_DPI = 2e-6
#: Seconds per marker at MEASURED_DPI, besides its point, and the part that does not shrink.
SECONDS_PER_MARKER = 15e-6
SECONDS_PER_MARKER_ANY_DPI = 2e-6


@dataclass(frozen=True)
class Cost:
    """An estimated render: its seconds, and the request value whose reduction saves the most."""

    seconds: float
    largest: str  # a parameter or option name: "y", "n", "marker", "size"
    reduce: str  # what to ask for instead, said to the client


def estimate(plot: "Plot", values: "Values", options: "RenderOptions") -> Cost:
    """The cost of drawing ``values`` with ``options``, from the request alone (nothing drawn)."""
    width, height = options.pixels
    area = (options.dpi / MEASURED_DPI) ** 2
    points = {param.name: _points(param, getattr(values, param.name, None)) for param in plot.params}
    total = max(points.values(), default=0)  # x and y of one line are the same points
    marker = getattr(values, "marker", None)
    markers = total if isinstance(marker, str) and marker != "none" else 0
    terms = {
        "size": width * height * SECONDS_PER_PIXEL,
        "points": total * (SECONDS_PER_POINT_ANY_DPI + SECONDS_PER_POINT * area),
        "marker": markers * (SECONDS_PER_MARKER_ANY_DPI + SECONDS_PER_MARKER * area),
    }
    seconds = BASE_SECONDS + sum(terms.values())
    largest = max(terms, key=lambda name: terms[name])
    if largest == "points":
        name = max(points, key=lambda name: points[name])
        fewer = f"fewer numbers in {name} (now {points[name]:,})"
        return Cost(seconds, name, f"{fewer}, marker=none, or a lower dpi" if markers else f"{fewer}, or a lower dpi")
    if largest == "marker":
        return Cost(seconds, "marker", f"marker=none ({markers:,} markers), fewer points, or a lower dpi")
    return Cost(seconds, "size", f"a smaller size or dpi (now {width}x{height} px)")


def _points(param: "Param", value: Any) -> int:
    """The points a parameter's value puts in the picture: its numbers for a list, its value for a count."""
    if param.count and isinstance(value, int):
        return value
    if isinstance(value, (list, tuple)):
        return _leaves(value)
    return 0


def _leaves(value: Iterable[Any]) -> int:
    return sum(_leaves(item) if isinstance(item, (list, tuple)) else 1 for item in value)
