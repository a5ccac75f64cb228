"""``manage.py ses_smtp_check [--using ALIAS] [--send-to ADDRESS]``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ....exceptions import SESError
from ....sender import Sender
from ...backend import addr_spec
from ...conf import resolve
from ...exceptions import for_django


class Command(BaseCommand):
    help = (
        "Connect to SES with the configured settings (TLS, AUTH) and print the classified "
        "result with its hint; optionally send a test message. Exit status: 0 ok, "
        "1 permanent failure, 2 transient failure."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--using", help="MAILERS alias to check (default: 'default')")
        parser.add_argument("--send-to", metavar="ADDRESS", help="also send a test message here")
        parser.add_argument(
            "--from", dest="from_email", help="sender (default: DEFAULT_FROM_EMAIL)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        alias, backend_options = self._backend_options(options["using"])
        config = resolve(backend_options, alias)
        self.stdout.write(
            f"Endpoint: {config.host}:{config.port} ({config.tls}), region {config.region}"
        )
        with Sender(config) as sender:
            try:
                sender.open()
                self.stdout.write(self.style.SUCCESS("Connected, TLS verified, authenticated."))
                if options["send_to"]:
                    from_email = options["from_email"] or settings.DEFAULT_FROM_EMAIL
                    receipt = sender.send(
                        addr_spec(from_email), [options["send_to"]], self._test_message(options)
                    )
                    self.stdout.write(
                        self.style.SUCCESS(f"Sent: SES message ID {receipt.message_id}")
                    )
            except SESError as error:
                error = for_django(error)
                self.stderr.write(f"{type(error).__name__}: {error.reply}")
                self.stderr.write(f"Hint: {error.hint}")
                raise CommandError(
                    "transient failure" if error.transient else "permanent failure",
                    returncode=2 if error.transient else 1,
                ) from None

    @staticmethod
    def _backend_options(using: str | None) -> tuple[str | None, dict[str, Any]]:
        mailers = getattr(settings, "MAILERS", None)
        if mailers is None:
            if using:
                raise CommandError("--using needs settings.MAILERS (Django 6.1+)")
            return None, {}
        alias = using or "default"
        if alias not in mailers:
            raise CommandError(f"MAILERS has no {alias!r} entry")
        options = dict(mailers[alias].get("OPTIONS", {}))
        options.pop("fail_silently", None)
        return alias, options

    @staticmethod
    def _test_message(options: dict[str, Any]) -> bytes:
        sender = options["from_email"] or settings.DEFAULT_FROM_EMAIL
        return (
            f"From: {sender}\r\nTo: {options['send_to']}\r\n"
            "Subject: ses_smtp_check test message\r\n\r\n"
            "Sent by manage.py ses_smtp_check.\r\n"
        ).encode()
