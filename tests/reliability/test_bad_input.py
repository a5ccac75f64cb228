"""Bad input, generated: either sent correctly (checked in the stored bytes) or refused
with a clear error before any byte is sent; never a malformed SMTP command."""

from __future__ import annotations

import email
import email.message
import email.policy
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ses_smtp_backends import (
    Sender,
    SESInvalidAddressError,
    SESInvalidMessageError,
    SESMessageTooLargeError,
)
from ses_smtp_backends.envelope import MAX_MESSAGE_SIZE
from ses_smtp_backends.simulator import SESSimulator
from tests.helpers import FakeTime, config_for, ses_smtp_setting

SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
DATA = b"From: app@example.com\r\nSubject: x\r\n\r\nbody\r\n"

local_parts = st.text(
    alphabet=st.sampled_from([*"abcxyz019.+-_", "\r", "\n", "\x00", " ", "<", ">", "ö", "ü", "@", "é"]),
    min_size=1, max_size=12,
)  # fmt: skip
domains = st.sampled_from(
    ["example.org", "bücher.example", "例え.example", "mail.example.com", "x", "-bad-.example"]
)


@pytest.fixture(scope="module")
def simulator():
    with SESSimulator() as ses:
        yield ses


@given(local=local_parts, domain=domains)
@SETTINGS
def test_generated_recipients(simulator, figures, local, domain):
    figures["bad inputs tried"] += 1
    address = f"{local}@{domain}"
    before = (simulator.connections_total, simulator.accepted_total, simulator.protocol_errors)
    with Sender(config_for(simulator), sleep=FakeTime().sleep) as sender:
        try:
            receipt = sender.send("app@example.com", [address], DATA)
        except SESInvalidAddressError as error:
            assert str(error).startswith("refused before sending: 553 recipient 1 of 1 ")
            assert isinstance(error, ValueError)
            assert (simulator.connections_total, simulator.accepted_total) == before[
                :2
            ]  # no byte sent
            return
        except Exception as error:  # the simulator's own 553 for an address it cannot take
            assert getattr(error, "smtp_code", None) == 553, repr(error)
            assert simulator.protocol_errors == before[2]
            return
    assert simulator.protocol_errors == before[2]  # never a malformed command
    for forbidden in ("\r", "\n", "\x00"):
        assert forbidden not in address
    assert address.partition("@")[0].isascii()
    [stored_recipient] = receipt.recipients
    assert stored_recipient.split("@")[1] == domain.encode("idna").decode()


@given(subject=st.text(max_size=40), body=st.text(max_size=200))
@SETTINGS
def test_generated_headers_and_bodies_through_email_messages(simulator, figures, subject, body):
    figures["bad inputs tried"] += 1
    message = email.message.EmailMessage()
    message["From"] = "app@example.com"
    message["To"] = "user@example.org"
    try:
        message["Subject"] = subject  # header injection is refused by the email package itself
        message.set_content(body)
    except (ValueError, UnicodeError):
        return
    # What the email package makes of it locally is what must arrive.
    built = email.message_from_bytes(
        message.as_bytes(policy=email.policy.SMTP), policy=email.policy.default
    )
    built_subject, built_body = str(built["Subject"]), built.get_content()
    before = simulator.accepted_total
    with Sender(config_for(simulator), sleep=FakeTime().sleep) as sender:
        receipt = sender.send_message(message)
    assert simulator.accepted_total == before + 1
    stored = next(m for m in simulator.messages if m.message_id == receipt.message_id)
    assert str(stored.message["Subject"]) == built_subject
    assert stored.message.get_content().replace("\r\n", "\n") == built_body.replace("\r\n", "\n")


