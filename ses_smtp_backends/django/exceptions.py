"""Errors as Django users catch them.

Send errors stay the core's smtplib-based exceptions. The ones that mean "your
configuration is wrong" (bad or missing credentials, TLS, IAM permission, an account not
signed up for SES) are also ``ImproperlyConfigured``, so they fail loudly the way Django
reports a misconfiguration.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from ..exceptions import SESAccessDeniedError, SESAuthenticationError, SESError, SESPermanentError
from ..replies import ReplyKind

try:  # Django 6.1+: the error for a bad MAILERS entry
    from django.core.mail import InvalidMailer
except ImportError:  # older Django has no MAILERS
    InvalidMailer = ImproperlyConfigured


class SESAuthenticationConfigurationError(SESAuthenticationError, ImproperlyConfigured):
    """530/535: credentials missing or wrong, TLS missing, account not signed up."""


class SESAccessDeniedConfigurationError(SESAccessDeniedError, ImproperlyConfigured):
    """554 Access denied: the IAM user may not send as this identity."""


class SESTLSConfigurationError(SESPermanentError, ImproperlyConfigured):
    """The server's certificate is not trusted, or TLS cannot be set up on this port."""


def for_django(error: SESError) -> SESError:
    """The same error, as the class that is also ``ImproperlyConfigured`` when it is one
    of the configuration family; other errors are returned as they are."""
    already_converted: bool = isinstance(error, ImproperlyConfigured)
    if already_converted:
        return error
    if isinstance(error, SESAuthenticationError):
        cls: type[SESError] = SESAuthenticationConfigurationError
    elif isinstance(error, SESAccessDeniedError):
        cls = SESAccessDeniedConfigurationError
    elif error.kind is ReplyKind.TLS_FAILURE:
        cls = SESTLSConfigurationError
    else:
        return error
    converted = cls(error.reply, error.detail)
    converted.stage = error.stage
    converted.__cause__ = error.__cause__
    return converted


__all__ = [
    "InvalidMailer",
    "SESAccessDeniedConfigurationError",
    "SESAuthenticationConfigurationError",
    "SESTLSConfigurationError",
    "for_django",
]
