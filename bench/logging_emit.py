"""How long does ``logger.error()`` take with an SES mail handler attached?

Both handlers talk to the SES simulator on loopback with 50 ms before every reply (a
network round trip to SES). ``SMTPHandler`` sends inside ``emit()``; ``SESHandler`` only
queues. Run: ``python bench/logging_emit.py`` (needs the ``simulator`` extra).
"""

from __future__ import annotations

import logging
import logging.handlers
import statistics
import time

from common import save, table

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


def summary(timings: list[float]) -> tuple[float, float]:
    ordered = sorted(timings)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1e6, p99 * 1e6


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

    smtp_median, smtp_p99 = summary(smtp_timings)
    our_median, our_p99 = summary(our_timings)
    rows = [
        ["SMTPHandler", len(smtp_timings), f"{smtp_median:.0f}", f"{smtp_p99:.0f}", smtp_mails],
        ["SESHandler", len(our_timings), f"{our_median:.1f}", f"{our_p99:.1f}", our_mails],
    ]
    print(f"logger.error() latency, simulator answering after {LATENCY * 1000:.0f} ms per reply")
    print(table(["handler", "records", "median (us)", "p99 (us)", "mails sent"], rows))
    print(f"SESHandler.close() delivered the batches in {drain:.2f} s.")
    save("logging_emit", {
        "latency_s": LATENCY,
        "smtphandler": {"records": len(smtp_timings), "median_us": smtp_median, "p99_us": smtp_p99, "mails": smtp_mails},
        "seshandler": {"records": len(our_timings), "median_us": our_median, "p99_us": our_p99, "mails": our_mails, "close_s": drain},
    })  # fmt: skip


if __name__ == "__main__":
    main()
