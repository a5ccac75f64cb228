"""Peak memory while sending 1000 messages with a 1 MB attachment each.

The simulator runs in its own process (keeping no messages), so the peak resident set size
measured here is the sender's alone. A sender that held on to messages would grow by about
1.4 GB (base64); a streaming one stays near its baseline.

Run: ``python bench/memory.py [--messages N] [--attachment-mb M]``.
"""

from __future__ import annotations

import argparse
import email.message
import os
import resource
import time

from common import save, table
from common_server import simulator_process

from ses_smtp_backends import Sender, SESConfig


def rss_mb() -> float:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--attachment-mb", type=float, default=1.0)
    args = parser.parse_args()
    size = int(args.attachment_mb * 1024 * 1024)
    with simulator_process("--no-store") as s:
        config = SESConfig(
            region=s["region"], host=s["host"], port=s["port"], username=s["username"],
            password=s["password"], cafile=s["cafile"],
        )  # fmt: skip
        baseline = rss_mb()
        started = time.perf_counter()
        with Sender(config) as sender:
            for n in range(args.messages):
                message = email.message.EmailMessage()
                message["From"], message["To"], message["Subject"] = (
                    "app@example.com",
                    "u@example.org",
                    f"#{n}",
                )
                message.set_content("Report attached.\n")
                message.add_attachment(
                    os.urandom(size),
                    maintype="application",
                    subtype="octet-stream",
                    filename="report.bin",
                )
                sender.send_message(message)
        elapsed = time.perf_counter() - started
    peak = peak_rss_mb()
    sent_mb = args.messages * size / 1024 / 1024
    rows = [
        [
            args.messages,
            f"{sent_mb:.0f}",
            f"{baseline:.0f}",
            f"{peak:.0f}",
            f"{peak - baseline:.0f}",
            f"{elapsed:.1f}",
        ]
    ]
    print(
        f"{args.messages} messages with a {args.attachment_mb:g} MB attachment each, through the core Sender"
    )
    print(
        table(
            [
                "messages",
                "attachments (MB)",
                "RSS before (MB)",
                "peak RSS (MB)",
                "growth (MB)",
                "seconds",
            ],
            rows,
        )
    )
    result = {"messages": args.messages, "attachment_mb": args.attachment_mb, "baseline_mb": baseline,
              "peak_mb": peak, "growth_mb": peak - baseline, "seconds": elapsed}  # fmt: skip
    print(f"Results written to {save('memory', result)}")


if __name__ == "__main__":
    main()
