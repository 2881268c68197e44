import io

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image
from werkzeug.test import Client

from wsgi_plot import create_app
from wsgi_plot.stream import BOUNDARY


@pytest.fixture(params=[1, 4], ids=["pool1", "pool4"])
def app(request):
    """The app as users get it, with a pool of one figure and of several."""
    return create_app(pool_size=request.param)


@pytest.fixture
def client(app):
    return Client(app)


@pytest.fixture
def plain_client():
    """One app with the default pool, for tests of validation, errors and headers: the pool's size
    changes nothing there, so running them for both pools would only run them twice."""
    return Client(create_app())


def decode_png(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    image.load()  # decodes every scanline; a corrupt stream raises here
    return image


def border(image, ring):
    """The outermost ``ring`` rows and columns of an image, as one array of pixels."""
    pixels = np.asarray(image.convert("RGBA"))
    return np.concatenate([pixels[:ring].reshape(-1, 4), pixels[-ring:].reshape(-1, 4),
                           pixels[:, :ring].reshape(-1, 4), pixels[:, -ring:].reshape(-1, 4)])


def reference_png(plot, values, seed, width, height, dpi) -> bytes:
    """What plain matplotlib draws with ``plot``'s code: the reference every picture is held to.

    A new ``Figure(layout="constrained")``, ``draw`` (or ``init`` then ``update``) with the
    generator a request with ``seed`` gets, and ``savefig``: no pool, no frozen layout, no fast path.
    """
    figure = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    rng = np.random.default_rng(seed)
    if plot.draw is not None:
        plot.draw(figure, values, rng)
    else:
        plot.update(plot.init(figure, plot.static_values(values)), values, rng)
    out = io.BytesIO()
    FigureCanvasAgg(figure).print_png(out)
    return out.getvalue()


def split_parts(body: bytes) -> list[tuple[dict, bytes]]:
    """``(headers, payload)`` per part, cut by each part's Content-Length, as a client would."""
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
