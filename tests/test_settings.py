import dataclasses
import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app
from wsgi_plot.declare.settings import Settings, SettingsError
from wsgi_plot.encode import png


def test_environment_fills_settings_not_given():
    s = Settings.from_environ({"pool_size": 3}, {"WSGI_PLOT_POOL_SIZE": "9", "WSGI_PLOT_MAX_PIXELS": "1000",
                                                "WSGI_PLOT_METRICS": "off"})
    assert s.pool_size == 3 and s.max_pixels == 1000 and s.metrics is False


@pytest.mark.parametrize("env, name", [
    ({"WSGI_PLOT_POOL_SIZE": "many"}, "WSGI_PLOT_POOL_SIZE"),
    ({"WSGI_PLOT_POOL_SIZE": "0"}, "WSGI_PLOT_POOL_SIZE"),
    ({"WSGI_PLOT_METRICS": "maybe"}, "WSGI_PLOT_METRICS"),
    ({"WSGI_PLOT_DEFAULT_SIZE": "4by3"}, "WSGI_PLOT_DEFAULT_SIZE"),
    ({"WSGI_PLOT_POOL_TIMEOUT": "nan"}, "WSGI_PLOT_POOL_TIMEOUT"),
    ({"WSGI_PLOT_PNG_COMPRESSION": "tiny"}, "WSGI_PLOT_PNG_COMPRESSION"),
    ({"WSGI_PLOT_PNG_COMPRESSION": "zlib"}, "WSGI_PLOT_PNG_COMPRESSION"),
])
def test_bad_environment_names_the_variable(env, name):
    with pytest.raises(SettingsError, match=name):
        Settings.from_environ({}, env)


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings) if f.type in (float, "float")])
@pytest.mark.parametrize("text", ["inf", "-inf", "nan"])
def test_every_float_setting_must_be_finite(name, text):
    """max_inches=inf passed start-up, then size=1e308x1 was a 500."""
    variable = f"WSGI_PLOT_{name.upper()}"
    with pytest.raises(SettingsError, match=f"^{variable}: must be .*finite"):
        Settings.from_environ({}, {variable: text})
    with pytest.raises(SettingsError, match=f"^{name}: must be .*finite"):
        fields: dict[str, Any] = {name: float(text)}
        Settings(**fields)


def test_an_unknown_variable_is_warned_about_with_the_names_it_may_mean(caplog):
    with caplog.at_level("WARNING", logger="wsgi_plot"):
        settings = Settings.from_environ({}, {"WSGI_PLOT_MAX_STREAM": "3", "WSGI_PLOT_MAX_STREAMS": "2",
                                              "WSGI_PLOT_ZZZ": "1", "OTHER_MAX_STREAM": "1"})
    assert settings.max_streams == 2
    warned = [record.getMessage() for record in caplog.records]
    assert len(warned) == 2
    assert warned[0].startswith("WSGI_PLOT_MAX_STREAM is not a wsgi_plot setting")
    assert "did you mean WSGI_PLOT_MAX_STREAMS" in warned[0]
    assert warned[1].startswith("WSGI_PLOT_ZZZ is not a wsgi_plot setting") and "WSGI_PLOT_POOL_SIZE" in warned[1]


def test_bad_argument_names_the_argument():
    with pytest.raises(SettingsError, match="^max_pixels"):
        create_app(max_pixels=0)
    with pytest.raises(TypeError, match="pool_sise"):
        create_app(pool_sise=2)


# A valid value, other than the default, for every setting: as an argument and as environment text.
NON_DEFAULTS = {
    "default_dpi": (100, "100"), "min_dpi": (20, "20"), "max_dpi": (500, "500"), "default_size": ("6x4", "6x4"),
    "min_inches": (1.0, "1"), "max_inches": (20.0, "20"), "max_pixels": (1000, "1000"), "max_points": (50, "50"), "max_series": (3, "3"),
    "pool_size": (2, "2"), "pool_timeout": (0.5, "0.5"), "render_timeout": (2.0, "2"), "metrics": (False, "no"),
    "max_body_bytes": (4096, "4096"),
    "pool_max_bytes": (2**20, "1048576"), "warm": (False, "off"),
    "queue_timeout": (2.5, "2.5"),
    "png_compression": ("small", "small"),
    "response_cache_bytes": (0, "0"),
    "max_animation_pixels": (10_000, "10000"), "max_stream_seconds": (5, "5"), "max_streams": (0, "0"),
    "stream_send_timeout": (3.0, "3"),
}


