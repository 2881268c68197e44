"""A real browser: headless Debian Chromium, driven by Playwright, against gunicorn on loopback.

The page's image is decoded by the browser, and every load (navigation, reload,
the "new sample" link) shows a new sample: the browser fetches the image again
instead of reusing a cached copy. That is checked on what the browser received
(the image response's body) and on what it shows (the pixels, drawn to a canvas).
A control server that allows caching shows the same checks do see a cached image.
"""

import base64
import hashlib

import numpy as np
import pytest
from PIL import Image
from werkzeug.test import Client

from wsgi_plot import create_app, default_registry
from wsgi_plot.declare.params import Values
from wsgi_plot.figures.pipeline import render_unpooled

from . import servers, tools
from .browsers import IMAGE_DECODED, IMAGE_PIXELS
from .conftest import decode_png

pytestmark = [pytest.mark.browser, pytest.mark.server]

@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with servers.gunicorn(workers=2, log_path=tmp_path_factory.mktemp("gunicorn") / "gunicorn.log") as proc:
        yield proc


@pytest.fixture(scope="module", params=["werkzeug_host", "flask_host"])
def mounted_server(request, tmp_path_factory):
    """An examples host app, wsgi_plot at /plots, under gunicorn."""
    if request.param == "flask_host":
        tools.module("flask")
    log = tmp_path_factory.mktemp(request.param) / "gunicorn.log"
    with servers.gunicorn(workers=2, app=f"examples.{request.param}:app", log_path=log) as proc:
        yield proc


def load(page, action):
    """Run ``action`` (a navigation); return (image body received, hash of the pixels shown)."""
    with page.expect_response(lambda response: response.request.resource_type == "image") as image:
        action()
    response = image.value
    assert response.status == 200 and response.headers["content-type"] == "image/png"
    page.wait_for_function(IMAGE_DECODED)
    decoded = page.evaluate("() => [document.getElementById('plot').naturalWidth,"
                            " document.getElementById('plot').naturalHeight]")
    assert decoded == [1200, 900]
    body = response.body()
    assert decode_png(body).size == (1200, 900)
    return hashlib.sha256(body).hexdigest(), hashlib.sha256(page.evaluate(IMAGE_PIXELS).encode()).hexdigest()


def three_loads(page, url):
    """The page loaded, reloaded and its "new sample" link clicked: one (body, pixels) per load."""
    loads = [load(page, lambda: page.goto(url)), load(page, page.reload)]
    loads.append(load(page, lambda: page.click("#new-sample")))
    return loads


def all_different(hashes):
    return len(set(hashes)) == len(hashes)


def test_page_shows_decoded_image(page, server, tmp_path):
    response = page.goto(server.base_url + "/normal/5_2")
    assert response.status == 200
    page.wait_for_function(IMAGE_DECODED)
    state = page.evaluate("() => { const img = document.getElementById('plot');"
                          " return {complete: img.complete, naturalWidth: img.naturalWidth,"
                          " naturalHeight: img.naturalHeight, shownWidth: img.width}; }")
    assert state == {"complete": True, "naturalWidth": 1200, "naturalHeight": 900, "shownWidth": 800}
    assert page.title() == "random normal - 5, 2"
    shot = tmp_path / "normal_5_2.png"
    page.screenshot(path=str(shot), full_page=True)
    with Image.open(shot) as image:
        assert image.size[0] == 1280


#: Each card's box, its image's shown size and its description's lines, as laid out.
CARDS = """() => [...document.querySelectorAll("ul.plots li")].map(li => {
    const img = li.querySelector("img"), about = li.querySelector("p"), box = li.getBoundingClientRect();
    const lineHeight = parseFloat(getComputedStyle(about).lineHeight);
    return {left: box.left, top: box.top, width: box.width, height: box.height,
            image: [img.width, img.height], natural: [img.naturalWidth, img.naturalHeight],
            lines: Math.round(about.getBoundingClientRect().height / lineHeight)};
})"""


