"""The live sensors plot against the recipe's plot, side by side, while the writer appends.

    .venv/bin/python bench/sensors.py [--workers 2] [--duration 10] [--rounds 3] [--out results.json]

Makes a sensors database (3 sensors, 30 days, one reading per minute), starts
the writer (one reading per sensor every second) and ``gunicorn -w 2
examples.sensors:app`` (sync workers, ``max_requests`` off, no access log),
then loads ``/plot/readings.png?every=minute`` (the last 24 hours: 1440 points,
the mean per minute computed in SQL) and ``/fig/5_2`` with the same ``wrk``
command in alternating rounds (A B A B), so that a noisy machine hits both
alike. Prints req/s and latency percentiles per route, the ratio
readings/fig (target: >= 0.5), and the rows the writer added meanwhile.
"""

import argparse
import contextlib
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from compare import parse_wrk  # noqa: E402

from examples.sensors import db  # noqa: E402
from examples.sensors.query import ReadingsStore  # noqa: E402
from tests.servers import free_port, running  # noqa: E402

READINGS = "/plot/readings.png?every=minute"
FIG = "/fig/5_2"


def wrk(url, args, duration):
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{duration}s", "--latency", url]
    return parse_wrk(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)


def count_rows(path) -> int:
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        return conn.execute("SELECT count(*) FROM readings").fetchone()[0]


def run(args):
    folder = Path(tempfile.mkdtemp(prefix="wsgi_plot-sensors-bench-"))
    path = folder / "sensors.db"
    db.create(path, sensors=3, days=30, seed=0)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--worker-class", "sync",
           "--bind", f"127.0.0.1:{port}", "--max-requests", "0", "--timeout", "120",
           "--access-logfile", "/dev/null", "--error-logfile", "-", "examples.sensors:app"]
    writer = subprocess.Popen([sys.executable, "-m", "examples.sensors", "append", "--db", str(path),
                               "--interval", "1"], cwd=ROOT, stdout=subprocess.DEVNULL)
    results = {"machine": f"{platform.node()}: {os.cpu_count()} CPUs, {platform.processor() or platform.machine()}, "
                          f"Python {platform.python_version()}",
               "command": " ".join(sys.argv), "workers": args.workers,
               "wrk": f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s --latency", "rounds": {}}
    try:
        with running(cmd, base + FIG, env={"SENSORS_DB": str(path)}, cwd=ROOT):
            store = ReadingsStore(path)
            newest = store.latest("attic")
            assert newest is not None, "the database has no readings of the attic sensor"
            points = len(store.bucket_means("attic", newest // 60 * 60 - 86340, newest // 60 * 60 + 59, "minute",
                                            10_000)[0])
            results["readings_points"] = points
            with urllib.request.urlopen(base + READINGS, timeout=60) as response:
                assert response.status == 200
            for route in (READINGS, FIG):  # warm up: every worker builds its figures
                wrk(base + route, args, args.warmup)
            rows_before = count_rows(path)
            runs: dict[str, list[dict]] = {READINGS: [], FIG: []}
            for _ in range(args.rounds):
                for route in (READINGS, FIG):
                    runs[route].append(wrk(base + route, args, args.duration))
            results["rows_appended_during_runs"] = count_rows(path) - rows_before
    finally:
        writer.terminate()
        writer.wait(timeout=30)
    for route, rounds in runs.items():
        results["rounds"][route] = rounds
    summary = {}
    for route, rounds in runs.items():
        total = sum(r["requests"] for r in rounds)
        summary[route] = {"requests_per_s": round(sum(r["requests_per_s"] for r in rounds) / len(rounds), 1),
                          "p50_ms": round(sorted(r["p50_ms"] for r in rounds)[len(rounds) // 2], 2),
                          "p99_ms": round(max(r["p99_ms"] for r in rounds), 2),
                          "requests": total, "non_2xx": sum(r["non_2xx"] for r in rounds),
                          "socket_errors": sum(r["socket_errors"] for r in rounds)}
    results["summary"] = summary
    ratio = summary[READINGS]["requests_per_s"] / summary[FIG]["requests_per_s"]
    results["readings_per_fig"] = round(ratio, 2)
    print(f"{results['machine']}\n{results['wrk']}, gunicorn -w {args.workers}, {args.rounds} rounds per route,"
          f" writer appending 3 readings/s ({results['rows_appended_during_runs']} rows during the runs)\n")
    print(f"{'route':<36}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'non-2xx':>9}")
    for route, row in summary.items():
        print(f"{route:<36}{row['requests_per_s']:>9}{row['p50_ms']:>9}{row['p99_ms']:>9}{row['requests']:>10}"
              f"{row['non_2xx'] + row['socket_errors']:>9}")
    print(f"\nreadings ({points} points) / fig req/s: {ratio:.2f} (target >= 0.5)")
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk round")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per route")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", help="write the results as JSON here")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
