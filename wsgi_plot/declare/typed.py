"""Plots declared by type hints: an annotated function (a full draw) or class (init, load, update).

Each parameter's annotation is read once, at registration, into a :class:`~wsgi_plot.declare.params.Param`,
so parsing, the page form, the OpenAPI schema, the pool key and the fast path are those of the
explicit ``Plot(name, params, ...)`` form, which this module only writes for the user::

    @registry.plot("heat", title="Heat map")
    def heat(fig: Figure, rng: Generator, n: Annotated[int, Range(2, 50)] = 10) -> None: ...

Arguments annotated ``Figure``, ``Generator`` or ``Frame`` are injected; every other one is a
request parameter. A wrong declaration raises TypeError or ValueError naming the plot and the
parameter when the plot is registered, not when a request arrives.
"""

import dataclasses
import enum
import functools
import inspect
import operator
import re
import types
import typing
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import matplotlib.artist
import matplotlib.axes
import matplotlib.axis
import matplotlib.container
import matplotlib.figure
import numpy as np

from ..core.frame import Frame
from .kinds import ChoiceSource
from .params import Param, Values
from .plot import Plot

#: What a class plot keeps and the pipeline redraws: an artist, or a container of them (bars).
_Artist = matplotlib.artist.Artist | matplotlib.container.Container

__all__ = ["Choices", "Count", "Help", "MaxItems", "MaxLength", "MaxSeries", "Pattern", "Range", "Static",
           "typed_plot"]


# -- markers: what a type alone cannot say, written in Annotated[...] -------------------------


@dataclass(frozen=True)
class Range:
    """Inclusive bounds of a number, date or datetime; ``exclusive_minimum`` refuses ``minimum`` itself."""

    minimum: Any = None
    maximum: Any = None
    exclusive_minimum: bool = False


@dataclass(frozen=True)
class MaxLength:
    """Free text (or each item of a ``list[str]``): at most ``length`` characters (required for text)."""

    length: int


@dataclass(frozen=True)
class Pattern:
    """Free text must match this regular expression, as a whole."""

    regex: str


@dataclass(frozen=True)
class MaxItems:
    """A list: at most ``count`` items (the app caps it at its ``max_points`` anyway)."""

    count: int


@dataclass(frozen=True)
class MaxSeries:
    """Several series (``list[list[float]]``): at most ``count`` of them (capped at the app's ``max_series``)."""

    count: int


@dataclass(frozen=True)
class Choices:
    """A ``str`` that is one of these: a sequence, a mapping value -> label (the select's text), or a
    callable returning one, called once when the app is built. ``Literal[...]`` is the static spelling."""

    choices: ChoiceSource


@dataclass(frozen=True)
class Help:
    """The parameter's description, shown beside its form control and in OpenAPI."""

    text: str


class _Marker:
    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: A class plot's parameter that ``init`` depends on: part of the pooled figure's key.
Static = _Marker("Static")
#: An int that counts points, samples or steps: capped at the app's ``max_points``.
Count = _Marker("Count")

#: Marker type -> the Param fields it sets (those it leaves at their defaults are not set, so that
#: two markers setting the same field are told apart from two that set different ones).
_FIELDS: dict[type, Callable[[Any], dict[str, Any]]] = {
    Range: lambda m: {k: v for k, v in (("minimum", m.minimum), ("maximum", m.maximum),
                                        ("exclusive_minimum", m.exclusive_minimum)) if v is not None and v is not False},
    MaxLength: lambda m: {"max_length": m.length},
    Pattern: lambda m: {"pattern": m.regex},
    MaxItems: lambda m: {"max_items": m.count},
    MaxSeries: lambda m: {"max_series": m.count},
    Choices: lambda m: {"choices": m.choices},
    Help: lambda m: {"help": m.text},
}

