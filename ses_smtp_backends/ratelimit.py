"""Keep under the account's sending rate, counted in recipients per second.

SES counts every recipient against the per-second rate and drops (does not queue) a
message over it (SES_FACTS section 5), so waiting here is cheaper than a 454 and a
retry. The bucket here holds only a tenth of a second's worth: SES keeps its own burst
allowance, and by never spending it this side leaves it to absorb the jitter between a
message leaving here and arriving there (measured in bench/pacing.py: with a full
second's burst here, messages bunched up on the way and earned 454s).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

__all__ = ["Limiter", "RateLimiter"]


class Limiter(Protocol):
    """What the Sender needs of a rate limiter (this module's, or the Redis one)."""

    def acquire(self, recipients: int = 1) -> float: ...


class RateLimiter:
    """Thread-safe token bucket: ``acquire(n)`` waits until ``n`` recipients may go.

    >>> waits = []
    >>> limiter = RateLimiter(2, clock=lambda: 0.0, sleep=waits.append)
    >>> limiter.acquire(1), limiter.acquire(1)
    (0.0, 0.5)
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate={rate!r} must be positive (recipients per second)")
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate / 10)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.capacity
        self._last = clock()
        self._lock = threading.Lock()

    def acquire(self, recipients: int = 1) -> float:
        """Take ``recipients`` tokens, sleeping first if needed; return seconds waited.

        A message larger than the bucket goes when the bucket is full and leaves it in
        debt, so the following sends wait for the rate to catch up.
        """
        with self._lock:  # one caller at a time keeps the order fair
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            needed = min(float(recipients), self.capacity)
            wait = max(0.0, (needed - self._tokens) / self.rate)
            if wait > 0:
                self._sleep(wait)
                self._tokens += wait * self.rate
                self._last = now + wait
            self._tokens -= recipients
            return wait
