"""Live pages (``?refresh=SECONDS``): the one hashed script, its bounds, links and form that keep it."""

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from wsgi_plot.declare.options import MAX_REFRESH, MIN_REFRESH
from wsgi_plot.web.refresh import SCRIPT

from .http_checks import csp_directives


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str, name: str) -> list[dict]:
    parser = _Tags()
    parser.feed(html)
    return [attrs for tag, attrs in parser.tags if tag == name]


@pytest.mark.parametrize("url", ["/normal/5_2?refresh=5", "/plot/histogram?bins=10&refresh=5"])
def test_live_page_runs_one_script_allowed_by_its_hash(client, url):
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    csp = csp_directives(response.headers["Content-Security-Policy"])
    (script,) = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert script == SCRIPT and html.lower().count("<script") == 1
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert csp["script-src"] == [f"'sha256-{digest}'"]
    assert csp["default-src"] == ["'none'"] and not any(
        "'unsafe-inline'" in v or "'unsafe-eval'" in v or "*" in v for v in csp.values())
    assert not re.search(r"\son[a-z]+\s*=", html, re.I)  # no inline event handlers
    (img,) = [t for t in tags(html, "img") if t.get("id") == "plot"]
    assert img["data-refresh"] == "5"


def test_still_page_has_no_script(client):
    response = client.get("/normal/5_2")
    assert "<script" not in response.get_data(as_text=True)
    assert "script-src" not in csp_directives(response.headers["Content-Security-Policy"])


def test_refresh_stays_on_the_page_and_off_the_image(client):
    html = client.get("/normal/5_2?refresh=7&dpi=50&seed=3").get_data(as_text=True)
    (img,) = [t for t in tags(html, "img") if t.get("id") == "plot"]
    assert "refresh" not in img["src"] and "dpi=50" in img["src"]
    links = {a["id"]: a["href"] for a in tags(html, "a") if "id" in a}
    assert "refresh=7" in links["new-sample"] and "seed" not in links["new-sample"]
    assert all("refresh" not in links[k] for k in ("svg", "pdf", "png"))
    (field,) = [t for t in tags(html, "input") if t["name"] == "refresh"]
    assert field["value"] == "7" and (field["min"], field["max"]) == (str(MIN_REFRESH), str(MAX_REFRESH))
    # The image URL the page shows answers (refresh is a page key the image never sees).
    assert client.get(img["src"].replace("&amp;", "&")).status_code == 200


def test_form_of_a_still_page_offers_refresh_blank(client):
    html = client.get("/plot/random-walk").get_data(as_text=True)
    (field,) = [t for t in tags(html, "input") if t["name"] == "refresh"]
    assert field["value"] == "" and 'data-refresh' not in html


@pytest.mark.parametrize("value", [str(MIN_REFRESH), str(MAX_REFRESH)])
def test_refresh_bounds_are_inclusive(client, value):
    assert client.get(f"/plot/normal?refresh={value}").status_code == 200
    assert client.get(f"/normal/5_2?refresh={value}").status_code == 200


@pytest.mark.parametrize("value", ["0", str(MAX_REFRESH + 1), "-1", "1.5", "x", "1e3"])
def test_bad_refresh_is_400_naming_it(client, value):
    for url in (f"/plot/normal?refresh={value}", f"/normal/5_2?refresh={value}"):
        response = client.get(url, headers={"Accept": "application/json"})
        assert response.status_code == 400 and response.get_json()["error"]["param"] == "refresh", url


def test_refresh_is_not_an_image_parameter(client):
    response = client.get("/plot/normal.png?refresh=5", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["param"] == "refresh"


def test_blank_refresh_means_a_still_page(client):
    response = client.get("/plot/normal?refresh=")
    assert response.status_code == 200 and "<script" not in response.get_data(as_text=True)
