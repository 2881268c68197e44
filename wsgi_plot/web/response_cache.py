"""The app's own cache of encoded images, one per process, for an app served without nginx's.

What may be reused and its key: :mod:`.cache_keys`; when an image expires: :mod:`.nginx_cache`.

Worst case of :class:`ResponseCache`: ``max_bytes`` of images plus about ``ENTRY_OVERHEAD``
each (so at most ``max_bytes / ENTRY_OVERHEAD`` entries however small), plus the images being
drawn at that moment (bounded by the pool); a lookup is a dict access under a lock, an
eviction O(1). A flood of distinct requests only evicts. Identical requests that arrive
together wait for one render (single-flight), each for at most the render's own deadline; when it
fails, one of them retries while the others wait again: at most two renders per burst, never N.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ..core.budgets import LARGEST_SHARE, no_report
from .nginx_cache import expiry

#: Bytes an entry costs besides its image: the key (64 hex chars), the entry and its dict slots.
#: Counted so that a flood of tiny images is bounded by count as well as bytes.
ENTRY_OVERHEAD = 512


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
