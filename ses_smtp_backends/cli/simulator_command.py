"""``ses-smtp simulator``: run the SES simulator in the foreground."""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import threading
from typing import Any


def add_parser(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "simulator",
        help="run the SES SMTP simulator in the foreground",
        description=(
            "Run an SES-like SMTP server on this machine (TLS, SES's exact replies, quotas, "
            "verified identities) and print the settings to paste into Django or Flask. "
            "Stop it with Ctrl-C."
        ),
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port", type=int, default=2587, help="port (default: %(default)s; 0 picks a free one)"
    )
    parser.add_argument(
        "--region", default="us-east-1", help="region whose SMTP password is accepted"
    )
    parser.add_argument("--tls", choices=("starttls", "implicit"), default="starttls")
    parser.add_argument(
        "--verified",
        action="append",
        metavar="IDENTITY",
        help="verified address or domain (repeatable; default: example.com)",
    )
    parser.add_argument("--sandbox", action="store_true", help="also require verified recipients")
    parser.add_argument("--max-send-rate", type=float, help="recipients per second")
    parser.add_argument("--daily-quota", type=int, help="recipients per rolling 24 hours")
    parser.add_argument(
        "--idle-timeout", type=float, default=10.0, help="seconds (default: %(default)s)"
    )
    parser.add_argument("--max-connections", type=int)
    parser.add_argument(
        "--latency",
        type=float,
        default=0.0,
        help="seconds before every reply (a network round trip)",
    )
    parser.add_argument(
        "--no-store", dest="store", action="store_false", help="count accepted mail, keep none"
    )
    parser.add_argument("--maildir", help="also write every accepted message to this Maildir")
    parser.add_argument("--cafile", help="also copy the CA certificate clients must trust here")
    parser.set_defaults(run=_run_simulator)


def _run_simulator(args: argparse.Namespace) -> int:
    try:
        from ..simulator import SESSimulator
    except ImportError as error:
        print(f"ses-smtp simulator: {error}", file=sys.stderr)
        return 2
    simulator = SESSimulator(
        args.host,
        args.port,
        region=args.region,
        tls=args.tls,
        verified_identities=args.verified or ("example.com",),
        sandbox=args.sandbox,
        max_send_rate=args.max_send_rate,
        daily_quota=args.daily_quota,
        idle_timeout=args.idle_timeout,
        max_connections=args.max_connections,
        maildir=args.maildir,
        latency=args.latency,
        store=args.store,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with simulator:
        settings = simulator.client_settings()
        if args.cafile:
            with (
                open(args.cafile, "w", encoding="ascii") as handle,
                open(settings["cafile"]) as pem,
            ):
                handle.write(pem.read())
            settings["cafile"] = args.cafile
        print(_settings_text(simulator, settings), flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
        print(f"Stopped. {len(simulator.messages)} message(s) accepted.", flush=True)
    return 0


def _settings_text(simulator: Any, s: dict[str, Any]) -> str:
    options = {"REGION": s["region"], "CAFILE": s["cafile"]}
    return "\n".join(
        [
            f"SES simulator listening on {s['host']}:{s['port']} "
            f"({simulator.tls}, region {s['region']}).",
            f"SMTP username {s['username']}; password {s['password']} "
            "(derived from AWS's documentation example key: not a secret).",
            "",
            "# Django settings.py",
            'EMAIL_BACKEND = "ses_smtp_backends.django.EmailBackend"',
            f"EMAIL_HOST = {s['host']!r}",
            f"EMAIL_PORT = {s['port']}",
            f"EMAIL_HOST_USER = {s['username']!r}",
            f"EMAIL_HOST_PASSWORD = {s['password']!r}",
            f"EMAIL_USE_TLS = {s['use_tls']}",
            f"EMAIL_USE_SSL = {s['use_ssl']}",
            f"SES_SMTP = {json.dumps(options)}",
            "",
            "# Flask config",
            f"MAIL_SERVER = {s['host']!r}",
            f"MAIL_PORT = {s['port']}",
            f"MAIL_USERNAME = {s['username']!r}",
            f"MAIL_PASSWORD = {s['password']!r}",
            f"MAIL_USE_TLS = {s['use_tls']}",
            f"MAIL_USE_SSL = {s['use_ssl']}",
            f"SES_SMTP_REGION = {s['region']!r}",
            f"SES_SMTP_CAFILE = {s['cafile']!r}",
            "",
            "Press Ctrl-C to stop.",
        ]
    )
