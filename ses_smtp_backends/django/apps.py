from __future__ import annotations

from django.apps import AppConfig
from django.core import checks


class SESSMTPConfig(AppConfig):
    """Adds the system checks and the ``ses_smtp_check`` management command."""

    name = "ses_smtp_backends.django"
    label = "ses_smtp_backends"
    verbose_name = "Amazon SES SMTP"

    def ready(self) -> None:
        from .checks import check_ses_smtp_backends

        checks.register(check_ses_smtp_backends, checks.Tags.compatibility)
