"""Live streams against real gunicorn and uWSGI on loopback.

Threaded workers serve them beside images; workers without threads refuse them at once.
"""

import http.client
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from . import servers
from .conftest import decode_png
from .test_metrics import samples, value

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
    from .test_uwsgi import uwsgi_executable

    extra = ("--threads", threads) if threads else ()
    with servers.uwsgi(uwsgi_executable(), workers=1, log_path=tmp_path / "uwsgi.log", extra=extra) as server:
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
