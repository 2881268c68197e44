"""The format registry is the one place a format is known: routes, pages and OpenAPI follow it."""

import re

import pytest
from werkzeug.test import Client

from wsgi_plot import create_app
from wsgi_plot.core.errors import ParameterError
from wsgi_plot.declare.formats import FORMATS, parse_format

SMALL = "size=2x1.5&dpi=50"


@pytest.fixture(scope="module")
def client():
    return Client(create_app())


@pytest.mark.parametrize("name", list(FORMATS))
def test_every_format_is_served_with_its_media_type(client, name):
    fmt = FORMATS[name]
    response = client.get(f"/plot/normal.{name}?{SMALL}&seed=1" + ("&seconds=1" if fmt.delivery == "stream" else ""),
                          environ_overrides={"wsgi.multithread": True})
    assert response.status_code == 200
    assert response.headers["Content-Type"].split(";")[0] == fmt.media_type.split(";")[0]
    alias = client.get(f"/fig/5_2.{name.upper()}?{SMALL}", environ_overrides={"wsgi.multithread": True})
    assert alias.status_code == 200


def test_unknown_format_names_format_and_lists_the_registry():
    with pytest.raises(ParameterError) as info:
        parse_format("bmp")
    assert info.value.param == "format"
    assert all(name in info.value.description for name in FORMATS)


def test_plot_pages_link_every_linked_format(client):
    html = client.get("/plot/normal?mean=1").get_data(as_text=True)
    for fmt in FORMATS.values():
        link = re.search(rf'<a id="{fmt.name}" href="([^"]+)">([^<]+)</a>', html)
        if not fmt.linked:
            assert link is None
            continue
        assert link and link.group(2) == fmt.label
        url = link.group(1).replace("&amp;", "&")
        assert url.startswith(f"/plot/normal.{fmt.name}?") and "mean=1" in url
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == fmt.media_type


def test_animation_links_fit_the_budget(client):
    """A page at a size where 30 frames would exceed max_animation_pixels links fewer frames."""
    html = client.get("/plot/normal?size=8x6&dpi=300").get_data(as_text=True)  # 2400x1800: 7 frames fit
    found = re.search(r'<a id="apng" href="([^"]+)"', html)
    assert found
    link = found.group(1).replace("&amp;", "&")
    assert "frames=7" in link
    assert client.get(link).status_code == 200


def test_no_animation_link_when_two_frames_do_not_fit():
    client = Client(create_app(max_animation_pixels=100))
    html = client.get("/plot/normal").get_data(as_text=True)
    assert 'id="apng"' not in html and 'id="gif"' not in html and 'id="svg"' in html


def test_openapi_lists_the_registry(client):
    """A path per format, with its media type and exactly the options it takes (one path with a
    {format} parameter documented frames, fps and seconds on PNG, and a stream's fps up to 50)."""
    doc = client.get("/openapi.json").json
    extra = {"png": set(), "svg": set(), "pdf": set(), "csv": set(), "apng": {"frames", "fps"},
             "gif": {"frames", "fps"}, "stream": {"fps", "seconds"}}
    assert set(extra) == set(FORMATS)
    for fmt in FORMATS.values():
        operation = doc["paths"][f"/plot/normal.{fmt.name}"]["get"]
        assert set(operation["responses"]["200"]["content"]) == {fmt.media_type}
        names = {p["name"] for p in operation["parameters"]}
        assert names - {"mean", "var", "n"} == {"dpi", "size", "seed", "theme", "transparent"} | extra[fmt.name]
    fps = {fmt: next(p for p in doc["paths"][f"/plot/normal.{fmt}"]["get"]["parameters"] if p["name"] == "fps")
           for fmt in ("gif", "stream")}
    assert fps["gif"]["schema"]["maximum"] == 50 and fps["stream"]["schema"]["maximum"] == 30


def test_animation_by_post_gives_the_bytes_of_the_get(client):
    body = {"mean": 1, "frames": 3, "fps": 5, "seed": 4, "size": "2x1.5", "dpi": 50}
    posted = client.post("/plot/normal.apng", json=body)
    assert posted.status_code == 200
    assert posted.data == client.get("/plot/normal.apng?mean=1&frames=3&fps=5&seed=4&size=2x1.5&dpi=50").data
    assert client.post("/plot/normal.apng", json={**body, "frames": "3"}).status_code == 400


def test_repeated_format_options_are_400(client):
    response = client.get("/plot/normal.apng?frames=3&frames=4", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.json["error"]["param"] == "frames"