#: annotated-types markers (what pydantic and FastAPI build on) by class name -> the Param fields they
#: set. ``MinLen`` and ``MaxLen`` bound a text's characters or a list's items: which of the two
#: (``_LENGTHS``) once the type is known. Recognised by their module wherever a plot's code imported
#: them: wsgi_plot does not depend on annotated-types.
_ANNOTATED_TYPES: dict[str, Callable[[Any], dict[str, Any]]] = {
    "Ge": lambda m: {"minimum": m.ge},
    "Gt": lambda m: {"minimum": m.gt, "exclusive_minimum": True},
    "Le": lambda m: {"maximum": m.le},
    "Lt": lambda m: {"maximum": m.lt, "exclusive_maximum": True},
    "MultipleOf": lambda m: {"multiple_of": m.multiple_of},
    "MinLen": lambda m: {"least": m.min_length},
    "MaxLen": lambda m: {"most": m.max_length},
}
#: Those two, once the type is known: a list's items, or a text's characters.
_LENGTHS = {"least": ("min_items", "min_length"), "most": ("max_items", "max_length")}

#: Attributes by which metadata of another library says it constrains a value (pydantic, FastAPI,
#: msgspec, ...): such a marker is refused, since wsgi_plot would not enforce it.
_CONSTRAINT_ATTRIBUTES = ("ge", "gt", "le", "lt", "multiple_of", "min_length", "max_length", "pattern", "regex",
                          "max_digits", "decimal_places", "min_items", "max_items", "allow_inf_nan", "strict")

#: What a refused foreign marker's message offers instead.
_MARKERS_HELP = ("write the constraints as markers in Annotated[...]: annotated_types' Ge, Gt, Le, Lt, Interval, "
                 "MultipleOf (int), MinLen, MaxLen, or wsgi_plot's Range, MaxLength, Pattern, MaxItems, Help; "
                 "the default as the argument's default")

#: Annotations of the values wsgi_plot passes in, by the name of the keyword that receives them.
_INJECTED: dict[type, str] = {matplotlib.figure.Figure: "fig", np.random.Generator: "rng", Frame: "frame"}


def _injected(annotation: Any) -> str | None:
    """"fig", "rng" or "frame" for an injected type, else None (by identity: an Annotated form holding
    a list is unhashable)."""
    return next((what for kind, what in _INJECTED.items() if annotation is kind), None)


def _is_annotated_types(marker: Any) -> bool:
    return type(marker).__module__ == "annotated_types" or getattr(marker, "__is_annotated_types_grouped_metadata__",
                                                                     False)


def _flattened(markers: list[Any]) -> list[Any]:
    """Grouped annotated-types markers (``Interval``, ``Len``) as the markers they stand for."""
    flat: list[Any] = []
    for marker in markers:
        if getattr(marker, "__is_annotated_types_grouped_metadata__", False) and not isinstance(marker, type):
            flat.extend(marker)
        else:
            flat.append(marker)
    return flat


def _foreign(where: str, marker: Any) -> None:
    """Refuse metadata of another library that constrains the value: wsgi_plot would drop its rules."""
    cls = type(marker)
    if any(c.__name__ == "FieldInfo" and c.__module__.startswith("pydantic") for c in cls.__mro__):
        equivalent = [repr(m) for m in getattr(marker, "metadata", ()) if _is_annotated_types(m)]
        equivalent += [f"Pattern({m.pattern!r})" for m in getattr(marker, "metadata", ())
                       if isinstance(getattr(m, "pattern", None), str)]
        if isinstance(getattr(marker, "description", None), str):
            equivalent.append(f"Help({marker.description!r})")
        said = f": here Annotated[..., {', '.join(equivalent)}]" if equivalent else ""
        raise TypeError(f"{where}: {cls.__module__}.{cls.__name__}(...) is not read by wsgi_plot, and its rules "
                        f"would be dropped; {_MARKERS_HELP}{said}")
    if _is_annotated_types(marker):
        raise TypeError(f"{where}: {marker!r} is an annotated_types marker wsgi_plot cannot enforce; "
                        f"{_MARKERS_HELP}")
    given = [a for a in _CONSTRAINT_ATTRIBUTES
             if getattr(marker, a, None) is not None and getattr(marker, a, None) is not False]
    if given and not isinstance(marker, type):
        raise TypeError(f"{where}: {cls.__module__}.{cls.__name__} constrains the value ({', '.join(given)}) in a "
                        f"way wsgi_plot does not read, and would be dropped; {_MARKERS_HELP}")


