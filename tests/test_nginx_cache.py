"""Many viewers, one render, through the documented front: deploy/nginx.conf keeps the images the app
says may be reused, keyed by the request as the app parses it; clients still get no-store.

Renders are counted by the instances' own metrics (wsgi_plot_render_seconds_count), read through the
front's /metrics. The app's own response cache is off here, so every render the count shows is one
nginx asked for.
"""

import concurrent.futures
import contextlib
import sqlite3
import tempfile
import time
from pathlib import Path

import pytest

from examples.sensors import db

from . import servers
from .conftest import decode_png
from .http_checks import NO_STORE, exchange, get
from .servers import config_for, wait_for_a_reading_after

pytestmark = pytest.mark.server

RENDERS = "wsgi_plot_render_seconds_count"


def metric(port, name, labels='format="png"') -> float:
    status, _, body = get(port, "/metrics")
    assert status == 200
    wanted = f"{name}{{{labels}}} " if labels else f"{name} "
    for line in body.decode().splitlines():
        if line.startswith(wanted):
            return float(line.split()[-1])
    return 0.0


@pytest.fixture(scope="module")
def front(nginx_executable):
    """nginx from deploy/nginx.conf in front of one gunicorn of 2 workers, its probes' address too,
    the app's own cache off; yields nginx's port."""
    with tempfile.TemporaryDirectory(prefix="wsgi_plot-nginx-cache-") as directory:
        prefix = _shared(Path(directory))
        listen, backend, probe = servers.free_port(), servers.free_port(), servers.free_port()
        with servers.gunicorn(port=backend, workers=2, probe_port=probe, log_path=prefix / "gunicorn.log",
                              env={"WSGI_PLOT_RESPONSE_CACHE_BYTES": "0"}), \
                servers.nginx(nginx_executable, config_for(listen, [backend], probe_ports=[probe]), prefix, listen):
            yield listen


def _shared(prefix: Path) -> Path:
    """``prefix`` opened to nginx's workers, which run as another user (see test_nginx.nginx_prefix)."""
    prefix.chmod(0o755)
    return prefix


def renders_for(port, paths, fmt="png"):
    """The answers to ``paths`` (in turn) and how many renders (of ``fmt``) they cost."""
    labels = f'format="{fmt}"'
    before = metric(port, RENDERS, labels)
    answers = [get(port, path) for path in paths]
    return answers, metric(port, RENDERS, labels) - before


def test_identical_requests_render_once_whatever_their_order_defaults_and_cache_buster(front):
    paths = ["/plot/line.png?y=3,1,4&title=Order&dpi=50",
             "/plot/line.png?dpi=50&title=Order&y=3,1,4",  # order
             "/plot/line.png?dpi=50&title=Order&y=3,1.0,4&marker=none",  # 1.0 is 1; marker's default written out
             "/plot/line.png?dpi=50&title=Order&y=3,1,4&_=lk2j1"]  # a live page's cache buster
    answers, renders = renders_for(front, paths)
    assert renders == 1
    bodies = {body for _, _, body in answers}
    assert len(bodies) == 1 and decode_png(bodies.pop()).size == (200, 150)
    assert [headers["x-cache"] for _, headers, _ in answers] == ["MISS", "HIT", "HIT", "HIT"]
    for status, headers, _ in answers:
        assert status == 200
        for name, value in NO_STORE.items():  # the client is still told to keep nothing
            assert headers.get(name) == value, (name, headers)
        assert "x-accel-expires" not in headers  # for nginx alone
    # Each answer carries its own request's id, not the one of the request that drew it.
    assert len({headers["x-request-id"] for _, headers, _ in answers}) == len(answers)


def test_headers_outside_the_key_neither_split_nor_poison_it(front):
    path = "/plot/bar.png?labels=a,b&values=1,2&dpi=50"
    first = exchange(front, f"GET {path} HTTP/1.0\r\nX-Request-Id: drawer-1\r\n\r\n".encode())
    assert first[0] == 200 and first[1]["x-request-id"] == "drawer-1"
    odd = ("Accept: application/json\r\nAccept-Encoding: gzip\r\nHost: evil.example\r\nCookie: a=1\r\n"
           "X-Forwarded-Host: evil.example\r\nUser-Agent: other\r\nX-Request-Id: viewer-2\r\n")
    before = metric(front, RENDERS)
    second = exchange(front, f"GET {path} HTTP/1.1\r\n{odd}Connection: close\r\n\r\n".encode())
    assert metric(front, RENDERS) == before
    assert second[0] == 200 and second[2] == first[2] and second[1]["x-cache"] == "HIT"
    assert second[1]["x-request-id"] == "viewer-2"


