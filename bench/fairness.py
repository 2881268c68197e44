"""Fairness through the documented front: a normal client beside abusive ones, and a light burst.

    .venv/bin/python bench/fairness.py                 # prints and writes bench/fairness-2core.json

deploy/nginx.conf (its ports rewritten to free loopback ones) in front of two gunicorns of 2 sync
workers (WSGI_PLOT_QUEUE_TIMEOUT=1, as that file's header starts them). A normal client (address
127.0.0.2) asks for `/fig/5_2` ten times a second, each request on its own schedule, and probes
`/healthz` every 0.5 s:

1. alone;
2. beside eight heavy-POST clients on one address (127.0.0.3): 140,000 points with `marker=o`
   (~1 MB of JSON, seconds of drawing each), each asking again as soon as it has an answer;
3. beside sixteen cheap distinct-URL clients on one address (127.0.0.4): `/fig/5_2?n=RANDOM` (1 to
   100 points, the default image's cost), each asking again at once.

It reports, per phase, the normal client's answers (share of 200s, p50/p99/max seconds), the
abusers' statuses, and the slowest `/healthz`. Then `hey -c 10 -q 2 -z 15s` on `/fig/5_2` (a light
burst: 20 requests a second, 10 at once; from 127.0.0.1, an operator address the per-client limits
leave alone) and its statuses. The abusive clients run in processes of their own, on this machine
and at the same priority as the servers unless `--client-nice 19` asks (as `bench/overload.py`
does for hey): their CPU is then taken from the renders, the harder case. Bounded: each phase runs a fixed
number of seconds.
"""

import argparse
import datetime as dt
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests import servers  # noqa: E402

NORMAL_SOURCE, HEAVY_SOURCE, CHEAP_SOURCE = "127.0.0.2", "127.0.0.3", "127.0.0.4"
NORMAL_PATH = "/fig/5_2"
NORMAL_RATE = 10  # requests a second
WORKERS = 2
HEAVY_POINTS = 140_000


def request(port, source, method, path, body=None, timeout=30.0):
    """One request on a new connection from ``source``: (status or error name, seconds)."""
    started = time.monotonic()
    status: int | str
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
        headers = {"Content-Type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        status = response.status
        connection.close()
    except (OSError, http.client.HTTPException) as exc:
        status = type(exc).__name__
    return status, time.monotonic() - started


def abuse(kind, port, seconds, clients, out):
    """The abusive clients (run in a process of its own): ``clients`` threads asking again at once."""
    deadline = time.monotonic() + seconds
    statuses: dict[str, int]
    statuses, lock = {}, threading.Lock()
    body = None
    if kind == "heavy":
        rng = random.Random(0)
        body = json.dumps({"y": [round(rng.gauss(0, 1), 3) for _ in range(HEAVY_POINTS)], "marker": "o"}).encode()

    def client(index):
        rng = random.Random(index)
        while time.monotonic() < deadline:
            if kind == "heavy":
                status, _ = request(port, HEAVY_SOURCE, "POST", "/plot/line.png", body, timeout=60)
            else:
                status, _ = request(port, CHEAP_SOURCE, "GET", f"/fig/5_2?n={rng.randint(1, 100)}")
            with lock:
                statuses[str(status)] = statuses.get(str(status), 0) + 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 90)
    Path(out).write_text(json.dumps(statuses))


def start_abusers(kind, port, seconds, clients, out, nice):
    process = subprocess.Popen([sys.executable, __file__, "--abuse", kind, "--port", str(port), "--seconds",
                                str(seconds), "--clients", str(clients), "--out", str(out)], start_new_session=True)
    if nice:
        os.setpriority(os.PRIO_PROCESS, process.pid, nice)
        try:
            Path(f"/proc/{process.pid}/autogroup").write_text(str(nice))
        except OSError:
            pass  # no autogroup: the process's nice is what counts
    return process


