"""Messages per second through each path, on the SES simulator with per-reply latency.

Sequentially on one connection: raw smtplib (the floor: the same SMTP round trips with no
library around them), Django's SMTP backend, Flask-Mail, and this library's core, Django and
Flask paths; then the core with 2, 4 and 8 connections. SES offers no PIPELINING, so each
message costs MAIL, RCPT, DATA and the final dot: four round trips.

Run: ``python bench/throughput.py [--messages N] [--latency SECONDS]`` with the ``all``
extra installed (Django and Flask-Mail paths are skipped when missing).
"""

from __future__ import annotations

import argparse
import email.message
import importlib.util
import os
import smtplib
import ssl
import time
from collections.abc import Callable
from typing import Any

from common import save, table
from common_server import simulator_process

from ses_smtp_backends import Sender, SESConfig

FROM, TO = "app@example.com", "user@example.org"


def message_bytes() -> bytes:
    message = email.message.EmailMessage()
    message["From"], message["To"], message["Subject"] = FROM, TO, "Benchmark"
    message.set_content("A short transactional message.\n" * 10)
    return message.as_bytes()


def timed(run: Callable[[], int]) -> tuple[float, int]:
    started = time.perf_counter()
    sent = run()
    return time.perf_counter() - started, sent


def raw_smtplib(s: dict[str, Any], n: int, data: bytes) -> int:
    client = smtplib.SMTP(s["host"], s["port"], timeout=30)
    client.starttls(context=ssl.create_default_context(cafile=s["cafile"]))
    client.login(s["username"], s["password"])
    for _ in range(n):
        client.sendmail(FROM, [TO], data)
    client.quit()
    return n


def ours_core(s: dict[str, Any], n: int, data: bytes, connections: int = 1) -> int:
    config = SESConfig(
        region=s["region"], host=s["host"], port=s["port"], username=s["username"],
        password=s["password"], cafile=s["cafile"], max_connections=connections,
    )  # fmt: skip
    with Sender(config) as sender:
        if connections == 1:
            for _ in range(n):
                sender.send(FROM, [TO], data)
            return n
        results = sender.send_many([(FROM, [TO], data)] * n)
    return sum(1 for r in results if not isinstance(r, Exception))


def django_paths(s: dict[str, Any], n: int) -> dict[str, Callable[[], int]]:
    import django
    from django.conf import settings

    os.environ["SSL_CERT_FILE"] = s["cafile"]  # Django's backend verifies with the default store
    settings.configure(
        EMAIL_HOST=s["host"], EMAIL_PORT=s["port"], EMAIL_HOST_USER=s["username"],
        EMAIL_HOST_PASSWORD=s["password"], EMAIL_USE_TLS=True, EMAIL_TIMEOUT=30,
        SES_SMTP={"REGION": s["region"], "CAFILE": s["cafile"]},
    )  # fmt: skip
    django.setup()
    from django.core.mail import EmailMessage
    from django.core.mail.backends.smtp import EmailBackend as DjangoSMTP

    from ses_smtp_backends.django import EmailBackend as Ours

    def messages() -> list[EmailMessage]:
        return [
            EmailMessage("Benchmark", "A short transactional message.\n" * 10, FROM, [TO])
            for _ in range(n)
        ]

    return {
        "Django smtp.EmailBackend": lambda: DjangoSMTP().send_messages(messages()),
        "ours: Django EmailBackend": lambda: Ours().send_messages(messages()),
    }


def flask_paths(s: dict[str, Any], n: int) -> dict[str, Callable[[], int]]:
    from flask import Flask
    from flask_mail import Mail, Message

    from ses_smtp_backends.flask import SESMail

    def run(extension: type) -> int:
        app = Flask("bench")
        app.config.update(
            MAIL_SERVER=s["host"], MAIL_PORT=s["port"], MAIL_USERNAME=s["username"],
            MAIL_PASSWORD=s["password"], MAIL_USE_TLS=True, MAIL_DEFAULT_SENDER=FROM,
            SES_SMTP_REGION=s["region"], SES_SMTP_CAFILE=s["cafile"],
        )  # fmt: skip
        mail = extension(app)
        with app.app_context(), mail.connect() as connection:
            for _ in range(n):
                connection.send(
                    Message(
                        "Benchmark", recipients=[TO], body="A short transactional message.\n" * 10
                    )
                )
        return n

    return {"Flask-Mail": lambda: run(Mail), "ours: Flask SESMail": lambda: run(SESMail)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=400)
    parser.add_argument("--latency", type=float, default=0.01, help="seconds before each reply")
    args = parser.parse_args()
    n, data = args.messages, message_bytes()
    with simulator_process("--latency", str(args.latency), "--no-store") as s:
        paths: dict[str, Callable[[], int]] = {
            "raw smtplib (floor)": lambda: raw_smtplib(s, n, data),
            "ours: core Sender": lambda: ours_core(s, n, data),
        }
        if importlib.util.find_spec("django"):
            paths.update(django_paths(s, n))
        if importlib.util.find_spec("flask_mail"):
            paths.update(flask_paths(s, n))
        for connections in (2, 4, 8):
            paths[f"ours: core, {connections} connections"] = lambda c=connections: ours_core(
                s, n, data, c
            )
        results = {}
        for name, run in paths.items():
            elapsed, sent = timed(run)
            results[name] = {"messages": sent, "seconds": elapsed, "per_second": sent / elapsed}
    floor = results["raw smtplib (floor)"]["per_second"]
    sequential = results["ours: core Sender"]["per_second"]
    rows = [
        [name, r["messages"], f"{r['seconds']:.2f}", f"{r['per_second']:.1f}", f"{r['per_second'] / floor:.2f}",
         f"{r['per_second'] / sequential:.2f}"]
        for name, r in results.items()
    ]  # fmt: skip
    print(
        f"{n} messages, one recipient each, simulator latency {args.latency * 1000:.0f} ms per reply"
    )
    print(
        table(["path", "messages", "seconds", "msg/s", "x raw smtplib", "x ours sequential"], rows)
    )
    peers = [
        ("ours: core Sender", "raw smtplib (floor)"),
        ("ours: Django EmailBackend", "Django smtp.EmailBackend"),
        ("ours: Flask SESMail", "Flask-Mail"),
        ("ours: core, 8 connections", "Django smtp.EmailBackend"),
        ("ours: core, 8 connections", "Flask-Mail"),
    ]
    for ours_name, peer in peers:
        if ours_name in results and peer in results:
            ratio = results[ours_name]["per_second"] / results[peer]["per_second"]
            print(f"{ours_name} vs {peer}: {ratio:.2f}x")
    print(
        f"Results written to {save('throughput', {'messages': n, 'latency_s': args.latency, 'results': results})}"
    )


if __name__ == "__main__":
    main()