@pytest.mark.parametrize("width, columns", [(1280, 4), (390, 1)])
def test_gallery_is_a_uniform_grid_of_cards(browser, server, tmp_path, width, columns):
    """/plots/ at a desktop's 1280 px and a phone's 390 px: cards of one size in full rows, every
    thumbnail shown at one size, each description on one line, nothing wider than the screen.
    The screenshots are docs/gallery.png and docs/gallery-phone.png."""
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        page.goto(server.base_url + "/plots/")
        page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
        cards = page.evaluate(CARDS)
        assert len(cards) == len(default_registry())
        assert {tuple(card["natural"]) for card in cards} == {(240, 180)}
        assert len({tuple(card["image"]) for card in cards}) == 1  # every thumbnail shown at one size
        shown_width, shown_height = cards[0]["image"]
        assert abs(shown_width / shown_height - 4 / 3) < 0.02 and shown_width >= 200
        assert len({(round(card["width"]), round(card["height"])) for card in cards}) == 1  # one card size
        assert len({card["left"] for card in cards}) == columns
        assert all(card["lines"] == 1 for card in cards), cards
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width  # no sideways scrolling
        shot = tmp_path / f"gallery-{width}.png"
        page.screenshot(path=str(shot), full_page=True)
        with Image.open(shot) as image:
            assert image.size[0] == width
    finally:
        context.close()


def test_every_load_brings_a_new_image(page, server):
    loads = three_loads(page, server.base_url + "/normal/5_2")
    bodies, pixels = zip(*loads)
    assert all_different(bodies), "the browser received the same image bytes twice"
    assert all_different(pixels), "the browser showed the same picture twice"
    assert page.url == server.base_url + "/normal/5_2"  # the link leads back to the same plot


def test_control_cacheable_images_are_reused(page, tmp_path):
    """Served with max-age, the same loads get the cached image: the checks above can fail."""
    with servers.gunicorn(workers=1, app="tests.cacheable_app:app", log_path=tmp_path / "gunicorn.log") as proc:
        bodies, pixels = zip(*three_loads(page, proc.base_url + "/normal/5_2"))
        # Chromium keeps spare connections open; a sync worker blocked reading one would
        # hold up gunicorn's shutdown by its graceful timeout.
        page.context.close()
    assert len(set(bodies)) == 1 and len(set(pixels)) == 1


def test_mounted_page_reload_link_and_svg(page, mounted_server, tmp_path):
    base = mounted_server.base_url
    page.goto(base + "/")
    with page.expect_navigation():
        page.click("#plot")  # the host's own link into the mount
    assert page.url == base + "/plots/normal/5_2"

    bodies, pixels = zip(*three_loads(page, base + "/plots/normal/5_2"))
    assert all_different(bodies) and all_different(pixels)
    assert page.evaluate("() => document.getElementById('plot').getAttribute('src')") == "/plots/fig/5_2"
    page.screenshot(path=str(tmp_path / "mounted.png"), full_page=True)

    with page.expect_navigation() as navigation:
        page.click("#svg")
    response = navigation.value
    assert page.url == base + "/plots/fig/5_2.svg"
    assert response.status == 200 and response.headers["content-type"].split(";")[0] == "image/svg+xml"
    svg = page.evaluate("() => { const root = document.documentElement; const box = root.getBoundingClientRect();"
                        " return {ns: root.namespaceURI, width: box.width, height: box.height,"
                        " shapes: root.querySelectorAll('path, use').length}; }")
    assert svg["ns"] == "http://www.w3.org/2000/svg"
    # 4x3 inches at CSS's 96 px per inch; the scatter's 100 markers are shapes of their own.
    assert (svg["width"], svg["height"]) == (384, 288) and svg["shapes"] > 100
    shot = tmp_path / "svg.png"
    page.screenshot(path=str(shot))
    # Rendered, not blank: the 100 markers are (translucent) red, everything else black,
    # white or grey; they cover about 9,000 pixels of the screenshot.
    with Image.open(shot) as image:
        rgb = np.asarray(image.convert("RGB")).astype(int)
    red = int(((rgb[..., 0] - rgb[..., 1] > 50) & (rgb[..., 0] - rgb[..., 2] > 50)).sum())
    assert red > 3000


