"""SESMail against the simulator: what a Flask-Mail user does, with SES semantics."""

import logging
import smtplib
import subprocess
import sys
import time

import pytest
from flask import Flask, current_app
from flask_mail import BadHeaderError, Message, email_dispatched

from ses_smtp_backends import (
    SESConfigurationError,
    SESIdentityNotVerifiedError,
    SESPermanentError,
    SESRetriesExhausted,
)
from ses_smtp_backends.flask import (
    InvalidMessageError,
    SESMail,
    message_failed,
    message_retrying,
    message_sent,
)
from ses_smtp_backends.simulator import SESReplies, SESSimulator
from tests.flask.conftest import make_app


@pytest.fixture
def signals_seen(app):
    seen = []

    def receiver(name):
        def receive(sender, **kwargs):
            seen.append((name, sender, kwargs))

        return receive

    receivers = [(signal, receiver(name)) for name, signal in (
        ("dispatched", email_dispatched), ("sent", message_sent), ("failed", message_failed),
        ("retrying", message_retrying),
    )]  # fmt: skip
    for signal, receive in receivers:
        signal.connect(receive)
    yield seen
    for signal, receive in receivers:
        signal.disconnect(receive)


def hello(**overrides):
    fields = {"subject": "Hello", "recipients": ["user@example.org"], "body": "Hi there"}
    fields.update(overrides)
    return Message(**fields)


def test_send(app, mail, ses_simulator, signals_seen):
    message = hello()
    mail.send(message)
    [stored] = ses_simulator.messages
    assert message.ses_message_id == stored.message_id
    assert message.ses_receipt.message_id_header == stored.message_id_header
    assert stored.envelope_from == "app@example.com"
    assert stored.message["From"] == "Example <app@example.com>"
    assert [(name, sender) for name, sender, _ in signals_seen] == [
        ("sent", app),
        ("dispatched", app),
    ]
    assert signals_seen[0][2]["receipt"].message_id == stored.message_id


def test_connect_and_send_many_uses_one_session(mail, ses_simulator):
    with mail.connect() as conn:
        for n in range(5):
            conn.send(hello(recipients=[f"user{n}@example.org"]))
    assert len(ses_simulator.messages) == 5
    assert (ses_simulator.connections_total, ses_simulator.logins) == (1, 1)
    assert ses_simulator.open_connections in (0, 1)  # QUIT sent; the server may lag a moment


def test_max_emails_starts_a_new_session(app, ses_simulator, fake_time):
    app.config["MAIL_MAX_EMAILS"] = 2
    mail = SESMail(app)
    with mail.connect() as conn:
        for _ in range(5):
            conn.send(hello())
    assert ses_simulator.connections_total == 3


def test_retry_on_the_ladder_with_signals(mail, ses_simulator, fake_time, signals_seen, caplog):
    ses_simulator.inject(SESReplies.MAX_SEND_RATE_EXCEEDED, at="END_OF_DATA", times=3)
    message = hello()
    mail.send(message)
    assert fake_time.sleeps == [5, 10, 30]
    retries = [kwargs for name, _, kwargs in signals_seen if name == "retrying"]
    assert [(r["attempt"], r["wait"], r["message"]) for r in retries] == [
        (1, 5, message),
        (2, 10, message),
        (3, 30, message),
    ]
    assert "retrying in 5 s" in caplog.text
    assert len(ses_simulator.messages) == 1


def test_permanent_error_is_raised_logged_and_signalled(
    app, mail, ses_simulator, fake_time, signals_seen, caplog
):
    with pytest.raises(SESIdentityNotVerifiedError) as rejected, caplog.at_level(logging.ERROR):
        mail.send(hello(sender="news@unverified.example"))
    assert isinstance(rejected.value, smtplib.SMTPException)  # what Flask-Mail users catch
    assert fake_time.sleeps == []
    assert [name for name, _, _ in signals_seen] == ["failed"]
    assert "SES did not accept 'Hello'" in caplog.text
    assert ses_simulator.messages == []


def test_default_budget_then_retries_exhausted(mail, ses_simulator, fake_time):
    ses_simulator.inject(SESReplies.MAX_SEND_RATE_EXCEEDED, at="END_OF_DATA", times=10)
    with pytest.raises(SESRetriesExhausted):
        mail.send(hello())
    assert fake_time.sleeps == [5, 10, 30]


def test_testing_mode_suppresses_and_records(ses_simulator, fake_time):
    app = make_app(ses_simulator, TESTING=True)
    mail = SESMail(app)
    with app.app_context(), mail.record_messages() as outbox:
        mail.send_message(subject="testing", body="test", recipients=["user@example.org"])
    assert [m.subject for m in outbox] == ["testing"]
    assert ses_simulator.connections_total == 0
    assert not hasattr(outbox[0], "ses_message_id")


