"""The ``ses-smtp`` command (also ``python -m ses_smtp_backends``): ``password``, ``check``,
``send``, ``simulator`` and ``demo``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from ..exceptions import SESConfigurationError
from . import account, dead_letters, simulator_command

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ses-smtp", description="Tools for sending mail through the Amazon SES SMTP interface."
    )
    subcommands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = subcommands.add_parser(
        "demo",
        help="show what the library does, on the embedded simulator",
        description="Start the SES simulator in-process; walk through sends, retries and errors.",
    )
    demo.set_defaults(run=_run_demo)
    account.add_parsers(subcommands)
    dead_letters.add_parser(subcommands)
    simulator_command.add_parser(subcommands)
    return parser


def _run_demo(args: argparse.Namespace) -> int:
    from .demo import run_demo

    return run_demo()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return int(args.run(args))
    except SESConfigurationError as error:
        return account.configuration_error(args.command, error)
