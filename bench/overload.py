"""Overload through nginx: capacity, goodput, 503 and health latency, wasted renders; before and after.

    .venv/bin/python bench/overload.py                      # this checkout's app and deploy/nginx.conf
    .venv/bin/python bench/overload.py --before main        # main's first, then this checkout's

The scenario of issue 14, as a user runs it: deploy/nginx.conf (its ports rewritten to free
loopback ones) in front of two gunicorns of 2 sync workers, started with each tree's own
gunicorn.conf.py. First `hey -c 4` (one client per worker) measures the capacity in images per
second; then `hey -c 160 -t 75` overloads it while a Python thread probes /healthz every 0.5 s
(5 s timeout). It prints a JSON report per tree: capacity, images delivered per second during the
overload, hey's statuses and client errors, 503 and 200 latency percentiles, health probe
statuses and slowest probe, renders (the instances' /metrics) against images delivered, and
nginx's error log lines of each kind. `--before REF` runs the same with REF's app,
gunicorn.conf.py and deploy/nginx.conf (exported with `git archive`) first, side by side.

hey (`apt-get install hey`) is the client, as the README suggests for load tests: it comes back
at once after a 503 (deploy/nginx.conf paces such a connection's refusals, 4 a second), and on a
2-core machine its own CPU competes with the renders; `--client-nice 19` runs it at the lowest
priority instead, as a stand-in for a client machine. Bounded in time: each phase runs for a
fixed number of seconds.
"""

import argparse
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests import servers  # noqa: E402

#: The issue's heavy but allowed image: 2828x2828 px, 10,000 markers, ~0.55 s of CPU drawn alone, 0.8 to
#: 0.9 s each with 4 workers on 2 cores (bench/overload-2core.json).
IMAGE = "/fig/5_2?n=10000&dpi=600&size=4.714x4.714"
WORKERS = 2
ERROR_LOG_KINDS = ["no live upstreams", "upstream timed out", "upstream prematurely closed",
                   "Connection refused", "Connection reset", "upstream server temporarily disabled"]


