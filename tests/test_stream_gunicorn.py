"""Live streams against real gunicorn and uWSGI on loopback.

Threaded workers serve them beside images; workers without threads refuse them at once.
"""

import http.client
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from . import servers
from .conftest import decode_png
from .metrics_text import samples, value

pytestmark = [pytest.mark.server, pytest.mark.exclusive]

STREAM = "/plot/normal.stream?fps=5&seconds=30&size=2x1.5&dpi=50"


@pytest.fixture(scope="module")
def gthread(tmp_path_factory):
    """One gthread worker, so that every request below meets the same process's stream count."""
    log = tmp_path_factory.mktemp("gunicorn-gthread") / "gunicorn.log"
    with servers.gunicorn(workers=1, log_path=log, extra=("-k", "gthread", "--threads", "4"),
                          env={"WSGI_PLOT_MAX_STREAMS": "1"}) as proc:
        yield proc


def open_stream(base_url):
    host = urlsplit(base_url)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    connection.request("GET", STREAM)
    return connection, connection.getresponse()


def read_part(response) -> bytes:
    """The next part's PNG, read as a client does: boundary line, headers, Content-Length bytes."""
    assert response.readline() == b"--wsgi-plot-frame\r\n"
    headers = {}
    while (line := response.readline()) != b"\r\n":
        name, _, text = line.decode().partition(": ")
        headers[name] = text.strip()
    assert headers["Content-Type"] == "image/png"
    payload = response.read(int(headers["Content-Length"]))
    assert response.read(2) == b"\r\n"
    return payload


def scrape(base_url) -> dict:
    with urllib.request.urlopen(base_url + "/metrics", timeout=30) as response:
        return samples(response.read().decode())


def wait_for_metric(base_url, name, wanted, timeout=15.0) -> float:
    deadline = time.monotonic() + timeout
    while (seen := value(scrape(base_url), name)) != wanted and time.monotonic() < deadline:
        time.sleep(0.05)
    return seen


def test_gthread_serves_a_stream_while_images_keep_answering(gthread):
    connection, response = open_stream(gthread.base_url)
    try:
        assert response.status == 200
        assert response.getheader("Content-Type").startswith("multipart/x-mixed-replace")
        first = read_part(response)
        for _ in range(5):  # the stream runs on while the worker answers other requests
            with urllib.request.urlopen(gthread.base_url + "/fig/5_2?dpi=50", timeout=30) as image:
                assert image.status == 200
                decode_png(image.read())
        frames = [read_part(response) for _ in range(3)]
        assert len({first, *frames}) == 4
        assert value(scrape(gthread.base_url), "wsgi_plot_streams") == 1
    finally:
        connection.close()
    assert wait_for_metric(gthread.base_url, "wsgi_plot_streams", 0) == 0


def test_a_client_that_goes_away_frees_its_stream_and_figure(gthread):
    assert wait_for_metric(gthread.base_url, "wsgi_plot_streams", 0) == 0  # whatever ran before has ended
    connection, response = open_stream(gthread.base_url)
    try:
        read_part(response)
        read_part(response)
        assert value(scrape(gthread.base_url), "wsgi_plot_streams") == 1
        # max_streams is 1 here: a second stream is refused while the first runs.
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(gthread.base_url + STREAM, timeout=30)
        assert refused.value.code == 503 and refused.value.headers["Retry-After"] == "5"
        refused.value.close()
    finally:
        connection.close()  # mid-stream, 30 s early
    assert wait_for_metric(gthread.base_url, "wsgi_plot_streams", 0) == 0
    assert value(scrape(gthread.base_url), "wsgi_plot_figures_in_use") == 0
    again, response = open_stream(gthread.base_url)  # the slot is free again
    try:
        assert response.status == 200
        decode_png(read_part(response))
    finally:
        again.close()
    assert wait_for_metric(gthread.base_url, "wsgi_plot_streams", 0) == 0


def test_sync_workers_answer_503_at_once(tmp_path):
    with servers.gunicorn(workers=1, log_path=tmp_path / "gunicorn.log") as server:  # gunicorn.conf.py: sync
        started = time.monotonic()
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(server.base_url + STREAM, timeout=30)
        elapsed = time.monotonic() - started
        assert refused.value.code == 503
        assert "gunicorn -k gthread --threads N" in refused.value.read().decode()
        refused.value.close()
        # Not held for the stream's 30 s: the only worker answers the next request.
        with urllib.request.urlopen(server.base_url + "/fig/5_2?dpi=50", timeout=30) as image:
            assert image.status == 200
        assert elapsed < 30


