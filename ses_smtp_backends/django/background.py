"""Background sending for Django: ``CeleryEmailBackend`` (Celery) and ``TaskEmailBackend``
(Django 6.0+'s tasks framework). Both check each message here, queue it, and return how
many they queued; a worker sends it on SES's retry ladder (:mod:`ses_smtp_backends.queued`).

The worker builds its SESConfig from the same Django settings
(:func:`ses_smtp_backends.django.conf.worker_config`), so no credential travels through the
queue. When the worker gives a message up (a permanent error, or ``max_age`` reached), it
sends ``message_failed`` with a :class:`~ses_smtp_backends.queued.QueuedMessage` as
``message``: the ``EmailMessage`` itself stayed in the web process.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import django
from django.core.mail.message import EmailMessage

from ..exceptions import SESError
from ..queued import DEFAULT_MAX_AGE, QueuedMessage, checked_max_age, new_payload
from . import signals
from .backend import EmailBackend, addr_spec, message_bytes
from .conf import background_option, configuration_error
from .exceptions import for_django

log = logging.getLogger("ses_smtp_backends.django")

#: The config factory the worker calls (``"module:callable"``, with the MAILERS alias).
WORKER_CONFIG = "ses_smtp_backends.django.conf:worker_config"


class _QueueingBackend(EmailBackend):
    """Checks each message, builds its payload, and hands it to ``_enqueue``."""

    #: The engine, named in each payload so the worker knows which backend sent it.
    engine = ""

    def __init__(self, *args: Any, max_age: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_age = max_age_for(max_age, self.alias)

    def open(self) -> bool:
        return False  # nothing to connect to: the worker sends

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Queue the messages; return how many were queued. Bad input raises before
        anything is queued; ``fail_silently`` covers queueing errors only."""
        payloads = [
            (message, self._payload(message)) for message in email_messages if message.recipients()
        ]
        queued = 0
        for message, payload in payloads:
            try:
                message.ses_task_id = self._enqueue(payload)
            except Exception as error:  # the queue, not SES: queueing failed
                if not self.fail_silently:
                    raise
                log.warning("could not queue a message for the worker (fail_silently): %s", error)
                continue
            queued += 1
        return queued

    def _payload(self, message: EmailMessage) -> dict[str, Any]:
        return new_payload(
            addr_spec(message.from_email),
            [addr_spec(address) for address in message.recipients()],
            message_bytes(message),
            config=WORKER_CONFIG,
            config_args=[self.alias] if self.alias else [],
            max_age=self.max_age,
            meta={"adapter": "django", "engine": self.engine},
        )

    def _enqueue(self, payload: dict[str, Any]) -> str:
        """Queue one payload; return the task's ID."""
        raise NotImplementedError


class CeleryEmailBackend(_QueueingBackend):
    """Queue each message for a Celery worker (``ses_smtp_backends.celery``) instead of
    sending it now; ``send_messages()`` returns how many were queued, and each message gets
    ``ses_task_id`` (the Celery task ID). Messages get no ``ses_message_id`` here: the SES
    ID exists only once the worker has sent them. Option: ``max_age`` (seconds, default one
    day) after which a message still failing transiently goes to the dead-letter list.
    """

    engine = "celery"

    def _enqueue(self, payload: dict[str, Any]) -> str:
        from ..celery import send

        return str(send.delay(payload).id)


class TaskEmailBackend(_QueueingBackend):
    """Queue each message through Django's tasks framework (Django 6.0+); the tasks
    backend's worker sends it (task ``ses_smtp_backends.django.tasks.send_email``) and
    re-enqueues it with ``run_after`` after a transient failure.

    Options (MAILERS OPTIONS, or ``SES_SMTP`` keys in upper case): ``task_backend`` (the
    ``TASKS`` alias, default ``"default"``; it must support ``run_after``, as
    django-tasks-db's ``DatabaseBackend`` does; ``TASKS`` needs a ``"default"`` entry in any
    case, where the task is declared), ``queue_name`` and ``max_age``.
    ``send_messages()`` returns how many were queued; each message gets ``ses_task_id``
    (the task result's ID).
    """

    def __init__(
        self,
        *args: Any,
        task_backend: str | None = None,
        queue_name: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.task = send_task(task_backend, queue_name, self.alias)

    engine = "tasks"

    def _enqueue(self, payload: dict[str, Any]) -> str:
        return str(self.task.enqueue(payload).id)


def max_age_for(max_age: float | None, alias: str | None) -> float:
    """The configured ``max_age`` (default one day), or a configuration error."""
    value, where = background_option("max_age", max_age, alias)
    if value is None:
        return DEFAULT_MAX_AGE
    try:
        return checked_max_age(value)
    except ValueError as error:
        raise configuration_error(f"{where}: {error}", alias) from None


def send_task(task_backend: str | None, queue_name: str | None, alias: str | None) -> Any:
    """The send task bound to the configured tasks backend and queue; raises a
    configuration error naming the setting to fix (also ``manage.py check``'s E003)."""
    if django.VERSION < (6, 0):
        raise configuration_error(
            f"TaskEmailBackend needs Django 6.0 or later (django.tasks); this is Django "
            f"{django.get_version()}: use CeleryEmailBackend",
            alias,
        )
    from django.tasks import task_backends
    from django.tasks.exceptions import InvalidTask, InvalidTaskBackend

    backend_alias, backend_where = background_option("task_backend", task_backend, alias)
    queue_name, queue_where = background_option("queue_name", queue_name, alias)
    backend_alias = backend_alias or "default"
    try:
        tasks_backend = task_backends[backend_alias]
    except InvalidTaskBackend:
        raise configuration_error(
            f"{backend_where}: TASKS has no backend {backend_alias!r}; add it to TASKS or "
            f"name one of {', '.join(repr(name) for name in _tasks_aliases())}",
            alias,
        ) from None
    if not tasks_backend.supports_defer:
        raise configuration_error(
            f"{backend_where}: the tasks backend {backend_alias!r} "
            f"({type(tasks_backend).__name__}) cannot run a task later (run_after), which "
            f"SES's retry waits need: use a backend with a worker, such as "
            f"django_tasks_db.DatabaseBackend, or EmailBackend to send inline",
            alias,
        )
    from .tasks import send_email

    try:
        return send_email.using(backend=backend_alias, queue_name=queue_name)
    except InvalidTask as error:
        raise configuration_error(f"{queue_where}: {error}", alias) from None


def _tasks_aliases() -> list[str]:
    from django.conf import settings

    return list(getattr(settings, "TASKS", {}) or ["default"])


def worker_failed(payload: dict[str, Any], error: SESError) -> None:
    """Send ``message_failed`` from the worker for a message it gave up on. Robustly: a
    receiver that raises is logged (by Django) and the others still run; the task fails
    either way."""
    engine = payload.get("meta", {}).get("engine")
    sender = TaskEmailBackend if engine == TaskEmailBackend.engine else CeleryEmailBackend
    signals.message_failed.send_robust(
        sender, message=QueuedMessage.from_payload(payload), error=for_django(error)
    )
