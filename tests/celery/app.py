"""The Celery app the test worker runs (and the test process enqueues through)."""

import os

from celery import Celery

app = Celery(
    "ses_smtp_tests",
    broker=os.environ["CELERY_BROKER_URL"],
    backend=os.environ["CELERY_RESULT_BACKEND"],
)
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)
app.set_default()

import ses_smtp_backends.celery  # noqa: E402,F401 - registers the task with this app
