"""``SESConfig``: everything needed to send through SES SMTP, validated up front.

Every problem is an :class:`SESConfigurationError` raised at construction, naming the
field to fix, so a typo never waits for the first send (or a ``535``) to show.

>>> config = SESConfig(region="eu-west-1", username="AKIA...", password="B...")
>>> config.host, config.port, config.tls
('email-smtp.eu-west-1.amazonaws.com', 587, 'starttls')
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .credentials import PasswordShape, password_shape, smtp_password
from .endpoints import endpoint_for, tls_mode_for_port, validate_region
from .exceptions import SESConfigurationError
from .retry import RetryPolicy

__all__ = ["SESConfig", "config_from_options"]

_TLS_MODES = ("starttls", "implicit", "none")
_SES_HOST = re.compile(r"email-smtp(?:-fips)?\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com")
_TAG = re.compile(r"[A-Za-z0-9_-]+")
# SES closes idle connections after about 10 s (SES_FACTS section 3); reconnect before that.
_SES_IDLE_CLOSE = 10.0


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class SESConfig:
    """How to reach SES and how to behave when it refuses.

    Give ``region`` (the host follows) or ``host``; give SMTP credentials as
    ``username``/``password`` or as IAM keys ``aws_access_key_id``/``aws_secret_access_key``
    (the SMTP password is derived for the region). ``tls`` follows the port unless set:
    STARTTLS on 25/587/2587, implicit on 465/2465; ``"none"`` is allowed only for a
    loopback host (a local test server) and then no AUTH is sent.
    """

    region: str | None = None
    host: str | None = None
    port: int = 587
    tls: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    aws_access_key_id: str | None = None
    aws_secret_access_key: str | None = field(default=None, repr=False)
    fips: bool = False
    timeout: float = 30.0
    cafile: str | None = None
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)
    max_send_rate: float | None = None
    rate_limiter: str | None = None
    max_connections: int = 1
    idle_reconnect: float = 8.0
    max_messages_per_connection: int | None = 100
    max_connection_age: float | None = 300.0
    configuration_set: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict, hash=False)
    retry: RetryPolicy = field(default_factory=RetryPolicy.ses)
    local_hostname: str | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: normalise fields once, here
        set_(self, "retry", RetryPolicy.from_value(self.retry))
        if self.region is not None:
            _check(lambda: validate_region(self.region or ""), "region")
        host = self.host
        if host is None:
            if self.region is None:
                raise SESConfigurationError(
                    "region", "set the SES region (e.g. 'us-east-1'), or host for a test server"
                )
            host = endpoint_for(self.region, fips=self.fips)
            set_(self, "host", host)
        elif self.region is None:
            inferred = _SES_HOST.fullmatch(host)
            if inferred:
                set_(self, "region", inferred.group(1))
        if (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not 0 < self.port < 65536
        ):
            raise SESConfigurationError("port", f"{self.port!r} is not a TCP port; SES uses 587")
        tls = self.tls if self.tls is not None else tls_mode_for_port(self.port)
        if tls not in _TLS_MODES:
            raise SESConfigurationError("tls", f"{tls!r}: use 'starttls' or 'implicit'")
        if tls == "none" and not is_loopback(host):
            raise SESConfigurationError(
                "tls", f"plaintext is allowed only for a loopback test server, not {host!r}"
            )
        set_(self, "tls", tls)
        self._check_credentials()
        _positive(self.timeout, "timeout")
        _positive(self.idle_reconnect, "idle_reconnect")
        if self.idle_reconnect >= _SES_IDLE_CLOSE and self.region is not None:
            raise SESConfigurationError(
                "idle_reconnect", f"{self.idle_reconnect!r}: keep it below SES's 10 s idle close"
            )
        for name in ("max_send_rate", "max_connection_age"):
            if getattr(self, name) is not None:
                _positive(getattr(self, name), name)
        for name in ("max_connections", "max_messages_per_connection"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise SESConfigurationError(name, f"{value!r}: give a whole number >= 1")
        if self.rate_limiter is not None:
            if not self.rate_limiter.startswith(("redis://", "rediss://", "unix://")):
                raise SESConfigurationError(
                    "rate_limiter",
                    f"{self.rate_limiter!r}: give a Redis URL such as redis://localhost:6379/0 "
                    "(or leave it unset for a limiter in this process)",
                )
            if self.max_send_rate is None:
                raise SESConfigurationError(
                    "max_send_rate",
                    "is needed with rate_limiter: the account's recipients per second",
                )
        if self.cafile is not None and not os.path.isfile(self.cafile):
            raise SESConfigurationError("cafile", f"{self.cafile!r} is not a readable file")
        if self.configuration_set is not None and not _TAG.fullmatch(self.configuration_set):
            raise SESConfigurationError(
                "configuration_set", f"{self.configuration_set!r}: use letters, digits, _ and -"
            )
        if not isinstance(self.tags, Mapping):
            raise SESConfigurationError("tags", "give a dict of tag names to values")
        for name, value in self.tags.items():
            if not (_TAG.fullmatch(str(name)) and _TAG.fullmatch(str(value))):
                raise SESConfigurationError(
                    "tags", f"{name}={value}: tag names and values use letters, digits, _ and -"
                )
        set_(self, "tags", dict(self.tags))

    def _check_credentials(self) -> None:
        pair = self.username is not None or self.password is not None
        keys = self.aws_access_key_id is not None or self.aws_secret_access_key is not None
        if pair and keys:
            raise SESConfigurationError(
                "password",
                "give username/password or aws_access_key_id/aws_secret_access_key, not both",
            )
        if keys:
            if not self.aws_access_key_id or not self.aws_secret_access_key:
                missing = (
                    "aws_access_key_id" if not self.aws_access_key_id else "aws_secret_access_key"
                )
                raise SESConfigurationError(missing, "is missing; both IAM keys are needed")
            if self.aws_access_key_id.startswith("ASIA"):
                raise SESConfigurationError(
                    "aws_access_key_id",
                    "is a temporary (STS) key; SES SMTP needs a long-term IAM user's keys",
                )
            if self.region is None:
                raise SESConfigurationError(
                    "region", "is needed to derive the SMTP password from aws_secret_access_key"
                )
        elif pair:
            if not self.username or not self.password:
                missing = "username" if not self.username else "password"
                raise SESConfigurationError(missing, "is missing; give both username and password")
            if password_shape(self.password) == PasswordShape.IAM_SECRET:
                raise SESConfigurationError(
                    "password",
                    "looks like an IAM secret access key (40 characters), which SES refuses "
                    "with 535; pass it as aws_secret_access_key instead, or use the SMTP "
                    "password derived from it (ses_smtp_backends.smtp_password)",
                )
        elif self.tls != "none":
            raise SESConfigurationError(
                "username", "SES needs SMTP credentials: username and password (or IAM keys)"
            )

    # --- derived values ----------------------------------------------------------------

    @property
    def smtp_username(self) -> str | None:
        return self.aws_access_key_id or self.username

    @property
    def smtp_password(self) -> str | None:
        """The SMTP password, derived from the IAM secret for the region when needed."""
        if self.aws_secret_access_key is not None:
            assert self.region is not None
            return smtp_password(self.aws_secret_access_key, self.region)
        return self.password

    def tls_context(self) -> ssl.SSLContext:
        """The client TLS context: ``ssl_context`` if given, else a verifying default
        (trusting ``cafile`` when given), TLS 1.2 at least."""
        if self.ssl_context is not None:
            return self.ssl_context
        context = ssl.create_default_context(cafile=self.cafile)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        return context

    def replace(self, **changes: Any) -> SESConfig:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> SESConfig:
        """Build a config from ``SES_SMTP_*`` variables, then the ``AWS_*`` ones.

        ``SES_SMTP_REGION`` (else ``AWS_REGION`` / ``AWS_DEFAULT_REGION``), ``SES_SMTP_HOST``,
        ``SES_SMTP_PORT``, ``SES_SMTP_USERNAME`` + ``SES_SMTP_PASSWORD`` (else
        ``AWS_ACCESS_KEY_ID`` + ``AWS_SECRET_ACCESS_KEY``), ``SES_SMTP_TIMEOUT``,
        ``SES_SMTP_CAFILE``, ``SES_SMTP_MAX_SEND_RATE``, ``SES_SMTP_CONFIGURATION_SET``.
        Keyword ``overrides`` win over the environment.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        region = (
            env.get("SES_SMTP_REGION") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        )
        if region:
            values["region"] = region
        for name, convert in (
            ("host", str), ("port", int), ("tls", str), ("timeout", float), ("cafile", str),
            ("max_send_rate", float), ("max_connections", int), ("configuration_set", str),
            ("rate_limiter", str),
        ):  # fmt: skip
            raw = env.get(f"SES_SMTP_{name.upper()}")
            if raw:
                try:
                    values[name] = convert(raw)
                except ValueError:
                    raise SESConfigurationError(
                        f"SES_SMTP_{name.upper()}", f"{raw!r} is not valid"
                    ) from None
        if env.get("SES_SMTP_USERNAME") or env.get("SES_SMTP_PASSWORD"):
            values["username"] = env.get("SES_SMTP_USERNAME")
            values["password"] = env.get("SES_SMTP_PASSWORD")
        elif env.get("AWS_ACCESS_KEY_ID") or env.get("AWS_SECRET_ACCESS_KEY"):
            if env.get("AWS_SESSION_TOKEN"):
                raise SESConfigurationError(
                    "AWS_SESSION_TOKEN",
                    "is set: temporary (STS) credentials do not work with SES SMTP; set "
                    "SES_SMTP_USERNAME and SES_SMTP_PASSWORD",
                )
            values["aws_access_key_id"] = env.get("AWS_ACCESS_KEY_ID")
            values["aws_secret_access_key"] = env.get("AWS_SECRET_ACCESS_KEY")
        values.update(overrides)
        return cls(**values)