def test_every_setting_is_an_argument_and_a_variable():
    assert set(NON_DEFAULTS) == {f.name for f in dataclasses.fields(Settings)}
    for name, (value, text) in NON_DEFAULTS.items():
        assert getattr(Settings.from_environ({name: value}, {}), name) == value
        assert getattr(Settings.from_environ({}, {f"WSGI_PLOT_{name.upper()}": text}), name) == value


def test_every_setting_is_in_the_settings_table():
    readme = (Path(__file__).resolve().parent.parent / "docs" / "operations.md").read_text()
    for field in dataclasses.fields(Settings):
        row = re.search(rf"^\| `{field.name}` \| `WSGI_PLOT_{field.name.upper()}` \| (.+?) \|", readme, re.M)
        assert row, field.name
        default = str(field.default).replace("_", "")
        assert row.group(1).replace(",", "").replace("`", "") in (default, default.lower()), (field.name, row.group(1))


@pytest.mark.parametrize("given, name", [
    ({"pool_size": "4"}, "pool_size"),
    ({"pool_size": True}, "pool_size"),
    ({"metrics": 1}, "metrics"),
    ({"pool_timeout": math.inf}, "pool_timeout"),
    ({"render_timeout": 0}, "render_timeout"),
    ({"max_points": 0}, "max_points"),
    ({"max_series": 0}, "max_series"),
    ({"min_dpi": 400}, "default_dpi"),
])
def test_bad_arguments_stop_start_up(given, name):
    with pytest.raises(SettingsError, match=f"^{name}:"):
        create_app(**given)


def test_a_bad_png_compression_stops_start_up_naming_the_variable(monkeypatch):
    monkeypatch.setenv("WSGI_PLOT_PNG_COMPRESSION", "best")
    with pytest.raises(SettingsError, match="^WSGI_PLOT_PNG_COMPRESSION: expected one of small, fast, got 'best'$"):
        create_app()
    with pytest.raises(SettingsError, match="^png_compression: expected one of small, fast"):
        create_app(png_compression="")


def test_fast_without_isal_is_refused_at_start_naming_the_variable(monkeypatch):
    # As on an install without the isal dependency (pip --no-deps): png.py leaves "fast" without a compressor.
    monkeypatch.setitem(png.COMPRESSIONS, "fast", dataclasses.replace(png.COMPRESSIONS["fast"], compress=None))
    with pytest.raises(SettingsError, match="^WSGI_PLOT_PNG_COMPRESSION: 'fast' needs the isal package"):
        Settings.from_environ({}, {"WSGI_PLOT_PNG_COMPRESSION": "fast"})
    with pytest.raises(SettingsError, match="^png_compression: 'fast' needs the isal package"):
        create_app(png_compression="fast")
    assert Settings.from_environ({}, {"WSGI_PLOT_PNG_COMPRESSION": "small"}).png_compression == "small"


def test_infinite_timeouts_from_the_environment_are_refused():
    with pytest.raises(SettingsError, match="^WSGI_PLOT_RENDER_TIMEOUT:"):
        Settings.from_environ({}, {"WSGI_PLOT_RENDER_TIMEOUT": "inf"})


