"""Themes, transparency and fonts: the dark theme is matplotlib's dark_background style as plain
matplotlib draws it, the light one matplotlib's defaults; a transparent image has no background;
Korean, Chinese, Japanese and emoji titles are drawn, each differently, without warnings."""

import logging
import re
import warnings

import matplotlib
import matplotlib.style
import numpy as np
import pytest
from matplotlib.testing.compare import compare_images
from werkzeug.test import Client

from wsgi_plot import create_app, default_registry
from wsgi_plot.figures.theme import FONT_FALLBACK, Fonts, installed_fonts

from .conftest import decode_png, reference_png

#: One title per script the fallback list covers, and a second that differs by one character.
TITLES = {
    "korean": ("한국어 제목", "한국어 제묵"),
    "chinese": ("中文标题", "中文標題"),
    "japanese": ("日本語のタイトル", "日本語のタイトノ"),
    "emoji": ("weather ☀", "weather ☂"),
}
DATA = "labels=a,b,c&values=3,-1,2;1,2,-3&names=one,two"


@pytest.fixture(scope="module")
def client():
    return Client(create_app(pool_size=4))


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(decode_png(data).convert("RGBA"))


def test_every_font_of_the_fallback_list_is_installed():
    # CI installs fonts-noto-cjk and fonts-symbola (.ci/run): the pictures below need them.
    assert installed_fonts() == [name for name, _ in FONT_FALLBACK]


@pytest.mark.parametrize("script", TITLES)
def test_titles_in_every_script_draw_different_pictures_without_warnings(client, script, caplog):
    caplog.set_level(logging.WARNING)
    first, second = TITLES[script]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph warns (UserWarning): fail here
        images = [pixels(client.get(f"/plot/line.png?y=1,2&title={title}&dpi=60").data) for title in (first, second)]
        plain = pixels(client.get("/plot/line.png?y=1,2&dpi=60").data)
    assert (images[0] != images[1]).any(), f"{script}: two different titles drew the same picture (empty boxes?)"
    assert (images[0] != plain).any()
    assert not [r for r in caplog.records if "missing from font" in r.getMessage()]


def test_a_missing_font_is_reported_once_and_no_request_warns(caplog):
    fonts = Fonts(installed=["DejaVu Sans"])
    with warnings.catch_warnings():  # report_missing adds a filter; leave the others' as they were
        with caplog.at_level(logging.WARNING, logger="wsgi_plot"):
            fonts.report_missing()
            fonts.report_missing()
        reports = [r.getMessage() for r in caplog.records]
        assert len(reports) == 1 and "Korean, Chinese and Japanese" in reports[0] and "emoji" in reports[0]
        assert fonts.families == ["DejaVu Sans"]


@pytest.mark.parametrize("fmt", ["png", "svg"])
def test_dark_theme_has_a_dark_background_and_light_text(client, fmt):
    if fmt == "svg":
        svg = client.get(f"/plot/bar.svg?{DATA}&theme=dark").get_data(as_text=True)
        # The background without a style: SVG's default fill, black; text and axes white.
        assert re.search(r'<g id="patch_1">\s*<path d="[^"]*"/>', svg) and "stroke: #ffffff" in svg
        assert "fill: #ffffff" in svg
        return
    dark, light = (pixels(client.get(f"/plot/bar.png?{DATA}&dpi=50&theme={t}").data) for t in ("dark", "light"))
    assert (dark[0, 0] == [0, 0, 0, 255]).all() and (light[0, 0] == [255, 255, 255, 255]).all()
    # Text and axes in white on black: light pixels, where the light theme has dark ones.
    brightness = dark[..., :3].mean(axis=2)
    assert (brightness > 200).sum() > 500 and (brightness < 50).mean() > 0.5
    # The colour cycle is the style's: its first colour, #8dd3c7, fills the first series.
    assert (np.abs(dark[..., :3].astype(int) - [0x8d, 0xd3, 0xc7]).sum(axis=2) < 6).sum() > 100


