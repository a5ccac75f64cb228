"""Send mail through the Amazon SES SMTP interface with SES's failure semantics."""

from __future__ import annotations

from .credentials import smtp_password
from .endpoints import endpoint_for

__all__ = ["endpoint_for", "smtp_password"]
__version__ = "0.1.0.dev0"
