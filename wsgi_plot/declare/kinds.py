"""What each type of parameter is: one object per type.

A kind owns everything that depends on a parameter's type: which declaration fields apply, how
query text and JSON values are parsed and checked, the value's text form (URLs, page titles), its
pool-key form (hashable), its JSON Schema and its form control. ``Param``, the pages, the OpenAPI
document and the pool ask the kind; none of them branches on the type. A new type is a new class
here and one line in ``kind_of``.

Every parse raises ``ParameterError`` naming the parameter; nothing here returns a 5xx.
"""

import datetime as dt
import enum
import math
import re
import typing
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, Protocol, TypeVar

from ..core.errors import ParameterError
from ..core.numbers import format_number, parse_float, parse_int


class Declaration(Protocol):
    """What a kind reads of the parameter it serves: a :class:`~wsgi_plot.declare.params.Param`."""

    @property
    def name(self) -> str: ...
    @property
    def default(self) -> Any: ...
    @property
    def minimum(self) -> Any: ...
    @property
    def maximum(self) -> Any: ...
    @property
    def exclusive_minimum(self) -> bool: ...
    @property
    def exclusive_maximum(self) -> bool: ...
    @property
    def multiple_of(self) -> int | None: ...
    @property
    def count(self) -> bool: ...
    @property
    def choices(self) -> "ChoiceSource | None": ...
    @property
    def min_length(self) -> int | None: ...
    @property
    def max_length(self) -> int | None: ...
    @property
    def pattern(self) -> str | None: ...
    @property
    def min_items(self) -> int | None: ...
    @property
    def max_items(self) -> int | None: ...
    @property
    def max_series(self) -> int | None: ...
    @property
    def optional(self) -> bool: ...

    def text(self, value: Any) -> str: ...

#: The value a kind parses to (float, str, a tuple of them, ...); a Param's own is its kind's.
V = TypeVar("V")
ItemT = TypeVar("ItemT")
_In = TypeVar("_In")
_Out = TypeVar("_Out")
#: A value as a JSON body holds it, or as OpenAPI writes it: whatever ``json.loads`` returns.
JSON = Any
#: Several series of numbers: what ``list[list[float]]`` parses to.
Series = tuple[tuple[float, ...], ...]
#: A choice parameter's choices: str values, (value, label) pairs, or a mapping value -> label.
ChoiceList = Sequence[str | tuple[str, str]] | Mapping[str, str]
#: The choices as declared: a list, or a callable returning one, read once when an app serves the plot.
ChoiceSource = ChoiceList | Callable[[], ChoiceList]


class _Comparable(Protocol):
    """What inclusive and exclusive bounds need of a value: a number, a date or a datetime."""

    def __lt__(self, other: Any, /) -> bool: ...
    def __le__(self, other: Any, /) -> bool: ...
    def __gt__(self, other: Any, /) -> bool: ...


OrderedT = TypeVar("OrderedT", bound=_Comparable)

#: Free text is a title or a label, not a document: a declared max_length may not exceed this.
MAX_TEXT_LENGTH = 200
#: An unknown choice's error lists at most this many of the valid ones.
MAX_CHOICES_LISTED = 20
#: Characters refused in free text: C0 and C1 controls, line and paragraph separators, surrogates.
#: Text is drawn and shown in pages; none of these has a glyph, several change the layout.
_CONTROL_RE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
#: The same set as an ECMA-262 pattern for OpenAPI.
_NO_CONTROL_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
#: An item of a comma-separated list in a query cannot hold a comma either.
_NO_CONTROL_OR_COMMA_PATTERN = "^[^,\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}\Z", re.ASCII)
# ISO 8601 / RFC 3339: date, T, hours:minutes, optional seconds and fraction, optional offset.
_DATETIME_RE = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?"
    r"(?:([Zz])|([+-])([0-9]{2}):?([0-9]{2}))?\Z", re.ASCII)
_MAX_DATETIME_CHARS = 40


