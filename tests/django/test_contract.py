"""The email backend contract, run in legacy settings mode and (Django 6.1) MAILERS mode."""

import threading

import pytest
from django.core import mail
from django.core.mail import EmailMessage

from ses_smtp_backends.django import EmailBackend
from tests.django.conftest import BACKEND, HAS_MAILERS, mailers_options

MODES = [
    "legacy",
    pytest.param(
        "mailers",
        marks=[
            pytest.mark.mailers,
            pytest.mark.skipif(not HAS_MAILERS, reason="MAILERS is Django 6.1+"),
        ],
    ),
]


@pytest.fixture(params=MODES)
def mode(request, settings, ses_simulator, fake_time):
    """Configure Django for the simulator; return a factory for a backend instance."""
    if request.param == "legacy":
        request.getfixturevalue("ses_settings")
        return lambda **kwargs: EmailBackend(**kwargs)
    settings.MAILERS = {"default": {"BACKEND": BACKEND, "OPTIONS": mailers_options(ses_simulator)}}
    return lambda **kwargs: (
        mail.mailers.create_connection("default")
        if not kwargs
        else EmailBackend(alias="default", **{**mailers_options(ses_simulator), **kwargs})
    )


def message(**overrides):
    fields = {
        "subject": "Subject",
        "body": "Body",
        "from_email": "app@example.com",
        "to": ["user@example.org"],
    }
    fields.update(overrides)
    return EmailMessage(**fields)


def test_send(mode, ses_simulator):
    backend = mode()
    sent = message()
    assert backend.send_messages([sent]) == 1
    [stored] = ses_simulator.messages
    assert stored.recipients == ("user@example.org",)
    assert stored.message["Subject"] == "Subject"
    assert sent.ses_message_id == stored.message_id
    assert sent.ses_receipt.message_id_header == stored.message_id_header


def test_unicode(mode, ses_simulator):
    sent = message(
        subject="Grüße ☃", body="Ünïcödé body ✓", from_email="Jörg Ünter <app@example.com>",
        to=["Zoë <user@bücher.example>"], cc=["cc@example.org"], bcc=["hidden@example.org"],
    )  # fmt: skip
    assert mode().send_messages([sent]) == 1
    [stored] = ses_simulator.messages
    assert stored.envelope_from == "app@example.com"
    assert stored.recipients == (
        "user@xn--bcher-kva.example",
        "cc@example.org",
        "hidden@example.org",
    )
    assert stored.message["Subject"] == "Grüße ☃"
    assert "Ünïcödé body ✓" in stored.message.get_content()
    assert b"hidden@example.org" not in stored.data


def test_many_messages_share_one_connection(mode, ses_simulator):
    backend = mode()
    assert backend.send_messages([message(to=[f"u{n}@example.org"]) for n in range(3)]) == 3
    assert len(ses_simulator.messages) == 3
    assert ses_simulator.connections_total == 1


def test_empty_list_sends_nothing_and_does_not_connect(mode, ses_simulator):
    assert mode().send_messages([]) == 0
    assert ses_simulator.connections_total == 0


def test_message_without_recipients_is_not_sent(mode, ses_simulator):
    assert mode().send_messages([message(to=[])]) == 0
    assert ses_simulator.connections_total == 0


def test_close_without_open(mode):
    backend = mode()
    backend.close()
    backend.close()


def test_open_reports_whether_it_opened(mode, ses_simulator):
    backend = mode()
    assert backend.open() is True
    assert backend.open() is False
    backend.close()
    assert ses_simulator.connections_total == 1


def test_context_manager_keeps_one_connection(mode, ses_simulator):
    with mode() as backend:
        backend.send_messages([message()])
        backend.send_messages([message()])
    assert ses_simulator.connections_total == 1
    assert len(ses_simulator.messages) == 2


def test_fail_silently_returns_zero_instead_of_raising(mode, ses_simulator, caplog):
    backend = mode(fail_silently=True)
    assert backend.send_messages([message(from_email="x@unverified.example")]) == 0
    assert "SES did not accept a message (fail_silently)" in caplog.text
    assert "554 Message rejected" in caplog.text


def test_kwargs_win_over_settings(ses_settings, ses_simulator):
    ses_settings.SES_SMTP = {**ses_settings.SES_SMTP, "PORT": 1, "TIMEOUT": 99}
    ses_settings.EMAIL_TIMEOUT = 98
    backend = EmailBackend(port=ses_simulator.port, timeout=7)
    assert (backend.config.port, backend.config.timeout) == (ses_simulator.port, 7)
    assert backend.send_messages([message()]) == 1


def test_threads_share_one_backend(mode, ses_simulator):
    backend = mode()
    results = []

    def worker(n):
        results.append(backend.send_messages([message(to=[f"t{n}@example.org"])]))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [1] * 8
    assert len(ses_simulator.messages) == 8