def normal_client(port, seconds):
    """NORMAL_RATE requests a second, each started on its own schedule (a thread each), and /healthz
    every 0.5 s: (answers, probes), each (status, seconds)."""
    answers: list[tuple[int | str, float]]
    probes: list[tuple[int | str, float]]
    answers, probes, lock = [], [], threading.Lock()
    started = time.monotonic()
    threads = []

    def one(path, into):
        result = request(port, NORMAL_SOURCE, "GET", path, timeout=10)
        with lock:
            into.append(result)

    count = int(seconds * NORMAL_RATE)
    for number in range(count):
        time.sleep(max(0.0, started + number / NORMAL_RATE - time.monotonic()))
        threads.append(threading.Thread(target=one, args=(NORMAL_PATH, answers)))
        threads[-1].start()
        if number % (NORMAL_RATE // 2) == 0:
            threads.append(threading.Thread(target=one, args=("/healthz", probes)))
            threads[-1].start()
    for thread in threads:
        thread.join(30)
    return answers, probes


def summary(answers):
    times = sorted(seconds for _, seconds in answers)
    statuses: dict[str, int] = {}
    for status, _ in answers:
        statuses[str(status)] = statuses.get(str(status), 0) + 1

    def at(fraction):
        return round(times[int(fraction * (len(times) - 1))], 3) if times else None

    ok = statuses.get("200", 0)
    return {"answers": len(answers), "statuses": statuses, "share_200": round(ok / len(answers), 3) if answers else None,
            "p50_s": at(0.5), "p99_s": at(0.99), "max_s": at(1.0)}


def phase(port, seconds, kind=None, clients=0, work=None, nice=0):
    process = out = None
    if kind:
        out = Path(tempfile.mkstemp(dir=work, suffix=".json")[1])
        process = start_abusers(kind, port, seconds + 2, clients, out, nice)
        time.sleep(2)  # the abusers at full pace before the normal client starts
    answers, probes = normal_client(port, seconds)
    result = {"normal": summary(answers), "healthz": summary(probes)}
    if process is not None:
        assert out is not None  # written by the abusers' process
        process.wait(timeout=seconds + 120)
        result["abusers"] = {"kind": kind, "clients": clients, "statuses": json.loads(out.read_text())}
    return result


def hey_burst(port, seconds):
    with tempfile.TemporaryFile("w+") as out:
        subprocess.run(["hey", "-c", "10", "-q", "2", "-z", f"{seconds}s", "-o", "csv",
                        f"http://127.0.0.1:{port}{NORMAL_PATH}"], stdout=out, stderr=subprocess.DEVNULL,
                       timeout=seconds + 90, check=True)
        out.seek(0)
        rows = out.read().splitlines()[1:]
    statuses: dict[str, int] = {}
    for row in rows:
        status = row.split(",")[6]
        statuses[status] = statuses.get(status, 0) + 1
    return {"command": f"hey -c 10 -q 2 -z {seconds}s {NORMAL_PATH}", "statuses": statuses}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=20, help="each phase")
    parser.add_argument("--client-nice", type=int, default=0,
                        help="nice of the abusive clients' processes (19: a stand-in for clients on other machines)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "fairness-2core.json"))
    parser.add_argument("--abuse", choices=["heavy", "cheap"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--clients", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.abuse:
        abuse(args.abuse, args.port, args.seconds, args.clients, args.out)
        return
    ports: set[int] = set()
    while len(ports) < 6:
        ports.add(servers.free_port())
    listen, overflow, *rest = sorted(ports)
    backends, probes = rest[:2], rest[2:]
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="wsgi_plot-fairness-") as directory:
        work = Path(directory)
        work.chmod(0o755)
        env = {"WSGI_PLOT_QUEUE_TIMEOUT": "1"}
        with servers.gunicorn(port=backends[0], probe_port=probes[0], workers=WORKERS, env=env,
                              log_path=work / "a.log"), \
                servers.gunicorn(port=backends[1], probe_port=probes[1], workers=WORKERS, env=env,
                                 log_path=work / "b.log"), \
                servers.nginx("nginx", servers.config_for(listen, backends, overflow, probes), work, listen):
            for _ in range(8):  # every worker builds its figure
                request(listen, "127.0.0.1", "GET", NORMAL_PATH)
            report = {
                "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%MZ"),
                "machine": f"{os.cpu_count()} cores", "load_average_before": [round(x, 2) for x in load_before],
                "front": "deploy/nginx.conf, two gunicorns of 2 sync workers, WSGI_PLOT_QUEUE_TIMEOUT=1",
                "phase_seconds": args.seconds,
                "alone": phase(listen, args.seconds),
                "abusers_nice": args.client_nice,
                "beside_8_heavy_posts": phase(listen, args.seconds, "heavy", 8, work, args.client_nice),
                "beside_16_cheap_urls": phase(listen, args.seconds, "cheap", 16, work, args.client_nice),
                "burst": hey_burst(listen, 15),
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
            }
    text = json.dumps(report, indent=2)
    print(text)
    Path(args.out).write_text(text + "\n")


if __name__ == "__main__":
    main()