@dataclass(frozen=True)
class Control:
    """A form control as the page should write it; ``pages.py`` turns it into HTML.

    ``attrs``: ``(name, value)`` pairs, ``True`` for a bare attribute such as ``required``.
    ``options``: a select's ``(value, label)`` pairs, ``selected`` the chosen value. ``unchecked``: for a checkbox, the value a
    hidden field of the same name sends, so that an unchecked box still says "false".
    """

    element: str  # "input" or "select"
    attrs: tuple[tuple[str, str | bool], ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    selected: str = ""
    unchecked: str | None = None


def _fail(param: Declaration, message: str) -> NoReturn:
    raise ParameterError(param.name, message)


def _shown(text: str, limit: int = 40) -> str:
    """Client text quoted for an error message, cut to ``limit`` characters."""
    return repr(text[:limit]) + ("..." if len(text) > limit else "")


class ParamKind(Generic[V]):
    """The behaviour every kind provides; the defaults suit a scalar."""

    name = ""  # as messages and errors name the type
    #: Declaration fields (beyond name, type, default, static, help, optional) that apply.
    fields: frozenset[str] = frozenset()

    # Declaration fields and their replacements hold what the field does (a bound, choices): Any.
    def declare(self, param: Declaration) -> dict[str, Any]:
        """Check the declaration's own fields; returns normalised replacements (e.g. a list as a tuple)."""
        return {}

    def served(self, param: Declaration, max_points: int, max_series: int | None = None) -> dict[str, Any]:
        """Replacements that make ``param`` as an app with ``max_points`` (and ``max_series``) serves
        it ({} if none)."""
        return {}

    def normalize(self, param: Declaration, value: Any) -> V:
        """A value given in code (a default) in the form parsing gives."""
        return value

    def parse(self, param: Declaration, text: str) -> V:
        """Query text (never empty) to a checked value."""
        raise NotImplementedError

    def parse_repeated(self, param: Declaration, texts: list[str]) -> V:
        _fail(param, "given more than once")

    def from_json(self, param: Declaration, value: JSON) -> V:
        """A JSON value (never null) to a checked value."""
        raise NotImplementedError

    def check(self, param: Declaration, value: V) -> V:
        return value

    def text(self, value: V) -> str:
        return str(value)

    def key(self, value: V) -> Hashable:
        """Hashable, equal for equal values: part of a pooled figure's key."""
        return value

    def to_json(self, value: V) -> JSON:
        """The value as a JSON body writes it (OpenAPI defaults)."""
        return value

    def schema(self, param: Declaration) -> dict[str, JSON]:
        """JSON Schema of the value in a JSON body."""
        raise NotImplementedError

    def query_schema(self, param: Declaration) -> dict[str, JSON]:
        """JSON Schema of the value as OpenAPI describes a query parameter."""
        return self.schema(param)

    def query_style(self) -> dict[str, JSON]:
        return {}

    def control(self, param: Declaration, value: V | None) -> Control:
        raise NotImplementedError

    def describe(self, param: Declaration) -> str:
        """The accepted values in words, for the index page."""
        return ""

    def check_items(self, param: Declaration, items: list[V]) -> None:
        """A list's items as a whole, once each is checked (the coordinates: all numbers or all instants)."""


def _expect_json(param: Declaration, value: JSON, types: tuple[type, ...], what: str) -> None:
    if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
        _fail(param, f"expected {what}, got JSON {_json_type(value)}")


def _json_type(value: JSON) -> str:
    for kind, name in ((bool, "boolean"), (int, "number"), (float, "number"), (str, "string"), (list, "array"),
                       (dict, "object")):
        if isinstance(value, kind):
            return name
    return "null"


class _Ordered(ParamKind[OrderedT]):
    """Numbers, dates and times: inclusive bounds (``exclusive_minimum`` and ``exclusive_maximum``
    make the bound itself invalid)."""

    def declare(self, param: Declaration) -> dict[str, Any]:
        return {f: self.normalize(param, getattr(param, f)) for f in ("minimum", "maximum")
                if getattr(param, f) is not None}

    def check(self, param: Declaration, value: OrderedT) -> OrderedT:
        text = self.text
        if param.minimum is not None:
            if param.exclusive_minimum and value <= param.minimum:
                _fail(param, f"must be > {text(param.minimum)}, got {text(value)}")
            if value < param.minimum:
                _fail(param, f"must be >= {text(param.minimum)}, got {text(value)}")
        if param.maximum is not None:
            if param.exclusive_maximum and value >= param.maximum:
                _fail(param, f"must be < {text(param.maximum)}, got {text(value)}")
            if value > param.maximum:
                _fail(param, f"must be <= {text(param.maximum)}, got {text(value)}")
        return value

    def describe(self, param: Declaration) -> str:
        low = "" if param.minimum is None else f"{'>' if param.exclusive_minimum else '>='} {self.text(param.minimum)}"
        high = "" if param.maximum is None else f"{'<' if param.exclusive_maximum else '<='} {self.text(param.maximum)}"
        return ", ".join(part for part in (low, high) if part)

    def _bound_attrs(self, param: Declaration, form_text: Callable[[OrderedT], str]) -> tuple[tuple[str, str], ...]:
        return tuple((name, form_text(bound)) for name, bound in (("min", param.minimum), ("max", param.maximum))
                     if bound is not None)


class NumberKind(_Ordered[float]):
    def __init__(self, number_type: type[float]) -> None:
        self.type = number_type
        self.name = "int" if number_type is int else "float"
        self.fields = frozenset({"minimum", "maximum", "exclusive_minimum", "exclusive_maximum"}
                                | ({"count", "multiple_of"} if number_type is int else set()))

    def declare(self, param: Declaration) -> dict[str, Any]:
        step = param.multiple_of
        if step is not None and (isinstance(step, bool) or not isinstance(step, int) or step < 1):
            raise ValueError(f"Param {param.name!r}: multiple_of must be an int >= 1, got {step!r}")
        return super().declare(param)

    def check(self, param: Declaration, value: float) -> float:
        super().check(param, value)
        if param.multiple_of is not None and value % param.multiple_of:
            _fail(param, f"must be a multiple of {param.multiple_of}, got {format_number(value)}")
        return value

    def normalize(self, param: Declaration, value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float) if self.type is float else int):
            raise TypeError(f"Param {param.name!r}: {value!r} is not an {self.name}")
        if self.type is float and not math.isfinite(value):
            raise ValueError(f"Param {param.name!r}: {value!r} is not finite")
        return value  # as declared: a float parameter's maximum=100 stays 100 in OpenAPI

    def served(self, param: Declaration, max_points: int, max_series: int | None = None) -> dict[str, Any]:
        if not param.count or (param.maximum is not None and param.maximum <= max_points):
            return {}
        if param.minimum is not None and param.minimum > max_points:
            raise ValueError(f"Param {param.name!r}: minimum {param.minimum} is above max_points {max_points}")
        # A default above the cap would be refused when the client leaves the value out.
        return {"maximum": max_points, "default": None if param.default is None else min(param.default, max_points)}

    def parse(self, param: Declaration, text: str) -> float:
        return self.check(param, (parse_int if self.type is int else parse_float)(param.name, text))

    def from_json(self, param: Declaration, value: JSON) -> float:
        _expect_json(param, value, (int,) if self.type is int else (int, float),
                     "a whole number" if self.type is int else "a number")
        try:
            number = self.type(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            _fail(param, "is too large")
        return self.check(param, number)

    def text(self, value: float) -> str:
        return format_number(value)

    def schema(self, param: Declaration) -> dict[str, JSON]:
        schema: dict[str, JSON] = {"type": "integer" if self.type is int else "number"}
        if param.minimum is not None:
            schema["exclusiveMinimum" if param.exclusive_minimum else "minimum"] = param.minimum
        if param.maximum is not None:
            schema["exclusiveMaximum" if param.exclusive_maximum else "maximum"] = param.maximum
        if param.multiple_of is not None:
            schema["multipleOf"] = param.multiple_of
        return schema

    def control(self, param: Declaration, value: float | None) -> Control:
        step = "any" if self.type is float else "1"
        # A form steps from its min: a multiple_of is the step only where the min is one of its multiples.
        if param.multiple_of is not None and (param.minimum is None or param.minimum % param.multiple_of == 0):
            step = str(param.multiple_of)
        attrs = (("type", "number"), ("value", param.text(value)), ("step", step))
        return Control("input", attrs + self._bound_attrs(param, format_number) + _required(param))

    def describe(self, param: Declaration) -> str:
        step = "" if param.multiple_of is None else f"a multiple of {param.multiple_of}"
        return ", ".join(part for part in (super().describe(param), step) if part)


class BoolKind(ParamKind[bool]):
    name = "bool"
    TRUE = frozenset({"true", "1", "yes", "on"})  # "on": what a checkbox without a value sends
    FALSE = frozenset({"false", "0", "no", "off"})

    def normalize(self, param: Declaration, value: Any) -> bool:
        if not isinstance(value, bool):
            raise TypeError(f"Param {param.name!r}: {value!r} is not a bool")
        return value

    def parse(self, param: Declaration, text: str) -> bool:
        lowered = text.lower()
        if lowered in self.TRUE:
            return True
        if lowered in self.FALSE:
            return False
        _fail(param, f"expected true/false, 1/0, yes/no or on/off, got {_shown(text)}")

    def parse_repeated(self, param: Declaration, texts: list[str]) -> bool:
        # A page's form sends the hidden "false" and then, when the box is checked, the box's own value.
        if len(texts) == 2 and texts[0] == "false":
            return self.parse(param, texts[1])
        return super().parse_repeated(param, texts)

    def from_json(self, param: Declaration, value: JSON) -> bool:
        _expect_json(param, value, (bool,), "true or false")
        return value

    def text(self, value: bool) -> str:
        return "true" if value else "false"

    def schema(self, param: Declaration) -> dict[str, JSON]:
        return {"type": "boolean"}

    def control(self, param: Declaration, value: bool | None) -> Control:
        attrs = (("type", "checkbox"), ("value", "true")) + ((("checked", True),) if value else ())
        return Control("input", attrs, unchecked="false")

    def describe(self, param: Declaration) -> str:
        return "true or false"


class _StringKind(ParamKind[str]):
    """A value that is a string as given, in the query and in JSON; ``check`` says which strings."""

    def normalize(self, param: Declaration, value: Any) -> str:
        if not isinstance(value, str):
            raise TypeError(f"Param {param.name!r}: {value!r} is not a str")
        return value

    def parse(self, param: Declaration, text: str) -> str:
        return self.check(param, text)

    def from_json(self, param: Declaration, value: JSON) -> str:
        _expect_json(param, value, (str,), "a string")
        return self.check(param, value)

    def check(self, param: Declaration, value: str) -> str:
        raise NotImplementedError


class TextKind(_StringKind):
    """Free text: at most ``max_length`` characters (required, <= 200), at least ``min_length``,
    optionally matching ``pattern``."""

    name = "text"
    fields = frozenset({"min_length", "max_length", "pattern"})

    def declare(self, param: Declaration) -> dict[str, Any]:
        if not isinstance(param.max_length, int) or not 1 <= param.max_length <= MAX_TEXT_LENGTH:
            raise ValueError(f"Param {param.name!r}: free text needs max_length, 1 to {MAX_TEXT_LENGTH}")
        if param.min_length is not None and (not isinstance(param.min_length, int)
                                             or not 0 <= param.min_length <= param.max_length):
            raise ValueError(f"Param {param.name!r}: min_length must be an int from 0 to max_length")
        if param.pattern is not None:
            re.compile(param.pattern)  # a bad pattern fails here, at definition
        return {}

    def check(self, param: Declaration, value: str) -> str:
        # max_length is an int once declared (declare refuses None); the test only tells the type checker.
        if param.max_length is not None and len(value) > param.max_length:
            _fail(param, f"at most {param.max_length} characters, got {len(value)}")
        if param.min_length is not None and len(value) < param.min_length:
            _fail(param, f"at least {param.min_length} characters, got {len(value)}")
        bad = _CONTROL_RE.search(value)
        if bad:
            _fail(param, f"control character U+{ord(bad.group()):04X} at position {bad.start()} is not allowed")
        if param.pattern is not None and not re.fullmatch(param.pattern, value):
            _fail(param, f"{_shown(value)} does not match the pattern {param.pattern!r}")
        return value

    def schema(self, param: Declaration) -> dict[str, JSON]:
        pattern = _NO_CONTROL_PATTERN if param.pattern is None else f"^(?:{param.pattern})$"
        schema: dict[str, JSON] = {"type": "string", "maxLength": param.max_length, "pattern": pattern}
        if param.min_length:
            schema["minLength"] = param.min_length
        return schema

    def control(self, param: Declaration, value: str | None) -> Control:
        attrs: tuple[tuple[str, str], ...] = (("type", "text"), ("value", param.text(value)),
                                              ("maxlength", str(param.max_length)))
        if param.min_length:
            attrs += (("minlength", str(param.min_length)),)
        if param.pattern is not None:
            attrs += (("pattern", param.pattern),)
        return Control("input", attrs + _required(param))

    def describe(self, param: Declaration) -> str:
        least = f"at least {param.min_length} and " if param.min_length else ""
        described = f"text, {least}at most {param.max_length} characters"
        return described + (f", matching {param.pattern}" if param.pattern is not None else "")


class ChoiceKind(_StringKind):
    """One of ``choices``: a sequence of values (or of (value, label) pairs), a mapping value -> label,
    or a callable returning one.

    A callable is called once, when the app that serves the plot is built (``served``).
    """

    name = "choice"
    fields = frozenset({"choices"})

    def declare(self, param: Declaration) -> dict[str, Any]:
        if param.choices is None or callable(param.choices):  # (never None: kind_of made this a choice for them)
            return {}
        return {"choices": _choice_pairs(param, param.choices)}

    def served(self, param: Declaration, max_points: int, max_series: int | None = None) -> dict[str, Any]:
        if callable(param.choices):
            return {"choices": _choice_pairs(param, param.choices())}
        return {}

    def check(self, param: Declaration, value: str) -> str:
        if callable(param.choices):  # a declaration not yet served: its choices are not known
            return value
        if value not in dict(_pairs(param)):
            _fail(param, f"unknown value {_shown(value)}; choose one of {self._listed(param)}")
        return value

    def _listed(self, param: Declaration) -> str:
        values = [v for v, _ in _pairs(param)]
        listed = ", ".join(values[:MAX_CHOICES_LISTED])
        more = len(values) - MAX_CHOICES_LISTED
        return listed + (f" (and {more} more)" if more > 0 else "")

    def schema(self, param: Declaration) -> dict[str, JSON]:
        if callable(param.choices):
            return {"type": "string"}
        return {"type": "string", "enum": [v for v, _ in _pairs(param)]}

    def control(self, param: Declaration, value: str | None) -> Control:
        options = ((("", ""),) if param.optional else ()) + _pairs(param)
        return Control("select", _required(param), options, selected=param.text(value))

    def describe(self, param: Declaration) -> str:
        return f"one of {self._listed(param)}"


def _choice_pairs(param: Declaration, choices: ChoiceList) -> tuple[tuple[str, str], ...]:
    # Checked item by item: a caller without a type checker may give anything.
    items: Iterable[object] = choices.items() if isinstance(choices, Mapping) else choices  # values, or pairs
    pairs: list[tuple[str, str]] = []
    for item in items:
        value, label = item if isinstance(item, tuple) and len(item) == 2 else (item, item)
        if not isinstance(value, str) or not isinstance(label, str):
            raise TypeError(f"Param {param.name!r}: choices must be str values (and str labels), got {value!r}")
        if _CONTROL_RE.search(value) or not value or "," in value:
            raise ValueError(f"Param {param.name!r}: choice {value!r} must be non-empty, without commas or controls")
        pairs.append((value, label))
    if not pairs:
        raise ValueError(f"Param {param.name!r}: choices is empty")
    if len(dict(pairs)) != len(pairs):
        raise ValueError(f"Param {param.name!r}: a choice is listed twice")
    return tuple(pairs)


def _pairs(param: Declaration) -> tuple[tuple[str, str], ...]:
    """A served choice parameter's choices: the (value, label) pairs ``declare`` or ``served`` made of them."""
    return typing.cast(tuple[tuple[str, str], ...], param.choices)


class EnumKind(ParamKind[enum.Enum]):
    """A member of an ``Enum`` whose values are all str or all int, chosen by its value (``metric=mean``,
    ``level=2``); the plot gets the member. ``members``: the whole Enum, or the members a ``Literal`` names."""

    def __init__(self, members: tuple[enum.Enum, ...]) -> None:
        self.members = members
        self.integer = isinstance(members[0].value, int)
        self.name = f"{type(members[0]).__name__} member"
        self.by_text = {self.text(member): member for member in members}

    def normalize(self, param: Declaration, value: Any) -> enum.Enum:
        if not isinstance(value, type(self.members[0])):
            raise TypeError(f"Param {param.name!r}: {value!r} is not a member of {type(self.members[0]).__name__}")
        return value

    def parse(self, param: Declaration, text: str) -> enum.Enum:
        try:
            return self.by_text[text]
        except KeyError:
            _fail(param, f"unknown value {_shown(text)}; choose one of {self._listed()}")

    def from_json(self, param: Declaration, value: JSON) -> enum.Enum:
        if self.integer and isinstance(value, int) and not isinstance(value, bool):
            return self.parse(param, str(value))
        _expect_json(param, value, (str,), "a number or a string" if self.integer else "a string")
        return self.parse(param, value)

    def check(self, param: Declaration, value: enum.Enum) -> enum.Enum:
        if value not in self.members:
            _fail(param, f"unknown value {_shown(self.text(value))}; choose one of {self._listed()}")
        return value

    def _listed(self) -> str:
        values = list(self.by_text)
        more = len(values) - MAX_CHOICES_LISTED
        return ", ".join(values[:MAX_CHOICES_LISTED]) + (f" (and {more} more)" if more > 0 else "")

    def text(self, value: enum.Enum) -> str:
        return str(value.value)

    def to_json(self, value: enum.Enum) -> JSON:
        return value.value

    def schema(self, param: Declaration) -> dict[str, JSON]:
        return {"type": "integer" if self.integer else "string", "enum": [m.value for m in self.members]}

    def control(self, param: Declaration, value: enum.Enum | None) -> Control:
        # An int's value says little on its own: its member's name beside it.
        options = tuple((text, f"{m.name} ({text})" if self.integer else text) for text, m in self.by_text.items())
        return Control("select", _required(param), ((("", ""),) if param.optional else ()) + options,
                       selected=param.text(value))

    def describe(self, param: Declaration) -> str:
        return f"one of {self._listed()}"


def _enum_members(members: tuple[Any, ...], what: object) -> tuple[enum.Enum, ...]:
    """``members`` checked to be an Enum's, with values all str (choice-like text) or all int."""
    if not members:
        raise TypeError(f"type {what!r}: an Enum with no members")
    if len({type(m) for m in members}) > 1:
        raise TypeError(f"type {what!r}: members of one Enum, not of several")
    values = [m.value for m in members]
    if all(isinstance(v, str) for v in values):
        for value in values:
            if _CONTROL_RE.search(value) or not value or "," in value:
                raise TypeError(f"type {what!r}: value {value!r} must be non-empty, without commas or controls")
    elif not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise TypeError(f"type {what!r}: an Enum's values must be all str or all int, got {values!r}")
    return members


class DateKind(_Ordered[dt.date]):
    """A calendar date, ISO 8601 ``2024-02-29``; bounds are dates."""

    name = "date"
    fields = frozenset({"minimum", "maximum", "exclusive_minimum", "exclusive_maximum"})

    def normalize(self, param: Declaration, value: Any) -> dt.date:
        if type(value) is not dt.date:
            raise TypeError(f"Param {param.name!r}: {value!r} is not a datetime.date")
        return value

    def parse(self, param: Declaration, text: str) -> dt.date:
        if not _DATE_RE.match(text):
            _fail(param, f"expected a date YYYY-MM-DD, got {_shown(text)}")
        try:
            value = dt.date.fromisoformat(text)
        except ValueError:
            _fail(param, f"{_shown(text)} is not a date of the calendar")
        return self.check(param, value)

    def from_json(self, param: Declaration, value: JSON) -> dt.date:
        _expect_json(param, value, (str,), "a date string YYYY-MM-DD")
        return self.parse(param, value)

    def text(self, value: dt.date) -> str:
        return value.isoformat()

    def to_json(self, value: dt.date) -> str:
        return self.text(value)

    def schema(self, param: Declaration) -> dict[str, JSON]:
        return {"type": "string", "format": "date"}

    def control(self, param: Declaration, value: dt.date | None) -> Control:
        attrs = (("type", "date"), ("value", param.text(value)))
        return Control("input", attrs + self._bound_attrs(param, self.text) + _required(param))


class DateTimeKind(_Ordered[dt.datetime]):
    """An instant, ISO 8601 with an optional offset (``2024-02-29T12:00Z``); naive means UTC.
    A date alone (``2024-02-29``) is its midnight UTC.

    Values are timezone-aware datetimes in UTC, whatever offset the client wrote.
    """

    name = "datetime"
    fields = frozenset({"minimum", "maximum", "exclusive_minimum", "exclusive_maximum"})

    def normalize(self, param: Declaration, value: Any) -> dt.datetime:
        if not isinstance(value, dt.datetime):
            raise TypeError(f"Param {param.name!r}: {value!r} is not a datetime.datetime")
        return value.replace(tzinfo=dt.timezone.utc) if value.tzinfo is None else value.astimezone(dt.timezone.utc)

    def parse(self, param: Declaration, text: str) -> dt.datetime:
        return self.check(param, self.instant(param, text))

    def instant(self, param: Declaration, text: str) -> dt.datetime:
        """Text to an aware UTC datetime, unchecked against the bounds."""
        if _DATE_RE.match(text):  # a day, as people write a range: from its midnight UTC
            text += "T00:00"
        match = _DATETIME_RE.match(text) if len(text) <= _MAX_DATETIME_CHARS else None
        if not match:
            _fail(param, f"expected a date and time such as 2024-02-29T12:00:00Z, got {_shown(text)}")
        year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
        try:
            offset = dt.timedelta(0)
            if sign:
                if int(off_h) > 23 or int(off_m) > 59:
                    raise ValueError
                offset = (1 if sign == "+" else -1) * dt.timedelta(hours=int(off_h), minutes=int(off_m))
            micro = int((fraction or "0").ljust(6, "0")[:6])
            local = dt.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0), micro,
                                tzinfo=dt.timezone(offset))
            value = local.astimezone(dt.timezone.utc)
        except (ValueError, OverflowError):  # 2023-02-29, 25:00, an offset that leaves the years 1-9999
            _fail(param, f"{_shown(text)} is not a valid date and time")
        return value

    def from_json(self, param: Declaration, value: JSON) -> dt.datetime:
        _expect_json(param, value, (str,), "a date-time string such as 2024-02-29T12:00:00Z")
        return self.parse(param, value)

    def text(self, value: dt.datetime) -> str:
        return value.isoformat().replace("+00:00", "Z")

    def to_json(self, value: dt.datetime) -> str:
        return self.text(value)

    def schema(self, param: Declaration) -> dict[str, JSON]:
        return {"type": "string", "format": "date-time"}

    def control(self, param: Declaration, value: dt.datetime | None) -> Control:
        def local(instant: dt.datetime) -> str:  # what <input type="datetime-local"> shows: naive, here UTC
            return instant.replace(tzinfo=None).isoformat(timespec="seconds")

        attrs = (("type", "datetime-local"), ("value", "" if value is None else local(value)), ("step", "1"))
        return Control("input", attrs + self._bound_attrs(param, local) + _required(param))

    def describe(self, param: Declaration) -> str:
        return ", ".join(filter(None, ["UTC unless an offset is given", super().describe(param)]))


