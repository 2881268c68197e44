"""Every private attribute of a host server that wsgi_plot touches, in one place, each with a test.

a2wsgi (the WSGI-in-ASGI adapter of examples/fastapi_host.py) hides the ASGI connection from the
WSGI app, and its WSGI sends never fail: once the client has left, uvicorn drops what it is sent,
so a stream would draw for nobody until its end. Its request body object keeps the ASGI
``receive`` callable and the event loop (``Body.receive``, ``Body.loop``, a2wsgi 1.x); after the
body, ``receive()`` returns ``http.disconnect`` when the client leaves (ASGI spec), which is how a
stream learns of it. A host that gives the scope but not those cannot tell a stream that its
client left: the stream route refuses there (:class:`CannotSeeDisconnect`) rather than draw for
no one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from ..core.errors import ServiceUnavailableHere


class CannotSeeDisconnect(ServiceUnavailableHere):
    """An ASGI host whose adapter gives no way to notice a client that left (503, no Retry-After)."""

    def __init__(self) -> None:
        super().__init__("live streams: this ASGI host's WSGI adapter gives no way to notice a client that "
                         "left, so a stream would draw for no one until its end; mount wsgi_plot with a2wsgi "
                         "(examples/fastapi_host.py) or serve streams from gunicorn -k gthread")


#: ASGI's receive: the next message of the connection (a dict with a "type").
Receive = Callable[[], Awaitable[Mapping[str, Any]]]


async def _until_disconnect(receive: Receive) -> None:
    while (await receive()).get("type") != "http.disconnect":
        pass  # the rest of the request body, already read by the app, or empty


def disconnect_future(environ: Mapping[str, object]) -> concurrent.futures.Future[None] | None:
    """A ``concurrent.futures.Future`` done when an ASGI host's client leaves; None outside an ASGI host.

    Raises :class:`CannotSeeDisconnect` under an ASGI host without a2wsgi's body attributes.
    """
    if "asgi.scope" not in environ:  # a2wsgi's mark of an ASGI host
        return None
    body = environ.get("wsgi.input")
    receive, loop = getattr(body, "receive", None), getattr(body, "loop", None)
    if not callable(receive) or not isinstance(loop, asyncio.AbstractEventLoop):
        raise CannotSeeDisconnect()
    return asyncio.run_coroutine_threadsafe(_until_disconnect(receive), loop)
