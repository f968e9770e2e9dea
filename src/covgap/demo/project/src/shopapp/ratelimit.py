"""Rate limiting: a token bucket and a sliding-window limiter."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Decision:
    """The outcome of a rate limit check."""

    allowed: bool
    remaining: int
    retry_after: float = 0.0

    def headers(self) -> dict[str, str]:
        """HTTP headers describing this decision."""
        headers = {"X-RateLimit-Remaining": str(self.remaining)}
        if not self.allowed:
            headers["Retry-After"] = str(max(1, round(self.retry_after)))
        return headers


class TokenBucket:
    """Classic token bucket: ``capacity`` tokens, refilled at ``rate`` per second."""

    def __init__(
        self,
        capacity: int,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.capacity = capacity
        self.rate = rate
        self._clock = clock
        self._tokens = float(capacity)
        self._updated = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = now - self._updated
        if elapsed > 0:
            self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
            self._updated = now

    @property
    def tokens(self) -> float:
        with self._lock:
            self._refill()
            return self._tokens

    def consume(self, cost: int = 1) -> Decision:
        """Try to take ``cost`` tokens out of the bucket."""
        if cost > self.capacity:
            raise ValueError(f"cost {cost} exceeds bucket capacity {self.capacity}")
        with self._lock:
            self._refill()
            if self._tokens >= cost:
                self._tokens -= cost
                return Decision(True, int(self._tokens))
            missing = cost - self._tokens
            return Decision(False, int(self._tokens), missing / self.rate)


class SlidingWindowLimiter:
    """At most ``limit`` events per key within any ``window`` seconds."""

    def __init__(
        self,
        limit: int,
        window: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit <= 0 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> Decision:
        """Record an event for ``key`` if it is within the limit."""
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and events[0] <= now - self.window:
                events.popleft()
            if len(events) < self.limit:
                events.append(now)
                return Decision(True, self.limit - len(events))
            retry_after = events[0] + self.window - now
            return Decision(False, 0, retry_after)