class ListKind(ParamKind[tuple[ItemT, ...]]):
    """Comma-separated items in a query (``y=1,4,9``), an array in JSON; each item is checked like a scalar.

    At least one item (or ``min_items``), at most ``max_items``, which the app caps at ``max_points``.
    """

    def __init__(self, item: ParamKind[ItemT]) -> None:
        self.item = item
        self.name = f"list of {item.name}"
        self.fields = item.fields - {"count", "multiple_of"} | {"min_items", "max_items"}

    def declare(self, param: Declaration) -> dict[str, Any]:
        if param.max_items is not None and (not isinstance(param.max_items, int) or param.max_items < 1):
            raise ValueError(f"Param {param.name!r}: max_items must be an int >= 1")
        if param.min_items is not None and (not isinstance(param.min_items, int) or param.min_items < 1
                                            or (param.max_items is not None and param.min_items > param.max_items)):
            raise ValueError(f"Param {param.name!r}: min_items must be an int from 1 to max_items")
        return self.item.declare(param)

    def served(self, param: Declaration, max_points: int, max_series: int | None = None) -> dict[str, Any]:
        changes = self.item.served(param, max_points)
        if param.max_items is None or param.max_items > max_points:
            if param.default is not None and len(param.default) > max_points:
                raise ValueError(f"Param {param.name!r}: default has more than max_points {max_points} items")
            changes["max_items"] = max_points
        return changes

    def normalize(self, param: Declaration, value: Any) -> tuple[ItemT, ...]:
        if isinstance(value, (str, bytes)) or not isinstance(value, typing.Iterable):
            raise TypeError(f"Param {param.name!r}: {value!r} is not a list")
        return tuple(self.item.normalize(param, v) for v in value)

    def parse(self, param: Declaration, text: str) -> tuple[ItemT, ...]:
        self._check_length(param, text.count(",") + 1)
        values: list[ItemT] = []
        for index, item in enumerate(text.split(","), 1):
            if not item:
                _fail(param, f"item {index} is empty")
            values.append(self._item(param, index, self.item.parse, item))
        self.item.check_items(param, values)
        return tuple(values)

    def from_json(self, param: Declaration, value: JSON) -> tuple[ItemT, ...]:
        _expect_json(param, value, (list,), "an array")
        self._check_length(param, len(value))
        values = [self._item(param, index, self.item.from_json, item) for index, item in enumerate(value, 1)]
        self.item.check_items(param, values)
        return tuple(values)

    def check(self, param: Declaration, value: tuple[ItemT, ...]) -> tuple[ItemT, ...]:
        self._check_length(param, len(value))
        for index, item in enumerate(value, 1):
            self._item(param, index, self.item.check, item)
        return value

    def _check_length(self, param: Declaration, count: int) -> None:
        least = param.min_items or 1
        if count < least:
            _fail(param, f"needs at least {least} item{'s' if least > 1 else ''}, got {count}")
        if param.max_items is not None and count > param.max_items:
            _fail(param, f"at most {param.max_items} items, got {count}")

    @staticmethod
    def _item(param: Declaration, index: int, parse: Callable[[Declaration, _In], _Out], item: _In | None) -> _Out:
        if item is None:
            _fail(param, f"item {index} is null")
        try:
            return parse(param, item)
        except ParameterError as exc:
            raise ParameterError(param.name, f"item {index}: {exc.message}") from None

    def text(self, value: tuple[ItemT, ...]) -> str:
        return ",".join(self.item.text(v) for v in value)

    def key(self, value: tuple[ItemT, ...]) -> Hashable:
        return tuple(self.item.key(v) for v in value)

    def to_json(self, value: tuple[ItemT, ...]) -> JSON:
        return [self.item.to_json(v) for v in value]

    def schema(self, param: Declaration) -> dict[str, JSON]:
        schema: dict[str, JSON] = {"type": "array", "items": self.item.schema(param), "minItems": param.min_items or 1}
        if param.max_items is not None:
            schema["maxItems"] = param.max_items
        return schema

    def query_schema(self, param: Declaration) -> dict[str, JSON]:
        schema = self.schema(param)
        if isinstance(self.item, TextKind) and param.pattern is None:  # a comma would split the item in two
            schema["items"] = {**schema["items"], "pattern": _NO_CONTROL_OR_COMMA_PATTERN}
        return schema

    def query_style(self) -> dict[str, JSON]:
        return {"style": "form", "explode": False}

    def control(self, param: Declaration, value: tuple[ItemT, ...] | None) -> Control:
        return Control("input", (("type", "text"), ("value", param.text(value))) + _required(param))

    def describe(self, param: Declaration) -> str:
        least = param.min_items or 1
        count = f"{least} to {param.max_items} items" if param.max_items is not None else f"{least} or more items"
        each = self.item.describe(param)
        return f"comma-separated, {count}" + (f", each {each}" if each else "")