@given(payload=st.binary(min_size=0, max_size=4096))
@SETTINGS
def test_binary_attachments_arrive_intact(simulator, figures, payload):
    figures["bad inputs tried"] += 1
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = (
        "app@example.com",
        "user@example.org",
        "file",
    )
    message.set_content("attached")
    message.add_attachment(
        payload, maintype="application", subtype="octet-stream", filename="f.bin"
    )
    with Sender(config_for(simulator), sleep=FakeTime().sleep) as sender:
        receipt = sender.send_message(message)
    stored = next(m for m in simulator.messages if m.message_id == receipt.message_id)
    [attachment] = list(stored.message.iter_attachments())
    assert attachment.get_content() == payload


def test_limits_are_refused_before_sending(simulator, figures):
    figures["bad inputs tried"] += 4
    before = (simulator.connections_total, simulator.accepted_total)
    with Sender(config_for(simulator), sleep=FakeTime().sleep) as sender:
        with pytest.raises(
            SESMessageTooLargeError, match="refused before sending: 552 Message is too long"
        ):
            sender.send("app@example.com", ["u@example.org"], b"x" * (MAX_MESSAGE_SIZE + 1))
        with pytest.raises(SESInvalidMessageError, match="a line of the message has 999 octets"):
            sender.send(
                "app@example.com", ["u@example.org"], b"Subject: x\r\n\r\n" + b"y" * 999 + b"\r\n"
            )
        with pytest.raises(SESInvalidAddressError, match="recipients are empty"):
            sender.send("app@example.com", [], DATA)
        with pytest.raises(SESInvalidAddressError, match="sender contains a line break"):
            sender.send("app@example.com\r\nRCPT TO:<x@example.org>", ["u@example.org"], DATA)
    assert (simulator.connections_total, simulator.accepted_total) == before


def test_more_than_fifty_recipients_go_out_in_batches(simulator, figures):
    figures["bad inputs tried"] += 1
    recipients = [f"r{n}@example.org" for n in range(123)]
    with Sender(config_for(simulator), sleep=FakeTime().sleep) as sender:
        receipt = sender.send("app@example.com", recipients, DATA)
    assert len(receipt.message_ids) == 3
    assert receipt.recipients == tuple(recipients)


@given(text=st.text(max_size=300))
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_logging_worker_survives_any_record(simulator, figures, text):
    from ses_smtp_backends.logging import SESHandler

    figures["bad inputs tried"] += 1
    client = simulator.client_settings()
    handler = SESHandler(
        (client["host"], client["port"]), "app@example.com", "ops@example.org", "fuzz",
        credentials=(client["username"], client["password"]), cafile=client["cafile"],
        batch_interval=60, max_emails_per_hour=100_000,
    )  # fmt: skip
    record = logging.LogRecord("fuzz", logging.ERROR, __file__, 1, "%s", (text,), None)
    handler.handle(record)
    handler.handle(record)
    handler.flush()
    assert handler._worker is not None
    assert handler._worker.is_alive()
    handler.close()


@pytest.mark.parametrize("field", ["subject", "from_email", "reply_to", "to"])
def test_header_injection_through_django_is_refused_before_sending(
    simulator, figures, settings, field
):
    pytest.importorskip("django")
    from django.core.mail import EmailMessage

    from ses_smtp_backends.django import EmailBackend

    figures["bad inputs tried"] += 1
    settings.EMAIL_BACKEND = "ses_smtp_backends.django.EmailBackend"
    settings.SES_SMTP = ses_smtp_setting(simulator)
    evil = "x@example.org\r\nBcc: victim@example.org"
    fields = {
        "subject": "hi",
        "from_email": "app@example.com",
        "reply_to": ["r@example.org"],
        "to": ["u@example.org"],
    }
    fields[field] = [evil] if field in ("reply_to", "to") else evil
    if field == "subject":
        fields["subject"] = "hello\r\nBcc: victim@example.org"
    before = (simulator.connections_total, simulator.accepted_total)
    with pytest.raises(ValueError, match=r"(?i)newline|line break|header|invalid"):
        EmailBackend().send_messages([EmailMessage(body="x", **fields)])
    assert (simulator.connections_total, simulator.accepted_total) == before
