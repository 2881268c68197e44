"""Client errors that name the parameter at fault, and how every error is sent.

Errors are short plain text by default, JSON ``{"error": {...}}`` when the
client's ``Accept`` header prefers it; never HTML and never a traceback.
"""

import json
import re
from datetime import datetime
from typing import TYPE_CHECKING

from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    ServiceUnavailable,
)
from werkzeug.wrappers import Request, Response

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment


class PlotError(HTTPException):
    """The one family of errors this app raises for a request: what the client got wrong
    (``param``: the parameter, ``"path"``, ``"method"``, ``"body"``; None for capacity) and, for a
    refusal worth retrying, after how many seconds (``retry_after``: the Retry-After header).

    Each subclass is also the werkzeug exception of its status (``BadRequest``, ``NotFound``...),
    so a host app's handlers for those catch it as well.
    """

    #: ``datetime | int`` as werkzeug's 503 declares it; ours are always whole seconds.
    retry_after: datetime | int | None

    def __init__(self, message: str, *, param: str | None = None, retry_after: int | None = None):
        super().__init__(description=message)  # by name: MethodNotAllowed takes valid_methods first
        self.param = param
        self.retry_after = retry_after

    def get_headers(self, environ: "WSGIEnvironment | None" = None, scope: dict | None = None) -> list[tuple[str, str]]:
        headers = [(k, v) for k, v in super().get_headers(environ, scope) if k.lower() != "retry-after"]
        if self.retry_after:
            headers.append(("Retry-After", str(self.retry_after)))
        return headers


class ParameterError(PlotError, BadRequest):
    """A request parameter is malformed or out of range (400)."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}", param=param)
        self.message = message  # without the name, for a list to say which item


class PixelBudgetExceeded(PlotError, RequestEntityTooLarge):
    """The requested image would need more pixels than the budget allows (413)."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}", param=param)


class TooMuchWork(PlotError, RequestEntityTooLarge):
    """The request would take longer than this server lets a request run (413 naming what to lower)."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}", param=param)


class PathNotFound(PlotError, NotFound):
    def __init__(self, path: str, message: str = "no such page"):
        super().__init__(f"path {path!r}: {message}", param="path")


class FormatNotFound(PlotError, NotFound):
    """A format this plot cannot give (a user plot without a data hook has no CSV)."""

    def __init__(self, fmt: str, plot: str, message: str):
        super().__init__(f"format {fmt!r}: plot {plot!r} {message}", param="format")


class MethodNotAllowedHere(PlotError, MethodNotAllowed):
    """A method the route does not take (405 with Allow)."""

    def __init__(self, method: str, valid_methods: list[str]):
        super().__init__(f"method {method[:20]!r} not allowed; use {', '.join(valid_methods)}", param="method")
        self.valid_methods = valid_methods


class Overloaded(PlotError, ServiceUnavailable):
    """No figure became free in time, or a render ran past its deadline (503 with Retry-After)."""

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message, retry_after=retry_after)


class ServiceUnavailableHere(PlotError, ServiceUnavailable):
    """What this server cannot do however long one waits (503, no Retry-After: retrying would not help)."""

    def __init__(self, message: str):
        super().__init__(message)


class StreamsNeedThreads(ServiceUnavailableHere):
    """A live stream asked of a server that runs one request per worker, or leaves it no spare thread."""

    def __init__(self, threads: int | None = None):
        spare = "" if threads is None else f"; this process has {threads} thread(s) and keeps one for other requests"
        super().__init__("live streams hold a connection open, so they need a threaded server with a thread "
                         f"to spare; run gunicorn -k gthread --threads N (or uWSGI with --threads N), N >= 2{spare}")


#: C0 and C1 control characters and DEL, and the Unicode line and paragraph separators: each would
#: break the one-line body (or a log line quoting it) at a place the client chose.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with every control character written as an escape (``\\r``, ``\\x00``, ``\\u2028``)."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def _wants_json(request: Request | None) -> bool:
    if request is None:
        return False
    accept = request.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/plain")


def error_response(exc: HTTPException, environ: "WSGIEnvironment | None" = None,
                   request: Request | None = None) -> Response:
    """The response for ``exc``: its status, headers such as ``Allow`` and ``Retry-After``, a one-line body.

    ``exc`` is one of ours (:class:`PlotError`, naming the parameter) or any other werkzeug exception
    (a host's, or werkzeug's own), whose body names none."""
    message = one_line(exc.description or exc.name)
    headers = [(k, v) for k, v in exc.get_headers(environ) if k.lower() != "content-type"]
    if request is not None:
        headers.append(("Vary", "Accept"))  # the body is JSON or text as Accept asks: a cache must key on it
    if _wants_json(request):
        param = exc.param if isinstance(exc, PlotError) else None
        body = {"status": exc.code, "message": message, "param": param}
        return Response(json.dumps({"error": body}) + "\n", exc.code, headers, mimetype="application/json")
    return Response(f"{exc.code} {exc.name}: {message}\n", exc.code, headers, mimetype="text/plain")
