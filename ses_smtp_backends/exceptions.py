"""The exceptions this library raises.

Every send error is an :class:`smtplib.SMTPException` (and so an ``OSError``), and each
also subclasses the smtplib class that code written for plain smtplib already catches:
``SESConnectionError`` is an ``SMTPServerDisconnected``, ``SESAuthenticationError`` an
``SMTPAuthenticationError``, ``SESRecipientsRefused`` an ``SMTPRecipientsRefused``.
Configuration errors are ``SESConfigurationError`` (a ``ValueError``), deliberately
outside that tree so that ``fail_silently`` can never hide them.

Exceptions carry the classified :class:`~ses_smtp_backends.replies.Reply`, pickle, and never
contain a password: their text is SES's reply plus the reply's hint.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from typing import Any

from .replies import Reply, ReplyKind, unverified_identities

__all__ = [
    "SESAccessDeniedError",
    "SESAuthenticationError",
    "SESConfigurationError",
    "SESConnectionError",
    "SESDailyQuotaError",
    "SESError",
    "SESIdentityNotVerifiedError",
    "SESInvalidAddressError",
    "SESInvalidMessageError",
    "SESMessageRejectedError",
    "SESMessageTooLargeError",
    "SESPermanentError",
    "SESRecipientsRefused",
    "SESRetriesExhausted",
    "SESThrottlingError",
    "SESTransientError",
    "error_for",
]


class SESConfigurationError(ValueError):
    """Bad configuration, raised before anything is sent. ``key`` names what to fix."""

    def __init__(self, key: str, problem: str) -> None:
        self.key = key
        self.problem = problem
        super().__init__(f"{key}: {problem}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.key, self.problem))


class SESError(smtplib.SMTPException):
    """A send failed; ``reply`` says how SES (or the network) answered."""

    reply: Reply
    smtp_code: int
    smtp_error: bytes | str  # always bytes here; typed as smtplib types it
    #: Where the SMTP conversation failed: "MAIL", "RCPT", "DATA", "END_OF_DATA" or None.
    stage: str | None = None

    def __init__(self, reply: Reply, detail: str | None = None) -> None:
        self.reply = reply
        self.detail = detail
        # The attributes smtplib's reply errors have, so existing handlers keep working.
        self.smtp_code = reply.code
        self.smtp_error = reply.text.encode("utf-8", "replace")
        # Not super(): smtplib's constructors take other arguments (code, msg /
        # recipients) and set nothing that is not set above.
        OSError.__init__(self, self._describe())

    def _describe(self) -> str:
        kind = "transient" if self.reply.transient else "permanent"
        prefix = f"{self.detail}: " if self.detail else ""
        return f"{prefix}{self.reply} ({kind}). {self.reply.hint}".strip()

    @property
    def kind(self) -> ReplyKind:
        return self.reply.kind

    @property
    def transient(self) -> bool:
        return self.reply.transient

    @property
    def hint(self) -> str:
        return self.reply.hint

    def __str__(self) -> str:
        return self._describe()

    def __reduce__(self) -> tuple[Any, ...]:
        # OSError's own pickling would call __init__ with the message string.
        return (type(self), (self.reply, self.detail), self.__dict__)


class SESTransientError(SESError):
    """A 4xx reply or a network failure: retrying later can succeed."""


class SESPermanentError(SESError):
    """A 5xx reply (or an untrusted certificate): retrying cannot succeed; fix the cause."""


class SESThrottlingError(SESTransientError):
    """Over the per-second sending rate (SES dropped the message; it must be retried)."""


class SESDailyQuotaError(SESTransientError):
    """The rolling 24-hour quota is used up: only a long wait can help."""


class SESConnectionError(SESTransientError, smtplib.SMTPServerDisconnected):
    """The connection broke, timed out or was closed by SES (421, idle timeout).

    ``ambiguous`` is true when it broke after the final ``.`` of DATA and before SES
    answered: the message may or may not have been accepted.
    """

    ambiguous = False


class SESRetriesExhausted(SESTransientError):
    """Transient failures outlasted the retry policy. Raised ``from`` the last error."""

    def __init__(
        self,
        reply: Reply,
        detail: str | None = None,
        *,
        last_error: SESError | None = None,
        attempts: int = 0,
    ) -> None:
        self.last_error = last_error
        self.attempts = attempts
        super().__init__(reply, detail)


class SESAuthenticationError(SESPermanentError, smtplib.SMTPAuthenticationError):
    """530/535: no AUTH, no TLS, wrong credentials or an account not signed up for SES."""


class SESAccessDeniedError(SESPermanentError):
    """554 Access denied: the IAM user may not send as this identity."""


class SESIdentityNotVerifiedError(SESPermanentError):
    """554 Message rejected: an identity is not verified; see ``identities`` and ``region``."""

    def __init__(self, reply: Reply, detail: str | None = None) -> None:
        self.identities, self.region = unverified_identities(reply)
        super().__init__(reply, detail)


class SESMessageTooLargeError(SESPermanentError):
    """552: the message is over SES's size limit."""


