"""Load: 4 threads share one Django backend, then one Flask app: 2000 messages each, every
one accepted once, and never two threads' commands mixed on one SMTP session (the simulator
counts out-of-order and malformed commands)."""

from __future__ import annotations

import threading

import pytest

from ses_smtp_backends.simulator import SESSimulator
from tests.helpers import FakeTime, ses_smtp_setting

TOTAL, THREADS = 2000, 4


def run_threads(work) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            work(index)
        except BaseException as error:  # reported by the test
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def test_four_threads_share_one_django_backend(figures, settings, monkeypatch):
    pytest.importorskip("django")
    from django.core.mail import EmailMessage

    from ses_smtp_backends.django import EmailBackend

    monkeypatch.setattr(EmailBackend, "sleep", staticmethod(FakeTime().sleep))
    with SESSimulator(store=False) as ses:
        settings.EMAIL_BACKEND = "ses_smtp_backends.django.EmailBackend"
        settings.SES_SMTP = ses_smtp_setting(ses, MAX_CONNECTIONS=2)
        backend = EmailBackend()
        counts = [0] * THREADS

        def work(index: int) -> None:
            for n in range(index, TOTAL, THREADS):
                counts[index] += backend.send_messages(
                    [EmailMessage("load", "x", "app@example.com", [f"u{n}@example.org"])]
                )

        errors = run_threads(work)
        backend.close()
        assert errors == []
        assert sum(counts) == TOTAL
        assert ses.accepted_total == TOTAL
        assert ses.protocol_errors == 0
    figures["messages"] += TOTAL


def test_four_threads_share_one_flask_app(figures, monkeypatch):
    pytest.importorskip("flask_mail")
    from flask import Flask
    from flask_mail import Message

    from ses_smtp_backends.flask import SESConnection, SESMail

    monkeypatch.setattr(SESConnection, "sleep", staticmethod(FakeTime().sleep))
    with SESSimulator(store=False) as ses:
        client = ses.client_settings()
        app = Flask("load")
        app.config.update(
            MAIL_SERVER=client["host"], MAIL_PORT=client["port"], MAIL_USERNAME=client["username"],
            MAIL_PASSWORD=client["password"], MAIL_USE_TLS=True, MAIL_DEFAULT_SENDER="app@example.com",
            SES_SMTP_REGION=client["region"], SES_SMTP_CAFILE=client["cafile"],
        )  # fmt: skip
        mail = SESMail(app)

        def work(index: int) -> None:
            with app.app_context(), mail.connect() as connection:
                for n in range(index, TOTAL, THREADS):
                    connection.send(Message("load", recipients=[f"u{n}@example.org"], body="x"))

        errors = run_threads(work)
        assert errors == []
        assert ses.accepted_total == TOTAL
        assert ses.protocol_errors == 0
    figures["messages"] += TOTAL
