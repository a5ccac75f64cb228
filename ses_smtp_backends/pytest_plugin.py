"""pytest plugin: the ``ses_simulator`` fixture (registered through the ``pytest11``
entry point, so installing ``ses-smtp-backends[simulator]`` is enough).

    def test_signup_mail(ses_simulator):
        settings = ses_simulator.client_settings()
        ...  # point your app at settings["host"], settings["port"], ...
        assert ses_simulator.messages[0].recipients == ("new-user@example.com",)

Override ``ses_simulator_options`` to change how the simulator is built::

    @pytest.fixture
    def ses_simulator_options():
        return {"sandbox": True, "verified_identities": ["app@example.com"]}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .simulator import SESSimulator


@pytest.fixture
def ses_simulator_options() -> dict[str, Any]:
    """Keyword arguments for :class:`SESSimulator`; override it in your conftest."""
    return {}


@pytest.fixture
def ses_simulator(ses_simulator_options: dict[str, Any]) -> Iterator[SESSimulator]:
    """A running SES simulator on loopback, stopped after the test."""
    try:
        from .simulator import SESSimulator
    except ImportError as error:
        pytest.fail(str(error), pytrace=False)
    with SESSimulator(**ses_simulator_options) as simulator:
        yield simulator
