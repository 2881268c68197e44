"""SVG and PDF files of a figure: saved the same whatever the process's rcParams, and the SVG
layer the fast path appends to a figure's static part."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TYPE_CHECKING

import matplotlib
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

#: Fixed so that the same seed gives byte-identical SVG files. matplotlib reads it
#: from rcParams only, so it is set for the length of an SVG save, under DRAW_LOCK.
_SVG_HASH_SALT = "wsgi_plot"
_VECTOR_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None}}


#: Every id a layer defines or refers to, so that they can be renamed apart from the static part's;
#: ``href`` as SVG 2 writes it, ``xlink:href`` as SVG 1.1 (matplotlib today) does.
_SVG_ID_RE = re.compile(rb'(id="|url\(#|(?:xlink:)?href="#)')


def svg_layer(document: bytes) -> bytes:
    """The drawing of an SVG document as a fragment to append to another one.

    Keeps everything from the figure's group (the first ``<g>``) to the end,
    dropping the prolog, metadata and style (the static part has them), and
    prefixes the layer's ids: both documents number their groups, clip paths
    and markers alike.
    """
    body = document[document.index(b"<g id="): document.rindex(b"</svg>")]
    return _SVG_ID_RE.sub(rb"\1layer-", body)


def save_vector(figure: Figure, fmt: str) -> bytes:
    """``figure`` saved as ``fmt``, the same whatever the process's ``savefig.*`` rcParams say.

    Called under DRAW_LOCK. Only the SVG hash salt is set in rcParams, and only it
    is put back: ``rc_context`` would put back every rcParam, undoing changes a
    host app's thread made meanwhile.
    """
    out = io.BytesIO()
    with _rc_param("svg.hashsalt", _SVG_HASH_SALT) if fmt == "svg" else nullcontext():
        figure.savefig(out, format=fmt, metadata=_VECTOR_METADATA[fmt], dpi="figure", facecolor="auto",
                       edgecolor="auto", transparent=False,
                       bbox_inches=figure.bbox_inches)  # the whole figure: savefig.bbox may say "tight"
    return out.getvalue()


@contextmanager
def _rc_param(name: RcKeyType, value: object) -> Iterator[None]:
    previous = matplotlib.rcParams[name]
    matplotlib.rcParams[name] = value
    try:
        yield
    finally:
        matplotlib.rcParams[name] = previous
