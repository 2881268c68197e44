"""Soak test: a fixed number of mixed requests against gunicorn on loopback; errors, 5xx and RSS.

    .venv/bin/python bench/soak.py                    # 50,000 requests, 2 workers, 4 client threads
    .venv/bin/python bench/soak.py --requests 2000    # a quick run

It starts gunicorn with the project's gunicorn.conf.py on a free 127.0.0.1 port, with worker
recycling off (MAX_REQUESTS=0) so that a leak shows as growing RSS instead of being recycled
away, sends good and bad requests of every kind (all formats, pages, probes, metrics, 4xx), checks
each status against the one expected, and prints a JSON report: requests, connection errors, 5xx,
unexpected statuses, latency percentiles and each worker's RSS at boot, after warm-up and at the
end. Bounded in count and time; it stops gunicorn itself. The client is Python (http.client),
since wrk and hey cannot check per-request expectations of a mix like this.
"""

import argparse
import collections
import http.client
import itertools
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from workers import rss_mib, worker_pids  # noqa: E402

from tests.servers import free_port  # noqa: E402

#: Static parameters (mean, var) of the few "churn" requests: each new combination is a new pool
#: key, so these make workers build figures and evict others, as unseen URLs do.
MEANS = ["0", "-1.5", "100", "1e3"]
VARS = ["1", "0.5", "10"]

#: (weight, method, URL template, expected status). {m} {v} {seed} are filled per request. Most
#: images share a few pool keys, as a real server's hot URLs do.
MIX = [
    # images, every plot and format
    (6, "GET", "/fig/5_2?seed={seed}", 200),  # the recipe's 1200x900 PNG
    (3, "GET", "/fig/5_2.svg?dpi=72&seed={seed}", 200),
    (2, "GET", "/fig/5_2.pdf?dpi=72&seed={seed}", 200),
    (2, "GET", "/plot/normal.png?mean=1&var=3&n=500&dpi=100&size=5x4", 200),
    (3, "GET", "/plot/histogram.png?bins=40&dpi=100", 200),
    (1, "GET", "/plot/histogram.svg?n=5000&dpi=72", 200),
    (2, "GET", "/plot/random-walk.png?steps=300&dpi=100&seed={seed}", 200),
    (1, "GET", "/plot/random-walk.pdf?steps=200&dpi=72", 200),
    (1, "HEAD", "/fig/5_2?dpi=100", 200),
    (1, "GET", "/fig/{m}_{v}?dpi=100", 200),  # churn
    (1, "GET", "/plot/histogram.png?mean={m}&var={v}&dpi=80", 200),  # churn
    # pages, probes, metadata
    (3, "GET", "/normal/{m}_{v}", 200),
    (2, "GET", "/plot/histogram?bins=20", 200),
    (1, "GET", "/", 200),
    (1, "GET", "/plots/", 200),
    (1, "GET", "/healthz", 200),
    (1, "GET", "/readyz", 200),
    (1, "GET", "/metrics", 200),
    (1, "GET", "/openapi.json", 200),
    # bad requests
    (2, "GET", "/fig/{m}_0", 400),
    (1, "GET", "/fig/abc_{v}", 400),
    (1, "GET", "/fig/5_2.bmp", 400),
    (1, "GET", "/fig/5_2?n=0", 400),
    (1, "GET", "/fig/5_2?bogus=1", 400),
    (1, "GET", "/plot/histogram.png?n=99999999", 400),
    (1, "GET", "/fig/5_2?size=40x40&dpi=600", 413),
    (1, "GET", "/nope/{seed}", 404),
    (1, "GET", "/plot/nope.png", 404),
    (1, "POST", "/fig/5_2", 405),
]


def rss_of_workers(master: int) -> dict:
    return {pid: rss_mib(pid) for pid in worker_pids(master)}


