"""Sender end to end against the simulator over loopback TLS, with sleep and clock injected."""

import email.message
import smtplib
import threading
import time
from pathlib import Path

import pytest

from ses_smtp_backends import (
    Hooks,
    Receipt,
    RetryPolicy,
    Sender,
    SESConnectionError,
    SESDailyQuotaError,
    SESIdentityNotVerifiedError,
    SESPermanentError,
    SESRecipientsRefused,
    SESRetriesExhausted,
    SESThrottlingError,
)
from ses_smtp_backends.simulator import SESReplies, SESSimulator
from tests.helpers import FakeTime, config_for

MESSAGE = b"From: App <app@example.com>\r\nTo: user@example.org\r\nSubject: Hi\r\n\r\nHello.\r\n"
THROTTLED = SESReplies.MAX_SEND_RATE_EXCEEDED


@pytest.fixture
def fake_time():
    return FakeTime()


@pytest.fixture
def sender(ses_simulator, fake_time):
    with Sender(config_for(ses_simulator), sleep=fake_time.sleep, clock=fake_time.clock) as sender:
        yield sender


def send(
    sender: Sender,
    to=("user@example.org",),
    data: bytes = MESSAGE,
    sender_address="app@example.com",
) -> Receipt:
    return sender.send(sender_address, list(to), data)


def test_receipt_carries_the_simulator_message_id(ses_simulator, sender):
    receipt = send(sender)
    [stored] = ses_simulator.messages
    assert receipt.message_id == stored.message_id
    assert receipt.message_id_header == stored.message_id_header
    assert receipt.message_id_header == f"<{stored.message_id}@email.amazonses.com>"
    assert (receipt.recipients, receipt.refused, receipt.attempts) == (("user@example.org",), {}, 1)


def test_message_id_header_uses_the_region_domain(fake_time):
    with (
        SESSimulator(region="eu-west-1") as ses,
        Sender(config_for(ses), sleep=fake_time.sleep) as sender,
    ):
        receipt = send(sender)
    assert receipt.message_id_header == f"<{receipt.message_id}@eu-west-1.amazonses.com>"
    assert receipt.message_id_header == ses.messages[0].message_id_header


def test_three_throttles_then_success_waits_5_10_30(ses_simulator, sender, fake_time):
    ses_simulator.inject(THROTTLED, at="END_OF_DATA", times=3)
    receipt = send(sender)
    assert fake_time.sleeps == [5, 10, 30]
    assert receipt.attempts == 4
    assert len(ses_simulator.messages) == 1


def test_eight_failures_climb_the_ladder_twice(ses_simulator, sender, fake_time):
    ses_simulator.inject(THROTTLED, at="END_OF_DATA", times=8)
    receipt = send(sender)
    assert fake_time.sleeps == [5, 10, 30, 1200, 5, 10, 30, 1200]
    assert receipt.attempts == 9
    assert len(ses_simulator.messages) == 1


def test_554_is_raised_at_once_with_the_identities(ses_simulator, sender, fake_time):
    with pytest.raises(SESIdentityNotVerifiedError) as rejected:
        send(
            sender,
            sender_address="news@unverified.example",
            data=MESSAGE.replace(b"app@example.com", b"news@unverified.example"),
        )
    assert fake_time.sleeps == []
    assert rejected.value.identities == ("news@unverified.example",)
    assert rejected.value.region == "us-east-1"
    assert isinstance(rejected.value, smtplib.SMTPException)
    assert ses_simulator.messages == []


def test_max_elapsed_45_gives_up_after_5_10_30(ses_simulator, fake_time):
    ses_simulator.inject(THROTTLED, at="END_OF_DATA", times=50)
    config = config_for(ses_simulator, retry={"max_elapsed": 45})
    with (
        Sender(config, sleep=fake_time.sleep, clock=fake_time.clock) as sender,
        pytest.raises(SESRetriesExhausted) as exhausted,
    ):
        send(sender)
    assert fake_time.sleeps == [5, 10, 30]
    assert isinstance(exhausted.value.__cause__, SESThrottlingError)
    assert exhausted.value.last_error is exhausted.value.__cause__
    assert exhausted.value.attempts == 4
    assert ses_simulator.messages == []


