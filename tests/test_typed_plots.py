"""Plots declared by type hints (wsgi_plot.declare.typed): a function drawn in full and a class drawn by the
fast path, end to end through create_app; declarations refused at registration; load outside the
draw lock."""

import datetime as dt
import enum
import inspect
import re
import threading
from typing import Annotated, Literal

import annotated_types as at
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.random import Generator
from openapi_spec_validator import validate
from werkzeug.test import Client

from wsgi_plot import Choices, Count, Frame, Help, MaxItems, MaxLength, Pattern, PlotRegistry, Range, Static, create_app
from wsgi_plot.figures.mpl_compat import DRAW_LOCK
from wsgi_plot.figures.pipeline import render_unpooled
from wsgi_plot.web.application import find_plot_app

from .conftest import decode_png

#: Seconds a thread may take before a test gives up on it: a hang guard, never a measurement.
HANG = 60

#: One entry per figure the wave plot's init prepared.
WAVE_INITS: list[str] = []


def typed_registry() -> PlotRegistry:
    registry = PlotRegistry()

    @registry.plot("heat", title="heat map")
    def heat(fig: Figure, rng: Generator,
             n: Annotated[int, Range(2, 50), Help("cells a side")] = 10,
             cmap: Literal["viridis", "magma"] = "viridis",
             label: Annotated[str, MaxLength(20), Pattern(r"[a-z ]+")] = "value",
             smooth: bool = False,
             day: Annotated[dt.date, Range(dt.date(2000, 1, 1))] = dt.date(2024, 2, 29),
             at: dt.datetime | None = None,
             marks: Annotated[list[float], MaxItems(5)] | None = None) -> None:
        """A heat map of normal noise."""
        ax = fig.add_subplot()
        image = ax.imshow(rng.normal(size=(n, n)), cmap=cmap, interpolation="bilinear" if smooth else "nearest")
        fig.colorbar(image, ax=ax, label=label)
        ax.set_title(f"{day:%d %b %Y}" + (f" {at:%H:%M}" if at else ""))
        for mark in marks or ():
            ax.axhline(mark)

    @registry.plot("wave", title="noisy wave")
    class Wave:
        amplitude: Annotated[float, Range(0.1, 100), Static] = 1.0
        shape: Annotated[str, Choices({"sine": "smooth sine", "square": "square wave"}), Static] = "sine"
        noise: Annotated[float, Range(0, 10)] = 0.1
        points: Annotated[int, Range(2, 10_000), Count] = 200
        line: Line2D  # an artist init keeps: not a parameter

        def init(self, fig: Figure) -> None:
            WAVE_INITS.append(self.shape)
            ax = fig.add_subplot()
            ax.set_xlim(0, 2 * np.pi)
            ax.set_ylim(-1.5 * self.amplitude, 1.5 * self.amplitude)
            ax.set_title(f"{self.shape}, amplitude {self.amplitude:g}")
            (self.line,) = ax.plot([], [], color="tab:purple")

        def update(self, rng: Generator) -> None:
            x = np.linspace(0, 2 * np.pi, self.points)
            wave = np.sin(x) if self.shape == "sine" else np.sign(np.sin(x))
            self.line.set_data(x, self.amplitude * wave + rng.normal(0, self.noise, self.points))

    return registry


@pytest.fixture()
def registry():
    return typed_registry()


@pytest.fixture()
def client(registry):
    return Client(create_app(registry=registry, pool_size=2))


def test_the_function_form_is_a_full_draw_with_its_parameters(registry):
    heat = registry.get("heat")
    assert not heat.incremental and heat.random and heat.description == "A heat map of normal noise."
    assert [p.name for p in heat.params] == ["n", "cmap", "label", "smooth", "day", "at", "marks"]
    assert heat.param("at").optional and heat.param("marks").optional and heat.param("marks").max_items == 5


def test_page_form_controls_come_from_the_types(client):
    heat = client.get("/plot/heat").get_data(as_text=True)
    assert '<input name="n" type="number" value="10" step="1" min="2" max="50" required>' in heat
    assert '<select name="cmap" required><option value="viridis" selected>viridis</option>' \
           '<option value="magma">magma</option></select>' in heat
    assert '<input name="label" type="text" value="value" maxlength="20" pattern="[a-z ]+" required>' in heat
    assert '<input type="hidden" name="smooth" value="false"><input name="smooth" type="checkbox" value="true">' in heat
    assert '<input name="day" type="date" value="2024-02-29" min="2000-01-01" required>' in heat
    assert '<input name="at" type="datetime-local" value="" step="1">' in heat
    wave = client.get("/plot/wave?shape=square").get_data(as_text=True)
    assert '<option value="square" selected>square wave</option>' in wave
    assert '<input name="noise" type="number" value="0.1" step="any" min="0" max="10" required>' in wave


@pytest.mark.parametrize("query, param", [
    ("n=1", "n"), ("n=51", "n"), ("n=2.5", "n"), ("cmap=jet", "cmap"), ("label=" + "x" * 21, "label"),
    ("label=ABC", "label"), ("smooth=maybe", "smooth"), ("day=1999-12-31", "day"), ("day=2024-02-30", "day"),
    ("at=noon", "at"), ("marks=1,2,3,4,5,6", "marks"), ("marks=1,x", "marks"), ("colour=red", "colour"),
])
def test_a_bad_value_of_the_function_form_is_a_400_naming_it(client, query, param):
    response = client.get(f"/plot/heat.png?{query}")
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith(f"400 Bad Request: {param}:")


