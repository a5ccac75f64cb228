"""``ses-smtp password``, ``check`` and ``send``: the commands that talk about your account."""

from __future__ import annotations

import argparse
import email.message
import getpass
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..config import SESConfig
from ..credentials import PasswordShape, password_shape, smtp_password
from ..endpoints import validate_region
from ..exceptions import SESConfigurationError, SESError
from ..retry import RetryPolicy
from ..sender import Hooks, Sender

#: Exit statuses of check and send.
OK, PERMANENT, TRANSIENT = 0, 1, 2

#: How ``send`` waits between retries; tests replace it.
sleep: Callable[[float], None] = time.sleep


def add_parsers(subcommands: Any) -> None:
    password = subcommands.add_parser(
        "password",
        help="derive the SES SMTP password from an IAM secret access key",
        description=(
            "Print the SES SMTP password for an IAM user's secret access key. The key is read "
            "from AWS_SECRET_ACCESS_KEY, else from standard input (or a prompt), never from the "
            "command line where other users could see it."
        ),
    )
    password.add_argument(
        "--region", default=os.environ.get("AWS_REGION"), help="SES region (default: $AWS_REGION)"
    )
    password.set_defaults(run=run_password)

    for name, run, text in (
        ("check", run_check, "connect, start TLS and log in; print the classified result"),
        ("send", run_send, "send one message, retrying transient failures"),
    ):
        parser = subcommands.add_parser(
            name,
            help=text,
            description=(
                f"{text[0].upper()}{text[1:]}. Settings come from the options, then SES_SMTP_* "
                "and AWS_* variables; the password only ever from the environment "
                "(SES_SMTP_PASSWORD, or AWS_SECRET_ACCESS_KEY to derive it). Exit status: 0 ok, "
                "1 permanent failure or bad configuration, 2 transient failure."
            ),
        )
        parser.add_argument(
            "--region", help="SES region (default: $SES_SMTP_REGION or $AWS_REGION)"
        )
        parser.add_argument("--host", help="SMTP host (default: the region's endpoint)")
        parser.add_argument("--port", type=int, help="SMTP port (default: 587)")
        parser.add_argument("--username", help="SMTP username (default: $SES_SMTP_USERNAME)")
        parser.add_argument("--cafile", help="CA bundle to trust (only for test servers)")
        parser.set_defaults(run=run)
    send = subcommands.choices["send"]
    send.add_argument(
        "--from", dest="from_addr", required=True, help="sender (a verified identity)"
    )
    send.add_argument("--to", action="append", required=True, help="recipient (repeatable)")
    send.add_argument("--subject", required=True)
    body = send.add_mutually_exclusive_group()
    body.add_argument("--body", default="", help="plain-text body")
    body.add_argument("--body-file", type=Path, help="read the plain-text body from this file")
    send.add_argument(
        "--max-elapsed", type=float, default=45.0,
        help="give up retrying after this many seconds (default: %(default)s)",
    )  # fmt: skip


def run_password(args: argparse.Namespace) -> int:
    if not args.region:
        print(
            "ses-smtp password: give --region (e.g. --region eu-west-1) or set AWS_REGION",
            file=sys.stderr,
        )
        return PERMANENT
    try:
        validate_region(args.region)
    except ValueError as error:
        print(f"ses-smtp password: --region: {error}", file=sys.stderr)
        return PERMANENT
    if os.environ.get("AWS_SESSION_TOKEN") or os.environ.get("AWS_ACCESS_KEY_ID", "").startswith(
        "ASIA"
    ):
        print(
            "warning: these look like temporary (STS) credentials; SES SMTP needs a long-term "
            "IAM user's access key, and the password derived here will be refused.",
            file=sys.stderr,
        )
    secret = os.environ.get("AWS_SECRET_ACCESS_KEY") or _read_secret()
    if not secret:
        print(
            "ses-smtp password: no secret access key (set AWS_SECRET_ACCESS_KEY or pipe it in)",
            file=sys.stderr,
        )
        return PERMANENT
    shape = password_shape(secret)
    if shape in (PasswordShape.V4, PasswordShape.V2):
        print(
            "warning: the input already looks like an SES SMTP password, not an IAM secret key.",
            file=sys.stderr,
        )
    elif shape != PasswordShape.IAM_SECRET:
        print(
            "warning: the input does not look like an IAM secret access key (40 characters).",
            file=sys.stderr,
        )
    print(smtp_password(secret, args.region))
    return OK


def _read_secret() -> str:
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass("IAM secret access key: ").strip()
    return sys.stdin.readline().strip() if sys.stdin is not None else ""


def _config(args: argparse.Namespace, retry: RetryPolicy | None = None) -> SESConfig:
    overrides: dict[str, Any] = {
        name: getattr(args, name)
        for name in ("region", "host", "port", "cafile")
        if getattr(args, name) is not None
    }
    if args.username is not None:
        overrides["username"] = args.username
        overrides["password"] = os.environ.get("SES_SMTP_PASSWORD")
    if retry is not None:
        overrides["retry"] = retry
    return SESConfig.from_env(**overrides)


def _describe(config: SESConfig) -> str:
    return f"Endpoint: {config.host}:{config.port} ({config.tls}), region {config.region}"


def _failed(error: SESError) -> int:
    print(f"{type(error).__name__}: {error.reply}", file=sys.stderr)
    print(f"Hint: {error.hint}", file=sys.stderr)
    return TRANSIENT if error.transient else PERMANENT


def run_check(args: argparse.Namespace) -> int:
    config = _config(args)
    print(_describe(config))
    try:
        with Sender(config) as sender:
            sender.open()
    except SESError as error:
        return _failed(error)
    print("235 Authentication successful: connected, TLS verified, logged in.")
    return OK


def run_send(args: argparse.Namespace) -> int:
    config = _config(args, RetryPolicy.interactive().replace(max_elapsed=args.max_elapsed))
    message = email.message.EmailMessage()
    message["From"] = args.from_addr
    message["To"] = ", ".join(args.to)
    message["Subject"] = args.subject
    message.set_content(args.body_file.read_text() if args.body_file else args.body)

    def on_retry(error: SESError, attempt: int, wait: float) -> None:
        print(f"attempt {attempt}: {error.reply}; retrying in {wait:g} s", flush=True)

    print(_describe(config))
    try:
        with Sender(config, hooks=Hooks(on_retry=on_retry), sleep=sleep) as sender:
            receipt = sender.send_message(message)
    except SESError as error:
        return _failed(error)
    print(f"Sent after {receipt.attempts} attempt(s). SES message ID: {receipt.message_id}")
    for address, reply in receipt.refused.items():
        print(f"Refused {address}: {reply}", file=sys.stderr)
    return OK


def configuration_error(command: str, error: SESConfigurationError) -> int:
    print(f"ses-smtp {command}: {error}", file=sys.stderr)
    return PERMANENT
