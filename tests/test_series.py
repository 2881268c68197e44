"""The data charts' series, dates and bounds (wsgi_plot/builtin/series.py): dates read back from the
SVG's text, legends, grouped and stacked bars, the 400s, and each bound tested at its limit."""

import re

import numpy as np
import pytest
from matplotlib.testing.compare import compare_images
from werkzeug.test import Client

from wsgi_plot import create_app, default_registry

from .conftest import decode_png, reference_png


@pytest.fixture(scope="module")
def client():
    return Client(create_app(pool_size=4))


def drawn_texts(svg: bytes) -> list[str]:
    """Every text an SVG draws: matplotlib writes each text element's string in a comment before it."""
    return [text.decode() for text in re.findall(rb"<!-- (.*?) -->", svg, re.DOTALL)]


def svg_texts(client, name, query):
    response = client.get(f"/plot/{name}.svg?{query}")
    assert response.status_code == 200, response.data
    return drawn_texts(response.data)


def test_dates_over_months_are_labelled_with_month_names(client):
    texts = svg_texts(client, "line", "y=1,3,2,5&x=2024-01-15,2024-02-15,2024-03-15,2024-04-15")
    assert {"Feb", "Mar", "Apr"} <= set(texts) and "2024-Apr" in texts  # ConciseDateFormatter: the year as offset


def test_date_times_over_a_day_are_labelled_with_hours(client):
    x = ",".join(f"2024-05-01T{h:02d}:00:00%2B02:00" for h in range(0, 24, 3))  # an offset: drawn in UTC
    texts = svg_texts(client, "line", f"y={','.join(str(h) for h in range(8))}&x={x}")
    assert any(re.fullmatch(r"\d\d:00", t) for t in texts)
    assert "May-01" in texts or "2024-May-01" in texts  # 2024-04-30T22:00Z onwards


def test_dates_in_json_with_z_and_naive_mean_the_same(client):
    z = client.post("/plot/line.png", json={"y": [1, 2], "x": ["2024-01-01T00:00:00Z", "2024-01-02T00:00:00Z"]})
    naive = client.post("/plot/line.png", json={"y": [1, 2], "x": ["2024-01-01T00:00:00", "2024-01-02"]})
    assert z.status_code == naive.status_code == 200 and z.data == naive.data


def test_the_index_gets_whole_number_ticks(client):
    texts = svg_texts(client, "line", "y=1,2,3")
    assert "0.5" not in texts and {"0", "1", "2"} <= set(texts)


def test_numbers_stay_numbers(client):
    texts = svg_texts(client, "line", "y=1,2,3&x=0.5,1,1.5")
    assert {"0.8", "1.2"} <= set(texts) and not [t for t in texts if re.search("[A-Z][a-z]{2}|:", t)]


def test_legend_lists_the_names_and_every_series_is_drawn(client):
    texts = svg_texts(client, "line", "y=1,2,3&y=3,2,1&names=ventes,achats")
    assert {"ventes", "achats"} <= set(texts)
    for name in ("scatter", "bar"):
        data = "labels=a,b,c&values=1,2,3&values=3,2,1" if name == "bar" else "y=1,2,3&y=3,2,1"
        assert {"first", "second"} <= set(svg_texts(client, name, f"{data}&names=first,second"))


def test_several_series_in_json(client):
    body = {"y": [[1, 2, 3], [3, 2, 1]], "names": ["a", "b"]}
    assert client.post("/plot/line.png", json=body).data == client.get("/plot/line.png?y=1,2,3;3,2,1&names=a,b").data


@pytest.mark.parametrize("query", ["labels=a,b,c&values=3,-1,2;1,2,-3&names=x,y",
                                   "labels=a,b,c&values=3,-1,2;1,2,-3&names=x,y&stacked=true",
                                   "labels=a,b,c&values=3,1,2;1,2,3;2,2,2&stacked=true&horizontal=true"])
def test_grouped_and_stacked_bars_equal_plain_matplotlib(client, query, tmp_path):
    plot = default_registry().get("bar")
    assert plot is not None
    served = client.get(f"/plot/bar.png?{query}&size=4x3&dpi=100").data
    values = plot.parse(dict(part.split("=", 1) for part in query.split("&")))
    (tmp_path / "expected.png").write_bytes(reference_png(plot, values, None, 4, 3, 100))
    (tmp_path / "served.png").write_bytes(served)
    assert compare_images(str(tmp_path / "expected.png"), str(tmp_path / "served.png"), tol=1) is None


