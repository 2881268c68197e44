"""The options are declared once, per format: what /openapi.json documents is what each route enforces.

Walks the live document: for every operation and every query parameter (or JSON body property) with
a documented ``maximum``, the maximum is accepted and the next value above it is a 400 naming the
parameter; every documented enum value is accepted and another is refused; every format refuses the
options of the others; page forms state the declared bounds.

The app is sized so that every maximum fits the budgets with the other values at their defaults:
a plot that draws nothing, at 10 dpi and 0.5x0.5 inches (5x5 px); the largest dpi (40) or side (2
inches) gives 20x20 px within max_pixels, and the most frames (600) at 5x5 px, or the default 30
frames at 20x20 px, fit max_animation_pixels. Streams last at most max_stream_seconds (1 s) and are
asked of a threaded environ; their acceptance is the 200 status, given once every option is
parsed, before any frame is drawn (the response is closed without reading the parts).
"""

import math
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app

THREADED = {"wsgi.multithread": True}
JSON = {"Accept": "application/json"}

SETTINGS: dict[str, Any] = {"min_dpi": 10, "default_dpi": 10, "max_dpi": 40, "default_size": "0.5x0.5", "min_inches": 0.5,
            "max_inches": 2.0, "max_pixels": 60 * 60, "max_animation_pixels": 600 * 5 * 5,
            "max_stream_seconds": 1, "pool_size": 2, "warm": False}

# The alias plot's name and parameters, so that /fig/MEAN_VAR and /normal/MEAN_VAR are walked too.
NOTHING = Plot("normal", [Param("mean", float, 0.0, minimum=-10, maximum=10),
                          Param("var", float, 1.0, minimum=0, exclusive_minimum=True, maximum=10),
                          Param("n", int, 3, minimum=1, maximum=20, count=True)],
               draw=lambda fig, p, rng: None, layout=False)
PATH_VALUES = {"mean": "0", "var": "1"}


@pytest.fixture(scope="module")
def client() -> Client:
    return Client(create_app(registry=PlotRegistry([NOTHING]), **SETTINGS))


@pytest.fixture(scope="module")
def doc(client: Client) -> dict:
    return client.get("/openapi.json").get_json()


def operations(doc: dict, method: str) -> list[tuple[str, dict]]:
    """Each operation as (path, operation); a path with an enumerated path parameter (a ``{format}``)
    once per value, since each value is a route of its own with what the operation documents."""
    found = []
    for path, item in doc["paths"].items():
        if method not in item:
            continue
        enumerated = [p for p in item[method].get("parameters", []) if p["in"] == "path" and "enum" in p["schema"]]
        if not enumerated:
            found.append((path, item[method]))
        for parameter in enumerated[:1]:
            rest = [p for p in item[method]["parameters"] if p is not parameter]
            found += [(path.replace(f"{{{parameter['name']}}}", value), {**item[method], "parameters": rest})
                      for value in parameter["schema"]["enum"]]
    return found


def url_of(path: str) -> str:
    for name, value in PATH_VALUES.items():
        path = path.replace(f"{{{name}}}", value)
    return path


def query_parameters(operation: dict) -> dict[str, dict]:
    return {p["name"]: p for p in operation.get("parameters", []) if p["in"] == "query"}


def body_properties(operation: dict) -> dict[str, dict]:
    return operation["requestBody"]["content"]["application/json"]["schema"]["properties"]


def above(schema: dict) -> int | float:
    """The next value above the documented maximum: +1 for an integer, the next float for a number."""
    maximum = schema["maximum"]
    return maximum + 1 if schema["type"] == "integer" else math.nextafter(float(maximum), math.inf)


def as_text(value: int | float) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def get(client: Client, path: str, query: dict) -> tuple[int, dict | None]:
    """Status and JSON error of a GET; a stream's status is read and its parts never drawn."""
    response = client.get(f"{url_of(path)}?{urlencode(query)}", headers=JSON, environ_overrides=THREADED,
                          buffered=False)
    try:
        return response.status_code, response.get_json() if response.status_code >= 400 else None
    finally:
        response.close()


