"""A rate limiter shared by every process and host that sends for one SES account.

The in-process :class:`~ses_smtp_backends.ratelimit.RateLimiter` keeps one ``Sender``
under ``max_send_rate``; several workers each doing so would together exceed it. This one
keeps the token bucket in Redis, updated atomically by a Lua script on the server's clock,
so all of them share the account's rate. Needs ``pip install "ses-smtp-backends[redis]"``;
selected by ``SESConfig(rate_limiter="redis://host:6379/0")``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

__all__ = ["RedisRateLimiter"]

# KEYS[1]: the bucket. ARGV: rate (tokens/s), capacity, recipients wanted.
# Returns "0" when the tokens were taken, else the seconds to wait before asking again.
# The bucket refills on Redis's own clock (TIME), the one clock all hosts share.
_TAKE = """
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) + tonumber(now_parts[2]) / 1000000
local rate, capacity, wanted = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
local needed = math.min(wanted, capacity)
if tokens + 1e-9 >= needed then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - wanted), 'at', tostring(now))
  redis.call('EXPIRE', KEYS[1], 3600)
  return '0'
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
return tostring((needed - tokens) / rate)
"""


class RedisRateLimiter:
    """Token bucket in Redis, in recipients per second; same interface as ``RateLimiter``.

    Holds a tenth of a second's worth, like the in-process limiter, leaving SES's own burst
    allowance to absorb network jitter.
    """

    def __init__(
        self,
        rate: float,
        url: str,
        *,
        key: str = "ses-smtp:rate",
        sleep: Callable[[float], None] = time.sleep,
        client: Any = None,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate={rate!r} must be positive (recipients per second)")
        if client is None:
            try:
                import redis
            except ImportError as error:
                raise ImportError(
                    'rate_limiter="redis://..." needs redis-py: '
                    'pip install "ses-smtp-backends[redis]"'
                ) from error
            client = redis.Redis.from_url(url)
        self.rate = float(rate)
        self.capacity = max(1.0, self.rate / 10)
        self.key = key
        self._sleep = sleep
        self._take = client.register_script(_TAKE)

    def acquire(self, recipients: int = 1) -> float:
        """Take ``recipients`` tokens from the shared bucket, waiting as needed; return the
        seconds waited."""
        waited = 0.0
        while True:
            wait = float(self._take(keys=[self.key], args=[self.rate, self.capacity, recipients]))
            if wait <= 0:
                return waited
            self._sleep(wait)
            waited += wait
