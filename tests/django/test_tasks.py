"""TaskEmailBackend: Django 6.0+'s tasks framework, with django-tasks-db's worker running in
another process against the simulator, sharing the test database (an SQLite file)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import django
import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage

from ses_smtp_backends.simulator import SESReplies, SESSimulator
from tests.helpers import failures_recorded, redis_server, ses_smtp_setting, worker_environment

ROOT = Path(__file__).resolve().parents[2]
BACKEND = "ses_smtp_backends.django.TaskEmailBackend"
THROTTLED = SESReplies.MAX_SEND_RATE_EXCEEDED

needs_tasks = pytest.mark.skipif(django.VERSION < (6, 0), reason="django.tasks is Django 6.0+")


def test_before_django_6_it_says_to_use_celery(settings):
    if django.VERSION >= (6, 0):
        pytest.skip("this Django has django.tasks")
    from ses_smtp_backends.django import TaskEmailBackend

    settings.SES_SMTP = {"REGION": "eu-west-1", "USERNAME": "A", "PASSWORD": "B"}
    with pytest.raises(ImproperlyConfigured, match=r"Django 6\.0 or later.*CeleryEmailBackend"):
        TaskEmailBackend()


@pytest.fixture(scope="module")
def simulator():
    with SESSimulator() as ses:
        yield ses


@pytest.fixture(scope="module")
def worker(simulator, django_db_setup, django_db_blocker, tmp_path_factory):
    """django-tasks-db's ``db_worker`` in its own process, on the test database; yields
    the file where it records ``message_failed`` and the environment it runs in."""
    pytest.importorskip("django_tasks_db")
    from django.conf import settings

    failures = tmp_path_factory.mktemp("worker") / "failures.jsonl"
    failures.touch()
    log = (failures.parent / "worker.log").open("w")  # the worker's own log, for debugging
    with redis_server() as redis_url:
        database = settings.DATABASES["default"]["NAME"]
        env = worker_environment(simulator, redis_url, failures, SES_SMTP_TEST_DB=database)
        process = subprocess.Popen(
            [sys.executable, "-m", "django", "db_worker", "--interval", "0.05",
             "--no-startup-delay", "--verbosity", "0"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True,
        )  # fmt: skip
        try:
            yield failures, env
        finally:
            process.terminate()
            process.wait(timeout=30)
            log.close()


@pytest.fixture
def task_settings(settings, simulator):
    settings.EMAIL_BACKEND = BACKEND
    settings.SES_SMTP = ses_smtp_setting(simulator)  # checked here; the worker has its own
    simulator.clear()
    return settings


def final_result(task_id: str, timeout: float = 60):
    """Follow a message's task results, attempt by attempt, to the last; return the hops
    (each attempt's return value) and that last result."""
    from ses_smtp_backends.django.tasks import send_email

    hops = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = send_email.get_result(task_id)
        if not result.is_finished:
            time.sleep(0.05)
            continue
        if result.status != "SUCCESSFUL" or "retry_id" not in result.return_value:
            return hops, result
        hops.append(result.return_value)
        task_id = result.return_value["retry_id"]
    raise AssertionError(f"task {task_id} did not finish in {timeout} s")


@needs_tasks
@pytest.mark.django_db(transaction=True)
def test_transient_faults_end_in_delivery_on_the_ladder(worker, task_settings, simulator):
    simulator.inject(THROTTLED, at="END_OF_DATA", times=4)
    message = EmailMessage("Queued", "Sent by the worker.", "app@example.com", ["u@example.org"])
    assert mail.get_connection().send_messages([message]) == 1
    assert not simulator.messages  # queued, not sent, by the web process

    hops, result = final_result(message.ses_task_id)
    assert [hop["countdown"] for hop in hops] == [5, 10, 30, 1200]
    assert all(hop["error"].startswith("454 Throttling failure") for hop in hops)
    assert result.status == "SUCCESSFUL"
    assert result.return_value["countdowns"] == [5, 10, 30, 1200]
    assert result.return_value["attempts"] == 5
    [stored] = simulator.messages
    assert stored.message["Subject"] == "Queued"
    assert result.return_value["message_id"] == stored.message_id
    assert len(simulator.faults.served) == 4


@needs_tasks
@pytest.mark.django_db(transaction=True)
def test_a_554_fails_once_without_retry_and_fires_message_failed(worker, task_settings, simulator):
    failures, _ = worker
    count = len(failures.read_text().splitlines())
    message = EmailMessage("Unverified", "x", "news@unverified.example", ["u@example.org"])
    assert mail.get_connection().send_messages([message]) == 1

    hops, result = final_result(message.ses_task_id)
    assert hops == []
    assert result.status == "FAILED"
    assert result.errors[0].exception_class_path.endswith("SESIdentityNotVerifiedError")
    assert [r[0] for r in simulator.rejected] == ["news@unverified.example"]
    time.sleep(0.3)  # a retry would have come within milliseconds (scaled waits)
    assert len(simulator.rejected) == 1
    assert simulator.messages == []
    recorded = failures_recorded(failures, count + 1)[count:]
    assert recorded == [
        {"sender": "TaskEmailBackend", "message": "QueuedMessage", "to": ["u@example.org"],
         "subject": "Unverified", "error": "SESIdentityNotVerifiedError", "code": 554},
    ]  # fmt: skip


@needs_tasks
@pytest.mark.django_db(transaction=True)
def test_too_old_goes_to_the_dead_letters_and_retry_delivers_it(worker, task_settings, simulator):
    failures, env = worker
    count = len(failures.read_text().splitlines())
    task_settings.SES_SMTP = {**task_settings.SES_SMTP, "MAX_AGE": 40}
    simulator.inject(THROTTLED, at="END_OF_DATA", times=50)
    message = EmailMessage("Late", "x", "app@example.com", ["late@example.org"])
    assert mail.get_connection().send_messages([message]) == 1

    hops, result = final_result(message.ses_task_id)
    assert [hop["countdown"] for hop in hops] == [5, 10]  # 15 s waited; 30 more would pass 40
    assert result.status == "FAILED"
    assert result.errors[0].exception_class_path.endswith("SESRetriesExhausted")
    [recorded] = failures_recorded(failures, count + 1)[count:]
    assert (recorded["error"], recorded["to"]) == ("SESRetriesExhausted", ["late@example.org"])
    assert len(simulator.faults.served) == 3
    simulator.faults.clear()

    cli = [sys.executable, "-m", "ses_smtp_backends", "dead-letters"]
    listed = subprocess.run([*cli, "list"], env=env, capture_output=True, text=True, timeout=60)
    assert "to late@example.org: 454 Throttling failure" in listed.stdout, listed.stderr
    retried = subprocess.run([*cli, "retry"], env=env, capture_output=True, text=True, timeout=60)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    [stored] = simulator.messages
    assert f"sent to late@example.org: SES message ID {stored.message_id}" in retried.stdout
    assert stored.message["Subject"] == "Late"


# --- In the web process: configuration, return values, bad input (no worker needed) --------

DUMMY = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}


