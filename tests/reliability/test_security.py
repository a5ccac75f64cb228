"""Security: TLS or nothing, and no credential anywhere it could leak."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from ses_smtp_backends import Sender, SESConfig, SESError, SESPermanentError
from ses_smtp_backends.simulator import EXAMPLE_SECRET_ACCESS_KEY, SESReplies, SESSimulator
from tests.helpers import FakeTime, config_for

SECRETS = (EXAMPLE_SECRET_ACCESS_KEY, "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9")


class AuthRecorder:
    """aiosmtpd hooks: remember any AUTH attempt (none must reach a server without TLS)."""

    def __init__(self) -> None:
        self.auth_attempts = 0

    async def handle_AUTH(self, server, session, envelope, args):
        self.auth_attempts += 1
        return "535 no"


class StrippingSMTP(SMTP):
    """Offers STARTTLS in EHLO, then refuses it: what a stripping middlebox does."""

    async def smtp_STARTTLS(self, arg):
        await self.push("454 TLS not available due to temporary reason")


class StrippingController(Controller):
    def factory(self):
        return StrippingSMTP(self.handler, **self.SMTP_kwargs)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def plain_server():
    recorder, port = AuthRecorder(), free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port, auth_require_tls=False)
    controller.start()
    yield recorder, port
    controller.stop()


@pytest.fixture
def stripping_server(ses_simulator):
    import ssl

    recorder, port = AuthRecorder(), free_port()
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # present, so STARTTLS is advertised
    ses_simulator._certificate.configure_cert(context)
    controller = StrippingController(
        recorder, hostname="127.0.0.1", port=port, tls_context=context, auth_require_tls=False
    )
    controller.start()
    yield recorder, port
    controller.stop()


def refused(config: SESConfig) -> SESError:
    with (
        Sender(config, sleep=FakeTime().sleep) as sender,
        pytest.raises(SESPermanentError) as failure,
    ):
        sender.send("app@example.com", ["u@example.org"], b"Subject: x\r\n\r\nx\r\n")
    return failure.value


def test_untrusted_and_wrong_name_certificates_are_refused(figures, tmp_path):
    with SESSimulator() as trusted_elsewhere:
        foreign_ca = tmp_path / "foreign.pem"
        foreign_ca.write_text(Path(trusted_elsewhere.cafile).read_text())
    with SESSimulator() as ses:
        assert refused(config_for(ses, cafile=str(foreign_ca))).kind.name == "TLS_FAILURE"
        assert ses.logins == 0
    with SESSimulator(certificate_hosts=["wrong.example"]) as ses:
        error = refused(config_for(ses))
        assert error.kind.name == "TLS_FAILURE"
        assert "match" in str(error)
        assert ses.logins == 0


def test_a_server_without_starttls_gets_no_auth(figures, plain_server):
    recorder, port = plain_server
    error = refused(
        SESConfig(host="127.0.0.1", port=port, username="AKIAEXAMPLE", password=SECRETS[1])
    )
    assert error.kind.name == "TLS_FAILURE"
    assert recorder.auth_attempts == 0


def test_a_stripped_starttls_gets_no_auth_and_no_retry(figures, stripping_server):
    recorder, port = stripping_server
    time = FakeTime()
    config = SESConfig(host="127.0.0.1", port=port, username="AKIAEXAMPLE", password=SECRETS[1])
    with Sender(config, sleep=time.sleep) as sender, pytest.raises(SESPermanentError) as failure:
        sender.send("app@example.com", ["u@example.org"], b"Subject: x\r\n\r\nx\r\n")
    assert failure.value.kind.name == "TLS_FAILURE"
    assert "STARTTLS refused (454)" in str(failure.value)
    assert (recorder.auth_attempts, time.sleeps) == (0, [])


def test_credentials_never_leak(figures, caplog, capsys):
    """Run through failures of every kind with every logger at DEBUG; look everywhere."""
    seen: list[str] = []
    with SESSimulator() as ses, caplog.at_level(logging.DEBUG):
        good = config_for(ses)
        bad = config_for(ses, password="BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWLX")
        keyed = config_for(ses, username=None, password=None, aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                           aws_secret_access_key=EXAMPLE_SECRET_ACCESS_KEY)  # fmt: skip
        ses.inject(SESReplies.MAX_SEND_RATE_EXCEEDED, at="END_OF_DATA")
        ses.drop(at="AFTER_END_OF_DATA")
        for config in (good, bad, keyed):
            with Sender(config, sleep=FakeTime().sleep) as sender:
                seen += [repr(config), repr(sender)]
                for sender_address in ("app@example.com", "x@unverified.example"):
                    try:
                        seen.append(
                            repr(
                                sender.send(
                                    sender_address, ["u@example.org"], b"Subject: x\r\n\r\nx\r\n"
                                )
                            )
                        )
                    except SESError as error:
                        seen += [str(error), repr(error), repr(error.reply), repr(vars(error))]
    from ses_smtp_backends.logging import SESHandler

    handler = SESHandler(
        ("127.0.0.1", 1), "a@example.com", "b@example.org", "x", credentials=("AKIA", SECRETS[1])
    )
    seen.append(repr(handler))
    handler.close()
    seen += [record.getMessage() for record in caplog.records]
    captured = capsys.readouterr()
    seen += [captured.out, captured.err]
    leaks = [text for text in seen for secret in SECRETS if secret in text]
    figures["leaks found"] += len(leaks)
    assert leaks == []
    assert len(seen) > 20


def test_django_settings_dumps_hide_the_secrets(figures, settings):
    pytest.importorskip("django")
    from django.views.debug import SafeExceptionReporterFilter

    settings.EMAIL_HOST_PASSWORD = SECRETS[1]
    settings.SES_SMTP = {
        "REGION": "eu-west-1",
        "PASSWORD": SECRETS[1],
        "AWS_SECRET_ACCESS_KEY": SECRETS[0],
    }
    settings.MAILERS_EXAMPLE = {
        "default": {"OPTIONS": {"password": SECRETS[1], "aws_secret_access_key": SECRETS[0]}}
    }
    dump = repr(SafeExceptionReporterFilter().get_safe_settings())
    leaks = [secret for secret in SECRETS if secret in dump]
    figures["leaks found"] += len(leaks)
    assert leaks == []
    assert "SES_SMTP" in dump


def test_django_backend_repr_has_no_secret(figures, settings):
    pytest.importorskip("django")
    from ses_smtp_backends.django import EmailBackend

    backend = EmailBackend(region="eu-west-1", username="AKIA", password=SECRETS[1])
    text = repr(backend) + repr(backend.config)
    assert all(secret not in text for secret in SECRETS)
