"""``ses-smtp demo``: the library at work on the embedded SES simulator.

A normal send, throttling survived on SES's ladder, a daily quota, a permanent error with its
hint, then the same send through each framework adapter that is installed, and a table.
Retry waits are real waits scaled down 1:1000 and labelled as such.
"""

from __future__ import annotations

import importlib.util
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import Hooks, Sender, SESConfig, SESError

SCALE = 1000
FROM = "demo@example.com"
TO = "success@simulator.amazonses.com"
MESSAGE = (
    f"From: Demo <{FROM}>\r\nTo: {TO}\r\nSubject: ses-smtp-backends demo\r\n\r\n"
    "Sent through the SES simulator.\r\n"
).encode()


@dataclass
class Row:
    step: str
    path: str
    outcome: str
    attempts: int | str
    detail: str


def scaled_sleep(seconds: float) -> None:
    time.sleep(seconds / SCALE)


def run_demo(out: Callable[[str], None] = print) -> int:
    try:
        from ..simulator import SESReplies, SESSimulator
    except ImportError as error:
        out(f"ses-smtp demo: {error}")
        return 2
    rows: list[Row] = []
    with SESSimulator(verified_identities=["example.com"]) as ses:
        s = ses.client_settings()
        config = SESConfig(
            region=s["region"], host=s["host"], port=s["port"], username=s["username"],
            password=s["password"], cafile=s["cafile"],
        )  # fmt: skip
        out(
            f"SES simulator on {ses.host}:{ses.port} (STARTTLS, verified certificate, {ses.region})"
        )

        def on_retry(error: SESError, attempt: int, wait: float) -> None:
            out(f"    attempt {attempt}: {error.reply} -> wait {wait:g} s (scaled 1:{SCALE} here)")

        with Sender(config, sleep=scaled_sleep, hooks=Hooks(on_retry=on_retry)) as sender:

            def core(
                step: str,
                title: str,
                inject: tuple[str, int] | None = None,
                sender_address: str = FROM,
            ) -> None:
                out(f"{step}. {title}")
                if inject:
                    ses.inject(inject[0], at="END_OF_DATA", times=inject[1])
                try:
                    receipt = sender.send(sender_address, [TO], MESSAGE)
                except SESError as error:
                    out(f"    raised {type(error).__name__}: {error.reply}")
                    out(f"    hint: {error.hint}")
                    rows.append(Row(step, "core", "raised", 1, type(error).__name__))
                    return
                tries = receipt.attempts
                out(f"    sent after {tries} attempt(s); SES message ID {receipt.message_id}")
                out(f"    delivered with Message-ID: {receipt.message_id_header}")
                outcome = "sent" if receipt.attempts == 1 else "sent after retries"
                rows.append(Row(step, "core", outcome, receipt.attempts, receipt.message_id or ""))

            core("1", "A normal send: the SES message ID comes back")
            core("2", "Throttled three times: retried on the 5/10/30 s ladder",
                 (SESReplies.MAX_SEND_RATE_EXCEEDED, 3))  # fmt: skip
            core(
                "3",
                "Daily quota: the short waits are skipped",
                (SESReplies.DAILY_QUOTA_EXCEEDED, 1),
            )
            core("4", "Unverified sender: a 554 is raised at once, never retried",
                 sender_address="news@unverified.example")  # fmt: skip

        for step, (name, module, send) in enumerate(
            (
                ("Django", "django", _django),
                ("Flask", "flask_mail", _flask),
                ("logging", "logging", _logging),
            ),
            start=5,
        ):
            out(f"{step}. The same send through the {name} adapter")
            if importlib.util.find_spec(module) is None:
                extra = f'"ses-smtp-backends[{name.lower()}]"'
                out(f"    skipped: {name} is not installed (pip install {extra})")
                rows.append(Row(str(step), name, "skipped", "-", "not installed"))
                continue
            ses.inject(SESReplies.MAX_SEND_RATE_EXCEEDED, at="END_OF_DATA", times=1)
            messages_before, faults_before = len(ses.messages), len(ses.faults.served)
            send(s)
            stored = ses.messages[messages_before:]
            attempts = len(ses.faults.served) - faults_before + len(stored)
            message_id = stored[-1].message_id if stored else ""
            out(f"    sent after {attempts} attempt(s), one throttled; SES message ID {message_id}")
            outcome = (
                "sent after retries" if stored and attempts > 1 else "sent" if stored else "lost"
            )
            rows.append(Row(str(step), name, outcome, attempts, message_id))

        out("")
        out(f"{'step':<5} {'path':<8} {'outcome':<20} {'attempts':<9} SES message ID / error")
        for row in rows:
            out(f"{row.step:<5} {row.path:<8} {row.outcome:<20} {row.attempts!s:<9} {row.detail}")
        out(f"The simulator stored {len(ses.messages)} message(s).")
    return 0


