"""Client errors that name the parameter at fault, and how every error is sent.

Errors are short plain text by default, JSON ``{"error": {...}}`` when the
client's ``Accept`` header prefers it; never HTML and never a traceback.
"""

import json
import re

from werkzeug.exceptions import BadRequest, HTTPException, NotFound, RequestEntityTooLarge, ServiceUnavailable
from werkzeug.wrappers import Response


class ParameterError(BadRequest):
    """A request parameter is malformed or out of range (400)."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param = param
        self.message = message  # without the name, for a list to say which item


class PixelBudgetExceeded(RequestEntityTooLarge):
    """The requested image would need more pixels than the budget allows (413)."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param = param


class PathNotFound(NotFound):
    def __init__(self, path: str, message: str = "no such page"):
        super().__init__(f"path {path!r}: {message}")
        self.param = "path"


class FormatNotFound(NotFound):
    """A format this plot cannot give (a user plot without a data hook has no CSV)."""

    def __init__(self, fmt: str, plot: str, message: str):
        super().__init__(f"format {fmt!r}: plot {plot!r} {message}")
        self.param = "format"


class Overloaded(ServiceUnavailable):
    """No figure became free in time, or a render ran past its deadline (503)."""

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message)
        self.param = None
        self.retry_after = retry_after


class ServiceUnavailableHere(ServiceUnavailable):
    """What this server cannot do however long one waits (503, no Retry-After: retrying would not help)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.param = None


class StreamsNeedThreads(ServiceUnavailableHere):
    """A live stream asked of a server that runs one request per worker, or leaves it no spare thread."""

    def __init__(self, threads: int | None = None):
        spare = "" if threads is None else f"; this process has {threads} thread(s) and keeps one for other requests"
        super().__init__("live streams hold a connection open, so they need a threaded server with a thread "
                         f"to spare; run gunicorn -k gthread --threads N (or uWSGI with --threads N), N >= 2{spare}")


class TooMuchWork(RequestEntityTooLarge):
    """The request would take longer than this server lets a request run (413 naming what to lower)."""

    def __init__(self, param: str, message: str):
        super().__init__(f"{param}: {message}")
        self.param = param


#: C0 and C1 control characters and DEL, and the Unicode line and paragraph separators: each would
#: break the one-line body (or a log line quoting it) at a place the client chose.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """``text`` with every control character written as an escape (``\\r``, ``\\x00``, ``\\u2028``)."""
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode("ascii"), text)


def _wants_json(request) -> bool:
    if request is None:
        return False
    accept = request.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/plain")


def error_response(exc: HTTPException, environ=None, request=None) -> Response:
    """The response for ``exc``: its status, headers such as ``Allow``, a one-line body."""
    message = one_line(exc.description or exc.name)
    # werkzeug's 503 (and 429) add Retry-After themselves from ``retry_after``: once is enough.
    headers = [(k, v) for k, v in exc.get_headers(environ) if k.lower() != "content-type"]
    if getattr(exc, "retry_after", None) and not any(k.lower() == "retry-after" for k, _ in headers):
        headers.append(("Retry-After", str(exc.retry_after)))
    if _wants_json(request):
        body = {"status": exc.code, "message": message, "param": getattr(exc, "param", None)}
        return Response(json.dumps({"error": body}) + "\n", exc.code, headers, mimetype="application/json")
    return Response(f"{exc.code} {exc.name}: {message}\n", exc.code, headers, mimetype="text/plain")
