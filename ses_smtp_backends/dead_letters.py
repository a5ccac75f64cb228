"""The dead-letter list: messages a background worker gave up on because they grew older
than their ``max_age`` while SES kept answering with transient errors.

A Redis list (``ses-smtp:dead-letters``, JSON entries, oldest first) at the URL in
``SES_SMTP_DEAD_LETTERS``. ``ses-smtp dead-letters list`` shows it; ``ses-smtp dead-letters
retry`` sends every entry again and removes the delivered ones.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import time
from typing import Any

from .config import SESConfig
from .exceptions import SESError
from .queued import config_for
from .retry import RetryPolicy
from .sender import Sender

__all__ = ["DEAD_LETTERS_ENV", "DEAD_LETTERS_KEY", "bury", "dead_letters", "retry_dead_letters"]

log = logging.getLogger("ses_smtp_backends")

#: The Redis list holding the messages given up on (JSON, newest last).
DEAD_LETTERS_KEY = "ses-smtp:dead-letters"
#: The environment variable naming the Redis URL of the list.
DEAD_LETTERS_ENV = "SES_SMTP_DEAD_LETTERS"


def configured_url(fallback: str | None = None) -> str | None:
    """The dead-letter Redis URL: ``$SES_SMTP_DEAD_LETTERS``, else ``fallback`` if it is a
    Redis URL (the Celery broker, say), else ``None``."""
    url = os.environ.get(DEAD_LETTERS_ENV) or fallback or ""
    return url if url.startswith(("redis://", "rediss://", "unix://")) else None


def _client(url: str | None) -> Any:
    url = url or configured_url()
    if url is None:
        raise RuntimeError(
            f"set {DEAD_LETTERS_ENV} (or pass --redis) to the Redis URL of the dead-letter list"
        )
    try:
        import redis
    except ImportError as error:
        raise ImportError(
            'the dead-letter list needs redis-py: pip install "ses-smtp-backends[redis]"'
        ) from error
    return redis.Redis.from_url(url)


def bury(payload: dict[str, Any], error: SESError, url: str | None = None) -> None:
    """Add a given-up message (its queued payload) to the list."""
    entry = {
        "payload": payload,
        "error": str(error.reply),
        "kind": error.kind.name,
        "failed_at": time.time(),
    }
    _client(url).rpush(DEAD_LETTERS_KEY, json.dumps(entry))


def bury_if_configured(
    payload: dict[str, Any], error: SESError, fallback: str | None = None
) -> bool:
    """For a worker giving a message up: add it to the list when one is configured (see
    :func:`configured_url`). Returns whether it was added; a failure to add is logged, not
    raised, as the task fails anyway and the queue keeps the message in its arguments."""
    url = configured_url(fallback)
    if url is None:
        log.warning("no dead-letter list (set %s): the failed task is the record", DEAD_LETTERS_ENV)
        return False
    try:
        bury(payload, error, url)
    except Exception:
        log.exception(
            "could not add the message to %s to the dead-letter list",
            ", ".join(payload["to_addrs"]),
        )
        return False
    return True


def dead_letters(url: str | None = None) -> list[dict[str, Any]]:
    """The messages given up on, oldest first."""
    return [json.loads(item) for item in _client(url).lrange(DEAD_LETTERS_KEY, 0, -1)]


def retry_dead_letters(
    url: str | None = None, config: SESConfig | None = None
) -> list[tuple[dict[str, Any], Any]]:
    """Send every dead letter again, now, with SES's ladder bounded to one climb; delivered
    ones leave the list, failed ones stay. Returns (entry, receipt or error) pairs."""
    client = _client(url)
    outcomes: list[tuple[dict[str, Any], Any]] = []
    for raw in client.lrange(DEAD_LETTERS_KEY, 0, -1):
        entry = json.loads(raw)
        payload = entry["payload"]
        settings = config or config_for(payload)
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
