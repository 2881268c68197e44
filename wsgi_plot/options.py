"""Options every plot accepts: dpi, size, seed, theme, transparent; bounds come from Settings.
Formats are in formats.py."""

import re
from dataclasses import dataclass

from .errors import ParameterError, PixelBudgetExceeded
from .params import format_number, parse_float, parse_int
from .params.kinds import BoolKind
from .settings import Settings, parse_size_text
from .theme import DEFAULT_THEME, THEMES, Look

OPTION_NAMES = ("dpi", "size", "seed", "theme", "transparent")

MAX_SEED = 2**63 - 1  # numpy accepts any non-negative int; this keeps URLs sane

_SIZE_RE = re.compile(r"([^x]+)x([^x]+)\Z")


@dataclass(frozen=True)
class RenderOptions:
    fmt: str
    dpi: int
    width: float  # inches
    height: float  # inches
    seed: int | None
    look: Look = Look()

    @property
    def pixels(self) -> tuple[int, int]:
        """Canvas size as Agg allocates it."""
        return int(self.width * self.dpi), int(self.height * self.dpi)

    def query(self) -> dict:
        """The options as URL query values (seed only when one was given)."""
        values = {"dpi": self.dpi, "size": f"{format_number(self.width)}x{format_number(self.height)}"}
        if self.seed is not None:
            values["seed"] = self.seed
        if self.look.theme != DEFAULT_THEME:
            values["theme"] = self.look.theme
        if self.look.transparent:
            values["transparent"] = "true"
        return values


def json_option_text(name: str, value) -> str:
    """An option from a JSON body as the query would write it: size as text, the others integers (dpi, seed, frames)."""
    if name in ("size", "theme"):
        if not isinstance(value, str):
            raise ParameterError(name, "expected a string WIDTHxHEIGHT such as \"4x3\"" if name == "size"
                                 else "expected a string: light or dark")
        return value
    if name == "transparent":
        if not isinstance(value, bool):
            raise ParameterError(name, "expected true or false")
        return "true" if value else "false"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParameterError(name, "expected a whole number")
    return str(value)


def parse_render_options(args, settings: Settings, fmt: str = "png") -> RenderOptions:
    """Read dpi, size, seed, theme and transparent from the query; check bounds and the pixel budget."""
    dpi = settings.default_dpi
    if "dpi" in args:
        dpi = parse_int("dpi", args["dpi"])
        if not settings.min_dpi <= dpi <= settings.max_dpi:
            raise ParameterError("dpi", f"must lie in [{settings.min_dpi}, {settings.max_dpi}], got {dpi}")

    width, height = parse_size_text(settings.default_size)
    if "size" in args:
        match = _SIZE_RE.match(args["size"].lower())
        if not match:
            raise ParameterError("size", f"expected WIDTHxHEIGHT in inches such as 4x3, got {args['size']!r}")
        width, height = (parse_float("size", part) for part in match.groups())
        low, high = settings.min_inches, settings.max_inches
        if not (low <= width <= high and low <= height <= high):
            raise ParameterError(
                "size", f"each side must lie in [{format_number(low)}, {format_number(high)}] inches, got {args['size']!r}"
            )

    seed = None
    if "seed" in args:
        seed = parse_int("seed", args["seed"])
        if not 0 <= seed <= MAX_SEED:
            raise ParameterError("seed", f"must lie in [0, 2**63-1], got {seed}")

    theme = args.get("theme", DEFAULT_THEME)
    if theme not in THEMES:
        raise ParameterError("theme", f"unknown theme {theme[:40]!r}; choose one of {', '.join(THEMES)}")
    transparent = False
    if "transparent" in args:
        text = args["transparent"].lower()
        if text not in BoolKind.TRUE | BoolKind.FALSE:
            raise ParameterError("transparent", f"expected true or false, got {args['transparent'][:40]!r}")
        transparent = text in BoolKind.TRUE

    options = RenderOptions(fmt, dpi, width, height, seed, Look(theme, transparent))
    pixel_width, pixel_height = options.pixels
    if pixel_width * pixel_height > settings.max_pixels:
        raise PixelBudgetExceeded(
            "size",
            f"{pixel_width}x{pixel_height} px at dpi {dpi} exceeds the budget of {settings.max_pixels} pixels",
        )
    if pixel_width < 1 or pixel_height < 1:
        raise ParameterError("size", f"{pixel_width}x{pixel_height} px at dpi {dpi} is empty")
    return options
