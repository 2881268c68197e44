"""Plots wsgi_plot serves out of the box, defined through the public plot API."""

from ..declare.registry import PlotRegistry


def default_registry() -> PlotRegistry:
    """A new registry holding the built-in plots; add your own to it."""
    from . import bar, histogram, line, normal, random_walk, scatter

    return PlotRegistry([normal.plot, histogram.plot, random_walk.plot, line.plot, bar.plot, scatter.plot])