def post(client: Client, path: str, body: dict) -> tuple[int, dict | None]:
    response = client.post(url_of(path), json=body, headers=JSON, environ_overrides=THREADED, buffered=False)
    try:
        return response.status_code, response.get_json() if response.status_code >= 400 else None
    finally:
        response.close()


def refused_naming(status: int, error: dict | None, name: str) -> bool:
    return status == 400 and error is not None and error["error"]["param"] == name \
        and error["error"]["message"].startswith(f"{name}: ")


def test_the_walk_sees_every_format_and_option(doc: dict) -> None:
    """What the walk below covers: a path per format (no CSV: this plot has no data hook), each with
    its own bounds; the maxima it sends are the declared ones."""
    paths = set(doc["paths"])
    assert {f"/plot/normal.{fmt}" for fmt in ("png", "svg", "pdf", "apng", "gif", "stream")} <= paths
    assert "/plot/normal.csv" not in paths
    maxima = {(path, name): p["schema"]["maximum"] for path, op in operations(doc, "get")
              for name, p in query_parameters(op).items() if "maximum" in p["schema"]}
    assert maxima[("/plot/normal.gif", "fps")] == 50 and maxima[("/plot/normal.stream", "fps")] == 30
    assert maxima[("/plot/normal.apng", "frames")] == 600 and maxima[("/plot/normal.stream", "seconds")] == 1
    assert maxima[("/plot/normal.png", "dpi")] == 40 and maxima[("/plot/normal", "refresh")] == 3600
    assert maxima[("/fig/{mean}_{var}.stream", "fps")] == 30
    assert not {name for (path, name) in maxima if path.endswith((".png", ".svg", ".pdf"))} & {"frames", "fps",
                                                                                                 "seconds"}


def test_every_documented_maximum_is_accepted_and_one_above_refused_naming_it(client: Client, doc: dict) -> None:
    checked = 0
    for path, operation in operations(doc, "get"):
        for name, parameter in query_parameters(operation).items():
            schema = parameter["schema"]
            if "maximum" not in schema:
                continue
            status, error = get(client, path, {name: as_text(schema["maximum"])})
            assert 200 <= status < 300, (path, name, schema["maximum"], error)
            status, error = get(client, path, {name: as_text(above(schema))})
            assert refused_naming(status, error, name), (path, name, above(schema), status, error)
            checked += 1
    assert checked >= 60  # 15 operations, each with 5 to 7 bounded values


def test_every_documented_maximum_of_a_json_body_is_accepted_and_one_above_refused(client: Client,
                                                                                    doc: dict) -> None:
    checked = 0
    for path, operation in operations(doc, "post"):
        for name, schema in body_properties(operation).items():
            if "maximum" not in schema:
                continue
            status, error = post(client, path, {name: schema["maximum"]})
            assert 200 <= status < 300, (path, name, schema["maximum"], error)
            status, error = post(client, path, {name: above(schema)})
            assert refused_naming(status, error, name), (path, name, above(schema), status, error)
            checked += 1
    assert checked >= 30


def test_every_documented_choice_is_accepted_and_another_refused(client: Client, doc: dict) -> None:
    for path, operation in operations(doc, "get"):
        for name, parameter in query_parameters(operation).items():
            schema = parameter["schema"]
            for value in schema.get("enum", ()):
                status, error = get(client, path, {name: value})
                assert 200 <= status < 300, (path, name, value, error)
            if "enum" in schema:
                assert refused_naming(*get(client, path, {name: "no-such-" + name}), name), (path, name)
            if schema.get("type") == "boolean":
                for value in ("true", "false"):
                    assert 200 <= get(client, path, {name: value})[0] < 300, (path, name, value)
                assert refused_naming(*get(client, path, {name: "maybe"}), name), (path, name)
            if "pattern" in schema and name == "size":
                assert refused_naming(*get(client, path, {name: "4by3"}), name), path


def test_size_sides_at_their_bounds_and_beyond(client: Client, doc: dict) -> None:
    """Each side's bounds are in the declaration's description (JSON Schema cannot state them of a string)."""
    size = query_parameters(doc["paths"]["/plot/normal.png"]["get"])["size"]
    assert "each side in [0.5, 2]" in size["description"]
    for path in ("/plot/normal.png", "/plot/normal.gif", "/plot/normal.stream", "/plot/normal"):
        assert get(client, path, {"size": "2x0.5"})[0] == 200
        assert refused_naming(*get(client, path, {"size": "2.01x0.5"}), "size")
        assert refused_naming(*get(client, path, {"size": "0.5x0.49"}), "size")


