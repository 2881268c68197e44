"""A plot's ``load`` runs outside matplotlib's draw lock, shown under gunicorn's gthread worker.

One worker with four threads: while one request's plot is in a slow ``load`` (a query), another
plot's image is drawn and sent. The same cost spent in ``update``, under the lock, holds that
image back until it has ended: the control that shows the test would see the lock if ``load``
took it. Where each request is comes from marks the slow plots leave (tests/slow_app.py), not
from timing.
"""

import itertools
import threading
import time
import urllib.request

import pytest

from . import servers

pytestmark = pytest.mark.server

COST = 3.0  # seconds the slow plot takes; the other image takes a small fraction of it
SEEDS = itertools.count(1)


@pytest.fixture(scope="module")
def gthread(tmp_path_factory):
    marks = tmp_path_factory.mktemp("marks")
    log = tmp_path_factory.mktemp("gunicorn-load") / "gunicorn.log"
    with servers.gunicorn(workers=1, log_path=log, app="tests.slow_app:app",
                          extra=("-k", "gthread", "--threads", "4"), env={"SLOW_APP_MARKS": str(marks)}) as proc:
        proc.marks = marks  # type: ignore[attr-defined]  # slow_app's marks folder, kept for the tests
        yield proc


def fetch(url: str) -> None:
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.status == 200
        response.read()


def answered_while_paying(server, slow_plot: str) -> bool:
    """Whether a quick image, asked once the slow plot's cost began, is answered before that cost ends."""
    began, ended = server.marks / slow_plot, server.marks / f"{slow_plot}.done"
    began.unlink(missing_ok=True)
    ended.unlink(missing_ok=True)
    slow = threading.Thread(target=fetch, args=(f"{server.base_url}/plot/{slow_plot}.png?cost={COST}&dpi=20",))
    slow.start()
    deadline = time.monotonic() + 30
    while not began.exists():
        assert time.monotonic() < deadline, f"{slow_plot} never began"
        time.sleep(0.01)
    # A seed of its own: an image the response cache holds from an earlier call would need no draw.
    fetch(f"{server.base_url}/fig/5_2?dpi=20&seed={next(SEEDS)}")
    during = not ended.exists()
    slow.join(60)
    assert ended.exists()
    return during


def test_an_image_is_drawn_while_another_plot_loads(gthread):
    assert answered_while_paying(gthread, "slow-load")


def test_the_control_an_image_waits_for_a_draw_that_holds_the_lock(gthread):
    assert not answered_while_paying(gthread, "slow")
