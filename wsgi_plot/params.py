"""Declared plot parameters and the strict parsing of request values.

A parameter is declared once; its declaration gives validation, the error
message, the HTML form field and the OpenAPI entry.
"""

import dataclasses
import math
import re
from dataclasses import dataclass
from types import SimpleNamespace

from .errors import ParameterError

# Plain decimal notation only: no "nan", "inf", hex or underscores, which
# float() and int() would otherwise accept.
_FLOAT_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z")
_INT_RE = re.compile(r"[+-]?\d{1,19}\Z")


def parse_float(param: str, text: str) -> float:
    if not _FLOAT_RE.match(text):
        raise ParameterError(param, f"expected a finite decimal number, got {text!r}")
    value = float(text)
    if not math.isfinite(value):
        raise ParameterError(param, f"{text!r} is too large")
    return value


def parse_int(param: str, text: str) -> int:
    if not _INT_RE.match(text):
        raise ParameterError(param, f"expected a whole number, got {text!r}")
    return int(text)


def format_number(value) -> str:
    """Shortest text that parses back to ``value``; ``5.0`` is written ``5``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


_PARSERS = {float: parse_float, int: parse_int}


@dataclass(frozen=True)
class Param:
    """One parameter of a plot.

    ``static`` parameters fix what is drawn once per pooled figure (axes,
    limits, labels); the others change per request. Bounds are inclusive,
    except that ``exclusive_minimum`` makes ``minimum`` itself invalid.
    ``count`` marks a number of points, samples or steps: the app caps it at
    its ``max_points`` setting, whatever the declared maximum.
    """

    name: str
    type: type = float
    default: float | int | None = None
    minimum: float | int | None = None
    maximum: float | int | None = None
    exclusive_minimum: bool = False
    static: bool = False
    count: bool = False
    help: str = ""

    def __post_init__(self):
        if self.type not in _PARSERS:
            raise TypeError(f"Param {self.name!r}: type must be int or float")
        if self.count and self.type is not int:
            raise TypeError(f"Param {self.name!r}: a count must be an int")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"Param name {self.name!r}: use lowercase letters, digits and _")
        if self.default is not None:
            self.check(self.default)

    def capped(self, max_points: int) -> "Param":
        """This parameter as an app with ``max_points`` serves it: a count's maximum lowered to the cap."""
        if not self.count or (self.maximum is not None and self.maximum <= max_points):
            return self
        if self.minimum is not None and self.minimum > max_points:
            raise ValueError(f"Param {self.name!r}: minimum {self.minimum} is above max_points {max_points}")
        # A default above the cap would be refused when the client leaves the value out.
        default = None if self.default is None else min(self.default, max_points)
        return dataclasses.replace(self, maximum=max_points, default=default)

    def parse(self, text: str):
        return self.check(_PARSERS[self.type](self.name, text))

    def check(self, value):
        if self.minimum is not None:
            if self.exclusive_minimum and value <= self.minimum:
                raise ParameterError(self.name, f"must be > {format_number(self.minimum)}, got {format_number(value)}")
            if value < self.minimum:
                raise ParameterError(self.name, f"must be >= {format_number(self.minimum)}, got {format_number(value)}")
        if self.maximum is not None and value > self.maximum:
            raise ParameterError(self.name, f"must be <= {format_number(self.maximum)}, got {format_number(value)}")
        return value

    def describe_bounds(self) -> str:
        low = "" if self.minimum is None else f"{'>' if self.exclusive_minimum else '>='} {format_number(self.minimum)}"
        high = "" if self.maximum is None else f"<= {format_number(self.maximum)}"
        return ", ".join(part for part in (low, high) if part)


class Values(SimpleNamespace):
    """Parsed parameter values, read as attributes: ``p.mean``."""

    def key(self) -> tuple:
        return tuple(sorted(vars(self).items()))
