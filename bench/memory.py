"""A worker's memory under a hostile burst, in one process: for comparing allocator settings.

    .venv/bin/python bench/memory.py                                  # glibc's defaults
    .venv/bin/python bench/memory.py --mmap-threshold 8388608 --trim-threshold 33554432

Builds the app as a worker does (warm), sends 40 images at distinct sizes near the pixel budget
in PNG, SVG and PDF (or the formats given), then 200 /fig/5_2, through werkzeug's test client, and
prints RSS (MiB) at each stage, the peak (VmHWM), and the CPU milliseconds per /fig/5_2. Thresholds
are set with mallopt before anything is drawn, as gunicorn.conf.py and uwsgi.ini do in each worker.
tests/test_memory.py checks the same burst against real gunicorn.
"""

import argparse
import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wsgi_plot.serve.memory import M_MMAP_THRESHOLD, M_TRIM_THRESHOLD  # noqa: E402


def status_mib(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    raise KeyError(key)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mmap-threshold", type=int, help="bytes; glibc's dynamic threshold when not given")
    parser.add_argument("--trim-threshold", type=int, help="bytes; glibc's dynamic threshold when not given")
    parser.add_argument("--formats", default="png,svg,pdf")
    parser.add_argument("--ordinary", type=int, default=200, help="/fig/5_2 requests after the burst")
    args = parser.parse_args()

    import ctypes

    libc = ctypes.CDLL(None)
    if args.mmap_threshold is not None:
        libc.mallopt(M_MMAP_THRESHOLD, args.mmap_threshold)
    if args.trim_threshold is not None:
        libc.mallopt(M_TRIM_THRESHOLD, args.trim_threshold)

    from werkzeug.test import Client

    from wsgi_plot import create_app, warm

    app = create_app()
    warm(app)
    client = Client(app)
    report = {"mmap_threshold": args.mmap_threshold, "trim_threshold": args.trim_threshold,
              "rss_mib": {"warm": status_mib("VmRSS")}}
    suffixes = ["" if fmt == "png" else f".{fmt}" for fmt in args.formats.split(",")]
    for i in range(40):
        response = client.get(f"/fig/5_2{suffixes[i % len(suffixes)]}?size={10.4 - 0.01 * i:.2f}x8.5")
        assert response.status_code == 200, response.status
    report["rss_mib"]["after_burst"] = status_mib("VmRSS")
    started = cpu_seconds()
    for _ in range(args.ordinary):
        assert client.get("/fig/5_2").status_code == 200
    report["cpu_ms_per_fig_5_2"] = round((cpu_seconds() - started) / max(args.ordinary, 1) * 1000, 2)
    report["rss_mib"]["after_ordinary"] = status_mib("VmRSS")
    report["peak_mib"] = status_mib("VmHWM")
    report["pool_mib"] = round(app.pool.nbytes / 2**20, 1)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
