"""/metrics: what is counted, in one process and summed across gunicorn's and uWSGI's worker processes."""

import json
import os
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.mmap_dict import MmapedDict
from werkzeug.test import Client

from wsgi_plot import create_app

from . import servers
from .metrics_text import samples, value
from .servers import uwsgi_executable, worker_pids


def test_counts_requests_renders_waits_and_figures_in_use():
    client = Client(create_app(pool_size=2))
    for url in ["/fig/5_2?dpi=20", "/fig/5_2.svg?dpi=20", "/fig/5_2?dpi=20", "/fig/5_0", "/nope", "/normal/5_2"]:
        client.get(url)
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain" and "version=" in response.headers["Content-Type"]
    scraped = samples(response.get_data(as_text=True))
    assert value(scraped, "wsgi_plot_requests_total", route="/fig/<spec>", status="200") == 3
    assert value(scraped, "wsgi_plot_requests_total", route="/fig/<spec>", status="400") == 1
    assert value(scraped, "wsgi_plot_requests_total", route="unmatched", status="404") == 1
    assert value(scraped, "wsgi_plot_requests_total", route="/normal/<spec>", status="200") == 1
    assert value(scraped, "wsgi_plot_render_seconds_count", format="png") == 2
    assert value(scraped, "wsgi_plot_render_seconds_count", format="svg") == 1
    assert value(scraped, "wsgi_plot_render_seconds_sum", format="png") > 0
    assert value(scraped, "wsgi_plot_figure_wait_seconds_count") == 3
    assert value(scraped, "wsgi_plot_figures_in_use") == 0
    assert ("wsgi_plot_rejections_total", frozenset({("reason", "pool_exhausted")})) not in scraped


def test_figures_in_use_counts_a_render_in_progress():
    from wsgi_plot import Plot, PlotRegistry

    seen = []

    def draw(fig, p, rng):
        seen.append(value(samples(client.get("/metrics").get_data(as_text=True)), "wsgi_plot_figures_in_use"))

    client = Client(create_app(registry=PlotRegistry([Plot("probe", draw=draw)])))
    assert client.get("/plot/probe.png?dpi=20").status_code == 200
    assert seen == [1]
    assert value(samples(client.get("/metrics").get_data(as_text=True)), "wsgi_plot_figures_in_use") == 0


def test_turned_off_there_is_no_metrics_page():
    client = Client(create_app(metrics=False))
    client.get("/fig/5_2?dpi=20")
    response = client.get("/metrics")
    assert response.status_code == 404 and "path" in response.get_data(as_text=True)


COUNT_IN_A_FRESH_PROCESS = """
import json, os, sys
from werkzeug.test import Client
from wsgi_plot import create_app
client = Client(create_app(metrics=sys.argv[1] == "on"))
for _ in range(3):
    assert client.get("/fig/5_2?dpi=20").status_code == 200
print(json.dumps(sorted(os.listdir(os.environ["PROMETHEUS_MULTIPROC_DIR"]))))
"""


@pytest.mark.parametrize("setting", ["on", "off"])
def test_multiprocess_files_are_written_only_when_metrics_are_on(tmp_path, setting):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", COUNT_IN_A_FRESH_PROCESS, setting], env=env, check=True,
                         capture_output=True, text=True, cwd=servers.ROOT).stdout
    files = json.loads(out)
    if setting == "off":
        assert files == []  # nothing counted at all
    else:
        assert any(f.startswith("counter_") for f in files) and any(f.startswith("histogram_") for f in files)


def test_multiprocess_dir_set_after_import_is_an_error(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))  # prometheus_client is already imported
    with pytest.raises(RuntimeError, match="PROMETHEUS_MULTIPROC_DIR"):
        create_app()


def send_until_every_worker_counted(server, directory) -> tuple[int, dict, set]:
    """Bursts of PNG requests until each worker has counted one (so it has also finished warming up), then a scrape.

    Returns (requests sent, the scrape, worker pids). The kernel may hand a burst to one
    worker, so bursts go on (bounded) until every one has counted.
    """
    requests_per_thread, threads = 5, 4
    sent = 0

    def pids_with_counters():
        # A worker's counter file exists from the moment it builds the app, before it has warmed up
        # and served: only a request counted in it shows the worker is serving.
        return {int(f.name.split("_")[-1].split(".")[0]) for f in Path(directory).glob("counter_*.db")
                if any(json.loads(key)[1] == "wsgi_plot_requests_total" and value > 0
                       for key, value, *_ in MmapedDict.read_all_values_from_file(f))}

    def fetch_many():
        for _ in range(requests_per_thread):
            with urllib.request.urlopen(server.base_url + "/fig/5_2?dpi=30", timeout=30) as response:
                response.read()

    pids = worker_pids(server.pid)
    for _ in range(20):
        clients = [threading.Thread(target=fetch_many) for _ in range(threads)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        sent += requests_per_thread * threads
        if pids_with_counters() >= pids:
            break
    with urllib.request.urlopen(server.base_url + "/metrics", timeout=30) as response:
        scraped = samples(response.read().decode())
    # Every worker wrote its own counter file: the sums come from all the processes.
    assert len(pids) == 2 and pids_with_counters() >= pids
    return sent, scraped, pids


def assert_sums(scraped, sent):
    assert value(scraped, "wsgi_plot_requests_total", route="/fig/<spec>", status="200") == sent
    assert value(scraped, "wsgi_plot_render_seconds_count", format="png") == sent
    assert value(scraped, "wsgi_plot_figures_in_use") == 0


@pytest.mark.server
def test_counts_from_every_gunicorn_worker_are_summed(tmp_path):
    with servers.gunicorn(workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}) as server:
        sent, scraped, _ = send_until_every_worker_counted(server, tmp_path)
    assert_sums(scraped, sent)