def test_daily_quota_waits_long(ses_simulator, sender, fake_time):
    ses_simulator.inject(SESReplies.DAILY_QUOTA_EXCEEDED, at="END_OF_DATA", times=2)
    send(sender)
    assert fake_time.sleeps == [1200, 1200]


def test_daily_quota_error_class_when_exhausted(ses_simulator, fake_time):
    ses_simulator.inject(SESReplies.DAILY_QUOTA_EXCEEDED, at="END_OF_DATA")
    config = config_for(ses_simulator, retry=RetryPolicy.never())
    with (
        Sender(config, sleep=fake_time.sleep) as sender,
        pytest.raises(SESRetriesExhausted) as exhausted,
    ):
        send(sender)
    assert isinstance(exhausted.value.last_error, SESDailyQuotaError)


def test_idle_connection_is_replaced_before_ses_closes_it(ses_simulator, sender, fake_time):
    send(sender)
    fake_time.now += 9  # past idle_reconnect (8 s), before SES's 10 s
    send(sender)
    assert ses_simulator.connections_total == 2
    assert fake_time.sleeps == []
    assert len(ses_simulator.messages) == 2


def test_connection_reused_while_fresh(ses_simulator, sender, fake_time):
    for _ in range(3):
        fake_time.now += 2
        send(sender)
    assert ses_simulator.connections_total == 1
    assert ses_simulator.logins == 1


def test_connection_closed_by_ses_idle_timeout_is_reopened_transparently(fake_time):
    # The Sender's clock says the connection is fresh, but the server timed it out.
    with (
        SESSimulator(idle_timeout=0.2) as ses,
        Sender(config_for(ses), sleep=fake_time.sleep, clock=fake_time.clock) as sender,
    ):
        send(sender)
        time.sleep(0.5)  # the server's idle timer, not a retry wait
        receipt = send(sender)
    assert fake_time.sleeps == []
    assert receipt.attempts == 1
    assert ses.connections_total == 2
    assert len(ses.messages) == 2


def test_421_mid_session_is_survived(ses_simulator, sender, fake_time):
    send(sender)
    ses_simulator.inject(SESReplies.TOO_MANY_CONNECTIONS, at="MAIL")
    receipt = send(sender)
    assert fake_time.sleeps == []  # a reused connection that SES closed: reopened at once
    assert receipt.message_id == ses_simulator.messages[-1].message_id
    assert ses_simulator.connections_total == 2


def test_421_on_a_fresh_connection_waits_on_the_ladder(ses_simulator, sender, fake_time):
    ses_simulator.inject(SESReplies.TOO_MANY_CONNECTIONS, at="CONNECT")
    send(sender)
    assert fake_time.sleeps == [5]
    assert len(ses_simulator.messages) == 1


@pytest.mark.parametrize("stage", ["MAIL", "RCPT", "DATA", "END_OF_DATA"])
def test_drop_before_the_reply_to_data_is_retried_without_duplicate(
    ses_simulator, sender, fake_time, stage
):
    ses_simulator.drop(at=stage)
    receipt = send(sender)
    assert len(ses_simulator.messages) == 1
    assert receipt.message_id == ses_simulator.messages[0].message_id
    assert receipt.ambiguous_retries == (1 if stage == "END_OF_DATA" else 0)
    assert fake_time.sleeps == [5]


def test_drop_mid_message_is_retried_without_duplicate(ses_simulator, sender, fake_time):
    ses_simulator.drop(at="MID_DATA")
    receipt = send(sender, data=MESSAGE + b"padding line\r\n" * 5000)
    assert len(ses_simulator.messages) == 1
    assert (receipt.attempts, fake_time.sleeps) == (2, [5])
    assert receipt.ambiguous_retries in (0, 1)  # counted when the client had sent it all


