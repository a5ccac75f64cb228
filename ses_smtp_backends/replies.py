"""Classify every reply SES gives over SMTP (SES_FACTS section 1), and network errors.

The reply code alone is not enough (454 means four different things), so each row of
the catalogue matches a code plus a phrase, case-insensitively, with or without an
RFC 3463 enhanced status code and with or without a trailing period.

>>> reply = classify(454, "Throttling failure: Maximum sending rate exceeded")
>>> reply.kind, reply.transient
(<ReplyKind.MAX_SEND_RATE_EXCEEDED: 'max_send_rate_exceeded'>, True)
>>> classify(250, b"Ok 0100018c-abc-000000").message_id
'0100018c-abc-000000'
"""

from __future__ import annotations

import enum
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass

__all__ = ["Reply", "ReplyKind", "classify", "classify_exception", "unverified_identities"]

#: The code a reply gets when there was no reply: the connection broke (as smtplib does).
NO_REPLY = -1


class ReplyKind(enum.Enum):
    """One member per row of the SES reply catalogue, plus the catch-alls."""

    AUTHENTICATED = "authenticated"
    ACCEPTED = "accepted"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    LOCAL_PROCESSING_ERROR = "local_processing_error"
    TIMEOUT = "timeout"
    DAILY_QUOTA_EXCEEDED = "daily_quota_exceeded"
    MAX_SEND_RATE_EXCEEDED = "max_send_rate_exceeded"
    SIGV2_RATE_EXCEEDED = "sigv2_rate_exceeded"
    TEMPORARY_AUTHENTICATION_FAILURE = "temporary_authentication_failure"
    TEMPORARY_SERVICE_FAILURE = "temporary_service_failure"
    AUTHENTICATION_REQUIRED = "authentication_required"
    TLS_REQUIRED = "tls_required"
    INVALID_CREDENTIALS = "invalid_credentials"
    ACCOUNT_NOT_SUBSCRIBED = "account_not_subscribed"
    MESSAGE_TOO_LONG = "message_too_long"
    INVALID_ADDRESS = "invalid_address"
    ACCESS_DENIED = "access_denied"
    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    ACCOUNT_PAUSED = "account_paused"
    TRANSACTION_FAILED = "transaction_failed"
    OTHER_TRANSIENT = "other_transient"
    OTHER_PERMANENT = "other_permanent"
    CONNECTION_LOST = "connection_lost"
    TLS_FAILURE = "tls_failure"


@dataclass(frozen=True)
class Reply:
    """A classified SMTP reply (or network failure, with ``code == -1``)."""

    code: int
    text: str
    kind: ReplyKind
    transient: bool
    enhanced_status: str | None = None
    hint: str = ""
    message_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.kind in (ReplyKind.AUTHENTICATED, ReplyKind.ACCEPTED)

    def __str__(self) -> str:
        return f"{self.code} {self.text}" if self.code != NO_REPLY else self.text


_DERIVE = "derive the password with `ses-smtp password --region REGION`"

