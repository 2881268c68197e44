"""Plots that move: the frame loop and the deadline of animations and streams (their options: options.py).

A frame is one ``update`` of a pooled figure drawn by the fast path, as
matplotlib's ``FuncAnimation`` calls its ``func`` once per frame. A plot
declared with ``update_takes_frame=True`` is told which frame it draws (the
random walk grows step by step) and gets the same random numbers on every
frame, so that each frame can show more of the same data; any other plot
draws a new sample per frame from one generator, so a seed fixes them all.
"""

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from ..core.frame import Frame
from ..declare.options import DEFAULT_FRAMES, MIN_FRAMES, AnimationOptions
from ..declare.params import Values
from ..declare.settings import Settings
from .pipeline import BetweenSteps, draw_frame

if TYPE_CHECKING:
    from ..declare.formats import FrameWriter
    from ..declare.plot import Plot
    from .render import PreparedFigure

#: An animation's render deadline is ``render_timeout`` per started group of this many frames: the
#: default animation (30 frames of the default 1200x900 image) gets one render_timeout, like one image.
FRAMES_PER_RENDER_TIMEOUT = 30


def frames_that_fit(settings: Settings, pixels: tuple[int, int]) -> int | None:
    """The default frame count, or fewer so that the budget holds at this size; None when not even two fit.

    What a page links to: an animation of the picture it shows that the server will draw.
    """
    width, height = pixels
    frames = min(DEFAULT_FRAMES, settings.max_animation_pixels // (width * height))
    return frames if frames >= MIN_FRAMES else None


def animation_deadline(settings: Settings, frames: int, now: float | None = None) -> float:
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

    def __init__(self, plot: "Plot", seed: int | None):
        self.takes_frame = plot.update_takes_frame
        self._rng = np.random.default_rng(seed)
        self._start = self._rng.bit_generator.state

    def rng(self) -> np.random.Generator:
        if self.takes_frame:
            self._rng.bit_generator.state = self._start
        return self._rng


class CannotFinish(BetweenSteps):
    """The frames drawn so far say the rest cannot be drawn by the deadline. Raised between frames:
    the figure is whole and goes back to the pool."""

    def __init__(self, seconds_per_frame: float, frames_that_fit: float):
        super().__init__(f"about {seconds_per_frame:.3f} s a frame: {frames_that_fit:.0f} frames fit")
        self.seconds_per_frame = seconds_per_frame
        self.frames_that_fit = frames_that_fit


#: Frames drawn before their cost is taken to predict the rest: the first alone may include
#: building the figure and its layout, which later frames reuse.
FRAMES_MEASURED = 2


def animate(prepared: "PreparedFigure", values: Values, source: FrameSource, options: AnimationOptions,
            writer: "FrameWriter", deadline: float, clock: Callable[[], float] = time.monotonic) -> bytes:
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
    return writer.finish()  # every frame drawn: finished and answered, even past the deadline
