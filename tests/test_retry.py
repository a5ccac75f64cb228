"""The retry policy as a value, and its execution on an injected clock."""

import random

import pytest

from ses_smtp_backends import RetryPolicy, SESConfigurationError, SESRetriesExhausted, classify
from ses_smtp_backends.exceptions import error_for
from ses_smtp_backends.retry import call_with_retry
from tests.helpers import FakeTime

THROTTLED = error_for(classify(454, "Throttling failure: Maximum sending rate exceeded"))
DAILY = error_for(classify(454, "Throttling failure: Daily message quota exceeded"))
REJECTED = error_for(classify(554, "Transaction failed: Duplicate header 'From'."))


def test_ses_ladder_repeats():
    policy = RetryPolicy.ses()
    assert [policy.wait_after(n, THROTTLED) for n in range(1, 10)] == [
        5, 10, 30, 1200, 5, 10, 30, 1200, 5,
    ]  # fmt: skip


def test_daily_quota_skips_the_short_waits():
    policy = RetryPolicy.ses()
    assert [policy.wait_after(n, DAILY) for n in range(1, 5)] == [1200, 1200, 1200, 1200]


def test_permanent_errors_are_never_retried():
    assert RetryPolicy.ses().wait_after(1, REJECTED) is None


def test_bounds():
    assert RetryPolicy(max_attempts=3).wait_after(2, THROTTLED) == 10
    assert RetryPolicy(max_attempts=3).wait_after(3, THROTTLED) is None
    assert RetryPolicy(waits=(1, 2), repeat=False).wait_after(3, THROTTLED) is None
    assert RetryPolicy.never().wait_after(1, THROTTLED) is None


def test_ambiguous_losses_follow_retry_ambiguous():
    lost = error_for(classify(-1, "Connection unexpectedly closed"))
    lost.ambiguous = True
    assert RetryPolicy().should_retry(lost)
    assert not RetryPolicy(retry_ambiguous=False).should_retry(lost)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, RetryPolicy()),
        ({"waits": [5, 10, 30, 1200], "max_elapsed": 45}, RetryPolicy(max_elapsed=45)),
        ({"max_attempts": 2}, RetryPolicy(max_attempts=2)),
    ],
)
def test_from_value(value, expected):
    assert RetryPolicy.from_value(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({"wait": [1]}, "unknown field.s. wait; valid fields are jitter, max_attempts"),
        ({"waits": []}, r"retry.waits: \[\]"),
        ({"waits": "5,10"}, "retry.waits: give a list"),
        ({"waits": [5, -1]}, "retry.waits"),
        ({"max_attempts": 0}, "retry.max_attempts: 0"),
        ({"max_elapsed": -5}, "retry.max_elapsed: -5"),
        ({"jitter": 1.5}, "retry.jitter: 1.5"),
        (3, "retry: 3: give a RetryPolicy"),
    ],
)
def test_bad_values_name_the_field(value, message):
    with pytest.raises(SESConfigurationError, match=message):
        RetryPolicy.from_value(value)


def failing(times: int, error: Exception = THROTTLED):
    calls = []

    def attempt():
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "sent"

    return attempt, calls


def test_run_waits_on_the_ladder_then_succeeds():
    time = FakeTime()
    attempt, calls = failing(3)
    assert call_with_retry(RetryPolicy.ses(), attempt, sleep=time.sleep, clock=time.clock) == "sent"
    assert time.sleeps == [5, 10, 30]
    assert len(calls) == 4


def test_max_elapsed_never_starts_a_wait_that_ends_past_it():
    time = FakeTime()
    attempt, _ = failing(100)
    with pytest.raises(SESRetriesExhausted) as exhausted:
        call_with_retry(RetryPolicy(max_elapsed=45), attempt, sleep=time.sleep, clock=time.clock)
    assert time.sleeps == [5, 10, 30]
    assert exhausted.value.__cause__ is THROTTLED
    assert exhausted.value.last_error is THROTTLED
    assert exhausted.value.attempts == 4


def test_permanent_error_is_raised_as_is_without_waiting():
    time = FakeTime()
    attempt, calls = failing(1, REJECTED)
    with pytest.raises(type(REJECTED)) as raised:
        call_with_retry(RetryPolicy.ses(), attempt, sleep=time.sleep, clock=time.clock)
    assert raised.value is REJECTED
    assert (time.sleeps, len(calls)) == ([], 1)


def test_other_exceptions_pass_through():
    def broken():
        raise KeyError("bug")

    with pytest.raises(KeyError):
        call_with_retry(RetryPolicy.ses(), broken, sleep=FakeTime().sleep)


def test_jitter_spreads_waits_within_bounds():
    time = FakeTime()
    attempt, _ = failing(4)
    call_with_retry(
        RetryPolicy(jitter=0.2), attempt, sleep=time.sleep, clock=time.clock, rng=random.Random(3)
    )
    for actual, base in zip(time.sleeps, [5, 10, 30, 1200], strict=True):
        assert base * 0.8 <= actual <= base * 1.2
    assert time.sleeps != [5, 10, 30, 1200]


def test_on_retry_sees_each_wait():
    time = FakeTime()
    attempt, _ = failing(2)
    seen = []
    call_with_retry(
        RetryPolicy.ses(), attempt, sleep=time.sleep, clock=time.clock,
        on_retry=lambda error, number, wait: seen.append((error.kind.name, number, wait)),
    )  # fmt: skip
    assert seen == [("MAX_SEND_RATE_EXCEEDED", 1, 5), ("MAX_SEND_RATE_EXCEEDED", 2, 10)]