@pytest.mark.parametrize("query, param", [("amplitude=0", "amplitude"), ("shape=triangle", "shape"),
                                          ("noise=-1", "noise"), ("points=1", "points")])
def test_a_bad_value_of_the_class_form_is_a_400_naming_it(client, query, param):
    response = client.get(f"/plot/wave.svg?{query}")
    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith(f"400 Bad Request: {param}:")


def test_openapi_has_the_enums_and_bounds_of_the_types(registry):
    doc = Client(create_app(registry=registry, max_points=500)).get("/openapi.json").json
    assert doc is not None
    heat = {p["name"]: p for p in doc["paths"]["/plot/heat.png"]["get"]["parameters"]}
    assert heat["n"]["schema"] == {"type": "integer", "minimum": 2, "maximum": 50, "default": 10}
    assert heat["n"]["description"] == "cells a side"
    assert heat["cmap"]["schema"] == {"type": "string", "enum": ["viridis", "magma"], "default": "viridis"}
    assert heat["label"]["schema"] == {"type": "string", "maxLength": 20, "pattern": "^(?:[a-z ]+)$",
                                       "default": "value"}
    assert heat["smooth"]["schema"] == {"type": "boolean", "default": False}
    assert heat["day"]["schema"] == {"type": "string", "format": "date", "default": "2024-02-29"}
    assert heat["at"]["required"] is False and heat["at"]["schema"] == {"type": "string", "format": "date-time"}
    assert heat["marks"]["schema"]["maxItems"] == 5
    wave = {p["name"]: p for p in doc["paths"]["/plot/wave.png"]["get"]["parameters"]}
    assert wave["shape"]["schema"]["enum"] == ["sine", "square"]
    assert wave["points"]["schema"] == {"type": "integer", "minimum": 2, "maximum": 500, "default": 200}  # Count
    assert "static" in wave["amplitude"]["description"]


def test_same_seed_same_bytes_and_a_full_draw_equals_the_pooled_one(client, registry):
    for name in ("heat", "wave"):
        first = client.get(f"/plot/{name}.png?seed=4&dpi=50")
        assert first.status_code == 200 and decode_png(first.data).size == (200, 150)
        assert client.get(f"/plot/{name}.png?seed=4&dpi=50").data == first.data
        assert client.get(f"/plot/{name}.png?seed=5&dpi=50").data != first.data
        plot = registry.get(name)
        assert first.data == render_unpooled(plot, plot.parse({}), np.random.default_rng(4), "png", 4, 3, 50)


def test_the_class_form_takes_the_fast_path(client, registry, monkeypatch):
    restored = []
    original = FigureCanvasAgg.restore_region

    def restore_region(canvas, *args):
        restored.append(1)
        return original(canvas, *args)

    monkeypatch.setattr(FigureCanvasAgg, "restore_region", restore_region)
    wave = registry.get("wave")
    assert wave.incremental and [p.name for p in wave.params if p.static] == ["amplitude", "shape"]
    WAVE_INITS.clear()
    for seed in (1, 2, 3):
        assert client.get(f"/plot/wave.png?noise=0&seed={seed}&dpi=50").status_code == 200
    assert WAVE_INITS == ["sine"]  # one figure prepared, reused twice
    assert len(restored) == 3  # each request painted over the saved background
    assert client.get("/plot/wave.png?shape=square&seed=1&dpi=50").status_code == 200
    assert WAVE_INITS == ["sine", "square"]  # a static value keys another figure


def test_a_class_plot_finds_its_artists_on_self_and_its_animation_takes_the_frame():
    registry = PlotRegistry()

    @registry.plot("grow")
    class Grow:
        steps: Annotated[int, Range(2, 100), Static] = 10
        _axes: object = None  # private state: neither a parameter nor a changing artist

        def init(self, fig: Figure) -> None:
            self._axes = fig.add_subplot()
            self._axes.set_xlim(0, self.steps)
            self.lines = {"walk": self._axes.plot([], [])[0]}

        def update(self, rng: Generator, frame: Frame | None) -> None:
            shown = self.steps if frame is None else 1 + frame.number
            self.lines["walk"].set_data(np.arange(shown), rng.normal(size=shown))

    grow = registry.get("grow")
    assert grow is not None and grow.init is not None
    assert grow.update_takes_frame and grow.random
    artists = grow.init(Figure(), grow.static_values(grow.parse({})))
    assert list(artists) == [artists.instance.lines["walk"]]
    client = Client(create_app(registry=registry))
    response = client.get("/plot/grow.apng?frames=3&fps=5&dpi=30&seed=1")
    assert response.status_code == 200 and response.mimetype == "image/apng"


def test_reading_a_request_parameter_in_init_is_refused_at_registration():
    class Wrong:
        level: Annotated[float, Range(0, 1)] = 0.5

        def init(self, fig: Figure) -> None:
            fig.add_subplot().set_ylim(0, self._top())

        def _top(self) -> float:  # read through a helper: the dry run sees it all the same
            return self.level

        def update(self) -> None:
            pass

    with pytest.raises(TypeError, match=r"plot 'bad': .*Wrong.init reads 'level', a request parameter .* mark it "
                                        r"Static, or read it in load or update"):
        _registering(Wrong)

    class RequiredData:
        y: Annotated[list[float], MaxItems(10)]  # required, and not Static: init runs all the same

        def init(self, fig: Figure) -> None:
            fig.add_subplot().set_ylim(0, max(self.y))

        def update(self) -> None: ...

    with pytest.raises(TypeError, match=r"RequiredData.init reads 'y'"):
        _registering(RequiredData)


