"""Plots that move: the frame loop, and the options and limits of animations and streams.

A frame is one ``update`` of a pooled figure drawn by the fast path, as
matplotlib's ``FuncAnimation`` calls its ``func`` once per frame. A plot
declared with ``update_takes_frame=True`` is told which frame it draws (the
random walk grows step by step) and gets the same random numbers on every
frame, so that each frame can show more of the same data; any other plot
draws a new sample per frame from one generator, so a seed fixes them all.
"""

import math
import time
from dataclasses import dataclass

import numpy as np

from .errors import ParameterError, PixelBudgetExceeded
from .params import parse_int
from .render import DRAW_LOCK, RenderTimeout

MIN_FRAMES, MAX_FRAMES, DEFAULT_FRAMES = 2, 600, 30  # 600: a minute at 10 fps
MAX_ANIMATION_FPS, DEFAULT_ANIMATION_FPS = 50, 10  # 50: GIF delays are hundredths; browsers clamp faster ones
MAX_STREAM_FPS, DEFAULT_STREAM_FPS = 30, 2  # each frame is a full PNG sent to each client

#: An animation's render deadline is ``render_timeout`` per started group of this many frames: the
#: default animation (30 frames of the default 1200x900 image) gets one render_timeout, like one image.
FRAMES_PER_RENDER_TIMEOUT = 30


@dataclass(frozen=True)
class Frame:
    """Which frame an update draws: ``number`` counts from 0 to ``count - 1``."""

    number: int
    count: int


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


def _bounded_int(args, name: str, default: int, low: int, high: int) -> int:
    if name not in args:
        return default
    value = parse_int(name, args[name])
    if not low <= value <= high:
        raise ParameterError(name, f"must lie in [{low}, {high}], got {value}")
    return value


def parse_animation_options(args, settings, pixels: tuple[int, int]) -> AnimationOptions:
    """``frames`` and ``fps`` from the query, and the budget of ``frames x width x height``.

    Checked before anything is drawn: the pixels drawn and encoded, the CPU time and the memory
    of the frames kept until the file is written all grow with that product.
    """
    frames = _bounded_int(args, "frames", DEFAULT_FRAMES, MIN_FRAMES, MAX_FRAMES)
    fps = _bounded_int(args, "fps", DEFAULT_ANIMATION_FPS, 1, MAX_ANIMATION_FPS)
    width, height = pixels
    if frames * width * height > settings.max_animation_pixels:
        most = max(settings.max_animation_pixels // (width * height), 0)
        raise PixelBudgetExceeded(
            "frames", f"{frames} frames of {width}x{height} px exceed the budget of {settings.max_animation_pixels} "
                      f"pixels (max_animation_pixels); at this size at most {most} frames")
    return AnimationOptions(frames, fps)


def frames_that_fit(settings, pixels: tuple[int, int]) -> int | None:
    """The default frame count, or fewer so that the budget holds at this size; None when not even two fit.

    What a page links to: an animation of the picture it shows that the server will draw.
    """
    width, height = pixels
    frames = min(DEFAULT_FRAMES, settings.max_animation_pixels // (width * height))
    return frames if frames >= MIN_FRAMES else None


def parse_stream_options(args, settings) -> StreamOptions:
    fps = _bounded_int(args, "fps", DEFAULT_STREAM_FPS, 1, MAX_STREAM_FPS)
    seconds = _bounded_int(args, "seconds", settings.max_stream_seconds, 1, settings.max_stream_seconds)
    return StreamOptions(fps, seconds)


def animation_deadline(settings, frames: int, now: float | None = None) -> float:
    """The ``time.monotonic()`` by which an animation of ``frames`` frames must be drawn and encoded,
    by ``render_timeout`` alone (the server's own timeout may set an earlier one: server_limits.py)."""
    now = time.monotonic() if now is None else now
    return now + settings.render_timeout * math.ceil(frames / FRAMES_PER_RENDER_TIMEOUT)


class FrameSource:
    """The random numbers of successive frames of one animation or stream.

    ``rng(number)`` is the generator frame ``number`` draws with: one generator
    carried on from frame to frame, or, for plots whose update takes the frame,
    the same starting state for every frame.
    """

    def __init__(self, plot, seed: int | None):
        self.takes_frame = getattr(plot, "update_takes_frame", False)
        self._rng = np.random.default_rng(seed)
        self._start = self._rng.bit_generator.state

    def rng(self) -> np.random.Generator:
        if self.takes_frame:
            self._rng.bit_generator.state = self._start
        return self._rng


def draw_frame(prepared, values, rng, frame: Frame, deadline: float | None = None) -> np.ndarray:
    """Update ``prepared`` for ``frame`` and draw it; returns its RGBA pixels.

    The array is a view of the figure's canvas: read it before the figure is drawn again.
    """
    prepared.load(values)
    with DRAW_LOCK:
        if deadline is not None and time.monotonic() > deadline:
            raise RenderTimeout(f"animation passed its deadline before frame {frame.number}")
        prepared.update(values, rng, frame)
        prepared.draw_agg()
    return np.asarray(prepared.canvas.buffer_rgba())


class CannotFinish(Exception):
    """The frames drawn so far say the rest cannot be drawn by the deadline."""

    def __init__(self, seconds_per_frame: float, frames_that_fit: float):
        super().__init__(f"about {seconds_per_frame:.3f} s a frame: {frames_that_fit:.0f} frames fit")
        self.seconds_per_frame = seconds_per_frame
        self.frames_that_fit = frames_that_fit


#: Frames drawn before their cost is taken to predict the rest: the first alone may include
#: building the figure and its layout, which later frames reuse.
FRAMES_MEASURED = 2


def animate(prepared, values, source: FrameSource, options: AnimationOptions, writer, deadline: float,
            clock=time.monotonic) -> bytes:
    """Draw ``options.frames`` frames into ``writer`` (an ApngWriter or GifWriter) and return the file.

    Each frame is encoded while the next waits for the draw lock, outside it, so other
    requests' draws interleave with a long animation instead of waiting for all of it. Once
    ``FRAMES_MEASURED`` frames are drawn and encoded, and after each one from then on, their
    mean cost predicts the rest: an animation that would end past ``deadline`` raises
    :class:`CannotFinish` at once instead of drawing on until the deadline (or the server) ends it.
    """
    started = clock()
    for number in range(options.frames):
        writer.add(draw_frame(prepared, values, source.rng(), Frame(number, options.frames), deadline))
        done = number + 1
        if FRAMES_MEASURED <= done < options.frames:
            now = clock()
            per_frame = (now - started) / done
            if now + per_frame * (options.frames - done) > deadline:
                raise CannotFinish(per_frame, (deadline - started) / per_frame if per_frame > 0 else options.frames)
    if clock() > deadline:
        raise RenderTimeout("animation passed its deadline while encoding")
    return writer.finish()
