from __future__ import annotations

import importlib.util
import os
import smtplib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.helpers import smtp_session

if TYPE_CHECKING:
    from ses_smtp_backends.simulator import SESSimulator

pytest_plugins = ["pytester"]

# Adapter tests need their framework; environments without it skip those folders.
collect_ignore = [
    folder for folder in ("django",) if importlib.util.find_spec(folder) is None
]
if "django" not in collect_ignore:
    # pytest-django sets Django up lazily (first fixture), so this is early enough.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.settings")


@pytest.fixture
def session(ses_simulator: SESSimulator) -> Iterator[smtplib.SMTP]:
    """A logged-in smtplib session on the default simulator."""
    with smtp_session(ses_simulator) as client:
        yield client
