"""Deploys under load through the documented front: non-200 answers per event, against no event.

    .venv/bin/python bench/deploys.py --out bench/deploys-2core.json
    .venv/bin/python bench/deploys.py --before main          # main's app and nginx.conf first

The front of docs/deploying.md, as a user runs it: deploy/nginx.conf (its ports rewritten to free
loopback ones) in front of two gunicorns of 2 sync workers with their probe addresses, each started
with the tree's own gunicorn.conf.py. For each load (20 requests a second, ``hey -q 5 -c 4``, then 200,
``hey -q 50 -c 4``: hey's ``-q`` is per client; 4 in flight at most) hey runs for ``--seconds``
on ``--image`` while, 2 s in, one event is applied (and for 3 s after it ends, if that is later):

- ``none``: nothing, the baseline;
- ``rolling restart``: SIGTERM instance A, wait for it to exit, start it again, wait for its
  /readyz (on its probe address), then the same for B (docs/deploying.md's procedure);
- ``SIGHUP each``: ``kill -HUP`` A's master (gunicorn's graceful reload), 3 s, then B's;
- ``nginx -s reload``: twice, 3 s apart;
- ``worker kill -9``: one worker of A, then 3 s later one of B.

It counts hey's answers by status and its client errors (a connection reset, a timeout) for each,
prints a table and writes the JSON report. hey and the servers share the machine's cores. Bounded
in time: each run lasts ``--seconds``, each wait for an instance at most 60 s.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from overload import export, front  # noqa: E402  # the same front, measured the same way

from tests import servers  # noqa: E402

#: The recipe's example image, 1200x900 px: tens of milliseconds of CPU.
IMAGE = "/fig/5_2"
WORKERS = 2
EVENTS = ("none", "rolling restart", "SIGHUP each", "nginx -s reload", "worker kill -9")
#: (label, hey's -q per client, hey's -c clients)
LOADS = (("20 req/s", 5, 4), ("200 req/s", 50, 4))
ERROR_LOG_KINDS = ["no live upstreams", "upstream prematurely closed", "Connection refused",
                   "Connection reset", "upstream server temporarily disabled", "upstream timed out"]


def status_of(url: str, timeout: float = 2) -> int | str:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError as error:
        return type(error).__name__


class Instance:
    """One gunicorn (its own session, so that signals reach only it) on ``port`` and ``probe``."""

    def __init__(self, name: str, tree: Path, port: int, probe: int, work: Path) -> None:
        self.name, self.tree, self.port, self.probe, self.work = name, tree, port, probe, work
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.work / f"{self.name}-{self.starts}.log", "wb")
        env = {**os.environ, "BIND": f"127.0.0.1:{self.port}", "PROBE_PORT": str(self.probe)}
        env.pop("PROBE_BIND", None)
        self.process = subprocess.Popen([str(servers.BIN / "gunicorn"), "-c", str(self.tree / "gunicorn.conf.py"),
                                         "--workers", str(WORKERS), "wsgi_plot:app"], cwd=self.tree, env=env,
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()

    def wait_ready(self, timeout: float = 60) -> float:
        """Seconds until its /readyz (probe address) answers 200."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if status_of(f"http://127.0.0.1:{self.probe}/readyz") == 200:
                return time.monotonic() - started
            time.sleep(0.05)
        raise TimeoutError(f"instance {self.name} not ready in {timeout} s")

    def stop(self, timeout: float = 60) -> float:
        """SIGTERM to the master, as a deploy sends it; seconds until it exited."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=timeout)
        return time.monotonic() - started

    def workers(self) -> list[int]:
        assert self.process is not None
        return sorted(servers.worker_pids(self.process.pid))

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait()


def hey(url: str, rate: int, clients: int) -> subprocess.Popen:
    """hey sending ``rate`` requests a second per client until interrupted (at most 10 minutes)."""
    return subprocess.Popen(["hey", "-z", "600s", "-q", str(rate), "-c", str(clients), "-t", "20", url],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)


def report_of(process: subprocess.Popen) -> dict:
    """Interrupt hey (it then stops and prints its summary): answers by status, client errors by kind."""
    process.send_signal(signal.SIGINT)
    text, _ = process.communicate(timeout=60)
    statuses = {m.group(1): int(m.group(2)) for m in re.finditer(r"\[(\d{3})\]\s+(\d+) responses", text)}
    errors: dict[str, int] = {}
    section = text.split("Error distribution:", 1)[1] if "Error distribution:" in text else ""
    for m in re.finditer(r"\[(\d+)\]\s+(.*)", section):
        kind = re.sub(r".*: ", "", m.group(2)).strip()[:60]
        errors[kind] = errors.get(kind, 0) + int(m.group(1))
    return {"statuses": statuses, "errors": errors}


def apply(event: str, instances: list[Instance], nginx_cmd: list[str], log: dict) -> None:
    if event == "rolling restart":
        for instance in instances:
            log[f"{instance.name}_exit_s"] = round(instance.stop(), 2)
            instance.start()
            log[f"{instance.name}_ready_s"] = round(instance.wait_ready(), 2)
    elif event == "SIGHUP each":
        for instance in instances:
            assert instance.process is not None
            instance.process.send_signal(signal.SIGHUP)
            time.sleep(3)
    elif event == "nginx -s reload":
        for _ in range(2):
            subprocess.run([*nginx_cmd, "-s", "reload"], check=True, capture_output=True)
            time.sleep(3)
    elif event == "worker kill -9":
        for instance in instances:
            os.kill(instance.workers()[0], signal.SIGKILL)
            time.sleep(3)


def scenario(tree: Path, nginx: str, args, work: Path) -> dict:
    listen, overflow, backends, probes, prefix, config = front(tree, work)
    instances = [Instance(name, tree, port, probe, work) for name, port, probe in zip("AB", backends, probes)]
    report: dict = {}
    try:
        for instance in instances:
            instance.start()
        for instance in instances:
            instance.wait_ready()
        with servers.nginx(nginx, config, prefix, listen):
            nginx_cmd = [nginx, "-p", f"{prefix}/", "-c", str(prefix / "nginx.conf"), "-e",
                         str(prefix / "logs" / "error.log")]
            url = f"http://127.0.0.1:{listen}{args.image}"
            warm_up = hey(url, 5, 4)  # every worker builds its figure
            time.sleep(2)
            report_of(warm_up)
            for label, rate, clients in args.loads:
                for event in args.events:
                    for instance in instances:  # every instance up and ready before each run
                        instance.wait_ready()
                    time.sleep(1)
                    error_log, access_log = prefix / "logs" / "error.log", prefix / "logs" / "access.log"
                    log_start, access_start = error_log.stat().st_size, access_log.stat().st_size
                    load = hey(url, rate, clients)
                    started = time.monotonic()
                    time.sleep(2)
                    timings: dict = {}
                    apply(event, instances, nginx_cmd, timings)
                    timings["event_s"] = round(time.monotonic() - started - 2, 2)
                    # At least --seconds, and 3 s past the event's end.
                    time.sleep(max(args.seconds - (time.monotonic() - started), 3))
                    result = report_of(load)
                    timings["load_s"] = round(time.monotonic() - started, 1)
                    with open(error_log, "rb") as f:
                        f.seek(log_start)
                        new_errors = f.read().decode(errors="replace")
                    with open(access_log, "rb") as f:
                        f.seek(access_start)
                        failed = [line for line in f.read().decode(errors="replace").splitlines()
                                  if '" 200 ' not in line and " /fig/" in line]
                    answers = sum(result["statuses"].values())
                    timings["answers_per_s"] = round(answers / timings["load_s"], 1)
                    non_200 = answers - result["statuses"].get("200", 0) + sum(result["errors"].values())
                    report.setdefault(label, {})[event] = {
                        "answers": answers, "non_200": non_200, **result, "timings": timings,
                        "nginx_error_log": {k: new_errors.count(k) for k in ERROR_LOG_KINDS if k in new_errors},
                        # Which instance answered each failed request, after which tries, how slowly.
                        "non_200_in_nginx_access_log": [line.split('" ', 1)[1] for line in failed[:10]],
                    }
                    print(f"{tree.name} {label} {event}: {report[label][event]}", file=sys.stderr)
    finally:
        for instance in instances:
            instance.kill()
    return report


def table(reports: dict) -> str:
    lines = ["| run | load | event | event took | answers (per s) | 200 | 503 | other non-200 | client errors |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for tree, report in reports.items():
        for label, events in report.items():
            for event, r in events.items():
                statuses, timings = r["statuses"], r["timings"]
                other = sum(n for s, n in statuses.items() if s not in ("200", "503"))
                lines.append(f"| {tree} | {label} | {event} | {timings['event_s']} s | {r['answers']} "
                             f"({timings.get('answers_per_s', '')}) | {statuses.get('200', 0)} | "
                             f"{statuses.get('503', 0)} | {other} | {sum(r['errors'].values())} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--before", metavar="REF", help="run REF's app and nginx.conf first (e.g. main)")
    parser.add_argument("--image", default=IMAGE)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--events", nargs="+", default=list(EVENTS), choices=EVENTS)
    parser.add_argument("--loads", nargs="+", default=[label for label, *_ in LOADS], metavar="LOAD")
    parser.add_argument("--before-only", action="store_true", help="with --before: run only REF")
    parser.add_argument("--now", metavar="REF", help="run REF's tree (exported) as 'now' instead of this checkout")
    parser.add_argument("--out", type=Path, help="write the report as JSON here too")
    parser.add_argument("--logs", type=Path, help="keep the servers' logs in this directory (made empty)")
    args = parser.parse_args()
    args.loads = [load for load in LOADS if load[0] in args.loads]
    nginx = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not nginx or not shutil.which("hey"):
        sys.exit("needs nginx and hey: apt-get install nginx hey")
    reports: dict = {}
    with tempfile.TemporaryDirectory(prefix="wsgi_plot-deploys-") as work_dir:
        work = Path(work_dir)
        if args.logs:
            shutil.rmtree(args.logs, ignore_errors=True)
            args.logs.mkdir(parents=True)
            work = args.logs.resolve()
        work.chmod(0o755)
        runs = [(f"before ({args.before})", export(args.before, work / "before"))] if args.before else []
        if not (args.before and args.before_only):
            runs.append((f"now ({args.now})" if args.now else "now", export(args.now, work / "now-tree") if args.now else ROOT))
        for name, tree in runs:
            (work / name).mkdir()
            reports[name] = scenario(tree, nginx, args, work / name)
    report = {"image": args.image, "seconds": args.seconds, "workers_per_instance": WORKERS,
              "loads": {label: f"hey -q {q} -c {c} -z {args.seconds}s" for label, q, c in args.loads}, "runs": reports}
    print(table(reports))
    if args.out:
        args.out.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
