"""The plots an app serves: registered explicitly, or by the ``plot`` decorator from annotations."""

from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from .options import OPTION_NAMES
from .params import Param
from .plot import Plot
from .typed import is_typed, typed_plot

T = TypeVar("T", bound=Callable[..., Any])  # a function or a class


class PlotRegistry:
    """The plots an app serves, registered explicitly."""

    def __init__(self, plots: Sequence[Plot] = ()) -> None:
        self._plots: dict[str, Plot] = {}
        for plot in plots:
            self.add(plot)

    def add(self, plot: Plot) -> Plot:
        if plot.name in self._plots:
            raise ValueError(f"a plot named {plot.name!r} is already registered")
        for param in plot.params:
            if param.name in OPTION_NAMES:
                raise ValueError(f"plot {plot.name!r}, parameter {param.name!r}: {param.name!r} is a request option "
                                 f"(taken by {OPTION_NAMES[param.name]}), so a request could not set both; rename the "
                                 f"parameter (options: {', '.join(OPTION_NAMES)})")
        plot.fingerprint  # noqa: B018 - taken now, from the code as registered (see Plot.fingerprint)
        self._plots[plot.name] = plot
        return plot

    def plot(self, name: str, params: Sequence[Param] | None = None, **options: Any) -> Callable[[T], T]:
        """Decorator: register an annotated function (a full draw) or class (init, load, update) as
        the plot ``name``; ``options`` are Plot's fields (title, freshness, ...). See :mod:`.typed`.

        With ``params``, or on a function without annotations, the explicit form: register
        ``draw(fig, params, rng)`` as a full-draw plot with those parameters.
        """
        def register(target: T) -> T:
            if params is None and (isinstance(target, type) or is_typed(target)):
                self.add(typed_plot(name, target, **options))
            else:
                self.add(Plot(name, params or (), draw=target, **options))
            return target

        return register

    def get(self, name: str) -> Plot | None:
        return self._plots.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._plots

    def __iter__(self) -> Iterator[Plot]:
        return iter(self._plots.values())

    def __len__(self) -> int:
        return len(self._plots)
