"""Two Celery worker processes sharing the Redis rate limiter, against SES's rate R.

The simulator enforces R recipients per second. Two workers (4 threads each) send M queued
messages with ``max_send_rate=R`` and ``rate_limiter`` pointing at one Redis; then the same
without the shared limiter (each worker pacing itself to R). Reported: achieved rate, 454
replies. Needs redis-server on PATH and the ``celery`` extra.

Run: ``python bench/celery_pacing.py [--rate R] [--messages M]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from typing import Any

from common import ROOT, save, table

from ses_smtp_backends.simulator import SESSimulator


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run(rate: float, count: int, shared: bool, redis_url: str) -> dict[str, Any]:
    with SESSimulator(max_send_rate=rate, store=False) as ses:
        s = ses.client_settings()
        env = {
            **os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'bench'}",
            "CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url,
            "SES_SMTP_REGION": s["region"], "SES_SMTP_HOST": s["host"], "SES_SMTP_PORT": str(s["port"]),
            "SES_SMTP_USERNAME": s["username"], "SES_SMTP_PASSWORD": s["password"],
            "SES_SMTP_CAFILE": s["cafile"], "SES_SMTP_MAX_SEND_RATE": str(rate),
        }  # fmt: skip
        if shared:
            env["SES_SMTP_RATE_LIMITER"] = redis_url
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "celery_app",
                    "worker",
                    "--pool=threads",
                    "--concurrency=4",
                    "--loglevel=ERROR",
                    "-n",
                    f"w{i}@%h",
                    "--without-gossip",
                    "--without-mingle",
                ],
                env=env,
                cwd=ROOT / "bench",
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for i in range(2)
        ]
        os.environ.update({"CELERY_BROKER_URL": redis_url, "CELERY_RESULT_BACKEND": redis_url})
        import celery_app  # noqa: F401 - the same app, to enqueue

        from ses_smtp_backends.celery import enqueue

        try:
            time.sleep(3)  # let both workers connect
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
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        url = f"redis://127.0.0.1:{port}/0"
        results = {
            "2 workers, shared Redis limiter": run(args.rate, args.messages, True, url),
            "2 workers, each pacing itself": run(args.rate, args.messages, False, url),
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
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
