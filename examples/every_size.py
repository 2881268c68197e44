"""Figures a user would draw, at every size: what tests/test_every_size.py holds to plain matplotlib.

Each is a full draw on the Figure it is given, as on ``Figure(layout="constrained")``: a 3D
surface, pies, box and violin plots of named groups, a legend below two panels, six small panels
under a long suptitle, a table under bars, hatches, long category names, mathtext titles and more.
None is in examples/gallery.py. Served at 6.4x4.8 in @ 100 dpi, 3x2 @ 100, 2x1.5 @ 72 and the
/plots/ thumbnail (3.2x2.4 @ 75), light and dark.

    python -m examples.every_size [docs/every-size.png]

draws the contact sheet: a row per figure, a column per size and theme, each as the app serves it.
"""

import io
import sys

import numpy as np
from matplotlib.figure import Figure
from numpy.random import Generator
from numpy.typing import ArrayLike

from wsgi_plot import PlotRegistry, create_app

#: (width, height, dpi): matplotlib's default figure, a small one, an embed, the /plots/ thumbnail.
SIZES = [(6.4, 4.8, 100), (3, 2, 100), (2, 1.5, 72), (3.2, 2.4, 75)]
THEMES = ["light", "dark"]

GROUPS = ["control", "dose A", "dose B", "dose C"]


def surface_3d(fig: Figure, rng: Generator) -> None:
    """A 3D surface with labelled axes."""
    ax = fig.add_subplot(projection="3d")
    x, y = np.meshgrid(np.linspace(-3, 3, 30), np.linspace(-3, 3, 30))
    ax.plot_surface(x, y, np.sin(np.hypot(x, y)) + rng.normal(0, 0.02, x.shape), cmap="viridis")
    ax.set_xlabel("east (km)")
    ax.set_ylabel("north (km)")
    ax.set_zlabel("height (m)")
    ax.set_title("Terrain height")


def pie_percentages(fig: Figure, rng: Generator) -> None:
    """A pie with percentages."""
    ax = fig.add_subplot()
    ax.pie(rng.uniform(1, 4, 5), labels=["coal", "gas", "wind", "solar", "hydro"], autopct="%1.0f%%")
    ax.set_title("Electricity by source")


def donut(fig: Figure, rng: Generator) -> None:
    """A donut with its legend beside it."""
    ax = fig.add_subplot()
    wedges, _ = ax.pie(rng.uniform(1, 3, 4), wedgeprops={"width": 0.4})
    ax.legend(wedges, ["rent", "food", "travel", "savings"], title="budget", loc="center left",
              bbox_to_anchor=(1, 0.5))
    ax.set_title("Monthly budget")


def box_groups(fig: Figure, rng: Generator) -> None:
    """Box plots of four named groups."""
    ax = fig.add_subplot()
    ax.boxplot([rng.normal(m, 1, 50) for m in (0, 1, 1.5, 3)], tick_labels=GROUPS)
    ax.set_ylabel("response (mg/l)")
    ax.set_title("Response by dose")


def violin_groups(fig: Figure, rng: Generator) -> None:
    """Violin plots of four named groups."""
    ax = fig.add_subplot()
    ax.violinplot([rng.normal(m, 1, 80) for m in (0, 1, 1.5, 3)], showmedians=True)
    ax.set_xticks([1, 2, 3, 4], labels=GROUPS)
    ax.set_ylabel("response (mg/l)")
    ax.set_title("Distribution by dose")


def legend_below(fig: Figure, rng: Generator) -> None:
    """Two panels sharing one legend of eight series below them."""
    axs = fig.subplots(1, 2, sharey=True)
    t = np.arange(50)
    for k in range(8):
        walk = np.cumsum(rng.normal(0, 1, t.size))
        axs[0].plot(t, walk, label=f"sensor {k + 1}")
        axs[1].plot(t, walk[::-1])
    axs[0].set_title("morning")
    axs[1].set_title("evening")
    axs[0].set_xlabel("minute")
    axs[1].set_xlabel("minute")
    axs[0].set_ylabel("drift")
    fig.legend(loc="outside lower center", ncols=4)


def small_panels(fig: Figure, rng: Generator) -> None:
    """Six small panels under a long suptitle."""
    axs = fig.subplots(2, 3)
    for k, ax in enumerate(axs.flat):
        ax.plot(np.cumsum(rng.normal(0, 1, 30)))
        ax.set_title(f"station {k + 1}")
    fig.suptitle("Daily water level at six stations along the river, first month of records")


