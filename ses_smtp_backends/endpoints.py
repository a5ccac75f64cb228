"""SES SMTP endpoints: host names, ports and the Message-ID domain of a region.

Regions are validated by shape, not against a list, because AWS keeps adding regions
(SES_FACTS section 3).

>>> endpoint_for("eu-west-1")
'email-smtp.eu-west-1.amazonaws.com'
>>> message_id_domain("us-east-1"), message_id_domain("eu-west-1")
('email.amazonses.com', 'eu-west-1.amazonses.com')
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "IMPLICIT_TLS_PORTS",
    "STARTTLS_PORTS",
    "TlsMode",
    "endpoint_for",
    "message_id_domain",
    "tls_mode_for_port",
    "validate_region",
]

TlsMode = Literal["starttls", "implicit"]

#: Ports on which SES expects ``STARTTLS`` after a plaintext greeting.
STARTTLS_PORTS = frozenset({25, 587, 2587})
#: Ports on which SES speaks TLS from the first byte ("TLS wrapper").
IMPLICIT_TLS_PORTS = frozenset({465, 2465})

_REGION = re.compile(r"[a-z]{2}(-gov)?-[a-z]+-\d")


def validate_region(region: str) -> str:
    """Return ``region`` if it has the shape of an AWS region, else raise ``ValueError``."""
    if not isinstance(region, str) or not _REGION.fullmatch(region):
        raise ValueError(
            f"{region!r} is not an AWS region name; expected something like 'us-east-1' "
            "or 'eu-west-1'"
        )
    return region


def endpoint_for(region: str, *, fips: bool = False) -> str:
    """Return the SES SMTP host for ``region`` (the FIPS endpoint when ``fips`` is true)."""
    validate_region(region)
    prefix = "email-smtp-fips" if fips else "email-smtp"
    return f"{prefix}.{region}.amazonaws.com"


def tls_mode_for_port(port: int) -> TlsMode:
    """Return how TLS starts on ``port``: implicit on 465/2465, STARTTLS elsewhere."""
    return "implicit" if port in IMPLICIT_TLS_PORTS else "starttls"


def message_id_domain(region: str) -> str:
    """Return the domain of the ``Message-ID`` header SES puts on mail sent in ``region``.

    Observed, not documented: ``<id>@email.amazonses.com`` in us-east-1 and
    ``<id>@<region>.amazonses.com`` elsewhere.
    """
    validate_region(region)
    return "email.amazonses.com" if region == "us-east-1" else f"{region}.amazonses.com"
