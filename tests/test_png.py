import functools
import io
import struct
import zlib
from urllib.parse import urlencode

import numpy as np
import pytest
from PIL import Image, ImageSequence
from werkzeug.test import Client

from wsgi_plot import create_app, default_registry
from wsgi_plot.encode.apng import ApngWriter
from wsgi_plot.encode.png import COMPRESSIONS, encode_png

from .conftest import decode_png, split_parts


def test_random_pixels_round_trip_exactly():
    rng = np.random.default_rng(0)
    rgba = rng.integers(0, 256, size=(37, 53, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    image = decode_png(encode_png(rgba, dpi=300))
    assert image.mode == "RGBA" and image.size == (53, 37)
    assert np.array_equal(np.asarray(image), rgba)
    assert image.info["dpi"] == (300.0, 300.0) or np.allclose(image.info["dpi"], 300, atol=0.01)


def test_transparency_keeps_the_alpha_channel():
    rgba = np.zeros((10, 20, 4), dtype=np.uint8)
    rgba[2:5, 3:9] = (10, 200, 30, 128)
    image = decode_png(encode_png(rgba))
    assert image.mode == "RGBA"
    assert np.array_equal(np.asarray(image), rgba)


def test_accepts_a_non_contiguous_view():
    rgba = np.full((40, 40, 4), 255, dtype=np.uint8)[::2, ::2]
    assert decode_png(encode_png(rgba)).size == (20, 20)


# -- png_compression: which deflate writes every PNG, and that the pixels never depend on it ----------

COMPRESSION_NAMES = list(COMPRESSIONS)
#: Each built-in at its example query (the values of a plot that requires some) or its defaults.
BUILTINS = {plot.name: urlencode(dict(plot.example)) for plot in default_registry()}
THREADED = {"wsgi.multithread": True}  # werkzeug's test client says False; streams need threads


@pytest.fixture(scope="module")
def clients():
    """One app per setting; warm-up off, as every test draws what it needs."""
    return {name: Client(create_app(png_compression=name, warm=False)) for name in COMPRESSION_NAMES}


def image_data(png: bytes) -> list[bytes]:
    """The zlib stream of each frame: the IDAT chunks', then each fdAT's after its sequence number."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    streams, at = [], 8
    while at < len(png):
        length, kind = struct.unpack(">I4s", png[at:at + 8])
        data = png[at + 8:at + 8 + length]
        assert struct.unpack(">I", png[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + data)
        if kind == b"IDAT":
            streams.append(data)
        elif kind == b"fdAT":
            streams.append(data[4:])
        at += 12 + length
    return streams


def deflated_by(png: bytes, name: str) -> bool:
    """Every frame's zlib stream is exactly what the compression called ``name`` makes of its scanlines."""
    compress = COMPRESSIONS[name].compress
    assert compress is not None, name
    return all(compress(memoryview(zlib.decompress(stream))) == stream for stream in image_data(png))


@pytest.mark.parametrize("name", COMPRESSION_NAMES)
def test_each_compression_round_trips_exactly(name):
    rng = np.random.default_rng(1)
    rgba = rng.integers(0, 256, size=(31, 47, 4), dtype=np.uint8)
    png = encode_png(rgba, dpi=72, compression=name)
    assert np.array_equal(np.asarray(decode_png(png)), rgba)
    assert deflated_by(png, name)


@pytest.mark.parametrize("query", ["seed=1", "seed=2&size=3.2x2.4&dpi=75"], ids=["default-size", "thumbnail"])
@pytest.mark.parametrize("plot", BUILTINS)
def test_every_builtin_decodes_to_the_same_pixels_under_either_setting(clients, plot, query):
    pngs = {name: client.get(f"/plot/{plot}.png?{query}&{BUILTINS[plot]}").data for name, client in clients.items()}
    pixels = {name: np.asarray(decode_png(png)) for name, png in pngs.items()}
    small, fast = pixels["small"], pixels["fast"]
    assert small.shape[2] == 4 and small.std() > 0  # a drawn picture, not a blank one
    assert np.array_equal(small, fast)
    for name, png in pngs.items():
        assert deflated_by(png, name), name  # the setting chose the deflate
    assert len(pngs["fast"]) > len(pngs["small"])  # and the two differ as measured: fast is the larger


@pytest.mark.parametrize("plot", ["normal", "random-walk"])
def test_apng_frames_decode_to_the_same_pixels_under_either_setting(clients, plot):
    files = {name: client.get(f"/plot/{plot}.apng?frames=4&seed=3&size=4x3&dpi=50").data
             for name, client in clients.items()}
    frames = {name: [np.asarray(frame.convert("RGBA")) for frame in ImageSequence.Iterator(Image.open(io.BytesIO(data)))]
              for name, data in files.items()}
    assert len(frames["small"]) == len(frames["fast"]) == 4
    for small, fast in zip(frames["small"], frames["fast"]):
        assert np.array_equal(small, fast)
    for name, data in files.items():
        assert len(image_data(data)) == 4 and deflated_by(data, name), name


def test_stream_frames_use_the_setting(clients):
    for name, client in clients.items():
        # A pace a loaded machine keeps: a stream that falls behind skips frames (issue 21).
        body = client.get("/plot/normal.stream?fps=4&seconds=2&seed=1&size=2x1.5&dpi=50",
                          environ_overrides=THREADED).data
        frames = [png for headers, png in split_parts(body)]
        assert len(frames) >= 2
        for png in frames:
            decode_png(png)
            assert deflated_by(png, name), name


def test_the_app_binds_the_setting_into_every_png_writer():
    app = create_app(png_compression="fast")  # warm-up and /readyz draw through the same formats
    assert Client(app).get("/readyz").status_code == 200
    formats = app.images.formats
    png_encode, stream_encode, apng_writer = formats["png"].encode, formats["stream"].encode, formats["apng"].writer
    assert isinstance(png_encode, functools.partial) and isinstance(stream_encode, functools.partial)
    assert png_encode.keywords == stream_encode.keywords == {"compression": "fast"}
    assert apng_writer is not None
    writer = apng_writer(2, 10, 72)
    assert isinstance(writer, ApngWriter) and writer.compression == "fast"