def test_stacked_bars_stack_and_grouped_bars_do_not(client):
    def bars(query):
        svg = client.get(f"/plot/bar.svg?labels=a&values=2;3{query}").get_data(as_text=True)
        return len(re.findall(r'<g id="patch_\d+">', svg))

    # The value axis: stacked, 2 + 3 reaches 5; grouped, the tallest is 3.
    stacked = svg_texts(client, "bar", "labels=a&values=2;3&stacked=true")
    grouped = svg_texts(client, "bar", "labels=a&values=2;3")
    assert "5" in stacked and "5" not in grouped
    assert bars("") == bars("&stacked=true")


def test_both_signs_get_a_zero_line(client):
    def grey_lines(query):  # the zero line is grey, as random-walk's
        return client.get(f"/plot/bar.svg?labels=a,b&{query}").get_data(as_text=True).count("stroke: #808080")

    assert grey_lines("values=1,-1") == 1 and grey_lines("values=1,1") == 0
    assert grey_lines("values=1,-1&horizontal=true") == 1


@pytest.mark.parametrize("url, param, message", [
    ("/plot/bar.png?labels=a,b,c&values=1,2", "values", "values has 2 items, but labels has 3"),
    ("/plot/bar.png?labels=a,b&values=1,2&values=1", "values", "series 2 of values has 1 items"),
    ("/plot/line.png?y=1,2&y=1,2,3&x=1,2", "y", "series 2 of y has 3 values, but x has 2"),
    ("/plot/scatter.png?y=1,2&x=1", "y", "y has 2 values, but x has 1"),
    ("/plot/line.png?y=1,2&y=3,4&names=a", "names", "has 1 names, but y has 2 series"),
    ("/plot/line.png?y=1,2&x=1,2024-01-01", "x", "mixes numbers and dates"),
    ("/plot/line.png?y=1&x=2024-02-30", "x", "is not a valid date and time"),
    ("/plot/line.png?y=1,x", "y", "item 2"),
])
def test_mismatches_are_400s_naming_the_parameter(client, url, param, message):
    response = client.get(url)
    text = response.get_data(as_text=True)
    assert response.status_code == 400 and text.startswith(f"400 Bad Request: {param}:") and message in text, text


def test_json_mixing_numbers_and_arrays_is_a_400(client):
    response = client.post("/plot/line.png", json={"y": [1, [2]]})
    assert response.status_code == 400 and b"y: mixes numbers and arrays" in response.data


def test_series_count_is_bounded_by_max_series_at_the_bound():
    client = Client(create_app(max_series=3))
    at = "&".join(["y=1,2"] * 3)
    assert client.get(f"/plot/line.png?{at}&dpi=20").status_code == 200
    response = client.get(f"/plot/line.png?{at}&y=1,2&dpi=20")
    assert response.status_code == 400 and b"y: at most 3 series, got 4" in response.data
    assert client.get("/plot/bar.png?labels=a&values=1;2;3;4&dpi=20").status_code == 400


def test_total_points_are_bounded_by_max_points_at_the_bound():
    client = Client(create_app(max_points=6))
    assert client.get("/plot/scatter.png?y=1,2,3;4,5,6&dpi=20").status_code == 200
    response = client.get("/plot/scatter.png?y=1,2,3;4,5,6,7&dpi=20")
    assert response.status_code == 400 and b"y: at most 6 numbers in all series together, got 7" in response.data


def test_bars_of_all_series_are_bounded(client):
    labels = ",".join(f"l{i}" for i in range(100))
    ones = ",".join(["1"] * 100)
    assert client.get(f"/plot/bar.png?labels={labels}&values={ones};{ones}&dpi=20").status_code == 200
    response = client.get(f"/plot/bar.png?labels={labels}&values={ones};{ones};{ones}&dpi=20")
    assert response.status_code == 400 and b"values: 3 series of 100 bars make 300 bars; at most 200" in response.data


def test_series_colours_follow_the_cycle(client):
    image = np.asarray(decode_png(client.get("/plot/line.png?y=1,2;2,1&dpi=60").data).convert("RGB")).astype(int)
    for colour in ([0x1f, 0x77, 0xb4], [0xff, 0x7f, 0x0e]):  # C0, C1
        assert (np.abs(image - colour).sum(axis=2) < 30).sum() > 20
