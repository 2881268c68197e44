"""The options of a request besides its plot's parameters, declared once, per format, as ``Param``s.

Every format takes the picture's options: ``dpi``, ``size``, ``seed``, ``theme`` and
``transparent``. An animation (APNG, GIF) adds ``frames`` and ``fps``; a live stream adds its
own ``fps`` (a slower maximum: each frame is a full PNG sent to each client) and ``seconds``; a
page adds ``refresh`` (refresh.py). Each format's ``options`` (formats.py) is one of the
``*_option_params`` functions below. Parsing (query text and JSON bodies alike), the page form,
the index page and the OpenAPI document all read these declarations, so the bounds documented
for a format are the bounds enforced for it; they come from ``Settings``.

Two checks span several values and are made here, after each value is checked on its own; each
declaration's help states the one it takes part in:

* the pixel budget: width x height x dpi² at most ``max_pixels`` (413 naming ``size``);
* an animation's budget: frames x width x height in pixels at most ``max_animation_pixels``
  (413 naming ``frames``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from ..core.errors import ParameterError, PixelBudgetExceeded
from .kinds import Size
from .looks import DEFAULT_THEME, THEMES, Look
from .params import Param, format_number
from .settings import Settings

MAX_SEED = 2**63 - 1  # numpy accepts any non-negative int; this keeps URLs sane

MIN_REFRESH = 1  # seconds; faster than this is load, not a dashboard
MAX_REFRESH = 3600  # seconds; an hour, beyond which a page is better reloaded by hand

#: The page's query key; never passed on to the plot or its image.
REFRESH_KEY = "refresh"


#: Its declaration: pages take it beside the picture's options (options.page_option_params).
REFRESH = Param(REFRESH_KEY, int, optional=True, minimum=MIN_REFRESH, maximum=MAX_REFRESH,
                help="seconds between reloads of the image in place; the page itself stays (blank: off)")


def pop_refresh(args: MutableMapping[str, Any]) -> int | None:
    """Remove ``refresh`` from a page's query and return it in seconds (None: a still page)."""
    if REFRESH_KEY not in args:
        return None
    seconds: int = REFRESH.parse(args.pop(REFRESH_KEY))
    return seconds


MIN_FRAMES, MAX_FRAMES, DEFAULT_FRAMES = 2, 600, 30  # 600: a minute at 10 fps
MAX_ANIMATION_FPS, DEFAULT_ANIMATION_FPS = 50, 10  # 50: GIF delays are hundredths; browsers clamp faster ones
MAX_STREAM_FPS, DEFAULT_STREAM_FPS = 30, 2  # each frame is a full PNG sent to each client


@dataclass(frozen=True)
class AnimationOptions:
    frames: int
    fps: int


@dataclass(frozen=True)
class StreamOptions:
    fps: int
    seconds: int

    @property
    def frames(self) -> int:
        return self.fps * self.seconds


@dataclass(frozen=True)
class RenderOptions:
    """A request's options, parsed for its format: the picture's, and an animation's or a stream's."""

    fmt: str
    dpi: int
    width: float  # inches
    height: float  # inches
    seed: int | None
    look: Look = Look()
    animation: AnimationOptions | None = None  # formats of kind "animation" only
    stream: StreamOptions | None = None  # the "stream" format only

    @property
    def pixels(self) -> tuple[int, int]:
        """Canvas size as Agg allocates it."""
        return int(self.width * self.dpi), int(self.height * self.dpi)

    def values(self) -> dict[str, Any]:
        """The picture's options by their declared names (picture_option_params), as parsed."""
        return {"dpi": self.dpi, "size": Size(self.width, self.height), "seed": self.seed,
                "theme": self.look.theme, "transparent": self.look.transparent}

    def query(self) -> dict[str, Any]:
        """The picture's options as URL query values (seed only when one was given)."""
        values: dict[str, Any] = {"dpi": self.dpi,
                                  "size": f"{format_number(self.width)}x{format_number(self.height)}"}
        if self.seed is not None:
            values["seed"] = self.seed
        if self.look.theme != DEFAULT_THEME:
            values["theme"] = self.look.theme
        if self.look.transparent:
            values["transparent"] = "true"
        return values


# -- the declarations, per format ------------------------------------------------------------------
# Cached per Settings (a frozen dataclass): they are read on every request.

