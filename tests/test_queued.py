"""The decisions a background worker takes after each attempt (no engine, no network)."""

from __future__ import annotations

import base64
import json

import pytest

from ses_smtp_backends import SESConfig
from ses_smtp_backends.exceptions import (
    SESConfigurationError,
    SESInvalidAddressError,
    SESInvalidMessageError,
    SESRetriesExhausted,
    error_for,
)
from ses_smtp_backends.queued import (
    SCALE_ENV,
    QueuedMessage,
    config_factory,
    config_for,
    give_up,
    new_payload,
    next_attempt,
    root_error,
)
from ses_smtp_backends.replies import classify

DATA = b"From: app@example.com\r\nSubject: Hello\r\n\r\nBody\r\n"
THROTTLED = error_for(classify(454, "Throttling failure: Maximum sending rate exceeded."))
QUOTA = error_for(classify(454, "Throttling failure: Daily message quota exceeded."))
UNVERIFIED = error_for(
    classify(
        554,
        "Message rejected: Email address is not verified. The following identities failed "
        "the check in region EU-WEST-1: news@unverified.example",
    )
)


@config_factory
def marked_factory(*args):
    """A worker config factory, as a project would write one."""
    return SESConfig(region="eu-west-1", username="A", password="B", configuration_set=args[0])


def unmarked_factory(*args):
    return SESConfig(region="eu-west-1", username="A", password="B")


def payload(**overrides):
    queued = new_payload("app@example.com", ["user@example.org"], DATA, max_age=3600)
    queued.update(overrides)
    return queued


def test_the_payload_is_json_and_carries_no_configuration_but_a_factory_name():
    queued = new_payload(
        "app@example.com", "user@example.org", DATA, config="tests.test_queued:marked_factory",
        config_args=["bulk"], meta={"adapter": "django"},
    )  # fmt: skip
    assert json.loads(json.dumps(queued)) == queued
    assert (queued["to_addrs"], queued["config_args"]) == (["user@example.org"], ["bulk"])
    assert config_for(queued).configuration_set == "bulk"
    assert base64.b64decode(queued["data"]) == DATA
    assert queued["countdowns"] == []


@pytest.mark.parametrize(
    ("from_addr", "to_addrs", "data", "error"),
    [
        ("app@example.com", ["a@example.org\r\nBcc: b@example.org"], DATA, SESInvalidAddressError),
        ("app@example.com", [], DATA, SESInvalidAddressError),
        ("not an address", ["a@example.org"], DATA, SESInvalidAddressError),
        ("app@example.com", ["a@example.org"], b"x" * 1000 + b"\r\n", SESInvalidMessageError),
    ],
)
def test_bad_input_is_refused_before_it_is_queued(from_addr, to_addrs, data, error):
    with pytest.raises(error, match="refused before sending"):
        new_payload(from_addr, to_addrs, data)


@pytest.mark.parametrize(
    "source",
    ["os:system", "tests.test_queued:unmarked_factory", "tests.test_queued:missing",
     "no.such.module:factory", "tests.test_queued"],
)  # fmt: skip
def test_a_worker_calls_only_marked_config_factories(source):
    # Whoever can write to the queue or the dead-letter list must not pick what a worker
    # calls: a factory has to be marked with @config_factory in the worker's code.
    with pytest.raises(SESConfigurationError, match="is not a config factory"):
        new_payload("app@example.com", ["a@example.org"], DATA, config=source)
    tampered = payload(config=source, config_args=["rm -rf /"])
    with pytest.raises(SESConfigurationError, match="decorate it with @ses_smtp_backends"):
        config_for(tampered)


def test_max_age_must_be_positive():
    with pytest.raises(ValueError, match="max_age must be a positive number"):
        new_payload("app@example.com", ["a@example.org"], DATA, max_age=0)


def test_transient_errors_climb_the_ladder_and_repeat(monkeypatch):
    monkeypatch.delenv(SCALE_ENV, raising=False)
    queued, now, delays = payload(max_age=10**6), 0.0, []
    for _ in range(6):
        delay, queued = next_attempt(queued, THROTTLED, now=queued["enqueued_at"] + now)
        delays.append(delay)
        now += delay
    assert delays == [5, 10, 30, 1200, 5, 10]
    assert queued["countdowns"] == delays


def test_the_daily_quota_waits_the_long_step():
    delay, _ = next_attempt(payload(), QUOTA, now=payload()["enqueued_at"])
    assert delay == 1200


def test_a_permanent_error_is_never_retried():
    assert next_attempt(payload(), UNVERIFIED) is None
    assert give_up(payload(), UNVERIFIED) is UNVERIFIED


def test_a_wait_that_would_pass_max_age_gives_the_message_up():
    queued = payload(max_age=40)
    start = queued["enqueued_at"]
    _, queued = next_attempt(queued, THROTTLED, now=start)  # waits 5
    _, queued = next_attempt(queued, THROTTLED, now=start + 5)  # waits 10
    assert next_attempt(queued, THROTTLED, now=start + 15) is None  # 15 + 30 > 40
    given_up = give_up(queued, THROTTLED)
    assert isinstance(given_up, SESRetriesExhausted)
    assert given_up.last_error is THROTTLED
    assert given_up.attempts == 3
    assert "gave up after 3 attempt(s) and 15 s of waits (max_age 40 s)" in str(given_up)


def test_the_test_scale_shortens_waits_but_the_age_counts_them_in_full(monkeypatch):
    monkeypatch.setenv(SCALE_ENV, "0.001")
    queued = payload(max_age=40)
    start = queued["enqueued_at"]
    delay, queued = next_attempt(queued, THROTTLED, now=start)
    assert delay == pytest.approx(0.005)
    delay, queued = next_attempt(queued, THROTTLED, now=start + 0.005)
    assert delay == pytest.approx(0.01)
    assert next_attempt(queued, THROTTLED, now=start + 0.015) is None  # as in production


def test_root_error_unwraps_exhausted_retries():
    exhausted = SESRetriesExhausted(THROTTLED.reply, last_error=THROTTLED, attempts=4)
    assert root_error(exhausted) is THROTTLED
    assert root_error(UNVERIFIED) is UNVERIFIED


def test_queued_message_shows_what_the_worker_knows():
    queued = payload(countdowns=[5, 10])
    message = QueuedMessage.from_payload(queued)
    assert (message.from_email, message.recipients(), message.attempts) == (
        "app@example.com", ["user@example.org"], 3,
    )  # fmt: skip
    assert message.subject == "Hello"
    assert message.message().get_content().strip() == "Body"
    assert "Body" not in repr(message)
