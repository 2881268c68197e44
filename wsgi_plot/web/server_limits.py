"""What the server around the app allows: request threads per process, and how long it lets a request run.

WSGI gives a request neither, so each server's start-up hook tells the app (:func:`fit_to_server`):
gunicorn.conf.py's ``post_worker_init`` (``--threads``, ``timeout``), uwsgi.ini's ``eval`` (uWSGI's
threads per worker, ``harakiri``), and examples/fastapi_host.py (a2wsgi's thread pool). Told them:

- streams take at most ``threads - 1`` threads (or ``max_streams`` if lower), so a probe or an
  image always finds one;
- an animation's deadline stays a margin below the worker timeout, so the app refuses what the
  server would otherwise kill mid-response;
- ``render_timeout`` must be below the worker timeout, or the worker does not start.

Untold (another server, or a hook left out): ``max_streams`` alone bounds streams, and animations
have their own deadline only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..declare.settings import Settings, SettingsError

if TYPE_CHECKING:
    pass

#: Part of the worker timeout an animation's deadline leaves free: the deadline is checked before
#: each frame, so the frame in progress, the file's encoding and the answer's sending run past it.
WORKER_TIMEOUT_MARGIN = 0.2  # 30 s of gunicorn's timeout leave 24 s to an animation
#: At least this many seconds of margin, however short the timeout.
MIN_WORKER_TIMEOUT_MARGIN = 2.0  # seconds


@dataclass(frozen=True)
class ServerLimits:
    threads: int | None = None  # threads serving requests in this process; None: not known
    worker_timeout: float | None = None  # seconds after which the server kills a busy worker; None: never

    def stream_limit(self, max_streams: int) -> int:
        """Streams this process may run at once: one thread is always left for everything else."""
        if self.threads is None:
            return max_streams
        return max(0, min(max_streams, self.threads - 1))

    def animation_seconds(self) -> float:
        """The longest an animation may take here (inf when the server never kills a worker)."""
        if self.worker_timeout is None:
            return math.inf
        margin = max(self.worker_timeout * WORKER_TIMEOUT_MARGIN, MIN_WORKER_TIMEOUT_MARGIN)
        return max(self.worker_timeout - margin, 0.0)

    def check(self, settings: Settings) -> None:
        """A render must be abandoned by the app before the server kills its worker."""
        if self.worker_timeout is not None and not settings.render_timeout < self.worker_timeout:
            raise SettingsError(
                f"render_timeout (WSGI_PLOT_RENDER_TIMEOUT) is {settings.render_timeout:g} s, not below the "
                f"server's worker timeout of {self.worker_timeout:g} s (gunicorn timeout / uWSGI harakiri, "
                "TIMEOUT): the server would kill a worker before the app abandons its render")


