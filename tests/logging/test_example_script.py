"""example_projects/logging_script sends its error records as one mail, as its README says."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "example_projects" / "logging_script" / "app.py"


def test_example_script_mails_its_errors(ses_simulator):
    env = {
        **os.environ,
        "SES_SMTP_HOST": ses_simulator.host,
        "SES_SMTP_PORT": str(ses_simulator.port),
        "SES_SMTP_CAFILE": ses_simulator.cafile,
    }
    result = subprocess.run(
        [sys.executable, str(SCRIPT)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    [stored] = ses_simulator.messages
    body = stored.message.get_content()
    assert body.count("could not reach the payment service") == 3
    assert "KeyError: 'missing'" in body
    assert stored.message["Subject"].startswith("Errors in the example script: could not reach")
