"""Checks shared by the tests that run a real server: the recipe's two URLs over HTTP."""

import urllib.request

from .conftest import decode_png

NO_CACHE = "no-store, no-cache, must-revalidate, max-age=0"


def fetch(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.headers, response.read()


def check_recipe_png(base_url):
    status, headers, body = fetch(base_url + "/fig/5_2")
    assert status == 200 and headers["Content-Type"] == "image/png"
    assert headers["Cache-Control"] == NO_CACHE
    assert "ETag" not in headers and "Last-Modified" not in headers
    assert int(headers["Content-Length"]) == len(body)
    assert decode_png(body).size == (1200, 900)


def check_recipe_page(base_url):
    status, headers, body = fetch(base_url + "/normal/5_2")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'src="/fig/5_2"' in body
    assert b"<title>random normal - 5, 2</title>" in body
