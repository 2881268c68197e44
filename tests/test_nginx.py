"""Scale-out: deploy/nginx.conf balancing two gunicorn instances on loopback; one is killed under load."""

import os
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest

from . import servers, tools
from .conftest import decode_png

CONFIG = servers.ROOT / "deploy" / "nginx.conf"

REQUESTS = 300  # in all; each page request is followed by its image, as a browser does
THREADS = 4
KILL_AFTER = 100  # completed requests
DEADLINE = 120  # seconds for the whole load; a run past it stops sending and fails


def config_for(listen_port: int, backend_ports) -> str:
    """deploy/nginx.conf with the test's own ports, everything else as shipped."""
    text = CONFIG.read_text()
    text, listens = re.subn(r"listen 127\.0\.0\.1:8080;", f"listen 127.0.0.1:{listen_port};", text)
    shipped = re.findall(r"^ *server 127\.0\.0\.1:\d+ (.*);$", text, flags=re.M)
    assert listens == 1 and len(shipped) == 2, "deploy/nginx.conf changed shape: update config_for"
    options = shipped[0]
    servers_block = "\n".join(f"        server 127.0.0.1:{port} {options};" for port in backend_ports)
    return re.sub(r"(^ *server 127\.0\.0\.1:\d+ .*;\n)+", servers_block + "\n", text, count=1, flags=re.M)


@pytest.fixture(scope="module")
def nginx_executable():
    return tools.executable("nginx")


def test_shipped_config_is_valid(nginx_executable, tmp_path):
    for folder in ("logs", "temp"):
        (tmp_path / folder).mkdir()
    result = subprocess.run([nginx_executable, "-t", "-p", f"{tmp_path}/", "-c", str(CONFIG),
                             "-e", str(tmp_path / "logs" / "error.log")], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_config_for_rewrites_only_the_ports():
    text = config_for(9000, [9001, 9002, 9003])
    assert "listen 127.0.0.1:9000;" in text and ":8080" not in text and ":800" not in text
    assert text.count("max_fails=1 fail_timeout=10s;") == 3
    assert "proxy_next_upstream error timeout" in text


class Load:
    """A bounded load through nginx from a few threads; every answer is checked."""

    def __init__(self, base_url):
        self.base_url = base_url
        self.lock = threading.Lock()
        self.next_index = 0
        self.completed = 0
        self.results = []  # (index, started after the kill, ok, detail, answering upstream, upstreams tried)
        self.killed = threading.Event()
        self.halfway = threading.Event()
        self.deadline = time.monotonic() + DEADLINE

    def run(self):
        threads = [threading.Thread(target=self.worker) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        return threads

    def worker(self):
        while time.monotonic() < self.deadline:
            with self.lock:
                index, self.next_index = self.next_index, self.next_index + 1
            if index >= REQUESTS:
                return
            after_kill = self.killed.is_set()
            result = self.fetch(index)
            with self.lock:
                self.results.append((index, after_kill, *result))
                self.completed += 1
                if self.completed >= KILL_AFTER:
                    self.halfway.set()

    def fetch(self, index):
        # Pairs of requests: the page, then the image it shows (small dpi keeps the run short).
        path = "/normal/5_2" if index % 2 == 0 else "/fig/5_2?dpi=60"
        try:
            with urllib.request.urlopen(self.base_url + path, timeout=30) as response:
                body, status = response.read(), response.status
                tried = response.headers.get("X-Upstream", "")
        except (urllib.error.URLError, OSError) as exc:
            return False, f"{path}: {exc!r}", None, ""
        upstreams = [address.strip() for address in re.split(r"[,:] (?=\d)", tried) if address.strip()]
        try:
            if path.startswith("/fig/"):
                assert decode_png(body).size == (240, 180)
            else:
                assert b'<img class="plot" id="plot" src="/fig/5_2"' in body
        except Exception as exc:  # a truncated or wrong body is a failed request too
            return False, f"{path}: status {status}, bad body: {exc!r}", None, tried
        return status == 200, f"{path}: status {status}", upstreams[-1] if upstreams else None, tried


def test_dead_instance_is_skipped_without_failed_requests(nginx_executable, tmp_path):
    ports = set()
    while len(ports) < 3:  # a port just released can be handed out again
        ports.add(servers.free_port())
    listen, *ports = sorted(ports)
    with servers.gunicorn(port=ports[0], workers=2, log_path=tmp_path / "a.log") as survivor, \
            servers.gunicorn(port=ports[1], workers=2, log_path=tmp_path / "b.log") as victim, \
            servers.nginx(nginx_executable, config_for(listen, ports), tmp_path / "nginx", listen) as proxy:
        load = Load(proxy.base_url)
        threads = load.run()
        assert load.halfway.wait(DEADLINE), "the load never got going"
        os.killpg(victim.pid, signal.SIGKILL)  # master and workers, mid-request
        load.killed.set()
        with load.lock:
            completed_before_kill = load.completed
        victim.wait(timeout=10)
        for thread in threads:
            thread.join(DEADLINE)
        access_log = (tmp_path / "nginx" / "logs" / "access.log").read_text()

    results = load.results
    failures = [detail for _, _, ok, detail, _, _ in results if not ok]
    live, dead = f"127.0.0.1:{ports[0]}", f"127.0.0.1:{ports[1]}"
    # results are in completion order
    before = Counter(upstream for _, _, _, _, upstream, _ in results[:completed_before_kill])
    after = Counter(upstream for _, after_kill, _, _, upstream, _ in results if after_kill)
    retried = sum(1 for *_, tried in results if "," in tried)
    print(f"\nnginx kill test: {len(results)} requests sent, {len(failures)} failed; "
          f"before the kill: {dict(before)}; started after it: {dict(after)}; "
          f"answered after trying the dead instance: {retried}; "
          f"completed when killed: {completed_before_kill}")

    assert len(results) == REQUESTS, f"only {len(results)} of {REQUESTS} requests ran within {DEADLINE} s"
    assert failures == []
    assert before[live] > 0 and before[dead] > 0, f"both instances should have served before the kill: {before}"
    assert set(after) == {live}, f"after the kill only the survivor may answer: {after}"
    assert access_log.count(" 200 ") >= REQUESTS and " 502 " not in access_log
    survivor_log = servers.wait_for_text(tmp_path / "a.log", "GET /fig/5_2?dpi=60")
    assert "GET /fig/5_2?dpi=60" in survivor_log
