"""Every knob and limit of a wsgi_plot app, with the ``WSGI_PLOT_*`` environment read in one place."""

import dataclasses
import difflib
import logging
import math
import os
import threading
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..core.errors import ParameterError
from ..encode.png import check_compression
from .kinds import Size
from .params import Param

ENV_PREFIX = "WSGI_PLOT_"

log = logging.getLogger("wsgi_plot")


class SettingsError(ValueError):
    """A setting has a bad value; the message names the argument or variable."""


#: The longest side in pixels matplotlib's Agg canvas draws (it refuses 2**16 and more).
AGG_MAX_SIDE = 2**16 - 1

#: The longest any timeout may be: an hour is far past any render or wait a client stays for, and far
#: below ``threading.TIMEOUT_MAX`` (what a lock or condition accepts, ~292 years on 64-bit Linux).
LONGEST_TIMEOUT = 3600.0

#: Each numeric setting's accepted range, inclusive, checked where settings are read; a value outside
#: it stops start-up and ``wsgi-plot check``, naming the variable. Also the "bounds" column of the
#: settings table in docs/operations.md. Why each ceiling:
BOUNDS: dict[str, tuple[float, float]] = {
    "default_dpi": (1, 6000),  # with max_inches, bounded by what Agg draws (AGG_MAX_SIDE)
    "min_dpi": (1, 6000),
    "max_dpi": (1, 6000),
    "min_inches": (0.01, 1000.0),  # a hundredth of an inch is under a pixel at 100 dpi
    "max_inches": (0.01, 1000.0),  # max_dpi x max_inches is held to AGG_MAX_SIDE too
    # 64 Mpx: a 256 MiB RGBA canvas (and as much again for a saved background); past that Agg's
    # rasteriser runs out of cell blocks and allocations fail (std::bad_alloc) instead of drawing.
    "max_pixels": (1, 2**26),
    "max_points": (1, 10**8),  # 10^8 numbers are 800 MB as float64, more than any body carries
    "max_series": (1, 100),
    "pool_size": (1, 1024),
    "pool_max_bytes": (0, 2**36),  # 64 GiB
    "pool_timeout": (0, LONGEST_TIMEOUT),
    "render_timeout": (0.001, LONGEST_TIMEOUT),  # under a millisecond, every render would be refused
    "queue_timeout": (0, LONGEST_TIMEOUT),
    "max_body_bytes": (1, 2**28),  # 256 MiB of JSON takes seconds to parse before any drawing
    "max_animation_pixels": (1, 2**32),
    "max_stream_seconds": (1, 86400),
    "max_streams": (0, 1024),
    "stream_send_timeout": (0.001, LONGEST_TIMEOUT),
    "response_cache_bytes": (0, 2**36),
}
assert LONGEST_TIMEOUT <= threading.TIMEOUT_MAX


