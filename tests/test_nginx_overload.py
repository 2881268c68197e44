"""Overload through deploy/nginx.conf: it sheds, it does not fall over.

Two real gunicorns of 2 sync workers behind real nginx. The test measures the capacity (images
per second from as many clients as workers), overloads it with many more clients while probing
/healthz, measures the capacity again (the machine is shared: the two measurements bracket the
overload), and checks what users are promised: every answer 200 or 503, the 503s fast (and paced
for a client that asks again at once, as these do, like hey and wrk), the images delivered at
close to full capacity, the health probe always green and answered by the instances' probe
addresses, no instance taken out, and almost no render for a client that did not get it. Then
several hundred slow clients.
"""

import http.client
import re
import shutil
import socket
import statistics
import threading
import time

import pytest

from . import servers
from .metrics_text import samples
from .servers import config_for

pytestmark = [pytest.mark.server, pytest.mark.exclusive]

#: 800x600 px with 10,000 markers: ~0.08 s of CPU on the development VM, so that a few seconds
#: give enough images to count, and a 503 (a millisecond) is clearly told from a render.
IMAGE = "/fig/5_2?n=10000&dpi=200"
WORKERS = 2  # per instance; deploy/nginx.conf's max_conns=6 assumes 2
CAPACITY_CLIENTS = 2 * WORKERS  # one per worker: busy, never refused
CAPACITY_SECONDS = 4.0  # each of the two capacity runs
OVERLOAD_CLIENTS = 64
OVERLOAD_SECONDS = 10.0
#: deploy/nginx.conf paces the refusals of a connection that comes straight back after one: at
#: most 4 a second (limit_req_zone wsgi_plot_refusals).
REFUSALS_PER_SECOND = 4
PROBE_EVERY = 0.5
PROBE_TIMEOUT = 5.0
CLIENT_TIMEOUT = 30.0


class Client:
    """One keep-alive HTTP client on loopback; each request gives (status, seconds, finished at)."""

    def __init__(self, port, source="127.0.0.1", timeout=CLIENT_TIMEOUT):
        self.port, self.source, self.timeout = port, source, timeout
        self.connection = None

    def get(self, path):
        started = time.monotonic()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout,
                                                             source_address=(self.source, 0))
            self.connection.request("GET", path)
            response = self.connection.getresponse()
            body = response.read()
            status = response.status
            if response.will_close:
                self.close()
            if status == 200 and path.startswith("/fig/") and not body.startswith(b"\x89PNG"):
                status = "not a PNG"
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            status = type(exc).__name__
        finished = time.monotonic()
        return status, finished - started, finished

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def load(port, clients, seconds):
    """``clients`` threads requesting IMAGE for ``seconds``, each asking again as soon as it has an
    answer, as hey and wrk do; every answer as (status, seconds, finished, client, after a refusal)."""
    results, lock = [], threading.Lock()
    deadline = time.monotonic() + seconds

    def client(index):
        connection = Client(port)
        after_refusal = False
        while time.monotonic() < deadline:
            reused = connection.connection is not None
            status, seconds, finished = connection.get(IMAGE)
            with lock:
                results.append((status, seconds, finished, index, after_refusal and reused))
            after_refusal = status == 503
        connection.close()

    threads = [threading.Thread(target=client, args=(index,)) for index in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + CLIENT_TIMEOUT + 10)
    return results, started, started + seconds


def delivered_per_second(results, started, ended):
    """Images received within the window, per second of it."""
    return sum(1 for status, _, finished, *_ in results if status == 200 and started <= finished <= ended) / (ended - started)


def rendered(instances) -> float:
    """Images the instances drew so far (their /metrics, asked directly)."""
    total = 0.0
    for instance in instances:
        connection = http.client.HTTPConnection("127.0.0.1", instance.port, timeout=30)
        connection.request("GET", "/metrics")
        text = connection.getresponse().read().decode()
        connection.close()
        total += sum(v for (name, _), v in samples(text).items() if name == "wsgi_plot_render_seconds_count")
    return total


