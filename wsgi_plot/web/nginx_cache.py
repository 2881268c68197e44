"""The header protocol between the app and deploy/nginx.conf's image cache.

nginx asks the app for a request's key (``X-Cache-Key-Only``: 204 with ``X-Cache-Key``, nothing
drawn), keeps the image under it for as long as ``X-Accel-Expires`` says, and hides both headers
from clients.
"""

from __future__ import annotations

import math

from werkzeug.wrappers import Response

#: The request header with which deploy/nginx.conf asks for a request's key: the answer is 204 with
#: ``X-Cache-Key`` (none when the response may not be reused, or the request is bad), nothing drawn.
KEY_ONLY_HEADER = "X-Cache-Key-Only"


#: Seconds nginx may keep a URL's key answer: the key of a URL never changes while the app runs,
#: but a deploy changes it (:func:`cache_key`), and a picture is stale for as long as nginx keeps
#: the old answer. So one second: a hot URL costs the instances one key request a second, and a
#: deploy's pictures are served a second after its instances answer. A bad request's is never kept.
KEY_ANSWER_SECONDS = 1


#: What X-Accel-Expires says for FOREVER: a year; nginx's `inactive` drops what nobody asks for.
FOREVER_SECONDS = 365 * 86400


def expiry(now: float, fresh_for: float) -> float:
    """When an image made at ``now`` (epoch seconds) stops being served: ``now + fresh_for`` rounded
    down to a whole second, the unit nginx keeps time in, so that the app's copy and nginx's expire
    together and a picture is never older than its freshness. A freshness under a second that
    reaches no whole second is kept by the app alone."""
    if fresh_for == math.inf:
        return math.inf
    whole = math.floor(now + fresh_for)
    return whole if whole > now else now + fresh_for


def accel_expires(expires: float, now: float) -> str:
    """X-Accel-Expires for an image served until ``expires``: "@T" keeps it while nginx's clock reads
    second T or earlier (so until ``expires`` when that is whole), 0 not at all."""
    if expires == math.inf:
        return str(FOREVER_SECONDS)
    if expires != int(expires) or expires <= now:
        return "0"
    return f"@{int(expires) - 1}"


def cache_headers(key: str | None, expires: float, now: float) -> dict[str, str]:
    """What an image response tells a caching proxy: its key, and until when it may keep it."""
    headers = {"X-Accel-Expires": accel_expires(expires, now) if key else "0"}
    if key:
        headers["X-Cache-Key"] = key
    return headers


def key_only_response(key: str | None, keep_seconds: int = KEY_ANSWER_SECONDS) -> Response:
    """The answer to a request sent with KEY_ONLY_HEADER: 204, its key if it has one."""
    headers = {"X-Accel-Expires": str(keep_seconds)}
    if key:
        headers["X-Cache-Key"] = key
    return Response(status=204, headers=headers)
