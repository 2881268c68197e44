import io

import pytest
from PIL import Image
from werkzeug.test import Client

from wsgi_plot import create_app


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
