"""``ses-smtp dead-letters list|retry``: messages a background worker gave up on."""

from __future__ import annotations

import argparse
import datetime
from typing import Any

from .. import dead_letters as store


def add_parser(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "dead-letters",
        help="list or re-send messages background delivery gave up on",
        description=(
            "Messages a background worker (Celery, or Django's tasks) could not deliver "
            "before their max_age wait in a Redis list. 'list' shows them; 'retry' sends each "
            "again now (SES settings from SES_SMTP_* / AWS_*, or the factory the message "
            "names) and removes the delivered."
        ),
    )
    parser.add_argument("action", choices=("list", "retry"))
    parser.add_argument("--redis", help="Redis URL of the list (default: $SES_SMTP_DEAD_LETTERS)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args.action, args.redis)
    except (ImportError, RuntimeError) as error:  # redis-py missing, no URL given
        print(f"ses-smtp dead-letters: {error}")
        return 1


def _run(action: str, url: str | None) -> int:
    if action == "list":
        entries = store.dead_letters(url)
        for entry in entries:
            payload = entry["payload"]
            when = datetime.datetime.fromtimestamp(entry["failed_at"], datetime.timezone.utc)
            to = ", ".join(payload["to_addrs"])
            print(f"{when:%Y-%m-%d %H:%M:%S} UTC  to {to}: {entry['error']}")
        print(f"{len(entries)} dead letter(s).")
        return 0
    failed = 0
    for entry, result in store.retry_dead_letters(url):
        to = ", ".join(entry["payload"]["to_addrs"])
        if isinstance(result, Exception):
            failed += 1
            print(f"still failing, to {to}: {result}")
        else:
            print(f"sent to {to}: SES message ID {result.message_id}")
    return 1 if failed else 0
