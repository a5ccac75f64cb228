"""What SES decides about a message: the reply texts, the checks at the end of DATA,
sending quotas and the mailbox simulator's events.

Everything here is plain Python with no I/O, so the SMTP protocol code in
``protocol.py`` stays about SMTP and these rules can be read on their own.
Reply texts are SES's own, byte for byte (SES_FACTS section 1).
"""

from __future__ import annotations

import collections
import email.utils
import re
import secrets
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

#: Host name SES uses in its greeting and EHLO reply.
SES_HOSTNAME = "email-smtp.amazonaws.com"
#: Domain of the SES mailbox simulator (SES_FACTS section 6).
MAILBOX_SIMULATOR_DOMAIN = "simulator.amazonses.com"
#: At most this many recipients (To + Cc + Bcc) per message (SES_FACTS section 5).
MAX_RECIPIENTS = 50


class SESReplies:
    """The replies SES gives, for :meth:`SESSimulator.inject` and for assertions.

    >>> SESReplies.MAX_SEND_RATE_EXCEEDED
    '454 Throttling failure: Maximum sending rate exceeded'
    """

    AUTHENTICATED = "235 Authentication successful"
    READY_TO_START_TLS = "220 Ready to start TLS"
    START_DATA = "354 End data with <CR><LF>.<CR><LF>"
    OK = "250 Ok"
    BYE = "221 Bye"
    TOO_MANY_CONNECTIONS = "421 Too many concurrent SMTP connections"
    LOCAL_PROCESSING_ERROR = "451 Temporary service failure"
    TIMEOUT = "451 4.4.2 Timeout waiting for data from client."
    DAILY_QUOTA_EXCEEDED = "454 Throttling failure: Daily message quota exceeded"
    MAX_SEND_RATE_EXCEEDED = "454 Throttling failure: Maximum sending rate exceeded"
    SIGV2_RATE_EXCEEDED = "454 Throttling failure: Maximum SigV2 SMTP sending rate exceeded."
    TEMPORARY_AUTHENTICATION_FAILURE = "454 Temporary authentication failure"
    TEMPORARY_SERVICE_FAILURE = "454 Temporary service failure"
    AUTHENTICATION_REQUIRED = "530 Authentication required"
    TLS_REQUIRED = "530 Must issue a STARTTLS command first"
    INVALID_CREDENTIALS = "535 Authentication Credentials Invalid"
    ACCOUNT_NOT_SUBSCRIBED = "535 Account not subscribed to SES"
    MESSAGE_TOO_LONG = "552 Message is too long."
    EMPTY_SENDER = "501 Invalid MAIL FROM address provided"
    ACCOUNT_PAUSED = (
        "554 Message rejected: Sending paused for this account. For more information, "
        "please check the inbox of the email address associated with your AWS account."
    )
    TOO_MANY_RECIPIENTS = "554 Transaction failed: Recipient count exceeds 50."

    @staticmethod
    def accepted(message_id: str) -> str:
        return f"250 Ok {message_id}"

    @staticmethod
    def invalid_sender(address: str) -> str:
        return f"553 <{address}> Invalid email address"

    @staticmethod
    def invalid_recipient(address: str) -> str:
        return f"553 <{address}> address unknown"

    @staticmethod
    def duplicate_header(name: str) -> str:
        return f"554 Transaction failed: Duplicate header '{name}'."

    @staticmethod
    def not_verified(region: str, identities: Iterable[str]) -> str:
        return (
            "554 Message rejected: Email address is not verified. The following identities "
            f"failed the check in region {region.upper()}: {', '.join(identities)}"
        )

    @staticmethod
    def access_denied(user_arn: str, identity_arn: str) -> str:
        return (
            f"554 Access denied: User {user_arn} is not authorized to perform "
            f"ses:SendRawEmail on resource {identity_arn}"
        )


# Headers that may appear once (RFC 5322 section 3.6 plus the MIME and DKIM headers SES
# lists); a second copy gets "554 Transaction failed: Duplicate header".
UNIQUE_HEADERS = frozenset(
    name.lower()
    for name in (
        "Date", "From", "Sender", "Reply-To", "To", "Cc", "Bcc", "Message-ID",
        "In-Reply-To", "References", "Subject", "MIME-Version", "Content-Type",
        "Content-Transfer-Encoding", "DKIM-Signature",
    )
)  # fmt: skip

_ADDRESS = re.compile(r"[!-~]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+")


def is_valid_address(address: str) -> bool:
    """True for ``local@domain.tld`` with an ASCII local part (SES has no SMTPUTF8)."""
    return bool(_ADDRESS.fullmatch(address)) and address.count("@") == 1


def new_message_id(now_ms: int | None = None) -> str:
    """Return an ID shaped like SES's: ``0100018c...-<uuid>-000000``."""
    if now_ms is None:
        now_ms = time.time_ns() // 1_000_000
    return f"0100{now_ms:012x}-{uuid.uuid4()}-000000"


def greeting_ident() -> str:
    return f"ESMTP SimpleEmailService-d-{secrets.token_hex(10).upper()}"


