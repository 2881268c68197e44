"""The app's own response cache, without a front: what is reused, under which key, for how long,
within which bound; identical requests arriving together wait for one render."""

import math
import threading
import time

import pytest
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app, default_registry
from wsgi_plot.declare.plot import FOREVER
from wsgi_plot.web.nginx_cache import accel_expires, expiry
from wsgi_plot.web.response_cache import ENTRY_OVERHEAD, ResponseCache

from .conftest import decode_png


class Clock:
    """Epoch seconds that move only when told."""

    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


def renders(app) -> float:
    return app.metrics.registry.get_sample_value("wsgi_plot_render_seconds_count", {"format": "png"}) or 0.0


def sample(app, name) -> float:
    return app.metrics.registry.get_sample_value(name) or 0.0


@pytest.fixture
def app():
    return create_app(default_dpi=50)  # 200x150 px: small renders


def test_identical_requests_render_once_whatever_their_order_defaults_and_form(app):
    client = Client(app)
    paths = ["/plot/line.png?y=3,1,4&title=Same", "/plot/line.png?title=Same&y=3,1,4",
             "/plot/line.png?title=Same&y=3,1.0,4&marker=none&dpi=50&size=4x3", "/plot/line.png?y=3,1,4&title=Same&_=x1"]
    responses = [client.get(path) for path in paths]
    responses.append(client.post("/plot/line.png", json={"y": [3, 1, 4], "title": "Same"}))  # a POST: its parsed body
    assert renders(app) == 1
    assert len({r.data for r in responses}) == 1 and decode_png(responses[0].data).size == (200, 150)
    assert [r.headers["Server-Timing"] == "cache;desc=hit" for r in responses] == [False, True, True, True, True]
    assert len({r.headers["X-Cache-Key"] for r in responses}) == 1
    for response in responses:
        assert response.status_code == 200 and response.cache_control.no_store  # to the client: keep nothing
    assert sample(app, "wsgi_plot_response_cache_hits_total") == 4
    assert sample(app, "wsgi_plot_response_cache_misses_total") == 1


def test_different_requests_have_different_keys(app):
    client = Client(app)
    keys = {client.get(path).headers["X-Cache-Key"] for path in [
        "/plot/line.png?y=3,1,4", "/plot/line.png?y=3,1,5", "/plot/line.png?y=3,1,4&dpi=60",
        "/plot/line.png?y=3,1,4&size=4x2", "/plot/line.svg?y=3,1,4", "/plot/bar.png?values=3,1,4&labels=a,b,c"]}
    assert len(keys) == 6 and renders(app) == 5  # one SVG


def test_a_random_plot_without_a_seed_is_never_reused_and_a_seeded_one_is(app):
    client = Client(app)
    unseeded = [client.get("/fig/5_2") for _ in range(3)]
    assert len({r.data for r in unseeded}) == 3 and renders(app) == 3
    assert all("X-Cache-Key" not in r.headers and r.headers["X-Accel-Expires"] == "0" for r in unseeded)
    seeded = [client.get("/fig/5_2?seed=9"), client.get("/plot/normal.png?var=2&mean=5&seed=9")]
    assert len({r.data for r in seeded}) == 1 and renders(app) == 4
    assert seeded[1].headers["Server-Timing"] == "cache;desc=hit"


def test_an_undeclared_plot_is_never_reused():
    registry = PlotRegistry([Plot("plain", draw=lambda fig, p, rng: fig.add_subplot().plot([1, 2]), random=False)])
    app = create_app(registry=registry, default_dpi=30)
    client = Client(app)
    for _ in range(2):
        assert "X-Cache-Key" not in client.get("/plot/plain.png").headers
    assert renders(app) == 2


def test_a_fresh_for_a_second_image_is_drawn_again_after_its_second():
    clock = Clock(1000.2)
    cache = ResponseCache(1 << 20, clock=clock)
    drawn = []

    def render():
        drawn.append(clock.now)
        return b"image %d" % len(drawn), "draw"

    for now in (1000.2, 1000.9, 1000.99):
        clock.now = now
        image, _ = cache.lookup("k", 1.0, render, wait=1)
    assert drawn == [1000.2] and image.expires == 1001  # at the second nginx counts in, never later than 1 s
    clock.now = 1001.0
    image, hit = cache.lookup("k", 1.0, render, wait=1)
    assert not hit and drawn == [1000.2, 1001.0] and image.expires == 1002


