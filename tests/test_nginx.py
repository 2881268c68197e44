"""Scale-out: deploy/nginx.conf balancing two gunicorn instances on loopback; one is killed mid-run.

Requests in flight on the killed instance, and those nginx sends it afterwards,
must be answered by the other one: no request fails.
"""

import os
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
from collections import Counter

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from . import servers
from .conftest import decode_png
from .servers import config_for

pytestmark = pytest.mark.server

REQUESTS = 300  # fast ones, in all; each page request is followed by its image, as a browser does
# A third of the survivor's max_conns=6 slots: nginx frees a slot just after the client has the last
# byte, so a client at exactly capacity can find its own previous slot still counted (a 503).
THREADS = 2
KILL_AFTER = 100  # requests
SLOW = "/fig/5_2?dpi=600&n=10000"  # 2400x1800 px, 10,000 markers: a render of about 0.4 s
SLOW_REQUESTS = 4
DEADLINE = 120  # seconds for each phase of the load; a run past it stops sending and fails


def test_shipped_config_is_valid(nginx_executable, tmp_path):
    for folder in ("logs", "temp"):
        (tmp_path / folder).mkdir()
    result = subprocess.run([nginx_executable, "-t", "-p", f"{tmp_path}/", "-c", str(servers.NGINX_CONFIG),
                             "-e", str(tmp_path / "logs" / "error.log")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_config_for_rewrites_only_the_ports():
    text = config_for(9000, [9001, 9002, 9003], 9004)
    assert "listen 127.0.0.1:9000;" in text and ":8080" not in text and ":800" not in text and "8081" not in text
    assert ":810" not in text
    assert "server 127.0.0.1:9004 backup max_fails=0;" in text and "listen 127.0.0.1:9004;" in text
    assert text.count("max_conns=6 max_fails=3 fail_timeout=1s;") == 3  # the upstream of requests
    assert text.count(" max_fails=3 fail_timeout=1s;") == 6  # and that of probes
    assert "proxy_next_upstream error timeout" in text
    text = config_for(9000, [9001, 9002], 9004, probe_ports=[9101, 9102])
    assert "server 127.0.0.1:9002 max_conns=6 max_fails=3 fail_timeout=1s;" in text
    assert "server 127.0.0.1:9102 max_fails=3 fail_timeout=1s;" in text
    assert "server 127.0.0.1:9002 max_fails=3" not in text and "9101 max_conns" not in text


def fetch(base_url, path):
    """GET ``path`` through nginx and check the answer: (ok, detail, upstreams tried in order)."""
    try:
        with urllib.request.urlopen(base_url + path, timeout=30) as response:
            status, tried, body = response.status, response.headers.get("X-Upstream", ""), response.read()
        if path.startswith("/fig/"):
            decode_png(body)
        else:
            assert b'<img class="plot" id="plot" src="/fig/5_2"' in body, "not the plot page"
    except Exception as exc:  # refused, reset, 5xx, a truncated or undecodable body: all failures
        return False, f"{path}: {exc!r}", []
    # nginx lists every instance it tried, the one that answered last.
    return status == 200, f"{path}: status {status}", [address.strip() for address in tried.split(",")]


def browser_like_load(base_url, indices):
    """Requests ``indices`` from THREADS threads, each page followed by its image; bounded in time."""
    results, lock = [], threading.Lock()
    pending = iter(indices)
    deadline = time.monotonic() + DEADLINE

    def worker():
        while time.monotonic() < deadline:
            with lock:
                index = next(pending, None)
            if index is None:
                return
            # The image at a small dpi keeps the run short.
            result = fetch(base_url, "/normal/5_2" if index % 2 == 0 else "/fig/5_2?dpi=60")
            with lock:
                results.append(result)

    threads = [threading.Thread(target=worker) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    return threads, results


def join(threads):
    for thread in threads:
        thread.join(DEADLINE)


def figures_in_use(metrics_dir) -> float:
    """The figures lent to requests now by the gunicorn counting in ``metrics_dir``."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(metrics_dir))
    return registry.get_sample_value("wsgi_plot_figures_in_use") or 0.0


def test_dead_instance_is_skipped_without_failed_requests(nginx_executable, nginx_prefix, tmp_path):
    found: set[int] = set()
    while len(found) < 3:  # a port just released can be handed out again
        found.add(servers.free_port())
    listen, *ports = sorted(found)
    live, dead = (f"127.0.0.1:{port}" for port in ports)
    victim_metrics = tmp_path / "victim-metrics"
    victim_metrics.mkdir()
    with servers.gunicorn(port=ports[0], workers=2, log_path=tmp_path / "survivor.log"), \
            servers.gunicorn(port=ports[1], workers=2, log_path=tmp_path / "victim.log",
                             env={"PROMETHEUS_MULTIPROC_DIR": str(victim_metrics)}) as victim, \
            servers.nginx(nginx_executable, config_for(listen, ports), nginx_prefix, listen) as proxy:
        threads, before = browser_like_load(proxy.base_url, range(KILL_AFTER))
        join(threads)

        # Slow renders in flight on both instances (least_conn spreads them) when one dies.
        # The fast load waits meanwhile: a worker killed in the microseconds between writing
        # its status line and its body leaves a response that no proxy can retry.
        slow = []
        slow_threads = [threading.Thread(target=lambda: slow.append(fetch(proxy.base_url, SLOW)))
                        for _ in range(SLOW_REQUESTS)]
        for thread in slow_threads:
            thread.start()
        # Killed once a slow render holds one of its figures, read from its metrics files: its
        # workers are busy, so its /metrics would answer only after the render.
        deadline = time.monotonic() + DEADLINE
        while figures_in_use(victim_metrics) < 1 and time.monotonic() < deadline:
            time.sleep(0.005)
        os.killpg(victim.pid, signal.SIGKILL)  # master and workers at once
        victim.wait(timeout=10)

        # The survivor alone has max_conns=6 slots, four of which the slow renders hold: the fast load
        # resumes once they are done, so that it stays within them (beyond them nginx answers
        # 503 by design; test_nginx_overload.py tests that).
        join(slow_threads)
        threads, after = browser_like_load(proxy.base_url, range(KILL_AFTER, REQUESTS))
        join(threads)
        access_log = (nginx_prefix / "logs" / "access.log").read_text()
    for log in ("access.log", "error.log"):  # kept with the test's other logs for a post-mortem
        shutil.copy(nginx_prefix / "logs" / log, tmp_path / f"nginx-{log}")

    results = before + slow + after
    failures = [detail for ok, detail, _ in results if not ok]
    served_before = Counter(tried[-1] for ok, _, tried in before if ok)
    served_after = Counter(tried[-1] for ok, _, tried in after if ok)
    slow_retried = [tried for ok, _, tried in slow if ok and tried[0] == dead]
    retried = sum(1 for ok, _, tried in results if ok and len(tried) > 1)
    print(f"\nnginx kill test: {len(results)} requests sent, {len(failures)} failed; "
          f"answered before the kill: {dict(served_before)}, after it: {dict(served_after)}; "
          f"slow renders in flight on the killed instance and answered by the other: {len(slow_retried)} "
          f"of {SLOW_REQUESTS}; answered after trying the dead instance: {retried}")

    assert len(results) == REQUESTS + SLOW_REQUESTS, f"only {len(results)} requests ran within {DEADLINE} s"
    assert failures == []
    assert set(served_before) == {live, dead}, f"both instances should serve before the kill: {served_before}"
    assert set(served_after) == {live}, f"only the survivor may answer after the kill: {served_after}"
    assert slow_retried and all(tried == [dead, live] for tried in slow_retried)
    assert " 502 " not in access_log and " 504 " not in access_log
