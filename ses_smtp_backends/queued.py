"""A message queued for a background worker, and what the worker does after each attempt.

Both background engines (Celery, ``ses_smtp_backends.celery``; Django's tasks framework,
``ses_smtp_backends.django.tasks``) carry the same JSON payload and take the same decisions:

- accepted: done;
- permanent failure (5xx): give up at once, never retried;
- transient failure (4xx, network): try again after the next wait of ``RetryPolicy.ses()``
  (5, 10, 30, 1200 s, repeated; a daily-quota refusal waits the long step), unless the
  message would then be older than its ``max_age``: give it up.

The engine turns "try again after N s" into its own deferral (a Celery countdown, a task
re-enqueued with ``run_after``), so no worker sleeps through a wait.
"""

from __future__ import annotations

import atexit
import base64
import email
import email.message
import email.policy
import importlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar, cast

from .config import SESConfig
from .envelope import check_message, clean_envelope
from .exceptions import SESConfigurationError, SESError, SESRetriesExhausted
from .receipt import Receipt
from .retry import RetryPolicy
from .sender import Sender

__all__ = [
    "DEFAULT_MAX_AGE",
    "Outcome",
    "QueuedMessage",
    "attempt",
    "checked_max_age",
    "config_factory",
    "config_for",
    "give_up",
    "new_payload",
    "next_attempt",
    "root_error",
    "sender_for",
    "sent",
]

log = logging.getLogger("ses_smtp_backends")

#: A message older than this (seconds since it was queued) is given up: one day.
DEFAULT_MAX_AGE = 24 * 3600.0
#: Multiplies every wait. For tests only (they cannot wait 20 minutes); 1 in production.
#: The message's age still counts each wait in full, so ``max_age`` behaves as in production.
SCALE_ENV = "SES_SMTP_COUNTDOWN_SCALE"


def checked_max_age(value: object) -> float:
    """``value`` as a ``max_age`` in seconds; ``ValueError`` ("max_age must be ...") if it is
    not a positive number. The adapters say which setting held it."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"max_age must be a positive number of seconds, not {value!r}")
    return float(value)


def new_payload(
    from_addr: str,
    to_addrs: Sequence[str],
    data: bytes,
    *,
    config: str | None = None,
    config_args: Sequence[str] = (),
    max_age: float = DEFAULT_MAX_AGE,
    meta: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The JSON-serialisable payload of one message, checked as ``Sender.send`` would
    check it (addresses, size, line length), so bad input fails here, before queueing.

    ``config`` names a ``"module:function"`` marked with :func:`config_factory`, which the
    worker calls (with the strings ``config_args``) for its ``SESConfig``; without it the
    worker reads ``SES_SMTP_*`` / ``AWS_*``. Either way no credential travels through the
    queue.
    """
    from_addr, recipients = clean_envelope(from_addr, to_addrs)
    check_message(data)
    if config is not None:
        load_config_factory(config)  # a wrong name fails here, not in the worker
    max_age = checked_max_age(max_age)
    return {
        "from_addr": from_addr,
        "to_addrs": recipients,
        "data": base64.b64encode(data).decode("ascii"),
        "config": config,
        "config_args": list(config_args),
        "max_age": max_age,
        "enqueued_at": time.time(),
        "waited": 0.0,  # seconds of waits skipped by SES_SMTP_COUNTDOWN_SCALE
        "countdowns": [],  # the wait before each retry so far
        "meta": dict(meta or {}),
    }


def attempt_number(payload: dict[str, Any]) -> int:
    """Which attempt this is, from 1."""
    return len(payload["countdowns"]) + 1


F = TypeVar("F", bound=Callable[..., SESConfig])
_FACTORY_MARK = "__ses_smtp_config_factory__"


def config_factory(function: F) -> F:
    """Mark ``function`` as an SESConfig factory that queued messages may name
    (``config="module:function"``). Workers call only marked factories, so whoever can
    write to the queue (or the dead-letter list) cannot make a worker call anything else."""
    setattr(function, _FACTORY_MARK, True)
    return function


def load_config_factory(source: str) -> Callable[..., SESConfig]:
    """The marked factory ``source`` (``"module:callable"``) names, or a clear error."""
    module, _, name = source.partition(":")
    try:
        factory = getattr(importlib.import_module(module), name) if name else None
    except (ImportError, AttributeError):
        factory = None
    if factory is None or not getattr(factory, _FACTORY_MARK, False):
        raise SESConfigurationError(
            "config",
            f"{source!r} is not a config factory: name a function as 'module:function' and "
            "decorate it with @ses_smtp_backends.queued.config_factory",
        )
    return cast("Callable[..., SESConfig]", factory)


def config_for(payload: dict[str, Any]) -> SESConfig:
    """The worker's SESConfig for a payload: its ``config`` factory (which must be marked
    with :func:`config_factory`), else the environment (``SES_SMTP_*`` / ``AWS_*``)."""
    source = payload.get("config")
    if not source:
        return SESConfig.from_env()
    args = [arg for arg in payload.get("config_args", ()) if isinstance(arg, str)]
    return load_config_factory(source)(*args)


#: One Sender per configuration source in this worker process, kept between messages.
_senders: dict[str, Sender] = {}
_senders_lock = threading.Lock()