@functools.lru_cache(maxsize=32)
def picture_option_params(settings: Settings) -> tuple[Param, ...]:
    """What every format takes: stills, CSV (the same request's numbers), animations and streams."""
    return (
        Param("dpi", int, settings.default_dpi, minimum=settings.min_dpi, maximum=settings.max_dpi,
              help="dots per inch"),
        Param("size", Size, settings.default_size_inches, minimum=settings.min_inches,
              maximum=settings.max_inches,
              help=f"figure size in inches, WIDTHxHEIGHT, each side in [{format_number(settings.min_inches)}, "
                   f"{format_number(settings.max_inches)}]; width x height x dpi^2 at most {settings.max_pixels} "
                   "pixels (max_pixels), else 413 naming size"),
        Param("seed", int, optional=True, minimum=0, maximum=MAX_SEED,
              help="the same seed gives the same image; random when left out"),
        Param("theme", str, DEFAULT_THEME, choices=tuple(THEMES),
              help="light: matplotlib's default style; dark: its dark_background style"),
        Param("transparent", bool, False,
              help="no background: PNG alpha 0, SVG and PDF without a background rectangle"),
    )


@functools.lru_cache(maxsize=32)
def animation_option_params(settings: Settings) -> tuple[Param, ...]:
    """An APNG's or GIF's: the picture's, and how many frames at what pace."""
    return picture_option_params(settings) + (
        Param("frames", int, DEFAULT_FRAMES, minimum=MIN_FRAMES, maximum=MAX_FRAMES,
              help=f"number of frames; frames x width x height at most {settings.max_animation_pixels} pixels "
                   "(max_animation_pixels), and drawn within the time the server allows, else 413 naming frames"),
        Param("fps", int, DEFAULT_ANIMATION_FPS, minimum=1, maximum=MAX_ANIMATION_FPS,
              help="frames per second of playback"),
    )


@functools.lru_cache(maxsize=32)
def stream_option_params(settings: Settings) -> tuple[Param, ...]:
    """A live stream's: the picture's, the pace the server sends frames at, and for how long."""
    return picture_option_params(settings) + (
        Param("fps", int, DEFAULT_STREAM_FPS, minimum=1, maximum=MAX_STREAM_FPS,
              help="frames per second the server draws and sends"),
        Param("seconds", int, settings.max_stream_seconds, minimum=1, maximum=settings.max_stream_seconds,
              help="how long the stream runs (max_stream_seconds at most)"),
    )


@functools.lru_cache(maxsize=32)
def page_option_params(settings: Settings) -> tuple[Param, ...]:
    """A plot page's: the picture's (its image is a PNG of them), and ``refresh``."""
    return picture_option_params(settings) + (REFRESH,)


#: A format's declarations: one of the functions above (``Format.options``).
OptionParams = Callable[[Settings], tuple[Param, ...]]


def _option_names() -> dict[str, str]:
    """Every option's name -> what takes it, read from the declarations above: a plot parameter of one
    of these names could not be told from the option in a request."""
    takers = {"the picture (every format)": picture_option_params, "animations": animation_option_params,
              "streams": stream_option_params, "pages": page_option_params}
    names: dict[str, str] = {}
    for taker, declarations in takers.items():
        for param in declarations(Settings()):
            names.setdefault(param.name, taker)
    return names


#: Option name -> what takes it; plot parameters may not use these names (registry.PlotRegistry.add).
OPTION_NAMES = _option_names()


def check_pixels(options: RenderOptions, settings: Settings) -> None:
    """width x height x dpi² within ``max_pixels`` (413), and not empty (400): checked before any canvas."""
    width, height = options.pixels
    if width * height > settings.max_pixels:
        raise PixelBudgetExceeded(
            "size", f"{width}x{height} px at dpi {options.dpi} exceeds the budget of {settings.max_pixels} pixels")
    if width < 1 or height < 1:
        raise ParameterError("size", f"{width}x{height} px at dpi {options.dpi} is empty")


def check_animation_pixels(animation: AnimationOptions, settings: Settings, pixels: tuple[int, int]) -> None:
    """The budget of ``frames x width x height``, checked before anything is drawn: the pixels drawn
    and encoded, the CPU time and the memory of the frames kept until the file is written all grow
    with that product."""
    width, height = pixels
    if animation.frames * width * height > settings.max_animation_pixels:
        most = max(settings.max_animation_pixels // (width * height), 0)
        raise PixelBudgetExceeded(
            "frames", f"{animation.frames} frames of {width}x{height} px exceed the budget of "
                      f"{settings.max_animation_pixels} pixels (max_animation_pixels); "
                      f"at this size at most {most} frames")