@pytest.mark.parametrize("threads", [None, "2"], ids=["no-threads", "threads"])
def test_uwsgi_streams_only_with_threads(tmp_path, threads):
    """uwsgi.ini as shipped has no threads: 503 at once. With --threads the same route streams."""

    extra = ("--threads", threads) if threads else ()
    with servers.uwsgi(servers.uwsgi_executable(), workers=1, log_path=tmp_path / "uwsgi.log", extra=extra) as server:
        if not threads:
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(server.base_url + STREAM, timeout=30)
            assert refused.value.code == 503
            assert "--threads" in refused.value.read().decode()
            refused.value.close()
            return
        connection, response = open_stream(server.base_url)
        try:
            assert response.status == 200
            frames = [read_part(response) for _ in range(2)]
            assert frames[0] != frames[1]
            decode_png(frames[1])
        finally:
            connection.close()


# -- every stream bounded in wall time and threads (issue 21) -----------------------------------------

SEND_TIMEOUT = 2  # WSGI_PLOT_STREAM_SEND_TIMEOUT of the servers below, seconds


@pytest.fixture(scope="module")
def four_threads(tmp_path_factory):
    """One gthread worker with 4 threads, the default max_streams (4), the slow plot of tests/slow_app.py."""
    log = tmp_path_factory.mktemp("gunicorn-4-threads") / "gunicorn.log"
    with servers.gunicorn(workers=1, log_path=log, app="tests.slow_app:app", extra=("-k", "gthread", "--threads", "4"),
                          env={"WSGI_PLOT_STREAM_SEND_TIMEOUT": str(SEND_TIMEOUT)}) as proc:
        proc.log_path = log
        yield proc


def get(base_url, path, timeout=30):
    host = urlsplit(base_url)
    connection = http.client.HTTPConnection(host.hostname, host.port, timeout=timeout)
    connection.request("GET", path)
    return connection, connection.getresponse()


def test_six_streams_of_four_threads_leave_healthz_and_images_a_thread(four_threads):
    base = four_threads.base_url
    assert wait_for_metric(base, "wsgi_plot_streams", 0) == 0
    opened, refused = [], []
    try:
        for _ in range(6):  # each answered at once: a stream's first part, or a 503
            connection, response = get(base, STREAM, timeout=10)
            if response.status == 200:
                read_part(response)
                opened.append(connection)
            else:
                refused.append((response.status, response.headers.get_all("Retry-After"), response.read()))
                connection.close()
        assert len(opened) == 3  # threads - 1
        assert [(status, retry) for status, retry, _ in refused] == [(503, ["5"])] * 3
        assert b"max_streams" in refused[0][2]
        started = time.monotonic()
        with urllib.request.urlopen(base + "/healthz", timeout=10) as health:
            assert health.status == 200
        assert time.monotonic() - started < 2
        with urllib.request.urlopen(base + "/fig/5_2?dpi=50", timeout=10) as image:
            decode_png(image.read())
    finally:
        for connection in opened:
            connection.close()
    assert wait_for_metric(base, "wsgi_plot_streams", 0) == 0


def test_a_stream_of_slow_frames_ends_within_seconds_and_one_frame(four_threads):
    cost, seconds = 0.5, 3
    started = time.monotonic()
    connection, response = get(four_threads.base_url, f"/plot/slow.stream?cost={cost}&fps=10&seconds={seconds}"
                                                     "&size=2x1.5&dpi=50")
    try:
        assert response.status == 200
        frames = 0
        while (line := response.readline()) == b"--wsgi-plot-frame\r\n":
            headers = {}
            while (header := response.readline()) != b"\r\n":
                name, _, text = header.decode().partition(": ")
                headers[name] = text.strip()
            decode_png(response.read(int(headers["Content-Length"])))
            assert response.read(2) == b"\r\n"
            frames += 1
        elapsed = time.monotonic() - started
        assert line == b"--wsgi-plot-frame--\r\n"  # ended by the server, not cut
    finally:
        connection.close()
    # Unpaced, 30 frames of 0.5 s took 15 s; paced by the clock, at most 6 fit in 3 s, plus the first.
    assert 2 <= frames <= 8
    assert elapsed < seconds + cost + 2  # seconds, the frame drawn at the end, and a loaded machine's slack


