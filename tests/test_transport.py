"""Transport details: connection limits, and the loopback-only plaintext opt-in."""

import socket

import pytest
from aiosmtpd.controller import Controller

from ses_smtp_backends import SESConfig
from ses_smtp_backends.transport import Transport
from tests.helpers import FakeTime, config_for


class Recorder:
    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(
            (envelope.mail_from, list(envelope.rcpt_tos), bool(session.authenticated))
        )
        return "250 Ok plain-1"


@pytest.fixture
def plain_server():
    """A plaintext SMTP server on loopback (aiosmtpd), like a local dev mail catcher."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    recorder = Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def test_plaintext_to_loopback_sends_without_auth(plain_server):
    recorder, port = plain_server
    transport = Transport(SESConfig(host="127.0.0.1", port=port, tls="none"))
    try:
        result = transport.send("a@example.com", ["b@example.org"], b"Subject: x\r\n\r\nhi\r\n")
    finally:
        transport.close()
    assert result.reply.message_id == "plain-1"
    assert recorder.envelopes == [("a@example.com", ["b@example.org"], False)]


def test_starttls_refused_by_a_server_without_it_is_permanent(plain_server):
    _, port = plain_server
    from ses_smtp_backends import SESPermanentError

    transport = Transport(SESConfig(host="127.0.0.1", port=port, username="u", password="p"))
    with pytest.raises(SESPermanentError) as failed:
        transport.open()
    assert failed.value.kind.name == "TLS_FAILURE"
    assert not transport.connected


@pytest.mark.parametrize(
    ("overrides", "advance", "expected_connections"),
    [
        ({"max_messages_per_connection": 2}, 0, 3),  # 5 messages, 2 per connection
        ({"max_connection_age": 5.0}, 2, 2),  # sent at 0, 2, 4 s, then 6, 8 s on a new one
        ({}, 2, 1),
    ],
)
def test_connections_are_renewed_by_count_and_age(
    ses_simulator, overrides, advance, expected_connections
):
    time = FakeTime()
    transport = Transport(config_for(ses_simulator, **overrides), clock=time.clock)
    try:
        for _ in range(5):
            transport.send(
                "app@example.com", ["a@example.org"], b"From: app@example.com\r\n\r\nx\r\n"
            )
            time.now += advance
    finally:
        transport.close()
    assert ses_simulator.connections_total == expected_connections
    assert transport.connections_opened == expected_connections
