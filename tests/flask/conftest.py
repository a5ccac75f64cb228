from __future__ import annotations

import pytest
from flask import Flask

from ses_smtp_backends.flask import SESConnection, SESMail
from tests.helpers import patch_time


@pytest.fixture
def fake_time(monkeypatch):
    """SESConnection's sleep and clock, replaced: retries run without waiting."""
    return patch_time(monkeypatch, SESConnection)


def flask_config(simulator, **extra):
    """app.config for a simulator, the way a Flask-Mail user writes it, plus SES keys."""
    client = simulator.client_settings()
    return {
        "MAIL_SERVER": client["host"],
        "MAIL_PORT": client["port"],
        "MAIL_USERNAME": client["username"],
        "MAIL_PASSWORD": client["password"],
        "MAIL_USE_TLS": True,
        "MAIL_DEFAULT_SENDER": ("Example", "app@example.com"),
        "SES_SMTP_REGION": client["region"],
        "SES_SMTP_CAFILE": client["cafile"],
        **extra,
    }


def make_app(simulator, **extra) -> Flask:
    app = Flask("tests.flask")
    app.config.update(flask_config(simulator, **extra))
    return app


@pytest.fixture
def app(ses_simulator, fake_time):
    app = make_app(ses_simulator)
    with app.app_context():
        yield app


@pytest.fixture
def mail(app):
    return SESMail(app)