# An SVG rasterised by the browser at twice its CSS size, as PNG pixels.
RASTERISE_SVG = """async (source) => {
    const img = new Image();
    img.src = "data:image/svg+xml;base64," + source;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth * 2;
    canvas.height = img.naturalHeight * 2;
    canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL("image/png");
}"""


def browser_pixels(page, svg: bytes) -> np.ndarray:
    url = page.evaluate(RASTERISE_SVG, base64.b64encode(svg).decode())
    return np.asarray(decode_png(base64.b64decode(url.split(",", 1)[1])).convert("RGBA")).astype(int)


@pytest.mark.parametrize("name, query", [("normal", "mean=5&var=2"), ("histogram", "bins=20"),
                                         ("random-walk", "steps=300")])
def test_layered_svg_shows_what_a_full_save_shows(page, name, query):
    """The pooled SVG (static part saved once, changing artists layered on top) against savefig."""
    plot = default_registry().get(name)
    assert plot is not None
    client = Client(create_app(pool_size=1))
    given = dict(pair.split("=") for pair in query.split("&"))
    values = Values(**{p.name: p.parse(given[p.name]) if p.name in given else p.default for p in plot.params})
    for seed in (1, 2):
        layered = client.get(f"/plot/{name}.svg?{query}&seed={seed}").data
        full = render_unpooled(plot, values, np.random.default_rng(seed), "svg", 4, 3, 300)
        assert layered != full  # not the same bytes: the comparison below is of what is shown
        assert np.array_equal(browser_pixels(page, layered), browser_pixels(page, full))
    # The check can fail: another sample shows differently.
    other = render_unpooled(plot, values, np.random.default_rng(3), "svg", 4, 3, 300)
    assert not np.array_equal(browser_pixels(page, layered), browser_pixels(page, other))


@pytest.mark.parametrize("path", ["/", "/plots/", "/normal/5_2"])
def test_a_first_page_load_logs_nothing_in_the_console(browser, server, path):
    """Without an icon, Chromium asked for /favicon.ico on every first load: a 404 in the console."""
    context = browser.new_context()  # a fresh profile: no icon cached from an earlier load
    try:
        page = context.new_page()
        errors, failed = [], []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
        page.goto(server.base_url + path)
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(500)  # the icon is asked for after the load event
        assert errors == [] and failed == []
        assert page.evaluate("() => document.querySelector('link[rel=icon]').href").startswith("data:image/svg+xml,")
    finally:
        context.close()


CORNER_PIXEL = """() => {
    const img = document.getElementById("plot");
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(img, 0, 0);
    return Array.from(context.getImageData(0, 0, 1, 1).data);
}"""


@pytest.mark.parametrize("scheme", ["dark", "light"])
@pytest.mark.parametrize("path", ["/plot/line?y=1,3,2&names=one", "/plots/"])
def test_the_colour_scheme_chooses_the_image_without_script(browser, server, scheme, path):
    """A dark colour scheme loads the dark image (<picture> with prefers-color-scheme) and never the
    light one; a light scheme never loads the dark one. The page runs no script, under its CSP."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    images, problems = [], []
    page.on("request", lambda request: images.append(request.url) if request.resource_type == "image" else None)
    page.on("console", lambda message: problems.append(message.text) if message.type in ("error", "warning") else None)
    page.goto(server.base_url + path)
    page.wait_for_function("() => [...document.images].every(img => img.complete && img.naturalWidth > 0)")
    plots = [url for url in images if "/plot/" in url]
    dark = [url for url in plots if "theme=dark" in url]
    assert plots and (dark == plots if scheme == "dark" else not dark), plots
    assert page.evaluate("() => document.scripts.length") == 0 and not problems
    if path.startswith("/plot/"):
        expected = [0, 0, 0, 255] if scheme == "dark" else [255, 255, 255, 255]
        assert page.evaluate(CORNER_PIXEL) == expected
    context.close()
