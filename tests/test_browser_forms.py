"""In Chromium: a plot page's select, date input and checkbox submit, and the image follows.

The README's example plot (tests/readme_app.py) under gunicorn; the browser fills the form as a
user would, submits it, and the page that comes back shows the image of the chosen values.
"""

import hashlib
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest

from . import servers
from .browsers import IMAGE_DECODED, IMAGE_PIXELS
from .conftest import decode_png

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    with servers.gunicorn(workers=1, app="tests.readme_app:app", log_path=log) as proc:
        yield proc


def submit(page):
    """Submit the form; (query of the new page, image bytes received, hash of the pixels shown)."""
    with page.expect_response(lambda response: response.request.resource_type == "image") as image:
        with page.expect_navigation():
            page.click("button[type=submit]")
    response = image.value
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    page.wait_for_function(IMAGE_DECODED)
    body = response.body()
    decode_png(body)
    pixels = hashlib.sha256(page.evaluate(IMAGE_PIXELS).encode()).hexdigest()
    return parse_qs(urlsplit(page.url).query), body, pixels


def test_select_date_and_checkbox_submit_and_the_image_follows(page, server, tmp_path):
    page.goto(server.base_url + "/plot/sine")
    page.wait_for_function(IMAGE_DECODED)
    page.select_option("select[name=wave]", "square")
    page.fill("input[name=day]", "2024-03-01")
    page.check("input[name=grid][type=checkbox]")
    page.fill("input[name=seed]", "5")
    page.fill("input[name=dpi]", "50")
    query, body, ticked_pixels = submit(page)
    assert query["wave"] == ["square"] and query["day"] == ["2024-03-01"] and query["grid"] == ["false", "true"]
    src = page.evaluate("() => document.getElementById('plot').src")
    assert parse_qs(urlsplit(src).query) == query  # the image asks for what the form sent
    with urllib.request.urlopen(src, timeout=30) as response:
        assert response.read() == body  # and is that plot: seeded, so the same bytes again
    # What the form shows now is what was chosen.
    assert page.eval_on_selector("select[name=wave]", "e => e.value") == "square"
    assert page.eval_on_selector("input[name=day]", "e => e.value") == "2024-03-01"
    assert page.is_checked("input[name=grid][type=checkbox]")
    assert page.title() == "noisy square"
    page.screenshot(path=str(tmp_path / "sine_form.png"), full_page=True)

    page.uncheck("input[name=grid][type=checkbox]")  # the hidden field now sends false alone
    query, body, unticked_pixels = submit(page)
    assert query["grid"] == ["false"] and not page.is_checked("input[name=grid][type=checkbox]")
    assert unticked_pixels != ticked_pixels  # the grid lines are gone

    page.select_option("select[name=wave]", "sine")
    page.fill("input[name=day]", "2025-12-31")
    query, body, sine_pixels = submit(page)
    assert query["wave"] == ["sine"] and query["day"] == ["2025-12-31"]
    assert sine_pixels != unticked_pixels
    assert page.eval_on_selector("select[name=wave]", "e => e.value") == "sine"


def test_a_plot_with_a_required_parameter_asks_for_it_before_any_image(page, server, tmp_path):
    images = []
    page.on("request", lambda request: images.append(request.url) if request.resource_type == "image" else None)
    page.goto(server.base_url + "/plot/line")  # y is required and has no default
    assert page.inner_text("#missing") == "Fill in y to draw the plot."
    assert page.eval_on_selector("input[name=y]", "e => e.validity.valueMissing") is True
    page.click("button[type=submit]")  # the browser keeps the form: y is required
    assert page.evaluate("() => document.querySelector('form').checkValidity()") is False
    assert page.evaluate("() => [...document.querySelectorAll('input:invalid, select:invalid')].map(e => e.name)") == ["y"]
    assert urlsplit(page.url).query == "" and [url for url in images if "/plot/line" in url] == []
    page.screenshot(path=str(tmp_path / "line_form.png"), full_page=True)
    page.fill("input[name=y]", "3,1,4,1,5")
    page.fill("input[name=dpi]", "50")
    query, body, _ = submit(page)
    assert query["y"] == ["3,1,4,1,5"] and page.query_selector("#missing") is None
    assert decode_png(body).size == (200, 150)
