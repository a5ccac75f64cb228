"""Envelope checks and message preparation, before anything is sent."""

import email.message

import pytest

from ses_smtp_backends import SESInvalidAddressError
from ses_smtp_backends.envelope import add_ses_headers, batches, clean_envelope, message_envelope


def test_clean_envelope_accepts_one_string_and_drops_repeats():
    assert clean_envelope("a@example.com", "b@example.org") == ("a@example.com", ["b@example.org"])
    assert clean_envelope("a@example.com", ["b@x.org", "b@x.org", "c@x.org"])[1] == [
        "b@x.org",
        "c@x.org",
    ]


@pytest.mark.parametrize(
    ("recipient", "problem"),
    [
        ("a@example.org\r\nRCPT TO:<b@example.org>", "contains a line break"),
        ("a@exa\0mple.org", "contains a line break or NUL"),
        ("jöhn@example.org", "has a non-ASCII local part"),
        ("example.org", "is not an email address"),
        ("a b@example.org", "contains spaces"),
        ("<a@example.org>", "contains spaces or angle brackets"),
        (42, "is a int"),
    ],
)
def test_bad_recipients_are_named_by_position_without_the_address(recipient, problem):
    with pytest.raises(SESInvalidAddressError, match=f"recipient 2 of 2 {problem}") as refused:
        clean_envelope("a@example.com", ["ok@example.org", recipient])
    assert isinstance(refused.value, ValueError)
    assert "example.org\r" not in str(refused.value)


def test_empty_recipients():
    with pytest.raises(SESInvalidAddressError, match="recipients are empty"):
        clean_envelope("a@example.com", [])


def test_batches_of_fifty():
    assert [len(b) for b in batches([str(n) for n in range(101)])] == [50, 50, 1]


def test_ses_headers_go_on_top_unless_present_and_lines_end_in_crlf():
    data = add_ses_headers(b"Subject: x\nX-Ses-Message-Tags: a=b\n\nbody\n", "set_1", {"c": "d"})
    assert (
        data
        == b"X-SES-CONFIGURATION-SET: set_1\r\nSubject: x\r\nX-Ses-Message-Tags: a=b\r\n\r\nbody\r\n"
    )
    assert add_ses_headers(
        b"Subject: x\r\n\r\nX-SES-CONFIGURATION-SET: in body\r\n", "s", {}
    ).startswith(b"X-SES-CONFIGURATION-SET: s\r\n")
    assert add_ses_headers(b"Subject: x\r\n\r\nbody\r\n", None, {}) == b"Subject: x\r\n\r\nbody\r\n"


def test_message_envelope_needs_a_sender():
    message = email.message.EmailMessage()
    message["To"] = "a@example.org"
    with pytest.raises(SESInvalidAddressError, match="sender is missing"):
        message_envelope(message)


def test_message_envelope_prefers_the_sender_header():
    message = email.message.EmailMessage()
    message["From"] = "a@example.com"
    message["Sender"] = "bounces@example.com"
    message["To"] = "x@example.org"
    sender, recipients, data = message_envelope(message)
    assert (sender, recipients) == ("bounces@example.com", ["x@example.org"])
    assert data.endswith(b"\r\n\r\n")
