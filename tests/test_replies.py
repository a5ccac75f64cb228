"""Every reply of SES_FACTS section 1, in every spelling SES uses, classified."""

import errno
import smtplib
import ssl

import pytest

from ses_smtp_backends import ReplyKind, classify, classify_exception
from ses_smtp_backends.exceptions import (
    SESAccessDeniedError,
    SESAuthenticationError,
    SESConnectionError,
    SESDailyQuotaError,
    SESIdentityNotVerifiedError,
    SESInvalidAddressError,
    SESMessageRejectedError,
    SESMessageTooLargeError,
    SESPermanentError,
    SESThrottlingError,
    SESTransientError,
    error_for,
)

K = ReplyKind

# (code, text as documented, kind, transient, exception class)
CATALOGUE = [
    (421, "Too many concurrent SMTP connections", K.TOO_MANY_CONNECTIONS, True, SESConnectionError),
    (421, "Timeout waiting for data from client", K.TOO_MANY_CONNECTIONS, True, SESConnectionError),
    (451, "Temporary service failure", K.LOCAL_PROCESSING_ERROR, True, SESTransientError),
    (451, "Timeout waiting for data from client", K.TIMEOUT, True, SESConnectionError),
    (454, "Throttling failure: Daily message quota exceeded", K.DAILY_QUOTA_EXCEEDED, True,
     SESDailyQuotaError),
    (454, "Throttling failure: Maximum sending rate exceeded", K.MAX_SEND_RATE_EXCEEDED, True,
     SESThrottlingError),
    (454, "Throttling failure: Maximum SigV2 SMTP sending rate exceeded", K.SIGV2_RATE_EXCEEDED,
     True, SESThrottlingError),
    (454, "Temporary authentication failure", K.TEMPORARY_AUTHENTICATION_FAILURE, True,
     SESTransientError),
    (454, "Temporary service failure", K.TEMPORARY_SERVICE_FAILURE, True, SESTransientError),
    (530, "Authentication required", K.AUTHENTICATION_REQUIRED, False, SESAuthenticationError),
    (530, "Must issue a STARTTLS command first", K.TLS_REQUIRED, False, SESAuthenticationError),
    (535, "Authentication Credentials Invalid", K.INVALID_CREDENTIALS, False, SESAuthenticationError),
    (535, "Account not subscribed to SES", K.ACCOUNT_NOT_SUBSCRIBED, False, SESAuthenticationError),
    (552, "Message is too long", K.MESSAGE_TOO_LONG, False, SESMessageTooLargeError),
    (553, "<bad@> Invalid email address", K.INVALID_ADDRESS, False, SESInvalidAddressError),
    (553, "<bad@> address unknown", K.INVALID_ADDRESS, False, SESInvalidAddressError),
    (501, "Invalid MAIL FROM address provided", K.INVALID_ADDRESS, False, SESInvalidAddressError),
    (554, "Access denied: User arn:aws:iam::123456789012:user/app is not authorized to perform "
     "ses:SendRawEmail on resource arn:aws:ses:us-east-1:123456789012:identity/example.com",
     K.ACCESS_DENIED, False, SESAccessDeniedError),
    (554, "Message rejected: Email address is not verified. The following identities failed the "
     "check in region US-EAST-1: a@example.com, b@example.org", K.IDENTITY_NOT_VERIFIED, False,
     SESIdentityNotVerifiedError),
    (554, "Message rejected: Sending paused for this account. For more information, please check "
     "the inbox of the email address associated with your AWS account", K.ACCOUNT_PAUSED, False,
     SESMessageRejectedError),
    (554, "Message rejected: Sending suspended for this account", K.ACCOUNT_PAUSED, False,
     SESMessageRejectedError),
    (554, "Transaction failed: Duplicate header 'Content-Type'", K.TRANSACTION_FAILED, False,
     SESMessageRejectedError),
    (554, "Transaction failed: Recipient count exceeds 50", K.TRANSACTION_FAILED, False,
     SESMessageRejectedError),
    (554, "Transaction failed: Invalid domain name", K.TRANSACTION_FAILED, False,
     SESMessageRejectedError),
    (450, "Mailbox busy", K.OTHER_TRANSIENT, True, SESTransientError),
    (550, "Something SES has never said", K.OTHER_PERMANENT, False, SESMessageRejectedError),
]  # fmt: skip

ENHANCED = {421: "4.4.2", 451: "4.4.2", 454: "4.7.0", 501: "5.5.2", 530: "5.7.0", 535: "5.7.8",
            552: "5.3.4", 553: "5.1.7", 554: "5.7.1", 450: "4.2.1", 550: "5.0.0"}  # fmt: skip


def spellings(code: int, text: str) -> list[tuple[str, str | None]]:
    """The documented text, with a trailing period, with an enhanced code, both, as bytes,
    and in other case: (spelling, expected enhanced status)."""
    enhanced = ENHANCED[code]
    return [
        (text, None),
        (text + ".", None),
        (f"{enhanced} {text}", enhanced),
        (f"{enhanced} {text}.", enhanced),
        (text.upper(), None),
        (text.lower() + ".", None),
    ]


