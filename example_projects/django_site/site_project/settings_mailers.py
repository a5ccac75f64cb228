"""The same project configured with Django 6.1's MAILERS (no EMAIL_* settings allowed)."""

import os

from .settings import *  # noqa: F403

for _name in ("EMAIL_BACKEND", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD", "SES_SMTP"):
    globals().pop(_name, None)

_SES = {
    "region": os.environ.get("SES_SMTP_REGION", "us-east-1"),
    "host": os.environ.get("SES_SMTP_HOST", "127.0.0.1"),
    "port": int(os.environ.get("SES_SMTP_PORT", "2587")),
    "cafile": os.environ.get("SES_SMTP_CAFILE", "/tmp/ses-ca.pem"),  # noqa: S108
    "username": os.environ.get("SES_SMTP_USERNAME", "AKIAIOSFODNN7EXAMPLE"),
    "password": os.environ.get("SES_SMTP_PASSWORD", "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"),
}
MAILERS = {
    "default": {"BACKEND": "ses_smtp_backends.django.EmailBackend", "OPTIONS": _SES},
    # Django's migration guide: error mail gets its own mailer that fails silently, so a
    # mail failure never breaks the request that logged the error.
    "admins": {
        "BACKEND": "ses_smtp_backends.django.EmailBackend",
        "OPTIONS": {**_SES, "fail_silently": True},
    },
}
LOGGING["handlers"]["mail_admins"]["using"] = "admins"  # noqa: F405
