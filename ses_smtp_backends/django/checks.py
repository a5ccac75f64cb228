"""``manage.py check``: catch SES misconfiguration before the first mail bounces."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from ..config import SESConfig
from ..credentials import PasswordShape, password_shape
from .conf import BACKGROUND_OPTIONS, OPTIONS, resolve

#: The backends these checks cover, and the options each takes beyond the SES ones.
BACKENDS = {
    "ses_smtp_backends.django.EmailBackend": (),
    "ses_smtp_backends.django.CeleryEmailBackend": ("max_age",),
    "ses_smtp_backends.django.TaskEmailBackend": BACKGROUND_OPTIONS,
}


def configured_backends() -> list[tuple[str | None, dict[str, Any], str]]:
    """(alias, OPTIONS, backend) for every configured use of these backends; alias None =
    EMAIL_BACKEND."""
    mailers = getattr(settings, "MAILERS", None)
    if mailers is not None:
        return [
            (alias, dict(entry.get("OPTIONS", {})), entry["BACKEND"])
            for alias, entry in mailers.items()
            if entry.get("BACKEND") in BACKENDS
        ]
    backend = getattr(settings, "EMAIL_BACKEND", None)
    if backend in BACKENDS:
        return [(None, {}, backend)]
    return []


def check_ses_smtp_backends(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    for alias, options, backend in configured_backends():
        where = f"MAILERS[{alias!r}]" if alias is not None else "EMAIL_BACKEND"
        options = {k: v for k, v in options.items() if k != "fail_silently"}
        valid = (*OPTIONS, *BACKENDS[backend])
        unknown = sorted(set(options) - set(valid))
        if unknown:
            found.append(
                checks.Error(
                    f"{where}: unknown OPTIONS {', '.join(unknown)}",
                    hint=f"Valid OPTIONS: {', '.join(valid)}, fail_silently.",
                    obj=where,
                    id="ses_smtp_backends.E002",
                )
            )
            continue
        try:
            config = resolve(options, alias)
        except ImproperlyConfigured as error:
            found.append(
                checks.Error(
                    str(error), hint=_hint_for(str(error)), obj=where, id="ses_smtp_backends.E001"
                )
            )
            continue
        if BACKENDS[backend]:
            found.extend(_background_errors(backend, options, alias, where))
        found.extend(_warnings(config, where))
    return found


def _background_errors(
    backend: str, options: dict[str, Any], alias: str | None, where: str
) -> list[checks.Error]:
    """The background backends' own options: max_age; the tasks backend and queue."""
    from .background import max_age_for, send_task

    try:
        max_age_for(options.get("max_age"), alias)
        if backend.endswith(".TaskEmailBackend"):
            send_task(options.get("task_backend"), options.get("queue_name"), alias)
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), obj=where, id="ses_smtp_backends.E003")]
    return []


def _hint_for(message: str) -> str | None:
    if "IAM secret access key" in message:
        return (
            'Use the SMTP password derived for the region (python -c "from ses_smtp_backends '
            'import smtp_password; print(smtp_password(SECRET, REGION))"), or set '
            "aws_secret_access_key and let the backend derive it."
        )
    if "region" in message.lower():
        return "Set the SES region, e.g. SES_SMTP = {'REGION': 'eu-west-1'} (OPTIONS: 'region')."
    return None


def _warnings(config: SESConfig, where: str) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    if config.password and password_shape(config.password) == PasswordShape.V2:
        found.append(
            checks.Warning(
                "The SMTP password is a legacy (version 2) SES password; SES throttles these "
                "harder (454 Maximum SigV2 SMTP sending rate exceeded).",
                hint="Create new SMTP credentials, or derive a v4 password with smtp_password().",
                obj=where,
                id="ses_smtp_backends.W001",
            )
        )
    if config.tls == "none":
        found.append(
            checks.Warning(
                f"Mail goes to {config.host} without TLS and without AUTH (test servers only).",
                hint="SES itself always needs TLS: set use_tls (587) or use_ssl (465).",
                obj=where,
                id="ses_smtp_backends.W002",
            )
        )
    if config.port == 25:
        found.append(
            checks.Warning(
                "Port 25 is throttled on EC2 and often blocked elsewhere.",
                hint="Use port 587 (STARTTLS) or 465 (TLS).",
                obj=where,
                id="ses_smtp_backends.W003",
            )
        )
    if config.region is None:
        found.append(
            checks.Warning(
                f"No SES region is configured for host {config.host!r}: receipts will carry "
                "no Message-ID header value.",
                hint="Set the region (SES_SMTP['REGION'] or OPTIONS['region']).",
                obj=where,
                id="ses_smtp_backends.W004",
            )
        )
    return found
