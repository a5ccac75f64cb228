"""SESHandler against the simulator: batching, flood caps, retries, failures, shutdown."""

import logging
import logging.config
import logging.handlers
import re
import shutil
import subprocess
import sys
import time

import pytest

from ses_smtp_backends import SESConfigurationError
from ses_smtp_backends.logging import SESHandler
from ses_smtp_backends.simulator import SESReplies, SESSimulator
from tests.helpers import patch_time


class ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def fake_time(monkeypatch):
    return patch_time(monkeypatch, SESHandler)


def handler_for(simulator, **options):
    settings = simulator.client_settings()
    options.setdefault("batch_interval", 0.05)
    return SESHandler(
        (settings["host"], settings["port"]), "app@example.com", ["ops@example.org"], "Errors in app",
        credentials=(settings["username"], settings["password"]), cafile=settings["cafile"],
        region=settings["region"], **options,
    )  # fmt: skip


@pytest.fixture
def logger():
    logger = logging.getLogger("tests.logging.app")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    yield logger
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
        handler.close()


def bodies(simulator):
    return [m.message.get_content().replace("\r\n", "\n") for m in simulator.messages]


def test_constructor_matches_smtphandler():
    import inspect

    ours = list(inspect.signature(SESHandler.__init__).parameters)[1:8]
    theirs = list(inspect.signature(logging.handlers.SMTPHandler.__init__).parameters)[1:]
    assert ours == theirs


def test_dictconfig_switch_from_smtphandler_by_changing_only_the_class(
    ses_simulator, monkeypatch, fake_time
):
    settings = ses_simulator.client_settings()
    monkeypatch.setenv("SSL_CERT_FILE", settings["cafile"])  # trust the simulator like a real CA
    handler_config = {
        "class": "logging.handlers.SMTPHandler",
        "level": "ERROR",
        "mailhost": [settings["host"], settings["port"]],
        "fromaddr": "app@example.com",
        "toaddrs": ["ops@example.org"],
        "subject": "Application error",
        "credentials": [settings["username"], settings["password"]],
        "secure": [],
    }
    config = {
        "version": 1,
        "disable_existing_loggers": False,  # the other tests' loggers must keep working
        "handlers": {"mail": handler_config},
        "loggers": {"tests.logging.dict": {"handlers": ["mail"]}},
    }
    config["handlers"]["mail"]["class"] = "ses_smtp_backends.logging.SESHandler"
    logging.config.dictConfig(config)
    logger = logging.getLogger("tests.logging.dict")
    handler = logger.handlers[0]
    try:
        assert isinstance(handler, SESHandler)
        logger.error("disk full on %s", "db1")
        logger.info("not mailed: below ERROR")
    finally:
        logger.removeHandler(handler)
        handler.close()
    [stored] = ses_simulator.messages
    assert stored.message["Subject"] == "Application error: disk full on db1"
    assert "disk full on db1" in stored.message.get_content()
    assert stored.recipients == ("ops@example.org",)


def test_records_within_the_interval_become_one_mail(ses_simulator, logger, fake_time):
    handler = handler_for(ses_simulator, batch_interval=60)
    logger.addHandler(handler)
    for n in range(3):
        logger.error("problem %d", n)
    handler.close()
    [stored] = ses_simulator.messages
    assert stored.message["Subject"] == "Errors in app: problem 0 (+2 more)"
    body = stored.message.get_content()
    assert [line for line in body.splitlines() if line.startswith("problem")] == [
        "problem 0",
        "problem 1",
        "problem 2",
    ]