# (code, phrase the text starts with or contains, kind, hint); first match wins. Phrases are
# lower case, without the trailing period. Order matters where phrases overlap (SigV2).
_CATALOGUE: tuple[tuple[int, str, ReplyKind, str], ...] = (
    (235, "authentication successful", ReplyKind.AUTHENTICATED, "Logged in."),
    (421, "", ReplyKind.TOO_MANY_CONNECTIONS,
     "SES closed the connection (too many concurrent connections); reconnect after a pause."),
    (451, "timeout waiting for data from client", ReplyKind.TIMEOUT,
     "SES closed a connection that sat idle for about 10 seconds; reconnect and resend."),
    (451, "temporary service failure", ReplyKind.LOCAL_PROCESSING_ERROR,
     "SES had a temporary processing error; retry later."),
    (454, "throttling failure: daily message quota exceeded", ReplyKind.DAILY_QUOTA_EXCEEDED,
     "The 24-hour sending quota is used up; retry in minutes or hours, or ask AWS for a "
     "higher quota."),
    (454, "throttling failure: maximum sigv2 smtp sending rate exceeded",
     ReplyKind.SIGV2_RATE_EXCEEDED,
     "These SMTP credentials use the legacy v2 signature, which SES throttles harder; "
     "create new SMTP credentials (or " + _DERIVE + ")."),
    (454, "throttling failure: maximum sending rate exceeded", ReplyKind.MAX_SEND_RATE_EXCEEDED,
     "Over the account's per-second sending rate and SES dropped the message; slow down "
     "(max_send_rate) and retry."),
    (454, "temporary authentication failure", ReplyKind.TEMPORARY_AUTHENTICATION_FAILURE,
     "SES could not validate the credentials just now; retry."),
    (454, "temporary service failure", ReplyKind.TEMPORARY_SERVICE_FAILURE,
     "SES had a temporary problem receiving the request; retry."),
    (530, "must issue a starttls command first", ReplyKind.TLS_REQUIRED,
     "SES requires TLS before AUTH; use STARTTLS on port 587/2587/25 or TLS on 465/2465."),
    (530, "authentication required", ReplyKind.AUTHENTICATION_REQUIRED,
     "SES requires AUTH before MAIL FROM; configure the SMTP username and password."),
    (535, "account not subscribed", ReplyKind.ACCOUNT_NOT_SUBSCRIBED,
     "This AWS account is not signed up for SES in this region; enable SES in the console."),
    (535, "", ReplyKind.INVALID_CREDENTIALS,
     "SMTP credentials are not IAM keys: use the access key ID as the username and, as the "
     "password, the SMTP password derived from the secret access key for this region "
     "(`ses-smtp password --region REGION`, or ses_smtp_backends.smtp_password)."),
    (552, "message is too long", ReplyKind.MESSAGE_TOO_LONG,
     "The message is over SES's 40 MB limit after encoding; send smaller attachments."),
    (553, "", ReplyKind.INVALID_ADDRESS,
     "An envelope address is not a valid email address; fix the sender or recipient."),
    (501, "invalid mail from address", ReplyKind.INVALID_ADDRESS,
     "The envelope sender is empty or invalid; set a verified From address."),
    (554, "access denied", ReplyKind.ACCESS_DENIED,
     "The IAM user lacks ses:SendRawEmail on this identity; fix its IAM or "
     "sending-authorization policy."),
    (554, "message rejected: email address is not verified", ReplyKind.IDENTITY_NOT_VERIFIED,
     "Verify the listed identities in this region (in the sandbox recipients too), or "
     "request production access."),
    (554, "message rejected: sending paused", ReplyKind.ACCOUNT_PAUSED,
     "SES paused sending for this account; read the AWS account's email and the SES "
     "console."),
    (554, "message rejected: sending suspended", ReplyKind.ACCOUNT_PAUSED,
     "SES suspended sending for this account; read the AWS account's email and the SES "
     "console."),
    (554, "transaction failed", ReplyKind.TRANSACTION_FAILED,
     "SES refused this message as built (see the reason); fix the message, do not retry."),
)  # fmt: skip

_ENHANCED = re.compile(r"^([245]\.\d{1,3}\.\d{1,3})\s+")
_ACCEPTED_ID = re.compile(r"^ok\s+(\S+)", re.IGNORECASE)
_NOT_VERIFIED = re.compile(
    r"failed the check in region ([a-z0-9-]+)\s*:\s*(.*)$", re.IGNORECASE | re.DOTALL
)


def _text(text: str | bytes) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(text.split())  # smtplib joins multi-line replies with newlines


