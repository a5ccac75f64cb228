"""An SES-like SMTP server for tests: ``pip install "ses-smtp-backends[simulator]"``.

>>> from ses_smtp_backends.simulator import SESSimulator, SESReplies
"""

from __future__ import annotations

try:
    import aiosmtpd  # noqa: F401
    import trustme  # noqa: F401
except ImportError as error:  # pragma: no cover - exercised by the partial-install env
    raise ImportError(
        'The SES simulator needs aiosmtpd and trustme: pip install "ses-smtp-backends[simulator]"'
    ) from error

from .faults import DROP_STAGES, REPLY_STAGES, Fault
from .records import SimulatorEvent, StoredMessage
from .rules import SESReplies
from .server import EXAMPLE_ACCESS_KEY_ID, EXAMPLE_SECRET_ACCESS_KEY, SESSimulator

__all__ = [
    "DROP_STAGES",
    "EXAMPLE_ACCESS_KEY_ID",
    "EXAMPLE_SECRET_ACCESS_KEY",
    "REPLY_STAGES",
    "Fault",
    "SESReplies",
    "SESSimulator",
    "SimulatorEvent",
    "StoredMessage",
]
