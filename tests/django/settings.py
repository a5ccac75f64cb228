"""Django settings for the test suite. No EMAIL_* here: each test sets what it needs
(Django 6.1 forbids EMAIL_* next to MAILERS and warns about them at start-up)."""

import importlib.util
import os
import tempfile

import django

SECRET_KEY = "tests-only"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "ses_smtp_backends.django",
]
# Django 6.0+: TaskEmailBackend's tests run django-tasks-db's worker in another process,
# which shares the test database through a file (its path passed on in SES_SMTP_TEST_DB).
HAS_TASKS_DB = django.VERSION >= (6, 0) and importlib.util.find_spec("django_tasks_db") is not None
DATABASE_FILE = os.environ.get("SES_SMTP_TEST_DB") or (
    os.path.join(tempfile.gettempdir(), f"ses-smtp-tests-{os.getpid()}.sqlite3")
    if HAS_TASKS_DB
    else ":memory:"
)
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATABASE_FILE,
        "TEST": {"NAME": DATABASE_FILE},
        "OPTIONS": {"timeout": 30},
    }
}
if HAS_TASKS_DB:
    INSTALLED_APPS.append("django_tasks_db")
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
USE_TZ = True
DEFAULT_FROM_EMAIL = "app@example.com"
SERVER_EMAIL = "server@example.com"
# Django 6.0 takes plain addresses; earlier versions need (name, address) pairs.
ADMINS = ["admin@example.org"] if django.VERSION >= (6, 0) else [("Admin", "admin@example.org")]
ROOT_URLCONF = "tests.django.urls"
