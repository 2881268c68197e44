"""Alt text (wsgi_plot/figures/describe.py): what a reader who cannot see the picture is told."""

import re
from html import unescape

import pytest
from werkzeug.test import Client

from wsgi_plot import Plot, create_app, default_registry


@pytest.fixture(scope="module")
def client():
    registry = default_registry()
    registry.add(Plot("own", draw=lambda fig, p, rng: fig.add_subplot().plot([1, 2]),
                      describe=lambda p: "A rising line, described by its plot."))
    return Client(create_app(registry=registry))


def alt(client, url) -> str:
    html = client.get(url).get_data(as_text=True)
    img = re.search(r'<img class="plot" id="plot" src="[^"]*" alt="([^"]*)"', html)
    assert img
    return unescape(img.group(1))


def test_line_alt_names_kind_title_ranges_series_and_points(client):
    text = alt(client, "/plot/line?y=1,2,3;4,5,6&names=in,out&title=Traffic")
    assert text.startswith("Line chart titled \u201cTraffic\u201d.")
    assert "x axis from -0.1 to 2.1." in text and "y axis from 0.75 to 6.25." in text
    assert "2 series, 6 points in all." in text and "Series: in, out." in text


def test_date_axes_are_read_as_dates(client):
    text = alt(client, "/plot/line?y=1,2&x=2024-01-01,2024-01-31")
    assert re.search(r"x axis from 2023-12-3\d( \d\d:\d\d)? to 2024-02-0\d", text), text


def test_bar_alt_reads_out_a_few_bars(client):
    text = alt(client, "/plot/bar?labels=a,b,c,d,e,f,g&values=1,2,3,4,5,6,-7")
    assert text.startswith("Bar chart.") and "7 bars. a 1; b 2; c 3; d 4; e 5, and 2 more." in text
    grouped = alt(client, "/plot/bar?labels=a,b&values=1,2;3,4&names=p,q")
    assert "2 series of 2 bars. a 1 / 3; b 2 / 4." in grouped and "Series: p, q." in grouped


def test_scatter_and_random_plots(client):
    assert alt(client, "/plot/scatter?y=1,2,3").startswith("Scatter chart.")
    seeded = alt(client, "/plot/histogram?seed=1&bins=4")
    assert re.search(r"4 bars\. -4 to -2: [\d.]+;", seeded) and "random" not in seeded
    unseeded = alt(client, "/plot/histogram?bins=4")
    assert "4 bars." in unseeded and "A new random sample on each load." in unseeded and "-4 to -2:" not in unseeded
    assert "100 points." in alt(client, "/plot/normal")


def test_a_plot_may_describe_itself(client):
    assert alt(client, "/plot/own") == "A rising line, described by its plot."


def test_alt_text_is_escaped(client):
    html = client.get("/plot/line?y=1&title=%22%3E%3Cscript%3E").get_data(as_text=True)
    assert "<script>" not in html and "&quot;&gt;&lt;script&gt;" in html


def test_thumbnails_have_alt_text_and_a_dark_source(client):
    html = client.get("/plots/").get_data(as_text=True)
    alts = re.findall(r'<img src="[^"]*" alt="([^"]*)"', html)
    assert len(alts) == len(default_registry()) + 1 and all(a.endswith(".") for a in alts)
    assert html.count('<source media="(prefers-color-scheme: dark)" srcset="') == len(alts)


def test_a_page_of_a_random_plot_says_the_same_and_leaves_the_figure_as_it_was():
    """The alt text of a seedless random plot names the axes as the plot's code sets them (normal's
    own update widens its fixed -3..13 for a sample's outliers), and reading it leaves the pooled
    figure as a new one draws it."""
    client = Client(create_app(pool_size=1))
    for _ in range(8):
        found = re.search(r'alt="([^"]*)"', client.get("/normal/5_2?n=10000").get_data(as_text=True))
        assert found is not None
        alt = found.group(1)
        for low, high in re.findall(r"axis from (\S+) to (\S+)\.", alt):
            assert float(low) <= -3 and float(high) >= 13, alt
        assert alt.endswith("10000 points. A new random sample on each load."), alt
    seeded = client.get("/fig/5_2?n=10000&seed=3").data
    for _ in range(5):
        client.get("/normal/5_2?n=10000")
    assert client.get("/fig/5_2?n=10000&seed=3").data == seeded
