"""Django settings of the worker processes the tests start (django-tasks-db's db_worker, and
the Celery worker for Django's messages): the test settings (and database file), SES
settings from the environment (the simulator's, see ``tests.helpers.worker_environment``),
and a receiver that records every ``message_failed`` the worker sends."""

import os

from tests.django.settings import *  # noqa: F403
from tests.django.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.django.failure_recorder.FailureRecorder"]
SES_SMTP = {
    "REGION": os.environ["SES_SMTP_REGION"],
    "HOST": os.environ["SES_SMTP_HOST"],
    "PORT": int(os.environ["SES_SMTP_PORT"]),
    "USERNAME": os.environ["SES_SMTP_USERNAME"],
    "PASSWORD": os.environ["SES_SMTP_PASSWORD"],
    "CAFILE": os.environ["SES_SMTP_CAFILE"],
}
