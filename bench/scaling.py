"""Throughput as gunicorn workers grow: wsgi_plot and the baseline, same load, one run.

    .venv/bin/python bench/scaling.py --workers 1 2 4 8 16

For each worker count both apps run under the same gunicorn command and the
same wrk load (connections = 2 x workers, so every worker has a request
queued), one after the other. Meant for a machine with many cores; on the
2-core development machine anything past 2 workers only measures contention.
Writes ``scaling.json`` and ``scaling.png`` to ``--out``.
"""

import argparse
import json
import os
import platform
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import ROOT, Server, body_bytes, wrk  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=str(ROOT / "bench" / "recipe"))
    parser.add_argument("--baseline-app", default="hello3:app")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4, 8, 16])
    parser.add_argument("--threads", type=int, default=4, help="wrk threads")
    parser.add_argument("--duration", type=int, default=10, help="seconds per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up load")
    parser.add_argument("--route", default="/fig/5_2")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args(argv)

    rows = []
    for workers in args.workers:
        for name, app, cwd in (("wsgi_plot", "wsgi_plot:app", ROOT),
                               ("baseline", args.baseline_app, Path(args.baseline).resolve())):
            load = argparse.Namespace(workers=workers, threads=min(args.threads, 2 * workers),
                                      connections=2 * workers)
            with Server(name, app, cwd, load) as server:
                url = server.base + args.route
                wrk(url, load, args.warmup)
                result = wrk(url, load, args.duration)
                result.update(app=name, workers=workers, bytes=body_bytes(url, 2))
                rows.append(result)
                print(f"{name:10} workers {workers:3d}: {result['requests_per_s']:8.1f} req/s  "
                      f"p50 {result['p50_ms']:7.1f} ms  p99 {result['p99_ms']:7.1f} ms  "
                      f"non-2xx {result['non_2xx']}  errors {result['socket_errors']}", flush=True)

    machine = f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}"
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "scaling.json").write_text(json.dumps({"machine": machine, "route": args.route, "rows": rows}, indent=2))
    chart(rows, machine, args.route, out / "scaling.png")
    print(f"\n{machine}\nwrote {out / 'scaling.json'} and {out / 'scaling.png'}")


def chart(rows, machine, route, path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    for name, color in (("wsgi_plot", "tab:red"), ("baseline", "tab:grey")):
        mine = [r for r in rows if r["app"] == name]
        ax.plot([r["workers"] for r in mine], [r["requests_per_s"] for r in mine], "o-", color=color, label=name)
        for r in mine:
            ax.annotate(f"{r['requests_per_s']:.0f}", (r["workers"], r["requests_per_s"]),
                        textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sorted({r["workers"] for r in rows}), [str(w) for w in sorted({r["workers"] for r in rows})])
    ax.set_xlabel("gunicorn sync workers")
    ax.set_ylabel(f"requests / s, GET {route}")
    ax.set_title(machine, fontsize=9)
    ax.legend()
    ax.grid(alpha=0.3)
    figure.savefig(path)


if __name__ == "__main__":
    main()
