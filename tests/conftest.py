from __future__ import annotations

import fcntl
import io
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.testing.compare import compare_images
from PIL import Image
from werkzeug.test import Client

from wsgi_plot import Plot, PlotApp, create_app
from wsgi_plot.declare.params import Values
from wsgi_plot.encode.multipart import BOUNDARY

from . import servers, tools
from .browsers import CHROMIUM, LAUNCH_ARGS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page


@pytest.fixture(params=[1, 4], ids=["pool1", "pool4"])
def app(request: pytest.FixtureRequest) -> PlotApp:
    """The app as users get it, with a pool of one figure and of several."""
    return create_app(pool_size=request.param)


@pytest.fixture
def client(app: PlotApp) -> Client:
    return Client(app)


@pytest.fixture
def plain_client() -> Client:
    """One app with the default pool, for tests of validation, errors and headers: the pool's size
    changes nothing there, so running them for both pools would only run them twice."""
    return Client(create_app())


def decode_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()  # decodes every scanline; a corrupt stream raises here
    return image


def border(image: Image.Image, ring: int) -> np.ndarray:
    """The outermost ``ring`` rows and columns of an image, as one array of pixels."""
    pixels = np.asarray(image.convert("RGBA"))
    return np.concatenate([pixels[:ring].reshape(-1, 4), pixels[-ring:].reshape(-1, 4),
                           pixels[:, :ring].reshape(-1, 4), pixels[:, -ring:].reshape(-1, 4)])


def reference_png(plot: Plot, values: Values, seed: int | None, width: float, height: float, dpi: float) -> bytes:
    """What plain matplotlib draws with ``plot``'s code: the reference every picture is held to.

    A new ``Figure(layout="constrained")``, ``draw`` (or ``init`` then ``update``) with the
    generator a request with ``seed`` gets, and ``savefig``: no pool, no frozen layout, no fast path.
    """
    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    rng = np.random.default_rng(seed)
    if plot.draw is not None:
        plot.draw(figure, values, rng)
    else:
        assert plot.init is not None and plot.update is not None
        plot.update(plot.init(figure, plot.static_values(values)), values, rng)
    out = io.BytesIO()
    FigureCanvasAgg(figure).print_png(out)
    return out.getvalue()


def split_parts(body: bytes) -> list[tuple[dict, bytes]]:
    """``(headers, payload)`` per part, cut by each part's Content-Length, as a client would."""
    parts: list[tuple[dict, bytes]]
    parts, rest = [], body
    while True:
        line, rest = rest.split(b"\r\n", 1)
        if line == f"--{BOUNDARY}--".encode():
            assert rest == b""
            return parts
        assert line == f"--{BOUNDARY}".encode()
        head, rest = rest.split(b"\r\n\r\n", 1)
        headers = dict(h.split(": ", 1) for h in head.decode().split("\r\n"))
        length = int(headers["Content-Length"])
        payload, rest = rest[:length], rest[length:]
        assert rest.startswith(b"\r\n")
        rest = rest[2:]
        parts.append((headers, payload))


def assert_same_picture(actual: bytes, expected: bytes, tmp_path: Path, tol: float = 1.0) -> None:
    (tmp_path / "actual.png").write_bytes(actual)
    (tmp_path / "expected.png").write_bytes(expected)
    assert compare_images(str(tmp_path / "expected.png"), str(tmp_path / "actual.png"), tol=tol) is None


# Real processes: headless Chromium, nginx, the sensors example's writer under gunicorn.

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    sync_api = tools.module("playwright.sync_api")
    executable = tools.executable("chromium", CHROMIUM)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def nginx_executable() -> str:
    return tools.executable("nginx")


@pytest.fixture
def nginx_prefix() -> Iterator[Path]:
    # Not under pytest's tmp_path: its parents are private to root, and nginx's
    # workers (user nobody) must reach the temporary files for large responses.
    with tempfile.TemporaryDirectory(prefix="wsgi_plot-nginx-") as prefix:
        os.chmod(prefix, 0o755)
        yield Path(prefix)


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[servers.ServerProcess, Path]]:
    """(gunicorn, database path) with the sensors example's writer appending every second."""
    from examples.sensors import db

    folder = tmp_path_factory.mktemp("sensors-live")
    path = folder / "s.db"
    db.create(path, sensors=3, days=2, seed=4)
    with servers.sensors_writer(path, seconds=300) as started, \
            servers.gunicorn(workers=2, app="examples.sensors:app", env={"SENSORS_DB": str(path)},
                             log_path=folder / "gunicorn.log", extra=("--preload",)) as server:
        servers.wait_for_a_reading_after(path, started)  # the writer's start-up (imports) can take seconds on a busy machine
        yield server, path


@pytest.fixture(autouse=True)
def _alone_when_exclusive(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Under pytest-xdist, a test marked ``exclusive`` (throughput, pacing, overload) runs while no
    other worker runs a test: its figures compare rates measured seconds apart, and another worker's
    renders would take CPU from one phase and not the other. A lock file shared by the workers:
    every test holds it shared, an exclusive one holds it alone."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        yield
        return
    lock_path = tmp_path_factory.getbasetemp().parent / "wsgi_plot-exclusive.lock"  # the run's, all workers'
    with open(lock_path, "a") as lock:
        exclusive = request.node.get_closest_marker("exclusive") is not None
        fcntl.flock(lock, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
