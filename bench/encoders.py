"""PNG encoder choices for a rendered figure: time, bytes, and whether Pillow decodes the result exactly.

    .venv/bin/python bench/encoders.py [--repeat 30]

Compares Pillow (what ``savefig`` uses) at several levels, RGBA and RGB,
against filter-0 scanlines compressed by the stdlib's zlib, libdeflate
(``deflate``, what wsgi_plot uses) and ISA-L (``isal``, if installed).
"""

import argparse
import io
import statistics
import struct
import sys
import time
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wsgi_plot import default_registry  # noqa: E402
from wsgi_plot.params import Values  # noqa: E402
from wsgi_plot.png import encode_png  # noqa: E402
from wsgi_plot.render import PreparedFigure, render  # noqa: E402


def figure_pixels():
    plot = default_registry().get("normal")
    values = Values(mean=5.0, var=2.0, n=100)
    prepared = PreparedFigure(plot, plot.static_values(values), 4, 3, 300)
    render(prepared, values, np.random.default_rng(0), "png")
    return np.array(prepared.canvas.buffer_rgba())


def pillow(mode, level):
    def encode(rgba):
        image = Image.fromarray(rgba, "RGBA")
        if mode == "RGB":
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, "png", compress_level=level)
        return out.getvalue()
    return encode


def scanline_png(compress, channels=4):
    """Filter type 0 scanlines, as wsgi_plot.png writes them, with a pluggable compressor."""
    def encode(rgba):
        height, width, _ = rgba.shape
        rows = np.empty((height, 1 + width * channels), np.uint8)
        rows[:, 0] = 0
        rows[:, 1:].reshape(height, width, channels)[...] = rgba[:, :, :channels]

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(data, zlib.crc32(kind)))

        color_type = 6 if channels == 4 else 2
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color_type, 0, 0, 0))
                + chunk(b"IDAT", compress(rows)) + chunk(b"IEND", b""))
    return encode


def candidates():
    yield "wsgi_plot.png.encode_png (libdeflate 6, RGBA)", encode_png
    for level in (1, 6):
        yield f"Pillow RGBA level {level}{' (as savefig)' if level == 6 else ''}", pillow("RGBA", level)
        yield f"Pillow RGB level {level}", pillow("RGB", level)
    for level in (1, 6):
        yield f"zlib level {level}, RGBA scanlines", scanline_png(lambda b, lv=level: zlib.compress(b, lv))
    try:
        import deflate
    except ImportError:
        pass
    else:
        for level in (1, 3, 6, 9):
            yield f"libdeflate level {level}, RGBA scanlines", scanline_png(
                lambda b, lv=level: deflate.zlib_compress(b, lv))
        yield "libdeflate level 6, RGB scanlines", scanline_png(lambda b: deflate.zlib_compress(b, 6), channels=3)
    try:
        from isal import isal_zlib
    except ImportError:
        pass
    else:
        for level in (1, 2, 3):
            yield f"ISA-L level {level}, RGBA scanlines", scanline_png(lambda b, lv=level: isal_zlib.compress(b, lv))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args(argv)
    rgba = figure_pixels()
    print(f"{rgba.shape[1]}x{rgba.shape[0]} RGBA figure, median of {args.repeat}")
    print(f"{'encoder':46} {'ms':>7} {'bytes':>8}  decodes exactly")
    for name, encode in candidates():
        data = encode(rgba)
        decoded = np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))
        exact = bool(np.array_equal(decoded, rgba))
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            encode(rgba)
            times.append((time.perf_counter() - start) * 1000)
        print(f"{name:46} {statistics.median(times):7.2f} {len(data):8d}  {exact}")


if __name__ == "__main__":
    main()
