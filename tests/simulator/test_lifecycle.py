"""Starting, stopping, configuring: no leaked thread, socket or file."""

import contextlib
import mailbox
import os
import socket
import threading
from pathlib import Path

import pytest

from ses_smtp_backends.simulator import SESSimulator
from tests.helpers import MESSAGE, smtp_session


def open_files() -> set[str]:
    fd_dir = Path("/proc/self/fd")
    found = set()
    for entry in fd_dir.iterdir():
        with contextlib.suppress(OSError):  # closed while listing (the directory's own fd)
            found.add(f"{entry.name}->{os.readlink(entry)}")
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to count descriptors")
def test_a_hundred_starts_and_stops_leak_nothing():
    with SESSimulator() as warm_up, smtp_session(warm_up) as client:  # let imports settle
        client.sendmail("sender@example.com", ["a@example.org"], MESSAGE)
    threads_before = threading.active_count()
    files_before = open_files()
    cafiles = []
    for index in range(100):
        with SESSimulator(tls="implicit" if index % 2 else "starttls") as ses:
            cafiles.append(ses.cafile)
            if index % 10 == 0:  # a real TLS session on some of them, left open at stop
                client_context = smtp_session(ses)
                client = client_context.__enter__()
                client.sendmail("sender@example.com", ["a@example.org"], MESSAGE)
        if index % 10 == 0:
            client_context.__exit__(None, None, None)
    assert threading.active_count() == threads_before
    assert open_files() == files_before
    assert not any(Path(cafile).exists() for cafile in cafiles)


def test_stop_closes_the_listening_socket():
    ses = SESSimulator().start()
    host, port = ses.host, ses.port
    ses.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), timeout=2).close()


def test_stop_is_idempotent_and_start_twice_is_an_error():
    ses = SESSimulator().start()
    try:
        with pytest.raises(RuntimeError, match="already running"):
            ses.start()
    finally:
        ses.stop()
    ses.stop()


def test_a_stopped_simulator_says_so():
    ses = SESSimulator()
    with pytest.raises(RuntimeError, match="not running: call start"):
        ses.client_settings()
    assert "stopped" in repr(ses)


def test_a_port_in_use_is_reported_by_start():
    with SESSimulator() as first:
        second = SESSimulator(port=first.port)
        with pytest.raises(OSError, match=r"(?i)address already in use"):
            second.start()
        assert threading.active_count() >= 1
        assert "stopped" in repr(second)


def test_client_settings(ses_simulator):
    settings = ses_simulator.client_settings()
    assert settings == {
        "host": "127.0.0.1",
        "port": ses_simulator.port,
        "username": "AKIAIOSFODNN7EXAMPLE",
        "password": "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9",
        "cafile": ses_simulator.cafile,
        "region": "us-east-1",
        "use_tls": True,
        "use_ssl": False,
    }
    assert Path(settings["cafile"]).read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_maildir_receives_every_accepted_message(tmp_path):
    with SESSimulator(maildir=tmp_path / "mail") as ses, smtp_session(ses) as client:
        client.sendmail("sender@example.com", ["a@example.org"], MESSAGE)
    [stored] = mailbox.Maildir(tmp_path / "mail", create=False)
    assert stored["Message-ID"] == ses.messages[0].message_id_header


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"region": "Virginia"}, "not an AWS region name"),
        ({"tls": "none"}, "use 'starttls'"),
        ({"verified_identities": "example.com"}, "must be a list"),
        ({"idle_timeout": 0}, "idle_timeout=0 must be positive"),
        ({"latency": -1}, "latency=-1 must not be negative"),
    ],
)
def test_bad_arguments_say_what_to_fix(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        SESSimulator(**kwargs)


def test_store_false_only_counts():
    with SESSimulator(store=False) as ses, smtp_session(ses) as client:
        for _ in range(3):
            client.sendmail("sender@example.com", ["a@example.org"], MESSAGE)
    assert (ses.accepted_total, ses.messages, ses.events) == (3, [], [])
