"""A clock for code whose subject is time: it moves only when the code under test waits."""

import time


class FakeClock:
    """``monotonic()`` and ``time()`` read one instant; ``wait(seconds)`` moves it on at once.

    Starts at the whole second before now, so that stamps taken from it look current.
    """

    def __init__(self, start: float | None = None):
        self.now = float(int(time.time())) if start is None else start
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def time(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        """As ``threading.Event.wait`` that times out: False, never stopped."""
        self.waits.append(seconds)
        self.now += seconds
        return False