@pytest.mark.parametrize("name, query", [("bar", DATA), ("line", "y=3,1,4;1,5,9&names=a,b&title=한국어"),
                                         ("histogram", "")])
def test_dark_theme_equals_plain_matplotlib_in_that_style(client, name, query, tmp_path):
    plot = default_registry().get(name)
    assert plot is not None
    served = client.get(f"/plot/{name}.png?{query}&size=4x3&dpi=100&seed=5&theme=dark").data
    values = plot.parse(dict(part.split("=", 1) for part in query.split("&") if part))
    with matplotlib.style.context("dark_background"), \
            matplotlib.rc_context({"font.family": [name for name, _ in FONT_FALLBACK]}):
        expected = reference_png(plot, values, 5, 4, 3, 100)
    (tmp_path / "expected.png").write_bytes(expected)
    (tmp_path / "served.png").write_bytes(served)
    assert compare_images(str(tmp_path / "expected.png"), str(tmp_path / "served.png"), tol=1) is None


def test_a_host_apps_rcparams_are_left_as_they_were(client):
    before = dict(matplotlib.rcParams)
    assert client.get(f"/plot/bar.png?{DATA}&theme=dark&dpi=40").status_code == 200
    assert dict(matplotlib.rcParams) == before


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_transparent_images_have_no_background(client, theme):
    image = pixels(client.get(f"/plot/line.png?y=1,2&dpi=50&transparent=true&theme={theme}").data)
    corners = image[[0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners[:, 3] == 0).all()
    assert (image[..., 3] > 200).any()  # the line and text are drawn
    opaque = client.get(f"/plot/line.svg?y=1,2&theme={theme}").get_data(as_text=True)
    clear = client.get(f"/plot/line.svg?y=1,2&theme={theme}&transparent=true").get_data(as_text=True)
    assert re.search(r'<g id="patch_\d+">', opaque) and not re.search(r'<g id="patch_\d+">', clear)
    assert client.get("/plot/line.pdf?y=1,2&transparent=true").status_code == 200


def test_the_look_keys_the_pool_and_the_fast_path_stays(client):
    for _ in range(2):
        for theme in ("light", "dark"):
            response = client.get(f"/plot/line.png?y=1,2,3&dpi=50&theme={theme}")
            assert response.status_code == 200
    light = pixels(client.get("/plot/line.png?y=1,2,3&dpi=50").data)
    dark = pixels(client.get("/plot/line.png?y=1,2,3&dpi=50&theme=dark").data)
    assert (light[0, 0] == [255, 255, 255, 255]).all() and (dark[0, 0] == [0, 0, 0, 255]).all()


@pytest.mark.parametrize("query, message", [("theme=blue", "theme: unknown value 'blue'; choose one of light, dark"),
                                            ("transparent=maybe", "transparent: expected true/false")])
def test_bad_looks_are_400s_naming_them(client, query, message):
    response = client.get(f"/plot/line.png?y=1&{query}")
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    body = client.post("/plot/line.png", json={"y": [1], "theme": 3})
    assert body.status_code == 400 and body.get_data(as_text=True).startswith("400 Bad Request: theme:")


def test_without_the_fonts_the_app_starts_says_so_once_and_no_request_warns(monkeypatch, caplog):
    from wsgi_plot.figures import theme

    monkeypatch.setattr(theme, "_fonts", Fonts(installed=["DejaVu Sans"]))
    with warnings.catch_warnings():  # the filter report_missing adds goes with this block
        with caplog.at_level(logging.WARNING, logger="wsgi_plot"):
            clients = [Client(create_app(pool_size=1)) for _ in range(2)]
            for client in clients:
                for title in TITLES["korean"] + TITLES["emoji"]:
                    response = client.get(f"/plot/line.png?y=1,2&title={title}&dpi=40")
                    assert response.status_code == 200
                    assert client.get(f"/plot/line.svg?y=1,2&title={title}").status_code == 200
    reports = [r.getMessage() for r in caplog.records]
    assert len(reports) == 1 and reports[0].startswith("no font for Korean, Chinese and Japanese"), reports
