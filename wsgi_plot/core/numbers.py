"""The number syntax of every query value: plain ASCII decimal notation, nothing Python adds.

``float()`` and ``int()`` accept far more than a URL should carry: ``nan``, ``inf``, ``1_000``,
surrounding blanks and any Unicode digit (``٥``, ``１``). One syntax for all numbers instead:

* an optional sign, ``+`` or ``-`` (``-0`` is zero);
* ASCII digits ``0-9``, leading zeros allowed (``007`` is 7) and, for real numbers, a decimal
  point and an exponent (``1.5``, ``.5``, ``5.``, ``2e-3``);
* at most ``MAX_NUMBER_CHARS`` characters, so converting the text costs no more than its bounds
  check; the value is then held to the parameter's bounds, which say what is too large.
"""

import math
import re

from .errors import ParameterError

#: Long enough for any float's shortest text (24 characters) and an integer of 2**63 padded
#: with zeros; short enough that int() of it is instant.
MAX_NUMBER_CHARS = 40

# re.ASCII and [0-9], not \d: \d would match every Unicode digit.
_FLOAT_RE = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z", re.ASCII)
_INT_RE = re.compile(r"[+-]?[0-9]+\Z", re.ASCII)


def parse_float(param: str, text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS or not _FLOAT_RE.match(text):
        raise ParameterError(param, f"expected a finite decimal number, got {text[:MAX_NUMBER_CHARS]!r}")
    value = float(text)
    if not math.isfinite(value):
        raise ParameterError(param, f"{text!r} is too large")
    return value


def parse_int(param: str, text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS or not _INT_RE.match(text):
        raise ParameterError(param, f"expected a whole number, got {text[:MAX_NUMBER_CHARS]!r}")
    return int(text)


def format_number(value: float) -> str:
    """Shortest text that parses back to ``value``; ``5.0`` is written ``5``."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
