"""A sliding-window rate limiter keyed by credential, like PostHog's burst + sustained throttles.

PostHog limits each personal API key to 480 requests a minute and 4,800 an hour
(`BurstRateThrottle`, `SustainedRateThrottle`; reference §3), counting the requests of the last
60 s / 3600 s rather than per calendar minute. This limiter keeps, per key and per window, the
times of the admitted requests, so it can say exactly when the next slot frees.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """Admits a request when every window `(limit, seconds)` has room for it.

    A refused request is not recorded in any window (it consumed nothing), and an admitted one
    is recorded in all of them. Not thread-safe: the fault middleware calls it from the server's
    event loop only.
    """

    def __init__(
        self, windows: list[tuple[int, float]], clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.windows = windows
        self.clock = clock
        self._history: dict[bytes, list[deque[float]]] = {}

    def acquire(self, key: bytes) -> float | None:
        """Record a request for `key` and return None, or return the seconds until it could be
        admitted (when the window that frees last frees a slot) without recording it."""
        now = self.clock()
        history = self._history.get(key)
        if history is None:
            history = self._history[key] = [deque() for _ in self.windows]
        wait = 0.0
        for (limit, seconds), times in zip(self.windows, history, strict=True):
            while times and times[0] <= now - seconds:
                times.popleft()
            if len(times) >= limit:
                # The request that must leave the window before one more fits.
                wait = max(wait, times[len(times) - limit] + seconds - now)
        if wait > 0:
            return wait
        for times in history:
            times.append(now)
        return None
