"""The Celery app the pacing benchmark's worker processes run."""

import os

from celery import Celery

app = Celery(
    "ses_bench", broker=os.environ["CELERY_BROKER_URL"], backend=os.environ["CELERY_RESULT_BACKEND"]
)
app.conf.update(broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)
app.set_default()

import ses_smtp_backends.celery  # noqa: E402,F401 - registers the task