def test_a_client_that_stops_reading_frees_its_slot_within_seconds_and_the_send_timeout(four_threads):
    base = four_threads.base_url
    assert wait_for_metric(base, "wsgi_plot_streams", 0) == 0
    seconds = 4
    host = urlsplit(base)
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a small window, filled by the first parts
    stalled.connect((host.hostname, host.port))
    try:  # large noisy frames, never read: the server's sends block once the buffers are full
        stalled.sendall(f"GET /plot/normal.stream?fps=10&seconds={seconds}&size=8x6&dpi=100&n=10000 HTTP/1.1\r\n"
                        f"Host: x\r\n\r\n".encode())
        assert wait_for_metric(base, "wsgi_plot_streams", 1) == 1
        started = time.monotonic()
        # Held until the client closed, before; now freed at seconds + the send timeout, the client still there.
        assert wait_for_metric(base, "wsgi_plot_streams", 0, timeout=seconds + SEND_TIMEOUT + 10) == 0
        assert time.monotonic() - started < seconds + SEND_TIMEOUT + 10
        assert value(scrape(base), "wsgi_plot_figures_in_use") == 0
        # Ended by the send timeout, not by the stream's end: its last parts were never taken.
        assert "TimeoutError" in servers.wait_for_text(four_threads.log_path, "TimeoutError")
    finally:
        stalled.close()


def test_a_render_timeout_not_below_the_worker_timeout_stops_gunicorn_naming_both(tmp_path):
    import subprocess

    port = servers.free_port()
    answer = subprocess.run(
        [str(servers.BIN / "gunicorn"), "-c", str(servers.ROOT / "gunicorn.conf.py"), "--workers", "1", "wsgi_plot:app"],
        cwd=servers.ROOT, capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "BIND": f"127.0.0.1:{port}", "TIMEOUT": "10",
             "WSGI_PLOT_RENDER_TIMEOUT": "10"})
    assert answer.returncode != 0
    log = answer.stdout + answer.stderr
    assert "render_timeout (WSGI_PLOT_RENDER_TIMEOUT) is 10 s, not below the server's worker timeout of 10 s" in log


def test_a_costly_animation_under_sync_workers_is_refused_by_the_app_not_killed_by_gunicorn(tmp_path):
    """The issue's case: bar.gif of 200 labels at 0.5x0.5 in, 10 dpi, about 1 s a frame; 600 frames, timeout 30 s."""
    import json

    log = tmp_path / "gunicorn.log"
    body = json.dumps({"labels": [f"label {i}" for i in range(200)], "values": list(range(200)),
                       "size": "0.5x0.5", "dpi": 10, "frames": 600}).encode()
    with servers.gunicorn(workers=1, log_path=log) as server:  # sync, timeout 30 s (gunicorn.conf.py)
        started = time.monotonic()
        request = urllib.request.Request(server.base_url + "/plot/bar.gif", data=body,
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=60)
        elapsed = time.monotonic() - started
        error = json.loads(refused.value.read())["error"]
        refused.value.close()
        assert refused.value.code == 413 and error["param"] == "frames", error
        assert "within the 24 s this server allows" in error["message"]
        assert elapsed < 24  # refused from the first frames' cost, not at the deadline
        with urllib.request.urlopen(server.base_url + "/healthz", timeout=30) as health:  # the same worker, alive
            assert health.status == 200
    text = log.read_text(errors="replace")
    assert "WORKER TIMEOUT" not in text and "Worker failed" not in text


def test_uwsgi_streams_leave_one_of_its_threads_free(tmp_path):
    """uwsgi.ini tells the app uWSGI's threads per worker: with 2, one stream, and /healthz still answers."""

    with servers.uwsgi(servers.uwsgi_executable(), workers=1, log_path=tmp_path / "uwsgi.log",
                       extra=("--threads", "2")) as server:
        connection, response = get(server.base_url, STREAM, timeout=10)
        try:
            assert response.status == 200
            read_part(response)
            second, refused = get(server.base_url, STREAM, timeout=10)
            assert refused.status == 503 and refused.headers.get_all("Retry-After") == ["5"]
            second.close()
            started = time.monotonic()
            with urllib.request.urlopen(server.base_url + "/healthz", timeout=10) as health:
                assert health.status == 200
            assert time.monotonic() - started < 2
        finally:
            connection.close()


def test_uwsgi_refuses_to_start_with_a_render_timeout_not_below_harakiri(tmp_path):
    import subprocess


    answer = subprocess.run([str(servers.uwsgi_executable()), "--ini", str(servers.ROOT / "uwsgi.ini")], cwd=servers.ROOT,
                            capture_output=True, text=True, timeout=120,
                            env={**__import__("os").environ, "PORT": str(servers.free_port()), "WEB_CONCURRENCY": "1",
                                 "TIMEOUT": "10", "WSGI_PLOT_RENDER_TIMEOUT": "10"})
    assert answer.returncode != 0
    assert "not below the server's worker timeout of 10 s" in answer.stdout + answer.stderr
