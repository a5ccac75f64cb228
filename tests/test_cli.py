"""The ``ses-smtp`` command, run as a real subprocess."""

import importlib.util
import os
import re
import signal
import smtplib
import ssl
import subprocess
import sys

from tests.helpers import MESSAGE


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ses_smtp_backends", *args],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_help_lists_the_simulator_command():
    result = run("--help")
    assert result.returncode == 0
    assert "simulator" in result.stdout


def test_simulator_help():
    result = run("simulator", "--help")
    assert result.returncode == 0
    assert "--maildir" in result.stdout
    assert "--verified" in result.stdout


def test_no_command_prints_help_and_fails():
    result = run()
    assert result.returncode == 2
    assert "usage: ses-smtp" in result.stdout


def test_simulator_runs_in_the_foreground_and_prints_settings(tmp_path):
    cafile = tmp_path / "ca.pem"
    process = subprocess.Popen(
        [sys.executable, "-m", "ses_smtp_backends", "simulator", "--port", "0",
         "--cafile", str(cafile), "--maildir", str(tmp_path / "mail"), "--verified", "example.com"],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = []
        while not lines or lines[-1] != "Press Ctrl-C to stop.":
            line = process.stdout.readline()
            assert line, f"simulator exited early: {lines}"
            lines.append(line.rstrip("\n"))
        text = "\n".join(lines)
        port = int(re.search(r"^EMAIL_PORT = (\d+)$", text, re.MULTILINE).group(1))
        assert "EMAIL_HOST_PASSWORD = 'BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9'" in text
        assert f"SES_SMTP_CAFILE = '{cafile}'" in text
        client = smtplib.SMTP("127.0.0.1", port, timeout=10)
        try:
            client.starttls(context=ssl.create_default_context(cafile=str(cafile)))
            client.login("AKIAIOSFODNN7EXAMPLE", "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9")
            assert client.sendmail("sender@example.com", ["a@example.org"], MESSAGE) == {}
        finally:
            client.quit()
    finally:
        process.send_signal(signal.SIGTERM)
        remaining, _ = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "Stopped. 1 message(s) accepted." in remaining
    assert len(list((tmp_path / "mail" / "new").iterdir())) == 1


def test_demo_sends_retries_and_raises_through_the_library():
    result = run("demo")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert re.search(r"sent after 1 attempt\(s\); SES message ID 0100[0-9a-f]{12}-", out)
    assert out.count("454 Throttling failure: Maximum sending rate exceeded -> wait") == 3
    for wait in ("wait 5 s", "wait 10 s", "wait 30 s"):
        assert wait in out
    assert "Daily message quota exceeded -> wait 1200 s" in out
    assert "raised SESIdentityNotVerifiedError" in out
    table = out[out.index("step  path") :].splitlines()
    assert [line.split()[:4] for line in table[1:5]] == [
        ["1", "core", "sent", "1"],
        ["2", "core", "sent", "after"],
        ["3", "core", "sent", "after"],
        ["4", "core", "raised", "1"],
    ]
    rows = {line.split()[1]: line for line in table[5:8]}
    assert set(rows) == {"Django", "Flask", "logging"}
    for name in ("Django", "Flask"):
        installed = (
            importlib.util.find_spec(name.lower() if name == "Django" else "flask_mail") is not None
        )
        assert ("sent after retries   2" in rows[name]) == installed
        assert ("skipped" in rows[name]) != installed
    assert "sent after retries   2" in rows["logging"]
