"""20% seeded transient faults at every stage, 1000 messages per path: nothing lost silently.

Every message ends either accepted by the simulator or raised to (or reported for) the caller.
Duplicates come only from drops after the final dot, and match the receipts' counters.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

import pytest

from ses_smtp_backends import Sender, SESError, SESIdentityNotVerifiedError, SESRetriesExhausted
from ses_smtp_backends.simulator import SESSimulator
from tests.helpers import FakeTime, config_for, patch_time, ses_smtp_setting

COUNT = 1000
PROBABILITY = 0.2
SEED = 20261203
ID = re.compile(rb"^X-Test-Id: (\d+)\r?$", re.MULTILINE)


def is_permanent(n: int) -> bool:
    return n % 50 == 7  # a sprinkle of unverified senders: 554, never retried


def sender_for(n: int) -> str:
    return f"perm{n}@unverified.example" if is_permanent(n) else "app@example.com"


def stored_ids(simulator: SESSimulator) -> Counter[int]:
    return Counter(
        int(match.group(1)) for m in simulator.messages for match in [ID.search(m.raw)] if match
    )


def check(simulator, figures, outcome: dict[int, object]) -> None:
    """The invariants every path must keep; record the figures."""
    stored = stored_ids(simulator)
    served = simulator.faults.served
    after_drops = sum(1 for f in served if f.stage == "AFTER_END_OF_DATA")
    sent = {n: r for n, r in outcome.items() if not isinstance(r, Exception)}
    lost = [n for n in range(COUNT) if n not in stored and n not in outcome]
    lost += [n for n in sent if n not in stored]  # a receipt for a message SES never got
    duplicates = sum(count - 1 for count in stored.values())
    figures["messages"] += COUNT
    figures["faults injected"] += len(served)
    figures["lost"] += len(lost)
    figures["duplicates"] += duplicates
    assert lost == []
    assert len(outcome) == COUNT  # every message ended in a receipt or an exception
    assert len(served) > COUNT * 0.5  # chaos really happened
    # Every stored copy is a success or a drop after the message was stored: duplicates
    # come from nothing else.
    assert sum(stored.values()) == len(sent) + after_drops
    for n, receipt in sent.items():  # and each shows in that message's ambiguity counter
        assert stored[n] - 1 <= receipt.ambiguous_retries, n
    for n in range(COUNT):
        if is_permanent(n):
            refusals = [r for r in simulator.rejected if r[0] == sender_for(n)]
            assert n not in stored
            if isinstance(outcome[n], SESIdentityNotVerifiedError):
                assert len(refusals) == 1, f"message {n} was retried after a 554"
            else:  # a bounded budget ran out on transient faults before the 554 came
                assert isinstance(outcome[n], SESRetriesExhausted), n
                assert refusals == []


def message(n: int) -> bytes:
    return (
        f"From: {sender_for(n)}\r\nTo: user{n}@example.org\r\nSubject: chaos {n}\r\n"
        f"X-Test-Id: {n}\r\n\r\nbody {n}\r\n"
    ).encode()


def test_core_sender(figures):
    time = FakeTime()
    outcome: dict[int, object] = {}
    with SESSimulator() as ses:
        ses.chaos(PROBABILITY, seed=SEED)
        with Sender(config_for(ses), sleep=time.sleep, clock=time.clock) as sender:
            for n in range(COUNT):
                try:
                    outcome[n] = sender.send(sender_for(n), [f"user{n}@example.org"], message(n))
                except SESError as error:
                    outcome[n] = error
        ses.chaos(0)
        check(ses, figures, outcome)
    assert sum(isinstance(r, Exception) for r in outcome.values()) == COUNT // 50  # only the 554s


def test_django_backend(figures, settings, monkeypatch):
    pytest.importorskip("django")
    from django.core.mail import EmailMessage

    from ses_smtp_backends.django import EmailBackend

    patch_time(monkeypatch, EmailBackend)
    outcome: dict[int, object] = {}
    with SESSimulator() as ses:
        settings.EMAIL_BACKEND = "ses_smtp_backends.django.EmailBackend"
        settings.SES_SMTP = ses_smtp_setting(ses)
        ses.chaos(PROBABILITY, seed=SEED + 1)
        with EmailBackend() as backend:
            for n in range(COUNT):
                mail = EmailMessage(
                    f"chaos {n}",
                    f"body {n}",
                    sender_for(n),
                    [f"user{n}@example.org"],
                    headers={"X-Test-Id": str(n)},
                )
                try:
                    backend.send_messages([mail])
                    outcome[n] = mail.ses_receipt
                except SESError as error:  # the default budget (45 s) can run out: raised, not lost
                    outcome[n] = error
        ses.chaos(0)
        check(ses, figures, outcome)


def test_flask_sesmail(figures, monkeypatch):
    pytest.importorskip("flask_mail")
    from flask import Flask
    from flask_mail import Message

    from ses_smtp_backends.flask import SESConnection, SESMail

    patch_time(monkeypatch, SESConnection)
    outcome: dict[int, object] = {}
    with SESSimulator() as ses:
        client = ses.client_settings()
        app = Flask("chaos")
        app.config.update(
            MAIL_SERVER=client["host"], MAIL_PORT=client["port"], MAIL_USERNAME=client["username"],
            MAIL_PASSWORD=client["password"], MAIL_USE_TLS=True, SES_SMTP_REGION=client["region"],
            SES_SMTP_CAFILE=client["cafile"],
        )  # fmt: skip
        mail = SESMail(app)
        ses.chaos(PROBABILITY, seed=SEED + 2)
        with app.app_context(), mail.connect() as connection:
            for n in range(COUNT):
                msg = Message(f"chaos {n}", sender=sender_for(n), recipients=[f"user{n}@example.org"],
                              body=f"body {n}", extra_headers={"X-Test-Id": str(n)})  # fmt: skip
                try:
                    connection.send(msg)
                    outcome[n] = msg.ses_receipt
                except SESError as error:
                    outcome[n] = error
        ses.chaos(0)
        check(ses, figures, outcome)


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_logging_handler(figures, monkeypatch):
    from ses_smtp_backends.logging import SESHandler

    patch_time(monkeypatch, SESHandler)
    fallback = Collect()
    with SESSimulator() as ses:
        client = ses.client_settings()
        handler = SESHandler(
            (client["host"], client["port"]), "app@example.com", "ops@example.org", "chaos",
            credentials=(client["username"], client["password"]), cafile=client["cafile"],
            batch_interval=0.001, max_batch=5, max_emails_per_hour=100_000, fallback=fallback,
        )  # fmt: skip
        logger = logging.getLogger("tests.reliability.chaos")
        logger.propagate = False
        logger.addHandler(handler)
        ses.chaos(PROBABILITY, seed=SEED + 3)
        try:
            for n in range(COUNT):
                logger.error("record %d", n)
            handler.flush()
        finally:
            logger.removeHandler(handler)
            handler.close()
        ses.chaos(0)
        mailed = Counter(
            int(n)
            for m in ses.messages
            for n in re.findall(r"^record (\d+)\r?$", m.message.get_content(), re.MULTILINE)
        )
        after_drops = sum(1 for f in ses.faults.served if f.stage == "AFTER_END_OF_DATA")
    reported = {int(m.split()[1]) for m in fallback.messages}
    lost = [n for n in range(COUNT) if n not in mailed and n not in reported]
    figures["messages"] += COUNT
    figures["faults injected"] += len(ses.faults.served)
    figures["lost"] += len(lost)
    figures["duplicates"] += sum(c - 1 for c in mailed.values())
    assert lost == []
    assert reported == set()  # transient faults only: the full ladder delivers everything
    # A batch mailed twice (a drop after it was stored) duplicates each of its records.
    assert all(c <= 1 + after_drops for c in mailed.values())
