"""``SESSimulator``: an SES-like SMTP server on loopback, run on its own thread."""

from __future__ import annotations

import asyncio
import shutil
import ssl
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import trustme

from ..credentials import smtp_password
from ..endpoints import endpoint_for, validate_region
from .faults import CHAOS_STAGES, FaultPlan
from .mailroom import Mailroom
from .protocol import SESProtocol
from .records import SimulatorEvent, StoredMessage
from .rules import SendingQuota

#: AWS's documentation example keys: safe to print, useless anywhere but here.
EXAMPLE_ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
EXAMPLE_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # noqa: S105 - AWS docs example

_SANDBOX_MAX_SEND_RATE = 1
_SANDBOX_DAILY_QUOTA = 200


class SESSimulator:
    """A real SMTP server on loopback that answers the way Amazon SES does.

    Use it to test mail code without an AWS account: it speaks TLS (STARTTLS or
    implicit), checks the SMTP password derived from its secret key, enforces
    verified identities, quotas and limits with SES's exact replies, records what it
    accepted, and misbehaves on request::

        with SESSimulator(verified_identities=["example.com"]) as ses:
            settings = ses.client_settings()     # host, port, username, password, cafile...
            ses.inject(SESReplies.MAX_SEND_RATE_EXCEEDED, at="END_OF_DATA", times=2)
            ...                                   # send through your code
            assert ses.messages[0].recipients == ("someone@example.org",)

    ``tls`` is ``"starttls"`` (like ports 587/2587) or ``"implicit"`` (like 465/2465).
    In the sandbox, recipients must be verified too and the quotas default to SES's
    sandbox values (1 recipient per second, 200 per day). ``clock`` drives the quotas,
    so tests can move time without sleeping. ``store=False`` keeps only the count of
    accepted messages (``accepted_total``), for long benchmarks. ``certificate_hosts``
    replaces the names the certificate is issued for (to test hostname checking).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        region: str = "us-east-1",
        tls: str = "starttls",
        access_key_id: str = EXAMPLE_ACCESS_KEY_ID,
        secret_access_key: str = EXAMPLE_SECRET_ACCESS_KEY,
        verified_identities: Iterable[str] = ("example.com",),
        sandbox: bool = False,
        max_send_rate: float | None = None,
        daily_quota: int | None = None,
        max_message_size: int = 40 * 1024 * 1024,
        idle_timeout: float = 10.0,
        max_connections: int | None = None,
        latency: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        maildir: str | Path | None = None,
        store: bool = True,
        certificate_hosts: Iterable[str] | None = None,
    ) -> None:
        validate_region(region)
        if tls not in ("starttls", "implicit"):
            raise ValueError(f"tls={tls!r}: use 'starttls' (ports 587/2587) or 'implicit' (465)")
        if isinstance(verified_identities, str):
            raise TypeError("verified_identities must be a list of addresses or domains")
        for name, value in (("idle_timeout", idle_timeout), ("max_message_size", max_message_size)):
            if value <= 0:
                raise ValueError(f"{name}={value!r} must be positive")
        if latency < 0:
            raise ValueError(f"latency={latency!r} must not be negative")
        if sandbox:
            max_send_rate = _SANDBOX_MAX_SEND_RATE if max_send_rate is None else max_send_rate
            daily_quota = _SANDBOX_DAILY_QUOTA if daily_quota is None else daily_quota
        self._requested_host = host
        self._requested_port = port
        self.region = region
        self.tls = tls
        self.idle_timeout = idle_timeout
        self.latency = latency
        self.smtp_username = access_key_id
        self.smtp_password = smtp_password(secret_access_key, region)
        self._mailroom = Mailroom(
            region=region,
            username=access_key_id,
            password=self.smtp_password,
            verified_identities=tuple(verified_identities),
            sandbox=sandbox,
            quota=SendingQuota(max_send_rate, daily_quota, clock),
            max_message_size=max_message_size,
            max_connections=max_connections,
            maildir=maildir,
            store=store,
        )
        self._ca = trustme.CA()
        names = ["localhost", "127.0.0.1", "::1", endpoint_for(region)]
        if host not in names and host not in ("", "0.0.0.0", "::"):  # noqa: S104 - a name check
            names.append(host)
        if certificate_hosts is not None:  # e.g. a wrong name, to test client verification
            names = list(certificate_hosts)
        self._certificate = self._ca.issue_cert(*names)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.AbstractServer | None = None
        self._tempdir: str | None = None
        self._address: tuple[str, int] | None = None

    # --- life cycle ------------------------------------------------------------------

    def start(self) -> SESSimulator:
        """Bind and start serving on a background thread; returns ``self``."""
        if self._thread is not None:
            raise RuntimeError("this SESSimulator is already running")
        self._tempdir = tempfile.mkdtemp(prefix="ses-simulator-")
        self._ca.cert_pem.write_to_path(str(Path(self._tempdir, "ca.pem")))
        self._loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._serve, args=(ready, failure), name="ses-simulator", daemon=True
        )
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            self._cleanup()
            raise failure[0]
        return self

    def stop(self) -> None:
        """Close every connection, stop the server thread and remove its files."""
        if self._thread is None:
            return
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._shutdown_in_loop)
        self._thread.join()
        self._thread = None
        self._cleanup()

    def __enter__(self) -> SESSimulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            self._server = loop.run_until_complete(
                loop.create_server(
                    self._new_connection,
                    self._requested_host,
                    self._requested_port,
                    ssl=self._server_tls_context() if self.tls == "implicit" else None,
                )
            )
            self._address = self._server.sockets[0].getsockname()[:2]
        except BaseException as error:  # reported to start()'s caller
            failure.append(error)
            loop.close()
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(self._server.wait_closed())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _shutdown_in_loop(self) -> None:
        assert self._server is not None
        assert self._loop is not None
        self._server.close()
        with self._mailroom.lock:
            connections = list(self._mailroom.connections)
        for connection in connections:
            connection.drop()
        self._loop.stop()

    def _cleanup(self) -> None:
        self._server = None
        self._loop = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None

    def _server_tls_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2  # SES accepts TLS 1.2 and 1.3 only
        self._certificate.configure_cert(context)
        return context

    def _new_connection(self) -> SESProtocol:
        assert self._loop is not None
        return SESProtocol(
            self._mailroom,
            loop=self._loop,
            tls_context=self._server_tls_context(),
            implicit_tls=self.tls == "implicit",
            idle_timeout=self.idle_timeout,
            latency=self.latency,
        )

    # --- where and how to connect ----------------------------------------------------------

    def _running_address(self) -> tuple[str, int]:
        if self._address is None or self._thread is None:
            raise RuntimeError("the SESSimulator is not running: call start() or use 'with'")
        return self._address

    @property
    def host(self) -> str:
        return self._running_address()[0]

    @property
    def port(self) -> int:
        return self._running_address()[1]

    @property
    def cafile(self) -> str:
        """Path of the PEM file holding the CA a client must trust (exists while running)."""
        self._running_address()
        assert self._tempdir is not None
        return str(Path(self._tempdir, "ca.pem"))

    def ssl_context(self) -> ssl.SSLContext:
        """A verifying client context that trusts this simulator's certificate."""
        context = ssl.create_default_context()
        self._ca.configure_trust(context)
        return context

    def client_settings(self) -> dict[str, Any]:
        """What a client needs: ``host``, ``port``, ``username``, ``password``, ``cafile``,
        ``region``, plus ``use_tls`` / ``use_ssl`` in Django's and Flask-Mail's sense."""
        return {
            "host": self.host,
            "port": self.port,
            "username": self.smtp_username,
            "password": self.smtp_password,
            "cafile": self.cafile,
            "region": self.region,
            "use_tls": self.tls == "starttls",
            "use_ssl": self.tls == "implicit",
        }

    # --- what happened ---------------------------------------------------------------------

    @property
    def messages(self) -> list[StoredMessage]:
        """Messages accepted so far, oldest first (a copy)."""
        with self._mailroom.lock:
            return list(self._mailroom.messages)

    @property
    def events(self) -> list[SimulatorEvent]:
        """Delivery, Bounce and Complaint events for accepted recipients (a copy)."""
        with self._mailroom.lock:
            return list(self._mailroom.events)

    @property
    def accepted_total(self) -> int:
        """How many messages were accepted since start (counted even with ``store=False``)."""
        with self._mailroom.lock:
            return self._mailroom.accepted_total

    @property
    def rejected(self) -> list[tuple[str, tuple[str, ...], str]]:
        """(envelope sender, recipients, reply) for every message refused at the end of
        DATA by SES's rules (injected faults not included): to count attempts."""
        with self._mailroom.lock:
            return list(self._mailroom.rejected)

    @property
    def protocol_errors(self) -> int:
        """Replies 500-503 given: commands out of order or malformed. A client that never
        interleaves sessions or sends a malformed command keeps this at 0."""
        with self._mailroom.lock:
            return self._mailroom.protocol_errors

    @property
    def throttled_total(self) -> int:
        """How many 454 replies the quotas gave (injected faults not included)."""
        with self._mailroom.lock:
            return self._mailroom.throttled_total

    @property
    def connections_total(self) -> int:
        """How many connections clients have opened since start."""
        with self._mailroom.lock:
            return self._mailroom.connections_total

    @property
    def open_connections(self) -> int:
        with self._mailroom.lock:
            return len(self._mailroom.connections)

    @property
    def logins(self) -> int:
        """How many AUTH commands succeeded."""
        with self._mailroom.lock:
            return self._mailroom.logins

    @property
    def faults(self) -> FaultPlan:
        """The fault schedule; ``faults.served`` lists the faults already served."""
        return self._mailroom.faults

    def clear(self) -> None:
        """Forget stored messages, events and any faults still scheduled."""
        self._mailroom.clear()

    # --- misbehaving on purpose -----------------------------------------------------

    def inject(self, reply: str, at: str = "DATA", times: int = 1) -> None:
        """Answer ``reply`` instead of the normal reply at stage ``at``, ``times`` times.

        Stages: ``CONNECT`` (the greeting), ``EHLO``, ``AUTH``, ``MAIL``, ``RCPT``,
        ``DATA`` (the reply to the DATA command) and ``END_OF_DATA`` (the reply to the
        final dot; the message is not stored). SES hangs up after any 421.
        """
        self._mailroom.faults.add(at, reply, times)

    def drop(self, at: str = "DATA", times: int = 1) -> None:
        """Cut the connection instead of replying at stage ``at``, ``times`` times.

        ``MID_DATA`` drops once the client has started sending the message.
        ``AFTER_END_OF_DATA`` stores the message, then drops before the ``250 Ok``: the
        ambiguous case in which a client cannot know the message went through.
        """
        self._mailroom.faults.add(at, None, times)

    def chaos(
        self, probability: float, seed: int | None = 0, stages: Iterable[str] | None = None
    ) -> None:
        """Give a random transient fault (421, any 451 or 454, or a dropped connection) with
        ``probability`` at each stage of ``stages`` (default: the greeting, MAIL, RCPT, DATA,
        the final dot, and a drop after storing the message). Seeded, so a failing run can be
        replayed. ``chaos(0)`` turns it off."""
        chosen = tuple(stages) if stages is not None else CHAOS_STAGES
        self._mailroom.faults.set_chaos(probability, seed, chosen)

    def __repr__(self) -> str:
        where = (
            f"{self._address[0]}:{self._address[1]}"
            if self._address and self._thread
            else "stopped"
        )
        return f"<SESSimulator {where} region={self.region} tls={self.tls}>"
