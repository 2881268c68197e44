"""A bar chart of labelled values given in the request: ``/plot/bar.svg?labels=a,b,c&values=3,1,2``.

The labels, title and orientation are the static part (a pooled figure per set of labels);
each request sets the bars' heights and the value axis follows them. No randomness: the same
request gives the same bytes.
"""

import numpy as np

from wsgi_plot import Param, ParameterError, Plot
from wsgi_plot.plot import FOREVER

from .line import LIMIT

#: Each bar is a patch and each label a text, drawn one by one: 1,000 bars took 6-8 s to draw
#: here, 200 about 1 s. More labels than this are unreadable on a 1200 px wide figure anyway.
MAX_BARS = 200

#: More labels than this are turned 45 degrees so that neighbours do not overlap.
UPRIGHT_LABELS = 6

PARAMS = [
    Param("labels", list[str], max_length=40, max_items=MAX_BARS, static=True, help="bar labels, comma-separated"),
    Param("values", list[float], minimum=-LIMIT, maximum=LIMIT, max_items=MAX_BARS,
          help="bar heights, as many as labels"),
    Param("title", str, "", max_length=80, static=True, help="drawn as written"),
    Param("horizontal", bool, False, static=True, help="bars left to right, the first at the top"),
]


def check(p):
    if len(p.values) != len(p.labels):
        raise ParameterError("values", f"has {len(p.values)} items, but labels has {len(p.labels)}; give as many")


def init(fig, p):
    ax = fig.add_subplot()
    positions = np.arange(len(p.labels))
    literal = {"parse_math": False, "usetex": False}  # the client's text, never mathtext or TeX
    if p.horizontal:
        bars = ax.barh(positions, np.zeros(len(positions)), color="tab:blue")
        ax.set_yticks(positions, p.labels, **literal)
        ax.invert_yaxis()  # read top to bottom, in the order given
    else:
        bars = ax.bar(positions, np.zeros(len(positions)), color="tab:blue")
        turned = {"rotation": 45, "ha": "right", "rotation_mode": "anchor"} if len(p.labels) > UPRIGHT_LABELS else {}
        ax.set_xticks(positions, p.labels, **literal, **turned)
    ax.set_title(p.title, **literal)
    return [bars]


def update(artists, p, rng):
    (bars,) = artists
    for bar, value in zip(bars, p.values):
        if p.horizontal:
            bar.set_width(value)
        else:
            bar.set_height(value)
    bars[0].axes.relim()  # the value axis follows this request's values, as a new ax.bar's would
    bars[0].axes.autoscale_view()


plot = Plot(
    "bar", PARAMS, init=init, update=update, check=check, title="bar chart",
    description="Bars of the given values, one per label, given in the query or a JSON body.",
    example={"labels": "apples,pears,plums", "values": "3,1,2"},
    freshness=FOREVER, random=False,  # a picture of its parameters alone
)
