"""Background delivery with Celery: ``enqueue()`` a message, a worker sends it.

SES's ladder has a 20-minute step that no web request can wait through; here each wait
is a Celery countdown instead. Transient failures are retried with the countdowns of
``RetryPolicy.ses()`` (5, 10, 30, 1200 s, repeated; the daily quota waits the long step)
until the message is ``max_age`` seconds old; permanent failures fail the task at once,
without retry. A message that runs out of time goes to a dead-letter list in Redis, where
``ses-smtp dead-letters list`` shows it and ``ses-smtp dead-letters retry`` sends it again.

Worker configuration: ``SESConfig.from_env()`` (``SES_SMTP_*`` / ``AWS_*``) unless the
message names a ``config`` factory (``"module:callable"`` returning an ``SESConfig``), so
credentials never travel through the broker. Dead letters go to ``SES_SMTP_DEAD_LETTERS``
(a Redis URL), else the Celery broker when it is Redis.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import time
from collections.abc import Callable, Sequence
from typing import Any

try:
    from celery import shared_task
except ImportError as error:  # pragma: no cover - exercised in the minimal tox env
    raise ImportError(
        'ses_smtp_backends.celery needs Celery: pip install "ses-smtp-backends[celery]"'
    ) from error

from .config import SESConfig
from .exceptions import SESError, SESRetriesExhausted
from .retry import RetryPolicy
from .sender import Sender

__all__ = ["DEAD_LETTERS_KEY", "dead_letters", "enqueue", "send"]

#: The Redis list holding messages that ran out of time (JSON, newest last).
DEAD_LETTERS_KEY = "ses-smtp:dead-letters"
#: A message older than this (seconds since enqueue) is not retried again: one day.
DEFAULT_MAX_AGE = 24 * 3600.0
#: Multiplies every countdown. For tests only (they cannot wait 20 minutes); 1 in production.
_SCALE_ENV = "SES_SMTP_CELERY_COUNTDOWN_SCALE"


def enqueue(
    from_addr: str,
    to_addrs: Sequence[str],
    data: bytes,
    *,
    config: str | None = None,
    max_age: float = DEFAULT_MAX_AGE,
    meta: dict[str, Any] | None = None,
) -> Any:
    """Queue one message for a worker; return Celery's ``AsyncResult``."""
    payload = {
        "from_addr": from_addr,
        "to_addrs": list(to_addrs),
        "data": base64.b64encode(data).decode("ascii"),
        "config": config,
        "max_age": max_age,
        "enqueued_at": time.time(),
        "waited": 0.0,
        "countdowns": [],
        "meta": meta or {},
    }
    return send.delay(payload)


def _config(source: str | None) -> SESConfig:
    if not source:
        return SESConfig.from_env(retry=RetryPolicy.never())
    module, _, name = source.partition(":")
    factory: Callable[[], SESConfig] = getattr(importlib.import_module(module), name)
    return factory().replace(retry=RetryPolicy.never())  # retries are Celery's countdowns


# max_retries=None: Celery's default (3) would give up on SES's ladder after the third wait.
@shared_task(bind=True, name="ses_smtp_backends.celery.send", acks_late=True, max_retries=None)  # type: ignore[untyped-decorator]
def send(self: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Send one message; on a transient failure schedule the next attempt."""
    attempt = len(payload["countdowns"]) + 1
    try:
        with Sender(_config(payload.get("config"))) as sender:
            receipt = sender.send(
                payload["from_addr"], payload["to_addrs"], base64.b64decode(payload["data"])
            )
    except SESError as failure:
        error = (
            failure.last_error
            if isinstance(failure, SESRetriesExhausted) and failure.last_error
            else failure
        )
        if not error.transient:
            raise  # permanent: the task fails now, never retried
        wait = RetryPolicy.ses().wait_after(attempt, error)
        age = time.time() - payload["enqueued_at"] + payload["waited"]
        if wait is None or age + wait > payload["max_age"]:
            _bury(payload, error)
            return {"dead_letter": True, "attempts": attempt, "countdowns": payload["countdowns"]}
        scale = float(os.environ.get(_SCALE_ENV, "1"))
        retried = {
            **payload,
            "countdowns": [*payload["countdowns"], wait],
            "waited": payload["waited"] + wait * (1 - scale),
        }
        raise self.retry(args=(retried,), countdown=wait * scale, max_retries=None) from error
    return {
        "message_id": receipt.message_id,
        "attempts": attempt,
        "countdowns": payload["countdowns"],
    }


def _redis(url: str | None = None) -> Any:
    import redis

    if url is None:
        url = os.environ.get("SES_SMTP_DEAD_LETTERS")
    if url is None:
        from celery import current_app

        url = str(current_app.conf.broker_url or "")
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise RuntimeError("set SES_SMTP_DEAD_LETTERS to a Redis URL for the dead-letter list")
    return redis.Redis.from_url(url)


def _bury(payload: dict[str, Any], error: SESError) -> None:
    entry = {
        "payload": payload,
        "error": str(error.reply),
        "kind": error.kind.name,
        "failed_at": time.time(),
    }
    _redis().rpush(DEAD_LETTERS_KEY, json.dumps(entry))


def dead_letters(url: str | None = None) -> list[dict[str, Any]]:
    """The messages that ran out of time, oldest first."""
    return [json.loads(item) for item in _redis(url).lrange(DEAD_LETTERS_KEY, 0, -1)]


def retry_dead_letters(
    url: str | None = None, config: SESConfig | None = None
) -> list[tuple[dict[str, Any], Any]]:
    """Send every dead letter again, now, with SES's ladder bounded to one climb; delivered
    ones leave the list, failed ones stay. Returns (entry, receipt or error) pairs."""
    client = _redis(url)
    outcomes: list[tuple[dict[str, Any], Any]] = []
    for raw in client.lrange(DEAD_LETTERS_KEY, 0, -1):
        entry = json.loads(raw)
        payload = entry["payload"]
        settings = config or _config(payload.get("config"))
        try:
            with Sender(settings.replace(retry=RetryPolicy.interactive())) as sender:
                result: Any = sender.send(
                    payload["from_addr"], payload["to_addrs"], base64.b64decode(payload["data"])
                )
        except SESError as error:
            result = error
        else:
            client.lrem(DEAD_LETTERS_KEY, 1, raw)
        outcomes.append((entry, result))
    return outcomes
