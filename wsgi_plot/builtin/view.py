"""Limits that show every point: the built-in plots fix their limits from the static parameters
(so that the fast path reuses the drawn axes) and widen them, in their own ``update``, for the rare
request whose data falls outside. The service itself never moves limits a plot's code set."""

import math

#: Space added beyond data that fell outside the limits, as a share of the new span (matplotlib's
#: autoscaling margin).
MARGIN = 0.05


def showing(limits: tuple[float, float], low: float, high: float) -> tuple[float, float]:
    """``limits`` (increasing), widened on each side where data from ``low`` to ``high`` falls outside."""
    view_low, view_high = limits
    if not (math.isfinite(low) and math.isfinite(high)) or (low >= view_low and high <= view_high):
        return limits
    new_low, new_high = min(low, view_low), max(high, view_high)
    pad = (new_high - new_low) * MARGIN
    return (new_low - pad if low < view_low else view_low, new_high + pad if high > view_high else view_high)
