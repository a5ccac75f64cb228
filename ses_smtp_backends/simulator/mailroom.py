"""The simulator's account state and the aiosmtpd hooks that apply SES's rules.

One :class:`Mailroom` per simulator: credentials, verified identities, quotas, the
messages accepted and the events they produced. Hooks run on the server's event-loop
thread; the lock guards what tests read from their own thread.
"""

from __future__ import annotations

import hmac
import mailbox
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from .faults import FaultPlan
from .records import SimulatorEvent, StoredMessage, events_for, message_id_header_for
from .rules import (
    MAX_RECIPIENTS,
    SendingQuota,
    SESReplies,
    delivered_copy,
    duplicate_unique_header,
    identities_to_check,
    is_valid_address,
    is_verified,
    new_message_id,
    parse_tags,
    split_message,
)

if TYPE_CHECKING:
    from .protocol import SESProtocol


class Mailroom:
    def __init__(
        self,
        *,
        region: str,
        username: str,
        password: str,
        verified_identities: Sequence[str],
        sandbox: bool,
        quota: SendingQuota,
        max_message_size: int,
        max_connections: int | None,
        maildir: str | Path | None,
        store: bool = True,
    ) -> None:
        self.region = region
        self._username = username.encode("utf-8")
        self._password = password.encode("utf-8")
        self.verified_identities = tuple(verified_identities)
        self.sandbox = sandbox
        self.quota = quota
        self.max_message_size = max_message_size
        self.max_connections = max_connections
        self.faults = FaultPlan()
        self.lock = threading.Lock()
        self.messages: list[StoredMessage] = []
        self.events: list[SimulatorEvent] = []
        self.connections: set[SESProtocol] = set()
        self.connections_total = 0
        self.logins = 0
        self.accepted_total = 0
        self.throttled_total = 0
        self.protocol_errors = 0
        self.rejected: list[tuple[str, tuple[str, ...], str]] = []
        self.store = store
        self._maildir = mailbox.Maildir(maildir, create=True) if maildir is not None else None

    # --- connections -------------------------------------------------------------------

    def connection_opened(self, protocol: SESProtocol) -> bool:
        """Register a connection; False when it is over ``max_connections``."""
        with self.lock:
            self.connections.add(protocol)
            self.connections_total += 1
            return self.max_connections is None or len(self.connections) <= self.max_connections

    def connection_closed(self, protocol: SESProtocol) -> None:
        with self.lock:
            self.connections.discard(protocol)

    # --- AUTH ------------------------------------------------------------------------------

    def authenticate(
        self, server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        """Accept the access key ID with the SMTP password derived for this region."""
        if isinstance(data, LoginPassword) and (
            hmac.compare_digest(data.login, self._username)
            and hmac.compare_digest(data.password, self._password)
        ):
            with self.lock:
                self.logins += 1
            return AuthResult(success=True, auth_data=data.login, message=SESReplies.AUTHENTICATED)
        return AuthResult(success=False, handled=False, message=SESReplies.INVALID_CREDENTIALS)

    # --- aiosmtpd hooks -----------------------------------------------------------------

    async def handle_MAIL(
        self, server: SESProtocol, session: Session, envelope: Envelope, address: str,
        options: list[str],
    ) -> str:  # fmt: skip
        if not is_valid_address(address):
            return SESReplies.invalid_sender(address)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return SESReplies.OK

    async def handle_RCPT(
        self, server: SESProtocol, session: Session, envelope: Envelope, address: str,
        options: list[str],
    ) -> str:  # fmt: skip
        if not is_valid_address(address):
            return SESReplies.invalid_recipient(address)
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(options)
        return SESReplies.OK

    async def handle_DATA(self, server: SESProtocol, session: Session, envelope: Envelope) -> str:
        fault = self.faults.take("END_OF_DATA")
        if fault is not None:
            if fault.reply is None:
                server.drop()
                return SESReplies.OK  # never sent: the connection is gone
            return fault.reply
        reply = self.accept(
            envelope.mail_from or "", envelope.rcpt_tos, envelope.original_content or b""
        )
        if not reply.startswith("250"):
            with self.lock:
                self.rejected.append((envelope.mail_from or "", tuple(envelope.rcpt_tos), reply))
        if reply.startswith("250") and self.faults.take("AFTER_END_OF_DATA") is not None:
            server.drop()  # stored, but the client never learns it
        return reply

    # --- SES's decision at the end of DATA ------------------------------------------------

    def accept(self, envelope_from: str, recipients: Sequence[str], data: bytes) -> str:
        """Apply SES's checks to one message; store it and return SES's reply."""
        if len(data) > self.max_message_size:
            return SESReplies.MESSAGE_TOO_LONG
        if len(recipients) > MAX_RECIPIENTS:
            return SESReplies.TOO_MANY_RECIPIENTS
        headers, rest = split_message(data)
        duplicate = duplicate_unique_header(headers)
        if duplicate is not None:
            return SESReplies.duplicate_header(duplicate)
        checked = identities_to_check(envelope_from, headers, recipients, self.sandbox)
        unverified = [a for a in checked if not is_verified(a, self.verified_identities)]
        if unverified:
            return SESReplies.not_verified(self.region, unverified)
        with self.lock:
            throttled = self.quota.spend(recipients)
            if throttled is not None:
                self.throttled_total += 1
        if throttled is not None:
            return throttled

        message_id = new_message_id()
        message_id_header = message_id_header_for(message_id, self.region)
        ses_headers = {h.name.strip().lower(): h.value for h in headers}
        stored = StoredMessage(
            envelope_from=envelope_from,
            recipients=tuple(recipients),
            data=delivered_copy(headers, rest, message_id_header),
            raw=data,
            message_id=message_id,
            message_id_header=message_id_header,
            configuration_set=ses_headers.get("x-ses-configuration-set"),
            tags=parse_tags(ses_headers.get("x-ses-message-tags", "")),
        )
        with self.lock:
            self.accepted_total += 1
            if self.store:
                self.messages.append(stored)
            for recipient in recipients if self.store else ():
                self.events.extend(events_for(recipient, message_id))
            if self._maildir is not None:
                self._maildir.add(stored.data)
        return SESReplies.accepted(message_id)

    def count_protocol_error(self) -> None:
        with self.lock:
            self.protocol_errors += 1

    def clear(self) -> None:
        with self.lock:
            self.messages.clear()
            self.events.clear()
            self.rejected.clear()
        self.faults.clear()
