"""The envelope and bytes of a message, checked and prepared before any byte is sent.

SES has no SMTPUTF8 (the local part of every address must be ASCII; domains go as
IDNA), takes at most 50 recipients per message, and reads ``X-SES-CONFIGURATION-SET``
and ``X-SES-MESSAGE-TAGS`` from the message (SES_FACTS section 5).
"""

from __future__ import annotations

import copy
import email.generator
import email.message
import email.policy
import email.utils
import io
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from .exceptions import SESInvalidAddressError, SESInvalidMessageError, SESMessageTooLargeError
from .replies import Reply, ReplyKind

__all__ = [
    "MAX_LINE",
    "MAX_MESSAGE_SIZE",
    "MAX_RECIPIENTS",
    "add_ses_headers",
    "batches",
    "check_message",
    "clean_envelope",
    "message_envelope",
]

#: SES refuses a message to more than 50 recipients (To + Cc + Bcc).
MAX_RECIPIENTS = 50
#: SES's size limit for SMTP, after encoding (SES_FACTS section 5).
MAX_MESSAGE_SIZE = 40 * 1024 * 1024
#: RFC 5322 section 2.1.1: a line is at most 998 octets plus CRLF.
MAX_LINE = 998

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_BARE_LF = re.compile(rb"(?<!\r)\n")


def _refuse(role: str, problem: str, fix: str) -> SESInvalidAddressError:
    # The address itself stays out of the text (it is personal data); the caller knows
    # which one it passed from the role and position.
    reply = Reply(553, f"{role} {problem}", ReplyKind.INVALID_ADDRESS, False, None, fix)
    return SESInvalidAddressError(reply, "refused before sending")


def clean_address(address: object, role: str) -> str:
    """Return ``address`` ready for the envelope (IDNA domain), or raise a clear error."""
    if not isinstance(address, str):
        raise _refuse(role, f"is a {type(address).__name__}", "pass the address as a string")
    if any(c in address for c in "\r\n\0"):
        raise _refuse(role, "contains a line break or NUL", "remove CR/LF from the address")
    address = address.strip()
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain:
        raise _refuse(role, "is not an email address", "use the form name@example.com")
    if not local.isascii():
        raise _refuse(
            role,
            "has a non-ASCII local part",
            "SES has no SMTPUTF8: use an ASCII address before the @",
        )
    if any(c.isspace() for c in address) or "<" in address or ">" in address:
        raise _refuse(role, "contains spaces or angle brackets", "pass the bare address only")
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            raise _refuse(role, "has a domain IDNA cannot encode", "fix the domain") from None
    return f"{local}@{domain}"


def clean_envelope(from_addr: object, to_addrs: object) -> tuple[str, list[str]]:
    """Check the sender and recipients; one recipient may be given as a plain string."""
    if isinstance(to_addrs, str):
        to_addrs = [to_addrs]
    if not isinstance(to_addrs, Iterable):
        raise _refuse("recipients", "are not a list", "pass a list of addresses")
    recipients = list(to_addrs)
    if not recipients:
        raise _refuse("recipients", "are empty", "give at least one recipient")
    cleaned = [
        clean_address(r, f"recipient {n} of {len(recipients)}") for n, r in enumerate(recipients, 1)
    ]
    return clean_address(from_addr, "sender"), list(dict.fromkeys(cleaned))


def batches(recipients: Sequence[str], size: int = MAX_RECIPIENTS) -> Iterator[list[str]]:
    for start in range(0, len(recipients), size):
        yield list(recipients[start : start + size])


def check_message(data: bytes) -> None:
    """Refuse, before sending, a message SES would refuse after receiving all of it."""
    if len(data) > MAX_MESSAGE_SIZE:
        reply = Reply(
            552, f"Message is too long ({len(data)} bytes; SES takes at most 40 MB).",
            ReplyKind.MESSAGE_TOO_LONG, False, None,
            "Send smaller attachments, or links to the files instead.",
        )  # fmt: skip
        raise SESMessageTooLargeError(reply, "refused before sending")
    longest = max((len(line.rstrip(b"\r")) for line in data.split(b"\n")), default=0)
    if longest > MAX_LINE:
        reply = Reply(
            554, f"a line of the message has {longest} octets; SMTP allows {MAX_LINE}",
            ReplyKind.TRANSACTION_FAILED, False, None,
            "Encode long lines (quoted-printable or base64), as email.message.EmailMessage does.",
        )  # fmt: skip
        raise SESInvalidMessageError(reply, "refused before sending")


def add_ses_headers(data: bytes, configuration_set: str | None, tags: Mapping[str, str]) -> bytes:
    """Put ``X-SES-CONFIGURATION-SET`` / ``X-SES-MESSAGE-TAGS`` on top unless present, and
    make every line end in CRLF as SMTP requires."""
    data = _BARE_LF.sub(b"\r\n", data)
    end = _HEADER_END.search(data)
    header_block = data[: end.start()] if end else data
    present = {
        line.split(b":", 1)[0].strip().lower()
        for line in header_block.split(b"\r\n")
        if line[:1] not in (b" ", b"\t") and b":" in line
    }
    extra = b""
    if configuration_set and b"x-ses-configuration-set" not in present:
        extra += b"X-SES-CONFIGURATION-SET: " + configuration_set.encode("ascii") + b"\r\n"
    if tags and b"x-ses-message-tags" not in present:
        value = ", ".join(f"{name}={value}" for name, value in tags.items())
        extra += b"X-SES-MESSAGE-TAGS: " + value.encode("ascii") + b"\r\n"
    return extra + data


def message_envelope(message: email.message.Message) -> tuple[str, list[str], bytes]:
    """Sender, recipients and wire bytes of an ``email`` message, as smtplib's
    ``send_message`` derives them: Sender or From; To, Cc and Bcc; Bcc not transmitted."""
    senders = email.utils.getaddresses(message.get_all("Sender", []) or message.get_all("From", []))
    if not senders or not senders[0][1]:
        raise _refuse("sender", "is missing", "set a From header (or pass from_addr)")
    fields = [v for name in ("To", "Cc", "Bcc") for v in message.get_all(name, [])]
    recipients = [address for _, address in email.utils.getaddresses(fields) if address]
    without_bcc = copy.copy(message)
    del without_bcc["Bcc"]
    del without_bcc["Resent-Bcc"]
    buffer = io.BytesIO()
    policy = message.policy.clone(linesep="\r\n")
    email.generator.BytesGenerator(buffer, mangle_from_=False, policy=policy).flatten(
        without_bcc, linesep="\r\n"
    )
    return senders[0][1], recipients, buffer.getvalue()