def test_suppress_send_setting(ses_simulator, fake_time):
    app = make_app(ses_simulator, MAIL_SUPPRESS_SEND=True)
    with app.app_context():
        SESMail(app).send(hello())
    assert ses_simulator.connections_total == 0


def test_app_factory_with_two_apps_and_two_configs(fake_time):
    mail = SESMail()

    def create_app(simulator):
        app = make_app(simulator)
        mail.init_app(app)
        return app

    with SESSimulator(region="us-east-1") as first, SESSimulator(region="eu-west-1") as second:
        app_one, app_two = create_app(first), create_app(second)
        with app_two.app_context():
            mail.send(hello(subject="two"))
        with app_one.app_context():
            mail.send(hello(subject="one"))
            current_app.extensions["mail"].send(hello(subject="one again"))  # Flask-Mail style
        assert [m.message["Subject"] for m in first.messages] == ["one", "one again"]
        assert [m.message["Subject"] for m in second.messages] == ["two"]
        assert second.messages[0].message_id_header.endswith("@eu-west-1.amazonses.com>")
    assert mail.state is None  # the extension keeps no app


def test_untrusted_certificate_fails(ses_simulator, fake_time):
    app = make_app(ses_simulator, SES_SMTP_CAFILE=None)
    with app.app_context(), pytest.raises(SESPermanentError, match="certificate"):
        SESMail(app).send(hello())
    assert fake_time.sleeps == []


def test_timeout_is_honoured(fake_time):
    with SESSimulator(latency=2.0) as slow:
        app = make_app(slow, SES_SMTP_TIMEOUT=0.2, SES_SMTP_RETRY={"max_attempts": 2})
        started = time.monotonic()
        with app.app_context(), pytest.raises(SESRetriesExhausted) as exhausted:
            SESMail(app).send(hello())
        elapsed = time.monotonic() - started
    assert exhausted.value.last_error.kind.name == "CONNECTION_LOST"
    assert elapsed < 1.5  # two attempts of 0.2 s, not two waits for a 2 s greeting


def test_partial_refusal_is_reported(app, mail, ses_simulator, caplog):
    ses_simulator.inject("553 <first@example.org> address unknown", at="RCPT")
    message = hello(recipients=["first@example.org", "second@example.org"])
    with caplog.at_level(logging.WARNING):
        mail.send(message)
    # Flask-Mail keeps recipients in a set, so which one got the injected 553 varies.
    [refused] = message.ses_receipt.refused
    [accepted] = message.ses_receipt.recipients
    assert {refused, accepted} == {"first@example.org", "second@example.org"}
    assert ses_simulator.messages[0].recipients == (accepted,)
    assert "refused 1 recipient(s)" in caplog.text


@pytest.mark.parametrize(
    ("message", "text"),
    [
        (lambda: hello(recipients=[]), "No recipients have been added"),
        (lambda: hello(sender=None), "The message has no sender"),
    ],
)
def test_unsendable_messages_are_value_and_assertion_errors(app, mail, message, text):
    app.extensions["mail"].default_sender = None
    built = message()
    with pytest.raises(InvalidMessageError, match=text) as raised:
        mail.send(built)
    assert isinstance(raised.value, ValueError)
    assert isinstance(raised.value, AssertionError)


def test_missing_recipients_are_refused_under_python_O(ses_simulator):
    code = (
        "from flask import Flask; from flask_mail import Message; "
        "from ses_smtp_backends.flask import SESMail, InvalidMessageError\n"
        "app = Flask('o'); app.config.update(MAIL_SERVER='127.0.0.1', SES_SMTP_REGION='us-east-1', "
        "MAIL_USERNAME='u', MAIL_PASSWORD='p', MAIL_DEFAULT_SENDER='a@example.com')\n"
        "mail = SESMail(app)\n"
        "with app.app_context():\n"
        "    try: mail.send(Message('x', recipients=[]))\n"
        "    except InvalidMessageError as e: print('refused:', e)\n"
    )
    result = subprocess.run(
        [sys.executable, "-O", "-c", code], capture_output=True, text=True, check=False
    )
    assert "refused: No recipients have been added" in result.stdout, result.stderr


def test_bad_header_error(mail):
    with pytest.raises(BadHeaderError):
        mail.send(hello(subject="testing\n\r"))


