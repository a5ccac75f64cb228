"""``Transport``: one SMTP session to SES, renewed when SES would close it.

TLS always (verified), AUTH only after TLS, and DATA driven by hand so that the text of
SES's ``250 Ok <message-id>`` is read (``smtplib.sendmail`` throws it away) and so that a
connection lost after the final dot is known to be ambiguous.
"""

from __future__ import annotations

import logging
import re
import smtplib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .config import SESConfig
from .exceptions import SESConnectionError, SESError, SESRecipientsRefused, error_for
from .replies import Reply, ReplyKind, classify, classify_exception

__all__ = ["Transaction", "Transport"]

log = logging.getLogger(__name__)

_LEADING_DOT = re.compile(rb"(?m)^\.")

# Replies after which SES closes the connection (or it is already gone).
_CONNECTION_GONE = {ReplyKind.CONNECTION_LOST, ReplyKind.TOO_MANY_CONNECTIONS, ReplyKind.TIMEOUT}


@dataclass(frozen=True)
class Transaction:
    """The outcome of one accepted MAIL/RCPT/DATA exchange."""

    reply: Reply
    accepted: tuple[str, ...]
    refused: dict[str, Reply] = field(default_factory=dict)


class Transport:
    """One SMTP connection to SES; not thread-safe (the Sender's pool hands it to one
    thread at a time).

    The connection opens on first use and is replaced before use when it has been idle
    for ``idle_reconnect`` seconds, has sent ``max_messages_per_connection`` messages or is
    older than ``max_connection_age``; after a 421, a timeout or a network error it is
    dropped. A reused connection that turns out to be closed at MAIL is reopened once at
    once: nothing had been sent yet, so that is not a retry.
    """

    def __init__(self, config: SESConfig, *, clock: Callable[[], float] = time.monotonic):
        self.config = config
        self._clock = clock
        self._smtp: smtplib.SMTP | None = None
        self._opened_at = 0.0
        self._last_used = 0.0
        self._messages = 0
        self.connections_opened = 0

    def __repr__(self) -> str:
        state = "open" if self._smtp is not None else "closed"
        return f"<Transport {self.config.host}:{self.config.port} {state}>"

    @property
    def connected(self) -> bool:
        return self._smtp is not None

    # --- connection ------------------------------------------------------------------

    def open(self) -> bool:
        """Connect, start TLS and log in, unless a usable connection is open already.
        Returns whether a new connection was opened."""
        if self._smtp is not None and self._still_usable():
            return False
        self.close()
        config = self.config
        context = config.tls_context()
        smtp: smtplib.SMTP | None = None
        try:
            if config.tls == "implicit":
                smtp = smtplib.SMTP_SSL(
                    config.host or "", config.port, config.local_hostname,
                    timeout=config.timeout, context=context,
                )  # fmt: skip
            else:
                smtp = smtplib.SMTP(
                    config.host or "", config.port, config.local_hostname, timeout=config.timeout
                )
            self._expect(smtp.ehlo(), 250)
            if config.tls == "starttls":
                if not smtp.has_extn("starttls"):
                    raise smtplib.SMTPNotSupportedError("STARTTLS is not offered")
                try:
                    smtp.starttls(context=context)
                except smtplib.SMTPResponseException as refused:
                    # SES never refuses STARTTLS; something between us does. Credentials
                    # must not follow in plaintext, and a retry would meet the same.
                    raise smtplib.SMTPNotSupportedError(
                        f"STARTTLS refused ({refused.smtp_code})"
                    ) from refused
                self._expect(smtp.ehlo(), 250)
            if config.tls != "none":  # AUTH only ever after TLS
                smtp.login(config.smtp_username or "", config.smtp_password or "")
        except BaseException as error:
            if smtp is not None:
                smtp.close()
            if isinstance(error, (SESError, KeyboardInterrupt, SystemExit)):
                raise
            raise error_for(classify_exception(error), "connecting to SES") from error
        self._smtp = smtp
        self._opened_at = self._last_used = self._clock()
        self._messages = 0
        self.connections_opened += 1
        log.debug("connected to %s:%s", config.host, config.port)
        return True

    def close(self) -> None:
        """Say QUIT if the connection is alive, and close it. Never raises."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            pass
        finally:
            smtp.close()

    def _still_usable(self) -> bool:
        config, now = self.config, self._clock()
        if now - self._last_used >= config.idle_reconnect:
            return False
        if (
            config.max_connection_age is not None
            and now - self._opened_at >= config.max_connection_age
        ):
            return False
        limit = config.max_messages_per_connection
        return limit is None or self._messages < limit

    @staticmethod
    def _expect(response: tuple[int, bytes], code: int) -> None:
        if response[0] != code:
            raise error_for(classify(*response))

    # --- sending ---------------------------------------------------------------------------

    def send(self, from_addr: str, recipients: Sequence[str], data: bytes) -> Transaction:
        """Send one message (at most 50 recipients, envelope already checked)."""
        reused = not self.open()
        try:
            return self._transaction(from_addr, recipients, data)
        except SESConnectionError as error:
            self.close()
            if reused and error.stage == "MAIL":
                log.debug("reused connection was closed by SES; reconnecting")
                self.open()
                return self._transaction(from_addr, recipients, data)
            raise

    def _transaction(self, from_addr: str, recipients: Sequence[str], data: bytes) -> Transaction:
        smtp = self._smtp
        assert smtp is not None
        stage = "MAIL"
        try:
            options = ["BODY=8BITMIME"] if not data.isascii() and smtp.has_extn("8bitmime") else []
            self._check(smtp.mail(from_addr, options), 250, stage)
            stage = "RCPT"
            refused: dict[str, Reply] = {}
            for recipient in recipients:
                code, text = smtp.rcpt(recipient)
                if code not in (250, 251):
                    refused[recipient] = classify(code, text)
                    if refused[recipient].kind in _CONNECTION_GONE:
                        raise error_for(refused[recipient])
            if len(refused) == len(recipients):
                self._reset()
                raise self._all_refused(refused)
            stage = "DATA"
            self._check(smtp.docmd("DATA"), 354, stage)
            payload = _LEADING_DOT.sub(b"..", data)
            if not payload.endswith(b"\r\n"):
                payload += b"\r\n"
            smtp.send(payload + b".\r\n")
            stage = "END_OF_DATA"
            code, text = smtp.getreply()
        except SESError as error:
            error.stage = stage
            if error.kind in _CONNECTION_GONE:
                self.close()
            raise
        except (smtplib.SMTPException, OSError) as error:
            self.close()
            failure = error_for(classify_exception(error), f"during {stage}")
            failure.stage = stage
            if stage == "END_OF_DATA" and isinstance(failure, SESConnectionError):
                failure.ambiguous = True  # sent in full; SES may have accepted it
            raise failure from error
        self._last_used = self._clock()
        reply = classify(code, text)
        if not reply.ok:
            failure = error_for(reply)
            failure.stage = "END_OF_DATA"
            if reply.kind in _CONNECTION_GONE:
                self.close()
            raise failure
        self._messages += 1
        accepted = tuple(r for r in recipients if r not in refused)
        return Transaction(reply, accepted, refused)

    def _check(self, response: tuple[int, bytes], code: int, stage: str) -> None:
        if response[0] != code:
            reply = classify(*response)
            if reply.kind not in _CONNECTION_GONE:
                self._reset()
            raise error_for(reply)

    def _reset(self) -> None:
        """RSET after a refused MAIL/RCPT so the session can take the next message."""
        assert self._smtp is not None
        try:
            if self._smtp.rset()[0] != 250:
                self.close()
        except (smtplib.SMTPException, OSError):
            self.close()

    @staticmethod
    def _all_refused(refused: dict[str, Reply]) -> SESError:
        first = next(iter(refused.values()))
        if all(reply.transient for reply in refused.values()):
            return error_for(first, "every recipient was refused for now")
        details = {address: (r.code, r.text.encode()) for address, r in refused.items()}
        return SESRecipientsRefused(
            first, f"all {len(refused)} recipient(s) refused", recipients=details
        )