@pytest.fixture
def dummy_tasks(settings, simulator):
    """TaskEmailBackend on Django's DummyBackend, which keeps what is enqueued."""
    from django.tasks import default_task_backend

    settings.TASKS = DUMMY
    settings.EMAIL_BACKEND = BACKEND
    settings.SES_SMTP = ses_smtp_setting(simulator)
    simulator.clear()
    default_task_backend.clear()
    yield default_task_backend
    default_task_backend.clear()


@needs_tasks
def test_send_messages_returns_the_number_queued_and_each_task_id(dummy_tasks, simulator):
    messages = [
        EmailMessage("One", "x", "app@example.com", ["a@example.org"]),
        EmailMessage("None", "x", "app@example.com", []),  # no recipients: skipped, as Django
        EmailMessage("Two", "x", "Shop <app@example.com>", ["B <b@example.org>", "c@example.org"]),
    ]
    assert mail.get_connection().send_messages(messages) == 2
    first, second = dummy_tasks.results
    assert [messages[0].ses_task_id, messages[2].ses_task_id] == [first.id, second.id]
    payload = second.args[0]
    assert (payload["from_addr"], payload["to_addrs"]) == (
        "app@example.com", ["b@example.org", "c@example.org"],
    )  # fmt: skip
    assert payload["config"] == "ses_smtp_backends.django.conf:worker_config"
    assert payload["meta"] == {"adapter": "django", "engine": "tasks"}
    assert simulator.client_settings()["password"] not in json.dumps(
        [r.args for r in dummy_tasks.results]
    )
    assert simulator.messages == []


@needs_tasks
def test_bad_input_raises_before_anything_is_queued_even_failing_silently(dummy_tasks):
    from ses_smtp_backends.exceptions import SESInvalidAddressError

    good = EmailMessage("ok", "x", "app@example.com", ["a@example.org"])
    bad = EmailMessage("bad", "x", "app@example.com", ["not an address"])
    with pytest.raises(SESInvalidAddressError, match="recipient 1 of 1"):
        mail.get_connection(fail_silently=True).send_messages([good, bad])
    assert dummy_tasks.results == []


@needs_tasks
def test_fail_silently_covers_queueing_errors(settings, simulator):
    # The database behind the tasks backend is unreachable: pytest-django blocks it here.
    settings.EMAIL_BACKEND = BACKEND
    settings.SES_SMTP = ses_smtp_setting(simulator)
    message = EmailMessage("x", "y", "app@example.com", ["u@example.org"])
    assert mail.get_connection(fail_silently=True).send_messages([message]) == 0
    with pytest.raises(RuntimeError, match="Database access not allowed"):
        mail.get_connection().send_messages([message])


