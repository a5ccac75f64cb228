"""What the simulator records: accepted messages and the events SES would publish."""

from __future__ import annotations

import email
import email.message
import email.policy
from dataclasses import dataclass, field

from ..endpoints import message_id_domain
from .rules import is_mailbox_simulator

# --- the mailbox simulator -----------------------------------------------------------


@dataclass(frozen=True)
class SimulatorEvent:
    """A notification SES would publish for one recipient (SNS / event destination)."""

    type: str  # "Delivery", "Bounce" or "Complaint"
    recipient: str
    message_id: str
    bounce_type: str | None = None  # "Permanent" for the mailbox simulator's bounces
    bounce_subtype: str | None = None  # "General" or "OnSuppressionList"
    complaint_feedback_type: str | None = None  # "abuse"
    diagnostic_code: str | None = None
    detail: str | None = None


def events_for(recipient: str, message_id: str) -> list[SimulatorEvent]:
    """The events a recipient produces: mailbox simulator scenarios, else a delivery."""
    if not is_mailbox_simulator(recipient):
        return [SimulatorEvent("Delivery", recipient, message_id)]
    scenario = recipient.lower().partition("@")[0].partition("+")[0]
    if scenario in ("success", "ooto"):
        detail = "out-of-the-office auto reply sent to the sender" if scenario == "ooto" else None
        return [SimulatorEvent("Delivery", recipient, message_id, detail=detail)]
    if scenario == "complaint":
        return [
            SimulatorEvent("Delivery", recipient, message_id),
            SimulatorEvent("Complaint", recipient, message_id, complaint_feedback_type="abuse"),
        ]
    if scenario == "suppressionlist":
        return [
            SimulatorEvent(
                "Bounce", recipient, message_id, bounce_type="Permanent",
                bounce_subtype="OnSuppressionList",
                detail="SES did not send the message: the address is on the suppression list",
            )
        ]  # fmt: skip
    # bounce@ and any unknown simulator mailbox: a hard bounce from the receiving server.
    return [
        SimulatorEvent(
            "Bounce", recipient, message_id, bounce_type="Permanent", bounce_subtype="General",
            diagnostic_code="smtp; 550 5.1.1 user unknown",
        )
    ]  # fmt: skip


# --- stored messages -----------------------------------------------------------------


@dataclass(frozen=True)
class StoredMessage:
    """One message SES accepted, as the simulator recorded it."""

    envelope_from: str
    recipients: tuple[str, ...]
    data: bytes  # as delivered: X-SES-* headers removed, Message-ID set by SES
    raw: bytes  # exactly as the client sent it
    message_id: str
    message_id_header: str
    configuration_set: str | None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def message(self) -> email.message.EmailMessage:
        """The delivered copy parsed with :mod:`email` (modern policy)."""
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        return parsed


def message_id_header_for(message_id: str, region: str) -> str:
    return f"<{message_id}@{message_id_domain(region)}>"
