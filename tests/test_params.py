"""Parameter kinds: parsing of query text and JSON values, bounds, errors naming the parameter,
text and pool-key forms, schemas and form controls; property tests that no input escapes as
anything but a ParameterError."""

import datetime as dt
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wsgi_plot import Param, Plot
from wsgi_plot.core.errors import ParameterError
from wsgi_plot.declare.params import parse_float, parse_int

UTC = dt.timezone.utc


def refused(param, raw, *, json=False, match=""):
    with pytest.raises(ParameterError) as info:
        param.parse_json(raw) if json else param.parse(raw)
    assert info.value.param == param.name
    assert match in info.value.description, info.value.description
    return info.value.description


# -- numbers (issue 15: ASCII digits only; leading zeros and signs alike) ------------------------

@pytest.mark.parametrize("text", ["٥", "１０", "٢٠", "1٥", "²", "໑", "1_0", " 1", "1 ", "0x10", "nan", "inf", "+", "-",
                                  "1e", "e5", ""])
def test_numbers_are_ascii_decimal_only(text):
    for parse in (parse_int, parse_float):
        with pytest.raises(ParameterError):
            parse("n", text)


@pytest.mark.parametrize("text, value", [("00000000000000000001", 1), ("-0", 0), ("+0", 0), ("007", 7), ("-007", -7),
                                         ("+12", 12), ("0" * 39 + "9", 9)])
def test_leading_zeros_and_signs_are_accepted_alike(text, value):
    assert parse_int("seed", text) == value
    assert parse_float("mean", text) == float(value)


def test_a_number_longer_than_forty_characters_is_refused_before_conversion():
    assert parse_int("n", "0" * 40) == 0
    with pytest.raises(ParameterError, match="expected a whole number"):
        parse_int("n", "0" * 41)


def test_int_and_float_from_json():
    n = Param("n", int, 1, minimum=1, maximum=10)
    assert n.parse_json(3) == 3
    refused(n, 3.0, json=True, match="whole number")
    refused(n, True, json=True, match="JSON boolean")
    refused(n, "3", json=True, match="JSON string")
    refused(n, 11, json=True, match="<= 10")
    x = Param("x", float, 0.0)
    assert x.parse_json(2) == 2.0 and x.parse_json(0.5) == 0.5
    refused(x, 10**400, json=True, match="too large")


# -- bool ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["true", "TRUE", "1", "yes", "Yes", "on", "ON"])
def test_bool_true(text):
    assert Param("grid", bool, False).parse(text) is True


@pytest.mark.parametrize("text", ["false", "False", "0", "no", "off", "OFF"])
def test_bool_false(text):
    assert Param("grid", bool, True).parse(text) is False


def test_bool_refuses_anything_else_and_takes_the_form_pair():
    grid = Param("grid", bool, True)
    for text in ("2", "y", "t", "ja", "true ", "ｔｒｕｅ"):
        refused(grid, text, match="expected true/false")
    assert grid.parse(["false", "true"]) is True  # hidden field, then the ticked box
    assert grid.parse(["false", "on"]) is True
    refused(grid, ["true", "false"], match="given more than once")
    refused(grid, ["false", "false", "true"], match="given more than once")
    assert grid.parse_json(False) is False
    refused(grid, 0, json=True, match="true or false")
    control = grid.control(True)
    assert control.unchecked == "false" and ("checked", True) in control.attrs and ("type", "checkbox") in control.attrs
    assert ("checked", True) not in grid.control(False).attrs
    assert grid.schema() == {"type": "boolean", "default": True}


# -- free text ------------------------------------------------------------------------------------

def test_free_text_needs_a_max_length_of_at_most_200():
    with pytest.raises(ValueError, match="max_length"):
        Param("title", str, "")
    with pytest.raises(ValueError, match="max_length"):
        Param("title", str, "", max_length=201)
    with pytest.raises(TypeError, match="does not apply"):
        Param("n", int, 1, max_length=5)