@dataclass(frozen=True)
class Settings:
    default_dpi: int = 300  # dots per inch; the recipe's savefig(dpi=300)
    min_dpi: int = 10  # below this, text and markers are unreadable
    max_dpi: int = 600  # print quality; the pixel budget bounds the rest
    default_size: str = "4x3"  # inches, WIDTHxHEIGHT; 4x3 at 300 dpi = 1200x900 px
    min_inches: float = 0.5  # per side; smaller cannot fit tick labels
    max_inches: float = 40.0  # per side
    max_pixels: int = 8_000_000  # width x height in px, checked before any canvas: ~32 MB of RGBA
    max_points: int = 1_000_000  # cap on every count parameter (Param(count=True)), e.g. n; the built-ins' largest bound
    #: Series in one chart (line, bar, scatter; Param(list[list[float]])): one colour cycle holds 10, more cannot be told apart.
    max_series: int = 10
    pool_size: int = 8  # figures per process, idle and in use; bounds memory and distinct plot keys
    # Bytes per process of the figures the pool keeps, idle and in use: 128 MiB holds eight
    # 1200x900 figures (9.6 MB each) with room to spare. A figure over a quarter of it (about
    # 4 Mpx) is drawn for its request and dropped; 0 keeps none.
    pool_max_bytes: int = 128 * 2**20
    pool_timeout: float = 5.0  # seconds a request waits for a free figure before 503
    render_timeout: float = 10.0  # seconds; a render past it ends with 503, its figure back in the pool whole
    queue_timeout: float = 10.0  # seconds an image request may have waited since X-Request-Start; older: 503, undrawn; 0: off
    metrics: bool = True  # serve /metrics and count requests
    max_body_bytes: int = 1_048_576  # bytes of a POST's JSON body (1 MiB: ~140,000 short numbers); larger is 413, unread
    max_animation_pixels: int = 32_400_000  # frames x width x height of an APNG/GIF: 30 frames of 1200x900
    max_stream_seconds: int = 60  # longest (and default) live stream; the time it holds a thread
    max_streams: int = 4  # live streams at once per process, each holding a thread; beyond: 503 (see server_limits.py)
    # Seconds a stream part may take to reach a client that stopped reading; then the stream ends,
    # freeing its slot and thread (where the server lends its socket: gunicorn).
    stream_send_timeout: float = 10.0
    # Prepare each plot's default figure (and the recipe's /fig/5_2) before the first request:
    # at worker start (gunicorn.conf.py, uwsgi.ini) or else on the first /readyz; within the pool's bounds.
    warm: bool = True
    # How every PNG (stills, APNG frames, stream frames) is deflated: "fast" (ISA-L) or "small"
    # (libdeflate level 6). Both lossless; fast by measurement: docs/performance.md, "Choosing png_compression".
    png_compression: str = "fast"
    # Bytes per process of encoded images kept for requests that may reuse them (response_cache.py):
    # deterministic or seeded stills, for as long as their plot's freshness. 16 MiB hold about 300
    # 1200x900 line charts (~50 kB each); one image over a quarter of it is not kept; 0: off.
    response_cache_bytes: int = 16 * 2**20

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            kind = _FIELD_TYPES[field.name]
            _check_type(field.name, kind, getattr(self, field.name))
            # inf or nan in a bound turns a check into no check (max_inches=inf let size=1e308x1 through).
            if kind is float and not math.isfinite(getattr(self, field.name)):
                raise SettingsError(f"{field.name}: must be a finite number, got {getattr(self, field.name)!r}")
        for name, (low, high) in BOUNDS.items():
            value = getattr(self, name)
            if not low <= value <= high:
                raise SettingsError(f"{name}: must be between {_number(low)} and {_number(high)}, got {value!r}")
        checks = [
            (self.min_dpi <= self.default_dpi <= self.max_dpi, "default_dpi", "must lie in [min_dpi, max_dpi]"),
            (self.min_inches <= self.max_inches, "min_inches", "must be <= max_inches"),
            # Named for the one changed from its default (the variable to fix), max_inches if both were.
            (self.max_dpi * self.max_inches <= AGG_MAX_SIDE,
             "max_dpi" if self.max_inches == Settings.max_inches else "max_inches",
             f"max_dpi ({self.max_dpi}) x max_inches ({self.max_inches:g}) = {self.max_dpi * self.max_inches:g} px "
             f"on a side, over the {AGG_MAX_SIDE} px Agg can draw; lower max_inches or max_dpi"),
        ]
        for ok, name, message in checks:
            if not ok:
                raise SettingsError(f"{name}: {message}")
        self.default_size_inches  # noqa: B018 (parsed by the size option's own kind: SettingsError if wrong)
        try:
            check_compression(self.png_compression)
        except ValueError as exc:
            raise SettingsError(f"png_compression: {exc}") from None

    @property
    def default_size_inches(self) -> Size:
        """``default_size`` read by the kind that reads a request's ``size``: one syntax, one parser."""
        size = Param("default_size", Size, minimum=self.min_inches, maximum=self.max_inches)
        try:
            value: Size = size.parse(self.default_size)
        except ParameterError as exc:
            raise SettingsError(exc.description or str(exc)) from None
        return value

    @classmethod
    def from_environ(cls, given: Mapping[str, object], environ: Mapping[str, str] | None = None) -> "Settings":
        """Settings from keyword arguments, then ``WSGI_PLOT_<NAME>`` for those not given."""
        environ = os.environ if environ is None else environ
        names = [field.name for field in dataclasses.fields(cls)]
        unknown = set(given) - set(names)
        if unknown:
            raise TypeError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = dict(given)  # checked by __post_init__
        warn_unknown_variables(environ, names)
        for name in names:
            variable = ENV_PREFIX + name.upper()
            if name not in values and variable in environ:
                try:
                    values[name] = _convert(_FIELD_TYPES[name], environ[variable])
                except ValueError as exc:
                    raise SettingsError(f"{variable}={environ[variable]!r}: {exc}") from None
        try:
            return cls(**values)
        except SettingsError as exc:
            name = str(exc).split(":", 1)[0]
            source = ENV_PREFIX + name.upper() if name not in given and ENV_PREFIX + name.upper() in environ else name
            raise SettingsError(f"{source}: {str(exc).split(': ', 1)[1]}") from None


def warn_unknown_variables(environ: Iterable[str], fields: Iterable[str]) -> list[str]:
    """Log each ``WSGI_PLOT_*`` variable that names no setting (a typo is otherwise silently ignored)."""
    known = [ENV_PREFIX + name.upper() for name in fields]
    unknown = sorted(name for name in environ if name.startswith(ENV_PREFIX) and name not in known)
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=3)
        hint = f"did you mean {' or '.join(close)}?" if close else f"known: {', '.join(known)}"
        log.warning("%s is not a wsgi_plot setting and is ignored; %s", name, hint)
    return unknown


#: Each field's type, resolved once (a field's own ``type`` is a string under postponed annotations).
_FIELD_TYPES: dict[str, type] = typing.get_type_hints(Settings)

#: Accepted Python types per field type; bool is an int subclass, so it is excluded from numbers.
_ACCEPTED_TYPES = {int: (int,), float: (int, float), bool: (bool,), str: (str,)}


def _check_type(name: str, kind: type, value: object) -> None:
    """Arguments come from code, not text: ``pool_size="4"`` is a mistake, not a request to parse."""
    if not isinstance(value, _ACCEPTED_TYPES[kind]) or (kind is not bool and isinstance(value, bool)):
        raise SettingsError(f"{name}: expected {kind.__name__}, got {value!r}")


def _number(value: float) -> str:
    """A bound as the settings table writes it: ``1,048,576``, ``0.001``."""
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _convert(kind: type, text: str) -> bool | int | float | str:
    if kind is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ValueError("expected true/false, 1/0, yes/no or on/off")
    if kind is int:
        return int(text)
    if kind is float:
        return float(text)
    return text
