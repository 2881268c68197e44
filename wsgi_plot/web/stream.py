"""A live stream of PNG frames as ``multipart/x-mixed-replace``: what a plain ``<img>`` shows as it arrives.

Each part carries its own Content-Type and Content-Length, so a client can
cut parts without scanning for the boundary. The server paces the frames by the
clock; a stream holds one server thread for its whole length (``seconds``, plus the frame being
drawn when it ends), and a pooled figure only while one frame is drawn.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable, Mapping

from ..encode.multipart import CLOSING, part


class StreamSlots:
    """At most ``limit`` streams at once in this process; taking a slot never waits.

    ``on_change(n)``, if given, hears the number of streams whenever it changes (a gauge's ``set``).
    """

    def __init__(self, limit: int, on_change: Callable[[int], object] | None = None) -> None:
        self.limit = limit
        self._active = 0
        self._lock = threading.Lock()
        self._on_change = on_change or (lambda n: None)

    @property
    def active(self) -> int:
        return self._active

    def try_take(self) -> bool:
        with self._lock:
            if self._active >= self.limit:
                return False
            self._active += 1
            self._on_change(self._active)
            return True

    def give_back(self) -> None:
        with self._lock:
            self._active -= 1
            self._on_change(self._active)


def sleep_until_gone(seconds: float) -> bool:
    """Wait ``seconds``; False: no way to tell whether the client is still there."""
    if seconds > 0:
        time.sleep(seconds)
    return False


class ClientWatch:
    """How a stream waits between frames, noticing a client that left, and bounds each send.

    ``wait(seconds) -> gone`` sleeps, returning True early when the client has gone:

    - gunicorn gives the socket as ``gunicorn.socket``: a closed peer makes it readable with
      nothing to read, so the stream ends at once. Its sends get ``send_timeout`` too: a part
      that a client has not taken within that long (it stopped reading) fails the write, and
      gunicorn closes the stream, freeing its slot and thread.
    - a2wsgi (an ASGI host) tells of a client that left by an ``http.disconnect`` message
      (see :mod:`wsgi_plot.web.host_compat`).
    - other servers hide their socket; there a gone client is noticed when a write fails, and
      a stalled one only by the server's own write timeout (uWSGI: ``socket-timeout``, 4 s).

    ``close()`` undoes what it changed; the stream calls it once, when it is closed.
    """

    def __init__(self, environ: Mapping[str, object], send_timeout: float) -> None:
        from .host_compat import disconnect_future

        sock = environ.get("gunicorn.socket")
        self._sock = sock if isinstance(sock, socket.socket) else None
        self._left = None if self._sock is not None else disconnect_future(environ)
        self._restore_timeout: Callable[[], None] | None = None
        if isinstance(sock, socket.socket):
            previous = sock.gettimeout()
            sock.settimeout(send_timeout)
            self._restore_timeout = lambda: sock.settimeout(previous)

    def wait(self, seconds: float) -> bool:
        seconds = max(seconds, 0)
        if self._sock is not None:
            return self._wait_on_socket(self._sock, seconds)
        if self._left is not None:
            try:
                self._left.result(timeout=seconds)
                return True
            except TimeoutError:
                return False
            except BaseException:  # the watcher itself failed (loop closed): the client is out of reach
                return True
        return sleep_until_gone(seconds)

    def _wait_on_socket(self, sock: socket.socket, seconds: float) -> bool:
        until = time.monotonic() + seconds
        try:
            readable, _, _ = select.select([sock], [], [], seconds)
            if readable and sock.recv(1, socket.MSG_PEEK) == b"":
                return True
        except ValueError:  # a TLS socket cannot peek: leave it to a failing write
            pass
        except OSError:  # reset or closed: no frame could reach it anyway
            return True
        # Readable with bytes to read (a pipelined request): not gone; sleep out the interval.
        return sleep_until_gone(until - time.monotonic())

    def close(self) -> None:
        if self._left is not None:
            self._left.cancel()
        if self._restore_timeout is not None:
            try:
                self._restore_timeout()
            except OSError:  # already closed
                pass


class FrameStream:
    """The response body: frame ``n`` due at ``start + n / fps``, for ``count / fps`` seconds of wall time.

    Paced by the clock, not by the frames: a stream that falls behind (frames that cost more than
    their interval, a busy process) skips the frames whose time has passed and draws the latest
    one due, and it ends at ``start + count / fps`` whatever its frames cost, so it lasts at most
    its ``seconds`` plus the frame being drawn then.

    ``render_frame(number)`` returns frame ``number`` as PNG bytes, or None to end the stream
    early; the first frame is given already drawn (``start``: when its drawing began), so that a
    failure to draw it is an ordinary error response rather than a broken stream. ``on_close``
    runs exactly once, when the server closes the body (finished, or the client went away).
    """

    def __init__(self, first_png: bytes, render_frame: Callable[[int], bytes | None], count: int, fps: int,
                 on_close: Callable[[], object], wait: Callable[[float], bool] = sleep_until_gone,
                 clock: Callable[[], float] = time.monotonic, start: float | None = None) -> None:
        self._pending: bytes | None = part(first_png)
        self._render_frame = render_frame
        self._count = count
        self._fps = fps
        self._on_close = on_close
        self._wait = wait
        self._clock = clock
        self._start = clock() if start is None else start
        self._end = self._start + count / fps
        self._next = 1  # the number of the next frame due
        self.skipped = 0  # frames not drawn because their time had passed
        self._done = False
        self._closed = False

    def __iter__(self) -> FrameStream:
        return self

    def __next__(self) -> bytes:
        if self._pending is not None:
            data, self._pending = self._pending, None
            return data
        if self._done or self._closed:
            raise StopIteration
        if self._next >= self._count:
            return self._finish()
        if self._wait(self._start + self._next / self._fps - self._clock()):
            self._done = True  # the client went away: draw nothing more
            raise StopIteration
        now = self._clock()
        if now >= self._end:  # the last frames' time passed while earlier ones were drawn or sent
            return self._finish()
        # The latest frame whose time has come; never one before the next, whatever the rounding.
        number = min(max(self._next, int((now - self._start) * self._fps)), self._count - 1)
        self.skipped += number - self._next
        png = self._render_frame(number)
        if png is None:  # the frame could not be drawn (the caller logged why): end the stream cleanly
            return self._finish()
        self._next = number + 1
        return part(png)

    def _finish(self) -> bytes:
        self._done = True
        return CLOSING

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._on_close()