def wait_until_up(port: int, proc, timeout: float = 60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {proc.returncode}")
        try:
            status, _, _ = request(port, "GET", "/healthz")
            if status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise TimeoutError("gunicorn did not answer")


def request(port: int, method: str, url: str, timeout: float = 30):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        started = time.perf_counter()
        connection.request(method, url)
        response = connection.getresponse()
        body = response.read()
        return response.status, len(body), time.perf_counter() - started
    finally:
        connection.close()


def plan(count: int, seed: int):
    """The requests to send, in order: ``(method, url, expected)``, reproducible from ``seed``."""
    rng = random.Random(seed)
    weights = [w for w, *_ in MIX]
    for entry in rng.choices(MIX, weights=weights, k=count):
        _, method, template, expected = entry
        url = template.format(m=rng.choice(MEANS), v=rng.choice(VARS), seed=rng.randrange(2**31))
        yield method, url, expected


def percentile(sorted_values, q):
    if not sorted_values:
        return None
    return round(sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))] * 1000, 2)


def soak(args) -> dict:
    port = free_port()
    env = {**os.environ, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": str(args.workers),
           "MAX_REQUESTS": str(args.max_requests), "LOG_LEVEL": "warning"}
    log = open(args.log, "wb") if args.log else subprocess.DEVNULL
    cmd = [str(Path(sys.executable).parent / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"),
           "--access-logfile", "/dev/null", "wsgi_plot:app"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_until_up(port, proc)
        rss = {"boot": rss_of_workers(proc.pid)}
        todo = plan(args.requests, args.seed)
        lock = threading.Lock()
        statuses: collections.Counter[int] = collections.Counter()
        unexpected: collections.Counter[str] = collections.Counter()
        errors: collections.Counter[str] = collections.Counter()
        latencies = []
        done = itertools.count(1)
        warm_at = max(1, args.requests // 50)
        deadline = time.monotonic() + args.max_seconds

        def client():
            while time.monotonic() < deadline:
                with lock:
                    item = next(todo, None)
                if item is None:
                    return
                method, url, expected = item
                try:
                    status, _, seconds = request(port, method, url)
                except OSError as exc:
                    with lock:
                        errors[type(exc).__name__] += 1
                    continue
                with lock:
                    statuses[status] += 1
                    latencies.append(seconds)
                    if status != expected:
                        unexpected[f"{method} {url.split('?')[0]} -> {status}, expected {expected}"] += 1
                    if next(done) == warm_at:
                        rss["warm"] = rss_of_workers(proc.pid)

        started = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(args.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        rss["end"] = rss_of_workers(proc.pid)
        latencies.sort()
        sent = sum(statuses.values())
        return {
            "command": " ".join([sys.argv[0], *sys.argv[1:]]),
            "workers": args.workers, "client_threads": args.concurrency, "max_requests": args.max_requests,
            "requests_planned": args.requests, "responses": sent, "connection_errors": sum(errors.values()),
            "errors_by_kind": dict(errors), "status_5xx": sum(n for s, n in statuses.items() if s >= 500),
            "unexpected_status": sum(unexpected.values()), "unexpected_by_request": dict(unexpected.most_common(20)),
            "statuses": dict(sorted(statuses.items())), "seconds": round(elapsed, 1),
            "requests_per_second": round(sent / elapsed, 1),
            "latency_ms": {"p50": percentile(latencies, 0.5), "p95": percentile(latencies, 0.95),
                           "p99": percentile(latencies, 0.99), "max": percentile(latencies, 1.0)},
            "rss_mib_per_worker": {stage: {str(pid): mib for pid, mib in by_pid.items()} for stage, by_pid in rss.items()},
            "same_workers_throughout": set(rss["boot"]) == set(rss["end"]),
        }
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if not isinstance(log, int):
            log.close()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50_000, help="requests to send (default 50000)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads (default 4)")
    parser.add_argument("--max-requests", type=int, default=0, help="gunicorn worker recycling; 0 (default) is off")
    parser.add_argument("--max-seconds", type=float, default=1800, help="stop sending after this long (default 1800)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the request plan")
    parser.add_argument("--log", help="file for gunicorn's output")
    parser.add_argument("--out", help="also write the JSON report here")
    args = parser.parse_args(argv)
    report = soak(args)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text + "\n")
    ok = report["connection_errors"] == 0 and report["status_5xx"] == 0 and report["unexpected_status"] == 0
    return 0 if ok and report["responses"] == args.requests else 1


if __name__ == "__main__":
    sys.exit(main())
