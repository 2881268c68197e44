"""A plot's fingerprint: a hash of its declaration and of the code of its hooks, the same in every process.

The response-cache key includes it (:mod:`wsgi_plot.web.cache_keys`), so that a new version of a
plot's drawing code or of its parameters gives new keys: neither the app's cache nor nginx's can
then serve a picture the old code drew.

What it covers: every declared field of the :class:`~wsgi_plot.declare.plot.Plot` (parameters with
their bounds and defaults, title, flags, freshness); for each hook (a function, method, class,
``functools.partial`` or callable object), its code objects (bytecode, constants recursively, the
names it uses), its default arguments, the values its closure holds (so the user's function inside
a typed plot's generated hooks), and the functions and classes of its own module that it names (its
helpers) and the plain data (numbers, strings, tuples, lists, dicts, sets) it names as globals,
followed to any depth. Not covered: code of other modules (libraries: their versions are
in the key separately) and data read at draw time (files, databases: use ``freshness`` for those).

Deterministic across processes: no object address, and sets in sorted order, whatever
``PYTHONHASHSEED``. Worst case: at most ``MOST_OBJECTS`` objects are looked at per plot, once, when
it is registered or first served.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import hashlib
import re
import types
from collections.abc import Mapping
from typing import Any

#: How many objects one fingerprint looks at, at most: a plot and its helpers are a few dozen.
MOST_OBJECTS = 5000

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
#: Global values a hook names that are part of its fingerprint besides functions and classes.
_DATA = (bool, int, float, complex, str, bytes, tuple, list, dict, set, frozenset, enum.Enum)


def fingerprint(*objects: object) -> str:
    """A short hash (16 hex digits) of ``objects`` as this module describes them."""
    parts: list[str] = []
    _Walker(parts).add(objects)
    return hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]


class _Walker:
    def __init__(self, parts: list[str]) -> None:
        self.parts = parts
        self.seen: set[int] = set()

    def add(self, obj: object, module: str | None = None) -> None:
        """Append ``obj``'s description to ``parts``; ``module``: the module whose functions are followed."""
        if len(self.seen) >= MOST_OBJECTS:
            self.parts.append("...")
            return
        if obj is None or isinstance(obj, (bool, int, float, complex, str, bytes, enum.Enum)):
            self.parts.append(repr(obj))
            return
        if id(obj) in self.seen:  # a cycle, or an object met before: its name is enough
            self.parts.append(f"<again {type(obj).__qualname__}>")
            return
        self.seen.add(id(obj))
        if isinstance(obj, (tuple, list)):
            self.parts.append(f"{type(obj).__name__}[{len(obj)}]")
            for item in obj:
                self.add(item, module)
        elif isinstance(obj, (set, frozenset)):
            self.parts.append(f"set[{len(obj)}]")
            for item in sorted(obj, key=_sort_key):
                self.add(item, module)
        elif isinstance(obj, Mapping):
            self.parts.append(f"map[{len(obj)}]")
            for key in sorted(obj, key=_sort_key):
                self.add(key, module)
                self.add(obj[key], module)
        elif isinstance(obj, types.CodeType):
            self.code(obj, module)
        elif isinstance(obj, types.FunctionType):
            self.function(obj)
        elif isinstance(obj, types.MethodType):
            self.parts.append("method")
            self.add(obj.__func__)
            self.add(type(obj.__self__), obj.__func__.__module__)
        elif isinstance(obj, (staticmethod, classmethod)):
            self.add(obj.__func__, module)
        elif isinstance(obj, property):
            self.add((obj.fget, obj.fset), module)
        elif isinstance(obj, functools.partial):
            self.parts.append("partial")
            self.add((obj.func, obj.args, obj.keywords), module)
        elif isinstance(obj, type):
            self.cls(obj, module)
        elif dataclasses.is_dataclass(obj):
            self.parts.append(f"dataclass {type(obj).__module__}.{type(obj).__qualname__}")
            for field in dataclasses.fields(obj):
                if field.compare:
                    self.parts.append(field.name)
                    self.add(getattr(obj, field.name), module)
        elif callable(obj) and type(obj).__module__ == module:  # a callable object of the plot's own module
            self.parts.append("callable")
            self.add(type(obj), module)
            self.add(getattr(obj, "__dict__", {}), module)
        else:
            self.parts.append(_ADDRESS.sub("", repr(obj))[:10_000])

    def function(self, fn: types.FunctionType) -> None:
        self.parts.append(f"def {fn.__module__}.{fn.__qualname__}")
        self.code(fn.__code__, fn.__module__)
        self.add((fn.__defaults__, fn.__kwdefaults__), fn.__module__)
        for cell in fn.__closure__ or ():
            try:
                self.add(cell.cell_contents, fn.__module__)
            except ValueError:  # an empty cell
                self.parts.append("<empty cell>")
        # The globals it names: its own module's functions and classes (its helpers), and plain data
        # (a colour, a list of labels). Not modules, nor other objects.
        for name in sorted(_names(fn.__code__)):
            value = fn.__globals__.get(name)
            if isinstance(value, (types.FunctionType, type)):
                if getattr(value, "__module__", None) == fn.__module__:
                    self.parts.append(f"global {name}")
                    self.add(value, fn.__module__)
            elif isinstance(value, _DATA):
                self.parts.append(f"global {name}")
                self.add(value, fn.__module__)

    def code(self, code: types.CodeType, module: str | None) -> None:
        self.parts.append(f"code {code.co_name} {code.co_code.hex()} {code.co_names!r}")
        for const in code.co_consts:
            self.add(const, module)

    def cls(self, cls: type, module: str | None) -> None:
        self.parts.append(f"class {cls.__module__}.{cls.__qualname__}")
        if cls.__module__ != module:  # a library's class: its name (its version is in the key elsewhere)
            return
        for name, value in sorted(vars(cls).items()):
            if isinstance(value, (types.FunctionType, staticmethod, classmethod, property)):
                self.parts.append(name)
                self.add(value, module)


def _names(code: types.CodeType) -> set[str]:
    """Every global name ``code`` and the code nested in it use."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _sort_key(obj: Any) -> str:
    return _ADDRESS.sub("", f"{type(obj).__qualname__}:{obj!r}")
