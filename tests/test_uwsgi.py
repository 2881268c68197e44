"""End to end: uWSGI (the pyuwsgi wheel) with the project's uwsgi.ini, over HTTP on loopback."""

import os
import re
import signal
import time

import pytest

from . import servers
from .conftest import decode_png
from .http_checks import check_recipe_page, check_recipe_png, fetch

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("uwsgi") / "uwsgi.log"
    with servers.uwsgi(servers.uwsgi_executable(), workers=2, log_path=log) as proc:
        proc.log_path = log
        yield proc


def test_png_over_http(server):
    check_recipe_png(server.base_url)


def test_page_over_http(server):
    check_recipe_page(server.base_url)


def test_binds_loopback_by_default(server):
    log = server.log_path.read_text()
    assert f"bound to TCP address 127.0.0.1:{server.port} " in log


def test_app_is_built_in_each_worker_after_fork(server):
    """lazy-apps: every worker loads the app itself; the master never does."""
    deadline = time.monotonic() + 30  # the second worker may still be importing
    while True:
        log = server.log_path.read_text()
        workers = set(re.findall(r"spawned uWSGI worker \d+ \(pid: (\d+)", log))
        loaded = set(re.findall(r"WSGI app 0 \(mountpoint=''\) ready in \d+ seconds on interpreter \S+ pid: (\d+)", log))
        if len(loaded) >= 2 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert len(workers) == 2
    assert loaded == workers and str(server.pid) not in loaded


def test_requests_are_logged(server):
    fetch(server.base_url + "/fig/5_2?dpi=50")
    assert "GET /fig/5_2?dpi=50 =>" in servers.wait_for_text(server.log_path, "GET /fig/5_2?dpi=50")


def test_max_requests_recycles_a_worker_and_sigterm_stops(tmp_path):
    log = tmp_path / "uwsgi.log"
    # uWSGI keeps a worker at least min-worker-lifetime (10 s by default) before recycling it.
    # A worker younger than that at its third request is recycled at a later one: requests go
    # on (bounded) until the log says it was.
    with servers.uwsgi(servers.uwsgi_executable(), workers=1, env={"MAX_REQUESTS": "3"}, log_path=log,
                       extra=("--min-worker-lifetime", "1")) as proc:
        deadline = time.monotonic() + 30
        for _ in range(300):
            assert fetch(proc.base_url + "/normal/5_2?n=3")[0] == 200
            if "Respawned uWSGI worker 1" in log.read_text() or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        text = servers.wait_for_text(log, "Respawned uWSGI worker 1")
        assert "max requests reached" in text or "is done. Seeya!" in text
        assert "Respawned uWSGI worker 1" in text
        assert decode_png(fetch(proc.base_url + "/fig/5_2?dpi=50")[2]).size == (200, 150)

        # die-on-term: SIGTERM to the master stops uWSGI instead of reloading it.
        os.kill(proc.pid, signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    assert "goodbye to uWSGI" in log.read_text()
