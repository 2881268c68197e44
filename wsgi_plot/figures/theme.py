"""How the service's figures look: the theme (light or dark), a transparent background, and fonts
for text in every language.

A look is applied while a figure is built, updated, laid out and drawn, always under the draw
lock (``render.DRAW_LOCK``, the lock matplotlib's own ``Figure.draw`` takes): matplotlib reads
most style settings from ``rcParams`` when an artist is made (a figure's face colour, an axes'
colour cycle, a tick label's font), so the settings are put into ``rcParams`` for that time and
only they are put back. A host application's own settings are never changed outside the lock,
and a setting it changes meanwhile is left alone.

``light`` is matplotlib's default style: the pictures equal plain matplotlib's. ``dark`` is
matplotlib's own ``dark_background`` style (background, text, grid and colour cycle).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import matplotlib
import matplotlib.style
from matplotlib import font_manager
from matplotlib.figure import Figure

from ..declare.looks import THEMES, Look

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType  # the names rcParams knows (matplotlib 3.11's stubs)

log = logging.getLogger("wsgi_plot")

#: Fonts tried in order for each character: matplotlib's own default (every picture of Latin,
#: Greek and Cyrillic text stays as plain matplotlib draws it), then Korean, Chinese and Japanese
#: (Debian ``fonts-noto-cjk``), then symbols and emoji in outline (Debian ``fonts-symbola``:
#: matplotlib cannot draw colour emoji fonts).
FONT_FALLBACK = (
    ("DejaVu Sans", "Latin, Greek and Cyrillic"),
    ("Noto Sans CJK JP", "Korean, Chinese and Japanese (Debian fonts-noto-cjk)"),
    ("Symbola", "emoji and symbols (Debian fonts-symbola)"),
)


def installed_fonts() -> list[str]:
    """The fallback list's fonts that matplotlib finds here, in order."""
    names = {entry.name for entry in font_manager.fontManager.ttflist}
    return [name for name, _ in FONT_FALLBACK if name in names]


class Fonts:
    """The font list the service's figures use, found once per process.

    A missing font is reported once, at start-up (:meth:`report_missing`); a request never warns:
    the characters of a script without a font are drawn as empty boxes, silently.
    """

    def __init__(self, installed: Iterable[str] | None = None) -> None:
        self.families = list(installed if installed is not None else installed_fonts()) or ["DejaVu Sans"]
        self.missing = [(name, scripts) for name, scripts in FONT_FALLBACK if name not in self.families]
        self.reported = False

    def report_missing(self) -> None:
        """Log once (per process) which scripts have no font; drawing them then warns no more."""
        if not self.missing or self.reported:
            return
        self.reported = True
        log.warning("no font for %s: install %s (then rebuild matplotlib's font cache); "
                    "their characters are drawn as empty boxes",
                    "; ".join(scripts for _, scripts in self.missing), ", ".join(name for name, _ in self.missing))
        # Only warnings raised from wsgi_plot's own drawing (matplotlib names the first caller outside
        # itself), so that a host application's figures still warn as they did.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from font", category=UserWarning,
                                module=r"wsgi_plot(\.|$)")


#: matplotlib's log message when a family lacks the weight asked for (``font_manager.findfont``).
WEIGHT_NOT_FOUND = "findfont: Failed to find font weight %s for %s, now using %s."


class FallbackWeightFilter(logging.Filter):
    """Drops matplotlib's "Failed to find font weight" for the fallback fonts after the first.

    A bold text asks every family of the list for a bold face; Symbola has only a regular one,
    and that regular face is what the service means to draw symbols and emoji in (DejaVu Sans has
    the bold for every Latin, Greek and Cyrillic letter). matplotlib would log it once per process
    and text size, on the first bold title, for a choice made here on purpose. Only that message
    and those fonts: a missing weight of any other font is still logged.
    """

    def __init__(self, names: Iterable[str]) -> None:
        super().__init__()
        self.names = frozenset(names)

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        return not (record.msg == WEIGHT_NOT_FOUND and isinstance(args, tuple) and len(args) == 3
                    and args[1] in self.names)


_fonts: Fonts | None = None


def fonts() -> Fonts:
    global _fonts
    if _fonts is None:
        _fonts = Fonts()
        # Installed once per process, with the font list: the first fonts() call of any look.
        logging.getLogger("matplotlib.font_manager").addFilter(
            FallbackWeightFilter(name for name, _ in FONT_FALLBACK[1:]))
    return _fonts


def rc_for(look: Look) -> dict[RcKeyType, Any]:
    """The ``rcParams`` a look sets while a figure is built and drawn."""
    return {"font.family": fonts().families, **THEMES[look.theme]}


@contextmanager
def styled(look: Look) -> Iterator[None]:
    """Apply ``look`` for the length of the block; call under the draw lock.

    Only the look's own keys are set and put back: ``rc_context`` would put back every rcParam,
    undoing what a host app's thread changed meanwhile.
    """
    rc = rc_for(look)
    params = matplotlib.rcParams
    previous = {}
    for key, value in rc.items():
        if params[key] != value:
            previous[key] = params[key]
            params[key] = value
    try:
        yield
    finally:
        for key, value in previous.items():
            params[key] = value


def make_transparent(figure: Figure) -> None:
    """No background: the figure's and its axes' patches are not drawn (PNG alpha 0, no SVG/PDF
    rectangle), as ``savefig(transparent=True)`` leaves them."""
    figure.patch.set_visible(False)
    for axes in figure.get_axes():
        axes.patch.set_visible(False)
