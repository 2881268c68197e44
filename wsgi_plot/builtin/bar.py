"""A bar chart of labelled values given in the request: ``/plot/bar.svg?labels=a,b,c&values=3,1,2``.

Drawn in full per request (``draw``): the labels and values fix the ticks and limits. No
randomness: the same request gives the same bytes.
"""

import numpy as np

from wsgi_plot import Param, ParameterError, Plot

from .line import LIMIT

#: Each bar is a patch and each label a text, drawn one by one: 1,000 bars took 6-8 s to draw
#: here, 200 about 1 s. More labels than this are unreadable on a 1200 px wide figure anyway.
MAX_BARS = 200

#: More labels than this are turned 45 degrees so that neighbours do not overlap.
UPRIGHT_LABELS = 6

PARAMS = [
    Param("labels", list[str], max_length=40, max_items=MAX_BARS, help="bar labels, comma-separated"),
    Param("values", list[float], minimum=-LIMIT, maximum=LIMIT, max_items=MAX_BARS,
          help="bar heights, as many as labels"),
    Param("title", str, "", max_length=80, help="drawn as written"),
    Param("horizontal", bool, False, help="bars left to right, the first at the top"),
]


def check(p):
    if len(p.values) != len(p.labels):
        raise ParameterError("values", f"has {len(p.values)} items, but labels has {len(p.labels)}; give as many")


def draw(ax, p, rng):
    positions = np.arange(len(p.values))
    literal = {"parse_math": False, "usetex": False}  # the client's text, never mathtext or TeX
    if p.horizontal:
        ax.barh(positions, p.values, color="tab:blue")
        ax.set_yticks(positions, p.labels, **literal)
        ax.invert_yaxis()  # read top to bottom, in the order given
    else:
        ax.bar(positions, p.values, color="tab:blue")
        turned = {"rotation": 45, "ha": "right", "rotation_mode": "anchor"} if len(p.labels) > UPRIGHT_LABELS else {}
        ax.set_xticks(positions, p.labels, **literal, **turned)
    ax.set_title(p.title, **literal)


plot = Plot(
    "bar", PARAMS, draw=draw, check=check, title="bar chart",
    description="Bars of the given values, one per label, given in the query or a JSON body.",
    example={"labels": "apples,pears,plums", "values": "3,1,2"},
)
