"""Flask integration: ``SESMail``, a drop-in for ``flask_mail.Mail`` that sends through SES.

    from ses_smtp_backends.flask import SESMail   # instead of: from flask_mail import Mail

    mail = SESMail()
    mail.init_app(app)            # app.config: MAIL_*, plus SES_SMTP_REGION and friends
    mail.send(Message("Hi", recipients=["user@example.org"], body="..."))

Flask-Mail's ``Message``, ``mail.send``, ``mail.send_message``, ``mail.connect()``,
``record_messages()``, ``MAIL_SUPPRESS_SEND``, ``MAIL_DEFAULT_SENDER``, ``MAIL_MAX_EMAILS``
and ``email_dispatched`` keep working; the transport underneath is the core ``Sender``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Any

try:
    import click
    import flask_mail
    from blinker import Namespace
    from flask import Flask, current_app
except ImportError as error:  # pragma: no cover - exercised in the minimal tox env
    raise ImportError(
        'ses_smtp_backends.flask needs Flask and Flask-Mail: pip install "ses-smtp-backends[flask]"'
    ) from error

from .config import SESConfig, config_from_options
from .exceptions import SESConfigurationError, SESError
from .queued import DEFAULT_MAX_AGE, checked_max_age, load_config_factory
from .receipt import Receipt
from .retry import RetryPolicy
from .sender import Hooks, Sender

__all__ = [
    "InvalidMessageError",
    "SESConnection",
    "SESMail",
    "message_failed",
    "message_retrying",
    "message_sent",
]

log = logging.getLogger("ses_smtp_backends.flask")

_signals = Namespace()
#: SES accepted a message. Sender: the app; arguments ``message``, ``receipt``.
message_sent = _signals.signal("ses-message-sent")
#: A message was given up. Sender: the app; arguments ``message``, ``error``.
message_failed = _signals.signal("ses-message-failed")
#: A transient failure will be retried. Sender: the app; arguments ``message``, ``error``,
#: ``attempt``, ``wait``.
message_retrying = _signals.signal("ses-message-retrying")

#: app.config keys and the option each one sets. MAIL_* are Flask-Mail's own names.
CONFIG_KEYS = {
    "MAIL_SERVER": "host",
    "MAIL_PORT": "port",
    "MAIL_USERNAME": "username",
    "MAIL_PASSWORD": "password",
    "MAIL_USE_TLS": "use_tls",
    "MAIL_USE_SSL": "use_ssl",
    "SES_SMTP_REGION": "region",
    "SES_SMTP_AWS_ACCESS_KEY_ID": "aws_access_key_id",
    "SES_SMTP_AWS_SECRET_ACCESS_KEY": "aws_secret_access_key",
    "SES_SMTP_TIMEOUT": "timeout",
    "SES_SMTP_MAX_ELAPSED": "max_elapsed",
    "SES_SMTP_MAX_SEND_RATE": "max_send_rate",
    "SES_SMTP_RATE_LIMITER": "rate_limiter",
    "SES_SMTP_RETRY": "retry",
    "SES_SMTP_CONFIGURATION_SET": "configuration_set",
    "SES_SMTP_TAGS": "tags",
    "SES_SMTP_CAFILE": "cafile",
    "SES_SMTP_MAX_CONNECTIONS": "max_connections",
    "SES_SMTP_FIPS": "fips",
}
_KEY_FOR_FIELD = {option: key for key, option in CONFIG_KEYS.items()} | {
    "tls": "MAIL_USE_TLS",
    "retry.max_elapsed": "SES_SMTP_MAX_ELAPSED",
}


class InvalidMessageError(ValueError, AssertionError):
    """A message that cannot be sent as built (no recipients, no sender).

    Flask-Mail signals these with ``assert``, which ``python -O`` removes; this is raised
    explicitly, and is still an ``AssertionError`` for code written against Flask-Mail.
    """


def resolve(config: Mapping[str, Any]) -> SESConfig:
    """The SESConfig for a Flask app's config; errors name the app.config key to fix.

    Only keys present in the config count: Flask-Mail's defaults (localhost:25, no TLS) are
    not SES settings. With ``SES_SMTP_REGION`` and no ``MAIL_SERVER``, host and port follow
    the region.
    """
    options = {
        option: config[key] for key, option in CONFIG_KEYS.items() if config.get(key) is not None
    }
    try:
        return config_from_options(options, RetryPolicy.interactive())
    except SESConfigurationError as error:
        field = error.key if error.key in _KEY_FOR_FIELD else error.key.split(".")[0]
        key = _KEY_FOR_FIELD.get(field, f"SES_SMTP_{field.upper()}")
        if field == "region" and "SES_SMTP_REGION" not in config:
            key = "SES_SMTP_REGION (or MAIL_SERVER)"
        raise SESConfigurationError(key, error.problem) from None


@dataclass(frozen=True)
class Queueing:
    """Sending through a Celery worker instead of inline (``ses_smtp_backends.celery``)."""

    enabled: bool = False  # SES_SMTP_ENQUEUE
    worker_config: str | None = None  # SES_SMTP_WORKER_CONFIG: the worker's config factory
    max_age: float = DEFAULT_MAX_AGE  # SES_SMTP_MAX_AGE: give up on a message this old

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Queueing:
        try:
            max_age = checked_max_age(config.get("SES_SMTP_MAX_AGE", DEFAULT_MAX_AGE))
        except ValueError as error:
            raise SESConfigurationError(
                "SES_SMTP_MAX_AGE", str(error).removeprefix("max_age ")
            ) from None
        worker_config = config.get("SES_SMTP_WORKER_CONFIG")
        if worker_config is not None:
            try:
                load_config_factory(worker_config)
            except SESConfigurationError as error:
                raise SESConfigurationError("SES_SMTP_WORKER_CONFIG", error.problem) from None
        return cls(bool(config.get("SES_SMTP_ENQUEUE", False)), worker_config, max_age)


class _SESMailState(flask_mail._Mail):
    """What ``app.extensions["mail"]`` holds: Flask-Mail's state plus the SES config."""

    def __init__(self, ses_config: SESConfig | None, queueing: Queueing, *args: Any) -> None:
        super().__init__(*args)
        self.ses_config = ses_config
        self.queueing = queueing

    def connect(self) -> SESConnection:
        return SESConnection(self)


