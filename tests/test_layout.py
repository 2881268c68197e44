"""No text leaves the picture: every registered plot at every kind of size and dpi the settings allow.

Three views of the same promise: the decoded PNG's outermost pixels are all
background; in process, every text a renderer draws (PNG and SVG) lies inside
the figure; and the SVG's viewBox contains every text element's position.
"""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.backends.backend_svg import RendererSVG
from werkzeug.test import Client

from wsgi_plot import Param, Plot, PlotRegistry, create_app, default_registry
from wsgi_plot.settings import Settings

from .conftest import decode_png

SETTINGS = Settings()
SMALL, LARGE = SETTINGS.min_inches, SETTINGS.max_inches
LOW_DPI, HIGH_DPI = SETTINGS.min_dpi, SETTINGS.max_dpi

#: (width, height, dpi). Small sizes at the dpi they are served at; few large-pixel cases.
GRID = [
    (SMALL, SMALL, LOW_DPI),  # 5x5 px: not even the pads fit
    (SMALL, SMALL, HIGH_DPI),
    (LARGE, SMALL, LOW_DPI),
    (SMALL, LARGE, LOW_DPI),
    (LARGE, LARGE, LOW_DPI),  # the most inches, 400x400 px
    (LARGE, SMALL, 140),  # the widest strip within the pixel budget, 5600x70 px
    (1, 1, 100),
    (2, 1.5, 100),  # the sizes the issue found clipped
    (6, 2, 100),
    (3.2, 2.4, 75),  # the gallery thumbnail
    (4, 3, 300),  # the default picture
]

PLOTS = [plot.name for plot in default_registry()]


class TextRecorder:
    """Every text a renderer draws, with its window extent and the canvas size, in that renderer's units."""

    def __init__(self, monkeypatch):
        self.drawn = []
        for renderer_class in (RendererAgg, RendererSVG):
            monkeypatch.setattr(renderer_class, "draw_text", self._recording(renderer_class.draw_text))

    def _recording(self, draw_text):
        recorder = self

        def recorded(renderer, gc, x, y, s, prop, angle, ismath=False, mtext=None):
            extent = mtext.get_window_extent(renderer)
            recorder.drawn.append((type(renderer).__name__, s, extent, renderer.width, renderer.height))
            return draw_text(renderer, gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

        return recorded

    def outside(self):
        return [(kind, s, tuple(np.round(extent.extents, 1)), (width, height))
                for kind, s, extent, width, height in self.drawn
                if extent.x0 < 0 or extent.y0 < 0 or extent.x1 > width or extent.y1 > height]


def border(image, ring):
    """The outermost ``ring`` rows and columns of an image, as one array of pixels."""
    pixels = np.asarray(image.convert("RGBA"))
    return np.concatenate([pixels[:ring].reshape(-1, 4), pixels[-ring:].reshape(-1, 4),
                           pixels[:, :ring].reshape(-1, 4), pixels[:, -ring:].reshape(-1, 4)])


def svg_text_positions(svg: bytes):
    """``(text, x, y)`` of every text element (a group ``text_N``, glyphs drawn as paths), and the viewBox."""
    root = ET.fromstring(svg)
    view_box = [float(v) for v in root.get("viewBox").split()]
    positions = []
    for group in root.iter("{http://www.w3.org/2000/svg}g"):
        if re.fullmatch(r"(layer-)?text_\d+", group.get("id", "")):
            placed = group.find("{http://www.w3.org/2000/svg}g")
            x, y = re.match(r"translate\(([-\d.e]+) ([-\d.e]+)\)", placed.get("transform")).groups()
            positions.append((placed.get("transform"), float(x), float(y)))
    return view_box, positions


@pytest.mark.parametrize("width, height, dpi", GRID, ids=[f"{w:g}x{h:g}@{d}" for w, h, d in GRID])
@pytest.mark.parametrize("name", PLOTS)
def test_no_text_leaves_the_figure(name, width, height, dpi, monkeypatch):
    recorder = TextRecorder(monkeypatch)
    client = Client(create_app(pool_size=1))
    query = f"size={width:g}x{height:g}&dpi={dpi}&seed=1"

    response = client.get(f"/plot/{name}.png?{query}")
    assert response.status_code == 200, response.data
    image = decode_png(response.data)
    assert image.size == (int(width * dpi), int(height * dpi))
    ring = max(1, min(2, min(image.size) // 8))
    assert (border(image, ring) == 255).all(), "ink on the outermost pixels: something is clipped"

    svg = client.get(f"/plot/{name}.svg?{query}").data
    (x0, y0, view_width, view_height), positions = svg_text_positions(svg)
    for transform, x, y in positions:
        assert x0 <= x <= x0 + view_width and y0 <= y <= y0 + view_height, transform

    if min(width, height) >= 1.5:  # room for tick labels: a recorder that saw none would be broken
        assert recorder.drawn
    assert recorder.outside() == []
