"""A plot's fingerprint (wsgi_plot.declare.fingerprint) and the output token: what the response-cache key
covers besides the request, so that a deploy that changes the bytes changes the keys."""

import subprocess
import sys
import textwrap
import types
from typing import Annotated

from matplotlib.figure import Figure
from werkzeug.test import Client

import wsgi_plot
from wsgi_plot import Plot, PlotRegistry, Range
from wsgi_plot.declare.fingerprint import fingerprint
from wsgi_plot.declare.plot import FOREVER
from wsgi_plot.declare.typed import typed_plot
from wsgi_plot.web.nginx_cache import KEY_ONLY_HEADER

SOURCE = '''
from wsgi_plot import Param, Plot

COLOUR = "{colour}"


def style(ax):
    ax.set_title("{title}")


def draw(fig, params, rng):
    ax = fig.add_subplot()
    style(ax)
    ax.plot([0, 1], [0, params.n], color=COLOUR, linestyle="{line}")


PLOT = Plot("demo", [Param("n", int, {default}, minimum=0, maximum=9)], draw=draw)
'''
BASE = {"colour": "red", "title": "t", "line": "-", "default": 1}


def module_plot(name: str = "demo_module", **changes) -> Plot:
    """The plot of SOURCE, with ``changes``, compiled as a module of its own."""
    module = types.ModuleType(name)
    exec(compile(SOURCE.format(**{**BASE, **changes}), f"<{name}>", "exec"), module.__dict__)
    return module.PLOT


def test_the_same_code_gives_the_same_fingerprint_and_any_change_another():
    base = module_plot().fingerprint
    assert module_plot().fingerprint == base
    changed = {module_plot(line="--").fingerprint,  # a constant in the drawing code
               module_plot(title="u").fingerprint,  # a helper the code calls
               module_plot(colour="blue").fingerprint,  # a global the code reads
               module_plot(default=2).fingerprint}  # the declaration
    assert base not in changed and len(changed) == 4


def test_registration_takes_it_and_it_is_kept():
    plot = module_plot()
    PlotRegistry([plot])
    assert "fingerprint" in vars(plot)  # taken at registration (cached_property)


def test_a_typed_plot_is_fingerprinted_through_its_generated_hooks():
    def red(fig: Figure, n: Annotated[int, Range(0, 9)] = 1):
        fig.add_subplot().plot([0, n], color="red")

    def blue(fig: Figure, n: Annotated[int, Range(0, 9)] = 1):
        fig.add_subplot().plot([0, n], color="blue")

    assert typed_plot("t", red).fingerprint != typed_plot("t", blue).fingerprint
    assert typed_plot("t", red).fingerprint == typed_plot("t", red).fingerprint


def test_it_is_the_same_in_another_process_whatever_the_hash_seed():
    program = textwrap.dedent("""
        import wsgi_plot
        print(*sorted(f"{p.name}={p.fingerprint}" for p in wsgi_plot.default_registry()))
    """)
    seen = {subprocess.run([sys.executable, "-c", program], env={"PYTHONHASHSEED": seed, "PATH": ""},
                           capture_output=True, text=True, check=True, timeout=120).stdout for seed in ("1", "2")}
    here = " ".join(sorted(f"{p.name}={p.fingerprint}" for p in wsgi_plot.default_registry()))
    assert seen == {here + "\n"}


def test_cycles_and_large_objects_are_bounded():
    loop: list = []
    loop.append(loop)
    assert fingerprint(loop) == fingerprint(loop)
    assert len(fingerprint(list(range(100_000)))) == 16


def key_of(app, url="/plot/swatch.png?dpi=20&size=1x1"):
    answer = Client(app).get(url, headers={KEY_ONLY_HEADER: "1"})
    assert answer.status_code == 204
    return answer.headers["X-Cache-Key"]


def swatch_app(colour="red", **settings):
    def draw(fig, params, rng):
        fig.patch.set_facecolor(colour)

    return wsgi_plot.create_app(registry=PlotRegistry([Plot("swatch", draw=draw, random=False, freshness=FOREVER)]),
                                **settings)


def test_the_key_covers_output_settings_but_not_the_others():
    base = key_of(swatch_app())
    assert key_of(swatch_app()) == base
    assert key_of(swatch_app(png_compression="small")) != base
    assert key_of(swatch_app(default_dpi=100), "/plot/swatch.png?size=1x1&dpi=20") != base
    assert key_of(swatch_app(pool_size=3)) == base  # a bound, not the bytes
    assert key_of(swatch_app(colour="blue")) != base  # a value the drawing code closes over