@pytest.mark.parametrize(("code", "text", "kind", "transient", "error_class"), CATALOGUE)
def test_every_catalogue_reply_in_every_spelling(code, text, kind, transient, error_class):
    for spelling, enhanced in spellings(code, text):
        for raw in (spelling, spelling.encode()):
            reply = classify(code, raw)
            assert (reply.kind, reply.transient, reply.enhanced_status) == (
                kind,
                transient,
                enhanced,
            )
            assert reply.hint.endswith(".")
            assert reply.message_id is None
            error = error_for(reply)
            assert type(error) is error_class
            assert isinstance(error, SESTransientError if transient else SESPermanentError)
            assert isinstance(error, smtplib.SMTPException)
            assert (error.smtp_code, error.kind, error.transient) == (code, kind, transient)


@pytest.mark.parametrize(
    ("text", "message_id"),
    [
        ("Ok 0100018c6e2a8f0a-5b1d3e2f-9a4b-4c7d-8e6f-1a2b3c4d5e6f-000000",
         "0100018c6e2a8f0a-5b1d3e2f-9a4b-4c7d-8e6f-1a2b3c4d5e6f-000000"),
        ("2.0.0 Ok 0100018c-x-000000", "0100018c-x-000000"),
        ("OK 0100018c-x-000000.", "0100018c-x-000000"),
        ("Ok", None),
    ],
)  # fmt: skip
def test_accepted_reply_carries_the_message_id(text, message_id):
    reply = classify(250, text)
    assert (reply.kind, reply.transient, reply.message_id, reply.ok) == (
        ReplyKind.ACCEPTED,
        False,
        message_id,
        True,
    )


def test_authenticated():
    reply = classify(235, b"Authentication successful")
    assert (reply.kind, reply.ok) == (ReplyKind.AUTHENTICATED, True)


def test_invalid_credentials_hint_explains_iam_keys():
    hint = classify(535, "Authentication Credentials Invalid").hint
    assert "not IAM keys" in hint
    assert "smtp_password" in hint


def test_sigv2_is_not_mistaken_for_the_ordinary_rate():
    reply = classify(454, "Throttling failure: Maximum SigV2 SMTP sending rate exceeded.")
    assert reply.kind is ReplyKind.SIGV2_RATE_EXCEEDED
    assert "legacy" in reply.hint


@pytest.mark.parametrize(
    ("text", "identities", "region"),
    [
        ("Message rejected: Email address is not verified. The following identities failed the "
         "check in region EU-WEST-1: app@example.com", ("app@example.com",), "eu-west-1"),
        ("Message rejected: Email address is not verified. The following identities failed the "
         "check in region US-EAST-1: a@x.com, b@y.com, ...", ("a@x.com", "b@y.com"), "us-east-1"),
    ],
)  # fmt: skip
def test_unverified_identities_are_parsed(text, identities, region):
    error = error_for(classify(554, text))
    assert isinstance(error, SESIdentityNotVerifiedError)
    assert (error.identities, error.region) == (identities, region)


@pytest.mark.parametrize(
    ("error", "kind", "transient"),
    [
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), K.CONNECTION_LOST, True),
        (ConnectionResetError(errno.ECONNRESET, "reset"), K.CONNECTION_LOST, True),
        (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), K.CONNECTION_LOST, True),
        (TimeoutError("timed out"), K.CONNECTION_LOST, True),
        (ssl.SSLEOFError(8, "EOF occurred in violation of protocol"), K.CONNECTION_LOST, True),
        (ssl.SSLCertVerificationError(1, "certificate verify failed"), K.TLS_FAILURE, False),
        (ssl.SSLError(1, "wrong version number"), K.TLS_FAILURE, False),
        (smtplib.SMTPNotSupportedError("STARTTLS extension not supported"), K.TLS_FAILURE, False),
        (smtplib.SMTPDataError(454, b"Throttling failure: Maximum sending rate exceeded"),
         K.MAX_SEND_RATE_EXCEEDED, True),
        (smtplib.SMTPSenderRefused(451, b"4.4.2 Timeout waiting for data from client.", "a@b.c"),
         K.TIMEOUT, True),
        (smtplib.SMTPRecipientsRefused({"a@b.c": (553, b"<a@b.c> address unknown")}),
         K.INVALID_ADDRESS, False),
        (smtplib.SMTPConnectError(421, b"Too many concurrent SMTP connections"),
         K.TOO_MANY_CONNECTIONS, True),
        (ValueError("something else"), K.OTHER_PERMANENT, False),
    ],
)  # fmt: skip
def test_classify_exception(error, kind, transient):
    reply = classify_exception(error)
    assert (reply.kind, reply.transient) == (kind, transient)
    assert reply.hint


def test_classify_exception_returns_the_reply_of_our_own_errors():
    error = error_for(classify(454, "Temporary service failure"))
    assert classify_exception(error) is error.reply