def test_lost_reply_after_the_final_dot_is_retried_and_counted(ses_simulator, sender, fake_time):
    ses_simulator.drop(at="AFTER_END_OF_DATA")
    receipt = send(sender)
    assert len(ses_simulator.messages) == 2  # at-least-once: the duplicate is the price
    assert (receipt.attempts, receipt.ambiguous_retries) == (2, 1)
    assert receipt.message_id == ses_simulator.messages[1].message_id


def test_lost_reply_is_raised_when_ambiguous_retries_are_off(ses_simulator, fake_time):
    ses_simulator.drop(at="AFTER_END_OF_DATA")
    config = config_for(ses_simulator, retry={"retry_ambiguous": False})
    with Sender(config, sleep=fake_time.sleep) as sender, pytest.raises(SESConnectionError) as lost:
        send(sender)
    assert lost.value.ambiguous
    assert len(ses_simulator.messages) == 1
    assert fake_time.sleeps == []


def test_untrusted_certificate_is_permanent_not_a_retry_loop(ses_simulator, fake_time, tmp_path):
    other_ca = tmp_path / "other.pem"
    with SESSimulator() as other:
        other_ca.write_text(Path(other.cafile).read_text())
    config = config_for(ses_simulator, cafile=str(other_ca))
    with (
        Sender(config, sleep=fake_time.sleep) as sender,
        pytest.raises(SESPermanentError) as failed,
    ):
        send(sender)
    assert failed.value.kind.name == "TLS_FAILURE"
    assert "certificate" in str(failed.value)
    assert fake_time.sleeps == []


def test_default_trust_store_refuses_the_simulator(ses_simulator, fake_time):
    config = config_for(ses_simulator, cafile=None)
    with (
        Sender(config, sleep=fake_time.sleep) as sender,
        pytest.raises(SESPermanentError) as failed,
    ):
        send(sender)
    assert failed.value.kind.name == "TLS_FAILURE"


def test_wrong_password_is_permanent_with_the_hint(ses_simulator, fake_time):
    config = config_for(ses_simulator, password="BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWLX")
    with (
        Sender(config, sleep=fake_time.sleep) as sender,
        pytest.raises(smtplib.SMTPAuthenticationError) as refused,
    ):
        send(sender)
    assert refused.value.smtp_code == 535
    assert "not IAM keys" in str(refused.value)
    assert config.password not in str(refused.value)
    assert config.password not in repr(refused.value)
    assert fake_time.sleeps == []


def test_iam_keys_work_with_the_derived_password(ses_simulator, fake_time):
    from ses_smtp_backends.simulator import EXAMPLE_ACCESS_KEY_ID, EXAMPLE_SECRET_ACCESS_KEY

    config = config_for(
        ses_simulator, username=None, password=None,
        aws_access_key_id=EXAMPLE_ACCESS_KEY_ID, aws_secret_access_key=EXAMPLE_SECRET_ACCESS_KEY,
    )  # fmt: skip
    with Sender(config, sleep=fake_time.sleep) as sender:
        assert send(sender).message_id == ses_simulator.messages[0].message_id


def test_implicit_tls(fake_time):
    with (
        SESSimulator(tls="implicit") as ses,
        Sender(config_for(ses), sleep=fake_time.sleep) as sender,
    ):
        assert send(sender).message_id == ses.messages[0].message_id


def test_partial_refusal_is_reported_not_dropped(ses_simulator, sender):
    ses_simulator.inject("553 <first@example.org> address unknown", at="RCPT")
    receipt = send(sender, to=["first@example.org", "second@example.org"])
    assert receipt.recipients == ("second@example.org",)
    assert receipt.refused["first@example.org"].kind.name == "INVALID_ADDRESS"
    assert ses_simulator.messages[0].recipients == ("second@example.org",)


