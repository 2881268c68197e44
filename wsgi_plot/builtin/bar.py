"""A bar chart of labelled values given in the request: ``/plot/bar.svg?labels=a,b,c&values=3,1,2``.

Several series (``values`` repeated, or an array of arrays in JSON) are grouped side by side, or
stacked with ``stacked=true`` (positive values upwards, negative ones downwards, as matplotlib's
stacked-bar examples do), and named in a legend by ``names``. Values of both signs get a line at
zero. The labels, title, orientation, names, stacking, the number of series and whether there
are both signs are the static part (a pooled figure for each); each request sets the bars and the
value axis follows them. No randomness: the same request gives the same bytes.
"""

from typing import TypedDict

import numpy as np
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from numpy.random import Generator

from ..core.errors import ParameterError
from ..declare.params import Param, Values
from ..declare.plot import FOREVER, Plot
from .series import LITERAL, NAMES_PARAM, TITLE_PARAM, add_legend, check_names, follow_data, series_names, y_param

#: Each bar is a patch and each label a text, drawn one by one: 1,000 bars took 6-8 s to draw
#: here, 200 about 1 s. The bound is on the bars of all series together; more labels than this
#: are unreadable on a 1200 px wide figure anyway.
MAX_BARS = 200

#: More labels than this are turned 45 degrees so that neighbours do not overlap.
UPRIGHT_LABELS = 6

#: The share of each label's slot the bars fill, as matplotlib's default bar width.
GROUP_WIDTH = 0.8

class TurnedLabels(TypedDict, total=False):
    """Tick label options for labels turned 45 degrees."""

    rotation: float
    ha: str
    rotation_mode: str


PARAMS = [
    Param("labels", list[str], max_length=40, max_items=MAX_BARS, static=True, help="bar labels, comma-separated"),
    y_param("values", help="bar heights, as many as labels; several series: repeat values"),
    NAMES_PARAM,
    TITLE_PARAM,
    Param("horizontal", bool, False, static=True, help="bars left to right, the first at the top"),
    Param("stacked", bool, False, static=True, help="several series stacked, not side by side"),
]


def check(p: Values) -> None:
    for number, series in enumerate(p.values, 1):
        if len(series) != len(p.labels):
            which = f"series {number} of values" if len(p.values) > 1 else "values"
            raise ParameterError("values", f"{which} has {len(series)} items, but labels has {len(p.labels)}; "
                                           "give as many")
    bars = len(p.labels) * len(p.values)
    if bars > MAX_BARS:
        raise ParameterError("values", f"{len(p.values)} series of {len(p.labels)} bars make {bars} bars; "
                                       f"at most {MAX_BARS} in all")
    check_names(p, "values")


def shape(p: Values) -> dict[str, int | bool]:
    every = [v for series in p.values for v in series]
    return {"series": len(p.values), "both_signs": min(every) < 0 < max(every)}


def init(fig: Figure, p: Values) -> list[BarContainer]:
    ax = fig.add_subplot()
    positions = np.arange(len(p.labels))
    draw_bars = ax.barh if p.horizontal else ax.bar
    width = GROUP_WIDTH if p.stacked else GROUP_WIDTH / p.series
    containers: list[BarContainer] = []
    for number in range(p.series):  # colours from the theme's cycle, one per series
        offset = 0 if p.stacked else (number - (p.series - 1) / 2) * width
        containers.append(draw_bars(positions + offset, np.zeros(len(positions)), width))
    if p.both_signs:  # where the bars start, when they go both ways
        (ax.axvline if p.horizontal else ax.axhline)(0, color="grey", linewidth=0.8)
    if p.horizontal:
        ax.set_yticks(positions, p.labels, **LITERAL)
        ax.invert_yaxis()  # read top to bottom, in the order given
    else:
        turned: TurnedLabels = ({"rotation": 45, "ha": "right", "rotation_mode": "anchor"}
                                if len(p.labels) > UPRIGHT_LABELS else {})
        ax.set_xticks(positions, p.labels, **LITERAL, **turned)
    ax.set_title(p.title, **LITERAL)
    add_legend(fig, containers, p.names)
    return containers


def update(artists: list[BarContainer], p: Values, rng: Generator) -> None:
    above = np.zeros(len(p.labels))  # stacked: where the next positive and negative bars start
    below = np.zeros(len(p.labels))
    for bars, series in zip(artists, p.values):
        values = np.asarray(series)
        base = np.where(values >= 0, above, below) if p.stacked else np.zeros(len(values))
        for bar, value, start in zip(bars, values, base):
            if p.horizontal:
                bar.set_x(start)
                bar.set_width(value)
            else:
                bar.set_y(start)
                bar.set_height(value)
        if p.stacked:
            above += np.where(values >= 0, values, 0)
            below += np.where(values < 0, values, 0)
    follow_data(artists[0][0])  # a bar


def data(p: Values, rng: Generator) -> tuple[list[str], list[list[object]]]:
    columns = ["label"] + series_names(p, "values")
    return columns, [[label] + [series[i] for series in p.values] for i, label in enumerate(p.labels)]


plot = Plot(
    "bar", PARAMS, init=init, update=update, check=check, shape=shape, data=data, title="bar chart",
    description="Bars of the given values, one per label, given in the query or a JSON body; several series "
                "grouped or stacked, named in a legend by names.",
    example={"labels": "apples,pears,plums", "values": "3,1,2"},
    freshness=FOREVER, random=False,  # a picture of its parameters alone
)
