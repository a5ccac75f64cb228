"""Signals sent by ``ses_smtp_backends.django.EmailBackend`` (``sender`` is the backend class)."""

from __future__ import annotations

from django.dispatch import Signal

#: SES accepted a message. Arguments: ``message`` (the EmailMessage), ``receipt``.
message_sent = Signal()

#: A message was given up (permanent error or retries exhausted). Arguments: ``message``,
#: ``error`` (an SESError). Sent whether or not ``fail_silently`` swallows the error.
message_failed = Signal()

#: A transient failure; the message will be retried. Arguments: ``message``, ``error``,
#: ``attempt`` (the attempt that failed, from 1), ``wait`` (seconds before the next one).
message_retrying = Signal()