def test_free_text_checks_length_controls_and_pattern():
    title = Param("title", str, "", max_length=10)
    assert title.parse("$\\frac{1}$") == "$\\frac{1}$"
    assert title.parse("日本語 ok") == "日本語 ok"
    refused(title, "x" * 11, match="at most 10 characters, got 11")
    for control in ("a\nb", "a\x00", "\x1b[31m", "a\x85", "a\u2028b"):
        refused(title, control, match="control character")
    code = Param("code", str, "AB", max_length=4, pattern="[A-Z]{2,4}")
    assert code.parse("XYZ") == "XYZ"
    refused(code, "xyz", match="does not match")
    refused(code, "XYZ\n", match="control character")
    refused(code, 5, json=True, match="expected a string")
    assert code.schema() == {"type": "string", "maxLength": 4, "pattern": "^(?:[A-Z]{2,4})$", "default": "AB"}
    assert ("maxlength", "4") in code.control("AB").attrs and ("pattern", "[A-Z]{2,4}") in code.control("AB").attrs


# -- choices ----------------------------------------------------------------------------------------

def test_choices_from_a_sequence_a_mapping_and_a_callable():
    marker = Param("marker", str, "o", choices=["o", "s"])
    assert marker.parse("s") == "s"
    assert "choose one of o, s" in refused(marker, "x")
    labelled = Param("station", str, "ams", choices={"ams": "Amsterdam", "ber": "Berlin"}, static=True)
    control = labelled.control("ber")
    assert control.element == "select" and control.selected == "ber"
    assert control.options == (("ams", "Amsterdam"), ("ber", "Berlin"))
    assert labelled.schema() == {"type": "string", "enum": ["ams", "ber"], "default": "ams"}
    with pytest.raises(ValueError, match="the default unknown value 'x'"):
        Param("marker", str, "x", choices=["o"])

    calls = []

    def stations():
        calls.append(1)
        return {f"s{i:03d}": f"station {i}" for i in range(50)}

    lazy = Param("station", str, "s001", choices=stations)
    assert calls == []  # read when an app serves it, not at declaration
    served = lazy.capped(1000)
    assert calls == [1] and served.parse("s049") == "s049"
    message = refused(served, "nope")
    assert "s019" in message and "s020" not in message and "(and 30 more)" in message


def test_optional_choice_may_be_left_blank():
    station = Param("station", str, None, choices=["a", "b"], optional=True)
    assert not station.required
    plot = Plot("p", [station], draw=lambda fig, p, rng: None)
    assert plot.parse({}).station is None
    assert station.control(None).options[0] == ("", "")
    assert station.text(None) == "" and station.key(None) is None


# -- dates and times ----------------------------------------------------------------------------------

def test_dates():
    day = Param("day", dt.date, dt.date(2024, 1, 1), minimum=dt.date(2000, 1, 1), maximum=dt.date(2030, 12, 31))
    assert day.parse("2024-02-29") == dt.date(2024, 2, 29)
    refused(day, "2023-02-29", match="not a date of the calendar")
    refused(day, "2024-2-29", match="YYYY-MM-DD")
    refused(day, "20240229", match="YYYY-MM-DD")
    refused(day, "٢٠٢٤-02-29", match="YYYY-MM-DD")
    refused(day, "1999-12-31", match=">= 2000-01-01")
    refused(day, "2031-01-01", match="<= 2030-12-31")
    assert day.parse_json("2024-02-29") == dt.date(2024, 2, 29)
    refused(day, 20240229, json=True, match="expected a date")
    assert day.text(dt.date(2024, 2, 29)) == "2024-02-29"
    assert day.schema() == {"type": "string", "format": "date", "default": "2024-01-01"}
    control = day.control(dt.date(2024, 2, 29))
    assert dict(control.attrs) == {"type": "date", "value": "2024-02-29", "min": "2000-01-01", "max": "2030-12-31",
                                   "required": True}
    with pytest.raises(TypeError):
        Param("day", dt.date, dt.datetime(2024, 1, 1))


