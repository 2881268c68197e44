"""Live streams in process: multipart parts, pacing, threads required, max_streams, closing."""

import time

import pytest
from werkzeug.test import Client

from wsgi_plot import create_app
from wsgi_plot.encode.multipart import BOUNDARY, part
from wsgi_plot.web.stream import FrameStream, StreamSlots

from .conftest import decode_png, split_parts

THREADED = {"wsgi.multithread": True}
SMALL = "size=2x1.5&dpi=50"


@pytest.mark.exclusive  # paced by the clock: on a loaded machine a frame whose time passes is skipped, by design
def test_stream_parts_are_pngs_with_their_own_headers_paced_by_the_server():
    client = Client(create_app())
    started = time.monotonic()
    # 5 fps: 200 ms a frame of 100x75 px, so that a loaded machine keeps up and skips none.
    response = client.get(f"/plot/normal.stream?fps=5&seconds=1&seed=1&{SMALL}", environ_overrides=THREADED)
    body = response.data  # the parts are drawn as the body is read
    elapsed = time.monotonic() - started
    assert response.status_code == 200
    assert response.headers["Content-Type"] == f"multipart/x-mixed-replace; boundary={BOUNDARY}"
    assert response.cache_control.no_store
    parts = split_parts(body)
    assert len(parts) == 5  # fps x seconds
    images = []
    for headers, payload in parts:
        assert headers["Content-Type"] == "image/png"
        image = decode_png(payload)
        assert image.size == (100, 75)
        images.append(image.tobytes())
    assert len(set(images)) == 5  # a new sample per frame
    assert elapsed >= 0.75  # paced, not sent as fast as drawn: frame 4 is due 0.8 s after frame 0


@pytest.mark.exclusive  # paced by the clock: on a loaded machine a frame whose time passes is skipped, by design
def test_same_seed_same_stream():
    """As long as the stream keeps up: one that falls behind skips frames, as the clock says."""
    client = Client(create_app())
    url = f"/plot/random-walk.stream?fps=4&seconds=1&seed=7&{SMALL}"
    assert client.get(url, environ_overrides=THREADED).data == client.get(url, environ_overrides=THREADED).data


def test_a_single_threaded_server_gets_503_at_once_saying_how_to_run_streams():
    app = create_app()
    response = Client(app).get("/plot/normal.stream")  # werkzeug's test client says wsgi.multithread: False
    assert response.status_code == 503
    assert "gunicorn -k gthread --threads N" in response.get_data(as_text=True)
    assert "Retry-After" not in response.headers  # retrying the same server would not help
    assert app.pool.size == 0  # nothing drawn


