"""The probes' own address (PROBE_PORT): a busy gunicorn answers a probe there after the render in
progress, not after every request queued before it. Real gunicorn, real sockets."""

import http.client
import threading
import time

import pytest

from . import servers

pytestmark = [pytest.mark.server, pytest.mark.exclusive]

WORKERS = 2
#: ~0.2 s of drawing on the development VM (1600x1200 px, 10,000 markers): long enough that the
#: requests below are all queued before the first render ends.
RENDER = "/fig/5_2?n=10000&dpi=400"
QUEUED = 10  # renders sent at once: WORKERS drawing, the rest in the listen queue


def get(port, path, done, lock, sent=None, timeout=120):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        if sent is not None:
            sent.release()
        response = connection.getresponse()
        response.read()
        status = response.status
    finally:
        connection.close()
    with lock:
        done.append((path, port, status, time.monotonic()))


def completion_order(main_port, probe_port):
    """QUEUED renders on the main port, then /healthz on each port: every answer in the order received."""
    done: list[tuple[str, int, int, float]]
    done, lock, sent = [], threading.Lock(), threading.Semaphore(0)
    renders = [threading.Thread(target=get, args=(main_port, RENDER, done, lock, sent)) for _ in range(QUEUED)]
    for thread in renders:
        thread.start()
    for _ in renders:  # every render request sent (so connected, and queued if not drawing) before the probes
        assert sent.acquire(timeout=60)
    probes = [threading.Thread(target=get, args=(port, "/healthz", done, lock)) for port in (probe_port, main_port)]
    for thread in probes:
        thread.start()
    for thread in renders + probes:
        thread.join(150)
    return done


def test_a_probe_on_the_probe_port_skips_the_queue_and_on_the_main_port_waits_behind_it(tmp_path):
    main_port, probe_port = servers.free_port(), servers.free_port()
    with servers.gunicorn(port=main_port, probe_port=probe_port, workers=WORKERS, log_path=tmp_path / "g.log"):
        # Each worker has drawn the image once: its figure is pooled, so renders cost the same.
        done: list[tuple[str, int, int, float]]
        done, lock = [], threading.Lock()
        warm = [threading.Thread(target=get, args=(main_port, RENDER, done, lock)) for _ in range(2 * WORKERS)]
        for thread in warm:
            thread.start()
        for thread in warm:
            thread.join(60)
        assert {status for *_, status, _ in done} == {200}

        done = completion_order(main_port, probe_port)

    assert len(done) == QUEUED + 2 and {status for *_, status, _ in done} == {200}, done
    order = [(path, port) for path, port, _, _ in sorted(done, key=lambda answer: answer[3])]
    renders_before = {port: order[:order.index(("/healthz", port))].count((RENDER, main_port))
                      for port in (probe_port, main_port)}
    print(f"\nrenders answered before the probe: {renders_before[probe_port]} (probe port), "
          f"{renders_before[main_port]} (main port), of {QUEUED}")
    # Only the renders in progress (one per worker) may end before the probe on its own port;
    # the probe on the main port is accepted after every render queued before it.
    assert renders_before[probe_port] <= WORKERS
    assert renders_before[main_port] >= QUEUED - WORKERS


def test_without_probe_port_gunicorn_binds_one_address(tmp_path):
    port = servers.free_port()
    with servers.gunicorn(port=port, workers=1, log_path=tmp_path / "g.log"):
        pass
    assert f"Listening at: http://127.0.0.1:{port} (" in (tmp_path / "g.log").read_text()


def test_the_probe_port_is_bound_first(tmp_path):
    main_port, probe_port = servers.free_port(), servers.free_port()
    with servers.gunicorn(port=main_port, probe_port=probe_port, workers=1, log_path=tmp_path / "g.log"):
        connection = http.client.HTTPConnection("127.0.0.1", probe_port, timeout=10)
        connection.request("GET", "/healthz")
        assert connection.getresponse().status == 200
        connection.close()
    # First: the sync worker takes a waiting connection from its sockets in this order.
    listening = f"Listening at: http://127.0.0.1:{probe_port},http://127.0.0.1:{main_port} ("
    assert listening in (tmp_path / "g.log").read_text()