class CoordinateKind(_Ordered[float | dt.datetime]):
    """A position on an axis: a number, or an instant written as ISO 8601 (``2024-02-29``,
    ``2024-02-29T12:00:00+09:00``; naive means UTC). A list holds one or the other, not both;
    ``minimum`` and ``maximum`` bound the numbers."""

    name = "number or date-time"
    fields = frozenset({"minimum", "maximum"})

    def __init__(self) -> None:
        self.number, self.instant = NumberKind(float), DateTimeKind()

    def declare(self, param: Declaration) -> dict[str, Any]:
        return self.number.declare(param)

    def normalize(self, param: Declaration, value: Any) -> float | dt.datetime:
        if isinstance(value, dt.datetime):
            return self.instant.normalize(param, value)
        return self.number.normalize(param, value)

    def parse(self, param: Declaration, text: str) -> float | dt.datetime:
        if _DATE_RE.match(text[:10]):  # a date, maybe with a time: 4-digit year, month, day
            return self.instant.instant(param, text)
        return self.number.parse(param, text)

    def from_json(self, param: Declaration, value: JSON) -> float | dt.datetime:
        if isinstance(value, str):
            return self.parse(param, value)
        return self.number.from_json(param, value)

    def check(self, param: Declaration, value: float | dt.datetime) -> float | dt.datetime:
        return value if isinstance(value, dt.datetime) else self.number.check(param, value)

    def check_items(self, param: Declaration, items: list[float | dt.datetime]) -> None:
        if len({isinstance(item, dt.datetime) for item in items}) > 1:
            _fail(param, "mixes numbers and dates; give all numbers or all dates")

    def text(self, value: float | dt.datetime) -> str:
        return self.instant.text(value) if isinstance(value, dt.datetime) else format_number(value)

    def to_json(self, value: float | dt.datetime) -> JSON:
        return self.text(value) if isinstance(value, dt.datetime) else value

    def schema(self, param: Declaration) -> dict[str, JSON]:
        return {"anyOf": [self.number.schema(param), self.instant.schema(param)]}

    def control(self, param: Declaration, value: float | dt.datetime | None) -> Control:
        return Control("input", (("type", "text"), ("value", param.text(value))) + _required(param))

    def describe(self, param: Declaration) -> str:
        bounds = self.number.describe(param)
        return (f"numbers{f' ({bounds})' if bounds else ''} or ISO 8601 dates and date-times "
                "(UTC unless an offset or Z is given)")


