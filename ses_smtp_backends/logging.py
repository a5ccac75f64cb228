"""``SESHandler``: error mail for stdlib logging that never stalls or breaks the application.

A drop-in for ``logging.handlers.SMTPHandler`` (same constructor, so a ``dictConfig`` entry
only changes ``class``). ``emit()`` formats and queues; a background thread batches records
into few mails, caps floods per hour (counting what it does not mail), retries on SES's full
ladder, and hands whatever it cannot deliver to a ``fallback`` handler and stderr.

    handler = SESHandler(("email-smtp.eu-west-1.amazonaws.com", 587), "app@example.com",
                         ["ops@example.com"], "Errors in app", credentials=("AKIA...", "B..."),
                         region="eu-west-1")
"""

from __future__ import annotations

import collections
import email.message
import email.policy
import email.utils
import logging
import re
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .config import SESConfig, config_from_options
from .exceptions import SESConfigurationError, SESError
from .replies import ReplyKind
from .retry import RetryPolicy
from .sender import Sender

__all__ = ["SESHandler"]

#: Loggers whose records are never mailed: ours, smtplib's, and aiosmtpd's (the
#: simulator). Mailing them could loop: a failing send logs, the log sends.
IGNORED_LOGGERS = ("ses_smtp_backends", "smtplib", "mail.log")
_HOUR = 3600.0
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _encodable(text: str) -> str:
    """``text`` with what UTF-8 cannot carry (lone surrogates) escaped, and no NULs."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8").replace("\x00", "\\x00")


class _Abandoned(Exception):
    """Raised inside a retry wait when close() gives up on delivery."""


@dataclass
class _Counts:
    """Records not mailed since the last mail that reported them."""

    over_cap: int = 0
    dropped: int = 0

    def __bool__(self) -> bool:
        return bool(self.over_cap or self.dropped)

    def describe(self) -> str:
        parts = []
        if self.over_cap:
            parts.append(f"{self.over_cap} over the hourly mail cap")
        if self.dropped:
            parts.append(f"{self.dropped} dropped because the queue was full")
        return (
            f"{self.over_cap + self.dropped} log record(s) were counted, not mailed: "
            + ", ".join(parts)
            + "."
        )


@dataclass
class _State:
    queue: collections.deque[logging.LogRecord]
    counts: _Counts = field(default_factory=_Counts)
    sent_at: collections.deque[float] = field(default_factory=collections.deque)
    busy: bool = False
    closing: bool = False
    flushing: bool = False


class SESHandler(logging.Handler):
    """Mail log records through SES from a background thread.

    Compatible with ``SMTPHandler(mailhost, fromaddr, toaddrs, subject, credentials=None,
    secure=None, timeout=...)``: ``mailhost`` is ``host`` or ``(host, port)`` (optional when
    ``region`` is given), ``credentials`` is ``(username, password)``. TLS is always used
    and verified, whatever ``secure`` says (it is accepted for compatibility).

    Records arriving within ``batch_interval`` seconds go out as one mail (at most
    ``max_batch`` records). After ``max_emails_per_hour`` mails in an hour, records are
    counted instead; the next mail reports the counts, and ``close()`` always sends a
    summary. A full queue (``queue_size``) drops its oldest record and counts it.
    Transient failures are retried on SES's ladder (5, 10, 30, 1200 s, repeated);
    permanent ones are reported on stderr once per kind, and the records go to
    ``fallback`` (a handler, or the name of one). ``flush()`` / ``close()`` wait up to
    ``flush_timeout`` seconds for delivery.
    """

    #: How the worker waits between retries (None: a wait that close() interrupts) and
    #: reads time; tests replace these.
    sleep: Callable[[float], None] | None = None
    clock: Callable[[], float] = staticmethod(time.monotonic)

    def __init__(
        self,
        mailhost: str | tuple[str, int] | None = None,
        fromaddr: str | None = None,
        toaddrs: str | Sequence[str] | None = None,
        subject: str = "Log records",
        credentials: tuple[str, str] | None = None,
        secure: tuple[Any, ...] | None = None,
        timeout: float = 30.0,
        *,
        region: str | None = None,
        config: SESConfig | None = None,
        batch_interval: float = 10.0,
        max_batch: int = 100,
        max_emails_per_hour: int = 20,
        queue_size: int = 10_000,
        flush_timeout: float = 15.0,
        fallback: logging.Handler | str | None = None,
        retry: RetryPolicy | dict[str, Any] | None = None,
        cafile: str | None = None,
        level: int | str = logging.NOTSET,
    ) -> None:
        super().__init__(level)
        if not fromaddr:
            raise SESConfigurationError("fromaddr", "is required: the sender address of the mails")
        recipients = [toaddrs] if isinstance(toaddrs, str) else list(toaddrs or ())
        if not recipients:
            raise SESConfigurationError("toaddrs", "is required: who receives the log mails")
        for name, value in (("batch_interval", batch_interval), ("flush_timeout", flush_timeout)):
            if not isinstance(value, (int, float)) or value < 0:
                raise SESConfigurationError(name, f"{value!r}: give seconds >= 0")
        for name, value in (("max_batch", max_batch), ("max_emails_per_hour", max_emails_per_hour),
                            ("queue_size", queue_size)):  # fmt: skip
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise SESConfigurationError(name, f"{value!r}: give a whole number >= 1")
        self.config = config or _config(mailhost, credentials, timeout, region, retry, cafile)
        self.fromaddr = fromaddr
        self.toaddrs = recipients
        self.subject = subject
        self.mailhost = mailhost
        self.credentials = credentials  # kept for compatibility; never printed
        self.secure = secure
        self.timeout = timeout
        self.batch_interval = float(batch_interval)
        self.max_batch = max_batch
        self.max_emails_per_hour = max_emails_per_hour
        self.flush_timeout = float(flush_timeout)
        self.fallback = fallback
        self._state = _State(collections.deque(maxlen=queue_size))
        self._changed = threading.Condition()
        self._reported_kinds: set[ReplyKind] = set()
        self._worker: threading.Thread | None = None
        self._sender: Sender | None = None
        self._give_up_at: float | None = None
        self._close_requested = threading.Event()

    def __repr__(self) -> str:
        return (
            f"<SESHandler {self.config.host}:{self.config.port} to {len(self.toaddrs)} address(es)>"
        )

    def getSubject(self, record: logging.LogRecord) -> str:
        """The subject for a mail whose first record is ``record`` (override to change)."""
        return self.subject

    # --- the application side -----------------------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        """Queue ``record``; never blocks on the network, never raises."""
        if record.name.startswith(IGNORED_LOGGERS) or threading.current_thread() is self._worker:
            return
        try:
            # Format now, as QueueHandler does: the arguments may change after emit returns,
            # and a traceback would keep every frame alive. The text stays in exc_text.
            self.format(record)
            record.msg, record.args, record.exc_info = record.getMessage(), None, None
            with self._changed:
                if self._state.closing:
                    raise RuntimeError("SESHandler is closed")
                queue = self._state.queue
                if len(queue) == queue.maxlen:
                    self._state.counts.dropped += 1  # the deque drops the oldest record
                queue.append(record)
                self._start_worker()
                self._changed.notify_all()
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        """Send what is queued now, waiting up to ``flush_timeout`` seconds."""
        with self._changed:
            if self._worker is None:
                return
            self._state.flushing = True
            self._changed.notify_all()
            self._changed.wait_for(
                lambda: not self._state.queue and not self._state.busy, timeout=self.flush_timeout
            )
            self._state.flushing = False

    def close(self) -> None:
        """Deliver what is queued (and a summary of what was not mailed) within
        ``flush_timeout``; what still cannot be delivered goes to ``fallback`` and stderr."""
        with self._changed:
            already = self._state.closing
            self._state.closing = True
            self._give_up_at = time.monotonic() + self.flush_timeout
            self._close_requested.set()
            self._changed.notify_all()
            worker = self._worker
        if not already and worker is not None:
            worker.join(self.flush_timeout + 1.0)
        with self._changed:
            leftover = list(self._state.queue)
            self._state.queue.clear()
        if leftover:
            self._report(f"{len(leftover)} log record(s) not mailed before close", None, leftover)
        super().close()

    def _start_worker(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._run, name="ses-log-mailer", daemon=True)
            self._worker.start()

    # --- the worker side ------------------------------------------------------------------

    def _run(self) -> None:
        self._sender = Sender(self.config, sleep=self._wait, clock=self.clock)
        try:
            while True:
                batch, counts, last_allowed = self._next_batch()
                if batch is None:
                    break
                self._deliver(batch, counts, last_allowed)
        finally:
            self._sender.close()

    def _next_batch(self) -> tuple[list[logging.LogRecord] | None, _Counts, bool]:
        """Wait for records and the batch window; apply the hourly cap."""
        state = self._state
        with self._changed:
            self._changed.wait_for(lambda: state.queue or state.closing)
            if state.queue and not state.closing and not state.flushing:
                deadline = time.monotonic() + self.batch_interval
                self._changed.wait_for(
                    lambda: len(state.queue) >= self.max_batch or state.closing or state.flushing,
                    timeout=max(0.0, deadline - time.monotonic()),
                )
            batch = [state.queue.popleft() for _ in range(min(self.max_batch, len(state.queue)))]
            now = self.clock()
            while state.sent_at and state.sent_at[0] <= now - _HOUR:
                state.sent_at.popleft()
            if not batch:  # closing with nothing queued: a last summary if anything was counted
                counts, state.counts = state.counts, _Counts()
                return ([] if counts else None), counts, False
            if len(state.sent_at) >= self.max_emails_per_hour:
                state.counts.over_cap += len(batch)
                self._changed.notify_all()
                return [], _Counts(), False  # counted, nothing to mail
            state.busy = True
            counts, state.counts = state.counts, _Counts()
            last_allowed = len(state.sent_at) == self.max_emails_per_hour - 1
            return batch, counts, last_allowed

    def _deliver(self, batch: list[logging.LogRecord], counts: _Counts, last_allowed: bool) -> None:
        if not batch and not counts:
            return
        assert self._sender is not None
        try:
            self._sender.send_message(self._compose(batch, counts, last_allowed))
        except SESError as error:
            self._report(f"could not mail {len(batch)} log record(s)", error, batch)
        except _Abandoned:
            self._report(f"gave up mailing {len(batch)} log record(s) at close", None, batch)
        except Exception as error:  # a bug must not kill the worker and lose what follows
            self._report(f"could not mail {len(batch)} log record(s) ({error!r})", None, batch)
        else:
            with self._changed:
                self._state.sent_at.append(self.clock())
        finally:
            with self._changed:
                self._state.busy = False
                self._changed.notify_all()

    def _wait(self, seconds: float) -> None:
        """The retry wait. close() cuts it short; after that, waits are bounded by what is
        left of ``flush_timeout``, and then delivery is abandoned."""
        closing = self._give_up_at is not None
        if not closing:
            if self.sleep is not None:
                self.sleep(seconds)
                return
            if not self._close_requested.wait(seconds):
                return
        assert self._give_up_at is not None
        remaining = self._give_up_at - time.monotonic()
        if remaining <= 0:
            raise _Abandoned
        if closing:
            (self.sleep or time.sleep)(min(seconds, remaining))

    def _compose(
        self, batch: list[logging.LogRecord], counts: _Counts, last_allowed: bool
    ) -> email.message.EmailMessage:
        message = email.message.EmailMessage(policy=email.policy.SMTP)
        message["From"] = self.fromaddr
        message["To"] = ", ".join(self.toaddrs)
        message["Date"] = email.utils.formatdate(localtime=True)
        parts = []
        if counts:
            parts.append(counts.describe())
        if batch:
            first = batch[0]
            lines = first.getMessage().splitlines()
            summary = _CONTROL.sub(" ", lines[0][:100]) if lines else first.levelname
            more = f" (+{len(batch) - 1} more)" if len(batch) > 1 else ""
            message["Subject"] = _encodable(f"{self.getSubject(first)}: {summary}{more}")
            parts.extend(_encodable(self.format(record)) for record in batch)
        else:
            message["Subject"] = f"{self.subject}: summary of log records not mailed"
        if last_allowed:
            parts.append(
                f"This is the last mail allowed this hour (max_emails_per_hour="
                f"{self.max_emails_per_hour}); further records are being counted, not mailed."
            )
        message.set_content(("\n\n" + "-" * 72 + "\n\n").join(parts) + "\n")
        return message

    def _report(self, what: str, error: SESError | None, records: list[logging.LogRecord]) -> None:
        """stderr once per kind of failure, and every record to the fallback handler."""
        kind = error.kind if error is not None else None
        if kind is None or kind not in self._reported_kinds:
            if kind is not None:
                self._reported_kinds.add(kind)
            detail = f": {error.reply}\nHint: {error.hint}" if error is not None else ""
            sys.stderr.write(f"--- SESHandler {what}{detail}\n")
        fallback = self._fallback()
        for record in records:
            if fallback is not None:
                try:
                    fallback.handle(record)
                except Exception:
                    self.handleError(record)

    def _fallback(self) -> logging.Handler | None:
        if isinstance(self.fallback, str):
            found = logging._handlers.get(self.fallback)  # type: ignore[attr-defined]
            return found if isinstance(found, logging.Handler) else None
        return self.fallback


def _config(
    mailhost: str | tuple[str, int] | None,
    credentials: tuple[str, str] | None,
    timeout: float,
    region: str | None,
    retry: RetryPolicy | dict[str, Any] | None,
    cafile: str | None,
) -> SESConfig:
    options: dict[str, Any] = {
        "region": region,
        "timeout": timeout,
        "cafile": cafile,
        "retry": retry,
    }
    if isinstance(mailhost, (tuple, list)):
        options["host"], options["port"] = mailhost
    elif mailhost:
        options["host"] = mailhost
    if credentials:
        options["username"], options["password"] = credentials
    # A log mail can wait: the worker retries on SES's full ladder, without end.
    return config_from_options(
        {k: v for k, v in options.items() if v is not None}, RetryPolicy.ses()
    )
