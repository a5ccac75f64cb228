"""Send mail through the Amazon SES SMTP interface with SES's failure semantics.

>>> from ses_smtp_backends import SESConfig, Sender
"""

from __future__ import annotations

from .config import SESConfig
from .credentials import smtp_password
from .endpoints import endpoint_for
from .exceptions import (
    SESAccessDeniedError,
    SESAuthenticationError,
    SESConfigurationError,
    SESConnectionError,
    SESDailyQuotaError,
    SESError,
    SESIdentityNotVerifiedError,
    SESInvalidAddressError,
    SESInvalidMessageError,
    SESMessageRejectedError,
    SESMessageTooLargeError,
    SESPermanentError,
    SESRecipientsRefused,
    SESRetriesExhausted,
    SESThrottlingError,
    SESTransientError,
)
from .receipt import Receipt
from .replies import Reply, ReplyKind, classify, classify_exception
from .retry import RetryPolicy
from .sender import Hooks, Sender

__all__ = [
    "Hooks",
    "Receipt",
    "Reply",
    "ReplyKind",
    "RetryPolicy",
    "SESAccessDeniedError",
    "SESAuthenticationError",
    "SESConfig",
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
    "Sender",
    "classify",
    "classify_exception",
    "endpoint_for",
    "smtp_password",
]
__version__ = "0.1.0.dev0"