def _marker_fields(where: str, marker: Any) -> dict[str, Any] | None:
    """The Param fields a known marker sets; None for metadata that constrains nothing (left alone)."""
    if type(marker) in _FIELDS:
        return _FIELDS[type(marker)](marker)
    if _is_annotated_types(marker) and type(marker).__name__ in _ANNOTATED_TYPES:
        return _ANNOTATED_TYPES[type(marker).__name__](marker)
    _foreign(where, marker)
    return None  # other metadata belongs to other tools (PEP 593): documentation, say


def _choices_checked(where: str, choices: Any) -> None:
    """``Choices(...)``: a sequence of str (or of (value, label) pairs), a mapping, or a callable."""
    if isinstance(choices, type) and issubclass(choices, enum.Enum):
        raise TypeError(f"{where}: annotate it with the Enum itself ({choices.__name__}), not Choices"
                        f"({choices.__name__}): the plot then gets the member")
    if isinstance(choices, (str, bytes)) or not (isinstance(choices, (Sequence, Mapping)) or callable(choices)):
        raise TypeError(f"{where}: Choices takes a list or tuple of str, a mapping value -> label, or a callable "
                        f"returning one; got {type(choices).__name__}")


# -- from annotations to Params -------------------------------------------------------------


def _param(plot: str, name: str, annotation: Any, default: Any, *, allow_static: bool) -> Param:
    """The Param an annotated parameter declares; TypeError or ValueError naming it if it cannot be one."""
    where = f"plot {plot!r}, parameter {name!r}"
    base, markers, optional = annotation, [], False
    while True:  # Annotated[X | None, ...] and Annotated[X, ...] | None alike
        if typing.get_origin(base) is typing.Annotated:
            base, *rest = typing.get_args(base)
            markers += rest
            continue
        base, without_none = _without_none(base)
        if not without_none:
            break
        optional = True
    fields: dict[str, Any] = {}
    seen: set[Any] = set()
    for marker in _flattened(markers):
        key = marker if isinstance(marker, _Marker) else type(marker)
        if key in seen:
            raise TypeError(f"{where}: {key!r} given twice")
        seen.add(key)
        if marker is Static:
            if not allow_static:
                raise TypeError(f"{where}: Static applies to a class plot's attributes (a function is drawn in full)")
            fields["static"] = True
        elif marker is Count:
            fields["count"] = True
        else:
            if isinstance(marker, Choices):
                _choices_checked(where, marker.choices)
            for field, value in (_marker_fields(where, marker) or {}).items():
                if field in fields:
                    raise TypeError(f"{where}: {field} given twice (by {marker!r} and another marker)")
                fields[field] = value
    if optional:
        if default is not None:
            raise ValueError(f"{where}: an optional parameter (X | None) has the default None, not {default!r}")
        fields["optional"] = True
    if typing.get_origin(base) is Literal:
        values = typing.get_args(base)
        if "choices" in fields:
            raise TypeError(f"{where}: give Literal[...] or Choices(...), not both")
        if not all(isinstance(v, enum.Enum) for v in values):  # members of an Enum: kinds.EnumKind
            if not all(isinstance(v, str) for v in values):
                raise TypeError(f"{where}: Literal choices must be str, or members of one Enum, got {values!r}")
            base, fields["choices"] = str, values
    for length, (of_list, of_text) in _LENGTHS.items():
        if length in fields:
            field = of_list if typing.get_origin(base) is list else of_text
            if field in fields:
                raise TypeError(f"{where}: {field} given twice (by MinLen/MaxLen and another marker)")
            fields[field] = fields.pop(length)
    if _injected(base):
        raise TypeError(f"{where}: a {_injected(base)} is not a request parameter")
    if base is str and "choices" not in fields and "max_length" not in fields:
        raise TypeError(f"{where}: free text needs Annotated[str, MaxLength(n)] (or MaxLen(n)), or is one of "
                        "Literal[...], Choices(...) or an Enum")
    try:
        return Param(name, base, default, **fields)
    except (TypeError, ValueError) as exc:
        message = str(exc).removeprefix(f"Param {name!r}: ")
        if message.startswith("type "):  # an unsupported type: what would do instead
            message += ("; for one of a few values, Literal[...], Choices(...) or an Enum"
                        + (f"; for state that is not a request parameter, name it _{name} or annotate it ClassVar[...]"
                           if allow_static else ""))
        raise type(exc)(f"{where}: {message}") from None


