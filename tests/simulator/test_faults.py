"""Scripted faults: injected replies at every stage, dropped connections, latency, chaos."""

import smtplib
import time

import pytest

from ses_smtp_backends.simulator import SESReplies, SESSimulator
from tests.helpers import MESSAGE, smtp_session

THROTTLED = SESReplies.MAX_SEND_RATE_EXCEEDED


def reply_tuple(reply: str) -> tuple[int, bytes]:
    code, _, text = reply.partition(" ")
    return int(code), text.encode()


def test_inject_at_connect_replaces_the_greeting_and_hangs_up(ses_simulator):
    ses_simulator.inject(SESReplies.TOO_MANY_CONNECTIONS, at="CONNECT")
    client = smtplib.SMTP(timeout=10)
    try:
        assert client.connect(ses_simulator.host, ses_simulator.port) == (
            421,
            b"Too many concurrent SMTP connections",
        )
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.ehlo()
    finally:
        client.close()
    with smtp_session(ses_simulator):  # only once: the next connection is normal
        pass


def test_inject_at_ehlo(ses_simulator):
    ses_simulator.inject(SESReplies.TEMPORARY_SERVICE_FAILURE, at="EHLO")
    with smtp_session(ses_simulator, login=False, starttls=False) as client:
        assert client.ehlo() == reply_tuple(SESReplies.TEMPORARY_SERVICE_FAILURE)
        assert client.ehlo()[0] == 250


def test_inject_at_auth(ses_simulator):
    ses_simulator.inject(SESReplies.TEMPORARY_AUTHENTICATION_FAILURE, at="AUTH")
    with smtp_session(ses_simulator, login=False) as client:
        client.ehlo()
        client.user, client.password = ses_simulator.smtp_username, ses_simulator.smtp_password
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            client.auth("PLAIN", client.auth_plain)
        assert (refused.value.smtp_code, refused.value.smtp_error) == reply_tuple(
            SESReplies.TEMPORARY_AUTHENTICATION_FAILURE
        )
        assert client.auth("PLAIN", client.auth_plain)[0] == 235


@pytest.mark.parametrize(
    ("stage", "reply"),
    [
        ("MAIL", SESReplies.TIMEOUT),
        ("RCPT", SESReplies.LOCAL_PROCESSING_ERROR),
        ("DATA", SESReplies.TEMPORARY_SERVICE_FAILURE),
        ("END_OF_DATA", THROTTLED),
    ],
)
def test_inject_at_each_transaction_stage(ses_simulator, session, stage, reply):
    ses_simulator.inject(reply, at=stage)
    replies = []
    replies.append(session.mail("sender@example.com"))
    replies.append(session.rcpt("someone@example.org"))
    try:
        replies.append(session.data(MESSAGE))
    except smtplib.SMTPDataError as error:  # smtplib raises when DATA is not answered 354
        replies.append((error.smtp_code, error.smtp_error))
    stage_index = {"MAIL": 0, "RCPT": 1, "DATA": 2, "END_OF_DATA": 2}[stage]
    assert replies[stage_index] == reply_tuple(reply)
    assert ses_simulator.messages == []
    session.rset()
    assert session.sendmail("sender@example.com", ["someone@example.org"], MESSAGE) == {}
    assert len(ses_simulator.messages) == 1


def test_inject_counts_down_times(ses_simulator, session):
    ses_simulator.inject(THROTTLED, at="END_OF_DATA", times=3)
    codes = []
    for _ in range(4):
        session.mail("sender@example.com")
        session.rcpt("someone@example.org")
        codes.append(session.data(MESSAGE)[0])
    assert codes == [454, 454, 454, 250]
    assert [f.reply for f in ses_simulator.faults.served] == [THROTTLED] * 3
    assert len(ses_simulator.messages) == 1


def test_injected_421_mid_session_hangs_up(ses_simulator, session):
    ses_simulator.inject(SESReplies.TOO_MANY_CONNECTIONS, at="MAIL")
    assert session.mail("sender@example.com") == (421, b"Too many concurrent SMTP connections")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        session.rcpt("someone@example.org")


