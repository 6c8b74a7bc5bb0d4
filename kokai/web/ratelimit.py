"""A small in-process rate limiter of failures per client (a sliding window).

Used for failed API-token attempts (`kokai.web.app`) and meant for the staff
page's password log-in too. Each key (a client IP) keeps the times of its
last `limit` failures; a key whose `limit`-th most recent failure is younger
than `window` seconds is blocked until that failure leaves the window.
Memory is bounded: at most `max_keys` keys are tracked (the least recently
used one is dropped first), each with at most `limit` timestamps.

The state lives in one process: with several uvicorn workers each counts on
its own (a client gets up to `limit` x workers tries per window); behind a
reverse proxy, run uvicorn with ``--forwarded-allow-ips`` so that the client
IP is the caller's and not the proxy's.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable


class RateLimiter:
    def __init__(
        self,
        limit: int = 10,
        window: float = 60.0,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        if limit < 1 or window <= 0 or max_keys < 1:
            raise ValueError("limit, window and max_keys must be positive")
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self.clock = clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many keys are tracked (never more than `max_keys`)."""
        return len(self._failures)

    def retry_after(self, key: str) -> int:
        """Whole seconds until `key` may try again; 0 when it is not blocked."""
        with self._lock:
            times = self._failures.get(key)
            if times is None or len(times) < self.limit:
                return 0
            wait = times[0] + self.window - self.clock()
            if wait <= 0:
                return 0
            return max(1, math.ceil(wait))

    def failure(self, key: str) -> int:
        """Record one failure of `key`; returns `retry_after(key)` after it."""
        now = self.clock()
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                times = self._failures[key] = deque(maxlen=self.limit)
                while len(self._failures) > self.max_keys:
                    self._failures.popitem(last=False)
            else:
                self._failures.move_to_end(key)
            times.append(now)
            if len(times) < self.limit:
                return 0
            return max(0, math.ceil(times[0] + self.window - now))

    def reset(self, key: str) -> None:
        """Forget `key`'s failures (e.g. after a successful password log-in)."""
        with self._lock:
            self._failures.pop(key, None)
