"""How long a request waited before reaching the app, from a proxy's ``X-Request-Start`` header.

A proxy in front (deploy/nginx.conf; Heroku's router; Apache's ``%t``) stamps the moment it
passed the request on: ``t=<epoch>`` in milliseconds (nginx here, Heroku), seconds with a
fraction (nginx's ``$msec``) or microseconds (Apache). The unit is told by the magnitude, as
New Relic's agents do, which is unambiguous for any date since 1973. The wait
is measured against this machine's clock, so the proxy's clock must agree with it (NTP).
"""

import re

HEADER = "X-Request-Start"

_VALUE_RE = re.compile(r"\s*(?:t=)?([0-9]{1,20}(?:\.[0-9]{1,9})?)\s*\Z")

#: Epoch values from these on are milliseconds, then microseconds: both passed them in 1973,
#: and seconds will not reach the first before the year 5000.
_MILLISECONDS_FROM = 1e11
_MICROSECONDS_FROM = 1e14


def queued_seconds(value: str | None, now: float) -> float | None:
    """Seconds between the proxy's stamp ``value`` and ``now`` (epoch seconds), never negative.

    None when there is no usable stamp: no header, or one that is not a plain number. A stamp
    from the future (clocks a little apart) counts as no wait.
    """
    if not value:
        return None
    match = _VALUE_RE.match(value)
    if not match:
        return None
    stamp = float(match.group(1))
    if stamp >= _MICROSECONDS_FROM:
        stamp /= 1e6
    elif stamp >= _MILLISECONDS_FROM:
        stamp /= 1e3
    return max(0.0, now - stamp)
