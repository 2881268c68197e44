"""What a request costs for figures with several axes, and for the data charts, in-process.

    .venv/bin/python bench/figures.py [--repeat 40] [--before REF]

Times whole requests through the app (werkzeug's test client: routing, parsing, pool, draw,
encode; the response cache off), median ms, at the default size (4x3 in at 300 dpi, 1200x900 px):

* the multi-axes fast path: the gallery's ``heatmap`` (an image, its colorbar and two line
  panels, all changing) over ``/fig/5_2`` (one axes), both on their fast path;
* the data charts over ``/fig/5_2``: the same request again, new data of the same scale (the
  frozen layout holds), and new data of another scale each time (new tick label widths: laid out
  again).

Beside each picture scenario, plain matplotlib drawing the same code the same way a user of the
recipe would: a new ``Figure(layout="constrained")``, the plot's ``draw`` (or ``init`` then
``update``), ``savefig`` to PNG, under the same look, timed in the same run (issue 32: new data
at fast-path speed, function plots cheaper than matplotlib). The function plots are those of
``examples/gallery.py``, drawn in full on every request.

``--before REF`` runs the same requests on a checkout of the git revision REF (a temporary
worktree) in a subprocess, and prints both side by side. Before the Figure-level API a plot got
one Axes: there the heat map is drawn as such a plot had to draw several axes, in full on every
request (``fig.clear()`` and a new grid), and without its colorbar, which was a 500 then.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

#: The checkout measured: this one, or the ``--before`` worktree when run by ``run_at``.
ROOT = Path(os.environ.get("BENCH_FIGURES_ROOT") or Path(__file__).resolve().parent.parent)

MONTHS = "Jan,Feb,Mar,Apr,May,Jun,Jul,Aug,Sep,Oct,Nov,Dec"


def heatmap_plot():
    """The gallery's heat map as this checkout can serve it."""
    if not _takes_figure():
        return old_api_heatmap()
    from examples.gallery import PLOTS

    return next(plot for plot in PLOTS if plot.name == "heatmap")


def _takes_figure() -> bool:
    """Whether this checkout hands plots the Figure (issue 20) rather than one Axes."""
    from wsgi_plot.figures import render

    return hasattr(render, "_painted")


def old_api_heatmap():
    """The heat map as a plot given one Axes had to draw it: clear its figure, make the grid."""
    from wsgi_plot import Param, Plot

    def draw(ax, p, rng):
        fig = ax.figure
        fig.clear()
        axd = fig.subplot_mosaic("IA;IB")
        cells = rng.normal(size=(p.cells, p.cells))
        axd["I"].imshow(cells, vmin=-3, vmax=3, cmap="magma")
        # No colorbar: before the Figure-level API a colorbar was a 500 (ZeroDivisionError in the layout).
        axd["I"].set_title("cells")
        for key, title, data in (("A", "row means", cells.mean(axis=1)), ("B", "column means", cells.mean(axis=0))):
            axd[key].set_xlim(0, p.cells - 1)
            axd[key].set_ylim(-1.5, 1.5)
            axd[key].set_title(title)
            axd[key].grid(True)
            axd[key].plot(np.arange(p.cells), data, marker=".")
        fig.suptitle("a heat map with its marginals")

    return Plot("heatmap", [Param("cells", int, 12, minimum=2, maximum=60, static=True)], draw=draw)


def scenarios(repeat, rng):
    same_line = "/plot/line.png?y=3,1,4,1,5,9,2,6&title=Line"
    same_bar = f"/plot/bar.png?labels={MONTHS}&values=5,7,9,12,15,18,21,20,17,12,8,6&title=Monthly"

    def line(scale):
        return "/plot/line.png?title=Line&y=" + ",".join(f"{v:.2f}" for v in rng.normal(0, 1, 50) * scale)

    def bar(scale):
        return f"/plot/bar.png?labels={MONTHS}&title=Monthly&values=" + ",".join(
            f"{v:.1f}" for v in rng.uniform(0, 1, 12) * scale)

    scales = [1, 100, 10_000]
    gallery = {f"{name} (function plot)": [f"/plot/{name}.png?seed={i}" for i in range(repeat)]
               for name in function_plot_names()}
    return {
        "/fig/5_2 (one axes, fast path)": ["/fig/5_2"] * repeat,
        "heatmap (3 axes + colorbar)": [f"/plot/heatmap.png?seed={i}" for i in range(repeat)],
        "line, same request": [same_line] * repeat,
        "line, new data, same scale": [line(20) for _ in range(repeat)],
        "line, new data, scale changes": [line(scales[i % 3]) for i in range(repeat)],
        "bar, same request": [same_bar] * repeat,
        "bar, new data, same scale": [bar(24) for _ in range(repeat)],
        "bar, new data, scale changes": [bar(scales[i % 3]) for i in range(repeat)],
        **gallery,
    }


