"""How long does ``logger.error()`` take with an SES mail handler attached?

Both handlers talk to the SES simulator on loopback with 50 ms before every reply (a
network round trip to SES). ``SMTPHandler`` sends inside ``emit()``; ``SESHandler`` only
queues. Run: ``python bench/emit_latency.py`` (needs the ``simulator`` extra).
"""

from __future__ import annotations

import logging
import logging.handlers
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ses_smtp_backends.logging import SESHandler
from ses_smtp_backends.simulator import SESSimulator

LATENCY = 0.05


def measure(handler: logging.Handler, count: int) -> list[float]:
    logger = logging.getLogger(f"bench.{type(handler).__name__}")
    logger.propagate = False
    logger.addHandler(handler)
    timings = []
    try:
        for n in range(count):
            started = time.perf_counter()
            logger.error("benchmark record %d", n)
            timings.append(time.perf_counter() - started)
    finally:
        logger.removeHandler(handler)
    return timings


def row(name: str, timings: list[float], extra: str) -> str:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    median = statistics.median(ordered)
    cells = f"{len(timings):>7} | {median * 1000:>11.3f} | {p99 * 1000:>8.3f}"
    return f"| {name:<12} | {cells} | {extra} |"


def main() -> None:
    with SESSimulator(latency=LATENCY, verified_identities=["example.com"]) as ses:
        s = ses.client_settings()
        mailhost = (s["host"], s["port"])
        credentials = (s["username"], s["password"])

        # SMTPHandler: STARTTLS with secure=() (and, as it does, without verifying the certificate).
        smtp = logging.handlers.SMTPHandler(
            mailhost, "app@example.com", ["ops@example.org"], "bench", credentials=credentials,
            secure=(), timeout=10,
        )  # fmt: skip
        smtp_timings = measure(smtp, 20)
        smtp_mails = len(ses.messages)

        ses.clear()
        ours = SESHandler(
            mailhost, "app@example.com", ["ops@example.org"], "bench", credentials=credentials,
            cafile=s["cafile"], batch_interval=1.0, max_emails_per_hour=1000,
        )  # fmt: skip
        our_timings = measure(ours, 1000)
        started = time.perf_counter()
        ours.close()
        drain = time.perf_counter() - started
        our_mails = len(ses.messages)

    print(f"logger.error() latency, simulator answering after {LATENCY * 1000:.0f} ms per reply")
    print()
    print("| handler      | records | median (ms) | p99 (ms) | mails sent |")
    print("|--------------|---------|-------------|----------|------------|")
    print(row("SMTPHandler", smtp_timings, f"{smtp_mails} (one per record)"))
    print(row("SESHandler", our_timings, f"{our_mails} (batched; close() took {drain:.2f} s)"))


if __name__ == "__main__":
    main()