def test_datetimes_naive_means_utc():
    at = Param("at", dt.datetime, None, optional=True, minimum=dt.datetime(2020, 1, 1))
    assert at.parse("2024-02-29T12:00") == dt.datetime(2024, 2, 29, 12, tzinfo=UTC)
    assert at.parse("2024-02-29T12:00:30Z") == dt.datetime(2024, 2, 29, 12, 0, 30, tzinfo=UTC)
    assert at.parse("2024-02-29T13:30:00+01:30") == dt.datetime(2024, 2, 29, 12, tzinfo=UTC)
    assert at.parse("2024-02-29T12:00:00.123456789Z").microsecond == 123456
    refused(at, "2024-02-29 12:00", match="expected a date and time")  # "+" in a URL is a space: refused, not misread
    refused(at, "2023-02-29T12:00", match="not a valid")
    refused(at, "2024-02-29T24:00", match="not a valid")
    refused(at, "2024-02-29T12:00+24:00", match="not a valid")
    refused(at, "0001-01-01T00:00+01:00", match="not a valid")  # before year 1 in UTC
    refused(at, "2019-12-31T23:59:59Z", match=">= 2020-01-01T00:00:00Z")
    assert at.text(at.parse("2024-02-29T13:00+01:00")) == "2024-02-29T12:00:00Z"
    assert dict(at.control(at.parse("2024-02-29T12:00Z")).attrs)["value"] == "2024-02-29T12:00:00"
    assert "required" not in dict(at.control(None).attrs)
    assert at.schema() == {"type": "string", "format": "date-time"}


# -- lists ----------------------------------------------------------------------------------------------

def test_lists_of_numbers():
    y = Param("y", list[float], minimum=-10, maximum=10, max_items=4)
    assert y.parse("1,4,9") == (1.0, 4.0, 9.0)
    assert y.parse_json([1, 2.5]) == (1.0, 2.5)
    assert "item 2 is empty" in refused(y, "1,,2")
    assert "item 2: expected a finite decimal number" in refused(y, "1,nan")
    assert "item 1: expected a finite decimal number" in refused(y, "inf")
    assert "item 3: must be <= 10" in refused(y, "1,2,11")
    assert "at most 4 items, got 5" in refused(y, "1,2,3,4,5")
    refused(y, [], json=True, match="at least 1 item")
    refused(y, [1, None], json=True, match="item 2 is null")
    refused(y, [1, "2"], json=True, match="item 2: expected a number")
    refused(y, "1,4,9", json=True, match="expected an array")
    assert y.key((1.0, 4.0)) == (1.0, 4.0) and hash(y.key(y.parse("1,4")))
    assert y.text((1.0, 0.5)) == "1,0.5"
    assert y.schema() == {"type": "array", "items": {"type": "number", "minimum": -10, "maximum": 10},
                          "minItems": 1, "maxItems": 4}
    assert y.kind.query_style() == {"style": "form", "explode": False}


def test_list_max_items_is_capped_by_max_points():
    y = Param("y", list[int])
    assert y.max_items is None and y.capped(50).max_items == 50
    assert Param("y", list[int], max_items=10).capped(50).max_items == 10
    assert Param("y", list[int], max_items=100).capped(50).max_items == 50
    refused(y.capped(3), "1,2,3,4", match="at most 3 items")


def test_lists_of_text():
    labels = Param("labels", list[str], max_length=5)
    assert labels.parse("a,b c,ä") == ("a", "b c", "ä")
    assert labels.parse_json(["1,000"]) == ("1,000",)  # JSON can carry a comma
    refused(labels, "a,toolong", match="item 2: at most 5 characters")
    refused(labels, "a,b\x00", match="item 2: control character")
    assert labels.kind.query_schema(labels)["items"]["pattern"].startswith("^[^,")


def test_unsupported_types_fail_at_declaration():
    for bad in (complex, list, list[bool], dict, tuple[int], bytes):
        with pytest.raises(TypeError, match="type"):
            Param("a", bad, None)


def test_static_values_of_every_kind_make_a_hashable_pool_key():
    params = [Param("c", str, "a", choices=["a", "b"], static=True), Param("t", str, "x", max_length=5, static=True),
              Param("b", bool, True, static=True), Param("d", dt.date, dt.date(2024, 1, 1), static=True),
              Param("w", dt.datetime, dt.datetime(2024, 1, 1), static=True), Param("l", list[float], [1, 2], static=True),
              Param("s", list[str], ["x"], max_length=3, static=True), Param("o", dt.date, None, optional=True, static=True)]
    plot = Plot("p", params, draw=lambda fig, p, rng: None)
    values = plot.parse({"l": "1,2,3"})
    key = plot.static_key(values)
    assert hash(key) == hash(plot.static_key(plot.parse({"l": "1,2,3"})))
    assert key != plot.static_key(plot.parse({"l": "1,2"}))