class SeriesKind(ParamKind[Series]):
    """Several series of numbers: in a query, the parameter repeated (``y=1,2,3&y=4,5,6``) or the
    series separated by ``;``; in JSON, an array of arrays (or one array: one series).

    At most ``max_series`` series (the app caps it at its ``max_series`` setting) and ``max_items``
    numbers in all (capped at ``max_points``).
    """

    SEPARATOR = ";"

    def __init__(self, item: ParamKind[float]) -> None:
        self.series = ListKind(item)
        self.name = f"series of {item.name}"
        self.fields = item.fields - {"count", "multiple_of"} | {"max_items", "max_series"}

    def declare(self, param: Declaration) -> dict[str, Any]:
        if param.max_series is not None and (not isinstance(param.max_series, int) or param.max_series < 1):
            raise ValueError(f"Param {param.name!r}: max_series must be an int >= 1")
        return self.series.declare(param)

    def served(self, param: Declaration, max_points: int, max_series: int | None = None) -> dict[str, Any]:
        changes = self.series.served(param, max_points)
        if max_series is not None and (param.max_series is None or param.max_series > max_series):
            if param.default is not None and len(param.default) > max_series:
                raise ValueError(f"Param {param.name!r}: default has more than max_series {max_series} series")
            changes["max_series"] = max_series
        return changes

    def normalize(self, param: Declaration, value: Any) -> Series:
        if isinstance(value, (str, bytes)) or not isinstance(value, typing.Iterable):
            raise TypeError(f"Param {param.name!r}: {value!r} is not a list of lists")
        return tuple(self.series.normalize(param, v) for v in value)

    def parse(self, param: Declaration, text: str) -> Series:
        return self.parse_repeated(param, [text])

    def parse_repeated(self, param: Declaration, texts: list[str]) -> Series:
        parts = [part for text in texts for part in text.split(self.SEPARATOR)]
        self._check_count(param, len(parts))
        return self._checked_total(param, tuple(self._series(param, i, self.series.parse, part, len(parts))
                                                for i, part in enumerate(parts, 1)))

    def from_json(self, param: Declaration, value: JSON) -> Series:
        _expect_json(param, value, (list,), "an array of numbers, or an array of such arrays")
        nested = [isinstance(item, list) for item in value]
        if not any(nested):
            value = [value]  # one series
        elif not all(nested):
            _fail(param, "mixes numbers and arrays; give one array of numbers, or an array of arrays")
        self._check_count(param, len(value))
        return self._checked_total(param, tuple(self._series(param, i, self.series.from_json, series, len(value))
                                                for i, series in enumerate(value, 1)))

    def check(self, param: Declaration, value: Series) -> Series:
        self._check_count(param, len(value))
        return self._checked_total(param, tuple(self._series(param, i, self.series.check, series, len(value))
                                                for i, series in enumerate(value, 1)))

    def _check_count(self, param: Declaration, count: int) -> None:
        if param.max_series is not None and count > param.max_series:
            _fail(param, f"at most {param.max_series} series, got {count}")

    def _checked_total(self, param: Declaration, value: Series) -> Series:
        total = sum(len(series) for series in value)
        if param.max_items is not None and total > param.max_items:
            _fail(param, f"at most {param.max_items} numbers in all series together, got {total}")
        return value

    def _series(self, param: Declaration, index: int, parse: Callable[[Declaration, _In], tuple[float, ...]], series: _In,
                count: int) -> tuple[float, ...]:
        try:
            return parse(param, series)
        except ParameterError as exc:
            if count == 1:
                raise
            raise ParameterError(param.name, f"series {index}: {exc.message}") from None

    def text(self, value: Series) -> str:
        return self.SEPARATOR.join(self.series.text(series) for series in value)

    def key(self, value: Series) -> Hashable:
        return tuple(self.series.key(series) for series in value)

    def to_json(self, value: Series) -> JSON:
        return [self.series.to_json(series) for series in value]

    def schema(self, param: Declaration) -> dict[str, JSON]:
        one = self.series.schema(param)
        many: dict[str, JSON] = {"type": "array", "items": one, "minItems": 1}
        if param.max_series is not None:
            many["maxItems"] = param.max_series
        return {"anyOf": [one, many]}

    def query_schema(self, param: Declaration) -> dict[str, JSON]:
        # Repeated in the query, each value one series as comma-separated text (or several, joined by ";").
        schema: dict[str, JSON] = {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}
        if param.max_series is not None:
            schema["maxItems"] = param.max_series
        return schema

    def query_style(self) -> dict[str, JSON]:
        return {"style": "form", "explode": True}

    def control(self, param: Declaration, value: Series | None) -> Control:
        return Control("input", (("type", "text"), ("value", param.text(value))) + _required(param))

    def describe(self, param: Declaration) -> str:
        each = self.series.item.describe(param)
        series = f"at most {param.max_series} series" if param.max_series is not None else "any number of series"
        total = f", {param.max_items} numbers in all" if param.max_items is not None else ""
        return (f"comma-separated; several series: repeat the parameter or separate them with ; "
                f"({series}{total})" + (f", each {each}" if each else ""))


