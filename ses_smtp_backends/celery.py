"""Background delivery with Celery: ``enqueue()`` a message, a worker sends it.

SES's ladder has a 20-minute step that no web request can wait through; here each wait
is a Celery countdown instead (the decisions are :mod:`ses_smtp_backends.queued`'s).
Transient failures are retried with the countdowns of ``RetryPolicy.ses()`` (5, 10, 30,
1200 s, repeated) until the message is ``max_age`` seconds old; permanent failures fail the
task at once, without retry. A message given up on fails its task, fires its adapter's
failure signal, and, when it ran out of time, goes to the dead-letter list
(:mod:`ses_smtp_backends.dead_letters`), where ``ses-smtp dead-letters retry`` re-sends it.

Worker configuration: ``SESConfig.from_env()`` (``SES_SMTP_*`` / ``AWS_*``) unless the
message names a ``config`` factory (``"module:callable"`` returning an ``SESConfig``), so
credentials never travel through the broker. Dead letters go to ``SES_SMTP_DEAD_LETTERS``
(a Redis URL), else to the Celery broker when it is Redis.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Sequence
from typing import Any

try:
    from celery import current_app, shared_task
except ImportError as error:  # pragma: no cover - exercised in the minimal tox env
    raise ImportError(
        'ses_smtp_backends.celery needs Celery: pip install "ses-smtp-backends[celery]"'
    ) from error

from . import dead_letters
from .exceptions import SESError
from .queued import DEFAULT_MAX_AGE, attempt, new_payload, sent

__all__ = ["DEFAULT_MAX_AGE", "enqueue", "send"]

log = logging.getLogger("ses_smtp_backends.celery")

#: The adapters whose failure signal a worker fires, by the ``adapter`` a payload's meta
#: names. A fixed table: a payload selects one of these, never an arbitrary import.
FAILURE_HOOKS = {
    "django": "ses_smtp_backends.django.background:worker_failed",
    "flask": "ses_smtp_backends.flask:worker_failed",
}


def enqueue(from_addr: str, to_addrs: Sequence[str], data: bytes, **options: Any) -> Any:
    """Check the message and queue it for a worker; return Celery's ``AsyncResult``.

    ``options`` are :func:`~ses_smtp_backends.queued.new_payload`'s: ``config`` (the
    worker's ``"module:callable"`` config factory) and ``config_args``, ``max_age`` (default
    one day), ``meta``. Bad input (an address SES would refuse, a message over 40 MB or with
    a line over 998 octets) raises here, before anything is queued.
    """
    return send.delay(new_payload(from_addr, to_addrs, data, **options))


# max_retries=None: Celery's default (3) would give up on SES's ladder after the third wait.
@shared_task(bind=True, name="ses_smtp_backends.celery.send", acks_late=True, max_retries=None)  # type: ignore[untyped-decorator]
def send(self: Any, payload: dict[str, Any]) -> dict[str, Any]:
    """Send one message; on a transient failure schedule the next attempt."""
    outcome = attempt(payload)
    if outcome.retry is not None:
        raise self.retry(
            args=(outcome.retry,), countdown=outcome.delay, max_retries=None
        ) from outcome.error
    if outcome.given_up is not None:
        if outcome.out_of_time:  # keep it where it can be re-sent
            broker = str(current_app.conf.broker_url or "")
            dead_letters.bury_if_configured(payload, outcome.given_up, fallback=broker)
        notify_failed(payload, outcome.given_up)
        raise outcome.given_up from outcome.error
    assert outcome.receipt is not None
    return sent(payload, outcome.receipt)


def notify_failed(payload: dict[str, Any], error: SESError) -> None:
    """Fire the failure signal of the adapter that queued the message, if any. A hook
    that raises is logged and ignored: the task fails either way."""
    hook = FAILURE_HOOKS.get(payload.get("meta", {}).get("adapter", ""))
    if hook is None:
        return
    module, _, name = hook.partition(":")
    try:
        getattr(importlib.import_module(module), name)(payload, error)
    except Exception:
        log.exception("the failure hook %s raised; ignored", hook)
