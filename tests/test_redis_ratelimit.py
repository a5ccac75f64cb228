"""The Redis rate limiter, against a real redis-server started for these tests."""

from __future__ import annotations

import threading
import time

import pytest

from ses_smtp_backends import Sender, SESConfig, SESConfigurationError
from ses_smtp_backends.simulator import SESSimulator
from tests.helpers import config_for, redis_server

redis = pytest.importorskip("redis")


@pytest.fixture(scope="module")
def redis_url():
    with redis_server() as url:
        yield url


def test_the_bucket_is_shared_and_paced(redis_url):
    from ses_smtp_backends.redis_ratelimit import RedisRateLimiter

    waits: list[float] = []
    first = RedisRateLimiter(
        20, redis_url, key="tests:shared", sleep=lambda s: (waits.append(s), time.sleep(s))
    )
    second = RedisRateLimiter(
        20, redis_url, key="tests:shared", sleep=lambda s: (waits.append(s), time.sleep(s))
    )
    started = time.monotonic()
    for _ in range(10):
        first.acquire(1)
        second.acquire(1)
    elapsed = time.monotonic() - started
    # 20 recipients at 20/s with a 2-token burst: at least 0.9 s, whichever process asked
    assert elapsed >= 0.85
    assert waits


def test_rate_limiter_needs_a_redis_url_and_a_rate():
    with pytest.raises(SESConfigurationError, match="rate_limiter: 'memcached://x'"):
        SESConfig(
            region="us-east-1",
            username="a",
            password="b",
            max_send_rate=5,
            rate_limiter="memcached://x",
        )
    with pytest.raises(SESConfigurationError, match="max_send_rate: is needed with rate_limiter"):
        SESConfig(region="us-east-1", username="a", password="b", rate_limiter="redis://localhost")


def test_two_senders_share_the_account_rate(redis_url):
    """Two Senders (as two workers would be) with the Redis limiter against an SES limit of
    R: together they stay under it, with no 454."""
    rate, per_sender = 20.0, 20
    with SESSimulator(max_send_rate=rate, store=False) as ses:
        config = config_for(ses, max_send_rate=rate, rate_limiter=redis_url, max_connections=2)
        errors: list[BaseException] = []

        def work(index: int) -> None:
            with Sender(config) as sender:
                for result in sender.send_many(
                    [
                        (
                            "app@example.com",
                            [f"w{index}-{n}@example.org"],
                            b"Subject: x\r\n\r\nx\r\n",
                        )
                        for n in range(per_sender)
                    ]
                ):
                    if isinstance(result, Exception):
                        errors.append(result)

        started = time.monotonic()
        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
        assert errors == []
        assert ses.throttled_total == 0
        assert ses.accepted_total == 2 * per_sender
    assert (2 * per_sender) / elapsed >= 0.8 * rate
