"""Django settings for the test suite. No EMAIL_* here: each test sets what it needs
(Django 6.1 forbids EMAIL_* next to MAILERS and warns about them at start-up)."""

import django

SECRET_KEY = "tests-only"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "ses_smtp_backends.django",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
DEFAULT_FROM_EMAIL = "app@example.com"
SERVER_EMAIL = "server@example.com"
# Django 6.0 takes plain addresses; earlier versions need (name, address) pairs.
ADMINS = ["admin@example.org"] if django.VERSION >= (6, 0) else [("Admin", "admin@example.org")]
ROOT_URLCONF = "tests.django.urls"
