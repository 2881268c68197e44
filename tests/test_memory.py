"""A worker's memory stays bounded whatever the requests: real gunicorn, one worker, a hostile burst.

The burst is what a hostile client would send: 40 images, each at a different size near the
8-Mpx budget (every one a new pool key), in PNG, SVG and PDF; then 200 ordinary /fig/5_2. Before
the pool had a byte budget this took the worker to 1,130 MiB, and it stayed there.
"""

import re
import time
import urllib.request
from pathlib import Path

import pytest

from . import servers

pytestmark = [pytest.mark.server, pytest.mark.exclusive]

#: Limits from the issue: with pool_max_bytes at its default (128 MiB) a worker peaks near 200 MiB.
MAX_PEAK_MIB = 450
MAX_AFTER_MIB = 300

BURST = [f"/fig/5_2{fmt}?size={10.4 - 0.01 * i:.2f}x8.5"  # 3120x2550 px down to 3003x2550, at 300 dpi
         for i, fmt in zip(range(40), ["", ".svg", ".pdf"] * 14)]


def memory_mib(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    kib = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.M))
    return {key: int(kib[key]) / 1024 for key in ("VmHWM", "VmRSS")}


def get(url: str):
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.status, response.headers, response.read()


def checkout_ms(headers) -> float:
    checkout = re.search(r"checkout;dur=([0-9.]+)", headers["Server-Timing"])
    assert checkout
    return float(checkout.group(1))


def metric(base_url: str, name: str) -> float:
    text = get(base_url + "/metrics")[2].decode()
    sample = re.search(rf"^{name} (\S+)$", text, re.M)
    assert sample, name
    return float(sample.group(1))


def wait_until_ready(base_url: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if get(base_url + "/readyz")[0] == 200:
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with servers.gunicorn(workers=1, env={"MAX_REQUESTS": "0"}, log_path=log) as proc:
        wait_until_ready(proc.base_url)
        children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
        (proc.worker,) = children  # type: ignore[attr-defined]  # the one worker's pid, kept for the tests
        yield proc


def test_first_request_after_ready_builds_no_figure(server):
    bytes_before = metric(server.base_url, "wsgi_plot_pool_bytes")
    assert bytes_before > 0  # the default figures were prepared before the worker took requests
    status, warm, _ = get(server.base_url + "/fig/5_2")
    assert status == 200
    assert metric(server.base_url, "wsgi_plot_pool_bytes") == bytes_before  # no new figure was counted
    status, cold, _ = get(server.base_url + "/fig/5_3")  # a key never seen: its figure is built now
    assert status == 200
    assert checkout_ms(warm) * 10 < checkout_ms(cold), (warm["Server-Timing"], cold["Server-Timing"])


def test_a_burst_near_the_pixel_budget_leaves_memory_bounded(server):
    statuses = [get(server.base_url + path)[0] for path in BURST]
    after_burst = memory_mib(server.worker)
    statuses += [get(server.base_url + "/fig/5_2")[0] for _ in range(200)]
    after = memory_mib(server.worker)
    assert statuses == [200] * 240
    assert after["VmHWM"] < MAX_PEAK_MIB, (after_burst, after)
    assert after_burst["VmRSS"] < MAX_AFTER_MIB and after["VmRSS"] < MAX_AFTER_MIB, (after_burst, after)
    assert metric(server.base_url, "wsgi_plot_pool_bytes") <= 128 * 2**20
    print(f"worker memory after the burst {after_burst}, after 200 more {after}")


def test_malloc_thresholds_are_set_in_a_glibc_process():
    import platform
    import subprocess
    import sys

    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt thresholds are glibc's")
    code = "from wsgi_plot.serve.memory import set_malloc_thresholds; print(set_malloc_thresholds())"
    run = subprocess.run([sys.executable, "-c", code], cwd=servers.ROOT, capture_output=True, text=True, timeout=60)
    assert run.stdout.strip() == "True", run.stderr
