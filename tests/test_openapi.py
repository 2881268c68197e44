"""/openapi.json: valid OpenAPI 3.1, generated from the declarations, and true of the live app."""

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import positive_data_acceptance
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app

#: Small bounds so generated requests render small images: the suite runs on 2 cores.
SMALL: dict[str, Any] = {"max_dpi": 100, "default_dpi": 50, "max_pixels": 200_000, "max_points": 200, "pool_size": 2,
         "max_animation_pixels": 1_000_000}


def document(app):
    response = Client(app).get("/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    return response.get_json()


def test_is_valid_openapi_3():
    validate(document(create_app()))


@pytest.mark.parametrize("prefix", ["", "/plots", "/a/b"])
def test_servers_carry_the_mount_prefix(prefix):
    """Under a Django or FastAPI prefix, the paths alone led a client to the host's own routes."""
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    app = create_app()
    client = Client(DispatcherMiddleware(lambda environ, start_response: [], {prefix: app}) if prefix else app)
    document = client.get(f"{prefix}/openapi.json").get_json()
    assert [server["url"] for server in document["servers"]] == [prefix or "/"]
    validate(document)


FORMAT_NAMES = ["png", "svg", "pdf", "apng", "gif", "csv", "stream"]


def test_describes_every_route_and_plot():
    """A path per format: formats take different options, which one {format} path could not say."""
    paths = document(create_app())["paths"]
    plots = ["normal", "histogram", "random-walk", "line", "bar", "scatter"]
    assert set(paths) == {
        "/", "/plots/", "/healthz", "/readyz", "/metrics", "/openapi.json",
        "/fig/{mean}_{var}", "/normal/{mean}_{var}", *(f"/fig/{{mean}}_{{var}}.{fmt}" for fmt in FORMAT_NAMES),
        *(f"/plot/{plot}" for plot in plots), *(f"/plot/{plot}.{fmt}" for plot in plots for fmt in FORMAT_NAMES),
    }
    operation_ids = [op["operationId"] for path in paths.values() for op in path.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert "/metrics" not in document(create_app(metrics=False))["paths"]


def parameters(doc, path):
    return {p["name"]: p for p in doc["paths"][path]["get"]["parameters"]}


def test_parameters_and_bounds_come_from_the_declarations_and_settings():
    doc = document(create_app(min_dpi=20, max_dpi=200, default_dpi=100, max_points=5000))
    histogram = parameters(doc, "/plot/histogram.png")
    assert histogram["n"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 5000, "default": 1000}
    assert histogram["bins"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 500, "default": 30}
    assert histogram["var"]["schema"] == {"type": "number", "exclusiveMinimum": 0.0, "maximum": 1e9, "default": 1.0}
    assert histogram["dpi"]["schema"] == {"type": "integer", "minimum": 20, "maximum": 200, "default": 100}
    fig = parameters(doc, "/fig/{mean}_{var}")
    assert fig["mean"]["in"] == fig["var"]["in"] == "path" and fig["var"]["schema"]["exclusiveMinimum"] == 0.0
    assert fig["n"]["schema"]["maximum"] == 5000 and fig["n"]["in"] == "query"
    responses = doc["paths"]["/plot/histogram.stream"]["get"]["responses"]
    assert set(responses) == {"200", "400", "404", "413", "503"}
    assert set(responses["200"]["content"]) == {"multipart/x-mixed-replace; boundary=wsgi-plot-frame"}
    # A stream refused for want of threads has no Retry-After (retrying would not help); other 503s do.
    assert responses["503"]["headers"]["Retry-After"]["required"] is False
    assert doc["paths"]["/plot/histogram.png"]["get"]["responses"]["503"]["headers"]["Retry-After"]["required"] is True
    assert doc["paths"]["/readyz"]["get"]["responses"]["503"]["headers"]["Retry-After"]["required"] is True


def test_a_new_plot_appears_with_its_parameters():
    sine = Plot("sine", [Param("points", int, 200, minimum=2, maximum=10_000, count=True, help="samples")],
                draw=lambda fig, p, rng: fig.add_subplot().plot(range(p.points)))
    doc = document(create_app(registry=PlotRegistry([sine]), max_points=300))
    assert parameters(doc, "/plot/sine")["points"] == {
        "name": "points", "in": "query", "required": False, "allowEmptyValue": True, "description": "samples",
        "schema": {"type": "integer", "minimum": 2, "maximum": 300, "default": 200}}
    assert not any(path.startswith(("/fig/", "/normal/")) for path in doc["paths"])  # no alias plot served
    validate(doc)


app = create_app(**SMALL)
# Every format's path of one plot (normal, the recipe's), and the PNG of every other plot: each format's
# path repeats the same options for every plot, and 6 plots x 7 formats x GET and POST would take the
# run from about 30 operations to over 100 on 2 cores. tests/test_request_options.py walks every
# format's documented bounds.
schema = schemathesis.openapi.from_wsgi("/openapi.json", app).exclude(
    path_regex=r"^/plot/(?!normal\.)[^/]+\.(?!png$)|^/fig/.*\.(?!png$)[a-z]+$")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_live_app_conforms_to_its_document(case):
    """No 5xx, and every status, content type, header and body as the document says.

    Every check but positive_data_acceptance: a request can fit the schema and still be refused,
    with a documented 400 or 413, where JSON Schema cannot state the rule (the pixel budget of
    size x dpi, each side of size within bounds).
    """
    excluded = [positive_data_acceptance]
    response = case.call()
    if response.status_code == 503 and case.path.endswith(".stream"):
        # Documented: this in-process client is single-threaded (wsgi.multithread false), where a
        # stream is refused at once. tests/test_stream*.py serve streams to threaded clients.
        excluded.append(not_a_server_error)
    case.validate_response(response, excluded_checks=excluded)
