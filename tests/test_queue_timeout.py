"""Queue-time shedding: an image request that waited past queue_timeout (X-Request-Start) is
answered 503 at once, without drawing; tested against real gunicorn."""

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from wsgi_plot.web.request_start import queued_seconds

from . import servers
from .metrics_text import samples, value

pytestmark = [pytest.mark.server, pytest.mark.exclusive]

NOW = 1_800_000_000.0  # epoch seconds, a date in 2027

#: ~0.5 s of drawing on the development VM (2400x1800 px, 10,000 markers).
SLOW = "/fig/5_2?dpi=600&n=10000"


@pytest.mark.parametrize("header, seconds", [
    ("t=1799999999500", 0.5),  # milliseconds: Heroku, deploy/nginx.conf
    ("t=1799999998.250", 1.75),  # seconds with a fraction: nginx's $msec
    ("t=1799999997000000", 3.0),  # microseconds: Apache's %t
    ("1799999999000", 1.0),  # New Relic accepts the bare number
    (" t=1799999990000 ", 10.0),
    ("t=1800000005000", 0.0),  # from the future (clocks apart): no wait
])
def test_the_unit_is_told_by_the_magnitude(header, seconds):
    assert queued_seconds(header, NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("header", [None, "", "t=", "t=abc", "t=-5", "t=1e12", "t=1,5", "t=12 34", "x=1799999999000",
                                    "t=" + "9" * 30, "t=１７９９９９９９９９０００"])
def test_a_stamp_that_is_not_a_plain_number_is_ignored(header):
    assert queued_seconds(header, NOW) is None


def get(url, headers=None, timeout=30):
    """``(status, headers, body, seconds)``, for errors too."""
    started = time.monotonic()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as response:
            return response.status, response.headers, response.read(), time.monotonic() - started
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read(), time.monotonic() - started


def stamped(seconds_ago: float, **headers) -> dict:
    return {"X-Request-Start": f"t={round((time.time() - seconds_ago) * 1000)}", **headers}


def counts(base) -> tuple[float, float]:
    """(images rendered, requests shed for their queue time), summed over the server's workers."""
    metrics = samples(get(base + "/metrics")[2].decode())
    rendered = sum(v for (name, labels), v in metrics.items() if name == "wsgi_plot_render_seconds_count")
    return rendered, value(metrics, "wsgi_plot_rejections_total", reason="queue_timeout") or 0


@pytest.fixture(scope="module")
def gunicorn_with_a_2s_queue_timeout(tmp_path_factory):
    log = tmp_path_factory.mktemp("queue") / "gunicorn.log"
    with servers.gunicorn(workers=1, env={"WSGI_PLOT_QUEUE_TIMEOUT": "2"}, log_path=log) as server:
        # Only the wait since the worker was ready counts (a starting instance's queue is not shed):
        # the stamps below, up to 2.5 s old, need a worker ready for longer.
        time.sleep(3)
        yield server.base_url


def test_a_request_stamped_past_the_bound_is_503_without_drawing(gunicorn_with_a_2s_queue_timeout):
    base = gunicorn_with_a_2s_queue_timeout
    rendered, shed = counts(base)

    status, headers, body, _ = get(base + SLOW, stamped(2.5, Accept="application/json"))
    assert status == 503 and headers["Retry-After"] == "1"
    assert headers["Cache-Control"].startswith("no-store")
    error = json.loads(body)["error"]
    assert error["status"] == 503 and error["param"] is None
    assert "waited 2.5 s" in error["message"] and "over 2 s" in error["message"]
    text = get(base + SLOW, stamped(30))
    assert text[0] == 503 and text[2].decode().startswith("503 Service Unavailable: the request waited 30.0 s")

    assert counts(base) == (rendered, shed + 2)  # nothing drawn, both counted


def test_within_the_bound_or_without_a_stamp_the_image_is_drawn(gunicorn_with_a_2s_queue_timeout):
    base = gunicorn_with_a_2s_queue_timeout
    rendered, shed = counts(base)
    for headers in (stamped(1.5), stamped(-60), {}, {"X-Request-Start": "garbage"}):
        status, response_headers, body, _ = get(base + "/fig/5_2?dpi=20", headers)
        assert status == 200 and body.startswith(b"\x89PNG"), headers
    assert counts(base) == (rendered + 4, shed)


def test_pages_and_probes_are_never_shed(gunicorn_with_a_2s_queue_timeout):
    base = gunicorn_with_a_2s_queue_timeout
    for path in ("/normal/5_2", "/healthz", "/readyz", "/metrics", "/"):
        assert get(base + path, stamped(60))[0] == 200, path


def test_bad_parameters_are_still_named_when_the_request_is_old(gunicorn_with_a_2s_queue_timeout):
    status, _, body, _ = get(gunicorn_with_a_2s_queue_timeout + "/fig/5_0", stamped(60))
    assert status == 400 and b"var" in body


def test_zero_turns_shedding_off(tmp_path):
    with servers.gunicorn(workers=1, env={"WSGI_PLOT_QUEUE_TIMEOUT": "0"}, log_path=tmp_path / "g.log") as server:
        assert get(server.base_url + "/fig/5_2?dpi=20", stamped(3600))[0] == 200


def test_requests_that_waited_in_the_listen_queue_are_shed(tmp_path):
    """The case it is for: one sync worker busy drawing, requests waiting in gunicorn's backlog."""
    with servers.gunicorn(workers=1, env={"WSGI_PLOT_QUEUE_TIMEOUT": "0.1"}, log_path=tmp_path / "g.log") as server:
        base = server.base_url
        rendered, shed = counts(base)
        results = {}

        def fetch(name, headers):
            results[name] = get(base + SLOW, headers)

        # The holder, unstamped, takes the only worker; those behind it are stamped as they are
        # sent, as a proxy would, and wait in the listen queue for at least its render.
        holder = threading.Thread(target=fetch, args=("holder", {}))
        holder.start()
        time.sleep(0.05)
        queued = [threading.Thread(target=fetch, args=(i, stamped(0))) for i in range(3)]
        for thread in queued:
            thread.start()
        for thread in [holder, *queued]:
            thread.join(60)
        assert results["holder"][0] == 200
        assert [results[i][0] for i in range(3)] == [503] * 3
        assert counts(base) == (rendered + 1, shed + 3)


def test_a_starting_instance_draws_what_waited_for_its_start():
    """A request stamped before the process was ready waited for the start (its workers warming up
    while its socket already took connections), not behind other requests: drawn. The same wait in
    a process ready for longer than queue_timeout is shed."""
    from werkzeug.test import Client

    import wsgi_plot

    app = wsgi_plot.create_app(queue_timeout=2)
    app.warm()  # as the server's start-up hook does: ready from now on
    client = Client(app)
    assert client.get("/fig/5_2?dpi=20", headers=stamped(30)).status_code == 200
    app.images.ready_since -= 10  # the same process, 10 s later
    shed = client.get("/fig/5_2?dpi=20", headers=stamped(30))
    assert shed.status_code == 503 and "waited 30.0 s" in shed.text
