"""The built-in plots draw every value their declarations allow, extremes included."""

import warnings

import pytest
from werkzeug.test import Client

from wsgi_plot import create_app

# Found by schemathesis: a var too small to change mean's float gave equal axis limits (a warning
# per request) or zero-width histogram bins (a 500).
EXTREMES = [
    "/fig/-1000000000_5e-324", "/fig/0_5e-324.svg", "/fig/1e9_1e-9", "/fig/1e9_1e9", "/fig/-1e9_1e9.pdf",
    "/plot/histogram.png?mean=0&var=5e-324", "/plot/histogram.png?mean=1e9&var=5e-324&bins=500",
    "/plot/histogram.png?mean=1e9&var=1e-6&bins=500", "/plot/histogram.svg?mean=-1e9&var=1e-300&bins=1",
    "/plot/histogram.png?mean=1e9&var=1e9&bins=500&n=1", "/plot/random-walk.png?step=5e-324&steps=1",
    "/plot/random-walk.pdf?step=1e9&steps=100000",
]


@pytest.mark.parametrize("url", EXTREMES)
def test_extreme_values_draw_without_errors_or_warnings(url):
    client = Client(create_app(pool_size=1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        response = client.get(url + ("&" if "?" in url else "?") + "dpi=30&seed=1")
    assert response.status_code == 200, response.data
