"""Deploys through the documented front (deploy/nginx.conf and two gunicorns) lose no request.

A rolling restart as docs/deploying.md describes it (SIGTERM an instance, start it again, wait for its
/readyz, then the next), a graceful reload of each (``kill -HUP``) and ``nginx -s reload``, under a light
steady load: every answer is a 200. And what one stopping worker does: it finishes the request in
hand and those already queued for it, and /readyz says it is draining. bench/deploys.py measures the
same events under heavier load (docs/performance.md).
"""

import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter

import pytest

from . import servers
from .deploy_servers import Client, Instance
from .servers import config_for

pytestmark = pytest.mark.server

#: A small image: the load is light, and what is counted is answers, not speed.
IMAGE = "/fig/5_2?dpi=50"


def test_rolling_restart_and_reloads_under_load_lose_no_request(nginx_executable, nginx_prefix, tmp_path):
    listen, *ports = (servers.free_port() for _ in range(5))
    instances = [Instance(name, port, probe, tmp_path) for name, port, probe in zip("AB", ports[:2], ports[2:])]
    try:
        for instance in instances:
            instance.start()
        for instance in instances:
            instance.wait_ready()
        config = config_for(listen, ports[:2], probe_ports=ports[2:])
        with servers.nginx(nginx_executable, config, nginx_prefix, listen) as proxy:
            clients = [Client(proxy.base_url + IMAGE) for _ in range(2)]  # about 10 requests a second each
            for client in clients:
                client.start()
            time.sleep(1)
            for instance in instances:  # the rolling restart
                assert instance.stop() == 0
                instance.start()
                instance.wait_ready()
            restarted = sum(len(client.answers) for client in clients)
            for instance in instances:
                instance.reload()
            reloaded = sum(len(client.answers) for client in clients)
            subprocess.run([nginx_executable, "-p", f"{nginx_prefix}/", "-c", str(nginx_prefix / "nginx.conf"),
                            "-e", str(nginx_prefix / "logs" / "error.log"), "-s", "reload"], check=True, timeout=30)
            time.sleep(2)
            answers = [answer for client in clients for answer in client.stop()]
    finally:
        for instance in instances:
            instance.kill()
    statuses = Counter(status for status, _ in answers)
    assert statuses == Counter({200: len(answers)}), (statuses, (nginx_prefix / "logs" / "error.log").read_text())
    # Load before, during and after each step; both restarted instances answered.
    assert 0 < restarted < reloaded < len(answers)
    after_restart = {upstream for _, upstream in answers[restarted:]}
    assert {f"127.0.0.1:{port}" for port in ports[:2]} <= after_restart


def test_a_stopping_worker_finishes_its_request_and_its_queue_and_reports_draining(tmp_path):
    """One worker drawing a slow image; a probe and an image queued behind it; then SIGTERM."""
    marks = tmp_path / "marks"
    marks.mkdir()
    port, probe = servers.free_port(), servers.free_port()
    instance = Instance("slow", port, probe, tmp_path, app="tests.slow_app:app", workers=1,
                        env={"SLOW_APP_MARKS": str(marks)})
    answers: dict[str, tuple[int, str]] = {}

    def ask(name: str, url: str) -> None:
        try:
            with urllib.request.urlopen(url, timeout=60) as answer:
                answers[name] = (answer.status, answer.read().decode(errors="replace"))
        except urllib.error.HTTPError as error:
            answers[name] = (error.code, error.read().decode(errors="replace"))
        except OSError as error:
            answers[name] = (0, type(error).__name__)

    try:
        instance.start()
        instance.wait_ready()
        slow = threading.Thread(target=ask, args=("slow", f"http://127.0.0.1:{port}/plot/slow.png?cost=3&dpi=20"))
        slow.start()
        deadline = time.monotonic() + 30
        while not (marks / "slow").exists():  # the worker is drawing it
            assert time.monotonic() < deadline
            time.sleep(0.02)
        queued = [threading.Thread(target=ask, args=("readyz", f"http://127.0.0.1:{probe}/readyz")),
                  threading.Thread(target=ask, args=("image", f"http://127.0.0.1:{port}{IMAGE}"))]
        for thread in queued:
            thread.start()
        time.sleep(0.5)  # both connected, waiting in the listen queues (loopback connects at once)
        assert not (marks / "slow.done").exists()
        assert instance.stop() == 0
        for thread in (slow, *queued):
            thread.join(timeout=60)
    finally:
        instance.kill()
    assert answers["slow"][0] == 200
    assert answers["image"][0] == 200
    assert answers["readyz"][0] == 503 and "draining" in answers["readyz"][1], answers["readyz"]
    assert "draining its listen queue" in instance.log()
