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
    folder
    for folder, module in (("django", "django"), ("flask", "flask_mail"), ("celery", "celery"))
    if importlib.util.find_spec(module) is None
]
if "django" not in collect_ignore:
    # Set Django up here, before pytest-django's pytest_configure looks for it; an ini
    # DJANGO_SETTINGS_MODULE would break the environments that have no Django.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.django.settings")
    import django

    django.setup()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # On Django 6.1 the legacy EMAIL_* path is deprecated and Django itself warns about it;
    # tests of that path accept Django's warning. MAILERS tests keep warnings as errors.
    if "django" in collect_ignore:
        return
    import django

    if django.VERSION < (6, 1):
        return
    legacy_ok = pytest.mark.filterwarnings(
        "ignore::django.utils.deprecation.RemovedInDjango2028Warning"
    )
    for item in items:
        if not item.get_closest_marker("mailers"):
            item.add_marker(legacy_ok)


@pytest.fixture
def session(ses_simulator: SESSimulator) -> Iterator[smtplib.SMTP]:
    """A logged-in smtplib session on the default simulator."""
    with smtp_session(ses_simulator) as client:
        yield client
