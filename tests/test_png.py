import numpy as np

from wsgi_plot.png import encode_png

from .conftest import decode_png


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
