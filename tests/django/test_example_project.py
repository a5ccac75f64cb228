"""example_projects/django_site runs against the simulator, as its README says."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.django.conftest import HAS_MAILERS

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


@pytest.mark.parametrize("settings_module", SETTINGS)
def test_view_sends_and_errors_are_mailed_to_admins(ses_simulator, settings_module):
    script = (
        "from django.test import Client; c = Client(raise_request_exception=False); "
        "print(c.get('/send/').content.decode()); print(c.get('/boom/').status_code)"
    )
    result = manage(ses_simulator, settings_module, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    body, status = result.stdout.strip().splitlines()[-2:]
    assert json.loads(body)["ses_message_id"] == ses_simulator.messages[0].message_id
    assert status == "500"
    report = ses_simulator.messages[1]
    assert "Internal Server Error: /boom/" in report.message["Subject"]
    assert report.recipients == ("success@simulator.amazonses.com",)
    assert (
        "example error for AdminEmailHandler" in report.message.get_body(("plain",)).get_content()
    )
