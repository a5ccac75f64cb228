"""Sending at the account's rate: our pacing against sending as fast as possible.

The simulator enforces a send rate of R recipients per second (SES's token bucket, replying
``454 Throttling failure: Maximum sending rate exceeded`` and dropping the message). Our
Sender sends M messages over 8 connections with ``max_send_rate=R``; Django's SMTP backend
sends the same M messages from 8 threads (one connection each), as an app would. Reported:
achieved recipients per second, 454 replies received, messages lost.

Run: ``python bench/pacing.py [--rate R] [--messages M]`` (Django optional).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import smtplib
import threading
import time
from typing import Any

from common import save, table

from ses_smtp_backends import Sender, SESConfig
from ses_smtp_backends.simulator import SESSimulator

FROM = "app@example.com"
DATA = b"From: app@example.com\r\nSubject: Pacing\r\n\r\nHello.\r\n"


def ours(s: dict[str, Any], rate: float, count: int) -> dict[str, Any]:
    config = SESConfig(
        region=s["region"], host=s["host"], port=s["port"], username=s["username"],
        password=s["password"], cafile=s["cafile"], max_connections=8, max_send_rate=rate,
    )  # fmt: skip
    retries = []
    from ses_smtp_backends import Hooks

    with Sender(
        config, hooks=Hooks(on_retry=lambda error, attempt, wait: retries.append(error))
    ) as sender:
        started = time.perf_counter()
        results = sender.send_many([(FROM, [f"user{n}@example.org"], DATA) for n in range(count)])
        elapsed = time.perf_counter() - started
    lost = sum(1 for r in results if isinstance(r, Exception))
    return {"seconds": elapsed, "lost": lost, "retries": len(retries)}


def django_threads(s: dict[str, Any], count: int) -> dict[str, Any]:
    import django
    from django.conf import settings

    os.environ["SSL_CERT_FILE"] = s["cafile"]
    settings.configure(
        EMAIL_HOST=s["host"], EMAIL_PORT=s["port"], EMAIL_HOST_USER=s["username"],
        EMAIL_HOST_PASSWORD=s["password"], EMAIL_USE_TLS=True, EMAIL_TIMEOUT=30,
    )  # fmt: skip
    django.setup()
    from django.core.mail import EmailMessage
    from django.core.mail.backends.smtp import EmailBackend

    lost = 0
    lock = threading.Lock()

    def worker(numbers: range) -> None:
        nonlocal lost
        with EmailBackend() as backend:
            for n in numbers:
                try:
                    backend.send_messages(
                        [EmailMessage("Pacing", "Hello.", FROM, [f"user{n}@example.org"])]
                    )
                except smtplib.SMTPException:  # a 454: SES dropped it and nobody retries
                    with lock:
                        lost += 1

    threads = [threading.Thread(target=worker, args=(range(i, count, 8),)) for i in range(8)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"seconds": time.perf_counter() - started, "lost": lost, "retries": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=40.0, help="recipients per second allowed")
    parser.add_argument("--messages", type=int, default=400)
    args = parser.parse_args()
    results = {}
    runs = {
        "ours: Sender, 8 connections, max_send_rate=R": lambda s: ours(s, args.rate, args.messages)
    }
    if importlib.util.find_spec("django"):
        runs["Django smtp.EmailBackend, 8 threads"] = lambda s: django_threads(s, args.messages)
    for name, run in runs.items():
        with SESSimulator(max_send_rate=args.rate, store=False, latency=0.005) as ses:
            outcome = run(ses.client_settings())
            outcome["accepted"] = ses.accepted_total
            outcome["throttled_454"] = ses.throttled_total
        outcome["recipients_per_second"] = outcome["accepted"] / outcome["seconds"]
        results[name] = outcome
    rows = [
        [name, args.messages, r["accepted"], f"{r['recipients_per_second']:.1f}",
         f"{100 * r['recipients_per_second'] / args.rate:.0f}%", r["throttled_454"], r["lost"]]
        for name, r in results.items()
    ]  # fmt: skip
    print(
        f"Simulator send rate R = {args.rate:g} recipients/s, {args.messages} messages of one recipient"
    )
    print(
        table(
            ["sender", "messages", "accepted", "recipients/s", "of R", "454 replies", "lost"], rows
        )
    )
    print(
        f"Results written to {save('pacing', {'rate': args.rate, 'messages': args.messages, 'results': results})}"
    )


if __name__ == "__main__":
    main()
