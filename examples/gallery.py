"""Figure-level plots in the style of matplotlib's own gallery, served by wsgi_plot.

    gunicorn -c gunicorn.conf.py examples.gallery:app

then open http://127.0.0.1:8000/plots/. Each plot makes its own axes on the Figure it is given,
exactly as it would on ``Figure(layout="constrained")``: subplots, a mosaic, colorbars, twin
axes, an inset, an outside legend, a polar projection, sup-labels. ``tests/test_gallery.py``
compares every one of them with plain matplotlib drawing the same code.

Each full draw is a typed function of the Figure and the request's random Generator. ``heatmap``
is a typed class (``init``/``update``): its three panels and colorbar are the static part, and each
request redraws only the image and the two lines it keeps over the saved background.
"""

import os
from typing import Annotated

import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.lines import Line2D
from matplotlib.projections.polar import PolarAxes
from numpy.random import Generator

from wsgi_plot import PlotRegistry, Range, Static, create_app, default_registry


def subplots_grid(fig: Figure, rng: Generator) -> None:
    """A 2x2 grid of different kinds of axes, with sup-labels."""
    axs = fig.subplots(2, 2)
    x = np.linspace(0, 10, 200)
    axs[0, 0].plot(x, np.sin(x) + rng.normal(0, 0.1, x.size))
    axs[0, 0].set_title("line")
    axs[0, 1].scatter(rng.normal(size=80), rng.normal(size=80), s=12, alpha=0.6)
    axs[0, 1].set_title("scatter")
    axs[1, 0].hist(rng.normal(size=500), bins=25)
    axs[1, 0].set_title("histogram")
    axs[1, 1].bar(["a", "b", "c", "d"], rng.integers(1, 10, 4))
    axs[1, 1].set_title("bars")
    fig.suptitle("Four kinds of axes")


def colorbar_image(fig: Figure, rng: Generator) -> None:
    """An image with a colorbar beside it."""
    ax = fig.add_subplot()
    field = np.cumsum(rng.normal(size=(30, 40)), axis=1)
    image = ax.imshow(field, cmap="viridis", aspect="auto")
    fig.colorbar(image, ax=ax, label="accumulated noise")
    ax.set_title("imshow with a colorbar")


def twin_axes(fig: Figure, rng: Generator) -> None:
    """Two quantities on one time axis, a value axis each (``twinx``)."""
    ax = fig.add_subplot()
    t = np.arange(0.01, 10.0, 0.05)
    ax.plot(t, np.exp(t / 3), color="tab:red")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("exp", color="tab:red")
    twin = ax.twinx()
    twin.plot(t, np.sin(2 * np.pi * t / 4) + rng.normal(0, 0.05, t.size), color="tab:blue")
    twin.set_ylabel("sin", color="tab:blue")


def mosaic(fig: Figure, rng: Generator) -> None:
    """``subplot_mosaic("AAB;CCB")``: a wide panel, a tall one, and another wide one."""
    axd = fig.subplot_mosaic("AAB;CCB")
    x = np.arange(50)
    axd["A"].plot(x, np.cumsum(rng.normal(size=50)))
    axd["A"].set_title("A: a walk")
    axd["B"].barh(["x", "y", "z"], rng.uniform(1, 5, 3))
    axd["B"].set_title("B")
    axd["C"].fill_between(x, np.cumsum(rng.uniform(0, 1, 50)), alpha=0.5)
    axd["C"].set_title("C: a sum")


def inset(fig: Figure, rng: Generator) -> None:
    """A zoomed inset inside the main axes."""
    ax = fig.add_subplot()
    x = np.linspace(0, 4 * np.pi, 400)
    y = np.sin(x) * np.exp(-x / 8) + rng.normal(0, 0.02, x.size)
    ax.plot(x, y)
    ax.set_title("damped wave, first peak zoomed")
    zoom = ax.inset_axes((0.6, 0.55, 0.35, 0.35), xlim=(0.8, 2.4), ylim=(0.55, 0.9))
    zoom.plot(x, y)
    ax.indicate_inset_zoom(zoom, edgecolor="black")


