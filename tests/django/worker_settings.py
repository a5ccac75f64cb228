"""Settings of the django.tasks worker process the tests start: the test settings (and
database file), SES settings from the environment (the simulator's), and a receiver that
writes every ``message_failed`` the worker sends to a file the test reads."""

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