@pytest.mark.parametrize(
    "stage", ["CONNECT", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "END_OF_DATA"]
)
def test_drop_at_each_stage_stores_nothing(ses_simulator, stage):
    ses_simulator.drop(at=stage)
    with pytest.raises(smtplib.SMTPServerDisconnected), smtp_session(ses_simulator) as client:
        client.sendmail("sender@example.com", ["someone@example.org"], MESSAGE)
    assert ses_simulator.messages == []
    assert [(f.stage, f.reply) for f in ses_simulator.faults.served] == [(stage, None)]


def test_drop_mid_data_stores_nothing(ses_simulator, session):
    ses_simulator.drop(at="MID_DATA")
    session.mail("sender@example.com")
    session.rcpt("someone@example.org")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        session.data(MESSAGE * 2000)
    assert ses_simulator.messages == []
    assert [(f.stage, f.reply) for f in ses_simulator.faults.served] == [("MID_DATA", None)]


def test_drop_after_end_of_data_stores_the_message_but_never_answers(ses_simulator, session):
    ses_simulator.drop(at="AFTER_END_OF_DATA")
    session.mail("sender@example.com")
    session.rcpt("someone@example.org")
    with pytest.raises(smtplib.SMTPServerDisconnected):
        session.data(MESSAGE)
    assert len(ses_simulator.messages) == 1  # the ambiguous case: delivered, unacknowledged


def test_latency_delays_every_reply():
    with SESSimulator(latency=0.05) as ses:
        started = time.monotonic()
        with smtp_session(ses):  # greeting, EHLO, STARTTLS, EHLO, AUTH: 5 replies
            pass
        assert time.monotonic() - started >= 0.25


def run_with_chaos(seed: int) -> list[tuple[str, str | None]]:
    with SESSimulator() as ses:
        ses.chaos(0.4, seed=seed)
        for _ in range(15):
            try:
                with smtp_session(ses) as client:
                    client.sendmail("sender@example.com", ["someone@example.org"], MESSAGE)
            except (smtplib.SMTPException, OSError):
                pass
        return [(f.stage, f.reply) for f in ses.faults.served]


def test_chaos_is_transient_only_and_replayable_by_seed():
    first = run_with_chaos(seed=7)
    assert first == run_with_chaos(seed=7)
    assert first, "with probability 0.4 over 15 sends some faults must be served"
    assert all(reply is None or reply[0] == "4" for _, reply in first)
    assert {stage for stage, _ in first} <= {
        "CONNECT",
        "MAIL",
        "RCPT",
        "DATA",
        "MID_DATA",
        "END_OF_DATA",
        "AFTER_END_OF_DATA",
    }
    assert all(
        reply is None for stage, reply in first if stage in ("MID_DATA", "AFTER_END_OF_DATA")
    )


def test_chaos_can_be_limited_to_some_stages():
    with SESSimulator() as ses:
        ses.chaos(1.0, seed=3, stages=["RCPT"])
        with pytest.raises((smtplib.SMTPException, OSError)), smtp_session(ses) as client:
            client.sendmail("sender@example.com", ["someone@example.org"], MESSAGE)
        assert [f.stage for f in ses.faults.served] == ["RCPT"]
        with pytest.raises(ValueError, match="not among"):
            ses.chaos(0.5, stages=["QUIT"])


def test_chaos_zero_turns_it_off(ses_simulator, session):
    ses_simulator.chaos(1.0, seed=1)
    ses_simulator.chaos(0)
    assert session.sendmail("sender@example.com", ["someone@example.org"], MESSAGE) == {}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda s: s.inject(THROTTLED, at="AFTER_END_OF_DATA"),
            "at='AFTER_END_OF_DATA' is not one of",
        ),
        (lambda s: s.inject(THROTTLED, at="QUIT"), "at='QUIT' is not one of"),
        (lambda s: s.inject("throttled please"), "is not an SMTP reply line"),
        (lambda s: s.inject(THROTTLED, times=0), "times=0 must be a positive integer"),
        (lambda s: s.drop(at="LATER"), "at='LATER' is not one of"),
        (lambda s: s.chaos(1.5), "probability=1.5 must be between 0 and 1"),
        (lambda s: s.chaos(0.1, stages=["LATER"]), r"stages \['LATER'\] are not among"),
    ],
)
def test_bad_fault_requests_say_what_to_fix(ses_simulator, call, message):
    with pytest.raises(ValueError, match=message):
        call(ses_simulator)
    assert ses_simulator.faults.pending() == 0
