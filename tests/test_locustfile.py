"""bench/locustfile.py: it parses, its browser-like flow works against the app, and it runs under locust.

locust itself is optional (the bench extra), so the first two tests run its code
against a small stand-in for the three names it imports; the last one runs the
real locust, when installed, against gunicorn.
"""

import ast
import csv
import importlib.util
import shutil
import subprocess
import sys
import types

import pytest
from werkzeug.test import Client

from wsgi_plot import create_app

from . import servers
from .conftest import decode_png

LOCUSTFILE = servers.ROOT / "bench" / "locustfile.py"


def test_parses():
    tree = ast.parse(LOCUSTFILE.read_text(), filename=str(LOCUSTFILE))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module == "locust"
                for alias in node.names}
    assert imported == {"HttpUser", "between", "task"}


class AppSession:
    """The part of locust's HttpSession the locustfile uses, over an in-process WSGI app."""

    def __init__(self, app, base_url):
        self.client, self.base_url, self.requests = Client(app), base_url, []

    def get(self, url, name=None, headers=None):
        url = url if url.startswith("http") else self.base_url + url  # locust's _build_url
        response = self.client.get(url, headers=headers, buffered=True)
        response.url = url  # type: ignore[attr-defined]  # locust's responses carry the URL asked for
        self.requests.append((url, name, response))
        return response


def fake_locust():
    module = types.ModuleType("locust")

    class HttpUser:
        def __init__(self, client):
            self.client = client

    def task(weight):
        def mark(function):
            function.locust_task_weight = weight
            return function
        return mark(weight) if callable(weight) else mark

    vars(module).update(HttpUser=HttpUser, task=task, between=lambda low, high: (low, high))
    return module


@pytest.fixture
def locustfile(monkeypatch):
    monkeypatch.setitem(sys.modules, "locust", fake_locust())
    spec = importlib.util.spec_from_file_location("bench_locustfile", LOCUSTFILE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(params=["root", "mounted"])
def session(request):
    if request.param == "root":
        return AppSession(create_app(pool_size=1), "http://localhost")
    from examples.werkzeug_host import app

    return AppSession(app, "http://localhost/plots")


def test_each_task_loads_the_page_then_its_image(locustfile, session):
    user = locustfile.PlotViewer(session)
    tasks = [getattr(user, name) for name in dir(user) if hasattr(getattr(user, name), "locust_task_weight")]
    assert len(tasks) == 2
    for run in tasks:
        session.requests.clear()
        run()
        (page_url, _, page), (image_url, image_name, image) = session.requests
        assert page.status_code == 200 and page.mimetype == "text/html"
        assert image.status_code == 200 and image.mimetype == "image/png" and image_name.endswith(" image")
        assert image_url.startswith(session.base_url + "/fig/")
        assert decode_png(image.data).size == (1200, 900)


def test_a_page_without_the_image_is_an_error(locustfile):
    with pytest.raises(ValueError, match="no <img"):
        locustfile.plot_image_url("http://localhost/", "<p>nothing</p>")


@pytest.mark.server
def test_runs_under_locust(tmp_path):
    locust = shutil.which("locust", path=str(servers.BIN)) or shutil.which("locust")
    if locust is None:
        pytest.skip("locust is optional (pip install '.[bench]'); the tests above cover its file without it")
    with servers.gunicorn(workers=2, log_path=tmp_path / "gunicorn.log") as server:
        result = subprocess.run(
            [locust, "-f", str(LOCUSTFILE), "--host", server.base_url, "--headless", "--users", "4",
             "--spawn-rate", "4", "--run-time", "4s", "--only-summary", "--csv", str(tmp_path / "locust"),
             "--web-host", "127.0.0.1"],
            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(tmp_path / "locust_stats.csv", newline="") as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    assert int(rows["/normal/5_2"]["Request Count"]) > 0
    assert int(rows["/normal/5_2 image"]["Request Count"]) > 0
    assert int(rows["Aggregated"]["Failure Count"]) == 0
