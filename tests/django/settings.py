"""Django settings for the test suite. No EMAIL_* here: each test sets what it needs
(Django 6.1 forbids EMAIL_* next to MAILERS and warns about them at start-up)."""

SECRET_KEY = "tests-only"  # noqa: S105
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "ses_smtp_backends.django",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
DEFAULT_FROM_EMAIL = "app@example.com"
SERVER_EMAIL = "server@example.com"
ADMINS = ["admin@example.org"]
ROOT_URLCONF = "tests.django.urls"
