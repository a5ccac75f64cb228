"""SES's retry ladder as an immutable value, run with tenacity.

SES's guidance (SES_FACTS section 2): retry every 4xx and network error with growing
waits, never a 5xx. The ladder is 5 s, 10 s, 30 s, then 20 minutes, and it repeats.

>>> policy = RetryPolicy.ses()
>>> [policy.wait_after(n, None) for n in range(1, 7)]
[5.0, 10.0, 30.0, 1200.0, 5.0, 10.0]
>>> RetryPolicy(max_elapsed=45).waits
(5.0, 10.0, 30.0, 1200.0)
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import tenacity

from .exceptions import (
    SESConfigurationError,
    SESConnectionError,
    SESDailyQuotaError,
    SESError,
    SESRetriesExhausted,
)

__all__ = ["RetryPolicy", "call_with_retry"]

T = TypeVar("T")
RetryHook = Callable[[SESError, int, float], None]


def is_retryable(error: BaseException | None, *, retry_ambiguous: bool) -> bool:
    """Only transient SES errors are retried: 4xx replies and network failures.

    Assumes SES meant a 5xx: it must be fixed, not retried (SES Developer Guide). A
    connection lost after the final dot of DATA is retried only when ``retry_ambiguous``
    is true, because SES may have accepted that message already (a duplicate is the
    price of not losing it).
    """
    if not isinstance(error, SESError) or not error.transient:
        return False
    return retry_ambiguous or not (isinstance(error, SESConnectionError) and error.ambiguous)


def needs_long_wait(error: BaseException | None) -> bool:
    """A daily-quota refusal cannot clear in seconds (rolling 24 h window): skip the
    short waits and use the ladder's longest step."""
    return isinstance(error, SESDailyQuotaError)


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry a transient failure, and how long to wait first.

    ``waits`` are seconds before the 2nd, 3rd, ... attempt; with ``repeat`` the ladder
    starts again after its last step. ``max_attempts`` bounds the number of attempts
    (the first included) and ``max_elapsed`` the seconds from the first attempt: a wait
    that would end past it is not started. ``jitter`` spreads each wait by up to that
    fraction either way. ``retry_ambiguous`` retries a message whose reply was lost
    after the final dot (at-least-once delivery). Both bounds ``None`` (the default)
    means: retry transient failures for as long as they happen.

    >>> RetryPolicy(waits=(1, 2), repeat=False).wait_after(3, None) is None
    True
    """

    waits: tuple[float, ...] = (5.0, 10.0, 30.0, 1200.0)
    repeat: bool = True
    max_attempts: int | None = None
    max_elapsed: float | None = None
    jitter: float = 0.0
    retry_ambiguous: bool = True

    def __post_init__(self) -> None:
        waits = tuple(self.waits)
        if not waits or any(
            isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0 for w in waits
        ):
            raise SESConfigurationError(
                "retry.waits",
                f"{self.waits!r}: give a non-empty list of seconds, e.g. [5, 10, 30, 1200]",
            )
        object.__setattr__(self, "waits", tuple(float(w) for w in waits))
        if self.max_attempts is not None and (
            isinstance(self.max_attempts, bool)
            or not isinstance(self.max_attempts, int)
            or self.max_attempts < 1
        ):
            raise SESConfigurationError(
                "retry.max_attempts", f"{self.max_attempts!r}: give a whole number >= 1, or None"
            )
        if self.max_elapsed is not None and (
            not isinstance(self.max_elapsed, (int, float)) or self.max_elapsed <= 0
        ):
            raise SESConfigurationError(
                "retry.max_elapsed", f"{self.max_elapsed!r}: give seconds > 0, or None"
            )
        if not isinstance(self.jitter, (int, float)) or not 0 <= self.jitter < 1:
            raise SESConfigurationError(
                "retry.jitter", f"{self.jitter!r}: give a fraction in [0, 1)"
            )

    @classmethod
    def ses(cls) -> RetryPolicy:
        """SES's ladder: 5 s, 10 s, 30 s, 20 min, repeated without end."""
        return cls()

    @classmethod
    def interactive(cls) -> RetryPolicy:
        """One climb of the ladder (5, 10, 30 s; ``max_elapsed`` 45 s), for code a person is
        waiting on, such as a web request: the adapters' synchronous default."""
        return cls(max_elapsed=45)

    @classmethod
    def never(cls) -> RetryPolicy:
        """One attempt only: transient failures raise ``SESRetriesExhausted`` at once."""
        return cls(max_attempts=1)

    @classmethod
    def from_value(cls, value: RetryPolicy | Mapping[str, Any] | None) -> RetryPolicy:
        """Coerce a setting: a policy, a dict of its fields (``{"max_elapsed": 45}``) or None."""
        if value is None:
            return cls.ses()
        if isinstance(value, RetryPolicy):
            return value
        if isinstance(value, Mapping):
            fields = {f.name for f in dataclasses.fields(cls)}
            unknown = sorted(set(value) - fields)
            if unknown:
                raise SESConfigurationError(
                    "retry",
                    f"unknown field(s) {', '.join(unknown)}; valid fields are "
                    f"{', '.join(sorted(fields))}",
                )
            options = dict(value)
            if "waits" in options and not isinstance(options["waits"], (list, tuple)):
                raise SESConfigurationError("retry.waits", "give a list of seconds")
            return cls(**options)
        raise SESConfigurationError(
            "retry", f"{value!r}: give a RetryPolicy, a dict of its fields, or None"
        )

    def replace(self, **changes: Any) -> RetryPolicy:
        """A copy with ``changes`` (the policy is immutable)."""
        return dataclasses.replace(self, **changes)

    def should_retry(self, error: BaseException | None) -> bool:
        return is_retryable(error, retry_ambiguous=self.retry_ambiguous)

    def wait_after(self, attempt: int, error: BaseException | None) -> float | None:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), or ``None``
        to stop. Pure: no clock, no randomness (``max_elapsed`` and ``jitter`` are applied
        by :func:`call_with_retry`). ``error=None`` asks about the ladder alone."""
        if error is not None and not self.should_retry(error):
            return None
        if self.max_attempts is not None and attempt >= self.max_attempts:
            return None
        step = attempt - 1
        if step >= len(self.waits):
            if not self.repeat:
                return None
            step %= len(self.waits)
        wait = self.waits[step]
        return max(wait, max(self.waits)) if needs_long_wait(error) else wait


class _Schedule:
    """Feeds one run's waits and stop decision to tenacity, on the injected clock."""

    def __init__(self, policy: RetryPolicy, clock: Callable[[], float], rng: random.Random):
        self.policy = policy
        self.clock = clock
        self.rng = rng
        self.started = clock()
        self.next_wait: float | None = None

    def wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        self.next_wait = self.policy.wait_after(state.attempt_number, error)
        if self.next_wait is None:
            return 0.0
        if self.policy.jitter:
            spread = self.policy.jitter
            self.next_wait *= 1 + self.rng.uniform(-spread, spread)
        return self.next_wait

    def stop(self, state: tenacity.RetryCallState) -> bool:
        if self.next_wait is None:
            return True
        limit = self.policy.max_elapsed
        return limit is not None and self.clock() - self.started + self.next_wait > limit


