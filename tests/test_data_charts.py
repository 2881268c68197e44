"""The built-in data charts (line, bar) and a user plot with a parameter of every kind, over HTTP."""

import datetime as dt
import io
import re
from urllib.parse import quote

import matplotlib.mathtext
import pytest
from matplotlib.testing.compare import compare_images
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app, default_registry

from .conftest import border, decode_png, reference_png


@pytest.fixture(scope="module")
def client():
    return Client(create_app(pool_size=2))


@pytest.fixture
def no_mathtext(monkeypatch):
    """Any text that reaches mathtext (as "$...$" does unless parse_math=False) fails the request."""
    def refuse(*args, **kwargs):
        raise AssertionError("request text reached mathtext")

    monkeypatch.setattr(matplotlib.mathtext.MathTextParser, "parse", refuse)


def test_the_guard_sees_mathtext(no_mathtext):
    from matplotlib.figure import Figure

    figure = Figure()
    figure.add_subplot().set_title("$x$")
    with pytest.raises(AssertionError, match="reached mathtext"):
        figure.savefig(io.BytesIO(), format="png")


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_request_text_is_drawn_literally(client, no_mathtext, fmt):
    nested = "$" + "{" * 39 + "$" + "$x^" * 13  # would make mathtext's parser work hard, if it ran
    for query in (f"y=1,2&title={quote(nested[:80])}", f"y=1&title={quote(chr(36) + chr(92) + 'frac{1}{2}$')}"):
        assert client.get(f"/plot/line.{fmt}?{query}&dpi=40").status_code == 200
    for query in (f"labels={quote(nested[:40])},$a$&values=1,2", "labels=%24%5Csqrt%7B2%7D%24,b&values=1,2&horizontal=1"):
        assert client.get(f"/plot/bar.{fmt}?{query}&title=%24%5Calpha%24&dpi=40").status_code == 200


def test_line_defaults_and_checks(client):
    image = decode_png(client.get("/plot/line.png?y=3,1,4&dpi=50").data)
    assert image.size == (200, 150)
    assert client.get("/plot/line.png?y=5&dpi=50").status_code == 200  # one point: marked, not empty
    for query, param in [("", "y"), ("y=1,,2", "y"), ("y=1,2&x=1", "y"), ("y=1,nan", "y"), ("y=1e101", "y"),
                         ("y=1&marker=x", "marker"), ("y=1&grid=maybe", "grid"), ("y=1&title=" + "x" * 81, "title"),
                         ("y=1&title=a%0Ab", "title")]:
        response = client.get(f"/plot/line.png?{query}")
        assert response.status_code == 400 and response.get_data(as_text=True).startswith(f"400 Bad Request: {param}:")


def test_line_list_is_capped_by_max_points():
    capped = Client(create_app(max_points=5))
    assert capped.get("/plot/line.png?y=1,2,3,4,5&dpi=20").status_code == 200
    response = capped.get("/plot/line.png?y=1,2,3,4,5,6&dpi=20")
    assert response.status_code == 400 and b"y: at most 5 items, got 6" in response.data


def test_bar_checks(client):
    assert client.get("/plot/bar.png?labels=a,b&values=1&dpi=30").data.startswith(b"400 Bad Request: values:")
    too_many = ",".join(["a"] * 201)
    assert client.get(f"/plot/bar.png?labels={too_many}&values=1").data.startswith(b"400 Bad Request: labels:")
    long_label = "x" * 41
    assert client.get(f"/plot/bar.png?labels={long_label}&values=1").data.startswith(b"400 Bad Request: labels:")


def test_charts_are_deterministic_in_every_format(client):
    for fmt in ("png", "svg", "pdf"):
        url = f"/plot/bar.{fmt}?labels=a,b,c,d,e,f,g&values=1,2,3,4,5,6,7&dpi=40"
        assert client.get(url).data == client.get(url).data


def test_page_escapes_the_values_and_keeps_the_form(client):
    html = client.get("/plot/line?y=1,2&title=%3Cscript%3Ealert(1)%3C/script%3E&grid=on").get_data(as_text=True)
    assert "<script>" not in html and 'value="&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert '<select name="marker" required><option value="none" selected>no marker</option>' in html
    assert '<input type="hidden" name="grid" value="false"><input name="grid" type="checkbox" value="true" checked>' in html
    found = re.search(r'<img class="plot" id="plot" src="([^"]+)"', html)
    assert found
    img = found.group(1).replace("&amp;", "&")
    assert client.get(img).status_code == 200