def _positive(value: Any, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise SESConfigurationError(name, f"{value!r}: give a number of seconds > 0")


def _check(check: Any, name: str) -> None:
    try:
        check()
    except ValueError as error:
        raise SESConfigurationError(name, str(error)) from None


def config_from_options(options: Mapping[str, Any], default_retry: RetryPolicy) -> SESConfig:
    """Build an SESConfig from the option names the adapters share with Django and
    Flask-Mail: ``use_tls`` / ``use_ssl`` instead of ``tls``, and ``max_elapsed`` refining
    ``retry`` (a policy or a dict of its fields; ``default_retry`` when absent).

    ``use_tls=False`` said explicitly, without ``use_ssl``, asks for plaintext, which
    SESConfig allows only for a loopback test server.
    """
    values = dict(options)
    use_tls, use_ssl = values.pop("use_tls", None), values.pop("use_ssl", None)
    if use_tls and use_ssl:
        raise SESConfigurationError(
            "tls", "use_tls (STARTTLS, port 587) and use_ssl (TLS, port 465) exclude each other"
        )
    if use_ssl:
        values["tls"] = "implicit"
    elif use_tls:
        values["tls"] = "starttls"
    elif use_tls is not None:
        values["tls"] = "none"
    retry = RetryPolicy.from_value(values.pop("retry", None) or default_retry)
    if values.get("max_elapsed") is not None:
        retry = dataclasses.replace(retry, max_elapsed=values.pop("max_elapsed"))
    values.pop("max_elapsed", None)
    return SESConfig(retry=retry, **values)
