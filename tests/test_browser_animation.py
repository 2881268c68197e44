"""Chromium shows plots that move: an APNG animating and a stream updating, each in a plain <img>, no script."""

import time

import pytest

from wsgi_plot import create_app

from . import servers

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url():
    # werkzeug's threaded server says wsgi.multithread: True, as gunicorn -k gthread does.
    with servers.threaded_server(create_app()) as url:
        yield url


def screenshots_differ(page, timeout=15.0) -> bool:
    """Whether the image's pixels on screen change, polled until ``timeout``."""
    page.wait_for_function("() => { const i = document.getElementById('moving'); "
                           "return i.complete && i.naturalWidth > 0; }", timeout=timeout * 1000)
    first = page.locator("#moving").screenshot()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if page.locator("#moving").screenshot() != first:
            return True
    return False


def show(page, url):
    page.set_content(f'<img id="moving" src="{url}" width="300" height="225" alt="moving plot">')


@pytest.mark.parametrize("fmt", ["apng", "gif"])
def test_an_animation_moves_on_screen(page, base_url, fmt):
    show(page, f"{base_url}/plot/normal.{fmt}?frames=10&fps=4&size=4x3&dpi=75")
    assert screenshots_differ(page)


def test_a_still_png_does_not(page, base_url):
    """The control: the same polling sees no change in an image that does not move."""
    show(page, f"{base_url}/plot/normal.png?size=4x3&dpi=75")
    assert not screenshots_differ(page, timeout=2.0)


def test_a_stream_updates_in_a_plain_img(page, base_url):
    show(page, f"{base_url}/plot/normal.stream?fps=5&seconds=20&size=4x3&dpi=75")
    assert screenshots_differ(page)
