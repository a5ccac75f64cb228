"""Scripted and random faults for the simulator: wrong replies and dropped connections.

A test schedules faults with :meth:`SESSimulator.inject` / :meth:`SESSimulator.drop`
or turns on :meth:`SESSimulator.chaos`; the protocol asks :meth:`FaultPlan.take` at each
stage whether to misbehave. Thread-safe: tests schedule from their thread while the
server consumes from its event-loop thread.
"""

from __future__ import annotations

import random
import re
import threading
from collections import deque
from dataclasses import dataclass

from .rules import SESReplies

#: Where a fault can strike. "DATA" is the reply to the DATA command (instead of 354),
#: "END_OF_DATA" the reply to the final dot (the message is not stored).
REPLY_STAGES = ("CONNECT", "EHLO", "AUTH", "MAIL", "RCPT", "DATA", "END_OF_DATA")
#: Drops only: "MID_DATA" cuts the connection once the client has started sending the
#: message; "AFTER_END_OF_DATA" stores the message, then drops before the reply.
DROP_STAGES = (*REPLY_STAGES, "MID_DATA", "AFTER_END_OF_DATA")
_DROP_ONLY = ("MID_DATA", "AFTER_END_OF_DATA")

#: Transient faults that chaos mode picks from (None means a dropped connection): every
#: transient reply SES gives, and drops.
CHAOS_REPLIES: tuple[str | None, ...] = (
    SESReplies.TOO_MANY_CONNECTIONS,
    SESReplies.LOCAL_PROCESSING_ERROR,
    SESReplies.TIMEOUT,
    SESReplies.DAILY_QUOTA_EXCEEDED,
    SESReplies.MAX_SEND_RATE_EXCEEDED,
    SESReplies.SIGV2_RATE_EXCEEDED,
    SESReplies.TEMPORARY_AUTHENTICATION_FAILURE,
    SESReplies.TEMPORARY_SERVICE_FAILURE,
    None,
)
#: Where chaos strikes by default: before MAIL (the greeting), at every transaction step,
#: in the middle of the message, and after the final dot (the message stored, the reply
#: lost: a duplicate on retry).
CHAOS_STAGES = ("CONNECT", "MAIL", "RCPT", "DATA", "MID_DATA", "END_OF_DATA", "AFTER_END_OF_DATA")

_REPLY_LINE = re.compile(r"[2-5]\d\d( [^\r\n]*)?")


@dataclass
class _Scheduled:
    reply: str | None
    remaining: int


@dataclass(frozen=True)
class Fault:
    """One fault served: ``reply`` to send instead of the normal one, or ``None`` to drop."""

    stage: str
    reply: str | None
    chaos: bool = False

    @property
    def drops(self) -> bool:
        return self.reply is None


class FaultPlan:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[str, deque[_Scheduled]] = {stage: deque() for stage in DROP_STAGES}
        self._chaos_probability = 0.0
        self._chaos_stages: tuple[str, ...] = CHAOS_STAGES
        self._random = random.Random(0)  # noqa: S311 - replayable chaos, not secrecy
        self.served: list[Fault] = []

    def add(self, stage: str, reply: str | None, times: int) -> None:
        allowed = DROP_STAGES if reply is None else REPLY_STAGES
        if stage not in allowed:
            raise ValueError(f"at={stage!r} is not one of {', '.join(allowed)}")
        if reply is not None and not _REPLY_LINE.fullmatch(reply):
            raise ValueError(
                f"reply {reply!r} is not an SMTP reply line such as "
                f"{SESReplies.MAX_SEND_RATE_EXCEEDED!r}"
            )
        if not isinstance(times, int) or times < 1:
            raise ValueError(f"times={times!r} must be a positive integer")
        with self._lock:
            self._queues[stage].append(_Scheduled(reply, times))

    def set_chaos(
        self, probability: float, seed: int | None, stages: tuple[str, ...] = CHAOS_STAGES
    ) -> None:
        if not 0.0 <= probability <= 1.0:
            raise ValueError(f"probability={probability!r} must be between 0 and 1")
        unknown = set(stages) - set(DROP_STAGES)
        if unknown:
            raise ValueError(f"stages {sorted(unknown)} are not among {', '.join(DROP_STAGES)}")
        with self._lock:
            self._chaos_probability = probability
            self._chaos_stages = tuple(stages)
            self._random = random.Random(seed)  # noqa: S311 - replayable chaos, not secrecy

    def clear(self) -> None:
        with self._lock:
            for queue in self._queues.values():
                queue.clear()
            self._chaos_probability = 0.0
            self.served.clear()

    def take(self, stage: str) -> Fault | None:
        """Return the fault to serve now at ``stage``, if any, and count it as served."""
        with self._lock:
            queue = self._queues[stage]
            fault: Fault | None = None
            if queue:
                scheduled = queue[0]
                fault = Fault(stage, scheduled.reply)
                scheduled.remaining -= 1
                if scheduled.remaining == 0:
                    queue.popleft()
            elif (
                stage in self._chaos_stages
                and self._chaos_probability > 0
                and self._random.random() < self._chaos_probability
            ):
                # Mid-message and after the final dot only a drop makes sense.
                reply = None if stage in _DROP_ONLY else self._random.choice(CHAOS_REPLIES)
                fault = Fault(stage, reply, chaos=True)
            if fault is not None:
                self.served.append(fault)
            return fault

    def pending(self) -> int:
        with self._lock:
            return sum(s.remaining for queue in self._queues.values() for s in queue)