def test_cross_value_budgets_are_documented_and_name_the_value_to_lower(client: Client, doc: dict) -> None:
    """The two checks no single bound states: size x dpi (413 naming size), frames x pixels (413 naming frames)."""
    gif = query_parameters(doc["paths"]["/plot/normal.gif"]["get"])
    assert "at most 3600 pixels (max_pixels), else 413 naming size" in gif["size"]["description"]
    assert "at most 15000 pixels (max_animation_pixels)" in gif["frames"]["description"]
    assert "413 naming frames" in gif["frames"]["description"]
    status, error = get(client, "/plot/normal.png", {"size": "1.5x1.5", "dpi": "40"})  # 60x60 px: at the budget
    assert status == 200
    status, error = get(client, "/plot/normal.png", {"size": "1.5x1.55", "dpi": "40"})  # 60x62 px
    assert status == 413 and error is not None and error["error"]["param"] == "size"
    status, error = get(client, "/plot/normal.gif", {"frames": "600", "dpi": "12"})  # 600 x 6x6 px
    assert status == 413 and error is not None and error["error"]["param"] == "frames"


def test_each_format_refuses_the_options_it_does_not_take(client: Client, doc: dict) -> None:
    """An option documented on some route but not this one is an unknown parameter here (400 naming it)."""
    routes = [(path, op) for path, op in operations(doc, "get") if path.startswith(("/plot/", "/fig/", "/normal/"))]
    options: dict[str, str] = {}  # every option any route documents, with a value valid where it is taken
    for _, operation in routes:
        for name, parameter in query_parameters(operation).items():
            options.setdefault(name, as_text(parameter["schema"].get("minimum", parameter["schema"].get("default", 1))))
    refusals = 0
    for path, operation in routes:
        for name in sorted(set(options) - set(query_parameters(operation)) - set(PATH_VALUES)):
            assert refused_naming(*get(client, path, {name: options[name]}), name), (path, name)
            refusals += 1
    for path, operation in operations(doc, "post"):
        for name in sorted({"frames", "fps", "seconds", "refresh"} - set(body_properties(operation))):
            assert refused_naming(*post(client, path, {name: int(options[name])}), name), (path, name)
            refusals += 1
    assert refusals >= 30
    assert refused_naming(*get(client, "/plot/normal.png", {"frames": "3"}), "frames")
    assert refused_naming(*get(client, "/plot/normal.apng", {"seconds": "1"}), "seconds")
    assert refused_naming(*get(client, "/plot/normal.stream", {"frames": "3"}), "frames")
    assert refused_naming(*get(client, "/plot/normal.svg", {"refresh": "5"}), "refresh")


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str | None]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and values.get("type") != "hidden" and values.get("name"):
            self.inputs[str(values["name"])] = values


@pytest.mark.parametrize("page", ["/plot/normal", "/normal/{mean}_{var}"])
def test_page_forms_state_the_documented_bounds(client: Client, doc: dict, page: str) -> None:
    documented = query_parameters(doc["paths"][page]["get"])
    parser = _Inputs()
    parser.feed(client.get(url_of(page)).get_data(as_text=True))
    form = parser.inputs
    assert {"dpi", "size", "seed", "refresh"} <= set(form)
    for name in ("dpi", "seed", "refresh", "n") + (("mean", "var") if page == "/plot/normal" else ()):
        schema = documented[name]["schema"]
        assert form[name]["type"] == "number", name
        assert form[name].get("max") == str(schema["maximum"]), name
        assert form[name].get("min") == str(schema.get("minimum", schema.get("exclusiveMinimum"))), name
    assert f"^{form['size']['pattern']}$" == documented["size"]["schema"]["pattern"]
    assert form["size"]["value"] == documented["size"]["schema"]["default"] == "0.5x0.5"
    assert form["dpi"]["value"] == str(documented["dpi"]["schema"]["default"]) == "10"
