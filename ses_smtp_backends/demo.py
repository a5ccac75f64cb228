"""``ses-smtp demo``: what SES does to your mail, shown on the embedded simulator."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable

DEMO_MESSAGE = (
    b"From: Demo <demo@example.com>\r\n"
    b"To: success@simulator.amazonses.com\r\n"
    b"Subject: ses-smtp-backends demo\r\n"
    b"\r\n"
    b"Sent through the SES simulator.\r\n"
)


def run_demo(out: Callable[[str], None] = print) -> int:
    """Start the simulator in-process and walk through SES's behaviours."""
    try:
        from .simulator import SESReplies, SESSimulator
    except ImportError as error:
        out(f"ses-smtp demo: {error}")
        return 2

    with SESSimulator(verified_identities=["example.com"]) as ses:
        out(f"SES simulator on {ses.host}:{ses.port}, STARTTLS, region {ses.region}")

        def attempt(title: str, sender: str = "demo@example.com") -> None:
            client = smtplib.SMTP(ses.host, ses.port, timeout=10)
            try:
                client.starttls(context=ssl.create_default_context(cafile=ses.cafile))
                client.login(ses.smtp_username, ses.smtp_password)
                client.mail(sender)
                client.rcpt("success@simulator.amazonses.com")
                code, text = client.data(DEMO_MESSAGE)
                client.quit()
            finally:
                client.close()
            out(f"  {title}: {code} {text.decode()}")

        out("1. A normal send: SES answers 250 Ok <message ID>, the key for bounce tracking.")
        attempt("reply")
        out("2. Throttling: SES answers 454 after DATA and drops the message (retry it).")
        ses.inject(SESReplies.MAX_SEND_RATE_EXCEEDED, at="END_OF_DATA")
        attempt("reply")
        out("3. Daily quota: also 454, but a retry within seconds cannot succeed.")
        ses.inject(SESReplies.DAILY_QUOTA_EXCEEDED, at="END_OF_DATA")
        attempt("reply")
        out("4. An unverified sender: a permanent 554 (fix it, never retry it).")
        attempt("reply", sender="someone@unverified.example")
        out(f"Accepted {len(ses.messages)} message(s); events: "
            + ", ".join(f"{e.type} for {e.recipient}" for e in ses.events))  # fmt: skip
    return 0