def test_max_points_caps_count_parameters():
    client = Client(create_app(max_points=50))
    assert client.get("/fig/5_2?n=50&dpi=20").status_code == 200
    response = client.get("/fig/5_2?n=51&dpi=20")
    assert response.status_code == 400 and response.get_data(as_text=True).startswith("400 Bad Request: n: must be <= 50")
    histogram = client.get("/plot/histogram.png?n=51&dpi=20")
    assert histogram.status_code == 400 and "n: must be <= 50" in histogram.get_data(as_text=True)
    walk = client.get("/plot/random-walk.png?steps=51&dpi=20")
    assert walk.status_code == 400 and "steps: must be <= 50" in walk.get_data(as_text=True)
    # A default above the cap is lowered to it, so the plain URL still works.
    assert client.get("/plot/histogram.png?dpi=20").status_code == 200
    assert "&lt;= 50" in client.get("/").get_data(as_text=True)
    assert 'name="n" type="number" value="50"' in client.get("/plot/histogram").get_data(as_text=True)


def test_max_points_leaves_other_parameters_and_lower_bounds_alone():
    client = Client(create_app(max_points=50))
    assert client.get("/plot/histogram.png?bins=100&dpi=20").status_code == 200  # bins is not a count
    assert client.get("/fig/5_2?n=10000&dpi=20").status_code == 400
    assert Client(create_app()).get("/fig/5_2?n=10000&dpi=20").status_code == 200  # the plot's own bound


def test_max_points_from_the_environment(monkeypatch):
    monkeypatch.setenv("WSGI_PLOT_MAX_POINTS", "10")
    assert Client(create_app()).get("/fig/5_2?n=11&dpi=20").status_code == 400


def test_a_cap_below_a_count_minimum_stops_start_up():
    plot = Plot("dots", [Param("k", int, 20, minimum=10, maximum=100, count=True)], draw=lambda fig, p, rng: None)
    with pytest.raises(ValueError, match="'k'.*max_points 5"):
        create_app(registry=PlotRegistry([plot]), max_points=5)


def test_a_count_must_be_whole():
    with pytest.raises(TypeError, match="count"):
        Param("k", float, 1.0, count=True)


IMPORT_THEN_BUILD = """
import wsgi_plot
print("imported")
try:
    wsgi_plot.app
except Exception as exc:
    print(type(exc).__name__, exc)
"""


def test_importing_the_package_reads_no_setting_until_app_is_used():
    environ = {**os.environ, "WSGI_PLOT_POOL_SIZE": "many"}
    out = subprocess.run([sys.executable, "-c", IMPORT_THEN_BUILD], env=environ, capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parent.parent).stdout
    assert out.splitlines() == ["imported", "SettingsError WSGI_PLOT_POOL_SIZE='many': invalid literal for int() with base 10: 'many'"]


def test_the_settings_table_states_each_bound_the_code_checks():
    from wsgi_plot.declare.settings import BOUNDS, _number

    text = (Path(__file__).resolve().parent.parent / "docs" / "operations.md").read_text()
    for name, (low, high) in BOUNDS.items():
        row = re.search(rf"^\| `{name}` \| `WSGI_PLOT_{name.upper()}` \| .+? \| (.+?) \|", text, re.M)
        assert row and row.group(1) == f"{_number(low)} to {_number(high)}", (name, row and row.group(1))


@pytest.mark.parametrize("name", ["pool_timeout", "render_timeout", "max_body_bytes", "max_pixels", "max_inches"])
def test_each_bound_is_accepted_at_its_edge_and_refused_past_it(name):
    from wsgi_plot.declare.settings import BOUNDS

    low, high = BOUNDS[name]
    kind = type(getattr(Settings(), name))
    edge: dict[str, Any] = {"max_inches": {"max_dpi": 60, "default_dpi": 60}}.get(name, {})  # max_dpi x max_inches within Agg's side
    assert getattr(Settings(**{name: kind(high)}, **edge), name) == high
    past = kind(high * 2) if high else kind(1)
    with pytest.raises(SettingsError, match=f"^{name}: must be between"):
        Settings(**{name: past}, **edge)
    if low > 0:
        with pytest.raises(SettingsError, match=f"^{name}: must be between"):
            Settings(**{name: kind(low / 2) if kind is float else kind(0)}, **edge)