def classify(code: int, text: str | bytes) -> Reply:
    """Classify one SMTP reply from SES. Pure: no I/O, no state."""
    clean = _text(text)
    enhanced_match = _ENHANCED.match(clean)
    enhanced = enhanced_match.group(1) if enhanced_match else None
    body = clean[enhanced_match.end() :] if enhanced_match else clean
    key = body.lower().rstrip(".").strip()
    if code == NO_REPLY:
        return _connection_lost(clean or "connection lost")
    if 200 <= code < 400:
        if code == 235:
            return Reply(code, clean, ReplyKind.AUTHENTICATED, False, enhanced, "Logged in.")
        accepted = _ACCEPTED_ID.match(body) if code == 250 else None
        message_id = accepted.group(1).rstrip(".") if accepted else None
        return Reply(code, clean, ReplyKind.ACCEPTED, False, enhanced, "Accepted.", message_id)
    for row_code, phrase, kind, hint in _CATALOGUE:
        if row_code == code and key.startswith(phrase):
            return Reply(code, clean, kind, 400 <= code < 500, enhanced, hint)
    if 400 <= code < 500:
        return Reply(
            code, clean, ReplyKind.OTHER_TRANSIENT, True, enhanced,
            "A temporary failure (4xx); retry later.",
        )  # fmt: skip
    return Reply(
        code, clean, ReplyKind.OTHER_PERMANENT, False, enhanced,
        "A permanent failure (5xx); fix the cause named in the reply, do not retry.",
    )  # fmt: skip


def unverified_identities(reply: Reply) -> tuple[tuple[str, ...], str | None]:
    """The identities and region named by an IDENTITY_NOT_VERIFIED reply.

    SES may end a long list with ``...``; that marker is not an identity.
    """
    match = _NOT_VERIFIED.search(reply.text)
    if not match:
        return (), None
    names = [part.strip() for part in match.group(2).split(",")]
    identities = tuple(n for n in names if n and n.strip(".") and n != "...")
    return identities, match.group(1).lower()


def _connection_lost(detail: str) -> Reply:
    return Reply(
        NO_REPLY, detail, ReplyKind.CONNECTION_LOST, True, None,
        "The network connection to SES failed or timed out; retry on a new connection.",
    )  # fmt: skip


def _tls_failure(detail: str, hint: str) -> Reply:
    return Reply(NO_REPLY, detail, ReplyKind.TLS_FAILURE, False, None, hint)


def classify_exception(error: BaseException) -> Reply:
    """Classify an exception raised while talking to SES.

    smtplib reply errors are classified by their reply; a broken, reset or timed-out
    connection is ``CONNECTION_LOST`` (transient); a certificate that fails verification,
    or a server that offers no TLS, is ``TLS_FAILURE`` (permanent: retrying will not
    make the certificate trusted).
    """
    reply = getattr(error, "reply", None)
    if isinstance(reply, Reply):
        return reply
    if isinstance(error, smtplib.SMTPRecipientsRefused) and error.recipients:
        code, text = next(iter(error.recipients.values()))
        return classify(code, text)
    if isinstance(error, smtplib.SMTPResponseException):
        return classify(error.smtp_code, error.smtp_error)
    if isinstance(error, ssl.SSLCertVerificationError):
        reason = getattr(error, "verify_message", None) or error
        return _tls_failure(
            f"TLS certificate verification failed: {reason}",
            "The server's certificate is not trusted; check the host name, and pass cafile "
            "only for a test server such as the simulator.",
        )
    if isinstance(error, (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)):
        return _connection_lost(f"TLS connection closed: {error}")
    if isinstance(error, ssl.SSLError):
        return _tls_failure(
            f"TLS handshake failed: {error}",
            "TLS could not be set up; check the port's TLS mode (STARTTLS on 587/2587/25, "
            "implicit TLS on 465/2465).",
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return _tls_failure(
            f"The server does not support a required extension: {error}",
            "The server did not start TLS; SES always does, so check the host and port (and "
            "anything between you and SES that could strip STARTTLS).",
        )
    if isinstance(error, (smtplib.SMTPServerDisconnected, TimeoutError, socket.timeout)):
        return _connection_lost(str(error) or type(error).__name__)
    if isinstance(error, OSError) and not isinstance(error, smtplib.SMTPException):
        return _connection_lost(f"{type(error).__name__}: {error}")
    return Reply(
        NO_REPLY, f"{type(error).__name__}: {error}", ReplyKind.OTHER_PERMANENT, False, None,
        "An unexpected error; see the message.",
    )  # fmt: skip