def outside_legend(fig: Figure, rng: Generator) -> None:
    """Three series with the legend outside the axes, at the upper right of the figure."""
    ax = fig.add_subplot()
    x = np.linspace(0, 1, 30)
    for k in range(3):
        ax.plot(x, x ** (k + 1) + rng.normal(0, 0.02, x.size), label=f"x to the power {k + 1}")
    ax.set_xlabel("x")
    fig.legend(loc="outside right upper")


def polar(fig: Figure, rng: Generator) -> None:
    """A polar projection."""
    ax = fig.add_subplot(projection="polar")
    assert isinstance(ax, PolarAxes)  # add_subplot's annotation says Axes, whatever the projection
    theta = np.linspace(0, 2 * np.pi, 200)
    ax.plot(theta, 1 + 0.5 * np.cos(5 * theta) + rng.normal(0, 0.02, theta.size))
    ax.set_rmax(2)
    ax.set_rticks([0.5, 1, 1.5, 2])  # as matplotlib's polar demo: its default eight crowd each other
    ax.set_rlabel_position(-22.5)
    ax.set_title("a five-petalled rose")


def loglog_errorbars(fig: Figure, rng: Generator) -> None:
    """Log-log axes with error bars."""
    ax = fig.add_subplot()
    x = np.logspace(0, 3, 12)
    y = 3 * x ** 1.5 * rng.uniform(0.8, 1.2, x.size)
    ax.errorbar(x, y, yerr=0.2 * y, fmt="o", capsize=3)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("size")
    ax.set_ylabel("cost")
    ax.set_title("log-log with error bars")


def contour(fig: Figure, rng: Generator) -> None:
    """Filled contours with contour lines and a colorbar."""
    ax = fig.add_subplot()
    x, y = np.meshgrid(np.linspace(-3, 3, 80), np.linspace(-2, 2, 60))
    z = np.exp(-x ** 2 - y ** 2) - 0.6 * np.exp(-(x - 1.5) ** 2 - (y - 0.5) ** 2) + rng.normal(0, 0.01, x.shape)
    filled = ax.contourf(x, y, z, levels=10, cmap="RdBu_r")
    ax.contour(x, y, z, levels=10, colors="black", linewidths=0.5)
    fig.colorbar(filled, ax=ax)
    ax.set_title("contourf")


def stacked_bars(fig: Figure, rng: Generator) -> None:
    """Stacked bars with their values written on them (``bar_label``)."""
    ax = fig.add_subplot()
    groups = ["north", "south", "east", "west"]
    bottom = np.zeros(len(groups))
    for name in ("wheat", "rye", "oats"):
        heights = rng.integers(5, 20, len(groups))
        bars = ax.bar(groups, heights, bottom=bottom, label=name)
        ax.bar_label(bars, label_type="center", fontsize=8)
        bottom += heights
    ax.legend(loc="upper left", ncols=3)
    ax.set_ylim(0, bottom.max() * 1.25)
    ax.set_title("harvest by region")


def annotated(fig: Figure, rng: Generator) -> None:
    """Annotations with arrows, one pointing from outside the axes."""
    ax = fig.add_subplot()
    t = np.linspace(0, 5, 300)
    s = np.cos(2 * np.pi * t) * np.exp(-t / 2) + rng.normal(0, 0.01, t.size)
    ax.plot(t, s)
    ax.annotate("first maximum", xy=(0, 1), xytext=(1.2, 0.9), arrowprops={"arrowstyle": "->"})
    ax.annotate("a minimum", xy=(0.5, s[30]), xytext=(1.5, -0.8),
                arrowprops={"arrowstyle": "fancy", "color": "tab:orange", "connectionstyle": "arc3,rad=0.3"})
    ax.set_ylim(-1.2, 1.2)
    ax.set_title("annotations")


