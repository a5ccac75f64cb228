"""One resolver from Django's settings to an ``SESConfig``, with one precedence.

Under ``MAILERS`` (Django 6.1+) the entry's OPTIONS are the only source: no ``EMAIL_*``
and no ``SES_SMTP`` setting is read. Otherwise: constructor keywords, then the
``SES_SMTP`` dict (the same names in upper case), then Django's ``EMAIL_*`` settings
that the project set explicitly, then this library's defaults.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from ..config import SESConfig, config_from_options
from ..exceptions import SESConfigurationError
from ..queued import config_factory
from ..retry import RetryPolicy
from .exceptions import InvalidMailer

#: Options this backend takes (constructor keywords, MAILERS OPTIONS, SES_SMTP keys).
OPTIONS = (
    "region", "host", "port", "username", "password", "aws_access_key_id",
    "aws_secret_access_key", "use_tls", "use_ssl", "timeout", "cafile", "max_send_rate",
    "rate_limiter", "max_elapsed", "retry", "configuration_set", "tags", "max_connections", "fips",
    "idle_reconnect", "max_messages_per_connection", "max_connection_age",
)  # fmt: skip

#: Options of the background backends only (CeleryEmailBackend, TaskEmailBackend).
BACKGROUND_OPTIONS = ("max_age", "task_backend", "queue_name")

#: Django's own settings, read in legacy mode only, and only when the project set them.
EMAIL_SETTINGS = {
    "host": "EMAIL_HOST",
    "port": "EMAIL_PORT",
    "username": "EMAIL_HOST_USER",
    "password": "EMAIL_HOST_PASSWORD",
    "use_tls": "EMAIL_USE_TLS",
    "use_ssl": "EMAIL_USE_SSL",
    "timeout": "EMAIL_TIMEOUT",
}

#: Core field names that are spelled differently in Django options.
_OPTION_FOR_FIELD = {"tls": "use_tls", "retry.max_elapsed": "max_elapsed"}


def resolve(explicit: Mapping[str, Any], alias: str | None) -> SESConfig:
    """Build the config; raise ``ImproperlyConfigured`` (``InvalidMailer`` under MAILERS)
    naming the exact setting to fix."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    ses_smtp = {} if alias is not None else _ses_smtp_setting()
    for name in OPTIONS:
        for source, value in _candidates(name, explicit, ses_smtp, alias):
            if value is not None:  # None means "not given", as in Django's own backends
                values[name], sources[name] = value, source
                break
    try:
        return config_from_options(values, RetryPolicy.interactive())
    except SESConfigurationError as error:
        field = error.key.split(".")[0] if error.key.startswith("retry.") else error.key
        option = _OPTION_FOR_FIELD.get(error.key, _OPTION_FOR_FIELD.get(field, field))
        where = sources.get(option) or _where_to_add(option, alias)
        raise configuration_error(f"{where}: {error.problem}", alias) from None


def _candidates(
    name: str, explicit: Mapping[str, Any], ses_smtp: Mapping[str, Any], alias: str | None
) -> Iterator[tuple[str, Any]]:
    """Where option ``name`` may come from, in order of precedence."""
    if alias is not None:
        yield f"OPTIONS[{name!r}]", explicit.get(name)
        return
    yield f"EmailBackend({name}=...)", explicit.get(name)
    yield f"SES_SMTP[{name.upper()!r}]", ses_smtp.get(name.upper())
    setting = EMAIL_SETTINGS.get(name)
    if setting is not None and settings.is_overridden(setting):
        yield setting, getattr(settings, setting)


def _ses_smtp_setting() -> dict[str, Any]:
    value = getattr(settings, "SES_SMTP", {})
    if not isinstance(value, Mapping):
        raise ImproperlyConfigured("SES_SMTP must be a dict such as {'REGION': 'eu-west-1'}")
    names = (*OPTIONS, *BACKGROUND_OPTIONS)
    unknown = sorted(set(value) - {name.upper() for name in names})
    if unknown:
        valid = ", ".join(name.upper() for name in names)
        raise ImproperlyConfigured(
            f"SES_SMTP has unknown key(s) {', '.join(unknown)}; valid keys: {valid}"
        )
    return dict(value)


def background_option(name: str, explicit: Any, alias: str | None) -> tuple[Any, str]:
    """A background backend's option and where it came from: the keyword (MAILERS OPTIONS),
    else, in legacy mode, ``SES_SMTP``; ``(None, where to set it)`` when not given."""
    if explicit is not None:
        return explicit, f"OPTIONS[{name!r}]" if alias is not None else f"{name}=..."
    if alias is None:
        value = _ses_smtp_setting().get(name.upper())
        if value is not None:
            return value, f"SES_SMTP[{name.upper()!r}]"
    return None, _where_to_add(name, alias)


def _where_to_add(option: str, alias: str | None) -> str:
    return f"OPTIONS[{option!r}]" if alias is not None else f"SES_SMTP[{option.upper()!r}]"


def configuration_error(message: str, alias: str | None) -> ImproperlyConfigured:
    """``ImproperlyConfigured``, or ``InvalidMailer`` for a MAILERS entry."""
    if alias is not None:
        return InvalidMailer(message, alias=alias)
    return ImproperlyConfigured(message)


@config_factory
def worker_config(alias: str | None = None) -> SESConfig:
    """The SESConfig a background worker builds from this project's settings (the OPTIONS
    of ``MAILERS[alias]``, ``"default"`` if not given, when MAILERS is defined; else the
    legacy settings): the config factory the background backends name, so no credential
    travels through the queue."""
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()
    mailers = getattr(settings, "MAILERS", None)
    if mailers is not None:
        alias = alias or "default"
        return resolve(dict(mailers.get(alias, {}).get("OPTIONS", {})), alias)
    return resolve({}, None)
