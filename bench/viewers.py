"""Many viewers of one chart, through the documented front, with the caches off and on, side by side.

    .venv/bin/python bench/viewers.py [--rounds 2] [--duration 10] [--viewers 50] [--first-viewer] [--out viewers.json]

Starts the documented front as deploy/nginx.conf describes it: two gunicorns of 2 sync workers
(gunicorn.conf.py, probe ports) serving the sensors example (the built-in plots plus ``readings``)
while its writer appends a reading per sensor every second, and nginx with deploy/nginx.conf (the
test ports swapped in, as the tests do). Each round runs both setups, one after the other on a
fresh stack (cold caches), in alternating order (off on, on off, ...) so that a noisy machine
hits both alike:

* off: the config without its image cache (no key subrequest, ``proxy_cache off``) and the app's
  response cache off (WSGI_PLOT_RESPONSE_CACHE_BYTES=0): every request is a render;
* on: as shipped.

Two loads per setup, each ``hey -z DURATION -c C -q Q`` (Q requests a second per connection):

* chart: 200 requests a second of one line chart (the issue's URL): 20 connections x 10;
* readings: VIEWERS live pages of the readings plot at its default size, each asking once a second
  (the page's own tick), with the same cache buster (hey sends one URL).

For each: requests answered, by status, p50/p99 latency, and the renders the instances counted
(wsgi_plot_render_seconds_count from each gunicorn's /metrics, summed), per second. Caches start
cold: every load begins with a burst for an image not drawn yet, unless ``--first-viewer`` asks
for it once first. The target
(issue 24): the chart at 200 req/s for 10 s, all 200, p99 under 200 ms, at most 25 renders.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from examples.sensors import db  # noqa: E402
from tests import servers  # noqa: E402
from tests.test_nginx import config_for  # noqa: E402

CHART = "/plot/line.png?y=3,1,4,1,5,9,2,6&title=Shared&dpi=100"
READINGS = "/plot/readings.png?_=viewer"


def without_cache(config: str) -> str:
    """deploy/nginx.conf as it was before it kept images: no key subrequest, no proxy_cache."""
    config, asks = re.subn(r"^ *auth_request /.*;\n", "", config, flags=re.M)
    config, keys = re.subn(r"auth_request_set (\$\w+) .*;", r'set \1 "";', config)  # no key: passed on
    config, caches = re.subn(r"proxy_cache wsgi_plot_images;", "proxy_cache off;", config)
    assert asks == keys == caches == 1, "deploy/nginx.conf changed shape: update without_cache"
    return config


def hey(url, duration, connections, rate):
    cmd = ["hey", "-z", f"{duration}s", "-c", str(connections), "-q", str(rate), "-t", "30", url]
    output = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    codes = {int(code): int(count) for code, count in re.findall(r"\[(\d+)\]\s+(\d+) responses", output)}
    latency = {pct: float(value) * 1000 for pct, value in re.findall(r"(\d+)%+ in ([\d.]+) secs", output)}
    errors = re.search(r"Error distribution:(.*)", output, re.S)
    return {"requests": sum(codes.values()), "by_status": codes,
            "p50_ms": latency.get("50"), "p99_ms": latency.get("99"),
            "errors": errors.group(1).strip() if errors else ""}


def renders(probe_ports) -> float:
    total = 0.0
    for port in probe_ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as response:
            text = response.read().decode()
        total += sum(float(line.split()[-1]) for line in text.splitlines()
                     if line.startswith("wsgi_plot_render_seconds_count{"))
    return total


def one_setup(cache: bool, db_path, args) -> dict:
    with ExitStack() as stack:
        prefix = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wsgi_plot-viewers-")))
        prefix.chmod(0o755)  # nginx's workers run as another user
        backends, probes = [servers.free_port(), servers.free_port()], [servers.free_port(), servers.free_port()]
        env = {"SENSORS_DB": str(db_path), "WSGI_PLOT_RESPONSE_CACHE_BYTES": None if cache else "0",
               "LOG_LEVEL": "warning"}
        for backend, probe in zip(backends, probes):
            stack.enter_context(servers.gunicorn(port=backend, workers=2, probe_port=probe, app="examples.sensors:app",
                                                 env=env, log_path=prefix / f"gunicorn-{backend}.log",
                                                 extra=("--access-logfile", "/dev/null")))
        listen = servers.free_port()
        config = config_for(listen, backends, probe_ports=probes)
        stack.enter_context(servers.nginx(args.nginx, config if cache else without_cache(config), prefix, listen))
        base = f"http://127.0.0.1:{listen}"
        result = {}
        for name, path, connections, rate in (("chart", CHART, 20, 10), ("readings", READINGS, args.viewers, 1)):
            before = renders(probes)
            if args.first_viewer:  # one viewer has loaded it before the rest arrive (counted in renders)
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    response.read()
            started = time.monotonic()
            load = hey(base + path, args.duration, connections, rate)
            seconds = time.monotonic() - started
            load["renders"] = renders(probes) - before
            load["renders_per_s"] = load["renders"] / seconds
            result[name] = load
            time.sleep(1)
        return result


def run(args):
    folder = Path(tempfile.mkdtemp(prefix="wsgi_plot-viewers-db-"))
    folder.chmod(0o755)
    path = folder / "sensors.db"
    db.create(path, sensors=3, days=30, seed=0)
    writer = subprocess.Popen([sys.executable, "-m", "examples.sensors", "append", "--db", str(path),
                               "--interval", "1"], cwd=ROOT, stdout=subprocess.DEVNULL)
    results = {"machine": f"{platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}",
               "loads": {"chart": f"hey -z {args.duration}s -c 20 -q 10 {CHART}",
                         "readings": f"hey -z {args.duration}s -c {args.viewers} -q 1 {READINGS}"},
               "first_viewer": args.first_viewer, "rounds": []}
    try:
        for number in range(args.rounds):
            order = (False, True) if number % 2 == 0 else (True, False)
            round_ = {}
            for cache in order:
                round_["on" if cache else "off"] = one_setup(cache, path, args)
                print(json.dumps({"round": number, "cache": "on" if cache else "off",
                                  **round_["on" if cache else "off"]}), flush=True)
            results["rounds"].append(round_)
    finally:
        writer.terminate()
        writer.wait(30)
    print(table(results))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


def table(results) -> str:
    lines = ["| load | cache | round | answered | non-200 | errors | p50 ms | p99 ms | renders | renders/s |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for number, round_ in enumerate(results["rounds"]):
        for load in ("chart", "readings"):
            for cache in ("off", "on"):
                r = round_[cache][load]
                non_200 = r["requests"] - r["by_status"].get(200, 0)
                errors = len(r["errors"].splitlines()) if r["errors"] else 0
                lines.append(f"| {load} | {cache} | {number} | {r['requests']} | {non_200} | {errors} | "
                             f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['renders']:.0f} | {r['renders_per_s']:.1f} |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds per load")
    parser.add_argument("--viewers", type=int, default=50, help="live readings pages, one request a second each")
    parser.add_argument("--first-viewer", action="store_true",
                        help="one request for each URL before its load: the burst then finds it drawn")
    parser.add_argument("--nginx", default="/usr/sbin/nginx")
    parser.add_argument("--out", help="write the results here as JSON")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
