"""The pool's byte budget: LRU eviction until a new object fits, outsized objects not kept, dropped ones released."""

import contextlib
import threading
import time

import pytest

from wsgi_plot.figures.pool import FigurePool, PoolExhausted


class Blob:
    """A pooled object of a known size that records its release."""

    def __init__(self, nbytes, name=""):
        self.nbytes = nbytes
        self.name = name
        self.released = False

    def release(self):
        self.released = True


class Dropped(Exception):
    """Raised inside a checkout: the pool drops the object instead of keeping it idle."""


def use(pool, key, nbytes, grow_to=None):
    """Check out ``key`` (building a Blob of ``nbytes``); the lease, after the block."""
    with pool.checkout(key, lambda: Blob(nbytes, key), nbytes) as lease:
        if grow_to is not None:
            lease.figure.nbytes = grow_to
    return lease


def test_idle_objects_are_evicted_least_recently_used_until_the_new_one_fits():
    evictions = []
    pool = FigurePool(8, timeout=0, max_bytes=100, on_evicted=lambda: evictions.append(1))
    a, b, c = (use(pool, key, 25).figure for key in "abc")
    use(pool, "a", 25)  # "a" is now the most recently used
    assert pool.nbytes == 75
    d = use(pool, "d", 25).figure
    assert pool.nbytes == 100 and not evictions
    e = use(pool, "e", 25).figure  # one must go: "b", the least recently used
    assert b.released and not (a.released or c.released or d.released or e.released)
    assert pool.nbytes == 100 and pool.size == 4 and len(evictions) == 1
    assert use(pool, "a", 25).reused and not use(pool, "b", 25).reused  # and "b" evicted "c"
    assert c.released and len(evictions) == 2


def test_an_object_over_a_quarter_of_the_budget_is_used_once_and_dropped():
    pool = FigurePool(8, timeout=0, max_bytes=100)
    kept = use(pool, "small", 25).figure
    lease = use(pool, "big", 26)
    assert not lease.pooled and lease.figure.released
    assert pool.size == 1 and pool.nbytes == 25 and not kept.released  # it evicted nothing
    assert not use(pool, "big", 26).reused


def test_an_object_that_grew_past_its_share_in_use_is_dropped():
    pool = FigurePool(8, timeout=0, max_bytes=100)
    lease = use(pool, "a", 10, grow_to=30)
    assert lease.pooled and lease.figure.released and pool.size == 0 and pool.nbytes == 0


def test_growth_in_use_evicts_others_and_is_counted():
    pool = FigurePool(8, timeout=0, max_bytes=100)
    for key in "abcd":
        use(pool, key, 24)
    first = use(pool, "a", 24, grow_to=25)  # reused; now 97 of 100
    assert pool.nbytes == 97 and not first.figure.released
    use(pool, "b", 24, grow_to=25)
    use(pool, "c", 24, grow_to=25)  # 99: still fits
    use(pool, "d", 24, grow_to=25)  # 100
    assert pool.nbytes == 100 and pool.size == 4
    use(pool, "e", 10)  # evicts "a", the least recently used
    assert pool.size == 4 and pool.nbytes == 85


def test_the_count_is_counted_at_the_larger_of_estimate_and_measure():
    pool = FigurePool(8, timeout=0, max_bytes=100)
    use(pool, "a", 20, grow_to=5)
    assert pool.nbytes == 20  # the estimate: it may yet draw what it was estimated to hold


def test_a_zero_budget_keeps_nothing_but_still_lends():
    pool = FigurePool(8, timeout=0, max_bytes=0)
    lease = use(pool, "a", 1)
    assert not lease.pooled and lease.figure.released and pool.size == 0


def test_exceptions_give_the_bytes_back_and_release():
    pool = FigurePool(8, timeout=0, max_bytes=100)
    with pytest.raises(RuntimeError):
        with pool.checkout("a", lambda: Blob(20), 20) as lease:
            raise RuntimeError
    assert lease.figure.released and pool.nbytes == 0 and pool.size == 0
    with pytest.raises(ValueError):
        with pool.checkout("a", lambda: (_ for _ in ()).throw(ValueError()), 20):
            pass
    assert pool.nbytes == 0 and pool.size == 0 and pool.in_use == 0


def test_bytes_held_in_use_make_a_request_wait_then_fail():
    pool = FigurePool(8, timeout=0.2, max_bytes=100)
    holding, done = threading.Event(), threading.Event()

    def hold(key):
        with pool.checkout(key, lambda: Blob(25), 25):
            holding.set()
            done.wait(10)

    threads = []
    for key in "abcd":
        holding.clear()
        threads.append(threading.Thread(target=hold, args=(key,)))
        threads[-1].start()
        holding.wait(10)
    try:
        started = time.monotonic()
        with pytest.raises(PoolExhausted, match="MiB"):
            use(pool, "e", 25)
        assert time.monotonic() - started >= 0.2
        assert not use(pool, "f", 30).pooled  # one not to be kept needs a slot, not bytes
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert use(pool, "e", 25).pooled and pool.nbytes == 100


def test_a_waiter_for_bytes_gets_them_when_an_object_in_use_is_dropped():
    pool = FigurePool(8, timeout=5, max_bytes=100)
    holding = [threading.Event() for _ in range(4)]

    def hold(index):
        with contextlib.suppress(Dropped), pool.checkout(index, lambda: Blob(25), 25):
            holding[index].set()
            time.sleep(0.3)
            raise Dropped  # gives its bytes back instead of keeping the object idle

    threads = [threading.Thread(target=hold, args=(index,)) for index in range(4)]
    for thread, held in zip(threads, holding):
        thread.start()
        held.wait(10)
    lease = use(pool, "e", 25)
    for thread in threads:
        thread.join()
    assert lease.pooled and lease.waited > 0.1 and pool.nbytes == 25


def test_bytes_and_evictions_are_reported():
    reported: list[float]
    reported, evicted = [], []
    pool = FigurePool(2, timeout=0, max_bytes=100, on_bytes=reported.append, on_evicted=lambda: evicted.append(1))
    use(pool, "a", 20)
    use(pool, "b", 20, grow_to=22)
    use(pool, "c", 10)  # the count bound evicts "a"
    assert reported[-1] == pool.nbytes == 32 and len(evicted) == 1
    assert max(reported) <= 100


def test_has_room_and_keeps():
    pool = FigurePool(2, timeout=0, max_bytes=100)
    assert pool.keeps(25) and not pool.keeps(26)
    assert pool.has_room(25)
    use(pool, "a", 25)
    use(pool, "b", 25)
    assert not pool.has_room(1)  # the count is full
