import threading
import time

import pytest

from wsgi_plot.figures import pool as pool_module
from wsgi_plot.figures.pool import FigurePool, PoolExhausted


def test_reuses_an_idle_object_for_the_same_key():
    pool = FigurePool(2, timeout=0)
    with pool.checkout("a", object) as first:
        assert not first.reused
    with pool.checkout("a", object) as second:
        assert second.reused and second.figure is first.figure


def test_keys_do_not_share_objects():
    pool = FigurePool(4, timeout=0)
    with pool.checkout("a", object) as a:
        pass
    with pool.checkout("b", object) as b:
        assert b.figure is not a.figure and not b.reused


def test_an_exception_discards_the_object():
    pool = FigurePool(2, timeout=0)
    with pytest.raises(RuntimeError):
        with pool.checkout("a", object) as lease:
            broken = lease.figure
            raise RuntimeError
    assert pool.size == 0 and pool.in_use == 0
    with pool.checkout("a", object) as lease:
        assert lease.figure is not broken


def test_a_failed_build_frees_its_slot():
    pool = FigurePool(1, timeout=0)

    def fail():
        raise ValueError

    with pytest.raises(ValueError):
        with pool.checkout("a", fail):
            pass
    with pool.checkout("a", object):
        assert pool.size == 1


def test_bounded_total_evicts_the_least_recently_used_key():
    pool = FigurePool(2, timeout=0)
    objs: dict[str, object] = {}
    for key in ["a", "b", "a", "c"]:
        with pool.checkout(key, object) as lease:
            objs.setdefault(key, lease.figure)
    assert pool.size == 2
    with pool.checkout("a", object) as lease:  # "b" was the oldest idle key, so "a" survived
        assert lease.reused and lease.figure is objs["a"]
    with pool.checkout("b", object) as lease:
        assert not lease.reused


def test_a_release_that_raises_keeps_no_slot(caplog):
    """Evicting a figure whose release() raises: the request that evicted it gets its figure, and
    the pool's count stays right (it used to keep the reserved slot: every later checkout was
    PoolExhausted)."""

    class Broken:
        def release(self):
            raise RuntimeError("a private attribute went away")

    pool = FigurePool(1, timeout=0)
    with pool.checkout("a", Broken):
        pass
    for key in ("b", "c", "b"):  # each evicts the one before
        with pool.checkout(key, object) as lease:
            assert lease.figure is not None
    assert pool.size == 1 and pool.in_use == 0
    assert "releasing a dropped figure failed" in caplog.text


def test_full_pool_times_out_with_pool_exhausted():
    pool = FigurePool(1, timeout=0.2)
    with pool.checkout("a", object):
        started = time.monotonic()
        with pytest.raises(PoolExhausted):
            with pool.checkout("b", object):
                pass
        assert time.monotonic() - started >= 0.2


def hold_in_thread(pool, key, seconds):
    """A started thread that holds ``key``'s object for ``seconds``; returns once it holds it."""
    holding = threading.Event()

    def holder():
        with pool.checkout(key, object):
            holding.set()
            time.sleep(seconds)

    thread = threading.Thread(target=holder)
    thread.start()
    holding.wait()
    return thread


def test_waiter_gets_the_object_when_it_is_returned():
    pool = FigurePool(1, timeout=5)
    got = []
    thread = hold_in_thread(pool, "a", 0.2)
    with pool.checkout("a", object) as lease:
        got.append(lease.reused)
    thread.join()
    assert got == [True] and pool.size == 1


def test_each_checkout_is_exclusive_under_threads():
    pool = FigurePool(3, timeout=10)
    holders: dict[int, int] = {}
    errors = []

    def worker():
        for _ in range(200):
            with pool.checkout("k", object) as lease:
                me = threading.get_ident()
                if holders.setdefault(id(lease.figure), me) != me:
                    errors.append("shared")
                holders.pop(id(lease.figure))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and pool.in_use == 0 and pool.size <= 3


def test_reports_figures_in_use_on_every_change():
    reports: list[int] = []
    pool = FigurePool(2, timeout=0, on_in_use=reports.append)
    with pool.checkout("a", object):
        with pytest.raises(RuntimeError), pool.checkout("b", object):
            raise RuntimeError  # "b" is dropped, not kept
    with pytest.raises(RuntimeError):
        with pool.checkout("a", object):
            raise RuntimeError
    assert reports == [1, 2, 1, 0, 1, 0]


class SteppedClock:
    """The pool's clock, moved only by the test: waits measured exactly, whatever the machine's speed."""

    def __init__(self):
        self.now = 1000.0
        self.read = threading.Event()

    def monotonic(self):
        self.read.set()
        return self.now


def test_lease_tells_how_long_it_waited_for_a_figure(monkeypatch):
    clock = SteppedClock()
    monkeypatch.setattr(pool_module, "time", clock)
    pool = FigurePool(1, timeout=30)
    waits = []

    def waiter():
        with pool.checkout("a", object) as lease:
            waits.append(lease.waited)

    with pool.checkout("a", object) as first:
        assert first.waited == 0  # no one held it
        clock.read.clear()
        thread = threading.Thread(target=waiter)
        thread.start()
        assert clock.read.wait(30)  # the waiter has started its checkout
        clock.now += 2.5  # then this much time passes before the figure is given back
    thread.join(30)
    assert waits == [2.5]