def _without_none(annotation: Any) -> tuple[Any, bool]:
    """``(X, True)`` for ``X | None`` or ``Optional[X]``; ``(annotation, False)`` otherwise."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return annotation, False
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if len(args) == len(typing.get_args(annotation)):
        return annotation, False
    return functools.reduce(operator.or_, args), True


def _hints(obj: Any, plot: str) -> dict[str, Any]:
    try:
        return typing.get_type_hints(obj, include_extras=True)
    except (NameError, AttributeError, TypeError, SyntaxError) as exc:  # a name it uses is not defined: say which plot
        raise TypeError(f"plot {plot!r}: cannot read the annotations of {obj!r}: {exc}") from None


@dataclass(frozen=True)
class _Signature:
    """How to call a function or method: which keyword gets which injected value, which are parameters."""

    injected: dict[str, str]  # keyword -> "fig" | "rng" | "frame"
    params: tuple[str, ...]  # keywords that are request parameters, in order

    def kwargs(self, values: Values, fig: matplotlib.figure.Figure | None = None,
               rng: np.random.Generator | None = None, frame: Frame | None = None) -> dict[str, Any]:
        given = {"fig": fig, "rng": rng, "frame": frame}
        return {**{k: given[v] for k, v in self.injected.items()}, **{p: getattr(values, p) for p in self.params}}

    def takes(self, what: str) -> bool:
        return what in self.injected.values()


def _signature(plot: str, function: Callable[..., Any], *, method: bool, allowed: frozenset[str],
               params: list[Param] | None = None) -> _Signature:
    """Read ``function``'s arguments: injected ones (only ``allowed`` kinds) and, given ``params``,
    request parameters appended to it; a method's arguments are all injected."""
    hints = _hints(function, plot)
    what = f"plot {plot!r}, {function.__qualname__}"
    injected: dict[str, str] = {}
    names: list[str] = []
    arguments = list(inspect.signature(function).parameters.values())[1 if method else 0:]
    for argument in arguments:
        if argument.kind in (argument.VAR_POSITIONAL, argument.VAR_KEYWORD, argument.POSITIONAL_ONLY):
            raise TypeError(f"{what}: argument {argument.name!r} must be a plain named argument")
        if argument.name not in hints:
            raise TypeError(f"{what}: argument {argument.name!r} has no annotation; annotate it with its type "
                            "(Figure, Generator, Frame, or a parameter type)")
        hint = hints[argument.name]
        bare, _ = _without_none(hint)  # Frame | None: None for a still image
        kind = _injected(bare)
        if kind is not None:
            if kind not in allowed:
                raise TypeError(f"{what}: argument {argument.name!r}: a {kind} is not given here")
            if kind in injected.values():
                raise TypeError(f"{what}: argument {argument.name!r}: a second {kind}")
            injected[argument.name] = kind
        elif params is None:
            raise TypeError(f"{what}: argument {argument.name!r}: only Figure, Generator or Frame are given here; "
                            "parameters are the class's annotated attributes")
        else:
            default = None if argument.default is argument.empty else argument.default
            params.append(_param(plot, argument.name, hint, default, allow_static=False))
            names.append(argument.name)
    return _Signature(injected, tuple(names))


# -- the function form: a full draw -----------------------------------------------------------


def _function_plot(name: str, function: Callable[..., Any], options: dict[str, Any]) -> Plot:
    params: list[Param] = []
    call = _signature(name, function, method=False, allowed=frozenset({"fig", "rng", "frame"}), params=params)
    if not call.takes("fig"):
        raise TypeError(f"plot {name!r}: {function.__qualname__} takes no Figure argument to draw on")

    def draw(fig: matplotlib.figure.Figure, values: Values, rng: np.random.Generator,
             frame: Frame | None = None) -> None:
        function(**call.kwargs(values, fig, rng, frame))

    defaults = {"random": call.takes("rng"), "update_takes_frame": call.takes("frame"),
                "description": _doc(function)}
    return Plot(name, params, draw=draw, **{**defaults, **_hooks(name, options, params)})


def _refuse_async(plot: str, function: Any, what: str) -> None:
    """A coroutine function would return an unawaited coroutine: the figure drawn by nothing."""
    if inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function):
        raise TypeError(f"plot {plot!r}: {what} is async; plots are drawn by a plain function (write def, not "
                        "async def: a coroutine would never run), and load reads data outside the draw lock")


