"""System checks (manage.py check) and the ses_smtp_check management command."""

import io

import pytest
from django.core import checks
from django.core.management import CommandError, call_command

from ses_smtp_backends.simulator import SESReplies
from tests.django.conftest import BACKEND, HAS_MAILERS, mailers_options

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
V2_PASSWORD = "An60U4ZD3sd4fg+FvXUjayOipTt8LO4rUUmhpdX6ctDy"


def our_messages():
    return [(m.id, m.msg) for m in checks.run_checks() if m.id.startswith("ses_smtp_backends")]


def test_nothing_to_say_about_another_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert our_messages() == []


def test_a_good_configuration_passes(ses_settings):
    assert our_messages() == []


def test_a_test_server_without_region_gets_a_warning(settings):
    settings.EMAIL_BACKEND = BACKEND
    settings.SES_SMTP = {"HOST": "127.0.0.1", "PORT": 2587, "USERNAME": "A", "PASSWORD": "B"}
    assert [i for i, _ in our_messages()] == ["ses_smtp_backends.W004"]


@pytest.mark.parametrize(
    ("ses_smtp", "email_settings", "expected_id", "text"),
    [
        ({}, {}, "ses_smtp_backends.E001", "SES_SMTP['REGION']: set the SES region"),
        ({"REGION": "Ireland"}, {}, "ses_smtp_backends.E001", "is not an AWS region"),
        ({"REGION": "eu-west-1"}, {}, "ses_smtp_backends.E001", "SES needs SMTP credentials"),
        ({"REGION": "eu-west-1"}, {"EMAIL_HOST_USER": "AKIA", "EMAIL_HOST_PASSWORD": SECRET},
         "ses_smtp_backends.E001", "looks like an IAM secret access key"),
        ({"REGION": "eu-west-1"}, {"EMAIL_HOST_USER": "AKIA", "EMAIL_HOST_PASSWORD": V2_PASSWORD},
         "ses_smtp_backends.W001", "legacy (version 2) SES password"),
        ({"REGION": "us-east-1", "HOST": "127.0.0.1", "PORT": 1025}, {"EMAIL_USE_TLS": False},
         "ses_smtp_backends.W002", "without TLS and without AUTH"),
        ({"REGION": "eu-west-1", "PORT": 25, "USERNAME": "A", "PASSWORD": "B"}, {},
         "ses_smtp_backends.W003", "Port 25 is throttled"),
    ],
)  # fmt: skip
def test_checks_report_misconfiguration(settings, ses_smtp, email_settings, expected_id, text):
    settings.EMAIL_BACKEND = BACKEND
    settings.SES_SMTP = ses_smtp
    for name, value in email_settings.items():
        setattr(settings, name, value)
    found = our_messages()
    assert [i for i, _ in found] == [expected_id], found
    assert text in found[0][1]


def test_iam_secret_error_has_a_hint(settings):
    settings.EMAIL_BACKEND = BACKEND
    settings.SES_SMTP = {"REGION": "eu-west-1", "USERNAME": "AKIA", "PASSWORD": SECRET}
    [error] = [m for m in checks.run_checks() if m.id == "ses_smtp_backends.E001"]
    assert "smtp_password" in error.hint


@pytest.mark.mailers
@pytest.mark.skipif(not HAS_MAILERS, reason="MAILERS is Django 6.1+")
def test_checks_cover_every_mailers_entry(settings, ses_simulator):
    settings.MAILERS = {
        "default": {"BACKEND": BACKEND, "OPTIONS": mailers_options(ses_simulator)},
        "bulk": {"BACKEND": BACKEND, "OPTIONS": {"region": "Ireland"}},
        "odd": {"BACKEND": BACKEND, "OPTIONS": {"colour": "blue"}},
        "other": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"},
    }
    found = our_messages()
    assert [i for i, _ in found] == ["ses_smtp_backends.E001", "ses_smtp_backends.E002"]
    assert "MAILERS['bulk']: OPTIONS['region']" in found[0][1]
    assert "unknown OPTIONS colour" in found[1][1]


def run_command(*args):
    """call_command with its own output streams (Django 4.2's OutputWrapper must not outlive
    pytest's capture)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("ses_smtp_check", *args, stdout=out, stderr=err)
    finally:
        run_command.out, run_command.err = out.getvalue(), err.getvalue()
    return out.getvalue()


def test_command_connects_and_reports(ses_settings, ses_simulator):
    out = run_command()
    assert f"Endpoint: 127.0.0.1:{ses_simulator.port} (starttls), region us-east-1" in out
    assert "Connected, TLS verified, authenticated." in out
    assert ses_simulator.logins == 1
    assert ses_simulator.messages == []


def test_command_sends_a_test_message(ses_settings, ses_simulator):
    out = run_command("--send-to", "success@simulator.amazonses.com")
    [stored] = ses_simulator.messages
    assert f"Sent: SES message ID {stored.message_id}" in out
    assert stored.envelope_from == "app@example.com"


def test_command_permanent_failure_exits_1_with_the_hint(ses_settings, ses_simulator):
    ses_settings.EMAIL_HOST_PASSWORD = "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWLX"
    with pytest.raises(CommandError) as failed:
        run_command()
    assert failed.value.returncode == 1
    err = run_command.err
    assert "535 Authentication Credentials Invalid" in err
    assert "Hint: SMTP credentials are not IAM keys" in err


def test_command_transient_failure_exits_2(ses_settings, ses_simulator):
    ses_simulator.inject(SESReplies.TOO_MANY_CONNECTIONS, at="CONNECT")
    with pytest.raises(CommandError) as failed:
        run_command()
    assert failed.value.returncode == 2
    assert "421 Too many concurrent SMTP connections" in run_command.err


@pytest.mark.mailers
@pytest.mark.skipif(not HAS_MAILERS, reason="MAILERS is Django 6.1+")
def test_command_checks_a_mailers_alias(settings, ses_simulator):
    settings.MAILERS = {
        "default": {
            "BACKEND": BACKEND,
            "OPTIONS": {"region": "eu-west-1", "username": "A", "password": "B"},
        },
        "sim": {"BACKEND": BACKEND, "OPTIONS": mailers_options(ses_simulator)},
    }
    assert "Connected" in run_command("--using", "sim")
    with pytest.raises(CommandError, match="MAILERS has no 'nope' entry"):
        run_command("--using", "nope")
