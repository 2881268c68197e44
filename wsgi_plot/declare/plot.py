"""The plot API: declare parameters, draw the static part once, update the rest per request.

In the spirit of matplotlib's ``FuncAnimation(fig, func, init_func=...)``:

* ``init(fig, params)`` makes the axes it needs on the matplotlib ``Figure`` and draws what
  depends only on the *static* parameters (limits, labels, colorbars); it returns the artists
  that change;
* ``load(artists, params)``, optional, reads the data a request needs (a database query) before
  ``update``, outside matplotlib's draw lock, so a slow read stalls no other draw;
* ``update(artists, params, rng)`` puts a request's data into them.

A plot that only has ``draw(fig, params, rng)`` is drawn in full, on a cleared figure, every time.
The code is what one would write for ``Figure(layout="constrained")``, and what is served is
what plain matplotlib draws with it. ``PlotRegistry.plot`` writes these for an annotated function
or class (:mod:`wsgi_plot.declare.typed`).

Every plot is laid out by matplotlib's constrained layout, frozen after ``init``, with the text
rules of :mod:`wsgi_plot.figures.layout`, unless it is declared with ``layout=False``.

With ``update_takes_frame=True``, update (or draw) takes a fourth argument,
``frame``: None for a still image, else an ``animation.Frame`` (``number``
and ``count``) of an animation or stream, whose frames then all start from
the same random state, so each can show a step more of the same data.

Whether a response may be reused (:mod:`wsgi_plot.web.cache_keys`) is declared, never guessed:
``freshness`` says how long a picture of the same request stays true (``FOREVER`` for a plot
whose picture depends only on its parameters and seed; a few seconds for one drawn from data
that changes), and ``random`` whether it draws from ``rng``: a random plot without a seed is a
new sample every time, so it is never reused.
"""

import dataclasses
import functools
import inspect
import math
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ..core.errors import ParameterError
from .params import Param, Values, parse_values

if TYPE_CHECKING:  # for annotations only: this module must not import matplotlib
    from matplotlib.figure import Figure
    from numpy.random import Generator

T = TypeVar("T", bound=Callable[..., Any])  # a function or a class

#: What ``init`` returns and ``load`` and ``update`` get back as it was: the plot's own choice (a
#: list of artists, a tuple, an object), so of any type here.
Artists = Any
#: ``init(fig, params) -> artists``
InitHook = Callable[["Figure", Values], Artists]
#: ``update(artists, params, rng)``, and ``frame`` after them when ``update_takes_frame``; the
#: argument count depends on that flag, which a Callable type cannot say.
UpdateHook = Callable[..., object]
#: ``draw(fig, params, rng)``, and ``frame`` after them when ``update_takes_frame``.
DrawHook = Callable[..., object]
#: ``load(artists, params)``
LoadHook = Callable[[Artists, Values], object]
#: ``check(params)``: raises ParameterError; what it returns is ignored.
CheckHook = Callable[[Values], object]
#: ``shape(params) -> {name: value}``: static values derived from the request, part of the pool key.
ShapeHook = Callable[[Values], Mapping[str, Hashable]]
#: ``data(params, rng) -> (columns, rows)``: CSV cells are numbers, dates, text or None.
DataHook = Callable[[Values, "Generator"], tuple[Sequence[str], Sequence[Sequence[object]]]]
#: ``describe(params) -> alt text``
DescribeHook = Callable[[Values], str]

_NAME_RE = re.compile(r"[a-z][a-z0-9_-]*\Z")

#: ``freshness`` of a plot whose picture depends only on its parameters (and seed): reusable for good.
FOREVER = math.inf

#: Query keys accepted and ignored: jQuery's and other cache busters.
IGNORED_QUERY_KEYS = frozenset({"_"})


