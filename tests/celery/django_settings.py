"""Django settings for the Celery worker process: SES settings from its environment."""

import os

SECRET_KEY = "tests-only"
INSTALLED_APPS = ["tests.django.failure_recorder.FailureRecorder"]  # records message_failed
SES_SMTP = {
    "REGION": os.environ["SES_SMTP_REGION"],
    "HOST": os.environ["SES_SMTP_HOST"],
    "PORT": int(os.environ["SES_SMTP_PORT"]),
    "USERNAME": os.environ["SES_SMTP_USERNAME"],
    "PASSWORD": os.environ["SES_SMTP_PASSWORD"],
    "CAFILE": os.environ["SES_SMTP_CAFILE"],
}