def test_x_accel_expires_never_lets_nginx_keep_an_image_past_its_freshness():
    assert accel_expires(expiry(1000.2, 1.0), 1000.2) == "@1000"  # nginx keeps it through second 1000: until 1001
    assert accel_expires(expiry(1000.2, 0.5), 1000.2) == "0"  # under a second: the app's copy only
    assert accel_expires(expiry(1000.2, FOREVER), 1000.2) == str(365 * 86400)
    assert expiry(1000.2, 0.5) == pytest.approx(1000.7)
    assert math.isinf(expiry(5.0, math.inf))


def test_the_byte_bound_holds_under_10000_distinct_urls():
    """A flood of distinct URLs only evicts: at the bound, entries count with their overhead."""
    bound = 64 * 1024
    # The cheapest image there is (an empty 5x5 px figure), so that 10,000 renders take seconds.
    dot = Plot("dot", [Param("v", float, 0.0)], draw=lambda fig, p, rng: None, layout=False,
               freshness=FOREVER, random=False)
    app = create_app(registry=PlotRegistry([dot]), response_cache_bytes=bound, default_dpi=10,
                     default_size="0.5x0.5", warm=False)
    client = Client(app)
    cache = app.images.cache
    assert cache is not None
    most = 0
    for i in range(10_000):
        response = client.get(f"/plot/dot.png?v={i}")
        assert response.status_code == 200
        most = max(most, cache.nbytes)
    assert most <= bound and cache.nbytes <= bound
    assert len(cache) <= bound // ENTRY_OVERHEAD
    evictions = sample(app, "wsgi_plot_response_cache_evictions_total")
    assert evictions >= 10_000 - len(cache) - 1
    assert sample(app, "wsgi_plot_response_cache_bytes") == cache.nbytes


def test_an_image_over_a_quarter_of_the_bound_is_served_not_kept():
    cache = ResponseCache(4000, clock=Clock())
    image, _ = cache.lookup("big", FOREVER, lambda: (b"x" * 1000, "draw"), wait=1)
    assert image.data == b"x" * 1000 and len(cache) == 0 and cache.nbytes == 0


def test_the_bound_at_zero_turns_the_cache_off():
    app = create_app(response_cache_bytes=0, default_dpi=30)
    client = Client(app)
    responses = [client.get("/plot/line.png?y=1,2") for _ in range(2)]
    assert renders(app) == 2 and app.images.cache is None
    assert responses[1].headers["X-Accel-Expires"] == str(365 * 86400)  # a front may still keep it


def test_identical_requests_arriving_together_wait_for_one_render():
    cache = ResponseCache(1 << 20)
    started, release = threading.Event(), threading.Event()
    drawn = []

    def render():
        drawn.append(1)
        started.set()
        release.wait(10)
        return b"one", "draw"

    results = []
    leader = threading.Thread(target=lambda: results.append(cache.lookup("k", FOREVER, render, wait=10)))
    leader.start()
    started.wait(10)
    waiters = [threading.Thread(target=lambda: results.append(cache.lookup("k", FOREVER, render, wait=10)))
               for _ in range(5)]
    for thread in waiters:
        thread.start()
    release.set()
    for thread in [leader, *waiters]:
        thread.join(10)
    assert len(drawn) == 1 and len(results) == 6 and {image.data for image, _ in results} == {b"one"}
    assert sorted(hit for _, hit in results) == [False] + [True] * 5


def failed_leader_with_waiters(waiter_render, waiters=5):
    """A leader whose render fails once ``waiters`` identical requests wait for it; the calls to
    render in order, the leader's error, and what each waiter got (an image or an exception)."""
    cache = ResponseCache(1 << 20)
    started, release = threading.Event(), threading.Event()
    calls, errors, results, lock = [], [], [], threading.Lock()

    def failing():
        calls.append("leader")
        started.set()
        release.wait(10)
        raise RuntimeError("pool exhausted")

    def lead():
        try:
            cache.lookup("k", FOREVER, failing, wait=10)
        except RuntimeError as exc:
            errors.append(exc)

    def wait_for_it():
        got: object
        try:
            got = cache.lookup("k", FOREVER, lambda: waiter_render(calls), wait=10)
        except RuntimeError as exc:
            got = exc
        with lock:
            results.append(got)

    leader = threading.Thread(target=lead)
    leader.start()
    started.wait(10)
    threads = [threading.Thread(target=wait_for_it) for _ in range(waiters)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)  # the waiters are waiting on the leader's flight
    release.set()
    for thread in [leader, *threads]:
        thread.join(10)
    return cache, calls, errors, results


