"""A bounded, thread-safe pool of prepared figures, keyed by what is costly to change.

A key is whatever fixes a figure's static part (plot, static parameters,
size, dpi). The pool is bounded twice, so that arbitrary URLs cannot grow memory:

* by count: at most ``max_figures`` exist per process, idle or in use;
* by bytes: the figures it keeps, idle or in use, hold at most ``max_bytes``
  together, each counted at the most it may hold (the caller's estimate, or
  the object's ``nbytes`` after each use, whichever is larger). An object
  estimated above a quarter of that (``max_object_bytes``) is built for one
  request and dropped after it, never kept.

To make room, idle objects are dropped least recently used first. When the
room is held by objects in use, a request waits up to ``timeout`` seconds,
then gets ``PoolExhausted``. A dropped object's ``release()``, where it has one,
is called at once, to free its memory without waiting for the garbage collector.
"""

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import Any

from ..core.budgets import LARGEST_SHARE, no_report

log = logging.getLogger("wsgi_plot")

class PoolExhausted(Exception):
    """No figure became free within the pool's timeout."""


class Lease:
    """Exclusive use of one pooled object for the length of a ``with`` block."""

    __slots__ = ("figure", "reused", "waited", "pooled")

    def __init__(self, figure: Any, reused: bool, waited: float, pooled: bool):
        self.figure = figure  # a PreparedFigure for the app; the pool itself needs only its nbytes and release()
        self.reused = reused  # False when built for this request
        self.waited = waited  # seconds spent waiting for a free figure (building one not included)
        self.pooled = pooled  # False when it is too large to keep: dropped when the block ends


