"""The Celery app the test worker runs (and the test process enqueues through).

Tasks run in a Flask app context, as in Flask's Celery pattern, so the worker can send
Flask's ``message_failed``; the test records it, and Django's, in SES_SMTP_TEST_FAILURES.
"""

import os

from celery import Celery, Task
from flask import Flask

from tests.helpers import record_failure

flask_app = Flask("celery-worker")


class FlaskTask(Task):
    def __call__(self, *args, **kwargs):
        with flask_app.app_context():
            return self.run(*args, **kwargs)


app = Celery(
    "ses_smtp_tests",
    broker=os.environ["CELERY_BROKER_URL"],
    backend=os.environ["CELERY_RESULT_BACKEND"],
    task_cls=FlaskTask,
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
from ses_smtp_backends.flask import message_failed  # noqa: E402

message_failed.connect(record_failure, flask_app)
