"""The task ``TaskEmailBackend`` queues (Django 6.0+'s tasks framework): send one message,
and after a transient failure enqueue the next attempt with ``run_after`` set to SES's next
wait, so no worker sleeps through it.

The worker needs this module importable (it is, wherever ``ses_smtp_backends`` is installed)
and the project's settings: SES settings come from them, never from the queue. A message
given up on fails its task (the tasks backend keeps it, with its arguments), sends
``message_failed``, and, when it ran out of time and ``SES_SMTP_DEAD_LETTERS`` names a
Redis URL, goes to the dead-letter list that ``ses-smtp dead-letters retry`` re-sends.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.tasks import TaskContext, task
from django.utils import timezone

from .. import dead_letters
from ..queued import attempt, attempt_number, sent
from .background import worker_failed


@task(takes_context=True)
def send_email(context: TaskContext, payload: dict[str, Any]) -> dict[str, Any]:
    """Send one queued message; return its SES message ID, or where the next attempt went."""
    outcome = attempt(payload)
    if outcome.retry is not None:
        run_after = timezone.now() + timedelta(seconds=outcome.delay)
        later = context.task_result.task.using(run_after=run_after).enqueue(outcome.retry)
        return {
            "retry_id": str(later.id),
            "attempts": attempt_number(payload),
            "error": str(outcome.error.reply) if outcome.error else "",
            "countdown": outcome.retry["countdowns"][-1],
        }
    if outcome.given_up is not None:
        if outcome.out_of_time:  # keep it where it can be re-sent
            dead_letters.bury_if_configured(payload, outcome.given_up)
        worker_failed(payload, outcome.given_up)
        raise outcome.given_up from outcome.error
    assert outcome.receipt is not None
    return sent(payload, outcome.receipt)
