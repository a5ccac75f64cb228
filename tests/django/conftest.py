from __future__ import annotations

import django
import pytest

from ses_smtp_backends.django import EmailBackend
from tests.helpers import patch_time

BACKEND = "ses_smtp_backends.django.EmailBackend"
HAS_MAILERS = django.VERSION >= (6, 1)


@pytest.fixture
def fake_time(monkeypatch):
    """The backend's sleep and clock, replaced: the retry ladder runs without waiting."""
    return patch_time(monkeypatch, EmailBackend)


@pytest.fixture
def ses_settings(settings, ses_simulator, fake_time):
    """Legacy settings (EMAIL_BACKEND, SES_SMTP, EMAIL_HOST_*) pointing at the simulator."""
    client = ses_simulator.client_settings()
    settings.EMAIL_BACKEND = BACKEND
    settings.SES_SMTP = {
        "REGION": client["region"],
        "HOST": client["host"],
        "PORT": client["port"],
        "CAFILE": client["cafile"],
    }
    settings.EMAIL_HOST_USER = client["username"]
    settings.EMAIL_HOST_PASSWORD = client["password"]
    settings.EMAIL_USE_TLS = True
    return settings


def mailers_options(ses_simulator, **extra):
    client = ses_simulator.client_settings()
    return {
        "region": client["region"],
        "host": client["host"],
        "port": client["port"],
        "username": client["username"],
        "password": client["password"],
        "cafile": client["cafile"],
        "use_tls": True,
        **extra,
    }
