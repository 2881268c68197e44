"""Reusing encoded images: which responses may be reused, under which key, and a per-process cache.

A still image depends only on its request when its plot draws no random numbers or a ``seed``
is given, and for as long as its plot's ``freshness`` says (:mod:`wsgi_plot.declare.plot`). Such a
response is keyed by the request *as parsed*: the plot, every parsed option and every parameter
value, defaults filled in, so that parameter order, a default written out or left out, the
ignored ``_`` cache buster, ``1`` or ``1.0``, a query or the same values as a JSON body all give
one key. No header is part of it, and none can change an image.

The same rule and key serve two caches: nginx's (deploy/nginx.conf asks the app for a request's
key and keeps the image as long as ``X-Accel-Expires`` says) and :class:`ResponseCache`, one per
process, for an app served without that front.

Worst case of :class:`ResponseCache`: ``max_bytes`` of images plus about ``ENTRY_OVERHEAD``
each (so at most ``max_bytes / ENTRY_OVERHEAD`` entries however small), plus the images being
drawn at that moment (bounded by the pool); a lookup is a dict access under a lock, an
eviction O(1). A flood of distinct requests only evicts. Identical requests that arrive
together wait for one render (single-flight), each for at most the render's own deadline; when it
fails, one of them retries while the others wait again: at most two renders per burst, never N.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.metadata
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.wrappers import Response

from .. import __version__
from ..core.budgets import LARGEST_SHARE, no_report
from ..figures.theme import fonts

if TYPE_CHECKING:
    from ..declare.options import RenderOptions
    from ..declare.params import Values
    from ..declare.plot import Plot
    from ..declare.settings import Settings

#: Bytes an entry costs besides its image: the key (64 hex chars), the entry and its dict slots.
#: Counted so that a flood of tiny images is bounded by count as well as bytes.
ENTRY_OVERHEAD = 512

#: The request header with which deploy/nginx.conf asks for a request's key: the answer is 204 with
#: ``X-Cache-Key`` (none when the response may not be reused, or the request is bad), nothing drawn.
KEY_ONLY_HEADER = "X-Cache-Key-Only"

#: Seconds nginx may keep a URL's key answer: the key of a URL never changes while the app runs,
#: but a deploy changes it (:func:`cache_key`), and a picture is stale for as long as nginx keeps
#: the old answer. So one second: a hot URL costs the instances one key request a second, and a
#: deploy's pictures are served a second after its instances answer. A bad request's is never kept.
KEY_ANSWER_SECONDS = 1

#: What X-Accel-Expires says for FOREVER: a year; nginx's `inactive` drops what nobody asks for.
FOREVER_SECONDS = 365 * 86400


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


def expiry(now: float, fresh_for: float) -> float:
    """When an image made at ``now`` (epoch seconds) stops being served: ``now + fresh_for`` rounded
    down to a whole second, the unit nginx keeps time in, so that the app's copy and nginx's expire
    together and a picture is never older than its freshness. A freshness under a second that
    reaches no whole second is kept by the app alone."""
    if fresh_for == math.inf:
        return math.inf
    whole = math.floor(now + fresh_for)
    return whole if whole > now else now + fresh_for


def accel_expires(expires: float, now: float) -> str:
    """X-Accel-Expires for an image served until ``expires``: "@T" keeps it while nginx's clock reads
    second T or earlier (so until ``expires`` when that is whole), 0 not at all."""
    if expires == math.inf:
        return str(FOREVER_SECONDS)
    if expires != int(expires) or expires <= now:
        return "0"
    return f"@{int(expires) - 1}"


def cache_headers(key: str | None, expires: float, now: float) -> dict[str, str]:
    """What an image response tells a caching proxy: its key, and until when it may keep it."""
    headers = {"X-Accel-Expires": accel_expires(expires, now) if key else "0"}
    if key:
        headers["X-Cache-Key"] = key
    return headers


def key_only_response(key: str | None, keep_seconds: int = KEY_ANSWER_SECONDS) -> Response:
    """The answer to a request sent with KEY_ONLY_HEADER: 204, its key if it has one."""
    headers = {"X-Accel-Expires": str(keep_seconds)}
    if key:
        headers["X-Cache-Key"] = key
    return Response(status=204, headers=headers)


@dataclass(frozen=True)
class CachedImage:
    data: bytes
    timing: str  # the Server-Timing of the render that made it
    expires: float  # epoch seconds (the cache's clock) from which it is not served

    @property
    def nbytes(self) -> int:
        return len(self.data) + ENTRY_OVERHEAD


#: Renders one key's waiters make after the render they waited for failed: one retry, led by one of
#: them, which the others wait for; if it fails too, they all fail with its error (never N renders).
RETRIES = 1


class _Flight:
    """A render in progress that identical requests wait for."""

    def __init__(self, attempt: int = 0) -> None:
        self.attempt = attempt  # 0: the first render of this key; 1: a waiters' retry
        self.done = threading.Event()
        self.image: CachedImage | None = None  # set by the request that renders, unless it failed
        self.error: BaseException | None = None  # why it failed, for waiters who get no retry


class ResponseCache:
    """Encoded images of one process, least recently used dropped first, at most ``max_bytes``."""

    def __init__(self, max_bytes: int, *, clock: Callable[[], float] = time.time,
                 on_hit: Callable[[], object] | None = None, on_miss: Callable[[], object] | None = None,
                 on_joined: Callable[[], object] | None = None, on_evicted: Callable[[], object] | None = None,
                 on_bytes: Callable[[int], object] | None = None) -> None:
        self.max_bytes = max_bytes
        self.clock = clock
        self.nbytes = 0
        self._entries: OrderedDict[str, CachedImage] = OrderedDict()  # least recently used first
        self._flights: dict[str, _Flight] = {}
        self._lock = threading.Lock()
        self._on_hit, self._on_miss, self._on_joined = on_hit or no_report, on_miss or no_report, on_joined or no_report
        self._on_evicted, self._on_bytes = on_evicted or no_report, on_bytes or no_report

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, key: str, fresh_for: float, render: Callable[[], tuple[bytes, str]],
               wait: float) -> tuple[CachedImage, bool]:
        """``(image, hit)``: the stored image for ``key``, else the one ``render()`` makes, kept for ``fresh_for`` s.

        ``render()`` returns ``(data, timing)``. While one request renders a key, identical ones wait
        up to ``wait`` seconds for its image. If that render fails, one waiter renders again (RETRIES)
        while the rest wait for it; if the retry fails as well, every one of its waiters raises its
        error. A waiter whose render is late (past ``wait``) draws for itself, storing nothing.
        """
        attempt = 0
        while True:
            with self._lock:
                image = self._fresh(key)
                if image is not None:
                    self._on_hit()
                    return image, True
                flight = self._flights.get(key)
                leader = flight is None
                if flight is None:
                    flight = self._flights[key] = _Flight(attempt)
            if leader:
                return self._lead(key, flight, fresh_for, render), False
            if not flight.done.wait(wait):
                # Late: draw for this request, storing nothing (the leader does).
                self._on_miss()
                data, timing = render()
                return CachedImage(data, timing, expiry(self.clock(), fresh_for)), False
            if flight.image is not None:
                self._on_joined()
                return flight.image, True
            if flight.attempt >= RETRIES:
                assert flight.error is not None  # a flight done without an image failed
                raise flight.error
            attempt = flight.attempt + 1  # the render waited for failed: one of its waiters leads the retry

    def _lead(self, key: str, flight: _Flight, fresh_for: float, render: Callable[[], tuple[bytes, str]]) -> CachedImage:
        """Render ``key`` for ``flight``'s waiters and store it; on failure they learn why."""
        try:
            self._on_miss()
            data, timing = render()
            image = CachedImage(data, timing, expiry(self.clock(), fresh_for))
            flight.image = image
            self._store(key, image)
            return image
        except BaseException as exc:
            flight.error = exc
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()

    def _fresh(self, key: str) -> CachedImage | None:
        """The entry for ``key`` if it has not expired (an expired one is dropped); under the lock."""
        image = self._entries.get(key)
        if image is None:
            return None
        if self.clock() >= image.expires:
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return image

    def _store(self, key: str, image: CachedImage) -> None:
        if image.nbytes > self.max_bytes // LARGEST_SHARE:
            return
        with self._lock:
            if key in self._entries:
                self._drop(key)
            while self._entries and self.nbytes + image.nbytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
                self._on_evicted()
            self._entries[key] = image
            self.nbytes += image.nbytes
            self._on_bytes(self.nbytes)

    def _drop(self, key: str) -> None:
        self.nbytes -= self._entries.pop(key).nbytes
        self._on_bytes(self.nbytes)
