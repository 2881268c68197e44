"""Output formats: one registry entry each, asked by the renderer, the app, the pages and OpenAPI.

A format says what it is called in URLs, its media type, how it is drawn
(its ``delivery``) and how its bytes are made:

* ``still``: one image. ``raster`` ones are drawn into the Agg canvas by the
  fast path and ``encode(pixels, dpi)`` makes the bytes; the others are
  vector files saved by matplotlib (``savefig(format=name)``).
* ``animation``: ``frames`` successive Agg frames into ``writer(frames, fps, dpi)``.
* ``stream``: PNG frames sent as they are drawn, paced by the server.
* ``data``: no picture: the numbers a plot draws, from its ``data`` hook (``csv.py``).

The PNG ones (stills, APNG frames, stream frames) deflate as the app's
``png_compression`` setting says: the app calls ``build_formats`` once with it.
Adding a format is adding an entry here (and, for a new delivery, its drawing).
"""

import dataclasses
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

from ..core.errors import ParameterError
from ..encode.apng import ApngWriter
from ..encode.data_csv import encode_csv
from ..encode.gif import GifWriter
from ..encode.multipart import CONTENT_TYPE as STREAM_CONTENT_TYPE
from ..encode.png import DEFAULT_COMPRESSION, encode_png
from .looks import Look
from .options import (
    AnimationOptions,
    OptionParams,
    RenderOptions,
    StreamOptions,
    animation_option_params,
    check_animation_pixels,
    check_pixels,
    picture_option_params,
    stream_option_params,
)
from .params import parse_values
from .settings import Settings

#: How a format is drawn and sent: one image; successive frames into one file; frames sent as
#: they are drawn; or the numbers drawn, without a picture.
Delivery = Literal["still", "animation", "stream", "data"]


class FrameWriter(Protocol):
    """An animation's file being written (apng.ApngWriter, gif.GifWriter): one ``add`` per frame."""

    def add(self, rgba: npt.NDArray[np.uint8]) -> None: ...

    def finish(self) -> bytes: ...


@dataclass(frozen=True)
class Format:
    name: str  # the URL suffix: /plot/normal.<name>
    media_type: str  # Content-Type of the response
    label: str  # link text on pages
    delivery: Delivery  # how it is drawn and sent
    raster: bool = False  # drawn into the Agg canvas (a still's pixels, or every frame)
    # Two signatures, as the delivery says: still raster, or each stream frame: encode(rgba pixels, dpi) -> bytes;
    # data: encode(columns, rows) -> bytes
    encode: Callable[..., bytes] | None = None
    writer: Callable[[int, int, int], FrameWriter] | None = None  # animation: writer(frames, fps, dpi)
    #: The options it takes (options.py), declared once: parsing, pages and OpenAPI read them.
    options: OptionParams = picture_option_params
    linked: bool = True  # offered as a link on plot pages
    description: str = ""

    def encoder(self) -> Callable[..., bytes]:
        """``encode``, for the formats that make their bytes from pixels (raster stills, stream frames)
        or rows (CSV); the others are saved by matplotlib, or written frame by frame."""
        if self.encode is None:
            raise TypeError(f"format {self.name!r} is not encoded from pixels or rows")
        return self.encode

    def option_names(self, settings: Settings) -> tuple[str, ...]:
        """The names it takes as options: none of them is a plot parameter, any other is unknown."""
        return tuple(param.name for param in self.options(settings))

    def parse_options(self, args: Mapping[str, Any], settings: Settings) -> RenderOptions:
        """The options it declares, read from ``args`` and checked, then held to the budgets.

        ``args``: a ``RequestArgs`` (query text, or a JSON body's values when its ``from_json``).
        Keys that are not options (the plot's parameters) are left to ``Plot.parse``.
        """
        given = parse_values(args, self.options(settings), from_json=getattr(args, "from_json", False))
        size = given["size"]
        options = RenderOptions(self.name, given["dpi"], size.width, size.height, given["seed"],
                                Look(given["theme"], given["transparent"]))
        check_pixels(options, settings)
        if self.delivery == "animation":
            animation = AnimationOptions(given["frames"], given["fps"])
            check_animation_pixels(animation, settings, options.pixels)
            options = dataclasses.replace(options, animation=animation)
        elif self.delivery == "stream":
            options = dataclasses.replace(options, stream=StreamOptions(given["fps"], given["seconds"]))
        return options


def build_formats(png_compression: str = DEFAULT_COMPRESSION) -> dict[str, Format]:
    """The registry, with every PNG its formats write (stills, APNG frames, stream frames) deflated by
    ``png_compression`` (a ``png.COMPRESSIONS`` name): the app builds its own once, from its settings."""
    png = functools.partial(encode_png, compression=png_compression)
    return {fmt.name: fmt for fmt in (
        Format("png", "image/png", "PNG", "still", raster=True, encode=png, description="PNG image"),
        # SVG is image/svg+xml (the recipe's image/svg is not a type).
        Format("svg", "image/svg+xml", "SVG", "still", description="SVG drawing"),
        Format("pdf", "application/pdf", "PDF", "still", description="PDF document"),
        Format("apng", "image/apng", "APNG", "animation", raster=True, options=animation_option_params,
               writer=lambda frames, fps, dpi: ApngWriter(frames, fps, dpi, png_compression),
               description="animated PNG, looping forever: frames successive updates at fps"),
        Format("gif", "image/gif", "GIF", "animation", raster=True, options=animation_option_params,
               writer=lambda frames, fps, dpi: GifWriter(frames, fps),
               description="animated GIF, looping forever: frames successive updates at fps"),
        Format("csv", "text/csv", "data (CSV)", "data", encode=encode_csv,
               description="the data drawn, as CSV with a header row (plots with a data hook)"),
        # Not linked from pages: under the default sync workers it answers 503 (it needs threads).
        Format("stream", STREAM_CONTENT_TYPE, "live stream", "stream", raster=True, encode=png,
               options=stream_option_params, linked=False,
               description="live stream of PNG frames (multipart/x-mixed-replace), paced by the server"),
    )}


#: The registry at the default compression: what routes, pages and OpenAPI read (names, media types,
#: options), and what code outside an app encodes with.
FORMATS = build_formats()

def parse_format(text: str) -> Format:
    fmt = FORMATS.get(text.lower())
    if fmt is None:
        raise ParameterError("format", f"unsupported {text!r}; use one of {', '.join(FORMATS)}")
    return fmt
