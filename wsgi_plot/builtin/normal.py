"""The recipe's plot: a scatter of normal samples, written as any user would write a plot."""

import numpy as np

from wsgi_plot import Param, Plot
from wsgi_plot.plot import FOREVER

SPREAD = 4  # static limits at mean +- 4 standard deviations; rarer outliers widen them

PARAMS = [
    Param("mean", float, 0.0, minimum=-1e9, maximum=1e9, static=True, help="centre of both coordinates"),
    Param(
        "var", float, 1.0, minimum=0.0, exclusive_minimum=True, maximum=1e9, static=True,
        help="spread: numpy's scale, the standard deviation (the recipe's name kept)",
    ),
    Param("n", int, 100, minimum=1, maximum=10_000, count=True, help="number of points"),
]


def init(fig, p):
    ax = fig.add_subplot()
    # The locator widens limits that a var too small to change mean's float (1e9 +- 1e-300) made
    # equal, as autoscaling would, but without its warning.
    low, high = ax.xaxis.get_major_locator().nonsingular(p.mean - SPREAD * p.var, p.mean + SPREAD * p.var)
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    return [ax.scatter([], [], s=100, marker="h", color="red", alpha=0.3)]


def sample(p, rng):
    """The points, drawn in one order for the image and its CSV: the same seed, the same points."""
    xs = rng.normal(p.mean, p.var, p.n)
    ys = rng.normal(p.mean, p.var, p.n)
    return np.column_stack([xs, ys])


def update(artists, p, rng):
    (points,) = artists
    points.set_offsets(sample(p, rng))


def data(p, rng):
    return ["x", "y"], sample(p, rng).tolist()


plot = Plot(
    "normal", PARAMS, init=init, update=update, data=data,
    title="random normal - $mean, $var",
    description="n points with x and y drawn from Normal(mean, var), var being the standard deviation.",
    freshness=FOREVER,  # the same seed, the same sample
)