def test_every_recipient_refused(ses_simulator, sender, fake_time):
    ses_simulator.inject("553 <nobody@example.org> address unknown", at="RCPT")
    with pytest.raises(SESRecipientsRefused) as refused:
        send(sender, to=["nobody@example.org"])
    assert isinstance(refused.value, smtplib.SMTPRecipientsRefused)
    assert refused.value.recipients == {
        "nobody@example.org": (553, b"<nobody@example.org> address unknown")
    }
    assert "nobody@example.org" not in str(refused.value).split(":")[0]
    send(sender)  # the session was reset and still works
    assert len(ses_simulator.messages) == 1


def test_more_than_fifty_recipients_go_in_batches(ses_simulator, sender):
    recipients = [f"user{n}@example.org" for n in range(120)]
    receipt = send(sender, to=recipients)
    assert [len(m.recipients) for m in ses_simulator.messages] == [50, 50, 20]
    assert receipt.message_ids == tuple(m.message_id for m in ses_simulator.messages)
    assert receipt.recipients == tuple(recipients)


def test_configuration_set_and_tags_are_added_once(ses_simulator, fake_time):
    config = config_for(ses_simulator, configuration_set="transactional", tags={"app": "shop"})
    with Sender(config, sleep=fake_time.sleep) as sender:
        send(sender)
        send(sender, data=b"X-SES-CONFIGURATION-SET: marketing\r\n" + MESSAGE)
    first, second = ses_simulator.messages
    assert (first.configuration_set, first.tags) == ("transactional", {"app": "shop"})
    assert (second.configuration_set, second.tags) == ("marketing", {"app": "shop"})


def test_send_message_takes_envelope_from_headers_and_hides_bcc(ses_simulator, sender):
    message = email.message.EmailMessage()
    message["From"] = "Shop <app@example.com>"
    message["To"] = "a@example.org, B <b@example.org>"
    message["Cc"] = "c@example.org"
    message["Bcc"] = "hidden@example.org"
    message["Subject"] = "Déjà vu"
    message.set_content("Grüße\n")
    receipt = sender.send_message(message)
    [stored] = ses_simulator.messages
    assert stored.envelope_from == "app@example.com"
    assert stored.recipients == (
        "a@example.org",
        "b@example.org",
        "c@example.org",
        "hidden@example.org",
    )
    assert b"hidden@" not in stored.data
    assert stored.message["Subject"] == "Déjà vu"
    assert stored.message.get_content().splitlines() == ["Grüße"]
    assert receipt.message_id == stored.message_id


def test_hooks_see_sent_retried_and_failed(ses_simulator, fake_time):
    seen = []
    hooks = Hooks(
        on_sent=lambda receipt: seen.append(("sent", receipt.attempts)),
        on_retry=lambda error, attempt, wait: seen.append(
            ("retry", error.kind.name, attempt, wait)
        ),
        on_failed=lambda error: seen.append(("failed", type(error).__name__)),
    )
    ses_simulator.inject(THROTTLED, at="END_OF_DATA")
    with Sender(config_for(ses_simulator), sleep=fake_time.sleep, hooks=hooks) as sender:
        send(sender)
        with pytest.raises(SESIdentityNotVerifiedError):
            send(sender, sender_address="x@unverified.example")
    assert seen == [
        ("retry", "MAX_SEND_RATE_EXCEEDED", 1, 5),
        ("sent", 2),
        ("failed", "SESIdentityNotVerifiedError"),
    ]


def test_a_broken_hook_does_not_change_the_outcome(ses_simulator, fake_time, caplog):
    def broken(receipt):
        raise RuntimeError("hook bug")

    with Sender(
        config_for(ses_simulator), sleep=fake_time.sleep, hooks=Hooks(on_sent=broken)
    ) as sender:
        receipt = send(sender)
    assert receipt.message_id == ses_simulator.messages[0].message_id
    assert "hook raised" in caplog.text