def test_a_burst_of_1000_records_stays_within_the_hourly_cap(ses_simulator, logger, fake_time):
    handler = handler_for(ses_simulator, max_batch=100, max_emails_per_hour=3)
    logger.addHandler(handler)
    for n in range(1000):
        logger.error("storm %d", n)
    handler.close()
    mails = bodies(ses_simulator)
    assert len(mails) == 4  # three mails of records, then close()'s summary
    mailed = sum(len(re.findall(r"^storm \d+$", body, re.MULTILINE)) for body in mails)
    [counted] = [
        int(n) for n in re.findall(r"(\d+) log record\(s\) were counted, not mailed", mails[-1])
    ]
    assert mailed + counted == 1000
    assert f"{counted} over the hourly mail cap" in mails[-1]
    assert "last mail allowed this hour" in mails[2]
    assert "last mail allowed" not in mails[0] + mails[1]


def test_after_the_hour_the_next_mail_reports_the_counts(ses_simulator, logger, fake_time):
    handler = handler_for(ses_simulator, max_emails_per_hour=1)
    logger.addHandler(handler)
    logger.error("first")
    handler.flush()
    logger.error("second")
    logger.error("third")
    handler.flush()
    fake_time.now += 3600
    logger.error("fourth")
    handler.flush()
    assert len(ses_simulator.messages) == 2
    assert "further records are being counted" in bodies(ses_simulator)[0]
    second = bodies(ses_simulator)[1]
    assert "2 log record(s) were counted, not mailed: 2 over the hourly mail cap." in second
    assert "fourth" in second
    handler.close()
    assert len(ses_simulator.messages) == 2  # nothing left to summarise


def test_a_full_queue_drops_the_oldest_and_counts_them(ses_simulator, logger, fake_time):
    handler = handler_for(ses_simulator, batch_interval=60, queue_size=5)
    logger.addHandler(handler)
    for n in range(8):
        logger.error("entry %d", n)
    handler.close()
    [body] = bodies(ses_simulator)
    assert "3 dropped because the queue was full" in body
    assert re.findall(r"^entry (\d)$", body, re.MULTILINE) == ["3", "4", "5", "6", "7"]


def test_transient_faults_end_in_delivery(ses_simulator, logger, fake_time):
    ses_simulator.inject(SESReplies.MAX_SEND_RATE_EXCEEDED, at="END_OF_DATA", times=5)
    handler = handler_for(ses_simulator)
    logger.addHandler(handler)
    logger.error("eventually delivered")
    handler.flush()
    assert fake_time.sleeps == [5, 10, 30, 1200, 5]  # the full ladder: log mail can wait
    assert "eventually delivered" in bodies(ses_simulator)[0]


def test_permanent_error_goes_to_stderr_once_and_records_to_the_fallback(
    ses_simulator, logger, fake_time, capsys
):
    fallback = ListHandler()
    settings = ses_simulator.client_settings()
    handler = SESHandler(
        (settings["host"], settings["port"]), "app@unverified.example", "ops@example.org", "Errors",
        credentials=(settings["username"], settings["password"]), cafile=settings["cafile"],
        batch_interval=0, fallback=fallback,
    )  # fmt: skip
    logger.addHandler(handler)
    logger.error("first failure")  # never raises into the application
    handler.flush()
    logger.error("second failure")
    handler.close()
    err = capsys.readouterr().err
    assert err.count("--- SESHandler could not mail") == 1  # once per kind of failure
    assert "554 Message rejected: Email address is not verified" in err
    assert "Hint: Verify the listed identities" in err
    assert [r.getMessage() for r in fallback.records] == ["first failure", "second failure"]
    assert ses_simulator.messages == []


def test_fallback_by_handler_name(ses_simulator, logger, fake_time):
    fallback = ListHandler()
    fallback.set_name("tests-fallback")
    settings = ses_simulator.client_settings()
    handler = SESHandler(
        (settings["host"], settings["port"]), "app@unverified.example", "ops@example.org", "Errors",
        credentials=(settings["username"], settings["password"]), cafile=settings["cafile"],
        batch_interval=0, fallback="tests-fallback",
    )  # fmt: skip
    logger.addHandler(handler)
    logger.error("to the fallback")
    handler.close()
    assert [r.getMessage() for r in fallback.records] == ["to the fallback"]
    fallback.close()


