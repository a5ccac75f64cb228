from __future__ import annotations

import smtplib
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.helpers import smtp_session

if TYPE_CHECKING:
    from ses_smtp_backends.simulator import SESSimulator

pytest_plugins = ["pytester"]


@pytest.fixture
def session(ses_simulator: SESSimulator) -> Iterator[smtplib.SMTP]:
    """A logged-in smtplib session on the default simulator."""
    with smtp_session(ses_simulator) as client:
        yield client
