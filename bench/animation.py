"""In-process animation benchmark: an APNG or GIF of N frames against N single PNG requests, and stream fps.

    .venv/bin/python bench/animation.py [--rounds 5] [--frames 30] [--plot normal] [--size 4x3 --dpi 300]
                                        [--png-compression fast]

Every figure goes through the whole app (werkzeug's test client: parsing, pool, render,
encode), one request after the other on one thread, so each number is what one core does.
Rounds alternate the kinds side by side, so machine noise hits them alike; the ratios
are medians over rounds. "stream fps" is the frame rate one core sustains for a stream:
1000 / ms per stream frame (draw on the pooled figure + PNG), pacing left out.
"""

import argparse
import io
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image  # noqa: E402
from werkzeug.test import Client  # noqa: E402

from wsgi_plot import create_app  # noqa: E402
from wsgi_plot.core.frame import Frame
from wsgi_plot.declare.params import Values  # noqa: E402
from wsgi_plot.encode.png import COMPRESSIONS, DEFAULT_COMPRESSION, encode_png  # noqa: E402
from wsgi_plot.figures.animation import FrameSource  # noqa: E402
from wsgi_plot.figures.pipeline import draw_frame  # noqa: E402
from wsgi_plot.figures.render import PreparedFigure  # noqa: E402


def timed_get(client, url) -> tuple[float, bytes]:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{url}: {response.status_code} {response.get_data(as_text=True)}")
    return elapsed, response.data


def stream_frame_ms(plot, size, dpi, frames, compression=DEFAULT_COMPRESSION) -> float:
    """ms per stream frame: what the app's stream does for each frame after the first."""
    width, height = size
    values = Values(**{p.name: p.default for p in plot.params})
    prepared = PreparedFigure(plot, plot.static_values(values), width, height, dpi)
    source = FrameSource(plot, 0)
    samples = []
    for number in range(frames + 3):
        start = time.perf_counter()
        encode_png(draw_frame(prepared, values, source.rng(), Frame(number, frames + 3)), dpi, compression)
        if number >= 3:
            samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--frames", type=int, default=30)
    parser.add_argument("--plot", default="normal")
    parser.add_argument("--size", default="4x3")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--png-compression", default=DEFAULT_COMPRESSION, choices=list(COMPRESSIONS))
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args(argv)

    app = create_app(metrics=False, png_compression=args.png_compression)
    client = Client(app)
    query = f"size={args.size}&dpi={args.dpi}"
    base = f"/plot/{args.plot}"
    for fmt in ("png", "apng", "gif"):  # build the pooled figure and warm caches
        client.get(f"{base}.{fmt}?{query}&frames={args.frames}" if fmt != "png" else f"{base}.png?{query}")

    rows: dict[str, list[float]] = {"png_x_frames": [], "apng": [], "gif": []}
    sizes = {}
    for round_number in range(args.rounds):
        singles = 0.0
        for frame in range(args.frames):
            elapsed, data = timed_get(client, f"{base}.png?{query}&seed={round_number * 1000 + frame}")
            singles += elapsed
            sizes["png"] = len(data)
        rows["png_x_frames"].append(singles)
        for fmt in ("apng", "gif"):
            elapsed, data = timed_get(client, f"{base}.{fmt}?{query}&frames={args.frames}&seed={round_number}")
            rows[fmt].append(elapsed)
            sizes[fmt] = len(data)
            frames = Image.open(io.BytesIO(data)).n_frames  # type: ignore[attr-defined]  # APNG's and GIF's files have it
            if frames != args.frames:
                raise SystemExit(f"{fmt}: {frames} frames decoded, {args.frames} asked for")

    width, height = (float(part) for part in args.size.split("x"))
    frame_ms = stream_frame_ms(app.registry.get(args.plot), (width, height), args.dpi, 60, args.png_compression)
    medians = {kind: statistics.median(samples) for kind, samples in rows.items()}
    result = {
        "plot": args.plot, "png_compression": args.png_compression, "frames": args.frames, "pixels": f"{int(width * args.dpi)}x{int(height * args.dpi)}",
        "ms": {kind: round(value, 1) for kind, value in medians.items()},
        "ratio_apng": round(statistics.median(a / p for a, p in zip(rows["apng"], rows["png_x_frames"])), 2),
        "ratio_gif": round(statistics.median(g / p for g, p in zip(rows["gif"], rows["png_x_frames"])), 2),
        "bytes": sizes,
        "stream_frame_ms": round(frame_ms, 1),
        "stream_fps_one_core": round(1000 / frame_ms, 1),
    }
    print(f"{args.plot}, {args.frames} frames of {result['pixels']} px, png_compression={args.png_compression}, "
          f"median of {args.rounds} rounds (ms):")
    print(f"  {args.frames} single PNG requests  {medians['png_x_frames']:8.1f}")
    print(f"  one APNG request         {medians['apng']:8.1f}   ratio {result['ratio_apng']:.2f}"
          f"   {sizes['apng'] / 1e6:.2f} MB")
    print(f"  one GIF request          {medians['gif']:8.1f}   ratio {result['ratio_gif']:.2f}"
          f"   {sizes['gif'] / 1e6:.2f} MB")
    print(f"  stream: {frame_ms:.1f} ms per frame, {1000 / frame_ms:.0f} fps on one core")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    return result


if __name__ == "__main__":
    main()
