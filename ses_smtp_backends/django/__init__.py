"""Django integration: ``EMAIL_BACKEND = "ses_smtp_backends.django.EmailBackend"``.

Add ``"ses_smtp_backends.django"`` to ``INSTALLED_APPS`` for the system checks and the
``ses_smtp_check`` management command.
"""

from __future__ import annotations

try:
    import django  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised in the minimal tox env
    raise ImportError(
        'ses_smtp_backends.django needs Django: pip install "ses-smtp-backends[django]"'
    ) from error

from .backend import EmailBackend
from .background import CeleryEmailBackend, TaskEmailBackend

__all__ = ["CeleryEmailBackend", "EmailBackend", "TaskEmailBackend"]