def test_an_init_that_needs_a_required_static_value_is_not_run_at_registration():
    ran = []

    class Sized:
        side: Annotated[int, Range(1, 9), Static]  # required: nothing to run init with
        level: Annotated[float, Range(0, 1)] = 0.5

        def init(self, fig: Figure) -> None:
            ran.append(self.level)

        def update(self) -> None: ...

    registry = PlotRegistry()
    registry.plot("sized")(Sized)
    assert ran == []
    sized = registry.get("sized")
    assert sized is not None and sized.init is not None
    with pytest.raises(AttributeError, match="'level' is not known yet: init sees the Static parameters only"):
        sized.init(Figure(), sized.static_values(sized.parse({"side": "2"})))


def _registering(target, **options):
    return PlotRegistry().plot("bad", **options)(target)


def _function(annotation, default=None):
    def draw(fig: Figure, value=default): ...
    draw.__annotations__["value"] = annotation
    return draw


@pytest.mark.parametrize("annotation, default, error, message", [
    (Annotated[str, MaxLength(5), Range(0, 1)], "a", TypeError, "minimum does not apply to a text parameter"),
    (Annotated[bool, Range(0, 1)], False, TypeError, "minimum does not apply to a bool parameter"),
    (str, "a", TypeError, "free text needs Annotated[str, MaxLength(n)]"),
    (dict, None, TypeError, "type <class 'dict'>: use int, float"),
    (Annotated[int, Range(0, 10)], 11, ValueError, "the default must be <= 10, got 11"),
    (Annotated[int, Range(0, 10)], 2.5, TypeError, "2.5 is not an int"),
    (Literal["a", "b"], "c", ValueError, "unknown value 'c'"),
    (Literal[1, 2], 1, TypeError, "Literal choices must be str"),
    (int | None, 3, ValueError, "an optional parameter (X | None) has the default None"),
    (Annotated[float, Count], 1.0, TypeError, "count does not apply to a float parameter"),
    (Annotated[int, Range(0, 1), Range(0, 2)], 0, TypeError, "given twice"),
    (Annotated[int, Static], 1, TypeError, "Static applies to a class plot's attributes"),
    (Annotated[Figure, Help("x")], None, TypeError, "a fig is not a request parameter"),
    (Annotated[float, at.MultipleOf(2)], 2.0, TypeError, "multiple_of does not apply to a float parameter"),
    (Annotated[int, Range(0, 10), at.Ge(1)], 1, TypeError, "minimum given twice"),
    (Annotated[str, MaxLength(5), at.MaxLen(4)], "a", TypeError, "max_length given twice"),
    (Annotated[int, at.Interval(ge=0, le=10)], 11, ValueError, "the default must be <= 10, got 11"),
    (Annotated[int, at.MinLen(2)], 1, TypeError, "min_length does not apply to a int parameter"),
])
def test_a_wrong_declaration_fails_at_registration_naming_the_parameter(annotation, default, error, message):
    with pytest.raises(error) as raised:
        _registering(_function(annotation, default))
    assert "plot 'bad', parameter 'value': " in str(raised.value) and message in str(raised.value)


def test_wrong_functions_and_classes_fail_at_registration():
    def unannotated(fig: Figure, n=3): ...

    with pytest.raises(TypeError, match=r"plot 'bad', .*argument 'n' has no annotation"):
        _registering(unannotated)

    def no_figure(rng: Generator): ...

    with pytest.raises(TypeError, match="plot 'bad': .* takes no Figure argument"):
        _registering(no_figure)

    class Both:
        def init(self, fig: Figure) -> None: ...
        def update(self) -> None: ...
        def draw(self, fig: Figure) -> None: ...

    with pytest.raises(TypeError, match="needs init and update, or draw"):
        _registering(Both)

    class NoDefault:
        level: Annotated[float, Range(0, 1), Static] = 5.0

        def init(self, fig: Figure) -> None: ...
        def update(self) -> None: ...

    with pytest.raises(ValueError, match="plot 'bad', parameter 'level': the default must be <= 1"):
        _registering(NoDefault)

    class RngInInit:
        def init(self, fig: Figure, rng: Generator) -> None: ...
        def update(self) -> None: ...

    with pytest.raises(TypeError, match="argument 'rng': a rng is not given here"):
        _registering(RngInInit)

    with pytest.raises(TypeError, match="come from the annotated function or class"):
        _registering(_function(int, 1), draw=print)


def test_the_explicit_decorator_form_still_registers_draw_fig_params_rng():
    registry = PlotRegistry()
    registry.plot("dots")(lambda fig, p, rng: fig.add_subplot().plot([1, 2]))
    dots = registry.get("dots")
    assert dots is not None and dots.params == () and dots.draw is not None


