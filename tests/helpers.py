"""Helpers shared by the tests: a plain stdlib smtplib client for the simulator."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pytest

    from ses_smtp_backends import SESConfig
    from ses_smtp_backends.simulator import SESSimulator

MESSAGE = (
    b"From: Sender <sender@example.com>\r\n"
    b"To: someone@example.org\r\n"
    b"Subject: hello\r\n"
    b"\r\n"
    b"Hello from the tests.\r\n"
)


def client_context(simulator: SESSimulator) -> ssl.SSLContext:
    """A verifying TLS context trusting only the simulator's CA file, as a user would."""
    return ssl.create_default_context(cafile=simulator.cafile)


@contextmanager
def smtp_session(
    simulator: SESSimulator, *, login: bool = True, starttls: bool = True
) -> Iterator[smtplib.SMTP]:
    """A plain stdlib smtplib client connected to ``simulator`` (not our transport)."""
    if simulator.tls == "implicit":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            simulator.host, simulator.port, timeout=10, context=client_context(simulator)
        )
    else:
        client = smtplib.SMTP(simulator.host, simulator.port, timeout=10)
        if starttls:
            client.starttls(context=client_context(simulator))
    try:
        if login:
            client.login(simulator.smtp_username, simulator.smtp_password)
        yield client
    finally:
        client.close()


class FakeTime:
    """An injected clock and sleep: sleeping advances the clock, nobody waits."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def ses_smtp_setting(simulator: SESSimulator, **extra: object) -> dict[str, object]:
    """Django's ``SES_SMTP`` setting for ``simulator``, credentials included."""
    c = simulator.client_settings()
    keys = ("region", "host", "port", "username", "password", "cafile")
    return {**{key.upper(): c[key] for key in keys}, **extra}


def patch_time(monkeypatch: pytest.MonkeyPatch, owner: type) -> FakeTime:
    """Replace an adapter's ``sleep`` and ``clock`` seams with a FakeTime."""
    time = FakeTime()
    monkeypatch.setattr(owner, "sleep", staticmethod(time.sleep))
    monkeypatch.setattr(owner, "clock", staticmethod(time.clock))
    return time


def config_for(simulator: SESSimulator, **overrides: object) -> SESConfig:
    """An SESConfig pointing at ``simulator``, as a user would build it."""
    from ses_smtp_backends import SESConfig

    settings = simulator.client_settings()
    values: dict[str, object] = {
        "region": settings["region"],
        "host": settings["host"],
        "port": settings["port"],
        "tls": "implicit" if settings["use_ssl"] else "starttls",
        "username": settings["username"],
        "password": settings["password"],
        "cafile": settings["cafile"],
    }
    values.update(overrides)
    return SESConfig(**values)  # type: ignore[arg-type]


@contextmanager
def redis_server() -> Iterator[str]:
    """A real redis-server on a free loopback port, stopped afterwards; yields its URL.

    Skips where redis-server is not installed, except in CI, where .ci/run installs it."""
    import os
    import shutil
    import socket
    import subprocess
    import time

    import pytest
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail(".ci/run must install redis-server (apt-get install redis-server)")
        pytest.skip("redis-server is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield url
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=10)


def record_failure(sender: Any, message: Any, error: Any, **kwargs: Any) -> None:
    """A ``message_failed`` receiver for worker processes under test: appends the failure,
    as a JSON line, to the file named by ``SES_SMTP_TEST_FAILURES``."""
    import json
    import os

    entry = {
        "sender": getattr(sender, "__name__", None) or sender.name,  # a class, or a Flask app
        "message": type(message).__name__,
        "to": message.recipients(),
        "subject": message.subject,
        "error": type(error).__name__,
        "code": error.smtp_code,
    }
    with open(os.environ["SES_SMTP_TEST_FAILURES"], "a") as log:
        log.write(json.dumps(entry) + "\n")


def failures_recorded(path: Path, count: int, timeout: float = 30) -> list[dict[str, Any]]:
    """The failures a worker recorded with :func:`record_failure`, once there are ``count``."""
    import json
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines()
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(f"the worker recorded {path.read_text()!r}, not {count} failure(s)")


def worker_environment(
    simulator: SESSimulator, redis_url: str, failures: Path, **extra: str
) -> dict[str, str]:
    """The environment of a worker process under test: SES_SMTP_* pointing at the
    simulator, dead letters in Redis, scaled-down waits, and where to record failures."""
    import os

    client = simulator.client_settings()
    return {
        **os.environ,
        "SES_SMTP_REGION": str(client["region"]),
        "SES_SMTP_HOST": str(client["host"]),
        "SES_SMTP_PORT": str(client["port"]),
        "SES_SMTP_USERNAME": str(client["username"]),
        "SES_SMTP_PASSWORD": str(client["password"]),
        "SES_SMTP_CAFILE": str(client["cafile"]),
        "SES_SMTP_DEAD_LETTERS": redis_url,
        "SES_SMTP_COUNTDOWN_SCALE": "0.001",  # 5 s becomes 5 ms: tests never wait
        "SES_SMTP_TEST_FAILURES": str(failures),
        "DJANGO_SETTINGS_MODULE": "tests.django.worker_settings",
        **extra,
    }
