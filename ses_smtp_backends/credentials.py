"""SES SMTP credentials: derive the SMTP password from an IAM secret access key.

SES does not take an IAM secret access key as the SMTP password. The password is a
signature of the fixed string ``SendRawEmail`` made with the secret key, scoped to one
region (SigV4 style). Pasting the raw secret instead is the most common cause of
``535 Authentication Credentials Invalid``, so this module can also tell the shapes apart.

>>> smtp_password("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
'BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from .endpoints import validate_region

__all__ = ["PasswordShape", "legacy_smtp_password", "password_shape", "smtp_password"]

# Fixed inputs of the derivation, from the SES Developer Guide ("Obtaining Amazon SES
# SMTP credentials", the Python script). The date is a constant, not a real date.
_DATE = "11111111"
_SERVICE = "ses"
_TERMINAL = "aws4_request"
_MESSAGE = "SendRawEmail"
_VERSION_V4 = b"\x04"
_VERSION_V2 = b"\x02"

_BASE64_44 = re.compile(r"[A-Za-z0-9+/]{43}=?|[A-Za-z0-9+/]{44}")
_IAM_SECRET = re.compile(r"[A-Za-z0-9+/]{40}")


def _sign(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def smtp_password(secret_access_key: str, region: str) -> str:
    """Return the SES SMTP password (version 4) for ``secret_access_key`` in ``region``.

    The result is 44 characters long and starts with ``B``. Passwords are per region: the
    one derived for us-east-1 is refused by eu-west-1.
    """
    if not secret_access_key:
        raise ValueError("secret_access_key is empty; pass the IAM secret access key")
    validate_region(region)
    signature = _sign(("AWS4" + secret_access_key).encode("utf-8"), _DATE)
    for part in (region, _SERVICE, _TERMINAL, _MESSAGE):
        signature = _sign(signature, part)
    return base64.b64encode(_VERSION_V4 + signature).decode("ascii")


def legacy_smtp_password(secret_access_key: str) -> str:
    """Return the legacy (version 2, pre-2019) SMTP password for ``secret_access_key``.

    Only for recognising old credentials: SES throttles them harder
    (``454 Throttling failure: Maximum SigV2 SMTP sending rate exceeded``).
    """
    signature = hmac.new(
        secret_access_key.encode("utf-8"), _MESSAGE.encode("utf-8"), hashlib.sha256
    ).digest()
    return base64.b64encode(_VERSION_V2 + signature).decode("ascii")


class PasswordShape:
    """What a configured SMTP password looks like (see :func:`password_shape`)."""

    V4 = "v4"  #: a current SES SMTP password: 44 characters starting with "B"
    V2 = "v2"  #: a legacy SES SMTP password: 44 characters starting with "A"
    IAM_SECRET = "iam-secret"  # noqa: S105 - a label, not a secret  #: 40 characters: an IAM secret access key, not a password
    UNKNOWN = "unknown"  #: none of the above


def password_shape(password: str) -> str:
    """Classify ``password`` by shape only (no network): one of :class:`PasswordShape`.

    An IAM secret access key is 40 base64-ish characters; an SES SMTP password is the
    base64 of 33 bytes (44 characters) whose first byte is the version, so it starts with
    ``B`` (version 4) or ``A`` (version 2).
    """
    if _IAM_SECRET.fullmatch(password):
        return PasswordShape.IAM_SECRET
    if len(password) == 44 and _BASE64_44.fullmatch(password):
        try:
            version = base64.b64decode(password, validate=True)[:1]
        except ValueError:
            return PasswordShape.UNKNOWN
        if version == _VERSION_V4:
            return PasswordShape.V4
        if version == _VERSION_V2:
            return PasswordShape.V2
    return PasswordShape.UNKNOWN
