"""``Sender``: the one send path every adapter uses.

It checks the envelope, keeps under the sending rate, sends through a small pool of
SES connections, retries transient failures on the policy's ladder, raises permanent
ones at once, and returns a :class:`Receipt` with SES's message ID.
"""

from __future__ import annotations

import email.message
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

from .config import SESConfig
from .envelope import add_ses_headers, batches, check_message, clean_envelope, message_envelope
from .exceptions import SESConnectionError, SESError
from .ratelimit import Limiter, RateLimiter
from .receipt import Receipt
from .replies import Reply
from .retry import call_with_retry
from .transport import Transaction, Transport

__all__ = ["Hooks", "Sender"]

T = TypeVar("T")
R = TypeVar("R")

log = logging.getLogger(__name__)

#: What ``send_many`` takes: an ``email`` message, or ``(from_addr, to_addrs, data)``.
Item = email.message.Message | tuple[str, Sequence[str], bytes]


@dataclass(frozen=True)
class Hooks:
    """Plain callables the Sender calls; adapters bridge them to framework signals.

    ``on_sent(receipt)`` after each accepted message, ``on_retry(error, attempt, wait)``
    before each wait, ``on_failed(error)`` when a message is given up. A hook that raises
    is logged and ignored: it never changes what happened to the message.
    """

    on_sent: Callable[[Receipt], object] | None = None
    on_retry: Callable[[SESError, int, float], object] | None = None
    on_failed: Callable[[SESError], object] | None = None


def _limiter_for(
    config: SESConfig, sleep: Callable[[float], None], clock: Callable[[], float]
) -> Limiter | None:
    """The in-process limiter, the Redis one shared across processes, or none."""
    if not config.max_send_rate:
        return None
    if config.rate_limiter:
        from .redis_ratelimit import RedisRateLimiter  # only when configured: redis is optional

        identity = f"{config.region or config.host}:{config.smtp_username}"
        return RedisRateLimiter(
            config.max_send_rate, config.rate_limiter, key=f"ses-smtp:rate:{identity}", sleep=sleep
        )
    return RateLimiter(config.max_send_rate, clock=clock, sleep=sleep)


class _Pool:
    """Up to ``size`` transports, each used by one thread at a time."""

    def __init__(self, config: SESConfig, clock: Callable[[], float]):
        self._config = config
        self._clock = clock
        self._idle: list[Transport] = []
        self._created = 0
        self._available = threading.Condition()

    def checkout(self) -> Transport:
        with self._available:
            while not self._idle and self._created >= self._config.max_connections:
                self._available.wait()
            if self._idle:
                return self._idle.pop()
            self._created += 1
            return Transport(self._config, clock=self._clock)

    def checkin(self, transport: Transport) -> None:
        with self._available:
            self._idle.append(transport)
            self._available.notify()

    def close(self) -> None:
        with self._available:
            idle = list(self._idle)
        for transport in idle:
            transport.close()