#: Nothing named, and a home that cannot be written, as for many service accounts; TMPDIR is the
#: test's own, so that no other test's server adds directories where this one looks.
OWN_DIRS_ENV = {"PROMETHEUS_MULTIPROC_DIR": None, "MPLCONFIGDIR": None, "HOME": "/dev/null",
                "XDG_CONFIG_HOME": None, "XDG_CACHE_HOME": None}


def check_matplotlib_dir_of_the_run(tmp_path, log):
    """Workers got a writable MPLCONFIGDIR: matplotlib made no throwaway one (and rebuilt its font list there)."""
    assert "Matplotlib created a temporary cache directory" not in log.read_text()
    (made,) = tmp_path.glob("wsgi_plot-matplotlib-*")
    assert list(made.glob("fontlist-*.json"))  # built there, read by later worker starts
    return made


@pytest.mark.server
def test_uwsgi_makes_its_own_run_dirs_sums_every_worker_and_removes_them(tmp_path):
    """As uwsgi.ini ships: no PROMETHEUS_MULTIPROC_DIR or MPLCONFIGDIR given, so uWSGI makes them for the run."""
    log = tmp_path / "uwsgi.log"
    with servers.uwsgi(uwsgi_executable(), workers=2, env={**OWN_DIRS_ENV, "TMPDIR": str(tmp_path)},
                       log_path=log) as server:
        made = list(tmp_path.glob("wsgi_plot-metrics-*"))
        assert len(made) == 1
        sent, scraped, _ = send_until_every_worker_counted(server, made[0])
        made.append(check_matplotlib_dir_of_the_run(tmp_path, log))
    assert_sums(scraped, sent)
    assert not any(directory.exists() for directory in made)


@pytest.mark.server
def test_uwsgi_clears_a_named_metrics_dir_at_start(tmp_path):
    stale = tmp_path / "counter_999999.db"  # a worker of an earlier run
    stale.write_bytes(b"left over")
    with servers.uwsgi(uwsgi_executable(), workers=1, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}) as server:
        assert not stale.exists()
        with urllib.request.urlopen(server.base_url + "/fig/5_2?dpi=20", timeout=30) as response:
            response.read()
        with urllib.request.urlopen(server.base_url + "/metrics", timeout=30) as response:
            scraped = samples(response.read().decode())
    assert value(scraped, "wsgi_plot_requests_total", route="/fig/<spec>", status="200") == 1
    assert tmp_path.is_dir()  # named by the operator: kept


@pytest.mark.server
def test_gunicorn_makes_and_removes_its_own_run_dirs(tmp_path):
    log = tmp_path / "gunicorn.log"
    env = {**OWN_DIRS_ENV, "PROMETHEUS_MULTIPROC_DIR": "", "TMPDIR": str(tmp_path)}  # empty counts as not given
    with servers.gunicorn(workers=1, env=env, log_path=log) as server:
        with urllib.request.urlopen(server.base_url + "/fig/5_2?dpi=20", timeout=30) as response:
            response.read()
        made = list(tmp_path.glob("wsgi_plot-metrics-*"))
        assert len(made) == 1 and list(made[0].glob("counter_*.db"))
        with urllib.request.urlopen(server.base_url + "/metrics", timeout=30) as response:
            scraped = samples(response.read().decode())
        assert value(scraped, "wsgi_plot_requests_total", route="/fig/<spec>", status="200") == 1
        made.append(check_matplotlib_dir_of_the_run(tmp_path, log))
    assert not any(directory.exists() for directory in made)


def scrape(base_url) -> dict:
    with urllib.request.urlopen(base_url + "/metrics", timeout=60) as response:
        return samples(response.read().decode())


@pytest.mark.server
def test_uwsgi_worker_killed_mid_render_leaves_no_figure_in_use(tmp_path):
    """uWSGI has no hook when a worker dies: the scrape itself drops the dead worker's live gauges."""
    with servers.uwsgi(uwsgi_executable(), workers=1, env={"PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}) as server:
        (worker,) = worker_pids(server.pid)
        slow = threading.Thread(target=lambda: fetch_quietly(server.base_url + "/fig/5_2?n=10000&dpi=600"))
        slow.start()
        # Until the worker holds the figure (its own gauge file says 1), then kill it there.
        for _ in range(200):
            held = [value for key, value, *_ in MmapedDict.read_all_values_from_file(
                str(tmp_path / f"gauge_livesum_{worker}.db")) if "wsgi_plot_figures_in_use" in key]
            if held == [1.0]:
                break
            threading.Event().wait(0.02)
        assert held == [1.0], held
        os.kill(worker, 9)
        slow.join(60)
        servers.wait_for_http(server.base_url + "/healthz")  # uWSGI has started another worker
        scraped = scrape(server.base_url)
        (respawned,) = worker_pids(server.pid)
    assert respawned != worker
    assert not (tmp_path / f"gauge_livesum_{worker}.db").exists()
    assert value(scraped, "wsgi_plot_figures_in_use") == 0
    # and the pool bytes are the new worker's alone (its warm-up figures), not the dead one's too
    assert value(scraped, "wsgi_plot_pool_bytes") == sum(
        value for key, value, *_ in MmapedDict.read_all_values_from_file(str(tmp_path / f"gauge_livesum_{respawned}.db"))
        if "wsgi_plot_pool_bytes" in key)


def fetch_quietly(url):
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            response.read()
    except OSError:
        pass  # its worker was killed: no answer