@needs_tasks
@pytest.mark.parametrize(
    ("tasks", "options", "problem"),
    [
        ({"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}, {},
         r"SES_SMTP\['TASK_BACKEND'\]: the tasks backend 'default' \(ImmediateBackend\) cannot "
         r"run a task later \(run_after\)"),
        (DUMMY, {"TASK_BACKEND": "mail"},
         r"SES_SMTP\['TASK_BACKEND'\]: TASKS has no backend 'mail'; add it to TASKS or name "
         r"one of 'default'"),
        ({"default": {**DUMMY["default"], "QUEUES": ["mail"]}}, {"QUEUE_NAME": "bulk"},
         r"SES_SMTP\['QUEUE_NAME'\]: Queue 'bulk' is not valid for backend"),
        (DUMMY, {"MAX_AGE": 0}, r"SES_SMTP\['MAX_AGE'\]: max_age must be a positive number"),
    ],
)  # fmt: skip
def test_configuration_errors_name_the_setting(settings, simulator, tasks, options, problem):
    from django.core.checks import run_checks

    settings.TASKS = tasks
    settings.EMAIL_BACKEND = BACKEND
    settings.SES_SMTP = {**ses_smtp_setting(simulator), **options}
    with pytest.raises(ImproperlyConfigured, match=problem):
        mail.get_connection()
    [error] = [e for e in run_checks() if e.id.startswith("ses_smtp_backends")]
    assert error.id == "ses_smtp_backends.E003"
    assert error.obj == "EMAIL_BACKEND"


@needs_tasks
def test_options_from_keywords_and_ses_smtp(dummy_tasks, settings):
    settings.TASKS = {"default": DUMMY["default"], "mail": {**DUMMY["default"], "QUEUES": ["ses"]}}
    settings.SES_SMTP = {**settings.SES_SMTP, "TASK_BACKEND": "mail", "MAX_AGE": 600}
    backend = mail.get_connection(queue_name="ses")
    assert (backend.task.backend, backend.task.queue_name, backend.max_age) == ("mail", "ses", 600)
    backend = mail.get_connection(max_age=60, task_backend="default")
    assert (backend.task.backend, backend.task.queue_name, backend.max_age) == (
        "default", "default", 60,
    )  # fmt: skip


@pytest.mark.mailers
@pytest.mark.skipif(django.VERSION < (6, 1), reason="MAILERS is Django 6.1+")
def test_a_mailers_entry_takes_the_background_options(settings, simulator):
    from django.core.mail import mailers

    from ses_smtp_backends.django.conf import worker_config
    from tests.django.conftest import mailers_options

    settings.TASKS = {"default": DUMMY["default"], "mail": DUMMY["default"]}
    settings.MAILERS = {
        "default": {"BACKEND": "ses_smtp_backends.django.EmailBackend",
                    "OPTIONS": mailers_options(simulator)},
        "bulk": {"BACKEND": BACKEND, "OPTIONS": mailers_options(
            simulator, task_backend="mail", max_age=3600, configuration_set="bulk")},
    }  # fmt: skip
    backend = mailers["bulk"]
    assert (backend.alias, backend.task.backend, backend.max_age) == ("bulk", "mail", 3600)
    message = EmailMessage("x", "y", "app@example.com", ["u@example.org"])
    assert backend.send_messages([message]) == 1
    from django.tasks import task_backends

    [queued] = task_backends["mail"].results
    assert queued.args[0]["config_args"] == ["bulk"]
    # The worker's SES settings: that entry's OPTIONS, read from its own settings.
    assert worker_config("bulk").configuration_set == "bulk"
    assert worker_config().configuration_set is None


@needs_tasks
@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_takes_its_queued_messages_with_it(task_settings):
    # What docs/delivery.md warns about: the database tasks backend enqueues in the
    # caller's transaction (so error mails are better sent inline).
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    message = EmailMessage("x", "y", "app@example.com", ["u@example.org"])
    with transaction.atomic():
        assert mail.get_connection().send_messages([message]) == 1
        assert DBTaskResult.objects.count() == 1
        transaction.set_rollback(True)  # the request failed
    assert DBTaskResult.objects.count() == 0


def test_a_raising_message_failed_receiver_is_logged_and_the_others_still_run(caplog):
    from ses_smtp_backends.django.background import TaskEmailBackend, worker_failed
    from ses_smtp_backends.django.signals import message_failed
    from ses_smtp_backends.exceptions import error_for
    from ses_smtp_backends.queued import new_payload
    from ses_smtp_backends.replies import classify

    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    seen = []

    def record(sender, **kwargs):
        seen.append((sender, kwargs))

    payload = new_payload("app@example.com", ["u@example.org"], b"Subject: x\r\n\r\nx\r\n")
    payload["meta"] = {"adapter": "django", "engine": "tasks"}
    message_failed.connect(broken)
    message_failed.connect(record)
    try:
        worker_failed(payload, error_for(classify(554, "Message rejected: Access denied")))
    finally:
        message_failed.disconnect(broken)
        message_failed.disconnect(record)
    [(sender, kwargs)] = seen
    assert sender is TaskEmailBackend
    assert kwargs["message"].recipients() == ["u@example.org"]
    assert "receiver bug" in caplog.text
