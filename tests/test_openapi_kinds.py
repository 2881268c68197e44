"""schemathesis against a plot with a parameter of every kind: GET queries and POST bodies conform."""

import datetime as dt

import schemathesis
from hypothesis import HealthCheck, settings
from openapi_spec_validator import validate
from schemathesis.specs.openapi.checks import positive_data_acceptance
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app


def draw(fig, p, rng):
    ax = fig.add_subplot()
    ax.plot(p.ys, marker="o" if p.flag else None)
    ax.set_title(f"{p.station} {p.label} {p.day} {p.since} {','.join(p.tags)}", parse_math=False, fontsize=6)


KINDS = Plot("kinds", [
    Param("station", str, "ams", choices=lambda: {"ams": "Amsterdam", "ber": "Berlin"}, static=True),
    Param("label", str, "", max_length=20),
    Param("code", str, "AB", max_length=4, pattern="[A-Z]{2,4}"),
    Param("flag", bool, False, static=True),
    Param("day", dt.date, dt.date(2024, 2, 29), minimum=dt.date(2000, 1, 1), maximum=dt.date(2100, 1, 1)),
    Param("since", dt.datetime, None, optional=True),
    Param("ys", list[float], minimum=-1e6, maximum=1e6, max_items=50),
    Param("ns", list[int], [1], minimum=0, maximum=9, static=True),
    Param("tags", list[str], ["a"], max_length=5, max_items=5),
], draw=draw, example={"ys": "1,2"})

app = create_app(registry=PlotRegistry([KINDS]), max_dpi=60, default_dpi=30, max_pixels=100_000, pool_size=2)


def test_document_is_valid():
    validate(Client(app).get("/openapi.json").get_json())


# The page and the PNG: the kinds are the subject, not the formats (each format's own path takes the
# same parameters; tests/test_request_options.py walks each format's options).
schema = schemathesis.openapi.from_wsgi("/openapi.json", app).include(path_regex=r"^/plot/kinds(\.png)?$")


@schema.parametrize()
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck), database=None)
def test_every_kind_conforms_to_its_document(case):
    """As tests/test_openapi.py: no 5xx, responses as documented (see there for the excluded check)."""
    case.validate_response(case.call(), excluded_checks=[positive_data_acceptance])