class Sender:
    """Send mail through SES SMTP with SES's failure semantics.

    Thread-safe; keeps up to ``config.max_connections`` connections open between sends
    (replaced before SES's idle close). ``sleep`` and ``clock`` are injectable so tests
    drive the whole retry ladder without waiting::

        with Sender(SESConfig(region="eu-west-1", username=..., password=...)) as sender:
            receipt = sender.send("app@example.com", ["user@example.org"], message_bytes)
            print(receipt.message_id)
    """

    def __init__(
        self,
        config: SESConfig,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        hooks: Hooks | None = None,
    ) -> None:
        self.config = config
        self.hooks = hooks or Hooks()
        self._sleep = sleep
        self._clock = clock
        self._pool = _Pool(config, clock)
        self._limiter = _limiter_for(config, sleep, clock)

    def __repr__(self) -> str:
        return f"<Sender {self.config.host}:{self.config.port}>"

    # --- life cycle ------------------------------------------------------------------

    def open(self) -> bool:
        """Open one connection now (connecting is otherwise lazy); True if it opened one."""
        transport = self._pool.checkout()
        try:
            return transport.open()
        finally:
            self._pool.checkin(transport)

    def close(self) -> None:
        """Close the idle connections politely (QUIT). Safe to call twice."""
        self._pool.close()

    def __enter__(self) -> Sender:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- sending ---------------------------------------------------------------------------

    def send(self, from_addr: str, to_addrs: str | Sequence[str], data: bytes | str) -> Receipt:
        """Send ``data`` (the whole message, headers included) and return its receipt.

        Raises :class:`SESPermanentError` subclasses at once, and
        :class:`SESRetriesExhausted` when transient failures outlast the retry policy.
        """
        envelope_from, recipients = clean_envelope(from_addr, to_addrs)
        if isinstance(data, str):
            data = data.encode("utf-8")
        if not isinstance(data, bytes):
            raise TypeError(f"data must be bytes (the message as sent), not {type(data).__name__}")
        data = add_ses_headers(data, self.config.configuration_set, self.config.tags)
        check_message(data)
        try:
            parts = [self._send_batch(envelope_from, batch, data) for batch in batches(recipients)]
        except SESError as error:
            self._call_hook(self.hooks.on_failed, error)
            raise
        first = parts[0]
        refused: dict[str, Reply] = {}
        for part in parts:
            refused.update(part.refused)
        receipt = Receipt(
            message_id=first.message_id,
            recipients=tuple(r for part in parts for r in part.recipients),
            region=self.config.region,
            refused=refused,
            attempts=sum(part.attempts for part in parts),
            ambiguous_retries=sum(part.ambiguous_retries for part in parts),
            message_ids=tuple(part.message_id for part in parts),
        )
        self._call_hook(self.hooks.on_sent, receipt)
        return receipt

    def send_message(
        self,
        message: email.message.Message,
        from_addr: str | None = None,
        to_addrs: str | Sequence[str] | None = None,
    ) -> Receipt:
        """Send an :mod:`email` message: sender from Sender/From, recipients from To, Cc
        and Bcc (Bcc is not transmitted), unless given."""
        sender, recipients, data = message_envelope(message)
        return self.send(from_addr or sender, to_addrs or recipients, data)

    def send_many(self, items: Iterable[Item]) -> list[Receipt | SESError]:
        """Send several messages over up to ``max_connections`` connections in parallel.

        Returns one entry per item, in order: its receipt, or the ``SESError`` it failed
        with (nothing is dropped silently). Other errors propagate.
        """

        def one(item: Item) -> Receipt | SESError:
            try:
                if isinstance(item, email.message.Message):
                    return self.send_message(item)
                from_addr, to_addrs, data = item
                return self.send(from_addr, to_addrs, data)
            except SESError as error:
                return error

        return self.run_parallel(one, items)

    def run_parallel(self, function: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``[function(item) for item in items]`` on up to ``max_connections`` threads, in
        input order. Every item is run; the first exception (in input order) is raised after
        all are done. For adapters that send through this Sender item by item."""
        work = list(items)
        if self.config.max_connections == 1 or len(work) < 2:
            return [function(item) for item in work]
        workers = min(self.config.max_connections, len(work))
        with ThreadPoolExecutor(workers, thread_name_prefix="ses-sender") as executor:
            futures = [executor.submit(function, item) for item in work]
        return [future.result() for future in futures]

    def _send_batch(self, from_addr: str, recipients: list[str], data: bytes) -> Receipt:
        attempts = 0
        ambiguous = 0

        def attempt() -> Transaction:
            nonlocal attempts, ambiguous
            attempts += 1
            if self._limiter is not None:
                self._limiter.acquire(len(recipients))
            transport = self._pool.checkout()
            try:
                return transport.send(from_addr, recipients, data)
            except SESConnectionError as error:
                ambiguous += error.ambiguous
                raise
            finally:
                self._pool.checkin(transport)

        def on_retry(error: SESError, attempt_number: int, wait: float) -> None:
            log.info(
                "SES send attempt %d failed (%s); retrying in %.0f s",
                attempt_number,
                error.reply,
                wait,
            )
            self._call_hook(self.hooks.on_retry, error, attempt_number, wait)

        transaction = call_with_retry(
            self.config.retry, attempt, sleep=self._sleep, clock=self._clock, on_retry=on_retry
        )
        return Receipt(
            message_id=transaction.reply.message_id,
            recipients=transaction.accepted,
            region=self.config.region,
            refused=transaction.refused,
            attempts=attempts,
            ambiguous_retries=ambiguous,  # each was followed by a retry, as this one succeeded
        )

    @staticmethod
    def _call_hook(hook: Callable[..., object] | None, *args: object) -> None:
        if hook is None:
            return
        try:
            hook(*args)
        except Exception:
            log.exception("an ses_smtp_backends hook raised; the send outcome is unchanged")