def test_a_random_plot_without_a_seed_is_drawn_for_every_request_and_a_seeded_one_once(front):
    answers, renders = renders_for(front, ["/fig/5_2?dpi=50"] * 4)
    assert renders == 4 and len({body for _, _, body in answers}) == 4  # four samples
    assert {headers["x-cache"] for _, headers, _ in answers} == {"BYPASS"}
    answers, renders = renders_for(front, ["/fig/5_2?dpi=50&seed=7"] * 4 + ["/plot/normal.png?seed=7&dpi=50&mean=5&var=2"])
    assert renders == 1 and len({body for _, _, body in answers}) == 1


def test_a_burst_of_identical_requests_waits_for_one_render(front):
    path = "/plot/line.png?y=5,4,3,9&title=Burst&dpi=60"
    before = metric(front, RENDERS)
    with concurrent.futures.ThreadPoolExecutor(12) as pool:
        answers = list(pool.map(lambda _: get(front, path), range(24)))
    assert {status for status, _, _ in answers} == {200}
    assert len({body for _, _, body in answers}) == 1
    assert metric(front, RENDERS) - before == 1


def test_errors_and_animations_are_not_kept(front):
    answers, _ = renders_for(front, ["/plot/line.png?y=1,x"] * 2)
    for status, headers, body in answers:
        assert status == 400 and b"y: " in body and headers["x-cache"] in ("BYPASS", "MISS")
    answers, renders = renders_for(front, ["/plot/line.apng?y=1,2&dpi=20&frames=2"] * 2, fmt="apng")
    assert [status for status, _, _ in answers] == [200, 200] and renders == 2
    assert {headers["x-cache"] for _, headers, _ in answers} == {"BYPASS"}


def test_a_post_is_passed_on_not_kept(front):
    body = b'{"y": [1, 2, 3], "dpi": 50}'
    request = (b"POST /plot/line.png HTTP/1.0\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    before = metric(front, RENDERS)
    first, second = exchange(front, request), exchange(front, request)
    assert first[0] == second[0] == 200 and first[2] == second[2]
    assert metric(front, RENDERS) - before == 2  # the app's own cache, off here, would key it by its parsed body
    assert "x-cache" not in first[1] or first[1]["x-cache"] != "HIT"


# -- the live readings page --------------------------------------------------------------------


@pytest.fixture(scope="module")
def sensors_front(nginx_executable, tmp_path_factory):
    """The sensors example (2 workers, app cache on) behind the front while the writer appends every second."""
    folder = tmp_path_factory.mktemp("sensors-front")
    path = folder / "s.db"
    db.create(path, sensors=2, days=1, seed=5)
    listen, backend, probe = servers.free_port(), servers.free_port(), servers.free_port()
    # nginx's workers (another user) must reach its prefix: not under pytest's private tmp_path.
    with servers.sensors_writer(path, seconds=120) as started, \
            tempfile.TemporaryDirectory(prefix="wsgi_plot-nginx-cache-") as directory, \
            servers.gunicorn(port=backend, workers=2, probe_port=probe, app="examples.sensors:app",
                             env={"SENSORS_DB": str(path)}, log_path=folder / "gunicorn.log"), \
            servers.nginx(nginx_executable, config_for(listen, [backend], probe_ports=[probe]),
                          _shared(Path(directory)), listen):
        wait_for_a_reading_after(path, started)
        yield listen, path


def test_the_live_readings_image_is_drawn_about_once_a_second_and_shows_a_new_row_within_its_period(sensors_front):
    port, path = sensors_front
    sensor = db.sensor_names(1)[0]
    # What a live page asks at every tick: the same image with a new cache buster.
    url = f"/plot/readings.png?dpi=50&sensor={sensor}"
    before = metric(port, RENDERS)
    started = time.monotonic()
    tick = 0
    while time.monotonic() - started < 4:
        status, headers, body = get(port, f"{url}&_=t{tick}")
        assert status == 200 and headers["cache-control"] == NO_STORE["cache-control"]
        tick += 1
        time.sleep(0.05)
    renders = metric(port, RENDERS) - before
    assert tick >= 20  # most answered from the front's copy
    assert renders <= (time.monotonic() - started) / 1.0 + 2, renders  # once per second of freshness (+ the edges)

    # A reading far outside the rest (the value axis grows for it): the picture must show it
    # within the plot's freshness (1 s), plus a render, plus nginx's whole-second clock.
    _, _, shown = get(port, f"{url}&_=before")
    with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn, conn:
        conn.execute("INSERT OR REPLACE INTO readings VALUES (?, ?, ?)", (sensor, int(time.time()) - 1, 1e6))
    inserted = time.monotonic()
    while time.monotonic() - inserted < 10:
        _, _, body = get(port, f"{url}&_=after{tick}")
        tick += 1
        if body != shown:
            break
        time.sleep(0.05)
    assert body != shown and time.monotonic() - inserted < 2.5, time.monotonic() - inserted
