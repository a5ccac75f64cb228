"""Example settings: Django's EMAIL_BACKEND (every supported Django version).

By default they point at `ses-smtp simulator --port 2587 --cafile /tmp/ses-ca.pem`. For real
SES, set SES_SMTP_REGION and the SMTP credentials in the environment, and drop SES_SMTP_HOST,
SES_SMTP_PORT and SES_SMTP_CAFILE.
"""

import os

SECRET_KEY = "example-only-not-secret"  # noqa: S105
DEBUG = True
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "testserver"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "ses_smtp_backends.django",  # system checks and manage.py ses_smtp_check
]
ROOT_URLCONF = "site_project.urls"
DATABASES = {}
USE_TZ = True
DEFAULT_FROM_EMAIL = "Example <app@example.com>"
SERVER_EMAIL = "errors@example.com"
ADMINS = [("Ops", "success@simulator.amazonses.com")]

EMAIL_BACKEND = "ses_smtp_backends.django.EmailBackend"
# The simulator accepts AWS's documentation example key and the SMTP password derived
# from it; for real SES use your own SMTP credentials (never the IAM secret key itself).
EMAIL_HOST_USER = os.environ.get("SES_SMTP_USERNAME", "AKIAIOSFODNN7EXAMPLE")
EMAIL_HOST_PASSWORD = os.environ.get(
    "SES_SMTP_PASSWORD", "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"
)
SES_SMTP = {
    "REGION": os.environ.get("SES_SMTP_REGION", "us-east-1"),
    "HOST": os.environ.get("SES_SMTP_HOST", "127.0.0.1"),
    "PORT": int(os.environ.get("SES_SMTP_PORT", "2587")),
    "CAFILE": os.environ.get("SES_SMTP_CAFILE", "/tmp/ses-ca.pem"),  # noqa: S108
    # Synchronous sends retry one climb of SES's ladder (5, 10, 30 s) by default; a web
    # request should not wait longer. Uncomment to change the budget.
    # "MAX_ELAPSED": 45,
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        # Error reports by mail, through the same SES backend.
        "mail_admins": {"level": "ERROR", "class": "django.utils.log.AdminEmailHandler"},
    },
    "loggers": {
        "django.request": {"handlers": ["mail_admins", "console"], "level": "ERROR"},
        "ses_smtp_backends": {"handlers": ["console"], "level": "INFO"},
    },
}
