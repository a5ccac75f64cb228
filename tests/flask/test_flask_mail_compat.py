"""Flask-Mail's documented usage and its test suite's behaviours, with SESMail.

Written here after Flask-Mail 0.10's docs and tests (neither ships in its sdist): the same
calls a Flask-Mail user makes, only the import changed. Upstream tests that mock
``conn.host.sendmail`` do not apply: our transport reads SES's reply to DATA instead.
"""

import pytest
from flask import Flask
from flask_mail import BadHeaderError, Message, email_dispatched

from ses_smtp_backends.flask import SESMail as Mail  # the one changed line
from tests.flask.conftest import make_app


@pytest.fixture
def testing_app():
    """Flask-Mail's test setup: TESTING on, a default sender, nothing else configured."""
    app = Flask(__name__)
    app.config.update(TESTING=True, MAIL_DEFAULT_SENDER="support@example.com")
    with app.test_request_context():
        yield app


def test_docs_extension_instance_and_init_app(ses_simulator, fake_time):
    app = make_app(ses_simulator)
    mail = Mail(app)
    assert app.extensions["mail"] is mail.state
    later = Mail()
    other = make_app(ses_simulator)
    later.init_app(other)
    assert other.extensions["mail"].ses_config.port == ses_simulator.port


def test_docs_building_and_sending_a_message(ses_simulator, fake_time):
    app = make_app(ses_simulator, MAIL_DEFAULT_SENDER="from@example.com")
    mail = Mail(app)
    with app.test_request_context():
        msg = Message(subject="Hello", sender="from@example.com", recipients=["to@example.com"])
        msg.recipients = ["you@example.com"]
        msg.add_recipient("somebodyelse@example.com")
        msg.body = "testing"
        msg.html = "<b>testing</b>"
        mail.send(msg)
        assert (
            Message(subject="Hello", sender=("Me", "me@example.com")).sender
            == "Me <me@example.com>"
        )
    [stored] = ses_simulator.messages
    assert sorted(stored.recipients) == ["somebodyelse@example.com", "you@example.com"]
    assert stored.message.get_body(("html",)).get_content().strip() == "<b>testing</b>"
    assert stored.message.get_body(("plain",)).get_content().strip() == "testing"


def test_docs_bulk_emails_over_one_connection(ses_simulator, fake_time):
    app = make_app(ses_simulator)
    mail = Mail(app)
    users = [(f"User {n}", f"user{n}@example.org") for n in range(20)]
    with app.test_request_context(), mail.connect() as conn:
        for name, address in users:
            conn.send(Message(subject=f"hello, {name}", body="...", recipients=[address]))
    assert len(ses_simulator.messages) == 20
    assert ses_simulator.logins == 1


def test_docs_attachments(ses_simulator, fake_time, tmp_path):
    app = make_app(ses_simulator, MAIL_ASCII_ATTACHMENTS=True)
    mail = Mail(app)
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256))
    with app.test_request_context():
        msg = Message("Pictures", recipients=["to@example.com"], body="See attached.")
        msg.attach("Grüße.png", "image/png", image)
        mail.send(msg)
    [stored] = ses_simulator.messages
    [attachment] = list(stored.message.iter_attachments())
    assert attachment.get_filename() == "Grue.png"  # MAIL_ASCII_ATTACHMENTS: NFKD, then ASCII
    assert attachment.get_content() == image


def test_docs_record_messages_in_unit_tests(testing_app):
    mail = Mail(testing_app)
    with mail.record_messages() as outbox:
        mail.send_message(subject="testing", body="test", recipients=["a@example.com"])
        assert len(outbox) == 1
        assert outbox[0].subject == "testing"


def test_docs_email_dispatched_signal(testing_app):
    # The docs show log_message(message, app), but blinker passes the app first and the
    # message by keyword, with Flask-Mail as with SESMail; this is the working form.
    mail = Mail(testing_app)
    seen = []

    def log_message(app, message):
        seen.append((message.subject, app))

    email_dispatched.connect(log_message)
    try:
        mail.send_message(subject="signalled", recipients=["a@example.com"])
    finally:
        email_dispatched.disconnect(log_message)
    assert seen == [("signalled", testing_app)]


def test_docs_header_injection(testing_app):
    mail = Mail(testing_app)
    for bad in (
        Message("subject\r\nBcc: evil@example.com", recipients=["a@example.com"]),
        Message("ok", recipients=["a@example.com\nBcc: evil@example.com"]),
        Message("ok", sender="a@example.com\r\nX: y", recipients=["b@example.com"]),
    ):
        with pytest.raises(BadHeaderError):
            mail.send(bad)


# --- the behaviours Flask-Mail's own tests check --------------------------------------


def test_send_sets_date_and_default_sender(testing_app):
    mail = Mail(testing_app)
    with mail.record_messages() as outbox:
        msg = Message(subject="testing", recipients=["tester@example.com"], body="test")
        mail.send(msg)
    assert msg.date is not None
    assert outbox == [msg]
    assert msg.sender == testing_app.extensions["mail"].default_sender


def test_connection_send_message_and_send_many(testing_app):
    mail = Mail(testing_app)
    with mail.record_messages() as outbox, mail.connect() as conn:
        conn.send_message(subject="testing", recipients=["to@example.com"], body="testing")
        for _ in range(99):
            conn.send(Message(subject="testing", recipients=["to@example.com"], body="testing"))
    assert len(outbox) == 100
    assert outbox[0].sender == "support@example.com"


def test_send_without_sender_or_recipients_is_an_assertion_error(testing_app):
    mail = Mail(testing_app)
    testing_app.extensions["mail"].default_sender = None
    with mail.connect() as conn, pytest.raises(AssertionError):
        conn.send(Message(subject="testing", recipients=["to@example.com"], body="testing"))
    with mail.connect() as conn, pytest.raises(AssertionError):
        conn.send(Message(subject="testing", sender="a@example.com", recipients=[], body="x"))


def test_init_mail_rebuilds_the_same_state(testing_app):
    mail = Mail(testing_app)
    again = mail.init_mail(testing_app.config, testing_app.debug, testing_app.testing)
    assert vars(again) == vars(mail.state)


def test_unicode_recipient_and_body_through_ses(ses_simulator, fake_time):
    app = make_app(ses_simulator)
    mail = Mail(app)
    with app.test_request_context():
        mail.send(
            Message(
                "testing",
                sender="from@example.com",
                recipients=["ÄÜÖ → ✓ <to@example.com>"],
                body="Öö",
            )
        )
    [stored] = ses_simulator.messages
    assert stored.recipients == ("to@example.com",)
    assert stored.message["To"] == "ÄÜÖ → ✓ <to@example.com>"
    assert stored.message.get_content().strip() == "Öö"
