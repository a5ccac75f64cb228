"""The same project sending in the background through Django 6.0+'s tasks framework, with
django-tasks-db's database worker (``pip install django-tasks-db``)::

    python manage.py migrate
    python manage.py db_worker          # sends what the site queues, retrying on SES's ladder
"""

import os
from pathlib import Path

from .settings import *  # noqa: F403
from .settings import INSTALLED_APPS, LOGGING

INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("EXAMPLE_DB", Path(__file__).resolve().parent.parent / "db.sqlite3"),
    }
}
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

EMAIL_BACKEND = "ses_smtp_backends.django.TaskEmailBackend"
SES_SMTP = {**SES_SMTP, "MAX_AGE": 24 * 3600}  # noqa: F405 - give up (dead letter) after a day
# Error reports go out inline: queued in the failing request's transaction, they could be
# rolled back with it.
LOGGING["handlers"]["mail_admins"]["email_backend"] = "ses_smtp_backends.django.EmailBackend"