# -- a user plot with one parameter of every kind --------------------------------------------------------

def draw(fig, p, rng):
    ax = fig.add_subplot()
    ax.set_title(" ".join(p_.text(getattr(p, p_.name)) for p_ in KINDS.params), parse_math=False, fontsize=4)


def stations():
    return {"ams": "Amsterdam", "ber": "Berlin"}


KINDS = Plot("kinds", [
    Param("station", str, "ams", choices=stations, static=True),
    Param("label", str, "hi", max_length=10, pattern="[a-z ]*"),
    Param("flag", bool, False, static=True),
    Param("day", dt.date, dt.date(2024, 2, 29), minimum=dt.date(2000, 1, 1), static=True),
    Param("since", dt.datetime, None, optional=True),
    Param("ys", list[float], [1.0, 2.0], max_items=10),
    Param("ns", list[int], [1], minimum=0, static=True),
    Param("tags", list[str], ["a"], max_length=3),
], draw=draw)


@pytest.fixture(scope="module")
def kinds_client():
    return Client(create_app(registry=PlotRegistry([KINDS]), pool_size=2, max_points=20))


@pytest.mark.parametrize("query, param", [
    ("station=par", "station"), ("label=ABC", "label"), ("label=" + "a" * 11, "label"), ("flag=2", "flag"),
    ("day=2023-02-29", "day"), ("day=1999-12-31", "day"), ("since=yesterday", "since"), ("ys=1,x", "ys"),
    ("ys=" + ",".join("1" * 11), "ys"), ("ns=-1", "ns"), ("ns=" + ",".join("1" * 21), "ns"), ("tags=abcd", "tags"),
    ("flag=true&flag=false", "flag"), ("day=٢٠٢٤-01-01", "day"),
])
def test_every_kind_refuses_with_400_naming_it(kinds_client, query, param):
    response = kinds_client.get(f"/plot/kinds.png?{query}", headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["param"] == param


def test_every_kind_over_get_post_and_the_page(kinds_client):
    query = "station=ber&label=a b&flag=false&flag=true&day=2024-01-02&since=2024-01-02T03:04Z&ys=1,2.5&ns=3,4&tags=x,y"
    get = kinds_client.get(f"/plot/kinds.png?{query}&dpi=50")
    body = {"station": "ber", "label": "a b", "flag": True, "day": "2024-01-02", "since": "2024-01-02T03:04:00Z",
            "ys": [1, 2.5], "ns": [3, 4], "tags": ["x", "y"], "dpi": 50}
    post = kinds_client.post("/plot/kinds.png", json=body)
    assert get.status_code == post.status_code == 200 and get.data == post.data
    other = kinds_client.get(f"/plot/kinds.png?{query.replace('ns=3,4', 'ns=3')}&dpi=50").data
    assert decode_png(other).tobytes() != decode_png(get.data).tobytes()  # another static value, another figure
    html = kinds_client.get(f"/plot/kinds?{query}").get_data(as_text=True)
    assert '<option value="ber" selected>Berlin</option>' in html
    assert '<input name="day" type="date" value="2024-01-02" min="2000-01-01" required>' in html
    assert '<input name="since" type="datetime-local" value="2024-01-02T03:04:00" step="1">' in html
    assert '<input name="ys" type="text" value="1,2.5" required>' in html
    assert 'name="flag" type="checkbox" value="true" checked>' in html
    index = kinds_client.get("/").get_data(as_text=True)
    assert "one of ams, ber" in index and "optional" in index and "comma-separated, 1 to 10 items" in index


# -- the data charts keep their text ---------------------------------------------------------------

MONTHS = "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec".split(",")
MONTHLY = [5, 7, 9, 12, 15, 18, 21, 20, 17, 12, 8, 6]


def drawn_texts(svg: bytes) -> list[str]:
    """Every text an SVG draws: matplotlib writes each text element's string in a comment before it."""
    return [text.decode() for text in re.findall(rb"<!-- (.*?) -->", svg, re.DOTALL)]


def numbers(texts) -> list[str]:
    return [t for t in texts if re.fullmatch(r"[−\-+]?[\d.]+(e\d+)?", t)]


def chart(client, name, query):
    """The SVG's texts, after checking the PNG of the same request keeps its border clear."""
    png = client.get(f"/plot/{name}.png?{query}")
    assert png.status_code == 200, png.data
    assert (border(decode_png(png.data), 2)[:, :3] == 255).all(), "ink on the outermost pixels"
    svg = client.get(f"/plot/{name}.svg?{query}")
    assert svg.status_code == 200, svg.data
    return drawn_texts(svg.data)


@pytest.mark.parametrize("size", ["size=4x3&dpi=100", "dpi=300", "size=3.2x2.4&dpi=75"])
@pytest.mark.parametrize("horizontal", ["false", "true"])
def test_twelve_months_keep_title_months_and_value_axis(client, size, horizontal):
    query = f"labels={','.join(MONTHS)}&values={','.join(map(str, MONTHLY))}&title=Monthly&horizontal={horizontal}"
    texts = chart(client, "bar", f"{query}&{size}")
    assert "Monthly" in texts
    assert [t for t in texts if t in MONTHS] == MONTHS
    assert {"0", "10", "20"} <= set(numbers(texts))


def test_twelve_months_equal_plain_matplotlib(client, tmp_path):
    """Where matplotlib's own picture is readable, it is the picture: the issue's bar chart at 4x3."""
    plot = default_registry().get("bar")
    assert plot is not None
    query = f"labels={','.join(MONTHS)}&values={','.join(map(str, MONTHLY))}&title=Monthly"
    served = client.get(f"/plot/bar.png?{query}&size=4x3&dpi=100").data
    expected, actual = tmp_path / "expected.png", tmp_path / "served.png"
    expected.write_bytes(reference_png(plot, plot.parse(dict(pair.split("=") for pair in query.split("&"))),
                                       None, 4, 3, 100))
    actual.write_bytes(served)
    assert compare_images(str(expected), str(actual), tol=1) is None


@pytest.mark.parametrize("size", ["dpi=300", "size=12x5&dpi=100"])
def test_thirty_long_labels_are_thinned_not_dropped(client, size):
    labels = [f"a rather long label {i:02d}" for i in range(30)]
    query = f"labels={quote(','.join(labels))}&values={','.join(map(str, range(30)))}&title=Thirty&{size}"
    texts = chart(client, "bar", query)
    shown = [t for t in texts if t.startswith("a rather")]
    assert "Thirty" in texts and len(numbers(texts)) >= 3
    assert set(shown) <= set(labels) and len(shown) >= 6  # whole labels, thinned at most to every fifth
    assert shown == sorted(shown)


def test_two_hundred_bars_keep_title_value_axis_and_some_labels(client):
    labels = [f"b{i}" for i in range(200)]
    query = f"labels={','.join(labels)}&values={','.join(str(i % 17 - 5) for i in range(200))}&title=Many"
    texts = chart(client, "bar", query)
    shown = [t for t in texts if t in labels]
    assert "Many" in texts and len(numbers(texts)) >= 3 and 10 <= len(shown) < 200
    steps = {labels.index(b) - labels.index(a) for a, b in zip(shown, shown[1:])}
    assert len(steps) == 1  # every k-th label: the same step throughout


def test_a_thousand_points_and_epoch_seconds_keep_both_axes(client):
    thousand = ",".join(str((i * 37) % 101) for i in range(1000))
    texts = chart(client, "line", f"y={thousand}&title=Thousand")
    assert "Thousand" in texts and len(numbers(texts)) >= 8
    epochs = ",".join(str(1_700_000_000 + 3600 * i) for i in range(48))
    texts = chart(client, "line", f"x={epochs}&y={','.join(str(i % 7) for i in range(48))}&title=Epoch&size=4x3&dpi=100")
    assert "Epoch" in texts and len(numbers(texts)) >= 6


@pytest.mark.parametrize("size", ["size=4x3&dpi=100", "size=3.2x2.4&dpi=75", "dpi=300"])
def test_an_eighty_character_title_is_wrapped_every_word_drawn(client, size):
    title = "a title of eighty characters, which is much longer than the figure at this size!"
    assert len(title) == 80
    words = " ".join(chart(client, "line", f"y=1,2,3&title={quote(title)}&{size}")).split()
    start = words.index("a")  # each line of the wrapped title is a text of its own, in order
    assert words[start:start + len(title.split())] == title.split()
