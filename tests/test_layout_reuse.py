"""Layouts remembered per pooled figure (issue 32): data that comes back to a scale it had gets
the layout made for it again, byte for byte what a fresh figure draws."""

from urllib.parse import quote

import numpy as np
import pytest
from werkzeug.test import Client

from wsgi_plot import create_app
from wsgi_plot.figures import layout as layout_module
from wsgi_plot.figures import render

MONTHS = "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec".split(",")


def requests(rng, count, look):
    """Data charts whose scale comes back: each request one of five scales (label widths), new
    values each time, bars of both signs, a few lengths."""
    scales = [1.0, 100.0, 0.01, 25_000.0, -3.0]
    for k in range(count):
        scale = scales[int(rng.integers(len(scales)))]
        if k % 2:
            values = rng.normal(0, 1, int(rng.integers(5, 40))) * scale
            yield "/plot/line.png?y=" + quote(",".join(f"{v:.4g}" for v in values)) + f"&{look}"
        else:
            values = rng.uniform(0.2, 1, 12) * scale
            yield f"/plot/bar.png?labels={','.join(MONTHS)}&values=" + quote(",".join(f"{v:.4g}" for v in values)) + \
                f"&{look}"


@pytest.mark.parametrize("look", ["size=4x3&dpi=100", "size=3.2x2.4&dpi=75&theme=dark", "size=2x1.5&dpi=72",
                                  "dpi=300"])
def test_remembered_layouts_draw_what_a_fresh_figure_draws(look, monkeypatch):
    reused = []
    holds_again = layout_module.FrozenLayout.holds_again

    def counted(self, renderer):
        held = holds_again(self, renderer)
        reused.append(held)
        return held

    monkeypatch.setattr(layout_module.FrozenLayout, "holds_again", counted)
    pooled = Client(create_app(pool_size=2, response_cache_bytes=0))
    for url in requests(np.random.default_rng(32), 24, look):
        served = pooled.get(url)
        assert served.status_code == 200, served.data[:200]
        fresh = Client(create_app(pool_size=1, response_cache_bytes=0)).get(url)
        assert served.data == fresh.data, url
    assert sum(reused) >= 3  # the remembered layouts were used, and drew the same bytes


def test_a_figure_remembers_a_bounded_number_of_layouts(monkeypatch):
    from wsgi_plot.builtin import default_registry  # noqa: PLC0415
    from wsgi_plot.figures.pipeline import _update_and_draw  # noqa: PLC0415

    monkeypatch.setattr(render, "LAYOUTS_REMEMBERED", 3)
    line = default_registry().get("line")
    assert line is not None
    values = line.parse({"y": "1,2,3"})
    prepared = render.PreparedFigure(line, line.static_values(values), 4, 3, 100, reusable=True)
    for digits in range(1, 9):  # eight label widths: eight layouts made
        with _update_and_draw(prepared, line.parse({"y": f"1,{10 ** digits},3"}), np.random.default_rng(0),
                              None, None, raster=True):
            pass
    assert len(prepared._layouts) == 3  # noqa: SLF001
    assert prepared.layout is prepared._layouts[0]  # noqa: SLF001  (the latest, first)