def test_the_plot_check_sees_all_values():
    def same_length(p):
        if len(p.x) != len(p.y):
            raise ParameterError("x", "length differs")

    plot = Plot("p", [Param("x", list[float]), Param("y", list[float])], draw=lambda fig, p, rng: None, check=same_length)
    assert plot.parse({"x": "1,2", "y": "3,4"}).x == (1.0, 2.0)
    with pytest.raises(ParameterError) as info:
        plot.parse({"x": "1", "y": "3,4"})
    assert info.value.param == "x"


# -- property tests: any text, any JSON value, only ParameterError ------------------------------------

FUZZED = [
    Param("n", int, 1, minimum=0, maximum=100), Param("x", float, 0.0, minimum=-1e9, maximum=1e9),
    Param("flag", bool, False), Param("title", str, "", max_length=20),
    Param("code", str, "AB", max_length=4, pattern="[A-Z]+"), Param("marker", str, "o", choices=["o", "s"]),
    Param("day", dt.date, None, optional=True, minimum=dt.date(2000, 1, 1)),
    Param("at", dt.datetime, None, optional=True, maximum=dt.datetime(2100, 1, 1)),
    Param("y", list[float], max_items=50), Param("k", list[int], max_items=50, minimum=0),
    Param("labels", list[str], max_length=8, max_items=50),
]

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=20)
QUERY_TEXT = st.one_of(
    st.text(max_size=60),
    st.text(st.sampled_from("0123456789,.-+eE:TZzt ١٢x"), max_size=40),
    st.lists(st.one_of(st.integers().map(str), st.floats().map(repr), st.text(max_size=4)), max_size=8).map(",".join),
    st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat()),
    st.dates().map(str),
)


def consistent(param, value):
    """A value that parsed must satisfy the declaration and survive its own text form."""
    param.check(value)
    hash(param.key(value))
    assert param.parse(param.text(value)) == value or any(isinstance(v, str) and "," in v for v in value)


@settings(max_examples=300, deadline=None, database=None)
@given(index=st.integers(0, len(FUZZED) - 1), text=QUERY_TEXT)
def test_query_text_parses_or_names_the_parameter(index, text):
    param = FUZZED[index]
    try:
        value = param.parse(text)
    except ParameterError as exc:
        assert exc.param == param.name
    else:
        if isinstance(value, float):
            assert math.isfinite(value)
        consistent(param, value)


@settings(max_examples=300, deadline=None, database=None)
@given(index=st.integers(0, len(FUZZED) - 1), value=JSON_VALUES)
def test_json_values_parse_or_name_the_parameter(index, value):
    param = FUZZED[index]
    if value is None:
        return  # a body's null is refused before any parameter sees it
    try:
        parsed = param.parse_json(value)
    except ParameterError as exc:
        assert exc.param == param.name
    else:
        param.check(parsed)
        hash(param.key(parsed))


# -- over HTTP: issue 15's probes -------------------------------------------------------------------------

@pytest.mark.parametrize("url, param", [("/fig/٥_٢", "mean"), ("/fig/5_2?dpi=٢٠", "dpi"), ("/plot/normal.png?n=１０", "n"),
                                        ("/plot/line.png?y=1,٢", "y"), ("/fig/5_2?size=４x3", "size")])
def test_non_ascii_digits_are_400_over_http(url, param):
    from werkzeug.test import Client

    from wsgi_plot import create_app

    response = Client(create_app()).get(url, headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.get_json()["error"]["param"] == param


def test_leading_zeros_and_signs_over_http():
    from werkzeug.test import Client

    from wsgi_plot import create_app

    client = Client(create_app())
    same = client.get("/fig/5_2?seed=1&dpi=20").data
    assert client.get("/fig/5_2?seed=00000000000000000001&dpi=020").data == same
    assert client.get("/fig/+5_02?seed=%2B1&dpi=20").data == same  # a query writes "+" as %2B
    assert client.get("/fig/5_2?seed=-0&dpi=20").data == client.get("/fig/5_2?seed=0&dpi=20").data
    assert client.get("/fig/5_2?seed=-1").status_code == 400
