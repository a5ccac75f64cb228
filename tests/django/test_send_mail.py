"""Behaviour through Django's own entry points (send_mail, mail_admins, logging)."""

import logging
import smtplib

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from ses_smtp_backends import SESIdentityNotVerifiedError, SESRetriesExhausted
from ses_smtp_backends.django import signals
from ses_smtp_backends.simulator import SESReplies, SESSimulator

THROTTLED = SESReplies.MAX_SEND_RATE_EXCEEDED


@pytest.fixture
def received():
    """Every ses_smtp_backends signal, as (name, kwargs) pairs."""
    seen = []

    def receiver(name):
        def receive(sender, **kwargs):
            kwargs.pop("signal")
            seen.append((name, kwargs))

        return receive

    receivers = {
        signal: receiver(name)
        for name, signal in (("sent", signals.message_sent), ("failed", signals.message_failed),
                             ("retrying", signals.message_retrying))
    }  # fmt: skip
    for signal, receive in receivers.items():
        signal.connect(receive)
    yield seen
    for signal, receive in receivers.items():
        signal.disconnect(receive)


def test_send_mail_returns_one_and_records_the_message_id(ses_settings, ses_simulator, received):
    assert mail.send_mail("Hi", "Body", "app@example.com", ["user@example.org"]) == 1
    [stored] = ses_simulator.messages
    [(name, kwargs)] = received
    assert name == "sent"
    assert kwargs["receipt"].message_id == stored.message_id
    assert kwargs["message"].ses_message_id == stored.message_id


def test_throttling_is_retried_on_the_ladder(ses_settings, ses_simulator, fake_time, received):
    ses_simulator.inject(THROTTLED, at="END_OF_DATA", times=3)
    assert mail.send_mail("Hi", "Body", "app@example.com", ["user@example.org"]) == 1
    assert fake_time.sleeps == [5, 10, 30]
    assert [(n, k.get("attempt"), k.get("wait")) for n, k in received] == [
        ("retrying", 1, 5), ("retrying", 2, 10), ("retrying", 3, 30), ("sent", None, None),
    ]  # fmt: skip
    assert received[0][1]["message"].subject == "Hi"
    assert len(ses_simulator.messages) == 1


def test_default_budget_is_one_climb_of_the_ladder(
    ses_settings, ses_simulator, fake_time, received
):
    ses_simulator.inject(THROTTLED, at="END_OF_DATA", times=10)
    with pytest.raises(SESRetriesExhausted) as exhausted:
        mail.send_mail("Hi", "Body", "app@example.com", ["user@example.org"])
    assert fake_time.sleeps == [5, 10, 30]
    assert isinstance(exhausted.value, smtplib.SMTPException)
    assert received[-1][0] == "failed"


def test_retry_budget_is_configurable(ses_settings, ses_simulator, fake_time):
    ses_settings.SES_SMTP = {**ses_settings.SES_SMTP, "RETRY": {"waits": [1, 2], "max_attempts": 5}}
    ses_simulator.inject(THROTTLED, at="END_OF_DATA", times=4)
    assert mail.send_mail("Hi", "Body", "app@example.com", ["user@example.org"]) == 1
    assert fake_time.sleeps == [1, 2, 1, 2]


def test_permanent_error_is_raised_at_once(ses_settings, ses_simulator, fake_time, received):
    with pytest.raises(SESIdentityNotVerifiedError) as rejected:
        mail.send_mail("Hi", "Body", "news@unverified.example", ["user@example.org"])
    assert isinstance(rejected.value, smtplib.SMTPException)
    assert isinstance(rejected.value, OSError)
    assert rejected.value.identities == ("news@unverified.example",)
    assert fake_time.sleeps == []
    assert [name for name, _ in received] == ["failed"]
    assert received[0][1]["error"] is rejected.value


def test_fail_silently_swallows_send_errors_but_logs_them(
    ses_settings, ses_simulator, caplog, received
):
    with caplog.at_level(logging.WARNING, logger="ses_smtp_backends"):
        sent = mail.send_mail(
            "Hi", "Body", "news@unverified.example", ["user@example.org"], fail_silently=True
        )
    assert sent == 0
    assert "554 Message rejected: Email address is not verified" in caplog.text
    assert [name for name, _ in received] == ["failed"]


def test_fail_silently_never_hides_configuration_errors(ses_settings):
    ses_settings.SES_SMTP = {**ses_settings.SES_SMTP, "REGION": "Ireland"}
    with pytest.raises(ImproperlyConfigured, match=r"SES_SMTP\['REGION'\]: .*not an AWS region"):
        mail.send_mail("Hi", "Body", "app@example.com", ["user@example.org"], fail_silently=True)


def test_bad_credentials_are_improperly_configured_and_smtplib_errors(ses_settings, ses_simulator):
    ses_settings.EMAIL_HOST_PASSWORD = "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWLX"
    with pytest.raises(ImproperlyConfigured) as refused:
        mail.send_mail("Hi", "Body", "app@example.com", ["user@example.org"])
    assert isinstance(refused.value, smtplib.SMTPAuthenticationError)
    assert refused.value.smtp_code == 535
    assert "not IAM keys" in str(refused.value)
    assert ses_settings.EMAIL_HOST_PASSWORD not in str(refused.value)