def function_plot_names() -> list[str]:
    """The gallery's plots declared as one function (drawn in full each time), where this checkout has them."""
    try:
        from examples.gallery import FULL_DRAWS
    except ImportError:
        return []
    return [draw.__name__.replace("_", "-") for draw in FULL_DRAWS]


def plain_matplotlib_ms(registry, urls) -> float | None:
    """Median ms of plain matplotlib drawing what each URL asks for, or None where the plot cannot
    be drawn outside the service (the heat map of old checkouts)."""
    import io
    from urllib.parse import parse_qsl, urlsplit

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    try:
        from wsgi_plot.declare.looks import DEFAULT_LOOK
        from wsgi_plot.figures.theme import styled
    except ImportError:
        return None
    samples = []
    for index, url in enumerate(urls):
        parts = urlsplit(url)
        plot = registry.get(parts.path.rsplit("/", 1)[-1].removesuffix(".png"))
        query = dict(parse_qsl(parts.query))
        seed = int(query.pop("seed", index))
        if plot is None or not hasattr(plot, "parse"):
            return None
        values = plot.parse(query)
        start = time.perf_counter()
        with styled(DEFAULT_LOOK):
            figure = Figure(figsize=(4, 3), dpi=300, layout="constrained")  # the service's default size
            rng = np.random.default_rng(seed)
            if plot.draw is not None:
                plot.draw(figure, values, rng)
            else:
                plot.update(plot.init(figure, plot.static_values(values)), values, rng)
            FigureCanvasAgg(figure).print_png(io.BytesIO())
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def run(repeat) -> dict:
    """Median ms per request of each scenario, on this checkout."""
    from werkzeug.test import Client

    from wsgi_plot import create_app, default_registry
    from wsgi_plot.declare.settings import Settings

    registry = default_registry()
    registry.add(heatmap_plot())
    names = function_plot_names()
    if names:
        from examples.gallery import PLOTS

        for plot in PLOTS:
            if plot.name in names:
                registry.add(plot)
    # Renders are measured, not the response cache (issue 24) that answers a repeated request.
    no_cache: dict[str, Any] = {"response_cache_bytes": 0} if hasattr(Settings(), "response_cache_bytes") else {}
    client = Client(create_app(registry=registry, pool_size=4, **no_cache))
    results = {}
    for name, urls in scenarios(repeat, np.random.default_rng(0)).items():
        for url in urls[:3]:  # build the figures, warm the caches
            assert client.get(url).status_code == 200, url
        samples = []
        for url in urls:
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, (url, response.data[:200])
        results[name] = statistics.median(samples)
        if not name.startswith(("/fig/", "heatmap")) and "same request" not in name:
            plain = plain_matplotlib_ms(registry, urls)
            if plain is not None:
                results[f"{name} [plain matplotlib]"] = plain
    return results


def run_at(revision, repeat) -> dict:
    """``run`` on a temporary worktree of ``revision``, in a subprocess that imports it."""
    with tempfile.TemporaryDirectory() as tmp:
        worktree = Path(tmp) / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(worktree), revision], check=True)
        try:
            env = {**os.environ, "PYTHONPATH": str(worktree), "BENCH_FIGURES_ROOT": str(worktree)}
            out = subprocess.run([sys.executable, __file__, "--repeat", str(repeat), "--json"], env=env, cwd=worktree,
                                 capture_output=True, text=True)
            if out.returncode:
                raise RuntimeError(f"the run at {revision} failed:\n{out.stderr}")
            return json.loads(out.stdout)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(worktree)], check=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--before", help="a git revision to measure side by side (before this change)")
    parser.add_argument("--json", action="store_true", help="print this checkout's figures as JSON")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    if args.json:
        print(json.dumps(run(args.repeat)))
        return
    before = run_at(args.before, args.repeat) if args.before else None
    after = run(args.repeat)
    base = "/fig/5_2 (one axes, fast path)"
    columns = ["before ms", "before / 5_2"] if before else []
    print(f"median ms per request, 1200x900 PNG, median of {args.repeat}" + (f"; before = {args.before}" if before else ""))
    print(f"{'scenario':44}" + "".join(f"{c:>14}" for c in columns) + f"{'ms':>10}{'/ 5_2':>9}{'/ plain':>9}")
    for name, ms in after.items():
        if name.endswith(" [plain matplotlib]"):
            continue
        row = f"{name:44}"
        if before:
            row += (f"{before[name]:14.1f}{before[name] / before[base]:13.1f}x" if name in before else " " * 28)
        plain = after.get(f"{name} [plain matplotlib]")
        print(row + f"{ms:10.1f}{ms / after[base]:8.1f}x" + (f"{ms / plain:8.2f}x" if plain else ""))


if __name__ == "__main__":
    main()
