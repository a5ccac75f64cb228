"""The token bucket, on an injected clock."""

import threading

import pytest

from ses_smtp_backends.ratelimit import RateLimiter
from tests.helpers import FakeTime


def test_a_tenth_of_a_second_bursts_then_the_rate_holds():
    time = FakeTime()
    limiter = RateLimiter(100, clock=time.clock, sleep=time.sleep)
    waits = [limiter.acquire(1) for _ in range(12)]
    assert waits[:10] == [0.0] * 10  # 100/s: a 10-recipient burst
    assert waits[10:] == [pytest.approx(0.01), pytest.approx(0.01)]


def test_recipients_count_not_messages():
    time = FakeTime()
    limiter = RateLimiter(50, clock=time.clock, sleep=time.sleep)
    limiter.acquire(5)
    assert limiter.acquire(5) == pytest.approx(0.1)


def test_a_message_bigger_than_the_bucket_goes_when_full_and_leaves_debt():
    time = FakeTime()
    limiter = RateLimiter(1, clock=time.clock, sleep=time.sleep)
    assert limiter.acquire(3) == 0.0
    assert limiter.acquire(1) == pytest.approx(3.0)


def test_tokens_refill_with_time():
    time = FakeTime()
    limiter = RateLimiter(20, clock=time.clock, sleep=time.sleep)
    limiter.acquire(2)
    time.now += 0.1
    assert limiter.acquire(2) == 0.0


def test_threads_never_exceed_the_rate():
    time = FakeTime()
    lock = threading.Lock()

    def sleep(seconds):
        with lock:
            time.sleep(seconds)

    limiter = RateLimiter(4, clock=time.clock, sleep=sleep)
    start = time.now
    threads = [
        threading.Thread(target=lambda: [limiter.acquire(1) for _ in range(5)]) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # 20 recipients at 4/s with a 1-token burst need at least 4.75 seconds
    assert time.now - start == pytest.approx(4.75)


def test_rate_must_be_positive():
    with pytest.raises(ValueError, match="rate=0 must be positive"):
        RateLimiter(0)
