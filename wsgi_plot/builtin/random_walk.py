"""A random walk: one line whose data changes per request, and grows step by step when animated."""

import numpy as np

from wsgi_plot import Param, Plot
from wsgi_plot.plot import FOREVER

PARAMS = [
    Param("steps", int, 500, minimum=1, maximum=100_000, static=True, count=True, help="number of steps"),
    Param("step", float, 1.0, minimum=0.0, exclusive_minimum=True, maximum=1e9, static=True,
          help="standard deviation of one step"),
]


def init(fig, p):
    ax = fig.add_subplot()
    reach = 4 * p.step * np.sqrt(p.steps)  # |position| passes 4 sigma rarely; the line widens it then
    ax.set_xlim(0, p.steps)
    ax.set_ylim(ax.yaxis.get_major_locator().nonsingular(-reach, reach))  # reach is 0 for the tiniest steps
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("step")
    (line,) = ax.plot([], [], color="tab:green", linewidth=1)
    return [line]


def walk(p, rng):
    """The positions after 0, 1, ... steps: the same seed, the same walk, in the image and its CSV."""
    return np.concatenate([[0.0], np.cumsum(rng.normal(0, p.step, p.steps))])


def update(artists, p, rng, frame):
    (line,) = artists
    position = walk(p, rng)
    # Animated, the walk grows: frame k of n shows its first (k + 1) / n of the steps. Every frame
    # gets the same random numbers, so they all show one walk.
    shown = p.steps + 1 if frame is None else 1 + -(-p.steps * (frame.number + 1) // frame.count)
    line.set_data(np.arange(shown), position[:shown])


def data(p, rng):
    return ["step", "position"], list(enumerate(walk(p, rng).tolist()))


plot = Plot(
    "random-walk", PARAMS, init=init, update=update, update_takes_frame=True, data=data,
    title="random walk of $steps steps",
    description="Position of a Gaussian random walk over a number of steps.",
    freshness=FOREVER,  # the same seed, the same sample
)
