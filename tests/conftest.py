import io

import pytest
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
