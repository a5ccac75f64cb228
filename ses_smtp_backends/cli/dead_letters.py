"""``ses-smtp dead-letters list|retry``: messages the Celery worker gave up on."""

from __future__ import annotations

import argparse
import datetime
from typing import Any


def add_parser(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "dead-letters",
        help="list or re-send messages background delivery gave up on",
        description=(
            "Messages the Celery task could not deliver before their max_age wait in a Redis "
            "list. 'list' shows them; 'retry' sends each again now (SES settings from "
            "SES_SMTP_* / AWS_*, or the factory the message names) and removes the delivered."
        ),
    )
    parser.add_argument("action", choices=("list", "retry"))
    parser.add_argument("--redis", help="Redis URL of the list (default: $SES_SMTP_DEAD_LETTERS)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        from ..celery import dead_letters, retry_dead_letters
    except ImportError as error:
        print(f"ses-smtp dead-letters: {error}")
        return 1
    if args.action == "list":
        entries = dead_letters(args.redis)
        for entry in entries:
            payload = entry["payload"]
            when = datetime.datetime.fromtimestamp(entry["failed_at"], datetime.timezone.utc)
            to = ", ".join(payload["to_addrs"])
            print(f"{when:%Y-%m-%d %H:%M:%S} UTC  to {to}: {entry['error']}")
        print(f"{len(entries)} dead letter(s).")
        return 0
    failed = 0
    for entry, result in retry_dead_letters(args.redis):
        to = ", ".join(entry["payload"]["to_addrs"])
        if isinstance(result, Exception):
            failed += 1
            print(f"still failing, to {to}: {result}")
        else:
            print(f"sent to {to}: SES message ID {result.message_id}")
    return 1 if failed else 0