@pytest.fixture
def cluster(nginx_executable, nginx_prefix, tmp_path):
    """nginx from deploy/nginx.conf in front of two gunicorns, each with its probe address as there;
    yields (nginx's port, instances, prefix)."""
    ports: set[int] = set()
    while len(ports) < 6:
        ports.add(servers.free_port())
    listen, overflow, *backends = sorted(ports)
    backends, probes = backends[:2], backends[2:]
    with servers.gunicorn(port=backends[0], probe_port=probes[0], workers=WORKERS, log_path=tmp_path / "a.log") as a, \
            servers.gunicorn(port=backends[1], probe_port=probes[1], workers=WORKERS, log_path=tmp_path / "b.log") as b, \
            servers.nginx(nginx_executable, config_for(listen, backends, overflow, probes), nginx_prefix, listen):
        (a.port, b.port), (a.probe_port, b.probe_port) = backends, probes
        try:
            yield listen, (a, b), nginx_prefix
        finally:
            for log in ("access.log", "error.log"):  # kept with the test's other logs for a post-mortem
                shutil.copy(nginx_prefix / "logs" / log, tmp_path / f"nginx-{log}")


def test_overload_is_shed_with_fast_503s_at_full_capacity(cluster):
    port, instances, prefix = cluster
    probe_ports = [instance.probe_port for instance in instances]
    load(port, CAPACITY_CLIENTS, 1.0)  # each worker builds its pooled figure before anything is timed
    renders_before = rendered(instances)

    probes, probing = [], threading.Event()

    def probe():
        client = Client(port, timeout=PROBE_TIMEOUT)
        while not probing.is_set():
            probes.append(client.get("/healthz"))
            probing.wait(PROBE_EVERY)
        client.close()

    prober = threading.Thread(target=probe)
    prober.start()
    try:
        first = load(port, CAPACITY_CLIENTS, CAPACITY_SECONDS)
        overload = load(port, OVERLOAD_CLIENTS, OVERLOAD_SECONDS)
        second = load(port, CAPACITY_CLIENTS, CAPACITY_SECONDS)
    finally:
        probing.set()
        prober.join(PROBE_TIMEOUT + 5)
    renders = rendered(instances) - renders_before
    error_log = servers.wait_for_text(prefix / "logs" / "error.log", "no live upstreams", timeout=0.5)
    probed = re.findall(r'"GET /healthz HTTP/1\.1" \d+ \d+ upstream=127\.0\.0\.1:(\d+)',
                        (prefix / "logs" / "access.log").read_text())

    capacity = (delivered_per_second(*first) + delivered_per_second(*second)) / 2
    goodput = delivered_per_second(*overload)
    everything = first[0] + overload[0] + second[0]
    statuses: dict[int, int] = {}
    for status, *_ in everything:
        statuses[status] = statuses.get(status, 0) + 1
    refusals = [answer for answer in overload[0] if answer[0] == 503]
    # Refusals at once (a connection's first, or its first after an image) and paced ones (the
    # connection asked again straight after a refusal).
    prompt = sorted(seconds for _, seconds, _, _, paced in refusals if not paced)
    paced = sorted(seconds for _, seconds, _, _, paced in refusals if paced)
    paced_per_client = [sum(1 for *_, client, was_paced in refusals if client == index and was_paced)
                        for index in range(OVERLOAD_CLIENTS)]
    drawn = sorted(seconds for status, seconds, *_ in overload[0] if status == 200)
    received = statuses.get(200, 0)
    probe_seconds = [seconds for _, seconds, _ in probes]

    def ms(values, fraction):
        return values[int(fraction * (len(values) - 1))] * 1000 if values else float("nan")

    print(f"\noverload: capacity {delivered_per_second(*first):.1f} and {delivered_per_second(*second):.1f} images/s "
          f"with {CAPACITY_CLIENTS} clients; with {OVERLOAD_CLIENTS} clients {goodput:.1f} images/s "
          f"({goodput / capacity:.0%} of capacity); statuses {statuses}; 503 at once {len(prompt)}, in median "
          f"{ms(prompt, 0.5):.1f} ms, p95 {ms(prompt, 0.95):.1f} ms; paced {len(paced)}, in median "
          f"{ms(paced, 0.5):.0f} ms, p95 {ms(paced, 0.95):.0f} ms, at most {max(paced_per_client)} for a client; "
          f"200 in median {statistics.median(drawn) * 1000:.0f} ms; /healthz {len(probes)} probes, "
          f"statuses {sorted({p[0] for p in probes}, key=str)}, slowest {max(probe_seconds) * 1000:.0f} ms; "
          f"rendered {renders:.0f}, received {received}")

    assert set(statuses) <= {200, 503}, statuses
    assert paced, "the overload was not one"
    assert all(status == 503 for status, *_ in first[0] + second[0] if status != 200) and \
        statuses.get(503) == len(refusals), "only the overload may be refused"
    assert probes and all(status == 200 for status, _, _ in probes), probes
    # by the instances' probe addresses, where a probe does not wait behind the admitted renders
    assert len(probed) == len(probes) and {int(port) for port in probed} <= set(probe_ports), probed
    assert goodput >= 0.8 * capacity
    # Fast: a refusal at once is a small fraction of what a render takes, measured side by side;
    # a paced one waits about 1/REFUSALS_PER_SECOND, well under a second.
    assert ms(prompt, 0.95) / 1000 < min(0.5, statistics.median(drawn) / 4)
    assert ms(paced, 0.95) / 1000 < 2 / REFUSALS_PER_SECOND
    # Paced: a client that asks again at once gets at most REFUSALS_PER_SECOND refusals a second.
    assert max(paced_per_client) <= REFUSALS_PER_SECOND * (OVERLOAD_SECONDS + 1)
    # not a line: no "no live upstreams", no "upstream timed out", no pacing noise
    assert error_log == "", error_log[:2000]
    assert renders - received < 0.05 * renders, "renders for clients that did not receive them"