def table_under_bars(fig: Figure, rng: Generator) -> None:
    """Bars with a table of their values under them."""
    ax = fig.add_subplot()
    values = rng.integers(10, 60, size=(2, 4))
    quarters = ["Q1", "Q2", "Q3", "Q4"]
    ax.bar(np.arange(4) - 0.2, values[0], width=0.4, label="2023")
    ax.bar(np.arange(4) + 0.2, values[1], width=0.4, label="2024")
    ax.set_xticks([])
    ax.table(cellText=values.astype(str).tolist(), rowLabels=["2023", "2024"], colLabels=quarters, loc="bottom")
    ax.set_title("Sales per quarter")
    ax.legend()


def hatched_bars(fig: Figure, rng: Generator) -> None:
    """Bars told apart by hatches, with a legend."""
    ax = fig.add_subplot()
    for k, (hatch, name) in enumerate([("//", "organic"), ("..", "regional"), ("xx", "imported")]):
        ax.bar(np.arange(3) + k * 0.25, rng.uniform(2, 8, 3), width=0.25, hatch=hatch, fill=False, label=name)
    ax.set_xticks(np.arange(3) + 0.25, labels=["apples", "pears", "plums"])
    ax.legend()
    ax.set_title("Fruit sold (t)")


def long_categories(fig: Figure, rng: Generator) -> None:
    """Long category names on horizontal bars, each bar labelled."""
    ax = fig.add_subplot()
    names = ["Department of Applied Mathematics", "School of Engineering", "Faculty of Arts and Humanities",
             "Institute of Marine Biology"]
    bars = ax.barh(names, rng.integers(100, 900, 4))
    ax.bar_label(bars)
    ax.set_xlabel("students")
    ax.set_title("Enrolment")


def mathtext_titles(fig: Figure, rng: Generator) -> None:
    """Mathtext in a long title and the axis labels."""
    ax = fig.add_subplot()
    t = np.linspace(0, 10, 300)
    for gamma in (0.1, 0.3, 0.6):
        ax.plot(t, np.exp(-gamma * t) * np.cos(3 * t), label=rf"$\gamma = {gamma}$")
    ax.set_title(r"Damped oscillation $x(t) = e^{-\gamma t}\cos(\omega t)$ for three dampings $\gamma$")
    ax.set_xlabel(r"time $t$ (s)")
    ax.set_ylabel(r"$x(t)$ (mm)")
    ax.legend()


def stacked_dates(fig: Figure, rng: Generator) -> None:
    """Stacked areas over a year of dates."""
    ax = fig.add_subplot()
    days = np.arange("2024-01-01", "2025-01-01", dtype="datetime64[D]")
    ax.stackplot(days, rng.uniform(1, 2, (3, days.size)).cumsum(axis=1) / 50, labels=["web", "mobile", "desktop"])
    ax.legend(loc="upper left")
    ax.set_ylabel("visits (thousands)")
    ax.set_title("Visits by platform")


def heatmap_annotated(fig: Figure, rng: Generator) -> None:
    """A heat map of named rows and columns, each cell annotated."""
    ax = fig.add_subplot()
    values = rng.uniform(0, 10, (4, 5))
    ax.imshow(values, cmap="magma")
    ax.set_xticks(range(5), labels=["Mon", "Tue", "Wed", "Thu", "Fri"])
    ax.set_yticks(range(4), labels=["north", "south", "east", "west"])
    for (row, column), value in np.ndenumerate(values):
        ax.text(column, row, f"{value:.0f}", ha="center", va="center", color="w")
    ax.set_title("Deliveries per day")


def streamlines(fig: Figure, rng: Generator) -> None:
    """Stream lines of a flow field, with a colorbar."""
    ax = fig.add_subplot()
    y, x = np.mgrid[-3:3:40j, -3:3:40j]
    u, v = -1 - x**2 + y, 1 + x - y**2 + rng.normal(0, 0.01, x.shape)
    stream = ax.streamplot(x, y, u, v, color=np.hypot(u, v), cmap="viridis")
    fig.colorbar(stream.lines, ax=ax, label="speed (m/s)")
    ax.set_title("Flow field")


def hexbin_counts(fig: Figure, rng: Generator) -> None:
    """A hexbin of two correlated variables, with a colorbar."""
    ax = fig.add_subplot()
    x = rng.normal(0, 1, 3000)
    cells = ax.hexbin(x, x + rng.normal(0, 0.7, x.size), gridsize=20, cmap="Blues")
    fig.colorbar(cells, ax=ax, label="count")
    ax.set_xlabel("height (z-score)")
    ax.set_ylabel("weight (z-score)")