def test_region_alone_sets_host_and_port():
    app = Flask("region-only")
    app.config.update(
        SES_SMTP_REGION="eu-west-1", MAIL_USERNAME="AKIAEXAMPLE", MAIL_PASSWORD="B" * 44
    )
    state = SESMail(app).state
    config = state.ses_config
    assert (config.host, config.port, config.tls) == (
        "email-smtp.eu-west-1.amazonaws.com",
        587,
        "starttls",
    )


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"MAIL_USERNAME": "A", "MAIL_PASSWORD": "B"}, r"SES_SMTP_REGION \(or MAIL_SERVER\): set the SES region"),
        ({"SES_SMTP_REGION": "Ireland"}, r"SES_SMTP_REGION: 'Ireland' is not an AWS region"),
        ({"SES_SMTP_REGION": "eu-west-1", "MAIL_USERNAME": "AKIA", "MAIL_PASSWORD": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
         "MAIL_PASSWORD: looks like an IAM secret access key"),
        ({"SES_SMTP_REGION": "eu-west-1", "MAIL_USERNAME": "A", "MAIL_PASSWORD": "B", "MAIL_USE_TLS": False},
         "MAIL_USE_TLS: plaintext is allowed only for a loopback"),
        ({"SES_SMTP_REGION": "eu-west-1", "MAIL_USERNAME": "A", "MAIL_PASSWORD": "B", "SES_SMTP_RETRY": {"tries": 1}},
         r"SES_SMTP_RETRY: unknown field\(s\) tries"),
        ({"SES_SMTP_REGION": "eu-west-1", "MAIL_USERNAME": "A", "MAIL_PASSWORD": "B", "SES_SMTP_TIMEOUT": 0},
         "SES_SMTP_TIMEOUT: 0"),
        ({"SES_SMTP_REGION": "eu-west-1", "MAIL_USERNAME": "A", "MAIL_PASSWORD": "B", "SES_SMTP_ENQUEUE": True,
          "SES_SMTP_MAX_AGE": "1 day"}, "SES_SMTP_MAX_AGE: must be a positive number of seconds, not '1 day'"),
        ({"SES_SMTP_REGION": "eu-west-1", "MAIL_USERNAME": "A", "MAIL_PASSWORD": "B", "SES_SMTP_ENQUEUE": True,
          "SES_SMTP_WORKER_CONFIG": "os:getcwd"}, "SES_SMTP_WORKER_CONFIG: 'os:getcwd' is not a config factory"),
    ],
)  # fmt: skip
def test_bad_config_fails_at_init_app_naming_the_key(config, message):
    app = Flask("bad")
    app.config.update(config)
    with pytest.raises(SESConfigurationError, match=message):
        SESMail().init_app(app)


def test_cli_check(app, mail, ses_simulator):
    result = app.test_cli_runner().invoke(
        args=["ses-smtp", "check", "--send-to", "success@simulator.amazonses.com"]
    )
    assert result.exit_code == 0, result.output
    assert "Connected, TLS verified, authenticated." in result.output
    assert f"Sent: SES message ID {ses_simulator.messages[0].message_id}" in result.output


def test_cli_check_failure_exit_codes(app, mail, ses_simulator):
    ses_simulator.inject(SESReplies.TOO_MANY_CONNECTIONS, at="CONNECT")
    transient = app.test_cli_runner().invoke(args=["ses-smtp", "check"])
    app.extensions["mail"].ses_config = app.extensions["mail"].ses_config.replace(password="B" * 44)
    permanent = app.test_cli_runner().invoke(args=["ses-smtp", "check"])
    assert (transient.exit_code, permanent.exit_code) == (2, 1)
    assert "Hint: SMTP credentials are not IAM keys" in permanent.output


def test_send_many_in_parallel(fake_time):
    with SESSimulator(latency=0.02) as slow:
        app = make_app(slow, SES_SMTP_MAX_CONNECTIONS=4)
        mail = SESMail(app)
        with app.app_context():
            messages = [hello(recipients=[f"u{n}@example.org"]) for n in range(12)]
            mail.send_many(messages)
    assert len(slow.messages) == 12
    assert 2 <= slow.connections_total <= 4
    assert {m.ses_message_id for m in messages} == {m.message_id for m in slow.messages}


def test_send_many_suppressed_in_testing(ses_simulator, fake_time):
    app = make_app(ses_simulator, TESTING=True, SES_SMTP_MAX_CONNECTIONS=4)
    mail = SESMail(app)
    with app.app_context(), mail.record_messages() as outbox:
        mail.send_many([hello(), hello()])
    assert len(outbox) == 2
    assert ses_simulator.connections_total == 0
