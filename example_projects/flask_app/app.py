"""Example Flask app sending through SES with SESMail (here, the SES simulator).

Run `ses-smtp simulator --port 2587 --cafile /tmp/ses-ca.pem`, then `flask --app app run`.
"""

import os

from flask import Flask, jsonify, request
from flask_mail import Message

from ses_smtp_backends.flask import SESMail

mail = SESMail()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config.update(
        # Flask-Mail's own settings...
        MAIL_SERVER=os.environ.get("SES_SMTP_HOST", "127.0.0.1"),
        MAIL_PORT=int(os.environ.get("SES_SMTP_PORT", "2587")),
        MAIL_USE_TLS=True,
        # The simulator accepts AWS's documentation example key and its derived SMTP
        # password; for real SES use your SMTP credentials (not the IAM secret key).
        MAIL_USERNAME=os.environ.get("SES_SMTP_USERNAME", "AKIAIOSFODNN7EXAMPLE"),
        MAIL_PASSWORD=os.environ.get(
            "SES_SMTP_PASSWORD", "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"
        ),
        MAIL_DEFAULT_SENDER=("Example", "app@example.com"),
        # ...and the SES ones. For real SES set only SES_SMTP_REGION (no MAIL_SERVER,
        # MAIL_PORT or SES_SMTP_CAFILE): host and port follow the region.
        SES_SMTP_REGION=os.environ.get("SES_SMTP_REGION", "us-east-1"),
        SES_SMTP_CAFILE=os.environ.get("SES_SMTP_CAFILE", "/tmp/ses-ca.pem"),  # noqa: S108
        SES_SMTP_CONFIGURATION_SET=os.environ.get("SES_SMTP_CONFIGURATION_SET"),
    )
    mail.init_app(app)

    @app.get("/send")
    def send():  # type: ignore[no-untyped-def]
        message = Message(
            "Hello from the example",
            recipients=[request.args.get("to", "success@simulator.amazonses.com")],
            body="It works.",
        )
        mail.send(message)
        return jsonify(ses_message_id=message.ses_message_id)

    return app
