"""What one background worker sends per second, against a server answering in L ms.

One Celery worker process (one task at a time, ``--pool=solo``) sends M queued messages to
the simulator, whose every reply takes L ms (as SES's do over a network); reported: messages
per second and connections the worker opened. The reference is the core ``Sender`` sending
the same messages in a loop on one connection. Needs redis-server and the ``celery`` extra.

Run: ``python bench/worker_throughput.py [--latency MS] [--messages M]``.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from common import save, table
from common_server import celery_workers, redis_server, worker_env

from ses_smtp_backends import Sender, SESConfig
from ses_smtp_backends.simulator import SESSimulator

DATA = b"From: app@example.com\r\nSubject: x\r\n\r\nx\r\n"


def worker(latency: float, count: int, redis_url: str) -> dict[str, Any]:
    with SESSimulator(latency=latency, store=False) as ses:
        env = worker_env(ses.client_settings(), redis_url)
        with celery_workers(env, count=1, pool="solo", concurrency=1):
            import celery_app  # noqa: F401 - the same app, to enqueue

            from ses_smtp_backends.celery import enqueue

            started = time.perf_counter()
            results = [
                enqueue("app@example.com", [f"u{n}@example.org"], DATA) for n in range(count)
            ]
            for result in results:
                result.get(timeout=300)
            elapsed = time.perf_counter() - started
            return {"messages": ses.accepted_total, "seconds": elapsed,
                    "connections": ses.connections_total}  # fmt: skip


def inline(latency: float, count: int) -> dict[str, Any]:
    with SESSimulator(latency=latency, store=False) as ses:
        s = ses.client_settings()
        config = SESConfig(region=s["region"], host=s["host"], port=s["port"],
                           username=s["username"], password=s["password"], cafile=s["cafile"])  # fmt: skip
        started = time.perf_counter()
        with Sender(config) as sender:
            for n in range(count):
                sender.send("app@example.com", [f"u{n}@example.org"], DATA)
        elapsed = time.perf_counter() - started
        return {
            "messages": ses.accepted_total,
            "seconds": elapsed,
            "connections": ses.connections_total,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=10.0, help="ms per reply")
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    latency = args.latency / 1000
    with redis_server() as url:
        results = {
            "Celery worker (solo), queued": worker(latency, args.messages, url),
            "Sender in a loop (reference)": inline(latency, args.messages),
        }
    rows = [[name, r["messages"], f"{r['messages'] / r['seconds']:.1f}", r["connections"]]
            for name, r in results.items()]  # fmt: skip
    print(f"{args.messages} messages, {args.latency:g} ms per reply")
    print(table(["path", "sent", "messages/s", "connections opened"], rows))
    data = {"latency_ms": args.latency, "messages": args.messages, "results": results}
    print(f"Results written to {save('worker_throughput', data)}")


if __name__ == "__main__":
    main()