class Size(typing.NamedTuple):
    """A figure's size in inches, as ``size=WIDTHxHEIGHT`` gives it."""

    width: float
    height: float


class SizeKind(ParamKind[Size]):
    """``WIDTHxHEIGHT`` in inches (``4x3``, ``2.5X1``), in the query and in JSON alike: a string.
    ``minimum`` and ``maximum`` bound each side; the value is a :class:`Size`."""

    name = "size"
    fields = frozenset({"minimum", "maximum"})
    _SIDES_RE = re.compile(r"([^xX]+)[xX]([^xX]+)\Z")
    #: The syntax as OpenAPI and forms state it: two numbers of the one number syntax, joined by x.
    #: "-" escaped in its class: browsers compile a form's pattern with the v flag, which requires it.
    _NUMBER = r"[+\-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+\-]?[0-9]+)?"
    PATTERN = f"{_NUMBER}[xX]{_NUMBER}"

    def __init__(self) -> None:
        self.side = NumberKind(float)

    def declare(self, param: Declaration) -> dict[str, Any]:
        return self.side.declare(param)

    def normalize(self, param: Declaration, value: Any) -> Size:
        if isinstance(value, (str, bytes)) or not isinstance(value, typing.Sequence) or len(value) != 2:
            raise TypeError(f"Param {param.name!r}: {value!r} is not a (width, height) pair")
        return Size(*(float(self.side.normalize(param, side)) for side in value))

    def parse(self, param: Declaration, text: str) -> Size:
        match = self._SIDES_RE.match(text)
        if not match:
            _fail(param, f"expected WIDTHxHEIGHT in inches such as 4x3, got {_shown(text)}")
        width, height = (parse_float(param.name, side) for side in match.groups())
        return self.check(param, Size(width, height))

    def from_json(self, param: Declaration, value: Any) -> Size:
        _expect_json(param, value, (str,), 'a string WIDTHxHEIGHT such as "4x3"')
        return self.parse(param, value)

    def check(self, param: Declaration, value: Size) -> Size:
        low, high = param.minimum, param.maximum
        if (low is not None and min(value) < low) or (high is not None and max(value) > high):
            _fail(param, f"each side must lie in [{format_number(low)}, {format_number(high)}] inches, "
                         f"got {self.text(value)}")
        return value

    def text(self, value: Size) -> str:
        return f"{format_number(value.width)}x{format_number(value.height)}"

    def key(self, value: Size) -> Hashable:
        return tuple(value)

    def to_json(self, value: Size) -> str:
        return self.text(value)

    def schema(self, param: Declaration) -> dict[str, Any]:
        return {"type": "string", "pattern": f"^{self.PATTERN}$"}

    def control(self, param: Declaration, value: Size | None) -> Control:
        attrs = (("type", "text"), ("value", param.text(value)), ("pattern", self.PATTERN))
        return Control("input", attrs + _required(param))

    def describe(self, param: Declaration) -> str:
        return (f"WIDTHxHEIGHT in inches, each side in [{format_number(param.minimum)}, "
                f"{format_number(param.maximum)}]")


