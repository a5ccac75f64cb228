"""ses-smtp password, check and send, in-process against the simulator."""

import io

import pytest

from ses_smtp_backends.cli import account, main
from ses_smtp_backends.simulator import SESReplies
from tests.helpers import FakeTime

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                 "AWS_SESSION_TOKEN", "SES_SMTP_REGION", "SES_SMTP_HOST", "SES_SMTP_PORT",
                 "SES_SMTP_USERNAME", "SES_SMTP_PASSWORD", "SES_SMTP_CAFILE"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def simulator_env(clean_env, ses_simulator):
    s = ses_simulator.client_settings()
    for name, value in (("REGION", s["region"]), ("HOST", s["host"]), ("PORT", str(s["port"])),
                        ("USERNAME", s["username"]), ("PASSWORD", s["password"]), ("CAFILE", s["cafile"])):  # fmt: skip
        clean_env.setenv(f"SES_SMTP_{name}", value)
    return clean_env


@pytest.fixture
def fake_time(monkeypatch):
    time = FakeTime()
    monkeypatch.setattr(account, "sleep", time.sleep)
    return time


def test_password_from_the_environment(clean_env, capsys):
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    assert main(["password", "--region", "eu-west-1"]) == 0
    assert capsys.readouterr().out == "BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk\n"


def test_password_from_stdin_and_region_from_the_environment(clean_env, capsys):
    clean_env.setenv("AWS_REGION", "us-east-1")
    clean_env.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert main(["password"]) == 0
    assert capsys.readouterr().out.strip() == "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"


def test_password_warns_about_sts_and_smtp_passwords(clean_env, capsys):
    clean_env.setenv("AWS_SESSION_TOKEN", "token")
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9")
    assert main(["password", "--region", "us-east-1"]) == 0
    err = capsys.readouterr().err
    assert "temporary (STS) credentials" in err
    assert "already looks like an SES SMTP password" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["password"], "give --region"),
        (["password", "--region", "Ireland"], "--region: 'Ireland' is not an AWS region"),
    ],
)
def test_password_bad_input(clean_env, capsys, argv, message):
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    assert main(argv) == 1
    assert message in capsys.readouterr().err


def test_password_never_takes_the_secret_from_argv(clean_env, capsys):
    with pytest.raises(SystemExit) as usage:
        main(["password", "--region", "us-east-1", "--secret", SECRET])
    assert usage.value.code == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_no_secret_at_all(clean_env, capsys):
    clean_env.setattr("sys.stdin", io.StringIO(""))
    assert main(["password", "--region", "us-east-1"]) == 1
    assert "no secret access key" in capsys.readouterr().err


def test_check_ok(simulator_env, ses_simulator, capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert f"Endpoint: 127.0.0.1:{ses_simulator.port} (starttls), region us-east-1" in out
    assert "235 Authentication successful" in out
    assert ses_simulator.logins == 1


def test_check_with_iam_keys_derives_the_password(clean_env, ses_simulator, capsys):
    s = ses_simulator.client_settings()
    clean_env.setenv("AWS_ACCESS_KEY_ID", s["username"])
    clean_env.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    assert (
        main(
            [
                "check",
                "--region",
                "us-east-1",
                "--host",
                s["host"],
                "--port",
                str(s["port"]),
                "--cafile",
                s["cafile"],
            ]
        )
        == 0
    )


def test_check_wrong_password_is_permanent_with_the_hint(simulator_env, capsys):
    simulator_env.setenv("SES_SMTP_PASSWORD", "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWLX")
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "535 Authentication Credentials Invalid" in err
    assert "Hint: SMTP credentials are not IAM keys" in err
    assert "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWLX" not in err


def test_check_transient_exits_2(simulator_env, ses_simulator, capsys):
    ses_simulator.inject(SESReplies.TOO_MANY_CONNECTIONS, at="CONNECT")
    assert main(["check"]) == 2
    assert "421 Too many concurrent SMTP connections" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda env: env.delenv("SES_SMTP_PASSWORD"), "ses-smtp check: password: is missing"),
        (lambda env: (env.delenv("SES_SMTP_USERNAME"), env.delenv("SES_SMTP_PASSWORD")),
         "ses-smtp check: username: SES needs SMTP credentials"),
        (lambda env: env.setenv("SES_SMTP_REGION", "Ireland"), "ses-smtp check: region: 'Ireland' is not an AWS region"),
        (lambda env: env.setenv("SES_SMTP_PASSWORD", SECRET), "ses-smtp check: password: looks like an IAM secret access key"),
    ],
)  # fmt: skip
def test_check_bad_configuration_says_what_to_fix(
    simulator_env, ses_simulator, capsys, change, message
):
    change(simulator_env)
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert SECRET not in err
    assert ses_simulator.connections_total == 0


def test_send_prints_the_message_id(simulator_env, ses_simulator, capsys, fake_time, tmp_path):
    body = tmp_path / "body.txt"
    body.write_text("Hello from a file.\n")
    argv = ["send", "--from", "app@example.com", "--to", "a@example.org", "--to", "b@example.org",
            "--subject", "Hi", "--body-file", str(body)]  # fmt: skip
    assert main(argv) == 0
    [stored] = ses_simulator.messages
    assert f"SES message ID: {stored.message_id}" in capsys.readouterr().out
    assert stored.recipients == ("a@example.org", "b@example.org")
    assert stored.message.get_content().strip() == "Hello from a file."


def test_send_prints_each_retry(simulator_env, ses_simulator, capsys, fake_time):
    ses_simulator.inject(SESReplies.MAX_SEND_RATE_EXCEEDED, at="END_OF_DATA", times=2)
    assert (
        main(
            [
                "send",
                "--from",
                "app@example.com",
                "--to",
                "a@example.org",
                "--subject",
                "Hi",
                "--body",
                "x",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert (
        "attempt 1: 454 Throttling failure: Maximum sending rate exceeded; retrying in 5 s" in out
    )
    assert (
        "attempt 2: 454 Throttling failure: Maximum sending rate exceeded; retrying in 10 s" in out
    )
    assert "Sent after 3 attempt(s)" in out
    assert fake_time.sleeps == [5, 10]


def test_send_gives_up_after_max_elapsed_with_exit_2(
    simulator_env, ses_simulator, capsys, fake_time
):
    ses_simulator.inject(SESReplies.MAX_SEND_RATE_EXCEEDED, at="END_OF_DATA", times=10)
    argv = [
        "send",
        "--from",
        "app@example.com",
        "--to",
        "a@example.org",
        "--subject",
        "Hi",
        "--max-elapsed",
        "16",
    ]
    assert main(argv) == 2
    assert "SESRetriesExhausted" in capsys.readouterr().err
    assert fake_time.sleeps == [5, 10]


def test_send_permanent_error_exits_1(simulator_env, capsys, fake_time):
    argv = ["send", "--from", "news@unverified.example", "--to", "a@example.org", "--subject", "Hi"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "SESIdentityNotVerifiedError: 554 Message rejected" in err
    assert fake_time.sleeps == []


def test_send_requires_its_arguments(simulator_env, capsys):
    with pytest.raises(SystemExit) as usage:
        main(["send", "--to", "a@example.org"])
    assert usage.value.code == 2
    assert "--from" in capsys.readouterr().err
