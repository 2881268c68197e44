"""Side-by-side HTTP benchmark: wsgi_plot against a baseline WSGI app, both under gunicorn.

    .venv/bin/pip install '.[bench]'
    .venv/bin/python bench/compare.py

Both apps run under the same gunicorn command (sync workers, same count,
``max_requests`` off, no access log), are warmed up, then loaded by the same
``wrk`` command in alternating rounds (A B A B) so that a noisy machine hits
both alike. wsgi_plot runs once per ``--png-compression`` setting (default
both, ``fast`` and ``small``: A B C A B C); the SVG and PDF routes, which no
PNG setting changes, only on the first. Prints a table per app and route and the ratios
wsgi_plot/baseline, then a memory soak of wsgi_plot (fixed request count,
with ``hey``, RSS per worker before/after), and writes ``results.json`` and ``results.png``.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from workers import rss_mib, worker_pids  # noqa: E402

from tests.servers import free_port, running  # noqa: E402

# The same picture on both sides; pages and vector formats where an app has them.
SHARED_ROUTES = ["/fig/5_2", "/normal/5_2"]
OWN_ROUTES = ["/fig/5_2.svg", "/fig/5_2.pdf"]

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def to_ms(text):
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    assert match, text
    number, unit = match.groups()
    return float(number) * _UNITS[unit]


def parse_wrk(output):
    rate, count = re.search(r"Requests/sec:\s+([\d.]+)", output), re.search(r"(\d+) requests in", output)
    assert rate and count, output
    result = {"requests_per_s": float(rate.group(1)), "requests": int(count.group(1))}
    for pct in ("50", "90", "99"):
        match = re.search(rf"^\s+{pct}%\s+(\S+)", output, re.M)
        assert match, output
        result[f"p{pct}_ms"] = to_ms(match.group(1))
    match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx"] = int(match.group(1)) if match else 0
    match = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["socket_errors"] = sum(map(int, match.groups())) if match else 0
    return result


def body_bytes(url, samples=5):
    sizes = []
    for _ in range(samples):
        with urllib.request.urlopen(url, timeout=60) as response:
            sizes.append(len(response.read()))
    return sum(sizes) / len(sizes)


def wrk(url, args, duration):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s", "--latency", url]
    return parse_wrk(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def hey_count(url, args, total):
    """Exactly ``total`` requests over ``args.connections`` connections (wrk only runs for a time)."""
    cmd = ["hey", "-n", str(total), "-c", str(args.connections), url]
    output = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    codes = {int(code): int(count) for code, count in re.findall(r"\[(\d+)\]\s+(\d+) responses", output)}
    errors = re.search(r"Error distribution:(.*)", output, re.S)
    return {"requests": sum(codes.values()), "non_2xx": sum(n for code, n in codes.items() if code >= 300),
            "errors": errors.group(1).strip() if errors else ""}


class Server:
    def __init__(self, name, app, cwd, args, env=None):
        self.name, self.port = name, free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.cmd = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--worker-class", "sync",
                    "--bind", f"127.0.0.1:{self.port}", "--max-requests", "0", "--timeout", "120",
                    "--access-logfile", "/dev/null", "--error-logfile", "-", app]
        self.cwd, self.env = cwd, env or {}

    def __enter__(self):
        self._context = running(self.cmd, self.base + SHARED_ROUTES[0], env=self.env, cwd=self.cwd)
        self.proc = self._context.__enter__()
        return self

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)

    def rss(self):
        return [rss_mib(pid) for pid in worker_pids(self.proc.pid)]


def mean(values):
    return sum(values) / len(values)


def run(args):
    baseline_dir = Path(args.baseline).resolve()
    servers = [Server(f"wsgi_plot:{compression}", "wsgi_plot:app", ROOT, args,
                      env={"WSGI_PLOT_PNG_COMPRESSION": compression}) for compression in args.png_compression]
    servers.append(Server("baseline", args.baseline_app, baseline_dir, args))
    results = {"machine": f"{platform.node()}: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
                          f"Python {platform.python_version()}",
               "command": " ".join(sys.argv), "workers": args.workers,
               "wrk": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency",
               "rows": {}, "rss_mib": {}}
    with contextlib.ExitStack() as stack:
        apps = {server.name: stack.enter_context(server) for server in servers}
        ours = apps[servers[0].name]  # the SVG and PDF routes, and the memory soak

        def routes(name):
            return SHARED_ROUTES + (OWN_ROUTES if name == ours.name else [])

        for name, server in apps.items():
            results["rss_mib"][name] = {"start": server.rss()}
            for route in routes(name):
                wrk(server.base + route, args, args.warmup)
            results["rss_mib"][name]["after_warmup"] = server.rss()
        runs: dict[tuple[str, str], list[dict]] = {}
        for round_ in range(args.rounds):
            for route in SHARED_ROUTES + OWN_ROUTES:
                for name, server in apps.items():
                    if route not in routes(name):
                        continue
                    print(f"round {round_ + 1}/{args.rounds}: {name} {route}", file=sys.stderr, flush=True)
                    runs.setdefault((name, route), []).append(wrk(server.base + route, args, args.duration))
        for (name, route), measured in runs.items():
            row = {key: mean([m[key] for m in measured]) for key in measured[0]}
            row["non_2xx"] = sum(m["non_2xx"] for m in measured)
            row["socket_errors"] = sum(m["socket_errors"] for m in measured)
            row["requests"] = sum(m["requests"] for m in measured)
            row["bytes"] = body_bytes(apps[name].base + route)
            results["rows"][f"{name} {route}"] = row
        for name, server in apps.items():
            results["rss_mib"][name]["after_load"] = server.rss()
        if args.memory_requests:
            print(f"memory: {args.memory_requests} requests to {ours.name} /fig/5_2", file=sys.stderr, flush=True)
            before = ours.rss()
            soak = hey_count(ours.base + "/fig/5_2", args, args.memory_requests)
            results["memory"] = {"app": ours.name, "requests": soak["requests"], "non_2xx": soak["non_2xx"], "errors": soak["errors"],
                                 "rss_before_mib": before, "rss_after_mib": ours.rss()}
    return results


def report(results):
    lines = [f"machine: {results['machine']}", f"gunicorn: {results['workers']} sync workers each; load: {results['wrk']}",
             "", f"{'app':16} {'route':14} {'req/s':>8} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
             f"{'errors':>7} {'bytes':>8}"]
    for key, row in results["rows"].items():
        app, route = key.split(" ", 1)
        lines.append(f"{app:16} {route:14} {row['requests_per_s']:8.1f} {row['p50_ms']:8.1f} {row['p90_ms']:8.1f} "
                     f"{row['p99_ms']:8.1f} {row['non_2xx']:8d} {row['socket_errors']:7d} {row['bytes']:8.0f}")
    lines += ["", "ratios wsgi_plot / baseline:"]
    ours_names = [key.split(" ")[0] for key in results["rows"] if key.endswith(f" {SHARED_ROUTES[0]}")]
    for name in ours_names:
        if name == "baseline":
            continue
        for route in SHARED_ROUTES:
            ours, theirs = results["rows"][f"{name} {route}"], results["rows"][f"baseline {route}"]
            lines.append(f"  {name:16} {route:14} req/s x{ours['requests_per_s'] / theirs['requests_per_s']:.2f}   "
                         f"p50 x{ours['p50_ms'] / theirs['p50_ms']:.3f}   p99 x{ours['p99_ms'] / theirs['p99_ms']:.3f}   "
                         f"bytes x{ours['bytes'] / theirs['bytes']:.2f}")
    lines += ["", "RSS per worker, MiB:"]
    for name, stages in results["rss_mib"].items():
        lines.append(f"  {name:16} " + "   ".join(f"{stage} {values}" for stage, values in stages.items()))
    if "memory" in results:
        memory = results["memory"]
        growth = [round(a - b, 1) for a, b in zip(memory["rss_after_mib"], memory["rss_before_mib"])]
        lines.append(f"  {memory.get('app', 'wsgi_plot')} {memory['requests']} more requests to /fig/5_2 "
                     f"(non-2xx {memory['non_2xx']}): "
                     f"{memory['rss_before_mib']} -> {memory['rss_after_mib']}, growth {growth} MiB per worker")
    return "\n".join(lines)


def chart(results, path):
    """Requests per second and p99 latency per app and route, as a PNG (Agg, no pyplot)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    keys = list(results["rows"])
    colors = ["tab:red" if k.startswith("wsgi_plot") else "tab:grey" for k in keys]
    figure = Figure(figsize=(10, 4.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    left, right = figure.subplots(1, 2)
    for ax, field, label in ((left, "requests_per_s", "requests / s (higher is better)"),
                             (right, "p99_ms", "p99 latency, ms (lower is better)")):
        values = [results["rows"][k][field] for k in keys]
        bars = ax.barh(keys, values, color=colors)
        ax.bar_label(bars, fmt="%.0f" if field == "requests_per_s" else "%.1f", padding=3)
        ax.set_xlabel(label)
        ax.set_xscale("log")  # pages run ~20x faster than images: one linear axis hides the images
        ax.invert_yaxis()
        ax.margins(x=0.25)
    right.set_yticklabels([])
    figure.suptitle(f"wsgi_plot vs baseline, gunicorn {results['workers']} workers, {results['wrk']}")
    figure.savefig(path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=str(ROOT / "bench" / "recipe"),
                        help="directory of the baseline WSGI app")
    parser.add_argument("--baseline-app", default="hello3:app", help="module:callable in that directory")
    parser.add_argument("--workers", type=int, default=os.cpu_count())
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up load per route")
    parser.add_argument("--rounds", type=int, default=2, help="A B rounds")
    parser.add_argument("--png-compression", nargs="+", default=["fast", "small"], choices=["fast", "small"],
                        help="wsgi_plot once per setting (WSGI_PLOT_PNG_COMPRESSION), side by side")
    parser.add_argument("--memory-requests", type=int, default=20_000, help="0 skips the memory soak")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--replot", action="store_true", help="redraw the chart from OUT/results.json only")
    args = parser.parse_args(argv)

    out = Path(args.out)
    if args.replot:
        chart(json.loads((out / "results.json").read_text()), out / "results.png")
        return
    results = run(args)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    text = report(results)
    (out / "results.txt").write_text(text + "\n")
    chart(results, out / "results.png")
    print(text)
    print(f"\nwrote {out / 'results.json'}, {out / 'results.txt'}, {out / 'results.png'}")


if __name__ == "__main__":
    main()
