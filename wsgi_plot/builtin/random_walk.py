"""A random walk: one line whose data changes per request, and grows step by step when animated."""

from typing import Annotated

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.random import Generator

from ..core.frame import Frame
from ..declare.plot import FOREVER
from ..declare.typed import Count, Help, Range, Static, typed_plot
from .view import showing


class RandomWalk:
    """Position of a Gaussian random walk over a number of steps."""

    steps: Annotated[int, Range(1, 100_000), Static, Count, Help("number of steps")] = 500
    step: Annotated[float, Range(0.0, 1e9, exclusive_minimum=True), Static,
                    Help("standard deviation of one step")] = 1.0
    line: Line2D

    def init(self, fig: Figure) -> None:
        ax = fig.add_subplot()
        reach = 4 * self.step * np.sqrt(self.steps)  # |position| passes 4 sigma rarely; the line widens it then
        ax.set_xlim(0, self.steps)
        self._ylim = ax.yaxis.get_major_locator().nonsingular(-reach, reach)  # reach is 0 for the tiniest steps
        ax.set_ylim(self._ylim)
        self._axes = ax
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.set_xlabel("step")
        (self.line,) = ax.plot([], [], color="tab:green", linewidth=1)

    def update(self, rng: Generator, frame: Frame | None) -> None:
        position = walk(self, rng)
        # Animated, the walk grows: frame k of n shows its first (k + 1) / n of the steps. Every frame
        # gets the same random numbers, so they all show one walk.
        shown = self.steps + 1 if frame is None else 1 + -(-self.steps * (frame.number + 1) // frame.count)
        self.line.set_data(np.arange(shown), position[:shown])
        # The whole walk visible: one reaching past the fixed limits widens them for this picture.
        self._axes.set_ylim(showing(self._ylim, position[:shown].min(), position[:shown].max()))

    def data(self, rng: Generator) -> tuple[list[str], list[tuple[int, float]]]:
        return ["step", "position"], list(enumerate(walk(self, rng).tolist()))


def walk(p: RandomWalk, rng: Generator) -> np.ndarray:
    """The positions after 0, 1, ... steps: the same seed, the same walk, in the image and its CSV."""
    return np.concatenate([[0.0], np.cumsum(rng.normal(0, p.step, p.steps))])


plot = typed_plot("random-walk", RandomWalk, title="random walk of $steps steps",
                  freshness=FOREVER)  # the same seed, the same sample