class _Gate:
    """Events a test holds a plot's load on: ``entered`` once load runs, it returns on ``release``."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()
        self.held_lock: list[bool] = []


def _loading_registry(gate: _Gate) -> PlotRegistry:
    registry = typed_registry()

    @registry.plot("slow", freshness=1.0)
    class Slow:
        """A query that takes as long as the test says."""

        level: Annotated[float, Range(0, 10)] = 1.0
        line: Line2D

        def init(self, fig: Figure) -> None:
            ax = fig.add_subplot()
            ax.set_ylim(0, 10)
            (self.line,) = ax.plot([], [])

        def load(self) -> None:
            gate.held_lock.append(_held_by_another_thread_or_this(DRAW_LOCK))
            gate.entered.set()
            assert gate.release.wait(HANG)
            self.rows = np.full(5, self.level)

        def update(self) -> None:
            self.line.set_data(np.arange(5), self.rows)

    return registry


def _held_by_another_thread_or_this(lock) -> bool:
    """Whether ``lock`` is held now: by this thread (an RLock's owner) or by another."""
    if getattr(lock, "_is_owned", lambda: False)():
        return True
    if lock.acquire(blocking=False):
        lock.release()
        return False
    return True


def test_load_runs_outside_the_draw_lock_and_delays_no_other_plot():
    gate = _Gate()
    client_app = create_app(registry=_loading_registry(gate), pool_size=2)
    slow_response = []
    slow = threading.Thread(target=lambda: slow_response.append(Client(client_app).get("/plot/slow.png?level=3&dpi=30")))
    slow.start()
    try:
        assert gate.entered.wait(HANG)  # the slow plot is inside load now
        other = Client(client_app).get("/plot/heat.png?seed=1&dpi=30")  # drawn while load waits
        assert other.status_code == 200 and not gate.release.is_set()
    finally:
        gate.release.set()
        slow.join(HANG)
    assert slow_response[0].status_code == 200 and gate.held_lock == [False]
    # A plot that takes no Generator is not random: the response cache may reuse it (it declares freshness).
    slow_plot = _loading_registry(gate).get("slow")
    assert slow_plot is not None and slow_plot.random is False


def test_load_runs_for_describe_and_csv_too():
    registry = PlotRegistry()

    @registry.plot("table")
    class Table:
        scale: Annotated[int, Range(1, 5)] = 2
        line: Line2D

        def init(self, fig: Figure) -> None:
            (self.line,) = fig.add_subplot().plot([], [])

        def load(self) -> None:
            self.rows = [[i, i * self.scale] for i in range(3)]

        def update(self) -> None:
            self.line.set_data(*zip(*self.rows))

        def data(self) -> tuple[list[str], list[list[int]]]:
            return ["x", "y"], self.rows

    client = Client(create_app(registry=registry))
    assert client.get("/plot/table.csv?scale=3").get_data(as_text=True).splitlines() == ["x,y", "0,0", "1,3", "2,6"]
    assert client.get("/plot/table?scale=3").status_code == 200  # the page reads its alt text after load
    assert client.get("/plot/table.png?scale=3").status_code == 200


def test_a_plot_whose_update_raises_leaves_no_figure_checked_out():
    registry = PlotRegistry()

    @registry.plot("fragile")
    class Fragile:
        fail: bool = False
        line: Line2D

        def init(self, fig: Figure) -> None:
            (self.line,) = fig.add_subplot().plot([], [])

        def update(self) -> None:
            if self.fail:
                raise RuntimeError("the plot's own bug")
            self.line.set_data([0, 1], [0, 1])

    app = create_app(registry=registry, pool_size=1)
    client = Client(app)
    plot_app = find_plot_app(app)
    assert plot_app is not None
    assert client.get("/plot/fragile.png?fail=true").status_code == 500
    assert plot_app.pool.in_use == 0
    assert client.get("/plot/fragile.png").status_code == 200  # the one figure is free again
    assert plot_app.pool.in_use == 0


def test_the_explicit_form_takes_a_load_hook_too():
    from wsgi_plot import Param, Plot

    loaded = []

    def init(fig, p):
        return fig.add_subplot().plot([], [])

    def load(artists, p):  # what it reads goes on the request's values, where update finds it
        loaded.append(_held_by_another_thread_or_this(DRAW_LOCK))
        p.rows = [0, p.top]

    def update(artists, p, rng):
        artists[0].set_data([0, 1], p.rows)

    plot = Plot("loaded", [Param("top", float, 1.0, minimum=0, maximum=5)], init=init, update=update, load=load)
    response = Client(create_app(registry=PlotRegistry([plot]))).get("/plot/loaded.png?top=3&dpi=30")
    assert response.status_code == 200 and loaded == [False]
    with pytest.raises(TypeError, match="load needs init and update"):
        Plot("full", draw=lambda fig, p, rng: None, load=load)


def test_a_class_plot_checks_values_together_and_writes_its_alt_text():
    from wsgi_plot import ParameterError

    registry = PlotRegistry()

    @registry.plot("band")
    class Band:
        low: Annotated[float, Range(0, 10)] = 1.0
        high: Annotated[float, Range(0, 10)] = 2.0
        line: Line2D

        def check(self) -> None:
            if self.low >= self.high:
                raise ParameterError("high", f"must be above low ({self.low:g})")

        def describe(self) -> str:
            return f"a band from {self.low:g} to {self.high:g}"

        def init(self, fig: Figure) -> None:
            (self.line,) = fig.add_subplot().plot([], [])

        def update(self) -> None:
            self.line.set_data([0, 1], [self.low, self.high])

    client = Client(create_app(registry=registry))
    response = client.get("/plot/band.png?low=5&high=3")
    assert response.status_code == 400 and response.get_data(as_text=True).startswith("400 Bad Request: high:")
    assert 'alt="a band from 1 to 4"' in client.get("/plot/band?high=4").get_data(as_text=True)


# -- the habits of FastAPI users: each works as they expect, or is refused at registration --------


def _form(html: str) -> dict[str, dict]:
    """A page's form as parsed HTML: each control by name -> its attributes, its label's text, its
    select's options (the checkbox's hidden twin left out)."""
    from html.parser import HTMLParser

    class Form(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.controls: dict[str, dict] = {}
            self.label: list[str] | None = None
            self.select: dict | None = None

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if tag == "label":
                self.label = [attrs.get("class") or ""]
            elif tag in ("input", "select") and attrs.get("type") != "hidden":
                control = {**attrs, "tag": tag, "label": self.label, "options": []}
                self.controls[attrs["name"]] = control
                self.select = control if tag == "select" else None
            elif tag == "option" and self.select is not None:
                self.select["options"].append(attrs["value"])

        def handle_data(self, data):
            if self.label is not None:
                self.label.append(data.strip())

        def handle_endtag(self, tag):
            if tag == "label":
                self.label = None

    parser = Form()
    parser.feed(html)
    return parser.controls


def _images(html: str) -> list[str]:
    return re.findall(r'<img [^>]*src="([^"]*)"', html)


# 1. async def


def test_an_async_plot_method_or_hook_is_refused_at_registration():
    async def drawn(fig: Figure, k: int = 1) -> None: ...

    with pytest.raises(TypeError, match=r"plot 'bad': .*drawn is async; .*write def, not async def"):
        _registering(drawn)

    class Loaded:
        k: int = 1
        line: Line2D

        def init(self, fig: Figure) -> None: ...
        async def load(self) -> None: ...
        def update(self) -> None: ...

    with pytest.raises(TypeError, match=r"plot 'bad': .*Loaded.load is async"):
        _registering(Loaded)

    async def data(k: int) -> None: ...

    with pytest.raises(TypeError, match=r"plot 'bad': its data hook .* is async"):
        _registering(_function(int, 1), data=data)
    from wsgi_plot import Plot

    async def draw(fig, params, rng): ...

    with pytest.raises(TypeError, match=r"plot 'explicit': draw is async"):
        Plot("explicit", draw=draw)


# 2. annotated-types markers; FastAPI's and pydantic's refused with their equivalent


def annotated_registry() -> PlotRegistry:
    from annotated_types import Ge, Gt, Interval, Le, Len, Lt, MaxLen, MinLen, MultipleOf

    registry = PlotRegistry()

    @registry.plot("bounded", random=False)
    def bounded(fig: Figure,
                k: Annotated[int, Ge(1), Le(10)] = 5,
                share: Annotated[float, Interval(gt=0, lt=1)] = 0.5,
                step: Annotated[int, MultipleOf(5), Gt(0)] = 10,
                label: Annotated[str, MinLen(2), MaxLen(8), "a note for another tool"] = "ab",
                marks: Annotated[list[float], Len(2, 3)] = (1.0, 2.0),  # type: ignore[assignment]  # an immutable default
                since: Annotated[dt.date, Lt(dt.date(2030, 1, 1))] = dt.date(2024, 1, 1)) -> None:
        fig.add_subplot().plot([0, k], [0, share])

    return registry


@pytest.mark.parametrize("query, message", [
    ("k=11", "k: must be <= 10, got 11"), ("k=0", "k: must be >= 1, got 0"),
    ("share=0", "share: must be > 0, got 0"), ("share=1", "share: must be < 1, got 1"),
    ("step=12", "step: must be a multiple of 5, got 12"), ("step=0", "step: must be > 0, got 0"),
    ("label=a", "label: at least 2 characters, got 1"), ("label=abcdefghi", "label: at most 8 characters, got 9"),
    ("marks=1", "marks: needs at least 2 items, got 1"), ("marks=1,2,3,4", "marks: at most 3 items, got 4"),
    ("since=2030-01-01", "since: must be < 2030-01-01, got 2030-01-01"),
])
def test_annotated_types_bounds_are_enforced_with_a_400(query, message):
    client = Client(create_app(registry=annotated_registry()))
    assert client.get("/plot/bounded.png?dpi=20").status_code == 200
    response = client.get(f"/plot/bounded.png?{query}&dpi=20")
    assert response.status_code == 400 and response.get_data(as_text=True).strip() == f"400 Bad Request: {message}"


def test_annotated_types_bounds_are_in_openapi_and_the_form():
    client = Client(create_app(registry=annotated_registry()))
    doc = client.get("/openapi.json").json
    assert doc is not None
    schema = {p["name"]: p["schema"] for p in doc["paths"]["/plot/bounded.png"]["get"]["parameters"]}
    assert schema["k"] == {"type": "integer", "minimum": 1, "maximum": 10, "default": 5}
    assert schema["share"] == {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.5}
    assert schema["step"] == {"type": "integer", "exclusiveMinimum": 0, "multipleOf": 5, "default": 10}
    assert schema["label"]["minLength"] == 2 and schema["label"]["maxLength"] == 8
    assert schema["marks"]["minItems"] == 2 and schema["marks"]["maxItems"] == 3
    validate(doc)
    form = _form(client.get("/plot/bounded").get_data(as_text=True))
    assert (form["k"]["min"], form["k"]["max"]) == ("1", "10") and form["step"]["step"] == "5"
    assert (form["label"]["minlength"], form["label"]["maxlength"]) == ("2", "8")


@pytest.mark.parametrize("marker, equivalent", [
    ("Query(ge=1, le=10)", "Annotated[..., Ge(ge=1), Le(le=10)]"),
    ("Query(max_length=5, description='how many')", "MaxLen(max_length=5), Help('how many')"),
    ("Field(gt=0, multiple_of=2)", "Gt(gt=0), MultipleOf(multiple_of=2)"),
])
def test_a_fastapi_or_pydantic_marker_is_refused_naming_its_equivalent(marker, equivalent):
    from fastapi import Query  # noqa: F401 - for eval
    from pydantic import Field  # noqa: F401 - for eval

    with pytest.raises(TypeError) as raised:
        _registering(_function(Annotated[int, eval(marker)], 3))
    message = str(raised.value)
    assert message.startswith("plot 'bad', parameter 'value': ") and "is not read by wsgi_plot" in message
    assert equivalent in message and "annotated_types' Ge, Gt, Le, Lt" in message


def test_unknown_metadata_with_constraints_is_refused_and_plain_metadata_left_alone():
    from annotated_types import Predicate

    class Meta:  # as msgspec.Meta or another library would say it
        def __init__(self, **constraints):
            self.__dict__.update(constraints)

    with pytest.raises(TypeError, match=r"plot 'bad', parameter 'value': .*Meta constrains the value \(le\)"):
        _registering(_function(Annotated[int, Meta(le=0)], -1))
    with pytest.raises(TypeError, match=r"plot 'bad', parameter 'value': Predicate\(.*cannot enforce"):
        _registering(_function(Annotated[int, Predicate(bool)], 1))
    plot = _registering(_function(Annotated[int, "a note", Meta(title="no constraint")], 1))
    assert plot is not None


# 3. Enum parameters (and Literal of their members); Choices(Enum) refused with the fix


class Metric(str, enum.Enum):
    mean = "mean"
    median = "median"
    peak = "max"


class Level(enum.IntEnum):
    low = 1
    high = 3


def enum_registry(seen: list) -> PlotRegistry:
    registry = PlotRegistry()

    @registry.plot("ranked", title="$metric at $level", random=False)
    def ranked(fig: Figure, metric: Metric = Metric.mean, level: Level = Level.low,
               pick: Literal[Metric.mean, Metric.peak] = Metric.peak) -> None:
        seen.append((metric, level, pick))
        fig.add_subplot().bar([metric.value, pick.value], [level, 1])

    return registry


def test_an_enum_parameter_is_given_to_the_plot_as_its_member():
    seen: list = []
    client = Client(create_app(registry=enum_registry(seen)))
    assert client.get("/plot/ranked.png?metric=max&level=3&pick=mean&dpi=20").status_code == 200
    assert seen[-1] == (Metric.peak, Level.high, Metric.mean) and type(seen[-1][2]) is Metric
    body = client.post("/plot/ranked.png", json={"metric": "median", "level": 1, "dpi": 20})
    assert body.status_code == 200 and seen[-1] == (Metric.median, Level.low, Metric.peak)
    for query, message in (("metric=peak", "metric: unknown value 'peak'; choose one of mean, median, max"),
                           ("level=2", "level: unknown value '2'; choose one of 1, 3"),
                           ("pick=median", "pick: unknown value 'median'; choose one of mean, max")):
        response = client.get(f"/plot/ranked.png?{query}")
        assert response.status_code == 400 and response.get_data(as_text=True).strip() == f"400 Bad Request: {message}"


def test_an_enum_parameter_is_a_select_and_an_openapi_enum():
    client = Client(create_app(registry=enum_registry([])))
    page = client.get("/plot/ranked?level=3").get_data(as_text=True)
    assert "<title>mean at 3</title>" in page
    form = _form(page)
    assert form["metric"]["tag"] == "select" and form["metric"]["options"] == ["mean", "median", "max"]
    assert form["level"]["options"] == ["1", "3"] and '<option value="3" selected>high (3)</option>' in page
    assert form["pick"]["options"] == ["mean", "max"]
    doc = client.get("/openapi.json").json
    assert doc is not None
    schema = {p["name"]: p["schema"] for p in doc["paths"]["/plot/ranked.png"]["get"]["parameters"]}
    assert schema["metric"] == {"type": "string", "enum": ["mean", "median", "max"], "default": "mean"}
    assert schema["level"] == {"type": "integer", "enum": [1, 3], "default": 1}
    assert schema["pick"] == {"type": "string", "enum": ["mean", "max"], "default": "max"}
    validate(doc)


def test_wrong_enum_declarations_fail_at_registration_with_the_way_out():
    with pytest.raises(TypeError, match=r"plot 'bad', parameter 'value': annotate it with the Enum itself "
                                        r"\(Metric\), not Choices\(Metric\)"):
        _registering(_function(Annotated[str, Choices(Metric)], "mean"))

    class Mixed(enum.Enum):
        a = "a"
        b = 2

    with pytest.raises(TypeError, match=r"plot 'bad', parameter 'value': .*values must be all str or all int"):
        _registering(_function(Mixed, Mixed.a))
    with pytest.raises(TypeError, match=r"plot 'bad', parameter 'value': .*'mean' is not a member of Level"):
        _registering(_function(Level, "mean"))
    with pytest.raises(TypeError) as raised:
        _registering(_function(set, None))
    assert "an Enum of str or int values" in str(raised.value)
    assert "for one of a few values, Literal[...], Choices(...) or an Enum" in str(raised.value)


# 4. Choices of any sequence or mapping, in both forms


@pytest.mark.parametrize("choices", [["a", "b"], ("a", "b"), {"a": "Alpha", "b": "Beta"}, [("a", "Alpha"), ("b", "B")],
                                     lambda: ["a", "b"]])
def test_choices_of_any_sequence_or_mapping_work_in_both_forms(choices):
    registry = PlotRegistry()

    @registry.plot("fn", random=False)
    def fn(fig: Figure, pick: Annotated[str, Choices(choices)] = "a") -> None:
        fig.add_subplot().set_title(pick)

    @registry.plot("cls", random=False)
    class Cls:
        pick: Annotated[str, Choices(choices)] = "a"

        def draw(self, fig: Figure) -> None:
            fig.add_subplot().set_title(self.pick)

    client = Client(create_app(registry=registry))
    for name in ("fn", "cls"):
        assert client.get(f"/plot/{name}.png?pick=b&dpi=20").status_code == 200
        assert client.get(f"/plot/{name}.png?pick=c&dpi=20").status_code == 400
        assert _form(client.get(f"/plot/{name}").get_data(as_text=True))["pick"]["options"] == ["a", "b"]


@pytest.mark.parametrize("choices, message", [
    ("ab", "Choices takes a list or tuple of str, a mapping value -> label, or a callable returning one; got str"),
    ({"a", "b"}, "Choices takes a list or tuple of str, .*; got set"),
    ([1, 2], "choices must be str values"),
    ({"a": 1}, "choices must be str values"),
])
def test_choices_that_cannot_work_fail_at_registration_naming_the_parameter(choices, message):
    with pytest.raises((TypeError, ValueError), match=r"plot 'bad', parameter 'value': " + message):
        _registering(_function(Annotated[str, Choices(choices)], "a"))


# 5. hooks of a function plot: typed, by the plot's parameter names, or the explicit form


def hooked_registry() -> PlotRegistry:
    registry = PlotRegistry()

    def rows(start: dt.date, end: dt.date, rng: Generator):
        days = (end - start).days
        return ["day", "value"], [(start + dt.timedelta(days=i), round(float(v), 3))
                                  for i, v in enumerate(rng.normal(size=days))]

    def check(start: dt.date, end: dt.date) -> None:
        from wsgi_plot import ParameterError

        if end <= start:
            raise ParameterError("end", "must be after start")

    @registry.plot("daily", data=rows, check=check, describe=lambda start, end: f"days from {start} to {end}")
    def daily(fig: Figure, rng: Generator, start: dt.date = dt.date(2024, 1, 1),
              end: dt.date = dt.date(2024, 1, 4)) -> None:
        fig.add_subplot().plot(*zip(*rows(start, end, rng)[1]))

    @registry.plot("constant", describe=lambda: "two points")
    def constant(fig: Figure) -> None:
        fig.add_subplot().plot([0, 1])

    @registry.plot("explicit", data=lambda params, rng: (["n"], [(params.n,)]), check=lambda params: None)
    def explicit(fig: Figure, n: int = 2) -> None:
        fig.add_subplot().plot([0, n])

    return registry


def test_typed_hooks_of_a_function_plot_take_its_parameters_by_name():
    client = Client(create_app(registry=hooked_registry()))
    csv = client.get("/plot/daily.csv?start=2024-03-01&end=2024-03-03&seed=7").get_data(as_text=True)
    expected = np.random.default_rng(7).normal(size=2)
    assert csv.splitlines() == ["day,value", f"2024-03-01,{round(expected[0], 3)}",
                                f"2024-03-02,{round(expected[1], 3)}"]
    bad = client.get("/plot/daily.png?start=2024-03-03&end=2024-03-01")
    assert bad.status_code == 400 and bad.get_data(as_text=True).strip() == "400 Bad Request: end: must be after start"
    assert 'alt="days from 2024-01-01 to 2024-01-04"' in client.get("/plot/daily").get_data(as_text=True)
    assert client.get("/plot/explicit.csv?n=5").get_data(as_text=True).splitlines() == ["n", "5"]
    assert 'alt="two points"' in client.get("/plot/constant").get_data(as_text=True)


def _dated(fig: Figure, start: dt.date = dt.date(2024, 1, 1)) -> None: ...


def test_hooks_whose_signature_does_not_fit_fail_at_registration():
    def rows(start, stop): ...  # "stop": not a parameter of the plot

    with pytest.raises(TypeError, match=r"plot 'bad': its data hook .*rows' takes 'stop', not a parameter of the "
                                        r"plot; its parameters are start, and rng: Generator"):
        PlotRegistry().plot("bad", data=rows)(_dated)
    with pytest.raises(TypeError, match=r"plot 'bad': its check hook .* takes \(a, b\); give it the plot's "
                                        r"parameters by name \(value\), or the explicit form check\(params\)"):
        _registering(_function(int, 1), check=lambda a, b: None)
    from wsgi_plot import Plot

    with pytest.raises(TypeError, match=r"plot 'explicit': describe \(\) cannot take the 1 values it is given "
                                        r"\(params\)"):
        Plot("explicit", draw=lambda fig, params, rng: None, describe=lambda: "")  # type: ignore[arg-type, misc]  # wrong on purpose


# 6. helpers annotated on a class plot: the error says _name or ClassVar


@pytest.mark.parametrize("annotation", ["Colorbar", "dict[str, float]"])
def test_a_helper_attribute_of_a_class_plot_is_told_to_be_private_or_a_classvar(annotation):
    from matplotlib.colorbar import Colorbar

    class Heat:
        __annotations__ = {"helper": eval(annotation, {"Colorbar": Colorbar})}

        def init(self, fig: Figure) -> None: ...
        def update(self) -> None: ...

    with pytest.raises(TypeError) as raised:
        _registering(Heat)
    message = str(raised.value)
    assert message.startswith("plot 'bad', parameter 'helper': type ")
    assert "for state that is not a request parameter, name it _helper or annotate it ClassVar[...]" in message
    assert "Literal[...], Choices(...) or an Enum" in message


# 8. required parameters: the page is the form, the missing fields marked, and no image until given


def test_a_plot_with_required_parameters_shows_its_form_with_them_marked():
    registry = PlotRegistry()

    @registry.plot("fit", title="fit of $points")
    def fit(fig: Figure, points: Annotated[list[float], MaxItems(50)], degree: Annotated[int, Range(1, 5)],
            label: Annotated[str, MaxLength(10)] = "fit", note: Annotated[str, MaxLength(10)] = "") -> None:
        fig.add_subplot().plot(points)

    client = Client(create_app(registry=registry))
    response = client.get("/plot/fit?degree=2")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert _images(page) == [] and '<p id="missing">Fill in points to draw the plot.</p>' in page
    assert "<h2>fit of \u2026</h2>" in page
    form = _form(page)
    assert form["points"]["label"][:3] == ["missing", "points", "(required)"] and "required" in form["points"]
    assert form["points"]["aria-invalid"] == "true" and form["points"]["value"] == ""
    assert form["degree"]["value"] == "2" and form["degree"]["label"][0] == "" and "aria-invalid" not in form["degree"]
    assert form["label"]["value"] == "fit" and "required" in form["label"]
    assert "required" not in form["note"]  # blank sends nothing, which is its default: the browser may send it so
    blank = _form(client.get("/plot/fit").get_data(as_text=True))
    assert [name for name, control in blank.items() if control["label"][0] == "missing"] == ["points", "degree"]
    assert client.get("/plot/fit?degree=9").status_code == 400  # what is given is checked all the same
    filled = client.get("/plot/fit?degree=2&points=1,3,2").get_data(as_text=True)
    assert len(_images(filled)) == 1 and "/plot/fit.png?" in _images(filled)[0] and 'id="missing"' not in filled
    image = client.get(_images(filled)[0].replace("&amp;", "&"))
    assert image.status_code == 200 and decode_png(image.data).size == (1200, 900)


# 9. a plot that draws no random numbers offers no new sample and no seed


def test_a_plot_without_a_generator_shows_no_new_sample_and_no_seed():
    registry = PlotRegistry()

    @registry.plot("fixed")
    def fixed(fig: Figure, k: Annotated[int, Range(1, 5)] = 2) -> None:
        fig.add_subplot().plot([0, k])

    @registry.plot("noisy")
    def noisy(fig: Figure, rng: Generator, k: Annotated[int, Range(1, 5)] = 2) -> None:
        fig.add_subplot().plot(rng.normal(size=k))

    client = Client(create_app(registry=registry))
    fixed_page = client.get("/plot/fixed?k=3").get_data(as_text=True)
    fixed_plot = registry.get("fixed")
    assert fixed_plot is not None and fixed_plot.random is False
    assert 'id="new-sample"' not in fixed_page and "seed" not in _form(fixed_page)
    assert 'id="png"' in fixed_page and "k" in _form(fixed_page)
    noisy_page = client.get("/plot/noisy?k=3").get_data(as_text=True)
    assert 'id="new-sample"' in noisy_page and "seed" in _form(noisy_page)


# 10. alt text reads a date axis as dates, whatever its formatter


@pytest.mark.parametrize("days", [
    [dt.date(2024, 1, 1) + dt.timedelta(days=i) for i in range(100)],
    np.arange("2024-01-01", "2024-04-10", dtype="datetime64[D]"),
    [dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(days=i) for i in range(100)],
])
def test_the_alt_text_reads_a_date_axis_as_dates(days):
    registry = PlotRegistry()

    @registry.plot("dated", random=False)
    def dated(fig: Figure) -> None:
        fig.add_subplot().plot(days, np.arange(100))

    page = Client(create_app(registry=registry)).get("/plot/dated").get_data(as_text=True)
    assert re.search(r'alt="Line chart\. x axis from 2023-12-2\d to 2024-04-1\d\. y axis from -4\.95 to 104\.', page)


# issue 31: a parameter named like a request option


@pytest.mark.parametrize("option, taker", [("size", "the picture"), ("dpi", "the picture"), ("seed", "the picture"),
                                           ("theme", "the picture"), ("transparent", "the picture"),
                                           ("frames", "animations"), ("fps", "animations"),
                                           ("seconds", "streams"), ("refresh", "pages")])
def test_a_parameter_named_like_a_request_option_is_refused_at_registration(option, taker):
    from wsgi_plot import Param, Plot

    def draw(fig: Figure, value: int = 1) -> None: ...

    draw.__annotations__[option] = draw.__annotations__.pop("value")
    draw.__signature__ = inspect.signature(draw).replace(parameters=[  # type: ignore[attr-defined]  # read by inspect
        inspect.Parameter("fig", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Figure),
        inspect.Parameter(option, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=1, annotation=int)])
    message = rf"plot 'bad', parameter '{option}': '{option}' is a request option \(taken by {taker}"
    with pytest.raises(ValueError, match=message):
        _registering(draw)
    with pytest.raises(ValueError, match=message):
        PlotRegistry([Plot("bad", [Param(option, int, 1)], draw=lambda fig, p, rng: None)])
