"""example_projects/flask_app runs against the simulator, as its README says."""

import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "example_projects" / "flask_app"


def environment(simulator):
    return {
        **os.environ,
        "SES_SMTP_HOST": simulator.host,
        "SES_SMTP_PORT": str(simulator.port),
        "SES_SMTP_CAFILE": simulator.cafile,
    }


def test_cli_check_sends(ses_simulator):
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "ses-smtp", "check", "--send-to", "success@simulator.amazonses.com"],
        cwd=APP, env=environment(ses_simulator), capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert f"Sent: SES message ID {ses_simulator.messages[0].message_id}" in result.stdout


def test_view_sends(ses_simulator):
    script = (
        "from app import create_app; c = create_app().test_client(); "
        "print(c.get('/send?to=success@simulator.amazonses.com').get_json()['ses_message_id'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=APP, env=environment(ses_simulator),
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ses_simulator.messages[0].message_id