@dataclass(frozen=True)
class Plot:
    name: str
    params: Sequence[Param] = ()
    init: InitHook | None = None
    update: UpdateHook | None = None
    draw: DrawHook | None = None
    #: ``load(artists, params)``: reads what update draws (a query), before it and outside the draw
    #: lock, and keeps it on ``params`` (this request's own values: ``params.rows = ...``) for update
    #: to draw. Incremental plots only.
    load: LoadHook | None = None
    title: str = ""
    description: str = ""
    #: ``check(params)`` raises ParameterError for a combination of values that is wrong as a whole
    #: (``x`` not as long as ``y``); called after each parameter is checked on its own.
    check: CheckHook | None = None
    #: Query values the gallery and index link to, for a plot whose required parameters have no
    #: default (data charts): ``{"y": "3,1,4"}``.
    #: Given as a mapping, kept as its (name, value) pairs: hashable, like the rest.
    example: Mapping[str, str] | tuple[tuple[str, str], ...] = field(default_factory=dict)
    update_takes_frame: bool = False  # update/draw(..., frame): animations tell it which frame it draws
    layout: bool = True  # fit text inside the figure; False keeps the positions init or draw leaves
    #: ``shape(params)`` -> a dict of values derived from per-request parameters that ``init`` needs
    #: as well (how many series; whether x holds numbers, dates or is the index): they join the static
    #: values ``init`` gets and key the pooled figure, as static parameters do.
    shape: ShapeHook | None = None
    #: ``data(params, rng)`` -> ``(column names, rows)``: the numbers drawn, for the ``.csv`` format,
    #: drawing the same random numbers as update/draw. A plot without it has no CSV (404).
    data: DataHook | None = None
    #: ``describe(params)`` -> the alt text of its image; without it, one is made from the figure.
    describe: DescribeHook | None = None
    #: Seconds a response to the same request stays true: FOREVER when the picture depends only on
    #: the request, fewer for data that changes (a database); None (the default): never reused.
    freshness: float | None = None
    random: bool = True  # draws from rng: without a seed, each response is a new sample, never reused
    _by_name: dict[str, Param] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not _NAME_RE.match(self.name):
            raise ValueError(f"plot name {self.name!r}: use lowercase letters, digits, - and _")
        if self.draw is None and (self.init is None or self.update is None):
            raise TypeError(f"plot {self.name!r}: give init and update, or draw")
        if self.draw is not None and (self.init or self.update):
            raise TypeError(f"plot {self.name!r}: give either init and update, or draw, not both")
        if self.load is not None and self.draw is not None:
            raise TypeError(f"plot {self.name!r}: load needs init and update (a full draw keeps nothing to load into)")
        _check_hooks(self)
        if self.freshness is not None and not (self.freshness > 0):  # also refuses nan
            raise ValueError(f"plot {self.name!r}: freshness must be > 0 seconds (FOREVER for good), or None")
        by_name: dict[str, Param] = {}
        for param in self.params:
            if param.name in by_name:
                raise ValueError(f"plot {self.name!r}: parameter {param.name!r} declared twice")
            by_name[param.name] = param
        object.__setattr__(self, "params", tuple(self.params))
        object.__setattr__(self, "_by_name", by_name)
        object.__setattr__(self, "example", tuple(dict(self.example).items()))  # hashable, like the rest
        if self.example:
            try:
                self.parse(dict(self.example))
            except ParameterError as exc:
                raise ValueError(f"plot {self.name!r}: example is invalid: {exc.description}") from None

    @functools.cached_property
    def fingerprint(self) -> str:
        """A hash of this declaration and of its hooks' code, the same in every process
        (:mod:`wsgi_plot.declare.fingerprint`): part of the response-cache key, so that changed
        drawing code never gets a picture the old code drew. Taken once, when first asked
        (:class:`~wsgi_plot.declare.registry.PlotRegistry` asks at registration)."""
        from .fingerprint import fingerprint

        return fingerprint(self)

    @property
    def incremental(self) -> bool:
        """True when a pooled figure can keep its static part between requests."""
        return self.draw is None

    def param(self, name: str) -> Param:
        return self._by_name[name]

    def parse(self, args: Mapping[str, Any], reserved: Sequence[str] = (), *, from_json: bool = False) -> Values:
        """Validate request values: every declared parameter, no unknown ones.

        ``args`` maps names to query text (a list of texts where the query repeats a name), or,
        ``from_json``, to the values of a JSON object; None (JSON null) means "left out".
        """
        for key in args:
            if key not in self._by_name and key not in reserved and key not in IGNORED_QUERY_KEYS:
                known = ", ".join([p.name for p in self.params] + list(reserved))
                raise ParameterError(key[:40], f"unknown parameter for plot {self.name!r}; known: {known}")
        values = Values(**parse_values(args, self.params, from_json=from_json))
        if self.check is not None:
            self.check(values)
        return values

    def capped(self, max_points: int, max_series: int | None = None) -> "Plot":
        """This plot as an app with ``max_points`` and ``max_series`` serves it (itself if nothing
        changes): counts, lists and series capped, callable choices read."""
        params = tuple(p.capped(max_points, max_series) for p in self.params)
        if all(new is old for new, old in zip(params, self.params)):
            return self
        served = dataclasses.replace(self, params=params, example={})
        try:  # an example longer than a small max_points allows is dropped, not a reason to refuse to start
            served.parse(dict(self.example))
        except ParameterError:
            return served
        return dataclasses.replace(served, example=self.example)

    def static_values(self, values: Values) -> Values:
        """What ``init`` gets: the static parameters' values, and the plot's shape of this request."""
        shape = self.shape(values) if self.shape is not None else {}
        return Values(**{p.name: getattr(values, p.name) for p in self.params if p.static}, **shape)

    def static_key(self, values: Values) -> tuple:
        """The static values in hashable form: what keys a pooled figure besides size and dpi."""
        shape = tuple(sorted(self.shape(values).items())) if self.shape is not None else ()
        return tuple((p.name, p.key(getattr(values, p.name))) for p in self.params if p.static) + shape




#: Each hook and the values Plot passes it (``update`` and ``draw`` take a frame after them when
#: ``update_takes_frame``).
_HOOK_VALUES = {"init": 2, "update": 3, "draw": 3, "load": 2, "check": 1, "shape": 1, "data": 2, "describe": 1}


def _check_hooks(plot: Plot) -> None:
    """Refuse at declaration a hook that is a coroutine function (it would never run: the figure would
    stay blank) or that cannot take the values Plot passes it."""
    for hook, count in _HOOK_VALUES.items():
        function = getattr(plot, hook)
        if function is None:
            continue
        if inspect.iscoroutinefunction(function) or inspect.isasyncgenfunction(function):
            raise TypeError(f"plot {plot.name!r}: {hook} is async; plots are drawn by plain functions (def, not "
                            "async def: a coroutine would never run)")
        count += 1 if hook in ("update", "draw") and plot.update_takes_frame else 0
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):  # a builtin without a signature: called as it is
            continue
        try:
            signature.bind(*range(count))
        except TypeError:
            raise TypeError(f"plot {plot.name!r}: {hook} {signature} cannot take the {count} values it is given "
                            f"({_HOOK_SHAPES[hook]}{', frame' if count == 4 else ''})") from None


_HOOK_SHAPES = {"init": "fig, params", "update": "artists, params, rng", "draw": "fig, params, rng",
                "load": "artists, params", "check": "params", "shape": "params", "data": "params, rng",
                "describe": "params"}