def shared_axes(fig: Figure, rng: Generator) -> None:
    """Three stacked panels sharing x, labelled once with ``supxlabel`` and ``supylabel``."""
    axs = fig.subplots(3, 1, sharex=True)
    t = np.linspace(0, 24, 100)
    for ax, name in zip(axs, ("north", "centre", "south")):
        ax.plot(t, 10 + 5 * np.sin(t / 24 * 2 * np.pi) + rng.normal(0, 0.5, t.size))
        ax.set_title(name, loc="left", fontsize=9)
    fig.supxlabel("hour of the day")
    fig.supylabel("temperature (°C)")
    fig.suptitle("three stations")


class Heatmap:
    """Normal noise in cells, with the means of its rows and columns beside it."""

    cells: Annotated[int, Range(2, 60), Static] = 12
    image: AxesImage
    rows: Line2D
    columns: Line2D

    def init(self, fig: Figure) -> None:
        """The static part: three panels, their limits and labels, and a colorbar with fixed limits."""
        axd = fig.subplot_mosaic("IA;IB")
        self.image = axd["I"].imshow(np.zeros((self.cells, self.cells)), vmin=-3, vmax=3, cmap="magma")
        fig.colorbar(self.image, ax=axd["I"], location="left", label="value")
        axd["I"].set_title("cells")
        lines = []
        for key, title in (("A", "row means"), ("B", "column means")):
            axd[key].set_xlim(0, self.cells - 1)
            axd[key].set_ylim(-1.5, 1.5)
            axd[key].set_title(title)
            axd[key].grid(True)
            lines += axd[key].plot([], [], marker=".")
        self.rows, self.columns = lines
        fig.suptitle("a heat map with its marginals")

    def update(self, rng: Generator) -> None:
        cells = rng.normal(size=(self.cells, self.cells))
        self.image.set_data(cells)
        self.rows.set_data(np.arange(self.cells), cells.mean(axis=1))
        self.columns.set_data(np.arange(self.cells), cells.mean(axis=0))


FULL_DRAWS = (subplots_grid, colorbar_image, twin_axes, mosaic, inset, outside_legend, polar, loglog_errorbars,
              contour, stacked_bars, annotated, shared_axes)

GALLERY = PlotRegistry()
for _draw in FULL_DRAWS:
    GALLERY.plot(_draw.__name__.replace("_", "-"), title=(_draw.__doc__ or _draw.__name__).split(".")[0].strip())(_draw)
GALLERY.plot("heatmap", title="heat map with marginals")(Heatmap)
PLOTS = list(GALLERY)


def gallery_registry() -> PlotRegistry:
    """The built-ins and the gallery's plots."""
    registry = default_registry()
    for plot in PLOTS:
        registry.add(plot)
    return registry


app = create_app(registry=gallery_registry())


def contact_sheet(path: str | os.PathLike[str], size: str = "6.4x4.8", dpi: int = 100, columns: int = 4) -> None:
    """Every gallery figure as the app serves it, side by side in one PNG: what a reader sees."""
    import io

    from PIL import Image
    from werkzeug.test import Client

    client = Client(app)
    images = []
    for plot in PLOTS:
        response = client.get(f"/plot/{plot.name}.png?size={size}&dpi={dpi}&seed=7")
        if response.status_code != 200:
            raise RuntimeError(f"{plot.name}: {response.status_code} {response.get_data(as_text=True)}")
        images.append(Image.open(io.BytesIO(response.data)).convert("RGB"))
    width, height = images[0].size
    rows = -(-len(images) // columns)
    sheet = Image.new("RGB", (columns * width, rows * height), "white")
    for index, image in enumerate(images):
        sheet.paste(image, (index % columns * width, index // columns * height))
    sheet.save(path, optimize=True)


if __name__ == "__main__":
    import sys

    contact_sheet(sys.argv[1] if len(sys.argv) > 1 else "figures.png")
