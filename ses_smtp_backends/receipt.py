"""``Receipt``: what SES said about one accepted message."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .endpoints import message_id_domain
from .replies import Reply

__all__ = ["Receipt"]


@dataclass(frozen=True)
class Receipt:
    """An accepted message.

    ``message_id`` is SES's ID from ``250 Ok <id>``: bounce, complaint and delivery
    notifications carry it as ``mail.messageId`` (``None`` only from a server that is not
    SES and gives no ID). ``message_id_header`` is the
    ``Message-ID`` SES puts on the delivered mail (``None`` when the region is unknown,
    e.g. against a test server configured by host only). ``refused`` lists recipients
    SES refused while accepting the others: they were not sent. A message to more than
    50 recipients goes out as several messages, listed in ``message_ids``.
    ``attempts`` counts tries, and ``ambiguous_retries`` the tries whose reply was lost
    after the message was transmitted (those may have produced a duplicate).
    """

    message_id: str | None
    recipients: tuple[str, ...]
    region: str | None = None
    refused: Mapping[str, Reply] = field(default_factory=dict, hash=False)
    attempts: int = 1
    ambiguous_retries: int = 0
    message_ids: tuple[str | None, ...] = ()

    def __post_init__(self) -> None:
        if not self.message_ids:
            object.__setattr__(self, "message_ids", (self.message_id,))

    @property
    def message_id_header(self) -> str | None:
        if self.region is None or self.message_id is None:
            return None
        return f"<{self.message_id}@{message_id_domain(self.region)}>"
