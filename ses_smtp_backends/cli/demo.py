"""``ses-smtp demo``: the library sending through the embedded SES simulator."""

from __future__ import annotations

import time
from collections.abc import Callable

DEMO_MESSAGE = (
    b"From: Demo <demo@example.com>\r\n"
    b"To: success@simulator.amazonses.com\r\n"
    b"Subject: ses-smtp-backends demo\r\n"
    b"\r\n"
    b"Sent through the SES simulator.\r\n"
)
#: Retry waits are real but scaled down, so the demo takes seconds, not half an hour.
SCALE = 1000


def run_demo(out: Callable[[str], None] = print) -> int:
    """Start the simulator in-process and show a send, retries and a permanent error."""
    try:
        from ..simulator import SESReplies, SESSimulator
    except ImportError as error:
        out(f"ses-smtp demo: {error}")
        return 2
    from .. import Hooks, Sender, SESConfig, SESError

    table: list[tuple[str, str, str]] = []

    def scaled_sleep(seconds: float) -> None:
        time.sleep(seconds / SCALE)

    def on_retry(error: SESError, attempt: int, wait: float) -> None:
        out(f"    attempt {attempt}: {error.reply} -> wait {wait:g} s (scaled 1:{SCALE} here)")

    with SESSimulator(verified_identities=["example.com"]) as ses:
        settings = ses.client_settings()
        config = SESConfig(
            region=settings["region"], host=settings["host"], port=settings["port"],
            username=settings["username"], password=settings["password"], cafile=settings["cafile"],
        )  # fmt: skip
        out(
            f"SES simulator on {ses.host}:{ses.port} (STARTTLS, verified certificate, {ses.region})"
        )
        with Sender(config, sleep=scaled_sleep, hooks=Hooks(on_retry=on_retry)) as sender:

            def step(
                title: str, inject: str | None = None, sender_address: str = "demo@example.com"
            ) -> None:
                out(title)
                if inject:
                    ses.inject(inject, at="END_OF_DATA", times=3 if "rate" in inject else 1)
                try:
                    receipt = sender.send(
                        sender_address, ["success@simulator.amazonses.com"], DEMO_MESSAGE
                    )
                except SESError as error:
                    out(f"    raised {type(error).__name__}: {error.reply}")
                    out(f"    hint: {error.hint}")
                    table.append((title.split(".")[0], "raised", type(error).__name__))
                    return
                attempts = receipt.attempts
                out(f"    sent after {attempts} attempt(s); SES message ID {receipt.message_id}")
                out(f"    Message-ID header on delivery: {receipt.message_id_header}")
                table.append(
                    (
                        title.split(":")[0],
                        f"sent, {receipt.attempts} attempt(s)",
                        receipt.message_id or "",
                    )
                )

            step("1. A normal send: the SES message ID comes back")
            step(
                "2. Throttled three times: retried on the 5/10/30 s ladder",
                SESReplies.MAX_SEND_RATE_EXCEEDED,
            )
            step("3. Daily quota: the short waits are skipped", SESReplies.DAILY_QUOTA_EXCEEDED)
            step("4. Unverified sender: a 554 is raised at once, never retried",
                 sender_address="news@unverified.example")  # fmt: skip
        out("")
        out(f"{'step':<5} {'outcome':<22} detail")
        for name, outcome, detail in table:
            out(f"{name:<5} {outcome:<22} {detail}")
        out(f"The simulator stored {len(ses.messages)} message(s); events: "
            + ", ".join(sorted({e.type for e in ses.events})))  # fmt: skip
    return 0
