"""PNG deflate settings side by side: encode ms, request ms and bytes for every built-in, full size and thumbnail.

    .venv/bin/python bench/encoders.py [--repeat 30] [--candidates]

For each built-in plot at the default size (4x3 in at 300 dpi, 1200x900 px) and
as the gallery's thumbnail (3.2x2.4 in at 75 dpi, 240x180 px), one app per
``png_compression`` setting serves the same picture (same seed) through
werkzeug's test client: the whole request in process (parse, pool, draw,
encode), the settings alternating request by request so that a noisy machine
hits both alike. "encode" is ``encode_png`` alone on the decoded pixels, which
must be the same under both settings. ``--candidates`` adds the encoders that
were considered: Pillow (what ``savefig`` uses) at several levels, RGBA and
RGB, and filter-0 scanlines compressed by zlib, libdeflate and ISA-L at
several levels.
"""

import argparse
import io
import statistics
import struct
import sys
import time
import zlib
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.test import Client  # noqa: E402

from wsgi_plot import create_app, default_registry  # noqa: E402
from wsgi_plot.declare.params import Values  # noqa: E402
from wsgi_plot.encode.png import COMPRESSIONS, encode_png  # noqa: E402
from wsgi_plot.figures.pipeline import draw_still  # noqa: E402
from wsgi_plot.figures.render import PreparedFigure  # noqa: E402

SIZES = {"1200x900": "size=4x3&dpi=300", "240x180": "size=3.2x2.4&dpi=75"}


def median_ms(run, repeat):
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def compare_settings(repeat):
    """Rows of (plot, size, {setting: (encode ms, request ms, bytes)}, same pixels)."""
    clients = {name: Client(create_app(png_compression=name, warm=False)) for name in COMPRESSIONS}
    for plot in default_registry():
        for size, query in SIZES.items():
            url = f"/plot/{plot.name}.png?{urlencode(dict(plot.example))}&seed=1&{query}"
            bodies = {}
            for name, client in clients.items():  # builds each app's figure; checks the answer
                response = client.get(url)
                if response.status_code != 200:
                    raise SystemExit(f"{url}: {response.status_code} {response.get_data(as_text=True)}")
                bodies[name] = response.data
            pixels = {name: np.asarray(Image.open(io.BytesIO(body)).convert("RGBA")) for name, body in bodies.items()}
            first = next(iter(pixels.values()))
            same = all(np.array_equal(first, other) for other in pixels.values())
            dpi = Image.open(io.BytesIO(bodies["small"])).info.get("dpi", (None,))[0]
            request: dict[str, list[float]] = {name: [] for name in clients}
            for _ in range(repeat):
                for name, client in clients.items():
                    start = time.perf_counter()
                    client.get(url)
                    request[name].append((time.perf_counter() - start) * 1000)
            measured = {}
            for name in clients:
                encode = median_ms(lambda name=name, first=first, dpi=dpi: encode_png(first, dpi, name), repeat)
                measured[name] = (encode, statistics.median(request[name]), len(bodies[name]))
            yield plot.name, size, measured, same


def print_settings(repeat):
    names = list(COMPRESSIONS)
    print(f"png_compression side by side: median of {repeat} requests each, alternating (werkzeug test client, "
          "in process, one thread)")
    header = f"{'plot':12} {'pixels':9}" + "".join(f" | {name + ' encode':>12} {'request':>8} {'bytes':>7}"
                                                  for name in names)
    print(header + f" | {'request':>8} {'bytes':>6}  same pixels")
    print(" " * 22 + " | " + " | ".join(f"{'ms':>12} {'ms':>8} {'':>7}" for _ in names)
          + f" | {names[1] + '/' + names[0]:>15}")
    for plot, size, measured, same in compare_settings(repeat):
        line = f"{plot:12} {size:9}"
        for name in names:
            encode, request, nbytes = measured[name]
            line += f" | {encode:12.2f} {request:8.2f} {nbytes:7d}"
        (_, small_request, small_bytes), (_, fast_request, fast_bytes) = measured[names[0]], measured[names[1]]
        line += f" | {fast_request / small_request:8.2f}x {fast_bytes / small_bytes:5.2f}x  {'yes' if same else 'NO'}"
        print(line)


def figure_pixels():
    plot = default_registry().get("normal")
    assert plot is not None
    values = Values(mean=5.0, var=2.0, n=100)
    prepared = PreparedFigure(plot, plot.static_values(values), 4, 3, 300)
    draw_still(prepared, values, np.random.default_rng(0), "png")
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
    """Filter type 0 scanlines, as wsgi_plot.encode.png writes them, with a pluggable compressor."""
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
    for name, compression in COMPRESSIONS.items():
        yield f"wsgi_plot encode_png, {name}: {compression.description.split(':')[0]}", (
            lambda rgba, name=name: encode_png(rgba, compression=name))
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
        for level in (0, 1, 2, 3):
            yield f"ISA-L level {level}, RGBA scanlines", scanline_png(lambda b, lv=level: isal_zlib.compress(b, lv))


def print_candidates(repeat):
    rgba = figure_pixels()
    print(f"candidates: {rgba.shape[1]}x{rgba.shape[0]} RGBA figure, median of {repeat}")
    print(f"{'encoder':46} {'ms':>7} {'bytes':>8}  decodes exactly")
    for name, encode in candidates():
        data = encode(rgba)
        decoded = np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))
        exact = bool(np.array_equal(decoded, rgba))
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            encode(rgba)
            times.append((time.perf_counter() - start) * 1000)
        print(f"{name:46} {statistics.median(times):7.2f} {len(data):8d}  {exact}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--candidates", action="store_true", help="also time the encoders that were considered")
    args = parser.parse_args(argv)
    print_settings(args.repeat)
    if args.candidates:
        print()
        print_candidates(args.repeat)


if __name__ == "__main__":
    main()