@pytest.mark.parametrize("query, param", [
    ("fps=0", "fps"), ("fps=31", "fps"), ("seconds=0", "seconds"), ("seconds=61", "seconds"),
    ("frames=5", "frames"), ("fps=two", "fps"),
])
def test_stream_bounds_name_the_parameter(query, param):
    response = Client(create_app()).get(f"/plot/normal.stream?{query}", environ_overrides=THREADED,
                                        headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert response.json is not None and response.json["error"]["param"] == param


@pytest.mark.exclusive  # paced by the clock: on a loaded machine a frame whose time passes is skipped, by design
def test_seconds_bounded_by_max_stream_seconds():
    client = Client(create_app(max_stream_seconds=1))
    response = client.get(f"/plot/normal.stream?fps=3&{SMALL}", environ_overrides=THREADED)
    assert len(split_parts(response.data)) == 3  # the default is the maximum: 1 s
    assert client.get("/plot/normal.stream?seconds=2", environ_overrides=THREADED).status_code == 400


def test_max_streams_then_503_with_retry_after_until_one_closes():
    app = create_app(max_streams=2)
    client = Client(app)
    url = f"/plot/normal.stream?fps=1&seconds=60&{SMALL}"
    open_streams = [client.get(url, environ_overrides=THREADED, buffered=False) for _ in range(2)]
    assert [r.status_code for r in open_streams] == [200, 200]
    refused = client.get(url, environ_overrides=THREADED)
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "5"
    assert "max_streams" in refused.get_data(as_text=True)
    assert client.get(f"/plot/normal.png?{SMALL}").status_code == 200  # images are still served
    assert app.images.streams.active == 2
    open_streams[0].close()  # what a server does when the client goes away
    assert app.images.streams.active == 1
    assert app.pool.in_use == 0  # a figure is held only while a frame is drawn
    again = client.get(url, environ_overrides=THREADED, buffered=False)
    assert again.status_code == 200
    again.close()
    open_streams[1].close()
    assert app.images.streams.active == 0


def test_no_streams_when_max_streams_is_zero():
    response = Client(create_app(max_streams=0)).get("/plot/normal.stream", environ_overrides=THREADED)
    assert response.status_code == 503


def test_frame_stream_closes_once_and_stops_for_a_gone_client():
    closed = []
    gone = [False]
    drawn = []

    def render(number):
        drawn.append(number)
        return b"png%d" % number

    stream = FrameStream(b"png0", render, count=5, fps=1000, on_close=lambda: closed.append(1),
                         wait=lambda seconds: gone[0])
    assert next(stream) == part(b"png0")
    assert next(stream) == part(b"png1")
    gone[0] = True
    assert list(stream) == []  # ends before drawing another frame
    assert drawn == [1]
    stream.close()
    stream.close()
    assert closed == [1]


def test_frame_stream_paces_and_ends_early_when_a_frame_fails():
    now = [0.0]
    sleeps = []

    def wait(seconds):
        sleeps.append(round(seconds, 6))
        now[0] += seconds
        return False

    stream = FrameStream(b"a", lambda n: None if n == 3 else b"x", count=10, fps=4, on_close=lambda: None,
                         wait=wait, clock=lambda: now[0])
    body = list(stream)
    assert body[-1] == f"--{BOUNDARY}--\r\n".encode()
    assert len(body) == 4  # frames 0, 1, 2, then the closing boundary instead of frame 3
    assert sleeps == [0.25, 0.25, 0.25]


class FakeClock:
    """Time that moves only when a frame is drawn or the stream waits."""

    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def wait(self, seconds):
        self.now += max(seconds, 0)
        return False


def test_a_stream_of_slow_frames_skips_those_whose_time_passed_and_ends_on_time():
    clock = FakeClock()
    drawn = []

    def render(number):  # each frame costs 0.35 s: 3.5 intervals at 10 fps
        drawn.append(number)
        clock.now += 0.35
        return b"x"

    stream = FrameStream(b"first", render, count=20, fps=10, on_close=lambda: None, wait=clock.wait, clock=clock,
                         start=-0.35)  # the first frame took its 0.35 s too
    body = list(stream)
    assert body[-1] == f"--{BOUNDARY}--\r\n".encode()
    assert clock.now <= 2.0 + 0.35  # seconds (2) plus at most the frame being drawn
    # The first frame took 3.5 intervals: frame 3 is the latest due, then every 3rd or 4th, up to the end.
    assert drawn == [3, 7, 10, 14, 17]
    assert len(drawn) < 8 and stream.skipped == drawn[-1] - len(drawn)  # most frames skipped, counted


def test_a_stream_that_keeps_up_draws_every_frame():
    clock = FakeClock()
    drawn = []

    def render(number):
        drawn.append(number)
        clock.now += 0.01
        return b"x"

    stream = FrameStream(b"first", render, count=20, fps=10, on_close=lambda: None, wait=clock.wait, clock=clock)
    list(stream)
    assert drawn == list(range(1, 20)) and stream.skipped == 0


def test_a_slow_frame_stream_in_process_ends_within_seconds_and_a_frame():
    from .slow_app import build_app

    client = Client(build_app())
    started = time.monotonic()
    response = client.get(f"/plot/slow.stream?cost=0.4&fps=10&seconds=2&{SMALL}", environ_overrides=THREADED)
    parts = split_parts(response.data)
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and 2 <= len(parts) <= 7  # 0.4 s frames: at most 5 in 2 s, and the first
    for _, payload in parts:
        decode_png(payload)
    assert elapsed < 2 + 0.4 + 1.5  # unpaced, 20 frames of 0.4 s would take 8 s


def test_a2wsgi_body_keeps_receive_and_loop():
    """host_compat reads these private attributes of a2wsgi's request body: an upgrade that renames them fails here."""
    import asyncio

    a2wsgi = pytest.importorskip("a2wsgi.wsgi")
    loop = asyncio.new_event_loop()
    try:
        async def receive():
            return {"type": "http.disconnect"}

        body = a2wsgi.Body(loop, receive)
        assert body.receive is receive and body.loop is loop
    finally:
        loop.close()


def test_under_an_asgi_host_a_stream_ends_when_the_client_leaves():
    import asyncio
    import threading

    from wsgi_plot.web.host_compat import disconnect_future

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    left = asyncio.Event()
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if messages:
            return messages.pop()
        await left.wait()
        return {"type": "http.disconnect"}

    class Body:  # what a2wsgi gives as wsgi.input
        receive: object
        loop: asyncio.AbstractEventLoop

    body = Body()
    body.receive, body.loop = receive, loop
    try:
        future = disconnect_future({"asgi.scope": {}, "wsgi.input": body})
        assert future is not None and not future.done()
        loop.call_soon_threadsafe(left.set)
        future.result(timeout=5)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()


def test_an_asgi_host_that_cannot_tell_of_a_client_leaving_gets_503_saying_so():
    response = Client(create_app()).get(f"/plot/normal.stream?{SMALL}", environ_overrides={
        **THREADED, "asgi.scope": {"type": "http"}})
    assert response.status_code == 503 and "Retry-After" not in response.headers
    assert "no way to notice a client that left" in response.get_data(as_text=True)


@pytest.mark.parametrize("threads, admitted", [(1, 0), (2, 1), (4, 3), (8, 4)])
def test_streams_never_take_the_last_thread(threads, admitted):
    from wsgi_plot.serve.fitting import fit_to_server
    from wsgi_plot.web.server_limits import ServerLimits

    app = create_app(max_streams=4)
    fit_to_server(app, ServerLimits(threads=threads))
    client = Client(app)
    url = f"/plot/normal.stream?fps=1&seconds=60&{SMALL}"
    answers = [client.get(url, environ_overrides=THREADED, buffered=False) for _ in range(admitted + 1)]
    assert [r.status_code for r in answers] == [200] * admitted + [503]
    if admitted:
        assert answers[-1].headers.getlist("Retry-After") == ["5"]
    else:  # one thread: none to spare, ever
        assert "Retry-After" not in answers[-1].headers and "thread" in answers[-1].get_data(as_text=True)
    for answer in answers:
        answer.close()
    assert app.images.streams.active == 0


def test_stream_slots_report_changes():
    seen: list[int] = []
    slots = StreamSlots(1, on_change=seen.append)
    assert slots.try_take() and not slots.try_take()
    slots.give_back()
    assert seen == [1, 0]