SLOW_CLIENTS = 300
SLOW_SECONDS = 8.0  # below nginx's client_header_timeout (10 s), so that all of them are held throughout
#: A complete request that a slow client never finishes sending: one byte a second.
SLOW_REQUEST = b"GET /normal/5_2 HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow\r\n\r\n"
NORMAL = ["/normal/5_2", "/fig/5_2?dpi=100", "/healthz"]


class SlowClients:
    """``count`` connections that send SLOW_REQUEST one byte a second; held until closed."""

    def __init__(self, port, count):
        self.sockets = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(count)]
        self.sent = 0
        self.dropped = 0  # connections the server closed

    def send_next_byte(self):
        for sock in self.sockets:
            try:
                sock.sendall(SLOW_REQUEST[self.sent:self.sent + 1])
            except OSError:
                self.dropped += 1
        self.sent += 1

    def close(self):
        for sock in self.sockets:
            sock.close()


def test_slow_clients_hold_gunicorn_workers_when_it_faces_them(tmp_path):
    """What the nginx test below guards against, shown directly: two slow clients take both workers."""
    with servers.gunicorn(workers=2, log_path=tmp_path / "gunicorn.log") as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        assert Client(port, timeout=5).get("/healthz")[0] == 200
        slow = SlowClients(port, 2)
        try:
            for _ in range(2):
                slow.send_next_byte()
                time.sleep(0.5)
            status, _, _ = Client(port, timeout=3).get("/healthz")
        finally:
            slow.close()
    assert status in ("TimeoutError", "timeout"), status


def test_normal_requests_keep_answering_while_hundreds_of_clients_send_slowly(cluster):
    port, _, prefix = cluster
    slow = SlowClients(port, SLOW_CLIENTS)
    answers, lock = [], threading.Lock()
    started = time.monotonic()
    deadline = started + SLOW_SECONDS

    def normal_client(offset):
        client = Client(port, timeout=PROBE_TIMEOUT)
        index = offset
        while time.monotonic() < deadline:
            path = NORMAL[index % len(NORMAL)]
            status, seconds, finished = client.get(path)
            with lock:
                answers.append((path, status, seconds, finished))
            index += 1
            time.sleep(0.05)
        client.close()

    threads = [threading.Thread(target=normal_client, args=(i,)) for i in range(2)]
    try:
        for thread in threads:
            thread.start()
        while time.monotonic() < deadline:
            slow.send_next_byte()
            time.sleep(1)
        for thread in threads:
            thread.join(PROBE_TIMEOUT + 5)
    finally:
        slow.close()

    late = [a for a in answers if a[3] > started + 0.75 * SLOW_SECONDS]
    print(f"\nslow clients: {SLOW_CLIENTS} sending a byte a second for {SLOW_SECONDS:.0f} s, {slow.dropped} sends "
          f"failed; meanwhile {len(answers)} normal requests, statuses {sorted({a[1] for a in answers}, key=str)}, "
          f"slowest {max(a[2] for a in answers) * 1000:.0f} ms")
    assert slow.dropped == 0  # nginx held every slow client all along
    assert answers and all(status == 200 for _, status, _, _ in answers), [a for a in answers if a[1] != 200][:5]
    assert late, "the normal requests stopped being answered"
