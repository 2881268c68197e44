"""A histogram of normal samples: fixed bins, bar heights updated per request."""

import numpy as np

from wsgi_plot import Param, Plot

SPREAD = 4  # bins cover mean +- 4 standard deviations

PARAMS = [
    Param("mean", float, 0.0, minimum=-1e9, maximum=1e9, static=True, help="centre of the distribution"),
    Param("var", float, 1.0, minimum=0.0, exclusive_minimum=True, maximum=1e9, static=True,
          help="standard deviation (numpy's scale)"),
    Param("bins", int, 30, minimum=1, maximum=500, static=True, help="number of bins"),
    Param("n", int, 1000, minimum=1, maximum=1_000_000, count=True, help="number of samples"),
]


def init(ax, p):
    # The locator widens limits that a var too small to change mean's float made equal, which
    # would give bins of zero width.
    low, high = ax.xaxis.get_major_locator().nonsingular(p.mean - SPREAD * p.var, p.mean + SPREAD * p.var)
    # np.histogram refuses bins narrower than the float spacing near mean (1e9 +- 1e-6): widen.
    min_span = p.bins * 8 * np.spacing(max(abs(low), abs(high)))
    if high - low < min_span:
        centre = (low + high) / 2
        low, high = centre - min_span / 2, centre + min_span / 2
    edges = np.linspace(low, high, p.bins + 1)
    bars = ax.bar(edges[:-1], np.zeros(p.bins), width=np.diff(edges), align="edge",
                  color="tab:blue", edgecolor="white", linewidth=0.5)
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, 1)  # densities of this bin width rarely pass 1; taller bars widen it
    ax.set_ylabel("density")
    return [bars]


def update(artists, p, rng):
    (bars,) = artists
    low, high = bars[0].get_x(), bars[-1].get_x() + bars[-1].get_width()
    counts, edges = np.histogram(rng.normal(p.mean, p.var, p.n), bins=len(bars), range=(low, high))
    density = counts / (p.n * np.diff(edges))
    for bar, height in zip(bars, density * p.var):  # in units of 1/var, so limits stay static
        bar.set_height(height)


plot = Plot(
    "histogram", PARAMS, init=init, update=update,
    title="histogram of $n normal samples",
    description="Histogram of n samples from Normal(mean, var); bar heights are densities times var.",
)
