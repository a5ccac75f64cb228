"""Background delivery through a real Celery worker process and a real Redis."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ses_smtp_backends.simulator import SESReplies, SESSimulator
from tests.helpers import failures_recorded, redis_server, ses_smtp_setting, worker_environment

ROOT = Path(__file__).resolve().parents[2]
THROTTLED = SESReplies.MAX_SEND_RATE_EXCEEDED
DATA = b"From: app@example.com\r\nSubject: queued\r\n\r\nSent by a worker.\r\n"


@pytest.fixture(scope="module")
def simulator():
    with SESSimulator() as ses:
        yield ses


@pytest.fixture(scope="module")
def failures(tmp_path_factory):
    """Where the worker records each message_failed it sends (Django's and Flask's)."""
    path = tmp_path_factory.mktemp("worker") / "failures.jsonl"
    path.touch()
    return path


@pytest.fixture(scope="module")
def worker_env(simulator, failures):
    with redis_server() as url:
        env = worker_environment(
            simulator, url, failures, CELERY_BROKER_URL=url, CELERY_RESULT_BACKEND=url
        )
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "tests.celery.app", "worker", "--pool=solo",
             "--concurrency=1", "--loglevel=WARNING", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            yield env
        finally:
            worker.terminate()
            worker.wait(timeout=30)


@pytest.fixture(scope="module")
def celery_app(worker_env, monkeypatch_module):
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND", "SES_SMTP_DEAD_LETTERS"):
        monkeypatch_module.setenv(name, worker_env[name])
    from tests.celery.app import app

    return app


@pytest.fixture(scope="module")
def monkeypatch_module():
    patcher = pytest.MonkeyPatch()
    yield patcher
    patcher.undo()


@pytest.fixture(autouse=True)
def fresh(simulator):
    simulator.clear()


def test_transient_faults_end_in_delivery_on_the_ladder(celery_app, simulator):
    from ses_smtp_backends.celery import enqueue

    simulator.inject(THROTTLED, at="END_OF_DATA", times=6)  # past Celery's default of 3 retries
    result = enqueue("app@example.com", ["user@example.org"], DATA).get(timeout=60)
    assert result["countdowns"] == [5, 10, 30, 1200, 5, 10]
    assert result["attempts"] == 7
    [stored] = simulator.messages
    assert result["message_id"] == stored.message_id


def test_the_worker_keeps_its_connection_between_messages(celery_app, simulator):
    from ses_smtp_backends.celery import enqueue

    before = simulator.connections_total
    for n in range(3):
        enqueue("app@example.com", [f"u{n}@example.org"], DATA).get(timeout=60)
    assert len(simulator.messages) == 3
    assert simulator.connections_total - before <= 1  # one TLS session, not one per message


def test_recipients_refused_among_accepted_ones_are_in_the_result(celery_app, simulator):
    from ses_smtp_backends.celery import enqueue

    simulator.inject("553 <first@example.org> address unknown", at="RCPT")
    result = enqueue("app@example.com", ["first@example.org", "second@example.org"], DATA)
    outcome = result.get(timeout=60)
    assert outcome["refused"] == {"first@example.org": "553 <first@example.org> address unknown"}
    [stored] = simulator.messages
    assert stored.recipients == ("second@example.org",)


def test_a_554_fails_once_without_retry(celery_app, simulator):
    from ses_smtp_backends.celery import enqueue

    data = DATA.replace(b"app@example.com", b"news@unverified.example")
    outcome = enqueue("news@unverified.example", ["user@example.org"], data)
    outcome.get(timeout=60, propagate=False)
    assert outcome.state == "FAILURE"
    time.sleep(0.3)  # a retry would have come within milliseconds (scaled countdowns)
    assert [r[0] for r in simulator.rejected] == ["news@unverified.example"]
    assert simulator.messages == []


def test_too_old_goes_to_the_dead_letters_and_retry_delivers_it(celery_app, simulator, worker_env):
    from ses_smtp_backends.celery import enqueue
    from ses_smtp_backends.dead_letters import dead_letters

    simulator.inject(THROTTLED, at="END_OF_DATA", times=50)
    outcome = enqueue("app@example.com", ["late@example.org"], DATA, max_age=40)
    outcome.get(timeout=60, propagate=False)
    assert outcome.state == "FAILURE"  # given up: the task fails, and the message is kept
    assert "gave up after 3 attempt(s) and 15 s of waits (max_age 40 s)" in str(outcome.result)
    [entry] = dead_letters()
    assert entry["kind"] == "MAX_SEND_RATE_EXCEEDED"
    assert entry["payload"]["to_addrs"] == ["late@example.org"]
    assert entry["payload"]["countdowns"] == [5, 10]  # 15 s waited; 30 more would pass 40
    simulator.faults.clear()

    listed = subprocess.run([sys.executable, "-m", "ses_smtp_backends", "dead-letters", "list"],
                            env=worker_env, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert "to late@example.org: 454 Throttling failure" in listed.stdout
    retried = subprocess.run([sys.executable, "-m", "ses_smtp_backends", "dead-letters", "retry"],
                             env=worker_env, capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert retried.returncode == 0, retried.stdout + retried.stderr
    [stored] = simulator.messages
    assert f"sent to late@example.org: SES message ID {stored.message_id}" in retried.stdout
    assert dead_letters() == []


def test_django_celery_backend_queues_and_the_worker_sends(celery_app, simulator, settings):
    pytest.importorskip("django")
    from django.core import mail

    settings.EMAIL_BACKEND = "ses_smtp_backends.django.CeleryEmailBackend"
    # The same settings in the web process (checked there) and the worker (used there).
    settings.SES_SMTP = ses_smtp_setting(simulator)
    simulator.inject(THROTTLED, at="END_OF_DATA", times=2)
    message = mail.EmailMessage(
        "Queued", "Sent by the worker.", "app@example.com", ["u@example.org"]
    )
    assert mail.get_connection().send_messages([message]) == 1
    result = celery_app.AsyncResult(message.ses_task_id).get(timeout=60)
    [stored] = simulator.messages
    assert stored.message["Subject"] == "Queued"
    assert result == {
        "message_id": stored.message_id, "message_ids": [stored.message_id], "refused": {},
        "attempts": 3, "countdowns": [5, 10],
    }  # fmt: skip


def test_django_message_failed_is_sent_from_the_worker(celery_app, simulator, settings, failures):
    pytest.importorskip("django")
    from django.core import mail

    count = len(failures.read_text().splitlines())
    settings.EMAIL_BACKEND = "ses_smtp_backends.django.CeleryEmailBackend"
    settings.SES_SMTP = ses_smtp_setting(simulator)
    message = mail.EmailMessage("Unverified", "x", "news@unverified.example", ["u@example.org"])
    assert mail.get_connection().send_messages([message]) == 1
    outcome = celery_app.AsyncResult(message.ses_task_id)
    outcome.get(timeout=60, propagate=False)
    assert outcome.state == "FAILURE"
    assert failures_recorded(failures, count + 1)[count:] == [
        {"sender": "CeleryEmailBackend", "message": "QueuedMessage", "to": ["u@example.org"],
         "subject": "Unverified", "error": "SESIdentityNotVerifiedError", "code": 554},
    ]  # fmt: skip


def test_django_celery_backend_fail_silently_covers_queueing_errors(settings, monkeypatch):
    pytest.importorskip("django")
    from django.core.mail import EmailMessage

    import ses_smtp_backends.celery
    from ses_smtp_backends.django import CeleryEmailBackend

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(ses_smtp_backends.celery.send, "delay", broker_down)
    settings.SES_SMTP = {"REGION": "eu-west-1", "USERNAME": "A", "PASSWORD": "B"}
    message = EmailMessage("x", "y", "app@example.com", ["u@example.org"])
    assert CeleryEmailBackend(fail_silently=True).send_messages([message]) == 0
    with pytest.raises(ConnectionError):
        CeleryEmailBackend().send_messages([message])
    bad = EmailMessage("x", "y", "app@example.com", ["u@example.org\r\nBcc: x@example.org"])
    with pytest.raises(ValueError, match="line break"):  # bad input is never silenced
        CeleryEmailBackend(fail_silently=True).send_messages([bad])


@pytest.fixture
def flask_mail_app(simulator):
    pytest.importorskip("flask_mail")
    from flask import Flask

    from ses_smtp_backends.flask import SESMail

    client = simulator.client_settings()
    app = Flask("enqueue")
    app.config.update(
        SES_SMTP_ENQUEUE=True, SES_SMTP_REGION=client["region"], MAIL_SERVER=client["host"],
        MAIL_PORT=client["port"], MAIL_USERNAME=client["username"], MAIL_PASSWORD=client["password"],
        SES_SMTP_CAFILE=client["cafile"], MAIL_DEFAULT_SENDER="app@example.com",
    )  # fmt: skip
    return app, SESMail(app)


def test_flask_sesmail_can_enqueue(celery_app, simulator, flask_mail_app):
    from flask_mail import Message

    app, mail = flask_mail_app
    simulator.inject(THROTTLED, at="END_OF_DATA", times=1)
    with app.app_context():
        message = Message("From Flask, via the worker", recipients=["user@example.org"], body="x")
        mail.send(message)  # returns at once: the worker sends (with its own SES_SMTP_* settings)
    result = celery_app.AsyncResult(message.ses_task_id).get(timeout=60)
    [stored] = simulator.messages
    assert result["message_id"] == stored.message_id
    assert result["countdowns"] == [5]


def test_flask_sesmail_passes_max_age_on(celery_app, simulator, flask_mail_app, worker_env):
    from flask_mail import Message

    from ses_smtp_backends.dead_letters import dead_letters

    app, mail = flask_mail_app
    app.config["SES_SMTP_MAX_AGE"] = 4  # less than the first wait (5 s): given up at once
    mail.init_app(app)
    simulator.inject(THROTTLED, at="END_OF_DATA", times=1)
    with app.app_context():
        message = Message("Short-lived", recipients=["brief@example.org"], body="x")
        mail.send(message)
    outcome = celery_app.AsyncResult(message.ses_task_id)
    outcome.get(timeout=60, propagate=False)
    assert outcome.state == "FAILURE"
    entries = [e for e in dead_letters() if e["payload"]["to_addrs"] == ["brief@example.org"]]
    assert [e["payload"]["max_age"] for e in entries] == [4]
    retried = subprocess.run([sys.executable, "-m", "ses_smtp_backends", "dead-letters", "retry"],
                             env=worker_env, capture_output=True, text=True, timeout=60,
                             check=False)  # fmt: skip
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert dead_letters() == []


def test_flask_message_failed_is_sent_from_the_worker(celery_app, flask_mail_app, failures):
    from flask_mail import Message

    count = len(failures.read_text().splitlines())
    app, mail = flask_mail_app
    with app.app_context():
        message = Message(
            "Unverified", sender="news@unverified.example", recipients=["u@example.org"]
        )
        mail.send(message)
    celery_app.AsyncResult(message.ses_task_id).get(timeout=60, propagate=False)
    # Sent in the worker's app context (tests/celery/app.py), where its receivers are.
    assert failures_recorded(failures, count + 1)[count:] == [
        {"sender": "celery-worker", "message": "QueuedMessage", "to": ["u@example.org"],
         "subject": "Unverified", "error": "SESIdentityNotVerifiedError", "code": 554},
    ]  # fmt: skip