# --- headers -------------------------------------------------------------------------


@dataclass
class Header:
    name: str
    raw: bytes  # the whole header field including folded lines and the final CRLF

    @property
    def value(self) -> str:
        text = self.raw.decode("utf-8", "replace").split(":", 1)[1]
        return " ".join(text.split())


def split_message(data: bytes) -> tuple[list[Header], bytes]:
    """Split ``data`` into its header fields and the rest (blank line and body)."""
    headers: list[Header] = []
    position = 0
    while position < len(data):
        end = data.find(b"\n", position)
        end = len(data) if end < 0 else end + 1
        line = data[position:end]
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t") and headers:
            headers[-1].raw += line
        elif b":" in line:
            headers.append(Header(line.split(b":", 1)[0].decode("ascii", "replace"), line))
        else:  # not a header: the message has no header/body separator
            break
        position = end
    return headers, data[position:]


def duplicate_unique_header(headers: Sequence[Header]) -> str | None:
    seen: set[str] = set()
    for header in headers:
        key = header.name.strip().lower()
        if key in UNIQUE_HEADERS:
            if key in seen:
                return header.name.strip()
            seen.add(key)
    return None


def parse_tags(value: str) -> dict[str, str]:
    """Parse ``X-SES-MESSAGE-TAGS: name=value, name2=value2``."""
    tags: dict[str, str] = {}
    for item in value.split(","):
        name, _, tag_value = item.partition("=")
        if name.strip():
            tags[name.strip()] = tag_value.strip()
    return tags


def delivered_copy(headers: Sequence[Header], rest: bytes, message_id_header: str) -> bytes:
    """The message as SES delivers it: ``X-SES-*`` headers removed, Message-ID replaced."""
    kept = [
        h.raw
        for h in headers
        if not h.name.strip().lower().startswith("x-ses-")
        and h.name.strip().lower() != "message-id"
    ]
    newline = b"\r\n" if not headers or headers[0].raw.endswith(b"\r\n") else b"\n"
    return b"".join([b"Message-ID: " + message_id_header.encode() + newline, *kept]) + rest


def identities_to_check(
    envelope_from: str, headers: Sequence[Header], recipients: Sequence[str], sandbox: bool
) -> list[str]:
    """Addresses SES checks against the verified identities, in order, without repeats.

    From, Sender and Return-Path (and the envelope sender) always; every recipient in
    the sandbox, except mailbox simulator addresses.
    """
    found = [envelope_from]
    for header in headers:
        if header.name.strip().lower() in ("from", "sender", "return-path"):
            found += [address for _, address in email.utils.getaddresses([header.value])]
    if sandbox:
        found += [r for r in recipients if not is_mailbox_simulator(r)]
    unique: dict[str, None] = {}
    for address in found:
        if address:
            unique.setdefault(address, None)
    return list(unique)


def is_verified(address: str, verified: Iterable[str]) -> bool:
    """An address is verified by itself, by its domain, or by a parent domain."""
    address = address.lower()
    domain = address.rpartition("@")[2]
    for identity in verified:
        identity = identity.lower()
        if address == identity or domain == identity or domain.endswith("." + identity):
            return True
    return False


def is_mailbox_simulator(address: str) -> bool:
    return address.lower().rpartition("@")[2] == MAILBOX_SIMULATOR_DOMAIN


# --- quotas ---------------------------------------------------------------------------


class SendingQuota:
    """SES's sending quotas, counted in recipients (SES_FACTS section 5).

    ``max_send_rate`` is a token bucket holding one second's worth of recipients, so
    short bursts pass as they do on SES; a message larger than the bucket passes when
    the bucket is full. ``daily_quota`` is a rolling 24-hour window. Mailbox simulator
    recipients count against the rate but not the daily quota.
    """

    WINDOW = 24 * 60 * 60.0

    def __init__(
        self,
        max_send_rate: float | None,
        daily_quota: int | None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_send_rate = max_send_rate
        self.daily_quota = daily_quota
        self._clock = clock
        self._tokens = float(max_send_rate or 0)
        self._last = clock()
        self._sent: collections.deque[tuple[float, int]] = collections.deque()

    def spend(self, recipients: Sequence[str]) -> str | None:
        """Spend quota for ``recipients``; return SES's 454 reply if a quota is exhausted."""
        now = self._clock()
        counted = sum(1 for r in recipients if not is_mailbox_simulator(r))
        if self.daily_quota is not None:
            while self._sent and self._sent[0][0] <= now - self.WINDOW:
                self._sent.popleft()
            if sum(n for _, n in self._sent) + counted > self.daily_quota:
                return SESReplies.DAILY_QUOTA_EXCEEDED
        if self.max_send_rate is not None:
            capacity = float(self.max_send_rate)
            self._tokens = min(capacity, self._tokens + (now - self._last) * capacity)
            self._last = now
            if self._tokens < min(len(recipients), capacity) - 1e-9:
                return SESReplies.MAX_SEND_RATE_EXCEEDED
            self._tokens -= len(recipients)
        if counted:
            self._sent.append((now, counted))
        return None
