"""SES's decisions at the end of DATA, the quotas and the connection limits."""

import re
import smtplib
import time

import pytest

from ses_smtp_backends.simulator import SESSimulator
from tests.helpers import MESSAGE, smtp_session

SES_ID = re.compile(
    r"0100[0-9a-f]{12}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-000000"
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def message(sender: str = "sender@example.com", extra: bytes = b"") -> bytes:
    return f"From: {sender}\r\nSubject: hi\r\n".encode() + extra + b"\r\nbody\r\n"


def send(
    client: smtplib.SMTP, sender: str, recipients: list[str], data: bytes
) -> tuple[int, bytes]:
    """MAIL, RCPT..., DATA; return the reply to the final dot."""
    assert client.mail(sender)[0] == 250
    for recipient in recipients:
        assert client.rcpt(recipient)[0] == 250
    return client.data(data)


def test_accepted_message_is_recorded_with_its_ses_id(ses_simulator, session):
    code, text = send(session, "sender@example.com", ["a@example.org", "b@example.net"], MESSAGE)
    assert code == 250
    message_id = text.decode().removeprefix("Ok ")
    assert SES_ID.fullmatch(message_id)
    [stored] = ses_simulator.messages
    assert stored.message_id == message_id
    assert stored.envelope_from == "sender@example.com"
    assert stored.recipients == ("a@example.org", "b@example.net")
    assert stored.raw == MESSAGE
    assert stored.message_id_header == f"<{message_id}@email.amazonses.com>"
    assert stored.message["Message-ID"] == stored.message_id_header
    assert stored.message["Subject"] == "hello"


def test_message_id_header_domain_follows_the_region():
    with SESSimulator(region="eu-west-1") as ses, smtp_session(ses) as client:
        _, text = send(client, "sender@example.com", ["a@example.org"], MESSAGE)
    [stored] = ses.messages
    assert stored.message_id_header == f"<{text.decode()[3:]}@eu-west-1.amazonses.com>"


def test_ses_headers_are_read_and_removed_and_message_id_replaced(ses_simulator, session):
    data = (
        b"Message-ID: <mine@example.com>\r\n"
        b"From: sender@example.com\r\n"
        b"X-SES-CONFIGURATION-SET: transactional\r\n"
        b"X-SES-MESSAGE-TAGS: campaign=welcome, tier=free\r\n"
        b"Subject: tagged\r\n\r\nbody\r\n"
    )
    send(session, "sender@example.com", ["a@example.org"], data)
    [stored] = ses_simulator.messages
    assert stored.configuration_set == "transactional"
    assert stored.tags == {"campaign": "welcome", "tier": "free"}
    assert b"X-SES-" not in stored.data
    assert b"<mine@example.com>" not in stored.data
    assert stored.data.endswith(b"From: sender@example.com\r\nSubject: tagged\r\n\r\nbody\r\n")


@pytest.mark.parametrize(
    ("envelope_from", "header_from", "failed"),
    [
        ("sender@example.com", "boss@elsewhere.org", "boss@elsewhere.org"),
        ("bounce@elsewhere.org", "sender@example.com", "bounce@elsewhere.org"),
        ("a@other.org", "b@other.net", "a@other.org, b@other.net"),
    ],
)
def test_unverified_identities_are_refused_and_listed(session, envelope_from, header_from, failed):
    refused = send(session, envelope_from, ["a@example.org"], message(header_from))
    assert refused[0] == 554
    assert refused[1] == (
        b"Message rejected: Email address is not verified. The following identities failed "
        b"the check in region US-EAST-1: " + failed.encode()
    )


def test_subdomains_and_single_addresses_can_be_verified():
    verified = ["example.com", "solo@other.org"]
    with SESSimulator(verified_identities=verified) as ses, smtp_session(ses) as client:
        assert send(client, "solo@other.org", ["x@y.org"], message("solo@other.org"))[0] == 250
        assert (
            send(client, "a@mail.example.com", ["x@y.org"], message("a@mail.example.com"))[0] == 250
        )
        assert send(client, "else@other.org", ["x@y.org"], message("else@other.org"))[0] == 554


def test_sandbox_checks_recipients_but_not_the_mailbox_simulator():
    with SESSimulator(sandbox=True, clock=FakeClock()) as ses, smtp_session(ses) as client:
        assert (
            send(client, "sender@example.com", ["success@simulator.amazonses.com"], MESSAGE)[0]
            == 250
        )
        refused = send(client, "sender@example.com", ["stranger@example.org"], MESSAGE)
    assert refused[1].endswith(b"in region US-EAST-1: stranger@example.org")


def test_more_than_fifty_recipients_are_refused(session):
    recipients = [f"user{n}@example.org" for n in range(51)]
    refused = send(session, "sender@example.com", recipients, MESSAGE)
    assert refused == (
        554,
        b"Transaction failed: Recipient count exceeds 50.",
    )


def test_fifty_recipients_pass(ses_simulator, session):
    recipients = [f"user{n}@example.org" for n in range(50)]
    assert send(session, "sender@example.com", recipients, MESSAGE)[0] == 250


def test_message_over_the_size_limit_is_refused():
    with SESSimulator(max_message_size=1000) as ses, smtp_session(ses) as client:
        refused = send(
            client,
            "sender@example.com",
            ["a@example.org"],
            message(extra=b"X-Pad: " + b"p" * 990 + b"\r\n"),
        )
        assert send(client, "sender@example.com", ["a@example.org"], MESSAGE)[0] == 250
    assert refused == (552, b"Message is too long.")


@pytest.mark.parametrize("name", ["Subject", "Content-Type", "Message-ID", "From"])
def test_duplicate_unique_header_is_refused(session, name):
    data = (
        b"From: sender@example.com\r\nSubject: s\r\nContent-Type: text/plain\r\n"
        b"Message-ID: <1@example.com>\r\nX-Repeatable: a\r\nX-Repeatable: b\r\n"
        + f"{name}: again\r\n\r\nbody\r\n".encode()
    )
    refused = send(session, "sender@example.com", ["a@example.org"], data)
    assert refused == (554, f"Transaction failed: Duplicate header '{name}'.".encode())


def test_repeatable_headers_pass(session):
    data = b"From: sender@example.com\r\nReceived: a\r\nReceived: b\r\n\r\nbody\r\n"
    assert send(session, "sender@example.com", ["a@example.org"], data)[0] == 250


def test_send_rate_counts_recipients_and_refills_with_time():
    clock = FakeClock()
    with SESSimulator(max_send_rate=2, clock=clock) as ses, smtp_session(ses) as client:
        assert (
            send(client, "sender@example.com", ["a@example.org", "b@example.org"], MESSAGE)[0]
            == 250
        )
        throttled = send(client, "sender@example.com", ["c@example.org"], MESSAGE)
        clock.now += 0.5  # one recipient's worth of tokens
        assert send(client, "sender@example.com", ["c@example.org"], MESSAGE)[0] == 250
    assert throttled == (
        454,
        b"Throttling failure: Maximum sending rate exceeded",
    )
    assert ses.throttled_total == 1
    assert [m.recipients for m in ses.messages] == [
        ("a@example.org", "b@example.org"),
        ("c@example.org",),
    ]


def test_daily_quota_is_a_rolling_window_of_recipients():
    clock = FakeClock()
    with SESSimulator(daily_quota=3, clock=clock) as ses, smtp_session(ses) as client:
        assert (
            send(client, "sender@example.com", ["a@example.org", "b@example.org"], MESSAGE)[0]
            == 250
        )
        clock.now += 3600
        assert send(client, "sender@example.com", ["c@example.org"], MESSAGE)[0] == 250
        over = send(client, "sender@example.com", ["d@example.org"], MESSAGE)
        # the mailbox simulator does not count against the daily quota
        assert (
            send(client, "sender@example.com", ["success@simulator.amazonses.com"], MESSAGE)[0]
            == 250
        )
        clock.now += 23 * 3600  # the first two recipients leave the window
        assert (
            send(client, "sender@example.com", ["d@example.org", "e@example.org"], MESSAGE)[0]
            == 250
        )
    assert over == (
        454,
        b"Throttling failure: Daily message quota exceeded",
    )


def test_sandbox_defaults_to_one_per_second():
    clock = FakeClock()
    with SESSimulator(sandbox=True, clock=clock) as ses, smtp_session(ses) as client:
        to = ["success@simulator.amazonses.com"]
        assert send(client, "sender@example.com", to, MESSAGE)[0] == 250
        throttled = send(client, "sender@example.com", to, MESSAGE)
        clock.now += 1
        assert send(client, "sender@example.com", to, MESSAGE)[0] == 250
    assert throttled[0] == 454


def test_mailbox_simulator_addresses_produce_their_events(ses_simulator, session):
    recipients = [
        "success@simulator.amazonses.com",
        "bounce+signup@simulator.amazonses.com",
        "ooto@simulator.amazonses.com",
        "complaint@simulator.amazonses.com",
        "suppressionlist@simulator.amazonses.com",
        "person@example.org",
    ]
    _, text = send(session, "sender@example.com", recipients, MESSAGE)
    message_id = text.decode()[3:]
    events = [
        (e.type, e.recipient.partition("@")[0], e.bounce_subtype) for e in ses_simulator.events
    ]
    assert events == [
        ("Delivery", "success", None),
        ("Bounce", "bounce+signup", "General"),
        ("Delivery", "ooto", None),
        ("Delivery", "complaint", None),
        ("Complaint", "complaint", None),
        ("Bounce", "suppressionlist", "OnSuppressionList"),
        ("Delivery", "person", None),
    ]
    assert {e.message_id for e in ses_simulator.events} == {message_id}
    bounce = ses_simulator.events[1]
    assert (bounce.bounce_type, bounce.diagnostic_code) == (
        "Permanent",
        "smtp; 550 5.1.1 user unknown",
    )
    assert ses_simulator.events[4].complaint_feedback_type == "abuse"


def test_idle_connection_gets_451_then_is_closed():
    with SESSimulator(idle_timeout=0.2) as ses, smtp_session(ses) as client:
        time.sleep(0.5)  # idle past the server's timeout (not a retry wait)
        assert client.getreply() == (451, b"4.4.2 Timeout waiting for data from client.")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.getreply()


def test_connections_over_the_limit_get_421():
    with SESSimulator(max_connections=1) as ses, smtp_session(ses):
        crowded = smtplib.SMTP(timeout=10)
        try:
            assert crowded.connect(ses.host, ses.port) == (
                421,
                b"Too many concurrent SMTP connections",
            )
            with pytest.raises(smtplib.SMTPServerDisconnected):
                crowded.ehlo()
        finally:
            crowded.close()
        assert ses.connections_total == 2


def test_clear_forgets_messages_and_events(ses_simulator, session):
    send(session, "sender@example.com", ["a@example.org"], MESSAGE)
    ses_simulator.clear()
    assert ses_simulator.messages == []
    assert ses_simulator.events == []


def test_rejections_and_protocol_errors_are_counted(ses_simulator, session):
    send(session, "x@unverified.example", ["a@example.org"], message("x@unverified.example"))
    assert session.docmd("RCPT", "TO:<a@example.org>")[0] == 503  # RCPT before MAIL
    [(sender, recipients, reply)] = ses_simulator.rejected
    assert (sender, recipients) == ("x@unverified.example", ("a@example.org",))
    assert reply.startswith("554 Message rejected")
    assert ses_simulator.protocol_errors == 1


def test_certificate_hosts_can_be_wrong_on_purpose():
    import ssl

    with SESSimulator(certificate_hosts=["wrong.example"]) as ses:
        client = smtplib.SMTP(ses.host, ses.port, timeout=10)
        try:
            with pytest.raises(ssl.SSLCertVerificationError, match="match"):
                client.starttls(context=ssl.create_default_context(cafile=ses.cafile))
        finally:
            client.close()
