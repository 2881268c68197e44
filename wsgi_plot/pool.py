"""A bounded, thread-safe pool of prepared figures, keyed by what is costly to change.

A key is whatever fixes a figure's static part (plot, static parameters,
size, dpi). At most ``max_figures`` exist per process, idle or in use, so
arbitrary URLs cannot grow memory: when the pool is full, the least recently
used idle figure of another key is dropped to make room, and when every figure
is in use a request waits up to ``timeout`` seconds, then gets ``PoolExhausted``.
"""

import threading
import time
from collections import OrderedDict
from contextlib import contextmanager


class PoolExhausted(Exception):
    """No figure became free within the pool's timeout."""


class Lease:
    """Exclusive use of one pooled object for the length of a ``with`` block."""

    __slots__ = ("obj", "reused", "waited", "discarded")

    def __init__(self, obj, reused: bool, waited: float):
        self.obj = obj
        self.reused = reused  # False when built for this request
        self.waited = waited  # seconds spent waiting for a free figure (building one not included)
        self.discarded = False

    def discard(self):
        """Do not return the object to the pool (its state is no longer trusted)."""
        self.discarded = True


class FigurePool:
    """``on_in_use(n)``, if given, is called with the number of figures in use whenever it changes
    (a gauge's ``set``), so the pool knows nothing of metrics."""

    def __init__(self, max_figures: int = 8, timeout: float = 5.0, on_in_use=None):
        if max_figures < 1:
            raise ValueError("max_figures must be >= 1")
        self.max_figures = max_figures
        self.timeout = timeout
        self._on_in_use = on_in_use or (lambda n: None)
        self._idle: OrderedDict = OrderedDict()  # key -> [objects], least recently used first
        self._total = 0  # objects alive: idle + in use
        self._in_use = 0
        self._cond = threading.Condition()

    @property
    def in_use(self) -> int:
        return self._in_use

    @property
    def size(self) -> int:
        return self._total

    @contextmanager
    def checkout(self, key, build):
        """Lend an object for ``key``, building one with ``build()`` if none is idle.

        An exception inside the block discards the object: a render that raised
        may have left it half drawn.
        """
        started = time.monotonic()
        obj = self._take(key)
        waited = time.monotonic() - started
        reused = obj is not None
        if not reused:
            try:
                obj = build()
            except BaseException:
                self._release_slot()
                raise
        lease = Lease(obj, reused, waited)
        try:
            yield lease
        except BaseException:
            self._release_slot()
            raise
        if lease.discarded:
            self._release_slot()
        else:
            self._give_back(key, obj)

    def _take(self, key):
        """An idle object for ``key``, or None after reserving a slot to build one."""
        deadline = time.monotonic() + self.timeout
        with self._cond:
            while True:
                idle = self._idle.get(key)
                if idle:
                    obj = idle.pop()
                    if not idle:
                        del self._idle[key]
                    self._set_in_use(self._in_use + 1)
                    return obj
                if self._total < self.max_figures:
                    self._total += 1
                    self._set_in_use(self._in_use + 1)
                    return None
                if self._idle:  # full, but another key's figure is idle: drop the oldest
                    oldest_key, objects = next(iter(self._idle.items()))
                    objects.pop(0)
                    if not objects:
                        del self._idle[oldest_key]
                    self._set_in_use(self._in_use + 1)
                    return None  # the dropped figure's slot is reused
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise PoolExhausted(f"all {self.max_figures} figures busy for {self.timeout:g} s")
                self._cond.wait(remaining)

    def _give_back(self, key, obj):
        with self._cond:
            self._set_in_use(self._in_use - 1)
            self._idle.setdefault(key, []).append(obj)
            self._idle.move_to_end(key)
            self._cond.notify()

    def _release_slot(self):
        with self._cond:
            self._set_in_use(self._in_use - 1)
            self._total -= 1
            self._cond.notify()

    def _set_in_use(self, count: int):
        # Under the lock, so reports arrive in the order the count changed.
        self._in_use = count
        self._on_in_use(count)