def test_send_many_returns_receipts_and_errors_in_order(ses_simulator, fake_time):
    items = [
        ("app@example.com", ["a@example.org"], MESSAGE),
        ("x@unverified.example", ["b@example.org"], MESSAGE),
        ("app@example.com", ["c@example.org"], MESSAGE),
    ]
    with Sender(config_for(ses_simulator, max_connections=2), sleep=fake_time.sleep) as sender:
        results = sender.send_many(items)
    assert isinstance(results[0], Receipt)
    assert isinstance(results[1], SESIdentityNotVerifiedError)
    assert isinstance(results[2], Receipt)
    assert {m.recipients for m in ses_simulator.messages} == {
        ("a@example.org",),
        ("c@example.org",),
    }


def test_threads_share_a_bounded_pool(fake_time):
    with (
        SESSimulator(max_connections=2) as ses,
        Sender(config_for(ses, max_connections=2), sleep=fake_time.sleep) as sender,
    ):
        errors = []

        def worker(n):
            try:
                for k in range(5):
                    send(sender, to=[f"t{n}-{k}@example.org"])
            except Exception as error:  # reported below
                errors.append(error)

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert len(ses.messages) == 30
    assert ses.connections_total <= 2  # never a 421 for too many connections


def test_rate_limit_keeps_under_the_account_rate(fake_time):
    # The simulator throttles on the same fake clock the Sender sleeps on.
    with SESSimulator(max_send_rate=2, clock=fake_time.clock) as ses:
        config = config_for(ses, max_send_rate=2)
        with Sender(config, sleep=fake_time.sleep, clock=fake_time.clock) as sender:
            for n in range(6):
                send(sender, to=[f"u{n}@example.org"])
    assert len(ses.messages) == 6
    assert not any(f.reply == THROTTLED for f in ses.faults.served)
    assert sum(fake_time.sleeps) == pytest.approx(2.5)  # 6 recipients at 2/s after a 1-token burst


def test_bad_envelope_is_refused_before_connecting(ses_simulator, sender):
    for recipients in (
        ["a@example.org\r\nRCPT TO:<evil@example.org>"],
        ["jöhn@example.org"],
        [],
        ["no-at-sign"],
    ):
        with pytest.raises(ValueError, match="refused before sending"):
            send(sender, to=recipients)
    with pytest.raises(ValueError, match="sender contains a line break"):
        sender.send("app@example.com\n", ["a@example.org"], MESSAGE)
    assert ses_simulator.connections_total == 0


def test_idna_domains_are_encoded(ses_simulator, sender):
    send(sender, to=["user@bücher.example"])
    assert ses_simulator.messages[0].recipients == ("user@xn--bcher-kva.example",)


def test_open_and_close(ses_simulator, fake_time):
    sender = Sender(config_for(ses_simulator), sleep=fake_time.sleep)
    assert sender.open() is True
    assert sender.open() is False
    assert ses_simulator.open_connections == 1
    sender.close()
    sender.close()
    deadline = time.monotonic() + 5
    while ses_simulator.open_connections and time.monotonic() < deadline:
        time.sleep(0.01)  # the server notices the QUIT asynchronously
    assert ses_simulator.open_connections == 0


def test_run_parallel_runs_every_item_then_raises_the_first_error(ses_simulator, fake_time):
    seen = []

    def work(n):
        seen.append(n)
        if n in (2, 4):
            raise ValueError(f"item {n}")
        return n * 10

    with Sender(config_for(ses_simulator, max_connections=3), sleep=fake_time.sleep) as sender:
        assert sender.run_parallel(lambda n: n * 10, range(5)) == [0, 10, 20, 30, 40]
        with pytest.raises(ValueError, match="item 2"):
            sender.run_parallel(work, range(6))
    assert sorted(seen) == [0, 1, 2, 3, 4, 5]