#: The hooks an option may give, and how many values the explicit form passes them: (params) or (params, rng).
_HOOK_ARGUMENTS = {"check": 1, "describe": 1, "data": 2}


def _hooks(plot: str, options: dict[str, Any], params: list[Param]) -> dict[str, Any]:
    """``options`` with its hooks (``check``, ``describe``, ``data``) as Plot calls them.

    A hook takes the plot's parameters by name (``def data(start: date, end: date)``; ``data`` may
    add ``rng: Generator``), as the plot's own function does, or the explicit form's values
    (``check(params)``, ``describe(params)``, ``data(params, rng)``). Anything else is refused here.
    """
    names = {p.name for p in params}
    hooks = dict(options)
    for hook, count in _HOOK_ARGUMENTS.items():
        function = options.get(hook)
        if function is None:
            continue
        what = f"its {hook} hook {getattr(function, '__qualname__', function)!r}"
        if not callable(function):
            raise TypeError(f"plot {plot!r}: {what} is not callable")
        _refuse_async(plot, function, what)
        try:
            arguments = list(inspect.signature(function).parameters.values())
        except (TypeError, ValueError):  # a builtin without a signature: taken as the explicit form
            continue
        takes = [a.name for a in arguments if a.kind not in (a.VAR_POSITIONAL, a.VAR_KEYWORD)]
        by_name = [n for n in takes if n in names]
        rng = [n for n in takes if hook == "data" and n not in names and
               (n == "rng" or _injected(_hints(function, plot).get(n)) == "rng")]
        if by_name or len(rng) == len(takes):  # by name (or nothing at all: a constant alt text, say)
            unknown = [n for n in takes if n not in names and n not in rng]
            if unknown:
                raise TypeError(f"plot {plot!r}: {what} takes {', '.join(map(repr, unknown))}, not a parameter of "
                                f"the plot; its parameters are {', '.join(sorted(names))}"
                                + (", and rng: Generator" if hook == "data" else ""))
            hooks[hook] = _typed_hook(function, by_name, rng[0] if rng else None)
            continue
        try:
            inspect.signature(function).bind(*range(count))
        except TypeError:
            explicit = "params, rng" if count == 2 else "params"
            raise TypeError(f"plot {plot!r}: {what} takes ({', '.join(takes)}); give it the plot's parameters by "
                            f"name ({', '.join(sorted(names)) or 'it has none'}"
                            + (", and rng: Generator" if hook == "data" else "")
                            + f"), or the explicit form {hook}({explicit})") from None
    return hooks


def _typed_hook(function: Callable[..., Any], names: list[str], rng: str | None) -> Callable[..., Any]:
    """A hook that takes parameters by name, as Plot calls it: ``(values)`` or, with ``rng``, ``(values, rng)``."""
    def hook(values: Values, generator: np.random.Generator | None = None) -> Any:
        return function(**{n: getattr(values, n) for n in names}, **({rng: generator} if rng else {}))

    return hook


# -- the class form: init once per pooled figure, load and update per request -------------------


class TypedArtists(list[_Artist]):
    """What a class plot's ``init`` hands the pipeline: its changing artists, and the instance
    that keeps them (the pipeline passes this back to load and update)."""

    # instance: of the user's class, whose methods are called by name.
    def __init__(self, instance: Any, artists: list[_Artist]) -> None:
        super().__init__(artists)
        self.instance = instance


class _NotKnownYet(AttributeError):
    """A request parameter read in ``init``."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name!r} is not known yet: init sees the Static parameters only; mark it Static, or "
                         "read it in load or update")
        self.name = name


class _NotYet:
    """A request parameter of a class plot: read in ``init`` (before any request set it) it raises,
    instead of quietly giving the class default that the next request may change."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        try:
            return instance.__dict__[self.name]
        except KeyError:
            raise _NotKnownYet(self.name) from None

    def __set__(self, instance: Any, value: Any) -> None:
        instance.__dict__[self.name] = value


#: Methods a class plot may define, and the injected values each may take.
_METHODS = {"init": frozenset({"fig"}), "load": frozenset(), "update": frozenset({"rng", "frame"}),
            "draw": frozenset({"fig", "rng", "frame"}), "check": frozenset(), "data": frozenset({"rng"}),
            "describe": frozenset()}


