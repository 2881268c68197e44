"""Which images may be reused, for how long, and under which key.

A still image depends only on its request when its plot draws no random numbers or a ``seed``
is given, and for as long as its plot's ``freshness`` says (:mod:`wsgi_plot.declare.plot`). Such a
response is keyed by the request *as parsed*: the plot, every parsed option and every parameter
value, defaults filled in, so that parameter order, a default written out or left out, the
ignored ``_`` cache buster, ``1`` or ``1.0``, a query or the same values as a JSON body all give
one key. No header is part of it, and none can change an image. The same rule and key serve
nginx's cache (:mod:`.nginx_cache`) and the app's own (:mod:`.response_cache`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
from typing import TYPE_CHECKING

from .. import __version__
from ..figures.theme import fonts

if TYPE_CHECKING:
    from ..declare.options import RenderOptions
    from ..declare.params import Values
    from ..declare.plot import Plot
    from ..declare.settings import Settings


def reusable_seconds(plot: Plot, options: RenderOptions) -> float:
    """Seconds a response to this request may be reused; 0 when never (a new sample every time)."""
    if plot.freshness is None:
        return 0.0
    if plot.random and options.seed is None:
        return 0.0
    return plot.freshness


def cache_key(plot: Plot, values: Values, options: RenderOptions, output: str = "") -> str:
    """The request as the app understands it, hashed: plot, options and values, parsed and defaulted.

    Derived from the parsed objects, not from a list of names, so an option added to the render
    options is part of the key without a change here. A plot that draws no random numbers
    (``random=False``) is keyed without ``seed``, and ``-0`` as ``0``: the key of a request is the
    key of its picture. Everything else that changes the bytes is in it too, since nginx's cache
    outlives a restart: the plot's code and declaration (``plot.fingerprint``) and ``output``, the
    process's :func:`output_token` (libraries' versions, output settings, fonts). A deploy that
    changes any of them changes the keys, and the old pictures are simply never asked for again.
    """
    picture = options if plot.random else dataclasses.replace(options, seed=None)  # a seed it never reads
    option_items = _normalised(sorted(dataclasses.asdict(picture).items()))
    param_items = _normalised(tuple((p.name, p.key(getattr(values, p.name))) for p in plot.params))
    text = repr((output, plot.fingerprint, plot.name, option_items, param_items))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _normalised(value: object) -> object:
    """``value`` with every float written one way: ``-0.0`` as ``0.0`` (equal numbers, one picture),
    a whole float as the same float whatever the text said (``1``, ``1.0``, ``1e0``)."""
    if isinstance(value, float):
        return value + 0.0  # -0.0 + 0.0 is 0.0; every other float is unchanged
    if isinstance(value, (tuple, list)):
        return tuple(_normalised(item) for item in value)
    if isinstance(value, dict):
        return tuple(sorted((key, _normalised(item)) for key, item in value.items()))
    return value


#: The libraries whose version changes the bytes of an image: the drawing, the random numbers
#: (numpy's Generator streams may change between versions), the encoders.
OUTPUT_LIBRARIES = ("matplotlib", "numpy", "Pillow", "deflate", "isal", "contourpy", "kiwisolver", "fonttools")


#: The settings that change the bytes of an image (the others bound or refuse requests).
OUTPUT_SETTINGS = ("png_compression", "default_dpi", "default_size", "max_points", "max_series")


def output_token(settings: Settings) -> str:
    """A hash of what, besides the request and the plot, changes an image's bytes in this process:
    wsgi_plot's version and those of ``OUTPUT_LIBRARIES``, the ``OUTPUT_SETTINGS`` and the fonts
    found (a font installed or removed changes the text drawn)."""
    parts: list[tuple[str, object]] = [("wsgi_plot", __version__)]
    for name in OUTPUT_LIBRARIES:
        try:
            parts.append((name, importlib.metadata.version(name)))
        except importlib.metadata.PackageNotFoundError:
            parts.append((name, ""))
    parts += [(name, getattr(settings, name)) for name in OUTPUT_SETTINGS]
    parts.append(("fonts", tuple(fonts().families)))
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
