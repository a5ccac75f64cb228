"""``EmailBackend``: Django's email backend contract on top of the core ``Sender``."""

from __future__ import annotations

import email.policy
import email.utils
import inspect
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.utils.encoding import force_str

from ..exceptions import SESError
from ..receipt import Receipt
from ..sender import Hooks, Sender
from . import signals
from .conf import resolve
from .exceptions import for_django

log = logging.getLogger("ses_smtp_backends.django")

# Django 6.0 builds messages with the modern email API and takes the policy to use;
# older versions return a legacy MIME object.
_MESSAGE_TAKES_POLICY = "policy" in inspect.signature(EmailMessage.message).parameters


def message_bytes(message: EmailMessage) -> bytes:
    """The message as Django's own SMTP backend would transmit it, on each version."""
    data: bytes
    if _MESSAGE_TAKES_POLICY:
        data = message.message(policy=email.policy.SMTP).as_bytes()
    else:
        data = message.message().as_bytes(linesep="\r\n")
    return data


def addr_spec(address: Any) -> str:
    """The bare address of ``"Name <user@example.com>"``; one address, no CR/LF."""
    text = force_str(address)
    if "\r" in text or "\n" in text:
        raise ValueError("An email address contains a line break (CR/LF); remove it")
    found = [a for _, a in email.utils.getaddresses([text]) if a]
    if len(found) != 1:
        raise ValueError(f"Expected one email address, found {len(found)}; check the address")
    return found[0]


class EmailBackend(BaseEmailBackend):
    """Send Django email through Amazon SES SMTP, with SES's retry and error semantics.

    ``settings.py``::

        EMAIL_BACKEND = "ses_smtp_backends.django.EmailBackend"
        SES_SMTP = {"REGION": "eu-west-1"}
        EMAIL_HOST_USER = "AKIA..."        # SMTP username
        EMAIL_HOST_PASSWORD = "B..."       # SMTP password (not the IAM secret key)

    or, on Django 6.1, a ``MAILERS`` entry with the same names as ``OPTIONS`` (lower case).
    Each sent message gets ``ses_message_id`` and ``ses_receipt`` attributes.
    """

    #: How the backend waits between retries and reads time; tests replace these so the
    #: retry ladder runs without waiting.
    sleep: Callable[[float], None] = staticmethod(time.sleep)
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(
        self,
        host: str | None = None,
        port: int | None = None,
        username: str | None = None,
        password: str | None = None,
        use_tls: bool | None = None,
        fail_silently: bool = False,
        use_ssl: bool | None = None,
        timeout: float | None = None,
        *,
        region: str | None = None,
        aws_access_key_id: str | None = None,
        aws_secret_access_key: str | None = None,
        cafile: str | None = None,
        max_send_rate: float | None = None,
        rate_limiter: str | None = None,
        max_elapsed: float | None = None,
        retry: Any = None,
        configuration_set: str | None = None,
        tags: dict[str, str] | None = None,
        max_connections: int | None = None,
        fips: bool | None = None,
        idle_reconnect: float | None = None,
        max_messages_per_connection: int | None = None,
        max_connection_age: float | None = None,
        **kwargs: Any,
    ) -> None:
        # None means "not given" here, as in Django's own backends (send_mail passes
        # username=None): the setting, then the default, applies.
        # Django decides what unknown keywords mean (InvalidMailer under MAILERS; ignored,
        # or a deprecation warning on 6.1, in legacy mode) and sets ``alias`` on 6.1.
        super().__init__(**kwargs)
        self.alias: str | None = kwargs.get("alias")
        self.fail_silently = fail_silently
        explicit = {
            name: value
            for name, value in locals().items()
            if name not in ("self", "kwargs", "fail_silently", "__class__")
        }
        self.config = resolve(explicit, self.alias)
        self._sender: Sender | None = None
        self._lock = threading.RLock()
        self._current = threading.local()

    def __repr__(self) -> str:
        where = f"{self.config.host}:{self.config.port}"
        return f"<{type(self).__name__} alias={self.alias!r} {where}>"

    # --- connection ------------------------------------------------------------------

    def _ensure_sender(self) -> bool:
        with self._lock:
            if self._sender is not None:
                return False
            hooks = Hooks(on_retry=self._on_retry)
            self._sender = Sender(self.config, hooks=hooks, sleep=self.sleep, clock=self.clock)
            return True

    def open(self) -> bool | None:
        """Connect to SES now. Return whether a new connection was opened, or ``None`` if
        connecting failed and ``fail_silently`` swallowed the error."""
        with self._lock:
            created = self._ensure_sender()
            assert self._sender is not None
            try:
                opened = self._sender.open()
            except SESError as error:
                if created:
                    self.close()
                if not self.fail_silently:
                    raise for_django(error) from error.__cause__
                log.warning("could not connect to SES (fail_silently): %s", error)
                return None
            return created or opened

    def close(self) -> None:
        with self._lock:
            sender, self._sender = self._sender, None
        if sender is not None:
            sender.close()

    # --- sending ---------------------------------------------------------------------------

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Send the messages; return how many SES accepted.

        With ``max_connections`` above 1 the messages go out in parallel under the shared
        rate limit; every one is attempted, and the first failure is raised afterwards
        (unless ``fail_silently``).
        """
        if not email_messages:
            return 0
        with self._lock:
            created = self._ensure_sender()
            assert self._sender is not None
            try:
                return sum(self._sender.run_parallel(self._send, list(email_messages)))
            finally:
                if created:
                    self.close()

    def _send(self, message: EmailMessage) -> bool:
        if not message.recipients():
            return False
        assert self._sender is not None
        self._current.message = message
        try:
            from_email = addr_spec(message.from_email)
            recipients = [addr_spec(address) for address in message.recipients()]
            receipt = self._sender.send(from_email, recipients, message_bytes(message))
        except SESError as error:
            failure = for_django(error)
            signals.message_failed.send(type(self), message=message, error=failure)
            if not self.fail_silently:
                if failure is error:
                    raise
                raise failure from error.__cause__
            log.warning("SES did not accept a message (fail_silently): %s", failure)
            return False
        finally:
            self._current.message = None
        self._record(message, receipt)
        return True

    def _record(self, message: EmailMessage, receipt: Receipt) -> None:
        message.ses_message_id = receipt.message_id
        message.ses_receipt = receipt
        if receipt.refused:
            log.warning(
                "SES accepted message %s but refused %d recipient(s): %s",
                receipt.message_id,
                len(receipt.refused),
                "; ".join(str(reply) for reply in receipt.refused.values()),
            )
        signals.message_sent.send(type(self), message=message, receipt=receipt)

    def _on_retry(self, error: SESError, attempt: int, wait: float) -> None:
        message = getattr(self._current, "message", None)
        signals.message_retrying.send(
            type(self), message=message, error=error, attempt=attempt, wait=wait
        )