class FigurePool:
    """Callbacks keep the pool free of metrics: ``on_in_use(n)`` and ``on_bytes(n)`` get the number
    of objects in use and the bytes counted whenever they change (a gauge's ``set``), and
    ``on_evicted()`` is called once per idle object dropped to make room."""

    def __init__(self, max_figures: int = 8, timeout: float = 5.0, *, max_bytes: float = math.inf,
                 on_in_use: Callable[[int], None] | None = None, on_bytes: Callable[[float], None] | None = None,
                 on_evicted: Callable[[], None] | None = None):
        if max_figures < 1:
            raise ValueError("max_figures must be >= 1")
        if max_bytes < 0:
            raise ValueError("max_bytes must be >= 0")
        self.max_figures = max_figures
        self.max_bytes = max_bytes
        self.max_object_bytes = max_bytes / LARGEST_SHARE
        self.timeout = timeout
        self._on_in_use = on_in_use or no_report
        self._on_bytes = on_bytes or no_report
        self._on_evicted = on_evicted or no_report
        self._idle: OrderedDict[Hashable, list[tuple[Any, float]]] = OrderedDict()  # key -> [(object, bytes counted)], least recently used first
        self._total = 0  # objects alive: idle + in use, kept or not
        self._in_use = 0
        self._bytes: float = 0  # counted for the objects kept: idle + in use
        self._cond = threading.Condition()

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def size(self) -> int:
        return self._total

    @property
    def nbytes(self) -> float:
        """Bytes counted for the objects the pool keeps, idle and in use."""
        return self._bytes

    def keeps(self, nbytes: float) -> bool:
        """Whether an object estimated at ``nbytes`` would be kept after use, not dropped."""
        return nbytes <= self.max_object_bytes

    def has_room(self, nbytes: float) -> bool:
        """Whether an object of ``nbytes`` could be kept now without dropping another."""
        with self._cond:
            return (self.keeps(nbytes) and self._total < self.max_figures
                    and self._bytes + nbytes <= self.max_bytes)

    @contextmanager
    def checkout(self, key: Hashable, build: Callable[[], Any], nbytes: float = 0) -> Iterator[Lease]:
        """Lend an object for ``key``, building one with ``build()`` if none is idle.

        ``nbytes`` estimates the most a new object may hold. An exception
        inside the block discards the object: a render that raised may have
        left it half drawn.
        """
        started = time.monotonic()
        obj, counted = self._take(key, nbytes)
        waited = time.monotonic() - started
        reused = obj is not None
        if not reused:
            try:
                obj = build()
            except BaseException:
                self._drop(None, counted)
                raise
        lease = Lease(obj, reused, waited, pooled=counted is not None)
        try:
            yield lease
        except BaseException:
            self._drop(obj, counted)
            raise
        if counted is None:  # None: not pooled
            self._drop(obj, counted)
        else:
            self._give_back(key, obj, counted)

    def _take(self, key: Hashable, nbytes: float) -> tuple[Any, float | None]:
        """``(idle object or None, bytes counted for it)``; with None a slot is reserved to build
        one, and the bytes counted are None when it will not be kept."""
        keep = self.keeps(nbytes)
        need = nbytes if keep else 0
        deadline = time.monotonic() + self.timeout
        evicted = []
        try:
            with self._cond:
                while True:
                    idle = self._idle.get(key)
                    if idle:
                        obj, counted = idle.pop()
                        if not idle:
                            del self._idle[key]
                        self._set_in_use(self._in_use + 1)
                        return obj, counted
                    if self._can_make_room(need):
                        while self._total >= self.max_figures or self._bytes + need > self.max_bytes:
                            evicted.append(self._pop_oldest_idle())
                        self._total += 1
                        self._set_bytes(self._bytes + need)
                        self._set_in_use(self._in_use + 1)
                        return None, (need if keep else None)
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        raise PoolExhausted(f"all {self.max_figures} figures or {self.max_bytes / 2**20:g} MiB "
                                            f"of figures busy for {self.timeout:g} s")
                    self._cond.wait(remaining)
        finally:
            self._released(evicted, evictions=len(evicted))

    def _can_make_room(self, need: float) -> bool:
        """Whether dropping idle objects can free a slot and ``need`` bytes (under the lock)."""
        idle = [counted for objects in self._idle.values() for _, counted in objects]
        return (self._total - len(idle) < self.max_figures
                and self._bytes - sum(idle) + need <= self.max_bytes)

    def _pop_oldest_idle(self) -> Any:
        """Forget the least recently used idle object (under the lock); the caller releases it."""
        oldest_key, objects = next(iter(self._idle.items()))
        obj, counted = objects.pop(0)
        if not objects:
            del self._idle[oldest_key]
        self._total -= 1
        self._set_bytes(self._bytes - counted)
        return obj

    def _give_back(self, key: Hashable, obj: Any, counted: float) -> None:
        # The use may have grown the object (a cached SVG): count the larger of estimate and size.
        size = max(counted, getattr(obj, "nbytes", 0))
        evicted, dropped = [], []
        with self._cond:
            self._set_in_use(self._in_use - 1)
            self._set_bytes(self._bytes + size - counted)
            if self.keeps(size):
                while self._bytes > self.max_bytes and self._idle:
                    evicted.append(self._pop_oldest_idle())
            if not self.keeps(size) or self._bytes > self.max_bytes:
                self._total -= 1
                self._set_bytes(self._bytes - size)
                dropped.append(obj)
            else:
                self._idle.setdefault(key, []).append((obj, size))
                self._idle.move_to_end(key)
            self._cond.notify_all()
        self._released(evicted + dropped, evictions=len(evicted))

    def _drop(self, obj: Any, counted: float | None) -> None:
        """Free the slot of an object that is not kept (``obj`` None: it was never built)."""
        with self._cond:
            self._set_in_use(self._in_use - 1)
            self._total -= 1
            if counted:
                self._set_bytes(self._bytes - counted)
            self._cond.notify_all()
        self._released([] if obj is None else [obj], evictions=0)

    def _released(self, objects: list[Any], evictions: int) -> None:
        # Outside the lock: freeing a figure's buffers need not hold up other requests.
        for obj in objects:
            release = getattr(obj, "release", None)
            if release is None:
                continue
            try:
                release()
            except Exception:  # noqa: BLE001
                # The object is forgotten already and its slot counted free: a release that fails
                # (it touches matplotlib's private attributes) must not fail the request that evicted
                # it, nor keep the slot that request reserved. The garbage collector frees the rest.
                log.exception("releasing a dropped figure failed; left to the garbage collector")
        for _ in range(evictions):
            self._on_evicted()

    def _set_in_use(self, count: int) -> None:
        # Under the lock, so reports arrive in the order the count changed.
        self._in_use = count
        self._on_in_use(count)

    def _set_bytes(self, count: float) -> None:
        self._bytes = count
        self._on_bytes(count)
