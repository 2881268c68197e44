"""Overload over real sockets: a threaded server, a deliberately slow plot, bounded waits."""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from wsgi_plot import Plot, PlotRegistry, create_app, default_registry

from .conftest import decode_png
from .metrics_text import samples, value
from .servers import threaded_server

pytestmark = pytest.mark.exclusive  # waits measured against the pool and render timeouts: alone (conftest.py)


class SlowPlot:
    """A full-draw plot that takes ``seconds`` or, if ``hold`` is set, until ``release()``."""

    def __init__(self, seconds=0.0, hold=False):
        self.seconds = seconds
        self.drawing = threading.Event()
        self.released = threading.Event()
        if not hold:
            self.released.set()
        self.plot = Plot("slow", draw=self.draw)

    def draw(self, fig, params, rng):
        self.drawing.set()
        self.released.wait(timeout=30)
        time.sleep(self.seconds)
        fig.add_subplot().plot([0, 1], [0, 1])

    def release(self):
        self.released.set()


def get(url, headers=None):
    """``(status, headers, body, seconds)``, for errors too."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as response:
            return response.status, response.headers, response.read(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read(), time.monotonic() - started


def registry_with(slow: SlowPlot) -> PlotRegistry:
    registry = default_registry()
    registry.add(slow.plot)
    return registry


def test_no_free_figure_within_the_timeout_is_503_with_retry_after():
    slow = SlowPlot(hold=True)
    app = create_app(registry=registry_with(slow), pool_size=1, pool_timeout=0.3)
    pool = app.pool
    with threaded_server(app) as base:
        holder = threading.Thread(target=lambda: results.append(get(base + "/plot/slow.png?dpi=20")))
        results: list[tuple] = []
        holder.start()
        assert slow.drawing.wait(10)

        rejected = []
        waiting = [threading.Thread(target=lambda: rejected.append(get(base + "/fig/5_2?dpi=20",
                                                                        {"Accept": "application/json"})))
                   for _ in range(6)]
        for thread in waiting:
            thread.start()
        for thread in waiting:
            thread.join()
        assert pool.size <= 1  # nothing built beyond the pool while they waited

        slow.release()
        holder.join()
        after = get(base + "/fig/5_2?dpi=20")
        metrics = samples(get(base + "/metrics")[2].decode())

    assert [r[0] for r in rejected] == [503] * 6
    for _, headers, body, seconds in rejected:
        assert headers["Retry-After"] == "1"
        assert json.loads(body)["error"]["status"] == 503
        # Waited for the pool timeout (0.3 s). The slow render cannot have ended first: it is
        # released only after every one of these answers.
        assert seconds >= 0.25
    assert results[0][0] == 200 and after[0] == 200
    assert value(metrics, "wsgi_plot_rejections_total", reason="pool_exhausted") == 6


def test_a_render_that_ends_past_its_deadline_is_answered_and_one_not_begun_by_it_is_503():
    """The deadline bounds work not yet begun: a draw under way when it passes is finished and
    answered (its CPU is spent; throwing the picture away would waste it), while a request still
    waiting for the draw lock at its deadline is refused without drawing. Both figures are kept."""
    slow = SlowPlot(hold=True)
    # Generous: building the first figure below must fit in it on a busy machine.
    app = create_app(registry=registry_with(slow), pool_size=2, render_timeout=2.0)
    pool = app.pool
    with threaded_server(app) as base:
        assert get(base + "/fig/5_2?dpi=20")[0] == 200  # its figure prepared before the lock is held
        answers, waiting = [], []
        request = threading.Thread(target=lambda: answers.append(get(base + "/plot/slow.png?dpi=20")))
        request.start()
        assert slow.drawing.wait(30)  # drawing has begun, under the draw lock
        waiter = threading.Thread(target=lambda: waiting.append(get(base + "/fig/5_2?dpi=20")))
        waiter.start()
        time.sleep(2.5)  # the waiter waits for the lock past its deadline; the slow draw runs past its own
        slow.release()
        request.join(30)
        waiter.join(30)
        ((status, headers, body, _),) = answers
        assert status == 200 and decode_png(body).size == (80, 60)
        ((status, headers, body, _),) = waiting
        assert status == 503 and headers["Retry-After"] == "1"
        assert b"too long" in body and b"Traceback" not in body
        assert pool.size == 2 and pool.in_use == 0  # both kept, and free again
        assert get(base + "/fig/5_2?dpi=20")[0] == 200  # the server goes on serving
        metrics = samples(get(base + "/metrics")[2].decode())
    assert value(metrics, "wsgi_plot_rejections_total", reason="render_timeout") == 1


@pytest.mark.parametrize("pool_size", [1, 3])
def test_concurrent_requests_never_exceed_the_pool(pool_size):
    sizes = []
    app = create_app(pool_size=pool_size, pool_timeout=10)
    pool = app.pool
    with threaded_server(app) as base:
        def fetch_some(i):
            for _ in range(3):
                assert get(base + f"/fig/{i}_2?dpi=20")[0] == 200
                sizes.append(pool.size)

        threads = [threading.Thread(target=fetch_some, args=(i,)) for i in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert len(sizes) == 18 and max(sizes) <= pool_size and pool.in_use == 0


def test_a_request_past_its_deadline_before_drawing_is_not_drawn_and_keeps_its_figure():
    """Waiting for the draw lock past the deadline: 503 without drawing; the untouched figure goes back to the pool."""
    from werkzeug.test import Client

    from wsgi_plot.figures.mpl_compat import DRAW_LOCK

    draws = []
    plot = Plot("counted", draw=lambda fig, p, rng: draws.append(1))
    app = create_app(registry=PlotRegistry([plot]), pool_size=1, render_timeout=2.0)  # the last render must fit
    pool = app.pool
    responses = []
    request = threading.Thread(target=lambda: responses.append(Client(app).get("/plot/counted.png?dpi=20")))
    with DRAW_LOCK:  # held by this thread, as a host app's long draw would hold it
        request.start()
        deadline = time.monotonic() + 30
        while pool.in_use == 0 and time.monotonic() < deadline:  # the request has its figure and waits for the lock
            time.sleep(0.01)
        assert pool.in_use == 1
        time.sleep(2.1)  # past the request's deadline, which began before its checkout
    request.join(30)
    (response,) = responses
    assert response.status_code == 503 and b"too long" in response.data
    assert draws == []
    assert pool.size == 1 and pool.in_use == 0  # kept: nothing was drawn on it
    assert Client(app).get("/plot/counted.png?dpi=20").status_code == 200 and draws == [1]