class SESConnection(flask_mail.Connection):
    """``with mail.connect() as conn: conn.send(message)``: one SES session for many
    messages. ``conn.host`` is the core :class:`~ses_smtp_backends.Sender` (``None`` when
    sending is suppressed); it reads SES's reply to DATA, so tests that mock
    ``conn.host.sendmail`` do not apply to it."""

    #: How the connection waits between retries and reads time; tests replace these.
    sleep: Callable[[float], None] = staticmethod(time.sleep)
    clock: Callable[[], float] = staticmethod(time.monotonic)

    host: Sender | None  # type: ignore[assignment]

    def __init__(self, mail: _SESMailState) -> None:
        super().__init__(mail)  # type: ignore[arg-type]
        self.state = mail
        self._current = threading.local()
        self._count_lock = threading.Lock()

    def __enter__(self) -> SESConnection:
        self.num_emails = 0
        self.host = (
            None if self.state.suppress or self.state.queueing.enabled else self._new_sender()
        )
        return self

    def send_many(self, messages: Sequence[flask_mail.Message]) -> None:
        """Send ``messages`` over up to ``SES_SMTP_MAX_CONNECTIONS`` sessions in parallel,
        under the shared rate limit. Every message is attempted; the first failure is raised
        afterwards. Each sent message gets ``ses_message_id`` and ``ses_receipt``."""
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def one(message: flask_mail.Message) -> None:
            with app.app_context():
                self.send(message)

        if self.host is None:
            for message in messages:
                one(message)
        else:
            self.host.run_parallel(one, messages)

    def __exit__(self, *exc_info: object) -> None:
        if self.host is not None:
            self.host.close()

    def _new_sender(self) -> Sender:
        if self.state.ses_config is None:
            raise RuntimeError(
                "SESMail has no SES settings (sending was suppressed at init_app); set "
                "SES_SMTP_REGION or MAIL_SERVER and the credentials"
            )
        hooks = Hooks(on_retry=self._on_retry)
        return Sender(self.state.ses_config, sleep=self.sleep, clock=self.clock, hooks=hooks)

    def send(
        self, message: flask_mail.Message, envelope_from: str | tuple[str, str] | None = None
    ) -> None:
        """Check and send ``message``; set ``message.ses_message_id`` / ``ses_receipt``."""
        if not message.send_to:
            raise InvalidMessageError("No recipients have been added: set recipients, cc or bcc")
        if not message.sender:
            raise InvalidMessageError(
                "The message has no sender: pass sender= or set MAIL_DEFAULT_SENDER"
            )
        if message.has_bad_headers():
            raise flask_mail.BadHeaderError
        if message.date is None:
            message.date = time.time()
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        if self.host is not None:
            self._transmit(app, message, envelope_from)
        elif self.state.queueing.enabled and not self.state.suppress:
            self._enqueue(message, envelope_from)
        flask_mail.email_dispatched.send(app, message=message)
        with self._count_lock:
            self.num_emails += 1
            renew = self.num_emails == self.state.max_emails
            if renew:
                self.num_emails = 0
        if renew and self.host is not None:  # MAIL_MAX_EMAILS: start new SES sessions
            self.host.close()

    def _transmit(
        self, app: Flask, message: flask_mail.Message, envelope_from: str | tuple[str, str] | None
    ) -> None:
        assert self.host is not None
        if message.mail_options or message.rcpt_options:
            log.warning("SES takes no ESMTP options; ignoring mail_options/rcpt_options")
        from_address = _address(envelope_from or message.sender)
        recipients = [_address(r) for r in message.send_to]
        self._current.message = message
        try:
            receipt = self.host.send(from_address, recipients, message.as_bytes())
        except SESError as error:
            app.logger.error("SES did not accept %r: %s", message.subject, error)
            message_failed.send(app, message=message, error=error)
            raise
        finally:
            self._current.message = None
        self._record(app, message, receipt)

    def _enqueue(
        self, message: flask_mail.Message, envelope_from: str | tuple[str, str] | None
    ) -> None:
        """SES_SMTP_ENQUEUE: queue for a Celery worker (``ses_smtp_backends.celery``), which
        retries on SES's ladder; ``message.ses_task_id`` is the Celery task ID."""
        from .celery import enqueue

        result = enqueue(
            _address(envelope_from or message.sender),
            [_address(r) for r in message.send_to],
            message.as_bytes(),
            config=self.state.queueing.worker_config,
            max_age=self.state.queueing.max_age,
            meta={"adapter": "flask"},
        )
        message.ses_task_id = result.id  # type: ignore[attr-defined]

    @staticmethod
    def _record(app: Flask, message: flask_mail.Message, receipt: Receipt) -> None:
        message.ses_message_id = receipt.message_id  # type: ignore[attr-defined]
        message.ses_receipt = receipt  # type: ignore[attr-defined]
        if receipt.refused:
            app.logger.warning(
                "SES accepted %s but refused %d recipient(s): %s", receipt.message_id,
                len(receipt.refused), "; ".join(str(r) for r in receipt.refused.values()),
            )  # fmt: skip
        message_sent.send(app, message=message, receipt=receipt)

    def _on_retry(self, error: SESError, attempt: int, wait: float) -> None:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        message = getattr(self._current, "message", None)
        app.logger.warning(
            "SES send attempt %d failed (%s); retrying in %.0f s", attempt, error.reply, wait
        )
        message_retrying.send(app, message=message, error=error, attempt=attempt, wait=wait)