def _class_plot(name: str, cls: type, options: dict[str, Any]) -> Plot:
    incremental = callable(getattr(cls, "init", None)) or callable(getattr(cls, "update", None))
    if incremental == callable(getattr(cls, "draw", None)):
        raise TypeError(f"plot {name!r}: class {cls.__qualname__} needs init and update, or draw (not both)")
    if incremental and not (callable(getattr(cls, "init", None)) and callable(getattr(cls, "update", None))):
        raise TypeError(f"plot {name!r}: class {cls.__qualname__} needs both init and update")
    if not incremental and callable(getattr(cls, "load", None)):
        raise TypeError(f"plot {name!r}: load needs init and update (a full draw keeps nothing between requests)")
    params = _class_params(name, cls)
    if not incremental and any(p.static for p in params):
        raise TypeError(f"plot {name!r}: Static applies to init; a class with draw is drawn in full")
    calls = {method: _signature(name, getattr(cls, method), method=True, allowed=allowed)
             for method, allowed in _METHODS.items() if callable(getattr(cls, method, None))}
    if incremental and not calls["init"].takes("fig"):
        raise TypeError(f"plot {name!r}: {cls.__qualname__}.init takes no Figure argument to draw on")
    names = [p.name for p in params]
    static = [p.name for p in params if p.static]
    # Non-static parameters become descriptors: read in init they raise instead of giving the class default.
    served = type(cls.__name__, (cls,), {n: _NotYet(n) for n in names if n not in static})
    served.__qualname__ = cls.__qualname__

    def instance(values: Values, only: list[str] | None = None) -> Any:
        made = served()
        for key in (only if only is not None else names):
            setattr(made, key, getattr(values, key))
        return made

    def with_values(made: Any, values: Values) -> Any:
        for key in names:
            setattr(made, key, getattr(values, key))
        return made

    hooks: dict[str, Any] = {}
    if incremental:
        def init(fig: matplotlib.figure.Figure, static_values: Values) -> TypedArtists:
            made = instance(static_values, list(vars(static_values)))  # static parameters and the shape
            made.init(**calls["init"].kwargs(Values(), fig))
            return TypedArtists(made, _artists_of(made, names))

        def update(artists: TypedArtists, values: Values, rng: np.random.Generator, frame: Frame | None = None) -> None:
            made = with_values(artists.instance, values)
            made.update(**calls["update"].kwargs(Values(), rng=rng, frame=frame))

        hooks.update(init=init, update=update, update_takes_frame=calls["update"].takes("frame"))
        if "load" in calls:
            def load(artists: TypedArtists, values: Values) -> None:
                with_values(artists.instance, values).load()

            hooks["load"] = load
    else:
        def draw(fig: matplotlib.figure.Figure, values: Values, rng: np.random.Generator,
                 frame: Frame | None = None) -> None:
            instance(values).draw(**calls["draw"].kwargs(Values(), fig, rng, frame))

        hooks.update(draw=draw, update_takes_frame=calls["draw"].takes("frame"))
    if "check" in calls:
        hooks["check"] = lambda values: instance(values).check()
    if "describe" in calls:
        hooks["describe"] = lambda values: instance(values).describe()
    if "data" in calls:
        def data(values: Values, rng: np.random.Generator) -> Any:
            made = instance(values)
            if "load" in calls:  # the same rows the image draws, read the same way
                made.load()
            return made.data(**calls["data"].kwargs(Values(), rng=rng))

        hooks["data"] = data
    takes_rng = any(call.takes("rng") for call in calls.values())
    defaults = {"random": takes_rng, "description": _doc(cls)}
    plot = Plot(name, params, **{**defaults, **hooks, **_hooks(name, options, params)})
    if incremental:
        _dry_run(plot, cls)
    return plot