def call_with_retry(
    policy: RetryPolicy,
    attempt: Callable[[], T],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_retry: RetryHook | None = None,
    rng: random.Random | None = None,
) -> T:
    """Call ``attempt`` until it succeeds, raises a non-retryable error, or the policy
    gives up, in which case :class:`SESRetriesExhausted` is raised from the last error.

    ``on_retry(error, attempt_number, wait)`` runs before each wait.
    """
    schedule = _Schedule(policy, clock, rng or random.Random())  # noqa: S311 - jitter only

    def before_sleep(state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        if on_retry is not None and isinstance(error, SESError):
            on_retry(error, state.attempt_number, state.upcoming_sleep)

    def exhausted(state: tenacity.RetryCallState) -> T:
        error = state.outcome.exception() if state.outcome else None
        assert isinstance(error, SESError)
        raise SESRetriesExhausted(
            error.reply,
            f"gave up after {state.attempt_number} attempt(s)",
            last_error=error,
            attempts=state.attempt_number,
        ) from error

    retrying = tenacity.Retrying(
        sleep=sleep,
        wait=schedule.wait,
        stop=schedule.stop,
        retry=tenacity.retry_if_exception(policy.should_retry),
        before_sleep=before_sleep,
        retry_error_callback=exhausted,
        reraise=True,
    )
    return retrying(attempt)