def _address(address: str | tuple[str, str]) -> str:
    """The bare address of ``"Name <a@b>"`` or ``("Name", "a@b")``, IDNA domain."""
    return parseaddr(flask_mail.sanitize_address(address))[1]


class SESMail(flask_mail.Mail):
    """``flask_mail.Mail`` with the SES transport; register with ``SESMail(app)`` or
    ``init_app(app)`` in an app factory (each app keeps its own configuration)."""

    def init_mail(
        self, config: Mapping[str, Any], debug: bool | int = False, testing: bool = False
    ) -> _SESMailState:
        base = super().init_mail(dict(config), debug, testing)
        # A test config that suppresses sending needs no SES settings at all; any SES or
        # MAIL_* server setting that is given is still checked here.
        unconfigured = not any(config.get(key) is not None for key in CONFIG_KEYS)
        ses_config = None if base.suppress and unconfigured else resolve(config)
        # MAIL_DEBUG is not passed on: smtplib's debug output would print the AUTH line.
        return _SESMailState(ses_config, Queueing.from_config(config), *vars(base).values())

    def init_app(self, app: Flask) -> _SESMailState:
        state = super().init_app(app)
        assert isinstance(state, _SESMailState)
        if "ses-smtp" not in app.cli.commands:
            app.cli.add_command(ses_smtp_cli)
        return state

    def send_many(self, messages: Sequence[flask_mail.Message]) -> None:
        """Send ``messages`` in parallel over one pool of SES sessions (see
        :meth:`SESConnection.send_many`)."""
        with self.connect() as connection:
            connection.send_many(messages)

    def connect(self) -> SESConnection:
        app = getattr(self, "app", None) or current_app
        state = app.extensions.get("mail")
        if not isinstance(state, _SESMailState):
            raise RuntimeError("The current application was not configured with SESMail (init_app)")
        return state.connect()


