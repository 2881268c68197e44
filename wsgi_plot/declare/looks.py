"""The looks a request may ask for (``theme``, ``transparent``): names and the matplotlib style each sets.

Applying a look to a figure is :mod:`wsgi_plot.figures.theme`'s job; this module only declares them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import matplotlib.style

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # the names rcParams knows (matplotlib 3.11's stubs)

#: The values of the ``theme`` option, each a matplotlib style: what it sets in ``rcParams``.
THEMES: dict[str, dict[RcKeyType, Any]] = {  # rcParams values are of every type
    "light": {},  # matplotlib's defaults, as a plain Figure draws
    "dark": dict(matplotlib.style.library["dark_background"]),
}
DEFAULT_THEME = "light"


@dataclass(frozen=True)
class Look:
    """A request's ``theme`` and ``transparent`` options: part of a pooled figure's key."""

    theme: str = DEFAULT_THEME
    transparent: bool = False


#: matplotlib's own look: light, with a background. Frozen, so one instance serves as every default.
DEFAULT_LOOK = Look()