def test_untrusted_certificate_is_improperly_configured(ses_settings, ses_simulator, fake_time):
    ses_settings.SES_SMTP = {k: v for k, v in ses_settings.SES_SMTP.items() if k != "CAFILE"}
    with pytest.raises(ImproperlyConfigured, match="certificate"):
        mail.send_mail("Hi", "Body", "app@example.com", ["user@example.org"])
    assert fake_time.sleeps == []


def test_partial_refusal_counts_the_message_and_reports_the_refused(
    ses_settings, ses_simulator, caplog, received
):
    ses_simulator.inject("553 <first@example.org> address unknown", at="RCPT")
    with caplog.at_level(logging.WARNING, logger="ses_smtp_backends"):
        sent = mail.send_mail(
            "Hi", "Body", "app@example.com", ["first@example.org", "second@example.org"]
        )
    assert sent == 1
    [(name, kwargs)] = received
    assert name == "sent"
    assert list(kwargs["receipt"].refused) == ["first@example.org"]
    assert kwargs["receipt"].recipients == ("second@example.org",)
    assert "refused 1 recipient(s)" in caplog.text
    assert ses_simulator.messages[0].recipients == ("second@example.org",)


@pytest.mark.parametrize(
    ("reply", "at", "error_class"),
    [
        ("554 Access denied: User arn:aws:iam::123456789012:user/app is not authorized to perform "
         "ses:SendRawEmail on resource arn:aws:ses:us-east-1:123456789012:identity/example.com",
         "END_OF_DATA", "SESAccessDeniedConfigurationError"),
        (SESReplies.ACCOUNT_NOT_SUBSCRIBED, "AUTH", "SESAuthenticationConfigurationError"),
        (SESReplies.TLS_REQUIRED, "AUTH", "SESAuthenticationConfigurationError"),
    ],
)  # fmt: skip
def test_permission_family_is_improperly_configured(
    ses_settings, ses_simulator, fake_time, reply, at, error_class
):
    ses_simulator.inject(reply, at=at, times=2)  # smtplib tries AUTH PLAIN, then LOGIN
    with pytest.raises(ImproperlyConfigured) as raised:
        mail.send_mail("Hi", "Body", "app@example.com", ["user@example.org"])
    assert type(raised.value).__name__ == error_class
    assert isinstance(raised.value, smtplib.SMTPException)
    assert fake_time.sleeps == []


def test_transient_errors_are_not_improperly_configured(ses_settings, ses_simulator, fake_time):
    ses_simulator.inject(SESReplies.TEMPORARY_AUTHENTICATION_FAILURE, at="AUTH", times=2)
    assert mail.send_mail("Hi", "Body", "app@example.com", ["user@example.org"]) == 1
    assert fake_time.sleeps == [5]


def test_mail_admins(ses_settings, ses_simulator):
    mail.mail_admins("Broken", "Details")
    [stored] = ses_simulator.messages
    assert stored.recipients == ("admin@example.org",)
    assert stored.envelope_from == "server@example.com"


def test_admin_email_handler_sends_error_reports(ses_settings, ses_simulator):
    from django.utils.log import AdminEmailHandler

    logger = logging.getLogger("tests.django.admin_handler")
    handler = AdminEmailHandler()
    logger.addHandler(handler)
    try:
        logger.error("Something broke")
    finally:
        logger.removeHandler(handler)
    [stored] = ses_simulator.messages
    assert "Something broke" in stored.message["Subject"]
    assert stored.recipients == ("admin@example.org",)


def test_admin_email_handler_never_raises_on_ses_errors(ses_settings, ses_simulator, fake_time):
    from django.utils.log import AdminEmailHandler

    ses_settings.SERVER_EMAIL = "server@unverified.example"
    logger = logging.getLogger("tests.django.admin_handler")
    handler = AdminEmailHandler()
    logger.addHandler(handler)
    try:
        logger.error("Something broke")  # must not raise into the application
    finally:
        logger.removeHandler(handler)
    assert ses_simulator.messages == []


def test_parallel_send_messages_under_max_connections(ses_settings, fake_time):
    from django.core.mail import EmailMessage

    from ses_smtp_backends.django import EmailBackend

    with SESSimulator(latency=0.02) as slow:
        client = slow.client_settings()
        ses_settings.SES_SMTP = {
            **ses_settings.SES_SMTP,
            "PORT": client["port"],
            "CAFILE": client["cafile"],
            "MAX_CONNECTIONS": 4,
        }
        messages = [
            EmailMessage("Hi", "Body", "app@example.com", [f"u{n}@example.org"]) for n in range(12)
        ]
        assert EmailBackend().send_messages(messages) == 12
    assert sorted(m.recipients[0] for m in slow.messages) == sorted(
        f"u{n}@example.org" for n in range(12)
    )
    assert 2 <= slow.connections_total <= 4  # parallel, never more sessions than allowed
    assert {m.ses_message_id for m in messages} == {m.message_id for m in slow.messages}


def test_parallel_send_attempts_every_message_then_raises_the_first_failure(
    ses_settings, ses_simulator, fake_time
):
    from django.core.mail import EmailMessage

    from ses_smtp_backends.django import EmailBackend

    ses_settings.SES_SMTP = {**ses_settings.SES_SMTP, "MAX_CONNECTIONS": 3}
    messages = [
        EmailMessage("Hi", "Body", "app@example.com", [f"u{n}@example.org"]) for n in range(6)
    ]
    messages[2].from_email = "bad@unverified.example"
    with pytest.raises(SESIdentityNotVerifiedError):
        EmailBackend().send_messages(messages)
    assert len(ses_simulator.messages) == 5