def test_a_failed_leader_hands_its_waiters_one_retry_not_one_render_each():
    def working(calls):
        calls.append("retry")
        time.sleep(0.2)  # the other waiters join it
        return b"own", "draw"

    cache, calls, errors, results = failed_leader_with_waiters(working)
    assert errors and calls == ["leader", "retry"]
    assert len(results) == 5 and {image.data for image, _ in results} == {b"own"}
    assert sorted(hit for _, hit in results) == [False] + [True] * 4
    assert len(cache) == 1  # the retry's image is kept: the next request is a hit


def test_when_the_retry_fails_too_every_waiter_gets_its_error():
    def failing_again(calls):
        calls.append("retry")
        time.sleep(0.2)
        raise RuntimeError("still exhausted")

    cache, calls, errors, results = failed_leader_with_waiters(failing_again)
    assert errors and calls == ["leader", "retry"]
    assert len(results) == 5 and all(isinstance(r, RuntimeError) for r in results)
    assert {str(r) for r in results} == {"still exhausted"} and len(cache) == 0


def test_key_only_requests_draw_nothing_and_bad_ones_get_no_key(app):
    client = Client(app)
    asked = client.get("/plot/line.png?y=1,2", headers={"X-Cache-Key-Only": "1"})
    assert asked.status_code == 204 and len(asked.headers["X-Cache-Key"]) == 64 and renders(app) == 0
    drawn = client.get("/plot/line.png?y=1,2")
    assert drawn.headers["X-Cache-Key"] == asked.headers["X-Cache-Key"]
    for path in ["/plot/line.png?y=1,x", "/plot/nope.png", "/fig/5_2", "/plot/line.apng?y=1,2"]:
        answer = client.get(path, headers={"X-Cache-Key-Only": "1"})
        assert answer.status_code == 204 and "X-Cache-Key" not in answer.headers, path


def test_settings_name_a_bad_bound():
    from wsgi_plot.declare.settings import Settings, SettingsError

    with pytest.raises(SettingsError, match="WSGI_PLOT_RESPONSE_CACHE_BYTES"):
        Settings.from_environ({}, {"WSGI_PLOT_RESPONSE_CACHE_BYTES": "-1"})


def test_a_plot_declares_a_positive_freshness():
    with pytest.raises(ValueError, match="freshness"):
        Plot("bad", draw=lambda fig, p, rng: None, freshness=0)
    line = default_registry().get("line")
    assert line is not None
    assert line.freshness == FOREVER and not line.random


@pytest.mark.parametrize("path", ["/plot/line.png?y=3,1,4", "/plot/bar.png?values=3,1,4&labels=a,b,c",
                                  "/plot/scatter.png?x=1,2,3&y=3,1,4"])
def test_seed_does_not_change_the_key_of_a_plot_that_draws_no_random_numbers(app, path):
    client = Client(app)
    responses = [client.get(f"{path}&seed={seed}") for seed in range(1, 101)]
    assert all(r.status_code == 200 for r in responses)
    assert renders(app) == 1 and len({r.headers["X-Cache-Key"] for r in responses}) == 1
    assert client.get(path).headers["X-Cache-Key"] == responses[0].headers["X-Cache-Key"]  # and no seed at all


def test_minus_zero_and_zero_are_one_picture(app):
    client = Client(app)
    keys = {client.get(path).headers["X-Cache-Key"] for path in [
        "/plot/line.png?y=0,1,2", "/plot/line.png?y=-0,1,2", "/plot/line.png?y=-0.0,1.0,2e0"]}
    assert len(keys) == 1 and renders(app) == 1
    seeded = {client.get(path).headers["X-Cache-Key"] for path in ["/fig/0_1?seed=3", "/fig/-0_1?seed=3"]}
    assert len(seeded) == 1  # a random plot keys its seed, but -0 is still 0
