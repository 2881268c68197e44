"""Plots declared by type hints (wsgi_plot.declare.typed): a function drawn in full and a class drawn by the
fast path, end to end through create_app; declarations refused at registration; load outside the
draw lock."""

import datetime as dt
import threading
from typing import Annotated, Literal

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from numpy.random import Generator
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
    monkeypatch.setattr(FigureCanvasAgg, "restore_region",
                        lambda canvas, *args: restored.append(1) or original(canvas, *args))
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
    assert registry.get("dots").params == () and registry.get("dots").draw is not None


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
    assert _loading_registry(gate).get("slow").random is False


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
    assert client.get("/plot/fragile.png?fail=true").status_code == 500
    assert find_plot_app(app).pool.in_use == 0
    assert client.get("/plot/fragile.png").status_code == 200  # the one figure is free again
    assert find_plot_app(app).pool.in_use == 0


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
