"""The ``.csv`` format: the numbers a plot draws, as RFC 4180 text with a header row.

Worst case: a plot's data hook returns at most what it draws, which its parameters bound
(``max_points`` numbers for the data charts and the samples of the random built-ins); the text is
built in memory, ~20 bytes a number.
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence

from ..core.numbers import format_number


def cell(value: object) -> str:
    """A value as the query would write it: numbers shortest-exact, instants ISO 8601 in UTC, none blank."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, (int, float)):
        return format_number(value)
    if hasattr(value, "item"):  # a numpy scalar
        return cell(value.item())
    return str(value)


def encode_csv(columns: Sequence[str], rows: Iterable[Iterable[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8")
