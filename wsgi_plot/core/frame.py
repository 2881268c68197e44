"""Which frame of an animation or stream an update draws: the one type plots, the pipeline and the web share."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Frame:
    """Which frame an update draws: ``number`` counts from 0 to ``count - 1``."""

    number: int
    count: int
