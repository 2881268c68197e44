"""The recipe's plot: a scatter of normal samples, written as any user would write a plot (a typed class)."""

from typing import Annotated

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.figure import Figure
from numpy.random import Generator

from ..declare.plot import FOREVER
from ..declare.typed import Count, Help, Range, Static, typed_plot
from .view import showing

SPREAD = 4  # static limits at mean +- 4 standard deviations; update widens them for rarer outliers

class Normal:
    """n points with x and y drawn from Normal(mean, var), var being the standard deviation."""

    mean: Annotated[float, Range(-1e9, 1e9), Static, Help("centre of both coordinates")] = 0.0
    var: Annotated[float, Range(0.0, 1e9, exclusive_minimum=True), Static,
                   Help("spread: numpy's scale, the standard deviation (the recipe's name kept)")] = 1.0
    n: Annotated[int, Range(1, 10_000), Count, Help("number of points")] = 100
    points: PathCollection

    def init(self, fig: Figure) -> None:
        ax = fig.add_subplot()
        # The locator widens limits that a var too small to change mean's float (1e9 +- 1e-300) made
        # equal, as autoscaling would, but without its warning.
        low, high = ax.xaxis.get_major_locator().nonsingular(self.mean - SPREAD * self.var,
                                                              self.mean + SPREAD * self.var)
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        self._limits = (low, high)
        self._axes = ax
        self.points = ax.scatter([], [], s=100, marker="h", color="red", alpha=0.3)

    def update(self, rng: Generator) -> None:
        points = sample(self, rng)
        self.points.set_offsets(points)
        # Every point visible: a sample reaching past the fixed limits widens them for this picture
        # (the recipe's behaviour); the next sample inside them is drawn at the fixed limits again.
        ax = self._axes
        ax.set_xlim(showing(self._limits, points[:, 0].min(), points[:, 0].max()))
        ax.set_ylim(showing(self._limits, points[:, 1].min(), points[:, 1].max()))

    def data(self, rng: Generator) -> tuple[list[str], list[list[float]]]:
        return ["x", "y"], sample(self, rng).tolist()


def sample(p: Normal, rng: Generator) -> np.ndarray:
    """The points, drawn in one order for the image and its CSV: the same seed, the same points."""
    xs = rng.normal(p.mean, p.var, p.n)
    ys = rng.normal(p.mean, p.var, p.n)
    return np.column_stack([xs, ys])


plot = typed_plot("normal", Normal, title="random normal - $mean, $var",
                  freshness=FOREVER)  # the same seed, the same sample
