"""The container image (the top-level Containerfile), built and run as docs/deploying.md says.

Built with podman from a local Debian base and a wheelhouse (no package index inside the build),
run with a read-only root filesystem and only a tmpfs on /tmp, every capability dropped: it runs
as a non-root user, answers /healthz, /fig/5_2 and a Korean title drawn in Hangul, passes its own
HEALTHCHECK, and on SIGTERM (``podman stop``) finishes the request in flight and exits 0 within
the grace period. tests/containers.py makes the base and the image.
"""

import contextlib
import json
import threading
import time
import urllib.parse
import urllib.request

import pytest
from werkzeug.test import Client

from wsgi_plot import create_app

from . import containers, servers, tools
from .conftest import assert_same_picture, decode_png
from .metrics_text import samples, value

pytestmark = [pytest.mark.server, pytest.mark.container]

#: Two titles that differ by one syllable (as tests/test_theme.py): drawn as boxes, for want of a
#: font, they would be the same picture.
KOREAN = ("한국어 제목", "한국어 제묵")
#: As many characters of Unicode's private use area: boxes whatever the fonts.
TOFU = "\ue000\ue001\ue002 \ue003\ue004"
#: The heavy image of the overload run (docs/performance.md): about a second of drawing here.
SLOW = "/fig/5_2?n=10000&dpi=600&size=4.714x4.714"
#: podman stop's grace period: gunicorn's graceful_timeout (GRACEFUL_TIMEOUT, 30 s) and a margin.
GRACE = 40


def title_url(title: str) -> str:
    return "/plot/line.png?y=1,2&dpi=100&title=" + urllib.parse.quote(title)


@pytest.fixture(scope="module")
def image(tmp_path_factory):
    return containers.image(tmp_path_factory.mktemp("image"))


@contextlib.contextmanager
def running(image, name):
    """The image run as a user would run it, read-only; yields its base URL."""
    port = servers.free_port()
    containers.podman("run", "--detach", "--name", name,
                      "--read-only", "--read-only-tmpfs=false", "--tmpfs", "/tmp:rw,nosuid,nodev,size=256m",
                      "--cap-drop", "ALL", "--security-opt", "no-new-privileges",
                      "--network", "slirp4netns:port_handler=slirp4netns", "--publish", f"127.0.0.1:{port}:8000",
                      "--env", "WEB_CONCURRENCY=2", image)
    base = f"http://127.0.0.1:{port}"
    try:
        servers.wait_for_http(base + "/healthz", timeout=90)
        yield base
    finally:
        logs = containers.podman("logs", name, check=False)
        print(logs.stdout[-4000:], logs.stderr[-4000:])
        containers.podman("rm", "--force", "--time", "0", name, check=False)


@pytest.fixture(scope="module")
def container(image):
    """One container for the tests that only ask: (name, base URL)."""
    name = f"wsgi-plot-test-{servers.free_port()}"
    with running(image, name) as base:
        yield name, base


def get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read()


def test_runs_read_only_as_a_non_root_user_and_answers(container, tmp_path):
    name, base = container
    status = containers.process_status(name)
    assert status["Uid"].split() == ["10001"] * 4  # real, effective, saved, filesystem: not root
    assert status["CapEff"] == "0000000000000000"
    # PID 1 is gunicorn's master itself (the entry point exec'd it): it gets the container's SIGTERM.
    assert "gunicorn" in containers.podman("exec", name, "cat", "/proc/1/cmdline").stdout
    written = containers.podman("exec", name, "touch", "/opt/wsgi-plot/x", check=False)
    assert written.returncode != 0 and "Read-only file system" in written.stderr
    code, body = get(base + "/healthz")
    assert code == 200 and json.loads(body) == {"status": "ok"}
    code, body = get(base + "/fig/5_2")
    assert code == 200 and decode_png(body).size == (1200, 900)
    (tmp_path / "fig.png").write_bytes(body)
    code, body = get(base + "/metrics")  # the workers' metric files, summed, in the tmpfs
    assert code == 200 and b"wsgi_plot_requests_total" in body
    # Its own HEALTHCHECK (kept by --format docker), run now rather than at its interval.
    assert containers.podman("healthcheck", "run", name, check=False).returncode == 0


def test_korean_titles_are_drawn_in_hangul(container, tmp_path):
    name, base = container
    korean = [get(base + title_url(title))[1] for title in KOREAN]
    tofu = get(base + title_url(TOFU))[1]
    (tmp_path / "korean.png").write_bytes(korean[0])
    pixels = [decode_png(data).tobytes() for data in (*korean, tofu)]
    assert pixels[0] != pixels[1], "two Korean titles drew the same picture: boxes, no Korean font"
    assert pixels[0] != pixels[2]
    # matplotlib in the image found both fallback fonts (the font list made at build time).
    names = containers.podman("exec", name, "python", "-c",
                              "from matplotlib import font_manager as f; print({e.name for e in f.fontManager.ttflist})")
    assert "Noto Sans CJK JP" in names.stdout and "Symbola" in names.stdout


def test_korean_title_is_the_picture_plain_matplotlib_draws_here(container, tmp_path):
    """Pixel for pixel what this machine's wsgi_plot draws with Debian's fonts (.ci/run installs them)."""
    from matplotlib import font_manager

    if "Noto Sans CJK JP" not in {entry.name for entry in font_manager.fontManager.ttflist}:
        tools.missing("fonts-noto-cjk is not installed here, so there is no reference picture")
    name, base = container
    served = get(base + title_url(KOREAN[0]))[1]
    expected = Client(create_app()).get(title_url(KOREAN[0])).data
    assert_same_picture(served, expected, tmp_path, tol=0)


def test_sigterm_finishes_the_request_in_flight_and_stops_within_the_grace_period(image):
    name = f"wsgi-plot-test-stop-{servers.free_port()}"
    with running(image, name) as base:
        stop_while_drawing(name, base)


def stop_while_drawing(name, base):
    answers = []

    def slow_request():
        started = time.monotonic()
        answers.append((*get(base + SLOW, timeout=60), started, time.monotonic()))

    client = threading.Thread(target=slow_request)
    client.start()
    # Until a worker holds a figure for it (the other worker answers /metrics): it is being drawn,
    # not waiting in the listen queue, which a stopping gunicorn closes.
    deadline = time.monotonic() + 20
    while value(samples(get(base + "/metrics")[1].decode()), "wsgi_plot_figures_in_use") < 1:
        assert time.monotonic() < deadline and client.is_alive(), "the slow request was never seen drawing"
        time.sleep(0.02)
    stop_sent = time.monotonic()
    containers.podman("stop", "--time", str(GRACE), name, timeout=GRACE + 30)
    stopped = time.monotonic()
    client.join(timeout=60)
    (code, body, _started, answered), = answers
    assert answered > stop_sent, "the request was answered before the stop: nothing was in flight"
    assert code == 200 and decode_png(body).size == (2828, 2828)
    assert stopped - stop_sent < GRACE
    # 0: gunicorn exited by itself (137 would be podman's SIGKILL after the grace period).
    assert containers.podman("inspect", "--format", "{{.State.ExitCode}}", name).stdout.strip() == "0"
    logs = containers.podman("logs", name).stdout + containers.podman("logs", name).stderr
    assert "Handling signal: term" in logs and "Shutting down: Master" in logs
