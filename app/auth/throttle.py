"""Throttling of password guesses (sign-in, password change) with Flask-Limiter's ``limits`` on Redis.

An attempt is counted atomically *before* the password is checked (Redis INCR), so parallel
guesses cannot slip past the limit between a check and a count; a successful attempt gives its
count back, so people who sign in successfully are never throttled. Counters are per key (a
username string whether or not the account exists, a client address, a user id) in fixed
windows.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from flask import Flask, current_app
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from app.core.redis import client_name, limiter_storage_uri


@dataclass
class Attempt:
    allowed: bool
    retry_after_seconds: int = 0
    counted: list[tuple[RateLimitItem, str]] = field(default_factory=list)

    @property
    def retry_after_minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))


def init_throttle(app: Flask) -> None:
    state = app.extensions["erp_redis"]
    storage = storage_from_string(
        limiter_storage_uri(state.url), key_prefix=state.prefix + "throttle", client_name=client_name()
    )
    app.extensions["erp_throttle"] = FixedWindowRateLimiter(storage)


def _strategy() -> FixedWindowRateLimiter:
    return current_app.extensions["erp_throttle"]


def begin(*checks: tuple[str, str]) -> Attempt:
    """Count one attempt under each (limit, key); the attempt is refused if any limit is exceeded."""
    strategy = _strategy()
    attempt = Attempt(allowed=True)
    for limit_text, key in checks:
        item = parse(limit_text)
        if strategy.hit(item, key):
            attempt.counted.append((item, key))
            continue
        attempt.allowed = False
        reset_at = strategy.get_window_stats(item, key).reset_time
        attempt.retry_after_seconds = max(attempt.retry_after_seconds, int(reset_at - time.time()) + 1)
    if not attempt.allowed:
        give_back(attempt)  # a refused attempt is not also charged to the limits it passed
    return attempt


def give_back(attempt: Attempt) -> None:
    """Return the counts an attempt took (it succeeded, or it was refused elsewhere)."""
    strategy = _strategy()
    for item, key in attempt.counted:
        strategy.hit(item, key, cost=-1)
    attempt.counted.clear()