@click.group("ses-smtp", help="Amazon SES SMTP: check the configuration.")
def ses_smtp_cli() -> None:
    pass


@ses_smtp_cli.command("check")
@click.option("--send-to", metavar="ADDRESS", help="Also send a test message here.")
def check_command(send_to: str | None) -> None:
    """Connect, start TLS and log in with the app's settings; print the classified result.

    Exit status: 0 ok, 1 permanent failure, 2 transient failure.
    """
    state = current_app.extensions.get("mail")
    if not isinstance(state, _SESMailState):
        raise click.ClickException("this app has no SESMail (call SESMail.init_app(app))")
    config = state.ses_config
    if config is None:
        raise click.ClickException("no SES settings: set SES_SMTP_REGION or MAIL_SERVER")
    click.echo(f"Endpoint: {config.host}:{config.port} ({config.tls}), region {config.region}")
    try:
        with Sender(config) as sender:
            sender.open()
            click.echo("Connected, TLS verified, authenticated.")
            if send_to:
                message = flask_mail.Message(
                    "flask ses-smtp check test message", recipients=[send_to],
                    body="Sent by flask ses-smtp check.",
                )  # fmt: skip
                receipt = sender.send(_address(message.sender), [send_to], message.as_bytes())
                click.echo(f"Sent: SES message ID {receipt.message_id}")
    except SESError as error:
        click.echo(f"{type(error).__name__}: {error.reply}", err=True)
        click.echo(f"Hint: {error.hint}", err=True)
        raise SystemExit(2 if error.transient else 1) from None


def worker_failed(payload: dict[str, Any], error: SESError) -> None:
    """Send ``message_failed`` from a Celery worker for a message it gave up on, with a
    :class:`~ses_smtp_backends.queued.QueuedMessage` as ``message``. Needs the task to run
    in the app context (the ``FlaskTask`` of Flask's Celery pattern); otherwise it logs."""
    from flask import has_app_context

    from .queued import QueuedMessage

    if not has_app_context():
        log.warning(
            "no Flask app context in the worker, so message_failed was not sent for the "
            "message to %s; run tasks in the app context (Flask's Celery pattern)",
            ", ".join(payload["to_addrs"]),
        )
        return
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    message_failed.send(app, message=QueuedMessage.from_payload(payload), error=error)
