"""example_projects/django_site runs against the simulator, as its README says."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.django.conftest import HAS_MAILERS
from tests.django.settings import HAS_TASKS_DB

SITE = Path(__file__).resolve().parents[2] / "example_projects" / "django_site"


def manage(ses_simulator, settings_module, *args):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "SES_SMTP_HOST": ses_simulator.host,
        "SES_SMTP_PORT": str(ses_simulator.port),
        "SES_SMTP_CAFILE": ses_simulator.cafile,
        "PYTHONWARNINGS": "ignore",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=SITE, env=env, capture_output=True, text=True,
        timeout=60, check=False,
    )  # fmt: skip


SETTINGS = [
    "site_project.settings",
    pytest.param(
        "site_project.settings_mailers",
        marks=pytest.mark.skipif(not HAS_MAILERS, reason="Django 6.1+"),
    ),
]


@pytest.mark.parametrize("settings_module", SETTINGS)
def test_check_and_ses_smtp_check(ses_simulator, settings_module):
    checked = manage(ses_simulator, settings_module, "check")
    assert checked.returncode == 0, checked.stderr
    sent = manage(
        ses_simulator,
        settings_module,
        "ses_smtp_check",
        "--send-to",
        "success@simulator.amazonses.com",
    )
    assert sent.returncode == 0, sent.stderr
    assert f"Sent: SES message ID {ses_simulator.messages[0].message_id}" in sent.stdout


def visit_send_and_boom(ses_simulator, settings_module):
    """GET /send/ then /boom/ in the site; return the first's body and the second's status."""
    script = (
        "from django.test import Client; c = Client(raise_request_exception=False); "
        "print(c.get('/send/').content.decode()); print(c.get('/boom/').status_code)"
    )
    result = manage(ses_simulator, settings_module, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-2:]


@pytest.mark.parametrize("settings_module", SETTINGS)
def test_view_sends_and_errors_are_mailed_to_admins(ses_simulator, settings_module):
    body, status = visit_send_and_boom(ses_simulator, settings_module)
    assert json.loads(body)["ses_message_id"] == ses_simulator.messages[0].message_id
    assert status == "500"
    report = ses_simulator.messages[1]
    assert "Internal Server Error: /boom/" in report.message["Subject"]
    assert report.recipients == ("success@simulator.amazonses.com",)
    assert (
        "example error for AdminEmailHandler" in report.message.get_body(("plain",)).get_content()
    )


@pytest.mark.skipif(not HAS_TASKS_DB, reason="django.tasks is Django 6.0+; needs django-tasks-db")
def test_tasks_settings_queue_and_db_worker_sends(ses_simulator, tmp_path, monkeypatch):
    monkeypatch.setenv("EXAMPLE_DB", str(tmp_path / "site.sqlite3"))
    settings_module = "site_project.settings_tasks"
    migrated = manage(ses_simulator, settings_module, "migrate", "--verbosity", "0")
    assert migrated.returncode == 0, migrated.stderr
    body, status = visit_send_and_boom(ses_simulator, settings_module)
    assert json.loads(body)["sent"] == 1  # queued
    assert status == "500"
    [report] = ses_simulator.messages  # the error report went out inline; the mail is queued
    assert "Internal Server Error: /boom/" in report.message["Subject"]

    worked = manage(ses_simulator, settings_module, "db_worker", "--batch", "--no-startup-delay")
    assert worked.returncode == 0, worked.stderr
    report, queued = ses_simulator.messages
    assert queued.message["Subject"] == "Hello from the example"
    assert queued.recipients == ("success@simulator.amazonses.com",)
