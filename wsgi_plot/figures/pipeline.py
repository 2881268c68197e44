"""The one figure pipeline: lease → load → update and draw → encode.

Stills, every frame of an animation or a stream, the readiness probe, warm-up and alt text all
take their figure from :meth:`FigurePipeline.lease` and draw through :func:`draw_still` or
:func:`draw_frame`, which share one step (:func:`_update_and_draw`) and one deadline rule:

* the deadline bounds work not yet begun: a render that has not begun its update and draw by the
  deadline (the draw lock may have been held long: a host app's draw, a queue of renders) is not
  begun, and :class:`RenderTimeout` leaves the figure untouched; a render that has begun is
  finished, encoded and answered, even past the deadline, rather than thrown away;
* an exception the pipeline raises *between* steps (:class:`BetweenSteps`: a render timeout, an
  animation that cannot finish) returns the figure to the pool, as a fresh one would draw: every
  step either completes (a widened view is put back by the draw) or has not begun;
* an exception from the plot's own code (load, update, draw) or an encoder drops the figure: it
  may be half drawn. Either way the pool's slot is given back (pool.py).

Only matplotlib's work runs under the draw lock: the plot's ``load`` (a query, a file) runs before
it, and raster encoding after it, on a figure no other request can touch until it is returned.
"""

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..declare.formats import FORMATS, Format
from ..declare.looks import DEFAULT_LOOK, Look
from .mpl_compat import DRAW_LOCK
from .pool import FigurePool, Lease
from .render import PreparedFigure, prepared_figure_bytes

if TYPE_CHECKING:
    from ..core.frame import Frame
    from ..declare.options import RenderOptions
    from ..declare.plot import Plot


class BetweenSteps(Exception):
    """Raised between drawing steps, never inside one: the figure is whole and goes back to the pool."""


class RenderTimeout(BetweenSteps):
    """A render passed its deadline before its drawing began: the figure is untouched."""


@dataclass
class Timings:
    """Milliseconds per stage of one render (sent as Server-Timing)."""

    draw: float = 0.0
    encode: float = 0.0


class FigurePipeline:
    """Where a process's requests get their figures: the pool, and the app's formats (its PNG deflate)."""

    def __init__(self, pool: FigurePool, formats: dict[str, Format] = FORMATS):
        self.pool = pool
        self.formats = formats

    @contextmanager
    def lease(self, plot: "Plot", values: Any, options: "RenderOptions", key: tuple | None = None) -> Iterator[Lease]:
        """Exclusive use of a figure prepared for this plot, its static values, size, dpi and look.

        ``key``: the pool key, when not the one these make (the readiness probe keeps its own).
        A :class:`BetweenSteps` (a render timeout, an animation that cannot finish) leaves the block with
        the figure returned to the pool; any other exception drops it.
        """
        static = plot.static_values(values)
        if key is None:
            key = (plot.name, plot.static_key(values), options.width, options.height, options.dpi, options.look)
        nbytes = prepared_figure_bytes(plot, *options.pixels)
        keep = self.pool.keeps(nbytes)  # one too large to keep is drawn in full, saving nothing

        def build() -> PreparedFigure:
            return PreparedFigure(plot, static, options.width, options.height, options.dpi, reusable=keep,
                                  look=options.look)

        expired = None
        with self.pool.checkout(key, build, nbytes) as lease:
            try:
                yield lease
            except BetweenSteps as exc:
                expired = exc  # raised between steps: the figure is whole
        if expired is not None:
            raise expired

    def still(self, plot: "Plot", values: Any, options: "RenderOptions", rng: np.random.Generator,
              deadline: float | None, key: tuple | None = None) -> tuple[bytes, Timings, Lease]:
        """One still image in ``options.fmt``, through a leased figure; with the lease, for its wait."""
        with self.lease(plot, values, options, key) as lease:
            data, timings = draw_still(lease.figure, values, rng, self.formats[options.fmt], deadline)
        return data, timings, lease


def draw_still(prepared: PreparedFigure, values: Any, rng: np.random.Generator, fmt: Format | str,
               deadline: float | None = None) -> tuple[bytes, Timings]:
    """Draw ``values`` into ``prepared`` and encode it as ``fmt`` (a still ``Format`` or its name).

    A raster format is drawn into the Agg canvas by the fast path and encoded outside the draw
    lock; a vector one is saved by matplotlib under it. The figure stays reusable.
    """
    fmt = _still_format(fmt)
    timings = Timings()
    start = time.perf_counter()
    with _update_and_draw(prepared, values, rng, None, deadline, raster=fmt.raster):
        timings.draw = _ms_since(start)
        if not fmt.raster:
            start = time.perf_counter()
            data = prepared.encode_vector(fmt.name)
            timings.encode = _ms_since(start)
    if fmt.raster:
        # Outside the lock: the figure is ours until it goes back to the pool.
        start = time.perf_counter()
        data = fmt.encoder()(pixels(prepared), prepared.figure.dpi)
        timings.encode = _ms_since(start)
    return data, timings  # drawn: answered even past the deadline, which bounds only work not begun


def draw_frame(prepared: PreparedFigure, values: Any, rng: np.random.Generator, frame: "Frame",
               deadline: float | None = None) -> np.ndarray:
    """Update ``prepared`` for ``frame`` of an animation or stream and draw it; returns its RGBA pixels.

    The array is a view of the figure's canvas: read it before the figure is drawn again.
    """
    with _update_and_draw(prepared, values, rng, frame, deadline, raster=True):
        pass
    return pixels(prepared)


def render_unpooled(plot: "Plot", values: Any, rng: np.random.Generator, fmt: str, width: float, height: float,
                    dpi: int, frame: "Frame | None" = None, look: Look = DEFAULT_LOOK) -> bytes:
    """A full draw on a brand-new figure, laid out for this request's data: what the pool's fast
    path must equal (tests compare both with plain matplotlib too)."""
    still = _still_format(fmt)
    prepared = PreparedFigure(plot, plot.static_values(values), width, height, dpi, reusable=False, look=look)
    with _update_and_draw(prepared, values, rng, frame, None, raster=still.raster):
        if not still.raster:
            return prepared.encode_vector(still.name)
    return still.encoder()(pixels(prepared), prepared.figure.dpi)


def pixels(prepared: PreparedFigure) -> np.ndarray:
    """The RGBA pixels of the figure's last Agg draw (a view of its canvas)."""
    return np.asarray(prepared.canvas.buffer_rgba())


@contextmanager
def _update_and_draw(prepared: PreparedFigure, values: Any, rng: np.random.Generator, frame: "Frame | None",
                     deadline: float | None, raster: bool) -> Iterator[None]:
    """The one drawing step: under the draw lock, unless past the deadline, update the figure and (for
    a raster format) draw it into its canvas; the block runs under the lock after that (vector saves).
    Once the update has begun, the step is finished whatever the clock says.
    The plot's ``load`` runs first, outside the lock: a slow query stalls no other thread's draw."""
    _check_deadline(deadline, "the start")
    prepared.load(values)
    with DRAW_LOCK:
        _check_deadline(deadline, "the wait for the draw lock")
        prepared.update(values, rng, frame)
        if raster:
            prepared.draw_agg()
        yield


def _still_format(fmt: Format | str) -> Format:
    fmt = FORMATS[fmt] if isinstance(fmt, str) else fmt
    if fmt.delivery != "still":
        raise ValueError(f"{fmt.name} is not a still image; animations and streams draw frames")
    return fmt


def _ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def _check_deadline(deadline: float | None, stage: str) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise RenderTimeout(f"render passed its deadline during {stage}")