def _django(s: dict[str, Any]) -> None:
    import django
    from django.conf import settings

    from ..django import EmailBackend

    options = {
        "region": s["region"], "host": s["host"], "port": s["port"], "username": s["username"],
        "password": s["password"], "cafile": s["cafile"], "use_tls": True,
    }  # fmt: skip
    if not settings.configured:
        if django.VERSION >= (6, 1):
            mailers = {
                "default": {"BACKEND": "ses_smtp_backends.django.EmailBackend", "OPTIONS": options}
            }
            settings.configure(MAILERS=mailers, DEFAULT_FROM_EMAIL=FROM)
        else:
            ses_smtp = {
                k.upper(): v
                for k, v in options.items()
                if k not in ("username", "password", "use_tls")
            }
            settings.configure(
                EMAIL_BACKEND="ses_smtp_backends.django.EmailBackend",
                SES_SMTP=ses_smtp,
                EMAIL_HOST_USER=s["username"],
                EMAIL_HOST_PASSWORD=s["password"],
                EMAIL_USE_TLS=True,
                DEFAULT_FROM_EMAIL=FROM,
            )
        django.setup()
    setattr(EmailBackend, "sleep", staticmethod(scaled_sleep))  # noqa: B010 - the test seam
    from django.core.mail import send_mail

    send_mail("ses-smtp-backends demo (Django)", "Sent by send_mail().", FROM, [TO])


def _flask(s: dict[str, Any]) -> None:
    from flask import Flask
    from flask_mail import Message

    from ..flask import SESConnection, SESMail

    setattr(SESConnection, "sleep", staticmethod(scaled_sleep))  # noqa: B010 - the test seam
    app = Flask("ses_smtp_demo_flask")
    app.config.update(
        MAIL_SERVER=s["host"],
        MAIL_PORT=s["port"],
        MAIL_USERNAME=s["username"],
        MAIL_PASSWORD=s["password"],
        MAIL_USE_TLS=True,
        MAIL_DEFAULT_SENDER=FROM,
        SES_SMTP_REGION=s["region"],
        SES_SMTP_CAFILE=s["cafile"],
    )
    mail = SESMail(app)
    with app.app_context():
        mail.send(
            Message("ses-smtp-backends demo (Flask)", recipients=[TO], body="Sent by SESMail.")
        )


def _logging(s: dict[str, Any]) -> None:
    from ..logging import SESHandler

    setattr(SESHandler, "sleep", staticmethod(scaled_sleep))  # noqa: B010 - the test seam
    handler = SESHandler(
        (s["host"], s["port"]), FROM, [TO], "ses-smtp-backends demo (logging)",
        credentials=(s["username"], s["password"]), cafile=s["cafile"], region=s["region"],
    )  # fmt: skip
    logger = logging.getLogger("ses_smtp_demo_logging")
    logger.propagate = False
    logger.addHandler(handler)
    logger.error("an error record, mailed by SESHandler")
    logger.removeHandler(handler)
    handler.close()
