"""Exceptions: the smtplib classes callers catch, pickling, and no secrets in their text."""

import pickle
import smtplib

import pytest

from ses_smtp_backends import (
    SESAuthenticationError,
    SESConfigurationError,
    SESConnectionError,
    SESError,
    SESRecipientsRefused,
    SESRetriesExhausted,
    classify,
)
from ses_smtp_backends.exceptions import error_for

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_compatibility_with_smtplib_and_oserror():
    auth = error_for(classify(535, "Authentication Credentials Invalid"))
    assert isinstance(auth, SESAuthenticationError)
    assert isinstance(auth, smtplib.SMTPAuthenticationError)
    assert isinstance(auth, OSError)
    lost = error_for(classify(421, "Too many concurrent SMTP connections"))
    assert isinstance(lost, SESConnectionError)
    assert isinstance(lost, smtplib.SMTPServerDisconnected)
    refused = SESRecipientsRefused(
        classify(553, "<x@y> address unknown"), recipients={"x@y": (553, b"no")}
    )
    assert isinstance(refused, smtplib.SMTPRecipientsRefused)
    assert refused.recipients == {"x@y": (553, b"no")}
    assert not issubclass(SESConfigurationError, SESError)
    assert issubclass(SESConfigurationError, ValueError)


@pytest.mark.parametrize(
    "error",
    [
        error_for(classify(535, "Authentication Credentials Invalid"), "connecting to SES"),
        error_for(classify(554, "Message rejected: Email address is not verified. The following "
                               "identities failed the check in region US-EAST-1: a@b.c")),
        SESRecipientsRefused(classify(553, "<a@b.c> address unknown"), recipients={"a@b.c": (553, b"x")}),
        SESRetriesExhausted(classify(454, "Temporary service failure"), "gave up", attempts=3,
                            last_error=error_for(classify(454, "Temporary service failure"))),
        SESConfigurationError("password", "looks like an IAM secret access key"),
    ],
)  # fmt: skip
def test_pickle_round_trip_keeps_everything(error):
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert vars(copy).keys() == vars(error).keys()
    if isinstance(error, SESError):
        assert copy.reply == error.reply
        assert (copy.smtp_code, copy.smtp_error) == (error.smtp_code, error.smtp_error)


def test_text_is_the_reply_and_its_hint():
    error = error_for(classify(454, "Throttling failure: Maximum sending rate exceeded"))
    assert str(error).startswith(
        "454 Throttling failure: Maximum sending rate exceeded (transient). "
    )
    assert error.hint in str(error)
