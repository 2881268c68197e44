"""A live stream of PNG frames as ``multipart/x-mixed-replace``: what a plain ``<img>`` shows as it arrives.

Each part carries its own Content-Type and Content-Length, so a client can
cut parts without scanning for the boundary. The server paces the frames; a
stream holds one server thread for its whole length (``seconds``), and a
pooled figure only while one frame is drawn.
"""

import select
import socket
import threading
import time

#: No byte sequence of a PNG part can be mistaken for it: clients use the parts' Content-Length.
BOUNDARY = "wsgi-plot-frame"
CONTENT_TYPE = f"multipart/x-mixed-replace; boundary={BOUNDARY}"


def part(png: bytes) -> bytes:
    """One part: boundary, headers, the PNG, and the line end before the next boundary."""
    head = f"--{BOUNDARY}\r\nContent-Type: image/png\r\nContent-Length: {len(png)}\r\n\r\n".encode()
    return head + png + b"\r\n"


_CLOSING = f"--{BOUNDARY}--\r\n".encode()


class StreamSlots:
    """At most ``limit`` streams at once in this process; taking a slot never waits.

    ``on_change(n)``, if given, hears the number of streams whenever it changes (a gauge's ``set``).
    """

    def __init__(self, limit: int, on_change=None):
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

    def give_back(self):
        with self._lock:
            self._active -= 1
            self._on_change(self._active)


def sleep_until_gone(seconds: float) -> bool:
    """Wait ``seconds``; False: no way to tell whether the client is still there."""
    if seconds > 0:
        time.sleep(seconds)
    return False


def waiter(environ):
    """``wait(seconds) -> gone``: sleeps between frames, returning True early when the client closed.

    gunicorn gives the socket as ``gunicorn.socket``: a closed peer makes it readable with
    nothing to read, so the stream ends at once instead of at its next frame. Other servers
    hide their socket; there a gone client is noticed when a write fails, a frame or two later.
    """
    sock = environ.get("gunicorn.socket")
    if sock is None:
        return sleep_until_gone

    def wait(seconds: float) -> bool:
        until = time.monotonic() + max(seconds, 0)
        try:
            readable, _, _ = select.select([sock], [], [], max(seconds, 0))
            if readable and sock.recv(1, socket.MSG_PEEK) == b"":
                return True
        except ValueError:  # a TLS socket cannot peek: leave it to a failing write
            pass
        except OSError:  # reset or closed: no frame could reach it anyway
            return True
        # Readable with bytes to read (a pipelined request): not gone; sleep out the interval.
        return sleep_until_gone(until - time.monotonic())

    return wait


class FrameStream:
    """The response body: ``count`` parts, frame ``n`` sent at ``start + n / fps``.

    ``render_frame(number)`` returns frame ``number`` as PNG bytes, or None to end the
    stream early; the first
    frame is given already drawn, so that a failure to draw it is an ordinary
    error response rather than a broken stream. ``on_close`` runs exactly once,
    when the server closes the body (finished, or the client went away).
    """

    def __init__(self, first_png: bytes, render_frame, count: int, fps: int, on_close,
                 wait=sleep_until_gone, clock=time.monotonic):
        self._pending = part(first_png)
        self._render_frame = render_frame
        self._count = count
        self._interval = 1 / fps
        self._on_close = on_close
        self._wait = wait
        self._clock = clock
        self._next = 1  # the number of the next frame to draw
        self._start = None
        self._done = False
        self._closed = False

    def __iter__(self):
        return self

    def __next__(self) -> bytes:
        if self._pending is not None:
            self._start = self._clock()
            data, self._pending = self._pending, None
            return data
        if self._done or self._closed:
            raise StopIteration
        if self._next >= self._count:
            self._done = True
            return _CLOSING
        if self._wait(self._start + self._next * self._interval - self._clock()):
            self._done = True  # the client went away: draw nothing more
            raise StopIteration
        png = self._render_frame(self._next)
        if png is None:  # the frame could not be drawn (the caller logged why): end the stream cleanly
            self._done = True
            return _CLOSING
        self._next += 1
        return part(png)

    def close(self):
        if not self._closed:
            self._closed = True
            self._on_close()