def secondary_axis(fig: Figure, rng: Generator) -> None:
    """A secondary x axis in other units."""
    ax = fig.add_subplot()
    celsius = np.linspace(-10, 40, 50)
    ax.plot(celsius, 50 + celsius + rng.normal(0, 2, celsius.size))
    ax.set_xlabel("temperature (°C)")
    ax.set_ylabel("ice cream sold")
    top = ax.secondary_xaxis("top", functions=(fahrenheit, celsius_of))
    top.set_xlabel("temperature (°F)")


def fahrenheit(celsius: ArrayLike) -> np.ndarray:
    return np.asarray(celsius) * 9 / 5 + 32


def celsius_of(fahrenheit: ArrayLike) -> np.ndarray:
    return (np.asarray(fahrenheit) - 32) * 5 / 9


def twin_one_legend(fig: Figure, rng: Generator) -> None:
    """Two y axes whose lines share one legend."""
    ax = fig.add_subplot()
    months = np.arange(1, 13)
    (rain,) = ax.plot(months, rng.uniform(20, 120, 12), color="tab:blue", label="rainfall")
    ax.set_ylabel("rainfall (mm)")
    ax.set_xlabel("month")
    twin = ax.twinx()
    (sun,) = twin.plot(months, rng.uniform(2, 10, 12), color="tab:orange", label="sunshine")
    twin.set_ylabel("sunshine (h/day)")
    ax.legend(handles=[rain, sun], loc="upper left")
    ax.set_title("Rain and sun")


def mosaic_titles(fig: Figure, rng: Generator) -> None:
    """A subplot mosaic, each panel titled, under a suptitle."""
    axd = fig.subplot_mosaic([["overview", "overview"], ["detail", "spread"]])
    x = np.cumsum(rng.normal(0, 1, 200))
    axd["overview"].plot(x)
    axd["detail"].plot(x[:40])
    axd["spread"].hist(x, bins=20)
    for name, ax in axd.items():
        ax.set_title(name)
    fig.suptitle("One walk, three views")


FIGURES = (surface_3d, pie_percentages, donut, box_groups, violin_groups, legend_below, small_panels,
           table_under_bars, hatched_bars, long_categories, mathtext_titles, stacked_dates, heatmap_annotated,
           streamlines, hexbin_counts, secondary_axis, twin_one_legend, mosaic_titles)

REGISTRY = PlotRegistry()
for _draw in FIGURES:
    REGISTRY.plot(_draw.__name__.replace("_", "-"), title=(_draw.__doc__ or "").split(".")[0].strip())(_draw)
PLOTS = list(REGISTRY)

app = create_app(registry=REGISTRY)


def contact_sheet(path: str, seed: int = 7) -> None:
    """Every figure as the app serves it: a row per figure, a column per size (light, then dark),
    each picture at its own pixel size in a cell as large as the largest."""
    from PIL import Image, ImageDraw  # noqa: PLC0415 (the example's own dependency, as the tests')
    from werkzeug.test import Client  # noqa: PLC0415

    client = Client(create_app(registry=REGISTRY, pool_size=1, render_timeout=120))  # a busy machine's pace
    columns = [(w, h, dpi, theme) for theme in THEMES for w, h, dpi in SIZES]
    cell_w = max(int(w * dpi) for w, _, dpi, _ in columns) + 8
    cell_h = max(int(h * dpi) for _, h, dpi, _ in columns) + 8
    head = 20
    sheet = Image.new("RGB", (len(columns) * cell_w, head + len(PLOTS) * cell_h), "white")
    draw = ImageDraw.Draw(sheet)
    for index, (w, h, dpi, theme) in enumerate(columns):
        draw.text((index * cell_w + 4, 4), f"{w:g}x{h:g} in @ {dpi} dpi, {theme}", fill="black")
    for row, plot in enumerate(PLOTS):
        for index, (w, h, dpi, theme) in enumerate(columns):
            response = client.get(f"/plot/{plot.name}.png?size={w:g}x{h:g}&dpi={dpi}&theme={theme}&seed={seed}")
            if response.status_code != 200:
                raise RuntimeError(f"{plot.name}: {response.status_code} {response.get_data(as_text=True)}")
            image = Image.open(io.BytesIO(response.data)).convert("RGB")
            sheet.paste(image, (index * cell_w + 4, head + row * cell_h + 4))
    sheet.quantize(256, dither=Image.Dither.NONE).save(path, optimize=True)  # a palette: a third of the bytes


if __name__ == "__main__":
    contact_sheet(sys.argv[1] if len(sys.argv) > 1 else "docs/every-size.png")
