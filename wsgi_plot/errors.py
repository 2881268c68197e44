"""Client errors that name the parameter at fault, and how every error is sent.

Errors are short plain text by default, JSON ``{"error": {...}}`` when the
client's ``Accept`` header prefers it; never HTML and never a traceback.
"""

import json

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


class Overloaded(ServiceUnavailable):
    """No figure became free in time, or a render ran past its deadline (503)."""

    def __init__(self, message: str, retry_after: int = 1):
        super().__init__(message)
        self.param = None
        self.retry_after = retry_after


class StreamsNeedThreads(ServiceUnavailable):
    """A live stream asked of a server that runs one request per worker (503, no Retry-After: it would not help)."""

    def __init__(self):
        super().__init__("live streams hold a connection open, so they need a threaded server; run "
                         "gunicorn -k gthread --threads N (or uWSGI with --threads N)")
        self.param = None


def _wants_json(request) -> bool:
    if request is None:
        return False
    accept = request.accept_mimetypes
    return accept.quality("application/json") > accept.quality("text/plain")


def error_response(exc: HTTPException, environ=None, request=None) -> Response:
    """The response for ``exc``: its status, headers such as ``Allow``, a short body."""
    message = exc.description or exc.name
    headers = [(k, v) for k, v in exc.get_headers(environ) if k.lower() != "content-type"]
    if getattr(exc, "retry_after", None):
        headers.append(("Retry-After", str(exc.retry_after)))
    if _wants_json(request):
        body = {"status": exc.code, "message": message, "param": getattr(exc, "param", None)}
        return Response(json.dumps({"error": body}) + "\n", exc.code, headers, mimetype="application/json")
    return Response(f"{exc.code} {exc.name}: {message}\n", exc.code, headers, mimetype="text/plain")
