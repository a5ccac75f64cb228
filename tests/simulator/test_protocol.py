"""The SMTP conversation, driven by the stdlib's smtplib, replies asserted byte for byte."""

import base64
import smtplib
import ssl

import pytest

from ses_smtp_backends import smtp_password
from ses_smtp_backends.simulator import EXAMPLE_SECRET_ACCESS_KEY, SESSimulator
from tests.helpers import MESSAGE, client_context, smtp_session


def test_greeting_names_ses(ses_simulator):
    client = smtplib.SMTP(timeout=10)
    try:
        code, text = client.connect(ses_simulator.host, ses_simulator.port)
    finally:
        client.close()
    assert code == 220
    assert text.startswith(b"email-smtp.amazonaws.com ESMTP SimpleEmailService-d-")


def test_ehlo_offers_starttls_then_drops_it_after_tls(ses_simulator):
    with smtp_session(ses_simulator, login=False, starttls=False) as client:
        assert client.ehlo() == (
            250,
            b"email-smtp.amazonaws.com\n8BITMIME\nSTARTTLS\nAUTH PLAIN LOGIN\nOk",
        )
        assert "pipelining" not in client.esmtp_features
        assert "smtputf8" not in client.esmtp_features
        assert client.starttls(context=client_context(ses_simulator)) == (
            220,
            b"Ready to start TLS",
        )
        assert client.ehlo() == (250, b"email-smtp.amazonaws.com\n8BITMIME\nAUTH PLAIN LOGIN\nOk")


def test_auth_before_starttls_is_refused(ses_simulator):
    with smtp_session(ses_simulator, login=False, starttls=False) as client:
        client.ehlo()
        plain = base64.b64encode(b"\0" + ses_simulator.smtp_username.encode() + b"\0x").decode()
        assert client.docmd("AUTH", "PLAIN " + plain) == (
            530,
            b"Must issue a STARTTLS command first",
        )


def test_mail_without_auth_is_refused(ses_simulator):
    with smtp_session(ses_simulator, login=False) as client:
        client.ehlo()
        assert client.mail("sender@example.com") == (530, b"Authentication required")
        assert client.rcpt("someone@example.org") == (530, b"Authentication required")


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_login_with_the_derived_password(ses_simulator, mechanism):
    with smtp_session(ses_simulator, login=False) as client:
        client.ehlo()
        client.user, client.password = ses_simulator.smtp_username, ses_simulator.smtp_password
        authobject = client.auth_plain if mechanism == "PLAIN" else client.auth_login
        assert client.auth(mechanism, authobject) == (235, b"Authentication successful")
    assert ses_simulator.smtp_password == smtp_password(EXAMPLE_SECRET_ACCESS_KEY, "us-east-1")
    assert ses_simulator.logins == 1


@pytest.mark.parametrize(
    "password",
    [
        EXAMPLE_SECRET_ACCESS_KEY,  # the IAM secret pasted as the SMTP password
        smtp_password(EXAMPLE_SECRET_ACCESS_KEY, "eu-west-1"),  # another region's password
        "wrong",
    ],
    ids=["iam-secret", "other-region", "wrong"],
)
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_other_passwords_are_refused(ses_simulator, password, mechanism):
    with smtp_session(ses_simulator, login=False) as client:
        client.ehlo()
        client.user, client.password = ses_simulator.smtp_username, password
        authobject = client.auth_plain if mechanism == "PLAIN" else client.auth_login
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.auth(mechanism, authobject)
    assert (refused.value.smtp_code, refused.value.smtp_error) == (
        535,
        b"Authentication Credentials Invalid",
    )
    assert ses_simulator.logins == 0


def test_a_wrong_username_is_refused(ses_simulator):
    with (
        smtp_session(ses_simulator, login=False) as client,
        pytest.raises(smtplib.SMTPAuthenticationError) as refused,
    ):
        client.login("AKIAWRONGWRONGWRONG0", ses_simulator.smtp_password)
    assert refused.value.smtp_code == 535


def test_full_transaction_replies(session):
    assert session.mail("sender@example.com") == (250, b"Ok")
    assert session.rcpt("someone@example.org") == (250, b"Ok")
    assert session.docmd("DATA") == (354, b"End data with <CR><LF>.<CR><LF>")
    session.send(MESSAGE + b".\r\n")
    code, text = session.getreply()
    assert code == 250
    assert text.startswith(b"Ok ")
    assert session.docmd("QUIT") == (221, b"Bye")


def test_empty_and_malformed_addresses(session):
    assert session.docmd("MAIL", "FROM:<>") == (501, b"Invalid MAIL FROM address provided")
    assert session.mail("not-an-address") == (553, b"<not-an-address> Invalid email address")
    assert session.mail("sender@example.com") == (250, b"Ok")
    assert session.rcpt("nobody@") == (553, b"<nobody@> address unknown")


def test_implicit_tls_mode():
    with SESSimulator(tls="implicit") as ses, smtp_session(ses) as client:
        assert client.ehlo() == (250, b"email-smtp.amazonaws.com\n8BITMIME\nAUTH PLAIN LOGIN\nOk")
        client.sendmail("sender@example.com", ["someone@example.org"], MESSAGE)
        assert len(ses.messages) == 1


def test_certificate_is_for_the_ses_host_and_loopback(ses_simulator):
    context = client_context(ses_simulator)
    client = smtplib.SMTP(ses_simulator.host, ses_simulator.port, timeout=10)
    try:
        client.starttls(context=context)
        certificate = client.sock.getpeercert()
    finally:
        client.close()
    names = {value for kind, value in certificate["subjectAltName"]}
    assert {"localhost", "127.0.0.1", "email-smtp.us-east-1.amazonaws.com"} <= names


def test_a_client_that_does_not_trust_the_ca_fails_verification(ses_simulator):
    client = smtplib.SMTP(ses_simulator.host, ses_simulator.port, timeout=10)
    try:
        with pytest.raises(ssl.SSLCertVerificationError):
            client.starttls(context=ssl.create_default_context())
    finally:
        client.close()