def _required(param: Declaration) -> tuple[tuple[str, bool], ...]:
    # A form shows a parameter's default, so only an optional one, or one whose default is blank text
    # (a blank field sends nothing: the default), may be left blank.
    return () if param.optional or (isinstance(param.default, str) and not param.default) else (("required", True),)


_SCALARS: dict[object, ParamKind[Any]] = {int: NumberKind(int), float: NumberKind(float), bool: BoolKind(),
                                          dt.date: DateKind(), dt.datetime: DateTimeKind(), Size: SizeKind()}
_TEXT, _CHOICE, _COORDINATE = TextKind(), ChoiceKind(), CoordinateKind()
_LISTS: dict[Hashable, ParamKind[Any]] = {}  # one kind per item type, shared by every Param
_ENUMS: dict[tuple[enum.Enum, ...], EnumKind] = {}  # one kind per set of members

SUPPORTED = ("int, float, bool, str (with MaxLength, or one of Literal[...] / Choices(...)), an Enum of str or "
             "int values, datetime.date, datetime.datetime, list[int], list[float], list[str], "
             "list[float | datetime.datetime] (x coordinates), list[list[float]] (several series) "
             "or Size (WIDTHxHEIGHT)")


def kind_of(param_type: object, has_choices: bool) -> ParamKind[Any]:
    """The kind of a declared ``type``; ``str`` is a choice when ``choices`` are given, else free text;
    an Enum, or a ``Literal`` of some of its members, is one of its members."""
    if typing.get_origin(param_type) is list:
        (item_type,) = typing.get_args(param_type) or (None,)
        if typing.get_origin(item_type) is list:
            if typing.get_args(item_type) not in ((int,), (float,)):
                raise TypeError(f"type {param_type!r}: series hold int or float")
            series = ("series", kind_of(typing.get_args(item_type)[0], False))
            return _LISTS.setdefault(series, SeriesKind(series[1]))
        if set(typing.get_args(item_type)) == {float, dt.datetime}:
            return _LISTS.setdefault("coordinates", ListKind(_COORDINATE))
        if item_type not in (int, float, str):
            raise TypeError(f"type {param_type!r}: a list's items must be int, float or str")
        item = kind_of(item_type, has_choices)
        return _LISTS.setdefault(id(item), ListKind(item))
    if param_type is str:
        return _CHOICE if has_choices else _TEXT
    members: tuple[Any, ...] | None = None
    if isinstance(param_type, type) and issubclass(param_type, enum.Enum):
        members = tuple(param_type)
    elif typing.get_origin(param_type) is typing.Literal and all(
            isinstance(m, enum.Enum) for m in typing.get_args(param_type)):
        members = typing.get_args(param_type)
    if members is not None:
        members = _enum_members(members, param_type)
        return _ENUMS.setdefault(members, EnumKind(members))
    try:
        return _SCALARS[param_type]
    except (KeyError, TypeError):
        raise TypeError(f"type {param_type!r}: use {SUPPORTED}") from None
