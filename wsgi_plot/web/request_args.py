"""What a request asks for, as one dict of raw values: its query string, or its JSON body.

An image can be asked for with ``GET /plot/NAME.FMT?y=1,4,9`` or with ``POST`` and the JSON
object ``{"y": [1, 4, 9]}``: data outgrows a URL (gunicorn refuses request lines over 4 KiB).
Both end here as a dict that ``Plot.parse`` and ``options.parse_options`` read, each value by its
declaration (``Param.parse`` for query text, ``Param.parse_json`` for a JSON value).

Worst case of a body: ``max_body_bytes`` read into memory (default 1 MiB), refused with 413
before any of it is read when ``Content-Length`` says it is larger, and as soon as it passes the
limit when it is sent chunked; parsing it is linear in its size.
"""

import json
from typing import Any, NoReturn

from werkzeug.exceptions import RequestEntityTooLarge, UnsupportedMediaType
from werkzeug.wrappers import Request

from ..core.errors import ParameterError, PlotError, one_line

#: What a POST body must be.
JSON_MEDIA_TYPE = "application/json"


class RequestArgs(dict[str, Any]):
    """Raw values by name; ``from_json`` tells Plot.parse which parser applies.

    A query's values are texts (a list of them where a key repeats); a JSON body's are whatever JSON
    value the client sent, which each declaration's ``parse_json`` checks."""

    from_json = False


class BodyTooLarge(PlotError, RequestEntityTooLarge):
    def __init__(self, limit: int):
        super().__init__(f"body: larger than the limit of {limit} bytes (max_body_bytes)", param="body")


class BodyNotJSON(PlotError, UnsupportedMediaType):
    def __init__(self, mimetype: str):
        super().__init__(f"body: Content-Type must be {JSON_MEDIA_TYPE}, got {mimetype[:60]!r}", param="body")


class BodyEncoded(PlotError, UnsupportedMediaType):
    """A compressed body: JSON is read as sent, never decompressed (a small gzip can expand a thousandfold)."""

    def __init__(self, how: str):
        super().__init__(f"body: {how}; send the JSON uncompressed (Content-Encoding: identity)", param="body")


#: The first bytes of a gzip stream (RFC 1952): a compressed body sent without Content-Encoding.
GZIP_MAGIC = b"\x1f\x8b"


def image_args(request: Request, max_body_bytes: int) -> RequestArgs:
    """An image request's values: the JSON body of a POST, else the query."""
    if request.method == "POST":
        return json_body_args(request, max_body_bytes)
    return query_args(request)


def query_args(request: Request, path_values: dict[str, str] | None = None) -> RequestArgs:
    """The query as a dict: one text per key (a list where a key repeats), blanks meaning "default".

    A repeated key is a list of its texts: each declared value's kind says whether it may repeat
    (``Param.parse`` of a list), as for the plot's parameters. Values taken from the path
    (``/fig/MEAN_VAR``) must not appear in the query as well.
    """
    args = RequestArgs()
    for key, texts in request.args.lists():
        if not key:  # "?=5": there is no parameter name to report, so name the query
            raise ParameterError("query", "a parameter has no name")
        values = [v for v in texts if v != ""]
        if values:
            args[key] = values[0] if len(values) == 1 else values
    for key, value in (path_values or {}).items():
        if key in args:
            raise ParameterError(key, "is given in the path; do not repeat it in the query")
        args[key] = value
    return args


def json_body_args(request: Request, max_body_bytes: int) -> RequestArgs:
    """The JSON object in a POST body, its values as JSON gives them (``from_json``).

    415 for another content type, 413 past ``max_body_bytes``, 400 naming ``body`` for anything
    that is not one JSON object, and naming ``query`` when the URL has a query as well.
    """
    if request.args:
        raise ParameterError("query", "send the parameters in the JSON body or in the query, not both")
    if request.mimetype != JSON_MEDIA_TYPE:
        raise BodyNotJSON(request.mimetype or "none")
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("", "identity"):
        raise BodyEncoded(f"Content-Encoding {encoding[:40]!r} is not accepted")
    data = _read_body(request, max_body_bytes)
    if data.startswith(GZIP_MAGIC):
        raise BodyEncoded("it is gzip-compressed")
    try:
        body = json.loads(data.decode("utf-8"), object_pairs_hook=_unique_keys, parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise ParameterError("body", "is not UTF-8") from None
    except _DuplicateKey as exc:
        raise ParameterError("body", str(exc)) from None
    except ValueError as exc:  # malformed JSON, NaN/Infinity, an integer of more than 4300 digits
        raise ParameterError("body", f"is not valid JSON: {str(exc)[:100]}") from None
    except RecursionError:  # [[[[...]]]] nested deeper than Python's stack
        raise ParameterError("body", "is nested too deeply") from None
    if not isinstance(body, dict):
        raise ParameterError("body", "must be a JSON object of parameters, such as {\"y\": [1, 4, 9]}")
    for key, value in body.items():
        if not key:
            raise ParameterError("body", "a key is empty")
        if value is None:  # not "the default": a client that means the default leaves the key out
            raise ParameterError(key[:40], "is null; leave it out to get its default")
    args = RequestArgs(body)
    args.from_json = True
    return args


def _read_body(request: Request, limit: int) -> bytes:
    """At most ``limit`` bytes of the body; a larger one is refused before it is read whole."""
    if request.content_length is not None and request.content_length > limit:
        raise BodyTooLarge(limit)  # nothing read: the worker is free at once
    # werkzeug's stream ends at Content-Length, or at the end of a chunked body.
    try:
        data = request.stream.read(limit + 1)
    except Exception as exc:
        # What the server raises for bytes it cannot make a body of: gunicorn's InvalidChunkSize
        # (chunk size "zz"), ChunkMissingTerminator, NoMoreData (cut short), werkzeug's ClientDisconnected.
        reason = one_line(str(exc))[:100] or "the connection ended"
        raise ParameterError("body", f"could not be read, malformed or cut short ({type(exc).__name__}: {reason})") \
            from None
    if len(data) > limit:
        raise BodyTooLarge(limit)
    # gunicorn ends a body at the connection's end as if it were complete; the client promised more.
    if request.content_length is not None and len(data) < request.content_length:
        raise ParameterError("body", f"ended after {len(data)} of the {request.content_length} bytes its "
                                     "Content-Length announced")
    return data


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys: set[str] = set()
    for key, _ in pairs:
        if key in keys:
            raise _DuplicateKey(f"key {key[:40]!r} given more than once")
        keys.add(key)
    return dict(pairs)


def _no_constant(name: str) -> NoReturn:
    raise ValueError(f"{name} is not a number JSON allows")
