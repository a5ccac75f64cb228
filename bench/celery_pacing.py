"""Two Celery worker processes sharing the Redis rate limiter, against SES's rate R.

The simulator enforces R recipients per second. Two workers (4 threads each) send M queued
messages with ``max_send_rate=R`` and ``rate_limiter`` pointing at one Redis; then the same
without the shared limiter (each worker pacing itself to R). Reported: achieved rate, 454
replies. Needs redis-server on PATH and the ``celery`` extra.

Run: ``python bench/celery_pacing.py [--rate R] [--messages M]``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from common import save, table
from common_server import celery_workers, redis_server, worker_env

from ses_smtp_backends.simulator import SESSimulator


def run(rate: float, count: int, shared: bool, redis_url: str) -> dict[str, Any]:
    with SESSimulator(max_send_rate=rate, store=False) as ses:
        extra = {"SES_SMTP_MAX_SEND_RATE": str(rate)}
        if shared:
            extra["SES_SMTP_RATE_LIMITER"] = redis_url
        env = worker_env(ses.client_settings(), redis_url, **extra)
        with celery_workers(env, count=2, pool="threads", concurrency=4):
            import celery_app  # noqa: F401 - the same app, to enqueue

            from ses_smtp_backends.celery import enqueue

            started = time.perf_counter()
            results = [
                enqueue("app@example.com", [f"u{n}@example.org"], b"Subject: x\r\n\r\nx\r\n")
                for n in range(count)
            ]
            # Throttled messages wait real countdowns (5 s, 10 s, ...): stop looking after a
            # deadline and report what had been delivered by then.
            deadline = started + 2 * count / rate + 30
            while not all(r.ready() for r in results) and time.perf_counter() < deadline:
                time.sleep(0.1)
            elapsed = time.perf_counter() - started
            return {"accepted": ses.accepted_total, "throttled_454": ses.throttled_total, "seconds": elapsed,
                    "recipients_per_second": ses.accepted_total / elapsed}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    with redis_server() as url:
        results = {
            "2 workers, shared Redis limiter": run(args.rate, args.messages, True, url),
            "2 workers, each pacing itself": run(args.rate, args.messages, False, url),
        }
    rows = [[name, r["accepted"], f"{r['recipients_per_second']:.1f}", f"{100 * r['recipients_per_second'] / args.rate:.0f}%", r["throttled_454"]]
            for name, r in results.items()]  # fmt: skip
    print(f"SES rate R = {args.rate:g} recipients/s, {args.messages} queued messages")
    print(table(["workers", "accepted", "recipients/s", "of R", "454 replies"], rows))
    print("(each run stops counting 30 s after the last message was due at rate R)")
    print(
        f"Results written to {save('celery_pacing', {'rate': args.rate, 'messages': args.messages, 'results': results})}"
    )


if __name__ == "__main__":
    main()