def sender_for(payload: dict[str, Any]) -> Sender:
    """This worker process's Sender for the payload's configuration source, built on first
    use and kept, so messages share its connections (replaced when idle or old, as always)
    and its rate limiter paces everything the process sends. It makes one attempt per send:
    the engine, not the core, does the retrying."""
    key = json.dumps([payload.get("config"), payload.get("config_args", [])])
    with _senders_lock:
        sender = _senders.get(key)
        if sender is None:
            config = config_for(payload).replace(retry=RetryPolicy.never())
            sender = _senders[key] = Sender(config)
    return sender


@atexit.register
def close_senders() -> None:
    """Close the kept connections politely (QUIT); run when the worker process exits."""
    with _senders_lock:
        senders = list(_senders.values())
        _senders.clear()
    for sender in senders:
        sender.close()


def root_error(failure: SESError) -> SESError:
    """The SES error behind ``failure`` (an attempt's exhausted retries unwrapped)."""
    if isinstance(failure, SESRetriesExhausted) and failure.last_error is not None:
        return failure.last_error
    return failure


def next_attempt(
    payload: dict[str, Any], error: SESError, *, now: float | None = None
) -> tuple[float, dict[str, Any]] | None:
    """After a failed attempt: ``(delay in seconds, payload of the next attempt)``, or
    ``None`` when the message must be given up (permanent error, or too old to wait again)."""
    if not error.transient:
        return None
    wait = RetryPolicy.ses().wait_after(attempt_number(payload), error)
    if wait is None:
        return None
    now = time.time() if now is None else now
    age = now - payload["enqueued_at"] + payload["waited"]
    if age + wait > payload["max_age"]:
        return None
    scale = float(os.environ.get(SCALE_ENV, "1"))
    retried = {
        **payload,
        "countdowns": [*payload["countdowns"], wait],
        "waited": payload["waited"] + wait * (1 - scale),
    }
    return wait * scale, retried


def give_up(payload: dict[str, Any], error: SESError) -> SESError:
    """The error to fail the task with: the permanent error itself, or for a transient
    one an ``SESRetriesExhausted`` saying how long the message was tried."""
    if not error.transient:
        return error
    attempts = attempt_number(payload)
    waited = sum(payload["countdowns"])
    exhausted = SESRetriesExhausted(
        error.reply,
        f"gave up after {attempts} attempt(s) and {waited:.0f} s of waits "
        f"(max_age {payload['max_age']:.0f} s)",
        last_error=error,
        attempts=attempts,
    )
    exhausted.__cause__ = error
    return exhausted


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to: sent (``receipt``); to be tried again after ``delay``
    seconds (with the ``retry`` payload); or given up (``given_up``, the error to fail the
    task with). ``error`` is the SES error behind a retry or a give-up."""

    receipt: Receipt | None = None
    delay: float = 0.0
    retry: dict[str, Any] | None = None
    given_up: SESError | None = None
    error: SESError | None = None

    @property
    def out_of_time(self) -> bool:
        """Given up on a transient error: the message belongs on the dead-letter list."""
        return self.given_up is not None and self.error is not None and self.error.transient


def attempt(payload: dict[str, Any]) -> Outcome:
    """Send a queued message once, with the worker's configuration, and decide what next."""
    try:
        receipt = sender_for(payload).send(
            payload["from_addr"], payload["to_addrs"], base64.b64decode(payload["data"])
        )
    except SESError as failure:
        error = root_error(failure)
        step = next_attempt(payload, error)
        if step is not None:
            return Outcome(delay=step[0], retry=step[1], error=error)
        return Outcome(given_up=give_up(payload, error), error=error)
    return Outcome(receipt=receipt)


def sent(payload: dict[str, Any], receipt: Receipt) -> dict[str, Any]:
    """A delivered message's task result: its SES message ID(s), the waits it took, and the
    recipients SES refused while accepting the others (logged too: they were not sent)."""
    refused = {address: str(reply) for address, reply in receipt.refused.items()}
    if refused:
        log.warning(
            "SES accepted message %s but refused %d recipient(s): %s",
            receipt.message_id, len(refused), "; ".join(refused.values()),
        )  # fmt: skip
    return {
        "message_id": receipt.message_id,
        "message_ids": list(receipt.message_ids),
        "refused": refused,
        "attempts": attempt_number(payload),
        "countdowns": payload["countdowns"],
    }


@dataclass(frozen=True)
class QueuedMessage:
    """What a worker knows of a queued message. Failure signals sent from a worker carry
    this as ``message``: the framework's own message object stayed in the web process."""

    from_email: str
    to: list[str]
    data: bytes = field(repr=False)
    attempts: int
    enqueued_at: float
    meta: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> QueuedMessage:
        return cls(
            from_email=payload["from_addr"],
            to=list(payload["to_addrs"]),
            data=base64.b64decode(payload["data"]),
            attempts=attempt_number(payload),
            enqueued_at=payload["enqueued_at"],
            meta=dict(payload.get("meta", {})),
        )

    def recipients(self) -> list[str]:
        """The envelope recipients (as Django's ``EmailMessage.recipients()``)."""
        return list(self.to)

    def message(self) -> email.message.EmailMessage:
        """The message as sent, parsed."""
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed

    @property
    def subject(self) -> str:
        return str(self.message().get("Subject", ""))
