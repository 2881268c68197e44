"""Text layouts measured once (issue 32): exact, bounded, never stale, and the same bytes."""

import contextlib
from urllib.parse import quote

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_svg import RendererSVG
from matplotlib.figure import Figure
from werkzeug.test import Client

from wsgi_plot import create_app
from wsgi_plot.figures import mpl_compat, render
from wsgi_plot.figures.mpl_compat import DRAW_LOCK, forget_text_layouts, text_layouts_memoized


def layout_of(text, renderer):
    """What ``Text._get_layout`` gives (memoized or not), exactly, as a comparable string."""
    return repr(text._get_layout(renderer))  # noqa: SLF001


def fresh(text, renderer):
    with DRAW_LOCK:
        return layout_of(text, renderer)  # memo off in this thread


def memoized(text, renderer):
    with DRAW_LOCK, text_layouts_memoized():
        return layout_of(text, renderer)


@pytest.fixture(autouse=True)
def empty_memo():
    forget_text_layouts()
    yield
    forget_text_layouts()


def test_a_changed_font_size_dpi_rotation_or_family_is_never_answered_from_the_memo():
    figure = Figure(dpi=100)
    text = figure.text(0.5, 0.5, "Monthly revenue", ha="center")
    renderer = RendererAgg(1, 1, 100)
    first = memoized(text, renderer)
    assert first == fresh(text, renderer)
    changes = [
        lambda: text.set_fontsize(17),
        lambda: text.set_rotation(30),
        lambda: text.set_horizontalalignment("right"),
        lambda: text.set_fontweight("bold"),
        lambda: text.set_text("Monthly revenue\n(EUR)"),  # two lines: the line spacing counts
        lambda: text.set_linespacing(2.0),
        lambda: figure.set_dpi(150),
    ]
    seen = {first}
    for change in changes:
        change()
        renderer = RendererAgg(1, 1, figure.dpi)
        now = memoized(text, renderer)
        assert now == fresh(text, renderer)
        assert now not in seen  # each change changes the layout: a stale answer would be caught
        seen.add(now)
    # The family resolves through the settings, as a theme's fonts do: the same properties, other glyphs.
    before = memoized(text, renderer)
    with matplotlib.rc_context({"font.sans-serif": ["DejaVu Sans Mono"]}):
        renderer = RendererAgg(1, 1, figure.dpi)  # matplotlib's own metrics cache is per renderer
        now = memoized(text, renderer)
        assert now == fresh(text, renderer) and now != before


def test_the_same_text_on_another_backend_is_measured_for_it():
    figure = Figure(dpi=72)
    text = figure.text(0, 0, "Sales per quarter")
    agg = memoized(text, RendererAgg(1, 1, 72))
    import io  # noqa: PLC0415

    svg = memoized(text, RendererSVG(100, 100, io.StringIO()))
    assert agg == fresh(text, RendererAgg(1, 1, 72))
    assert svg == fresh(text, RendererSVG(100, 100, io.StringIO()))


def test_mathtext_and_wrapped_text_are_measured_each_time():
    figure = Figure(dpi=100)
    renderer = RendererAgg(1, 1, 100)
    math = figure.text(0, 0, r"$\alpha^2$ growth")
    wrapped = figure.text(0.9, 0.5, "a long caption that wraps at the figure's edge", wrap=True)
    with DRAW_LOCK, text_layouts_memoized():
        layout_of(math, renderer)
        wrapped.get_window_extent(renderer)  # wrapping measures lines with the renderer the text keeps
    assert len(mpl_compat._text_layouts) == 0  # noqa: SLF001


def test_the_memo_is_bounded(monkeypatch):
    monkeypatch.setattr(mpl_compat, "TEXT_LAYOUTS_REMEMBERED", 50)
    figure = Figure(dpi=100)
    renderer = RendererAgg(1, 1, 100)
    text = figure.text(0, 0, "")
    for k in range(500):
        text.set_text(f"label {k}")
        memoized(text, renderer)
    assert len(mpl_compat._text_layouts) == 50  # noqa: SLF001
    text.set_text("label 499")
    assert memoized(text, renderer) == fresh(text, renderer)


def test_other_threads_never_use_it():
    import threading  # noqa: PLC0415

    figure = Figure(dpi=100)
    text = figure.text(0, 0, "from a host app's thread")
    renderer = RendererAgg(1, 1, 100)
    with DRAW_LOCK, text_layouts_memoized():
        other = threading.Thread(target=lambda: layout_of(text, renderer))
        other.start()
        other.join()
        assert len(mpl_compat._text_layouts) == 0  # noqa: SLF001


def random_requests(rng, count):
    """Data charts of new data: scales from 1e-3 to 1e6 (label widths), negative values, long
    and short titles, both themes, sizes from thumbnails to 1200x900."""
    sizes = ["size=2x1.5&dpi=72", "size=3.2x2.4&dpi=75", "size=3x2&dpi=100", "size=4x3&dpi=100", ""]
    months = "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec"
    for k in range(count):
        scale = 10.0 ** rng.integers(-3, 7)
        values = rng.normal(0, 1, int(rng.integers(3, 60))) * scale
        title = quote(["Line", "Readings of the north station, daily", "t"][k % 3])
        common = f"{sizes[k % len(sizes)]}&theme={'dark' if k % 2 else 'light'}&title={title}"
        if k % 2:
            yield "/plot/line.png?y=" + quote(",".join(f"{v:.4g}" for v in values)) + f"&{common}"
        else:
            bars = np.abs(values[:12]) if k % 4 else values[:12]  # bars of both signs
            labels = ",".join(months.split(",")[:len(bars)])
            yield f"/plot/bar.png?labels={labels}&values=" + quote(",".join(f"{v:.4g}" for v in bars)) + f"&{common}"


def test_memoized_layouts_give_the_same_bytes_over_random_requests(monkeypatch):
    urls = list(random_requests(np.random.default_rng(32), 40))
    memo = Client(create_app(pool_size=2, response_cache_bytes=0))
    served = [memo.get(url) for url in urls]
    assert [r.status_code for r in served] == [200] * len(urls), [r.data[:200] for r in served if r.status_code != 200]
    assert len(mpl_compat._text_layouts) > 0  # noqa: SLF001  (the memo was used)
    monkeypatch.setattr(render, "text_layouts_memoized", contextlib.nullcontext)
    plain = Client(create_app(pool_size=2, response_cache_bytes=0))
    for url, response in zip(urls, served):
        assert plain.get(url).data == response.data, url