def _dry_run(plot: Plot, cls: type) -> None:
    """Run ``init`` once, on a figure of its own, with the defaults: one that reads a parameter that is
    not ``Static`` is refused now, not on every request. Skipped where a static parameter (or the
    shape's input) has no default; any other failure is left for a request to report, with its plot
    and request id (init may need what only a running app has, a database)."""
    if any(p.required for p in plot.params if p.static or plot.shape is not None):
        return  # nothing to run it with
    assert plot.init is not None  # an incremental plot
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            static = plot.static_values(Values(**{p.name: p.default for p in plot.params}))
            plot.init(matplotlib.figure.Figure(), static)
    except _NotKnownYet as exc:
        raise TypeError(f"plot {plot.name!r}: {cls.__qualname__}.init reads {exc.name!r}, a request parameter that "
                        f"init cannot know (it runs once per pooled figure); mark it Static, or read it in load "
                        f"or update (checked by running init once with the defaults)") from None
    except Exception:  # noqa: BLE001 - what else init needs is the request's business, not registration's
        return


def _class_params(name: str, cls: type) -> list[Param]:
    params = []
    for attribute, hint in _hints(cls, name).items():
        if typing.get_origin(hint) is typing.ClassVar or attribute.startswith("_") or _holds_artists(hint):
            continue  # class constants, private state and the artists init keeps are not request parameters
        if attribute in _METHODS:
            raise TypeError(f"plot {name!r}, parameter {attribute!r}: the name of a plot method")
        default = getattr(cls, attribute, None)
        params.append(_param(name, attribute, hint, default, allow_static=True))
    return params


def _holds_artists(hint: Any) -> bool:
    """Whether an annotation is of matplotlib artists (``line: Line2D``, ``bars: list[Rectangle]``)."""
    hint, _ = _without_none(hint)
    if typing.get_origin(hint) in (list, tuple, dict):
        return any(_holds_artists(arg) for arg in typing.get_args(hint) if arg is not Ellipsis)
    return isinstance(hint, type) and issubclass(hint, (matplotlib.artist.Artist, matplotlib.container.Container))


def _artists_of(instance: Any, names: list[str]) -> list[_Artist]:
    """The changing artists ``init`` kept on the instance: attributes (not parameters, not ``_private``)
    holding an artist, or a list, tuple or dict of them; axes and figures are the static part."""
    found: list[_Artist] = []
    for attribute, value in vars(instance).items():
        if attribute in names or attribute.startswith("_"):
            continue
        if isinstance(value, dict):
            items = list(value.values())
        elif isinstance(value, (list, tuple)) and not isinstance(value, matplotlib.container.Container):
            items = list(value)
        else:  # one artist, or a container of them (bars), kept whole as init would return it
            items = [value]
        found.extend(item for item in items if _changing(item))
    return found


def _changing(item: object) -> bool:
    if isinstance(item, matplotlib.container.Container):
        return True  # bars: _flatten opens it
    return isinstance(item, matplotlib.artist.Artist) and not isinstance(
        item, (matplotlib.axes.Axes, matplotlib.axis.Axis, matplotlib.figure.FigureBase))


def _doc(obj: Any) -> str:
    """The first paragraph of a docstring, on one line: a plot's description unless given."""
    doc = inspect.getdoc(obj) or ""
    return re.sub(r"\s+", " ", doc.split("\n\n")[0]).strip()


# -- registration ------------------------------------------------------------------------------


def typed_plot(name: str, target: Any, **options: Any) -> Plot:
    """The Plot an annotated function or class declares, with ``options`` (Plot's fields) on top:
    what ``registry.plot(name, **options)`` registers, for code that builds a Plot to add later."""
    wrong = {"params", "init", "update", "draw", "load"} & set(options)
    if wrong:
        raise TypeError(f"plot {name!r}: {', '.join(sorted(wrong))} come from the annotated function or class")
    unknown = set(options) - {f.name for f in dataclasses.fields(Plot) if f.init}
    if unknown:
        raise TypeError(f"plot {name!r}: unknown options {', '.join(sorted(unknown))}")
    if isinstance(target, type):
        for method in _METHODS:
            _refuse_async(name, getattr(target, method, None), f"{target.__qualname__}.{method}")
        return _class_plot(name, target, options)
    if callable(target):
        _refuse_async(name, target, target.__qualname__ if hasattr(target, "__qualname__") else repr(target))
        return _function_plot(name, target, options)
    raise TypeError(f"plot {name!r}: decorate a function or a class, not {target!r}")


def is_typed(function: Callable[..., Any]) -> bool:
    """Whether a decorated function is annotated (typed form) rather than ``draw(fig, params, rng)``."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.annotation is not inspect.Parameter.empty for p in parameters)

