"""In-process render benchmark: milliseconds per image by stage, pooled vs unpooled, next to the PNG floor.

    .venv/bin/python bench/render.py [--repeat 60] [--plot normal] [--query mean=5,var=2] [--png-compression fast]
    .venv/bin/python bench/render.py --looks [--repeat 60]

``--looks`` compares, in one run and interleaved, the dark theme and several series with their
light, one-series equivalents (the same numbers in all): pooled PNG and SVG, as ratios.

Stages: checkout (take a prepared figure from the pool), draw (update the
changing artists and draw them; for SVG/PDF this is the update only), encode
(PNG writer, or savefig for SVG/PDF), total. The floor is encode_png alone on
an already rendered buffer: no render of this picture can beat it.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wsgi_plot import default_registry  # noqa: E402
from wsgi_plot.declare.formats import build_formats  # noqa: E402
from wsgi_plot.declare.looks import Look  # noqa: E402
from wsgi_plot.declare.params import Values  # noqa: E402
from wsgi_plot.encode.png import COMPRESSIONS, DEFAULT_COMPRESSION, encode_png  # noqa: E402
from wsgi_plot.figures.pipeline import draw_still, render_unpooled  # noqa: E402
from wsgi_plot.figures.pool import FigurePool  # noqa: E402
from wsgi_plot.figures.render import PreparedFigure  # noqa: E402

DEFAULT_LOOK = Look()  # frozen: one instance serves every call


def median_ms(samples):
    return statistics.median(samples)


def measure_pooled(plot, values, fmt, repeat, size: tuple[float, float], dpi, look=DEFAULT_LOOK):
    pool = FigurePool(1, timeout=1)
    static = plot.static_values(values)
    stages: dict[str, list[float]] = {"checkout": [], "draw": [], "encode": [], "total": []}
    for i in range(repeat + 3):
        start = time.perf_counter()
        with pool.checkout("k", lambda: PreparedFigure(plot, static, *size, dpi, look=look)) as lease:
            checkout = (time.perf_counter() - start) * 1000
            _, timings = draw_still(lease.figure, values, np.random.default_rng(i), fmt)
        total = (time.perf_counter() - start) * 1000
        if i >= 3:  # the first renders build the figure and warm caches
            for key, value in (("checkout", checkout), ("draw", timings.draw), ("encode", timings.encode),
                               ("total", total)):
                stages[key].append(value)
    return {key: median_ms(samples) for key, samples in stages.items()}


def measure_unpooled(plot, values, fmt, repeat, size: tuple[float, float], dpi):
    samples = []
    for i in range(repeat // 3 + 2):
        start = time.perf_counter()
        render_unpooled(plot, values, np.random.default_rng(i), fmt, *size, dpi)
        if i >= 2:
            samples.append((time.perf_counter() - start) * 1000)
    return median_ms(samples)


def measure_floor(plot, values, repeat, size: tuple[float, float], dpi, compression):
    """encode_png alone, on the pixels of a finished render of the same picture."""
    prepared = PreparedFigure(plot, plot.static_values(values), *size, dpi)
    draw_still(prepared, values, np.random.default_rng(0), "png")
    pixels = np.array(prepared.canvas.buffer_rgba())
    samples = []
    for _ in range(repeat + 3):
        start = time.perf_counter()
        data = encode_png(pixels, dpi, compression)
        samples.append((time.perf_counter() - start) * 1000)
    return median_ms(samples[3:]), len(data)


def _series(count, points, seed=0):
    """``count`` series of ``points`` numbers in the ``;`` form of the query."""
    rng = np.random.default_rng(seed)
    return ";".join(",".join(f"{v:.3f}" for v in rng.normal(size=points)) for _ in range(count))


#: (label, plot, query values, theme); each row against the first of its plot.
LOOK_CASES = [
    ("line, 1 series of 300, light", "line", {"y": _series(1, 300)}, "light"),
    ("line, 1 series of 300, dark", "line", {"y": _series(1, 300)}, "dark"),
    ("line, 3 series of 100, light", "line", {"y": _series(3, 100), "names": "a,b,c"}, "light"),
    ("line, 3 series of 100, dark", "line", {"y": _series(3, 100), "names": "a,b,c"}, "dark"),
    ("bar, 1 series of 12, light", "bar", {"labels": ",".join("JFMAMJJASOND"), "values": _series(1, 12)}, "light"),
    ("bar, 1 series of 12, dark", "bar", {"labels": ",".join("JFMAMJJASOND"), "values": _series(1, 12)}, "dark"),
    ("bar, 3 series of 4, light", "bar", {"labels": "Q1,Q2,Q3,Q4", "values": _series(3, 4), "names": "a,b,c"}, "light"),
    ("bar, 3 series of 4, dark, stacked", "bar",
     {"labels": "Q1,Q2,Q3,Q4", "values": _series(3, 4), "names": "a,b,c", "stacked": "true"}, "dark"),
]


def compare_looks(repeat, size, dpi, formats, rounds=3):
    """Each case's median total, pooled, over ``rounds`` interleaved passes; printed as ratios."""
    registry = default_registry()
    totals: dict[tuple[str, str], list[float]] = {(label, name): [] for label, *_ in LOOK_CASES for name in ("png", "svg")}
    for _ in range(rounds):
        for label, plot_name, query, theme in LOOK_CASES:
            plot = registry.get(plot_name)
            assert plot is not None, plot_name
            values = plot.parse(query)
            for name in ("png", "svg"):
                stages = measure_pooled(plot, values, formats[name], repeat // rounds, size, dpi, Look(theme))
                totals[(label, name)].append(stages["total"])
    print(f"pooled total, median of {rounds} interleaved passes of {repeat // rounds}; {size[0]:g}x{size[1]:g} in "
          f"at {dpi} dpi")
    print(f"{'case':36} {'png ms':>8} {'ratio':>6} {'svg ms':>8} {'ratio':>6}")
    base: dict[str, dict[str, float]] = {}
    for label, plot_name, *_ in LOOK_CASES:
        row = {name: statistics.median(totals[(label, name)]) for name in ("png", "svg")}
        base.setdefault(plot_name, row)
        print(f"{label:36} {row['png']:8.2f} {row['png'] / base[plot_name]['png']:6.2f} "
              f"{row['svg']:8.2f} {row['svg'] / base[plot_name]['svg']:6.2f}")
    print("\nratio: against the first row of the same plot (light, one series) in this run")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--looks", action="store_true", help="dark theme and several series against light, one series")
    parser.add_argument("--plot", default="normal")
    parser.add_argument("--query", default="mean=5,var=2", help="static and per-request values, k=v,k=v")
    parser.add_argument("--size", default="4x3")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--png-compression", default=DEFAULT_COMPRESSION, choices=list(COMPRESSIONS))
    args = parser.parse_args(argv)
    formats = build_formats(args.png_compression)
    if args.looks:
        compare_looks(args.repeat, tuple(float(x) for x in args.size.split("x")), args.dpi, formats)
        return

    plot = default_registry().get(args.plot)
    if plot is None:
        sys.exit(f"no plot named {args.plot!r}")
    given = dict(pair.split("=") for pair in args.query.split(",") if pair)
    values = Values(**{p.name: p.parse(given[p.name]) if p.name in given else p.default for p in plot.params})
    width, height = (float(x) for x in args.size.split("x"))
    size = (width, height)

    floor, png_bytes = measure_floor(plot, values, args.repeat, size, args.dpi, args.png_compression)
    print(f"plot {args.plot} {values}, {size[0]:g}x{size[1]:g} in at {args.dpi} dpi, median of {args.repeat}, "
          f"png_compression={args.png_compression}")
    print(f"PNG encode floor (encode_png of a rendered buffer): {floor:.2f} ms, {png_bytes} bytes")
    print()
    print(f"{'format':6} {'checkout':>9} {'draw':>8} {'encode':>8} {'total':>8} {'unpooled':>9} {'pooled/floor':>13}")
    for name in ("png", "svg", "pdf"):
        fmt = formats[name]
        pooled = measure_pooled(plot, values, fmt, args.repeat, size, args.dpi)
        unpooled = measure_unpooled(plot, values, fmt, args.repeat, size, args.dpi)
        ratio = f"{pooled['total'] / floor:.2f}x" if name == "png" else "-"
        print(f"{name:6} {pooled['checkout']:9.2f} {pooled['draw']:8.2f} {pooled['encode']:8.2f} "
              f"{pooled['total']:8.2f} {unpooled:9.2f} {ratio:>13}")
    print("\nms per image (median); unpooled = new Figure, init, update, full draw, encode")


if __name__ == "__main__":
    main()