def export(ref: str, into: Path) -> Path:
    """The tree of git ``ref`` (app, gunicorn.conf.py, deploy/nginx.conf) under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def nginx_config(text: str, listen: int, overflow: int, backends, probes) -> str:
    """deploy/nginx.conf with free ports: 8080 (front), 8081 (overflow, where present), 8001/8002
    (the instances) and 8101/8102 (their probe addresses, where present)."""
    ports = {"8080": listen, "8081": overflow, "8001": backends[0], "8002": backends[1],
             "8101": probes[0], "8102": probes[1]}
    text = re.sub(r"127\.0\.0\.1:(80[08][012]|810[12])\b", lambda m: f"127.0.0.1:{ports[m.group(1)]}", text)
    return re.sub(r"\b8081\b", str(overflow), text)


def hey(url, clients, seconds, timeout, nice=0):
    """hey's per-request CSV as (status, seconds, finished at offset seconds).

    hey runs in a session of its own: Linux's scheduler (with autogroup, the default) shares a busy
    CPU equally among sessions, each server here being one. ``nice`` applies to that session as a
    whole (/proc/PID/autogroup), so that 19 leaves hey only what the servers do not use.
    """
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(["hey", "-z", f"{seconds}s", "-c", str(clients), "-t", str(timeout), "-o", "csv",
                                    url], stdout=out, stderr=subprocess.DEVNULL, start_new_session=True)
        if nice:
            os.setpriority(os.PRIO_PROCESS, process.pid, nice)
            try:
                Path(f"/proc/{process.pid}/autogroup").write_text(str(nice))
            except OSError:
                pass  # no autogroup (a kernel without it, or turned off): the process's nice is what counts
        process.wait(timeout=seconds + timeout + 60)
        out.seek(0)
        rows = list(csv.DictReader(out))
    return [(int(r["status-code"]), float(r["response-time"]), float(r["offset"]) + float(r["response-time"]))
            for r in rows]


def probe_health(base, stop, probes):
    while not stop.is_set():
        started = time.monotonic()
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError as error:
            status = type(error).__name__
        probes.append((status, time.monotonic() - started))
        stop.wait(0.5)


def rendered(ports, timeout=30) -> float:
    """Images the instances drew so far; waits ``timeout`` for each, behind any queued renders."""
    total = 0.0
    for port in ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as response:
            text = response.read().decode()
        total += sum(float(line.split()[-1]) for line in text.splitlines()
                     if line.startswith("wsgi_plot_render_seconds_count"))
    return total


def percentile(values, fraction):
    values = sorted(values)
    return round(values[int(fraction * (len(values) - 1))] * 1000, 1) if values else None


def front(tree: Path, work: Path) -> tuple[int, int, list[int], list[int], Path, str]:
    """Free ports for the documented front of ``tree`` (the front, its backup, two instances and their
    probe addresses), an nginx prefix under ``work``, and deploy/nginx.conf rewritten to those ports."""
    ports: set[int] = set()
    while len(ports) < 6:
        ports.add(servers.free_port())
    listen, overflow, *rest = sorted(ports)
    backends, probe_ports = rest[:2], rest[2:]
    prefix = Path(tempfile.mkdtemp(prefix="wsgi_plot-nginx-", dir=work))
    prefix.chmod(0o755)
    config = nginx_config((tree / "deploy" / "nginx.conf").read_text(), listen, overflow, backends, probe_ports)
    return listen, overflow, backends, probe_ports, prefix, config


def scenario(tree: Path, nginx: str, args, work: Path) -> dict:
    listen, overflow, backends, probe_ports, prefix, config = front(tree, work)
    with servers.running([str(servers.BIN / "gunicorn"), "-c", str(tree / "gunicorn.conf.py"), "--workers",
                          str(WORKERS), "wsgi_plot:app"], f"http://127.0.0.1:{backends[0]}/",
                         env={"BIND": f"127.0.0.1:{backends[0]}", "PROBE_PORT": str(probe_ports[0])}, cwd=tree, log_path=work / "a.log"), \
            servers.running([str(servers.BIN / "gunicorn"), "-c", str(tree / "gunicorn.conf.py"), "--workers",
                             str(WORKERS), "wsgi_plot:app"], f"http://127.0.0.1:{backends[1]}/",
                            env={"BIND": f"127.0.0.1:{backends[1]}", "PROBE_PORT": str(probe_ports[1])}, cwd=tree, log_path=work / "b.log"), \
            servers.nginx(nginx, config, prefix, listen) as proxy:
        url = proxy.base_url + args.image
        hey(url, 2 * WORKERS, 2, args.timeout)  # warm-up: every worker builds its figure
        renders_before = rendered(backends)
        capacity_rows = hey(url, 2 * WORKERS, args.capacity_seconds, args.timeout)
        probes: list[tuple[int | str, float]]
        probes, stop = [], threading.Event()
        prober = threading.Thread(target=probe_health, args=(proxy.base_url, stop, probes))
        prober.start()
        time.sleep(1)
        overload_rows = hey(url, args.clients, args.overload_seconds, args.timeout, args.client_nice)
        stop.set()
        prober.join()
        # Behind main's nginx.conf the instances' listen queues are still full of requests whose
        # clients left: /metrics waits for them to drain, and so counts their renders too.
        drain_started = time.monotonic()
        renders = rendered(backends, timeout=600) - renders_before
        drain_seconds = time.monotonic() - drain_started
        error_log = (prefix / "logs" / "error.log").read_text(errors="replace")
        access_log = (prefix / "logs" / "access.log").read_text(errors="replace")
    shutil.copy(prefix / "logs" / "error.log", work / "nginx-error.log")

    def count(rows):
        found: dict[object, int] = {}
        for status, *_ in rows:
            found[status] = found.get(status, 0) + 1
        return dict(sorted(found.items(), key=lambda item: str(item[0])))

    capacity = sum(1 for s, _, f in capacity_rows if s == 200 and f <= args.capacity_seconds) / args.capacity_seconds
    goodput = sum(1 for s, _, f in overload_rows if s == 200 and f <= args.overload_seconds) / args.overload_seconds
    delivered = sum(1 for s, _, _ in capacity_rows + overload_rows if s == 200)
    nginx_statuses: dict[str, int] = {}
    for match in re.finditer(r'" (\d{3}) \d+ upstream=', access_log):
        nginx_statuses[match.group(1)] = nginx_statuses.get(match.group(1), 0) + 1
    return {
        "capacity_images_per_s": round(capacity, 2),
        "overload_images_per_s": round(goodput, 2),
        "goodput_of_capacity": round(goodput / capacity, 3) if capacity else None,
        "overload_statuses": count(overload_rows),
        "nginx_statuses_all_phases": dict(sorted(nginx_statuses.items())),
        "ms_503": {"p50": percentile([t for s, t, _ in overload_rows if s == 503], 0.5),
                   "p99": percentile([t for s, t, _ in overload_rows if s == 503], 0.99),
                   "max": percentile([t for s, t, _ in overload_rows if s == 503], 1.0)},
        "ms_200_overload": {"p50": percentile([t for s, t, _ in overload_rows if s == 200], 0.5),
                            "p99": percentile([t for s, t, _ in overload_rows if s == 200], 0.99)},
        "healthz": {"probes": len(probes), "statuses": count(probes),
                    "slowest_ms": percentile([t for _, t in probes], 1.0),
                    "over_5s_or_failed": sum(1 for s, t in probes if s != 200 or t > 5)},
        "seconds_to_drain_after_overload": round(drain_seconds, 1),
        "renders": renders, "images_delivered": delivered,
        "wasted_renders": renders - delivered,
        "nginx_error_log": {kind: error_log.count(kind) for kind in ERROR_LOG_KINDS},
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", metavar="REF", help="run REF's app and nginx.conf first (e.g. main)")
    parser.add_argument("--image", default=IMAGE)
    parser.add_argument("--clients", type=int, default=160)
    parser.add_argument("--capacity-seconds", type=int, default=15)
    parser.add_argument("--overload-seconds", type=int, default=30)
    parser.add_argument("--timeout", type=int, default=75, help="hey's client timeout, seconds")
    parser.add_argument("--client-nice", type=int, default=0, metavar="N",
                        help="run the overload's hey at this nice level (19: as if from another machine, "
                             "its CPU no longer taken from the renders)")
    parser.add_argument("--out", type=Path, help="write the report as JSON here too")
    args = parser.parse_args()
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not nginx or not shutil.which("hey"):
        sys.exit("needs nginx and hey: apt-get install nginx hey")
    report = {"image": args.image, "clients": args.clients, "capacity_seconds": args.capacity_seconds,
              "overload_seconds": args.overload_seconds, "hey_timeout_s": args.timeout,
              "client_nice": args.client_nice}
    with tempfile.TemporaryDirectory(prefix="wsgi_plot-overload-") as work_dir:
        work = Path(work_dir)
        runs = ([(f"before ({args.before})", export(args.before, work / "before"))] if args.before else [])
        runs.append(("after (this checkout)", ROOT))
        for name, tree in runs:
            (work / name).mkdir()
            print(f"running {name} ...", file=sys.stderr)
            report[name] = scenario(tree, nginx, args, work / name)
            print(json.dumps({name: report[name]}, indent=1), file=sys.stderr)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