def test_the_handler_survives_the_server_being_down(tmp_path, logger, monkeypatch, capsys):
    monkeypatch.setattr(SESHandler, "sleep", staticmethod(lambda seconds: time.sleep(0.01)))
    with SESSimulator() as ses:
        settings = ses.client_settings()
        cafile = shutil.copy(settings["cafile"], tmp_path / "ca.pem")
    fallback = ListHandler()
    handler = SESHandler(
        (settings["host"], settings["port"]), "app@example.com", "ops@example.org", "Errors",
        credentials=(settings["username"], settings["password"]), cafile=str(cafile),
        batch_interval=0, flush_timeout=0.5, fallback=fallback,
    )  # fmt: skip
    logger.addHandler(handler)
    for n in range(5):
        logger.error("while down %d", n)  # the application carries on
    handler.close()
    assert sorted(r.getMessage() for r in fallback.records) == [f"while down {n}" for n in range(5)]
    assert "SESHandler" in capsys.readouterr().err


def test_own_and_smtplib_records_never_reenter(ses_simulator, fake_time):
    handler = handler_for(ses_simulator)
    for name in ("ses_smtp_backends.sender", "smtplib", "mail.log"):
        handler.handle(logging.LogRecord(name, logging.ERROR, __file__, 1, "loop?", None, None))
    handler.close()
    assert ses_simulator.connections_total == 0


def test_exception_text_is_mailed(ses_simulator, logger, fake_time):
    handler = handler_for(ses_simulator)
    logger.addHandler(handler)
    try:
        raise KeyError("missing")
    except KeyError:
        logger.exception("lookup failed")
    handler.close()
    body = bodies(ses_simulator)[0]
    assert "Traceback (most recent call last)" in body
    assert "KeyError: 'missing'" in body


def test_logging_shutdown_at_exit_sends_pending_mail(ses_simulator):
    settings = ses_simulator.client_settings()
    script = f"""
import logging
from ses_smtp_backends.logging import SESHandler
handler = SESHandler(({settings["host"]!r}, {settings["port"]}), "app@example.com", "ops@example.org",
                     "At exit", credentials=({settings["username"]!r}, {settings["password"]!r}),
                     cafile={settings["cafile"]!r}, batch_interval=60)
logging.getLogger().addHandler(handler)
logging.error("logged just before exit")
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    [stored] = ses_simulator.messages
    assert "logged just before exit" in stored.message.get_content()


def test_mailhost_may_be_omitted_with_a_region():
    handler = SESHandler(
        None,
        "app@example.com",
        "ops@example.org",
        "x",
        credentials=("AKIAEXAMPLE", "B" * 44),
        region="eu-west-1",
    )
    assert (handler.config.host, handler.config.port) == ("email-smtp.eu-west-1.amazonaws.com", 587)
    assert handler.config.retry.max_elapsed is None  # the full ladder, without end
    assert "B" * 44 not in repr(handler)
    handler.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fromaddr": None}, "fromaddr: is required"),
        ({"toaddrs": []}, "toaddrs: is required"),
        ({"mailhost": None}, "region: set the SES region"),
        ({"max_emails_per_hour": 0}, "max_emails_per_hour: 0"),
        (
            {"credentials": ("AKIA", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")},
            "password: looks like an IAM secret",
        ),
    ],
)
def test_bad_configuration_is_refused_at_construction(kwargs, message):
    arguments = {"mailhost": ("email-smtp.eu-west-1.amazonaws.com", 587), "fromaddr": "a@example.com",
                 "toaddrs": ["b@example.org"], "subject": "s", "credentials": ("AKIA", "B" * 44)}  # fmt: skip
    arguments.update(kwargs)
    with pytest.raises(SESConfigurationError, match=message):
        SESHandler(**arguments)