class SESMessageRejectedError(SESPermanentError):
    """554 for the message as built: account paused, transaction failed, other 5xx."""


class SESInvalidAddressError(SESPermanentError, ValueError):
    """An envelope address SES cannot take (553, or refused by us before sending).

    Also a ``ValueError``: it is bad input, found before any byte is sent when possible.
    """


class SESInvalidMessageError(SESPermanentError, ValueError):
    """A message SES cannot take as built (a line over 998 octets, say), refused before any
    byte is sent. Also a ``ValueError``: it is bad input."""


class SESRecipientsRefused(SESPermanentError, smtplib.SMTPRecipientsRefused):
    """Every recipient was refused. ``recipients`` maps each address to (code, text)."""

    def __init__(
        self,
        reply: Reply,
        detail: str | None = None,
        *,
        recipients: Mapping[str, tuple[int, bytes]] | None = None,
    ) -> None:
        self.recipients = dict(recipients or {})
        super().__init__(reply, detail)


_CLASS_FOR_KIND: dict[ReplyKind, type[SESError]] = {
    ReplyKind.TOO_MANY_CONNECTIONS: SESConnectionError,
    ReplyKind.TIMEOUT: SESConnectionError,
    ReplyKind.CONNECTION_LOST: SESConnectionError,
    ReplyKind.MAX_SEND_RATE_EXCEEDED: SESThrottlingError,
    ReplyKind.SIGV2_RATE_EXCEEDED: SESThrottlingError,
    ReplyKind.DAILY_QUOTA_EXCEEDED: SESDailyQuotaError,
    ReplyKind.AUTHENTICATION_REQUIRED: SESAuthenticationError,
    ReplyKind.TLS_REQUIRED: SESAuthenticationError,
    ReplyKind.INVALID_CREDENTIALS: SESAuthenticationError,
    ReplyKind.ACCOUNT_NOT_SUBSCRIBED: SESAuthenticationError,
    ReplyKind.ACCESS_DENIED: SESAccessDeniedError,
    ReplyKind.IDENTITY_NOT_VERIFIED: SESIdentityNotVerifiedError,
    ReplyKind.MESSAGE_TOO_LONG: SESMessageTooLargeError,
    ReplyKind.INVALID_ADDRESS: SESInvalidAddressError,
    ReplyKind.ACCOUNT_PAUSED: SESMessageRejectedError,
    ReplyKind.TRANSACTION_FAILED: SESMessageRejectedError,
    ReplyKind.OTHER_PERMANENT: SESMessageRejectedError,
    ReplyKind.TLS_FAILURE: SESPermanentError,
}


def error_for(reply: Reply, detail: str | None = None) -> SESError:
    """The exception for a failed ``reply`` (its class follows the reply's kind)."""
    cls = _CLASS_FOR_KIND.get(reply.kind)
    if cls is None:
        cls = SESTransientError if reply.transient else SESPermanentError
    return cls(reply, detail)
