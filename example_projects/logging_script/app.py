"""Error mail for a plain Python program, configured with logging.config.dictConfig.

The handler entry is the one you would write for logging.handlers.SMTPHandler, with only
"class" changed. Run `ses-smtp simulator --port 2587 --cafile /tmp/ses-ca.pem`, then
`python app.py`.
"""

import logging
import logging.config
import os

HOST = os.environ.get("SES_SMTP_HOST", "127.0.0.1")
PORT = int(os.environ.get("SES_SMTP_PORT", "2587"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "mail": {
            # was: "class": "logging.handlers.SMTPHandler",
            "class": "ses_smtp_backends.logging.SESHandler",
            "level": "ERROR",
            "formatter": "plain",
            "mailhost": [HOST, PORT],
            "fromaddr": "app@example.com",
            "toaddrs": ["success@simulator.amazonses.com"],
            "subject": "Errors in the example script",
            # The simulator accepts AWS's documentation example key and its derived SMTP
            # password; for real SES use your SMTP credentials (never the IAM secret key).
            "credentials": [
                os.environ.get("SES_SMTP_USERNAME", "AKIAIOSFODNN7EXAMPLE"),
                os.environ.get("SES_SMTP_PASSWORD", "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"),
            ],
            "secure": [],
            # SESHandler's own options (all optional):
            "region": os.environ.get("SES_SMTP_REGION", "us-east-1"),
            "cafile": os.environ.get("SES_SMTP_CAFILE", "/tmp/ses-ca.pem"),  # noqa: S108 - test CA
            "batch_interval": 2,
            "max_emails_per_hour": 20,
            "fallback": "console",  # what cannot be mailed is logged here instead
        },
    },
    "root": {"handlers": ["console", "mail"], "level": "INFO"},
}


def main() -> None:
    logging.config.dictConfig(LOGGING)
    log = logging.getLogger("example")
    log.info("starting (console only)")
    for attempt in range(3):
        log.error("could not reach the payment service (attempt %d)", attempt + 1)
    try:
        {}["missing"]
    except KeyError:
        log.exception("lookup failed")
    # No explicit close: logging.shutdown() at exit flushes the handler and sends the mail.


if __name__ == "__main__":
    main()
