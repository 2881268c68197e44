"""A histogram of normal samples (a typed class): fixed bins, bar heights updated per request."""

import math
from typing import Annotated, Any

import numpy as np
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.ticker import AutoLocator
from numpy.random import Generator

from ..declare.plot import FOREVER
from ..declare.typed import Count, Help, Range, Static, typed_plot
from .view import showing

SPREAD = 4  # bins cover mean +- 4 standard deviations
#: The static density limit over the tallest bar's expected height: the default n=1000 samples
#: pass it in under 1 % of requests (those widen the limit), smaller n more often.
HEADROOM = 1.25


class Histogram:
    """Histogram of n samples from Normal(mean, var); bar heights are densities."""

    mean: Annotated[float, Range(-1e9, 1e9), Static, Help("centre of the distribution")] = 0.0
    var: Annotated[float, Range(0.0, 1e9, exclusive_minimum=True), Static,
                   Help("standard deviation (numpy's scale)")] = 1.0
    bins: Annotated[int, Range(1, 500), Static, Help("number of bins")] = 30
    n: Annotated[int, Range(1, 1_000_000), Count, Help("number of samples")] = 1000
    bars: BarContainer

    def init(self, fig: Figure) -> None:
        ax = fig.add_subplot()
        edges = bin_edges(self)
        # A bar only a few pixels or points wide gets an outline of its own colour, one pixel wide,
        # instead of a white one (which would cover it), and no pixel snapping (which rounds a bar
        # narrower than a pixel to nothing): each bar stays visible, however many bins.
        narrow = fig.get_figwidth() * min(72, fig.dpi) / self.bins < 4
        outline: dict[str, Any] = {"edgecolor": "tab:blue", "linewidth": 72 / fig.dpi, "snap": False} if narrow \
            else {"edgecolor": "white", "linewidth": 0.5}
        self.bars = ax.bar(edges[:-1], np.zeros(self.bins), width=np.diff(edges), align="edge", color="tab:blue",
                           **outline)
        ax.set_xlim(edges[0], edges[-1])
        self._ylim = (0.0, HEADROOM * expected_peak(edges, self.mean, self.var))
        ax.set_ylim(self._ylim)
        self._axes = ax
        ax.set_ylabel("density")

    def update(self, rng: Generator) -> None:
        low, high = self.bars[0].get_x(), self.bars[-1].get_x() + self.bars[-1].get_width()
        heights = densities(self, rng, low, high)
        for bar, height in zip(self.bars, heights):
            bar.set_height(height)
        # Every bar whole: a sample (a few points) peaking past the fixed limit raises it for this picture.
        self._axes.set_ylim(showing(self._ylim, 0.0, float(np.max(heights))))

    def data(self, rng: Generator) -> tuple[list[str], list[list[float]]]:
        edges = bin_edges(self)
        heights = densities(self, rng, edges[0], edges[-1])
        return ["bin_start", "bin_end", "density"], np.column_stack([edges[:-1], edges[1:], heights]).tolist()


def bin_edges(p: Histogram) -> np.ndarray:
    """The bins, fixed by the static parameters: the image's bars and its CSV's rows."""
    # The locator widens limits that a var too small to change mean's float made equal, which
    # would give bins of zero width (an axis' default locator is an AutoLocator).
    low, high = AutoLocator().nonsingular(p.mean - SPREAD * p.var, p.mean + SPREAD * p.var)
    # np.histogram refuses bins narrower than the float spacing near mean (1e9 +- 1e-6): widen.
    min_span = p.bins * 8 * np.spacing(max(abs(low), abs(high)))
    if high - low < min_span:
        centre = (low + high) / 2
        low, high = centre - min_span / 2, centre + min_span / 2
    if (high - low) / p.bins > 2 * SPREAD * p.var:
        # One bin is wider than the whole distribution (the range was widened above): centre a bin
        # on mean, so that every sample falls in that one bin rather than split at an edge.
        shift = (low + high) / 2 - p.mean + ((high - low) / p.bins / 2 if p.bins % 2 == 0 else 0)
        low, high = low - shift, high - shift
    return np.linspace(low, high, p.bins + 1)


def expected_peak(edges: np.ndarray, mean: float, var: float) -> float:
    """The expected density of the tallest bar: the static y-limit follows the distribution.

    Where var is far below the bin width (the bins were widened around mean), every sample
    falls in one or two bins, and so does the expected mass.
    """
    with np.errstate(over="ignore", divide="ignore"):  # (edge - mean) / 1e-300 is +-inf: a cdf of 0 or 1
        scaled = (edges - mean) / (var * math.sqrt(2))
    cdf = np.array([0.5 * math.erfc(-z) for z in scaled])
    return float(np.max(np.diff(cdf) / np.diff(edges)))


def densities(p: Histogram, rng: Generator, low: float, high: float) -> np.ndarray:
    """The bars' heights for the samples this seed draws: the image's and its CSV's."""
    counts, edges = np.histogram(rng.normal(p.mean, p.var, p.n), bins=p.bins, range=(low, high))
    # True densities (not scaled by var: a var of 1e-14 made every bar 1e-14 tall, invisible).
    return counts / (p.n * np.diff(edges))


plot = typed_plot("histogram", Histogram, title="histogram of $n normal samples",
                  freshness=FOREVER)  # the same seed, the same sample
