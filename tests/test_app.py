import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from wsgiref.validate import validator

import numpy as np
import pytest
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from wsgi_plot import create_app

from .conftest import decode_png

NO_CACHE = "no-store, no-cache, must-revalidate, max-age=0"


class ImgAndLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs, self.links, self.title = [], {}, ""
        self._in_title = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.imgs.append(attrs)
        if tag == "a":
            self.links[attrs.get("id") or attrs["href"]] = attrs["href"]
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data


def parse_page(html: str) -> ImgAndLinks:
    parser = ImgAndLinks()
    parser.feed(html)
    return parser


def assert_no_cache(response):
    assert response.headers["Cache-Control"] == NO_CACHE
    assert response.headers["Pragma"] == "no-cache"
    assert response.headers["Expires"] == "0"
    assert "ETag" not in response.headers
    assert "Last-Modified" not in response.headers


@pytest.mark.parametrize("url", ["/fig/5_2", "/fig/5_2.png", "/plot/normal.png?mean=5&var=2"])
def test_png_is_1200x900_by_default(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert int(response.headers["Content-Length"]) == len(response.data)
    image = decode_png(response.data)
    assert image.size == (1200, 900)
    assert image.info["dpi"] == pytest.approx((300, 300), abs=0.01)
    assert_no_cache(response)


def test_png_shows_red_points(client):
    pixels = np.asarray(decode_png(client.get("/fig/5_2?seed=3").data).convert("RGB")).astype(int)
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    reds = int(((r > 200) & (g < 180) & (b < 180)).sum())
    assert reds > 10_000  # 100 hexagons of ~40 px across


@pytest.mark.parametrize("query, size", [("dpi=100", (400, 300)), ("size=6x2", (1800, 600)),
                                         ("size=6x2&dpi=50", (300, 100)), ("size=2.5x2.5&dpi=100", (250, 250))])
def test_dpi_and_size_change_pixels(client, query, size):
    response = client.get(f"/fig/5_2?{query}")
    assert response.status_code == 200, response.data
    assert decode_png(response.data).size == size


def test_negative_and_decimal_numbers(client):
    response = client.get("/fig/-1.5_0.5")
    assert response.status_code == 200
    assert decode_png(response.data).size == (1200, 900)


def test_svg_is_xml_with_correct_type(client):
    response = client.get("/fig/5_2.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("width") == "288pt" and root.get("height") == "216pt"  # 4x3 in
    assert_no_cache(response)


def test_pdf(client):
    response = client.get("/fig/5_2.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-") and response.data.rstrip().endswith(b"%%EOF")
    assert re.search(rb"/MediaBox \[ *0 0 288 216 *\]", response.data)


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
@pytest.mark.parametrize("plot", ["normal", "histogram", "random-walk"])
def test_every_plot_in_every_format(client, plot, fmt):
    response = client.get(f"/plot/{plot}.{fmt}?seed=1&dpi=72")
    assert response.status_code == 200, response.data
    assert response.mimetype == {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}[fmt]
    if fmt == "png":
        assert decode_png(response.data).size == (288, 216)


def test_normal_page_has_the_recipe_content(client):
    response = client.get("/normal/5_2")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = parse_page(response.get_data(as_text=True))
    assert page.title == "random normal - 5, 2"
    assert "<h2>random normal - 5, 2</h2>" in response.get_data(as_text=True)
    (img,) = page.imgs
    assert img["src"] == "/fig/5_2"
    assert (img["width"], img["height"]) == ("800", "600")
    assert page.links["new-sample"] == "/normal/5_2"
    assert page.links["svg"] == "/fig/5_2.svg"
    assert page.links["pdf"] == "/fig/5_2.pdf"
    assert_no_cache(response)
    image = client.get(img["src"])
    assert decode_png(image.data).size == (1200, 900)


def test_page_passes_options_to_image_and_drops_seed_from_new_sample(client):
    page = parse_page(client.get("/normal/-1.5_0.5?dpi=100&seed=7").get_data(as_text=True))
    src = page.imgs[0]["src"]
    assert src.startswith("/fig/-1.5_0.5?") and "dpi=100" in src and "seed=7" in src
    assert "seed" not in page.links["new-sample"]
    assert decode_png(client.get(src).data).size == (400, 300)


@pytest.mark.parametrize("url", ["/plot/normal", "/plot/histogram?bins=10", "/plot/random-walk?steps=50"])
def test_generic_page_links_resolve(client, url):
    page = parse_page(client.get(url).get_data(as_text=True))
    assert client.get(page.imgs[0]["src"]).status_code == 200
    for key in ("svg", "pdf", "new-sample"):
        assert client.get(page.links[key]).status_code == 200, page.links[key]


def test_index_and_plot_list(client):
    index = client.get("/")
    assert index.status_code == 200 and index.mimetype == "text/html"
    page = parse_page(index.get_data(as_text=True))
    assert client.get(page.links["example"]).status_code == 200
    listing = parse_page(client.get("/plots/").get_data(as_text=True))
    assert len(listing.imgs) == 6  # normal, histogram, random-walk, line, bar, scatter
    for img in listing.imgs:
        assert decode_png(client.get(img["src"]).data).size == (240, 180)


def test_head_has_headers_and_no_body(client):
    for url in ["/fig/5_2", "/fig/5_2.svg", "/normal/5_2", "/", "/plots/", "/plot/histogram.pdf"]:
        get, head = client.get(url + ("?seed=1" if "." in url or "fig" in url else "")), client.head(
            url + ("?seed=1" if "." in url or "fig" in url else ""))
        assert head.status_code == 200
        assert head.data == b""
        assert head.headers["Content-Length"] == get.headers["Content-Length"]
        assert head.headers["Content-Type"] == get.headers["Content-Type"]


def test_other_methods_get_405_with_allow(plain_client):
    client = plain_client
    for method in ["POST", "PUT", "DELETE", "PATCH"]:
        response = client.open("/fig/5_2", method=method)
        assert response.status_code == 405
        assert set(response.allow) == {"GET", "HEAD"}
        assert method in response.get_data(as_text=True)


BAD_INPUTS = [
    ("/fig/abc_2", 400, "mean"),
    ("/fig/5_abc", 400, "var"),
    ("/fig/5_0", 400, "var"),
    ("/fig/5_-2", 400, "var"),
    ("/fig/nan_2", 400, "mean"),
    ("/fig/5_inf", 400, "var"),
    ("/fig/1e999_2", 400, "mean"),
    ("/fig/0x10_2", 400, "mean"),
    ("/fig/5", 400, "path"),
    ("/fig/5_2_3", 400, "path"),
    ("/fig/_2", 400, "mean"),
    ("/fig/5_2.bmp", 400, "format"),
    ("/fig/5_2.PNGX", 400, "format"),
    ("/fig/5_2?n=0", 400, "n"),
    ("/fig/5_2?n=-5", 400, "n"),
    ("/fig/5_2?n=1.5", 400, "n"),
    ("/fig/5_2?n=99999999", 400, "n"),
    ("/fig/5_2?dpi=0", 400, "dpi"),
    ("/fig/5_2?dpi=abc", 400, "dpi"),
    ("/fig/5_2?dpi=100000", 400, "dpi"),
    ("/fig/5_2?size=4", 400, "size"),
    ("/fig/5_2?size=axb", 400, "size"),
    ("/fig/5_2?size=0x3", 400, "size"),
    ("/fig/5_2?size=4x3x2", 400, "size"),
    ("/fig/5_2?size=nanx3", 400, "size"),
    ("/fig/5_2?size=40x40&dpi=600", 413, "size"),
    ("/fig/5_2?seed=-1", 400, "seed"),
    ("/fig/5_2?seed=abc", 400, "seed"),
    ("/fig/5_2?seed=99999999999999999999", 400, "seed"),
    ("/fig/5_2?bogus=1", 400, "bogus"),
    ("/fig/5_2?mean=1", 400, "mean"),
    ("/fig/5_2?n=1&n=2", 400, "n"),
    ("/normal/abc", 400, "path"),
    ("/normal/5_0", 400, "var"),
    ("/normal/5_2.png", 400, "format"),
    ("/plot/normal.bmp", 400, "format"),
    ("/plot/histogram.png?bins=0", 400, "bins"),
    ("/plot/random-walk.png?steps=abc", 400, "steps"),
    ("/plot/nope.png", 404, "path"),
    ("/plot/nope", 404, "path"),
    ("/nope", 404, "path"),
    ("/fig/", 404, "path"),
]


@pytest.mark.parametrize("url, status, param", BAD_INPUTS)
def test_bad_input_is_a_4xx_naming_the_parameter(plain_client, url, status, param):
    response = plain_client.get(url)
    assert response.status_code == status, response.data
    assert response.mimetype == "text/plain"
    body = response.get_data(as_text=True)
    assert re.search(rf"\b{re.escape(param)}\b", body), body
    assert "Traceback" not in body
    assert_no_cache(response)


@pytest.mark.parametrize("url", ["/", "/plots/", "/fig/5_2", "/fig/5_2.svg", "/fig/5_2.pdf", "/normal/5_2",
                                 "/plot/histogram", "/plot/histogram.png", "/fig/5_0", "/nope", "/fig/5_2?size=40x40&dpi=600"])
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
def test_every_response_is_valid_wsgi(url, method):
    client = Client(validator(create_app()))
    response = client.open(url, method=method)
    body = response.data
    response.close()
    assert response.status_code in (200, 400, 404, 405, 413, 415)  # 415: a POST to an image without JSON
    assert response.headers["Content-Type"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    if method == "HEAD":
        assert body == b"" and int(response.headers["Content-Length"]) > 0
    else:
        assert int(response.headers["Content-Length"]) == len(body)


def host_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Cache-Control", "max-age=60")])
    return [b"host"]


def test_mounted_under_a_prefix():
    mounted = Client(DispatcherMiddleware(host_app, {"/plots": create_app()}))
    page = mounted.get("/plots/normal/5_2")
    assert page.status_code == 200
    parsed = parse_page(page.get_data(as_text=True))
    src = parsed.imgs[0]["src"]
    assert src == "/plots/fig/5_2"
    assert decode_png(mounted.get(src).data).size == (1200, 900)
    for key in ("svg", "pdf", "new-sample"):
        assert parsed.links[key].startswith("/plots/")
        assert mounted.get(parsed.links[key]).status_code == 200
    listing = parse_page(mounted.get("/plots/plots/").get_data(as_text=True))
    assert all(img["src"].startswith("/plots/plot/") for img in listing.imgs)
    host = mounted.get("/elsewhere")
    assert host.data == b"host" and host.headers["Cache-Control"] == "max-age=60"


@pytest.mark.parametrize("url", ["/", "/plots/", "/plot/normal", "/normal/5_2", "/plot/normal?refresh=5"])
def test_every_page_declares_its_icon_and_its_policy_allows_it(url):
    """Without an icon a browser asks for /favicon.ico on the first load: a 404 in its console."""
    from wsgi_plot.web.pages import ICON_URL

    response = Client(create_app()).get(url)
    icons = re.findall(r'<link rel="icon" href="([^"]*)"', response.get_data(as_text=True))
    assert len(icons) == 1 and icons[0].replace("&#x27;", "'") == ICON_URL
    assert ICON_URL.startswith("data:image/svg+xml,")
    image_sources = next(d for d in response.headers["Content-Security-Policy"].split("; ") if d.startswith("img-src"))
    assert image_sources.split()[1:] == ["'self'", "data:"]
    svg = ET.fromstring(__import__("urllib.parse").parse.unquote(ICON_URL.split(",", 1)[1]))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
