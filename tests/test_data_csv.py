"""The .csv format (wsgi_plot/encode/data_csv.py): the data drawn, read back as a client would."""

import csv
import io

import numpy as np
import pytest
from werkzeug.test import Client

from wsgi_plot import create_app, default_registry
from wsgi_plot.builtin import normal


@pytest.fixture(scope="module")
def client():
    registry = default_registry()
    registry.plot("no-data")(lambda fig, p, rng: fig.add_subplot().plot([1, 2]))
    return Client(create_app(registry=registry))


def rows(response):
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_line_round_trips_the_requests_numbers_and_dates(client):
    y1, y2 = [0.1, 1e-300, -2.5e99], [3.0, 4.0, 5.0]
    x = ["2024-01-01T00:00:00Z", "2024-01-01T12:30:00Z", "2024-01-03T00:00:00Z"]
    table = rows(client.post("/plot/line.csv", json={"y": [y1, y2], "x": x, "names": ["a", "b"]}))
    assert table[0] == ["x", "a", "b"]
    assert [row[0] for row in table[1:]] == x
    assert [float(row[1]) for row in table[1:]] == y1 and [float(row[2]) for row in table[1:]] == y2


def test_an_offset_is_written_in_utc(client):
    table = rows(client.get("/plot/scatter.csv?y=1&x=2024-01-01T09:00%2B09:00"))
    assert table == [["x", "y"], ["2024-01-01T00:00:00Z", "1"]]


def test_bar_rows_are_labels(client):
    table = rows(client.get("/plot/bar.csv?labels=a,b&values=1,2;3,4&names=p,q"))
    assert table == [["label", "p", "q"], ["a", "1", "3"], ["b", "2", "4"]]


def test_series_of_different_lengths_on_the_index(client):
    assert rows(client.get("/plot/line.csv?y=1,2;3")) == [["x", "y1", "y2"], ["0", "1", "3"], ["1", "2", ""]]


def test_random_plots_give_the_sample_their_image_draws(client):
    table = rows(client.get("/plot/normal.csv?n=5&seed=3"))
    values = normal.plot.parse({"n": "5"})
    expected = normal.sample(values, np.random.default_rng(3))  # type: ignore[arg-type]  # Values with Normal's fields
    assert table[0] == ["x", "y"] and np.array_equal(np.array(table[1:], dtype=float), expected)
    assert rows(client.get("/plot/normal.csv?n=5&seed=3")) == table
    histogram = rows(client.get("/plot/histogram.csv?n=100&bins=5&seed=1"))
    assert histogram[0] == ["bin_start", "bin_end", "density"] and len(histogram) == 6
    widths = [float(r[1]) - float(r[0]) for r in histogram[1:]]
    assert sum(float(r[2]) * w for r, w in zip(histogram[1:], widths)) == pytest.approx(1)
    walk = rows(client.get("/plot/random-walk.csv?steps=10&seed=1"))
    assert walk[1] == ["0", "0"] and len(walk) == 12


def test_a_plot_without_a_data_hook_is_a_404_naming_the_format(client):
    response = client.get("/plot/no-data.csv")
    assert response.status_code == 404 and response.get_data(as_text=True).startswith("404 Not Found: format 'csv'")
    page = client.get("/plot/no-data").get_data(as_text=True)
    assert 'id="csv"' not in page and 'id="svg"' in page
    assert 'id="csv" href="/plot/line.csv?' in client.get("/plot/line?y=1,2").get_data(as_text=True)
    assert ">data (CSV)</a>" in client.get("/plot/line?y=1,2").get_data(as_text=True)


def test_bad_values_are_400s_as_for_images(client):
    response = client.get("/plot/line.csv?y=1,x")
    assert response.status_code == 400 and response.get_data(as_text=True).startswith("400 Bad Request: y:")


def test_a_formula_cell_comes_back_as_text_and_numbers_stay_numbers(client):
    response = client.post("/plot/bar.csv", json={"labels": ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "plain"],
                                                  "values": [-1, 2, -3.5, 4, 5], "names": ["=HYPERLINK(0)"]})
    table = rows(response)
    assert table[0] == ["label", "'=HYPERLINK(0)"]
    assert [row[0] for row in table[1:]] == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "plain"]
    assert [row[1] for row in table[1:]] == ["-1", "2", "-3.5", "4", "5"]  # negative numbers untouched
    assert response.headers["Content-Disposition"] == 'inline; filename="bar.csv"'


def test_a_formula_label_in_the_query_is_neutralised_too(client):
    table = rows(client.get("/plot/bar.csv?labels==1%2B1,b&values=1,2"))
    assert table[1][0] == "'=1+1"


def test_tab_and_carriage_return_starts_are_neutralised_where_a_plot_returns_them():
    from wsgi_plot.encode.data_csv import encode_csv

    text = encode_csv(["a"], [["\tx"], ["\r=1"], ["x=1"]]).decode()
    assert list(csv.reader(io.StringIO(text))) == [["a"], ["'\tx"], ["'\r=1"], ["x=1"]]
