"""Declared plot parameters and the strict parsing of request values.

A parameter is declared once; its kind (``kinds.py``, one object per type) gives validation, the
error message, the text and pool-key forms, the HTML form control and the OpenAPI schema.
"""

import dataclasses
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from ..core.errors import ParameterError
from ..core.numbers import format_number, parse_float, parse_int
from .kinds import JSON, ChoiceSource, Control, ParamKind, kind_of

__all__ = ["Param", "Values", "Control", "format_number", "parse_float", "parse_int", "parse_values"]

#: Declaration fields that only some kinds use (``ParamKind.fields`` names those it reads).
_KIND_FIELDS = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum", "multiple_of", "count", "choices",
                "min_length", "max_length", "pattern", "min_items", "max_items", "max_series")


@dataclass(frozen=True)
class Param:
    """One parameter of a plot.

    ``type``: int, float, bool, str (free text with ``max_length`` and an optional ``pattern``, or
    one of ``choices``), ``datetime.date``, ``datetime.datetime`` (naive means UTC),
    ``list[int]``, ``list[float]``, ``list[str]`` (at most ``max_items``, capped at the app's
    ``max_points``), ``list[float | datetime.datetime]`` (coordinates: all numbers or all instants)
    or ``list[list[float]]`` (several series: at most ``max_series``, capped at the app's
    ``max_series``, and ``max_items`` numbers in all).

    An ``Enum`` whose values are all str or all int (or a ``Literal`` of some of its members) is one
    of its members: chosen by its value, given to the plot as the member.

    ``static`` parameters fix what is drawn once per pooled figure (axes, limits, labels); the
    others change per request. Bounds are inclusive, except that ``exclusive_minimum`` and
    ``exclusive_maximum`` make the bound itself invalid. ``count`` marks a number of points, samples or steps: the app caps
    it at its ``max_points`` setting, whatever the declared maximum. With no ``default`` the
    parameter is required, unless ``optional``: then it is None when the request leaves it out.
    """

    # A parameter's values (its default, bounds, parsed values) are of the type it declares at run
    # time, which the kind checks: Param is not generic over it, so they are Any here.
    name: str
    type: Any = float  # a type form (int, list[float], ...): no static type holds them all
    default: Any = None
    minimum: Any = None
    maximum: Any = None
    exclusive_minimum: bool = False
    static: bool = False
    count: bool = False
    help: str = ""
    choices: ChoiceSource | None = None  # pairs (value, label) once declared, unless a callable
    max_length: int | None = None  # free text, or each item of a list[str]
    pattern: str | None = None  # free text: a regular expression the whole value must match
    max_items: int | None = None  # lists; for series, the numbers of all series together
    max_series: int | None = None  # series (list[list[float]]), capped at the app's max_series
    optional: bool = False
    exclusive_maximum: bool = False  # the maximum itself is invalid
    multiple_of: int | None = None  # an int: a multiple of this
    min_length: int | None = None  # free text, or each item of a list[str]
    min_items: int | None = None  # lists
    kind: ParamKind[Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z][a-z0-9_]*", self.name):
            raise ValueError(f"Param name {self.name!r}: use lowercase letters, digits and _")
        try:
            kind = kind_of(self.type, self.choices is not None)
        except TypeError as exc:
            raise TypeError(f"Param {self.name!r}: {exc}") from None
        object.__setattr__(self, "kind", kind)
        for name in _KIND_FIELDS:
            if getattr(self, name) != _UNSET[name] and name not in kind.fields:
                raise TypeError(f"Param {self.name!r}: {name} does not apply to a {kind.name} parameter")
        for name, value in kind.declare(self).items():
            object.__setattr__(self, name, value)
        if self.default is not None:
            object.__setattr__(self, "default", kind.normalize(self, self.default))
            try:
                self.check(self.default)
            except ParameterError as exc:  # a mistake in code, not in a request
                raise ValueError(f"Param {self.name!r}: the default {exc.message}") from None

    @property
    def required(self) -> bool:
        return self.default is None and not self.optional

    def capped(self, max_points: int, max_series: int | None = None) -> "Param":
        """This parameter as an app with ``max_points`` serves it: counts and list lengths capped at
        ``max_points``, series at ``max_series``, choices given as a callable read (once)."""
        changes = self.kind.served(self, max_points, max_series)
        return dataclasses.replace(self, **changes) if changes else self

    def parse(self, raw: str | list[str]) -> Any:
        """Query text, or a list of texts when the query repeats the name, to a checked value."""
        if isinstance(raw, list):
            return self.kind.parse_repeated(self, raw)
        return self.kind.parse(self, raw)

    def parse_json(self, value: JSON) -> Any:
        """A value from a JSON body (not null) to a checked value."""
        return self.kind.from_json(self, value)

    def check(self, value: Any) -> Any:
        return self.kind.check(self, value)

    def text(self, value: Any) -> str:
        """The value as a query writes it; "" for an optional parameter left out."""
        return "" if value is None else self.kind.text(value)

    def key(self, value: Any) -> Hashable:
        """Hashable form of the value, for the figure pool's key."""
        return None if value is None else self.kind.key(value)

    def schema(self, query: bool = False) -> dict[str, JSON]:
        """JSON Schema of the value in a JSON body, or (``query``) as query text; with the default."""
        schema = self.kind.query_schema(self) if query else self.kind.schema(self)
        if self.default is not None:
            schema["default"] = self.kind.to_json(self.default)
        return schema

    def control(self, value: Any) -> Control:
        return self.kind.control(self, value)

    def describe_bounds(self) -> str:
        return self.kind.describe(self)


#: Each of those fields' "not given" value: its default in the declaration above.
_UNSET = {field.name: field.default for field in dataclasses.fields(Param) if field.name in _KIND_FIELDS}


class Values(SimpleNamespace):
    """Parsed parameter values, read as attributes: ``p.mean``."""


def parse_values(args: Mapping[str, Any], params: Iterable[Param], *, from_json: bool = False) -> dict[str, Any]:
    """Each of ``params`` read from ``args`` (query text, or a JSON body's values when ``from_json``):
    checked, its default where left out (None counts as left out), a 400 naming a required one left
    out. What a plot's parameters and a format's options are both parsed by."""
    values = {}
    for param in params:
        raw = args.get(param.name)
        if raw is not None:
            values[param.name] = param.parse_json(raw) if from_json else param.parse(raw)
        elif param.required:
            raise ParameterError(param.name, "is required")
        else:
            values[param.name] = param.default
    return values

