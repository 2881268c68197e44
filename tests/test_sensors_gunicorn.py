"""The sensors example under real gunicorn (2 workers, preloaded: the app is built before the fork)
while the writer process appends: no request fails, and the picture follows the new rows."""

import concurrent.futures
import contextlib
import sqlite3
import time
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.server

BURST = 120  # requests: bounded in count
BURST_SECONDS = 60  # and in time
URLS = [
    "/plot/readings.png?dpi=50",
    "/plot/readings.png?dpi=50&sensor=cellar&every=hour&grid=true",
    "/plot/readings.svg?sensor=greenhouse",
    "/plot/readings?refresh=1",
    "/plot/readings.png?dpi=50&start=2000-01-01T00:00Z&end=2100-01-01T00:00Z&every=day",
    "/fig/5_2?dpi=50",
    "/plots/",
]


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_a_burst_of_mixed_requests_while_the_writer_appends_all_succeed(live):
    server, _ = live
    deadline = time.monotonic() + BURST_SECONDS
    urls = [server.base_url + URLS[i % len(URLS)] for i in range(BURST)]

    def bounded(url):
        return fetch(url) if time.monotonic() < deadline else (None, b"")

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(bounded, urls))
    done = [(url, status, body[:200]) for url, (status, body) in zip(urls, results) if status is not None]
    assert len(done) >= len(URLS)  # at least one of each in the time allowed
    failed = [item for item in done if not 200 <= item[1] < 300]
    assert not failed, failed[:5]


def test_images_change_as_rows_arrive(live):
    server, path = live
    url = server.base_url + "/plot/readings.png?dpi=50&sensor=attic"
    status, first = fetch(url)
    assert status == 200
    deadline = time.monotonic() + 20
    seen = {first}
    while len(seen) < 3 and time.monotonic() < deadline:  # two new pictures as rows arrive
        # The writer's random walk moves 0.05 a step: at 200x150 px a step may move no pixel (a
        # run saw two pictures in 20 s). A reading far off, beside the writer's, moves the newest
        # bucket's mean for sure; the writer process goes on committing meanwhile.
        with contextlib.closing(sqlite3.connect(path, timeout=10)) as conn, conn:
            (value, stamp), = conn.execute("SELECT value, max(timestamp) FROM readings WHERE sensor = 'attic'")
            conn.execute("INSERT OR REPLACE INTO readings VALUES ('attic', ?, ?)", (stamp, value + 25))
        time.sleep(1.1)  # past the image's freshness (1 s): the response caches draw it again
        status, body = fetch(url)
        assert status == 200
        seen.add(body)
    assert len(seen) >= 3
