"""The ``.csv`` format: the numbers a plot draws, as RFC 4180 text with a header row.

Worst case: a plot's data hook returns at most what it draws, which its parameters bound
(``max_points`` numbers for the data charts and the samples of the random built-ins); the text is
built in memory, ~20 bytes a number.

Text cells are neutralised against formula injection as OWASP's "CSV Injection" page recommends: a
cell that a spreadsheet would read as a formula (starting with ``=``, ``+``, ``-``, ``@``, a tab or
a carriage return) gets a leading ``'``, which spreadsheets show as text; numbers are written as
numbers (``-1.5`` stays a number).
"""

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence

from ..core.numbers import format_number

#: What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralised(text: str) -> str:
    """``text`` as a cell no spreadsheet runs: a leading ``'`` where it would start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


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
    return neutralised(str(value))


def encode_csv(columns: Sequence[str], rows: Iterable[Iterable[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(neutralised(column) for column in columns)
    writer.writerows([cell(value) for value in row] for row in rows)
    return out.getvalue().encode("utf-8")
