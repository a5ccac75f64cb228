"""Where the backend's configuration comes from, and errors that name the setting to fix."""

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from ses_smtp_backends import RetryPolicy
from ses_smtp_backends.django import EmailBackend
from tests.django.conftest import BACKEND, HAS_MAILERS, mailers_options

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PASSWORD = "BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk"


@pytest.fixture
def legacy(settings):
    settings.EMAIL_BACKEND = BACKEND
    return settings


def test_ses_smtp_alone_is_enough(legacy):
    legacy.SES_SMTP = {"REGION": "eu-west-1", "USERNAME": "AKIAEXAMPLE", "PASSWORD": PASSWORD}
    config = EmailBackend().config
    assert (config.host, config.port, config.tls, config.timeout) == (
        "email-smtp.eu-west-1.amazonaws.com", 587, "starttls", 30.0,
    )  # fmt: skip
    assert config.retry == RetryPolicy(max_elapsed=45)


def test_django_defaults_are_not_mistaken_for_choices(legacy):
    # EMAIL_HOST defaults to "localhost" and EMAIL_PORT to 25: unset, they must not win.
    legacy.SES_SMTP = {"REGION": "eu-west-1", "USERNAME": "AKIA", "PASSWORD": PASSWORD}
    assert EmailBackend().config.host == "email-smtp.eu-west-1.amazonaws.com"


def test_precedence_kwargs_then_ses_smtp_then_email_settings(legacy):
    legacy.SES_SMTP = {"REGION": "eu-west-1", "PORT": 2587, "TIMEOUT": 20}
    legacy.EMAIL_PORT = 465
    legacy.EMAIL_TIMEOUT = 10
    legacy.EMAIL_HOST_USER = "AKIAEXAMPLE"
    legacy.EMAIL_HOST_PASSWORD = PASSWORD
    backend = EmailBackend(timeout=5)
    assert (backend.config.port, backend.config.timeout, backend.config.username) == (
        2587,
        5,
        "AKIAEXAMPLE",
    )


def test_email_settings_map_to_ses(legacy):
    legacy.SES_SMTP = {"REGION": "eu-west-1"}
    legacy.EMAIL_HOST = "email-smtp.eu-west-1.amazonaws.com"
    legacy.EMAIL_PORT = 465
    legacy.EMAIL_USE_SSL = True
    legacy.EMAIL_HOST_USER = "AKIAEXAMPLE"
    legacy.EMAIL_HOST_PASSWORD = PASSWORD
    legacy.EMAIL_TIMEOUT = None  # Django's "no timeout": ours stays 30 s, never None
    config = EmailBackend().config
    assert (config.port, config.tls, config.timeout) == (465, "implicit", 30.0)


def test_iam_keys_and_options(legacy):
    legacy.SES_SMTP = {
        "REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECRET_ACCESS_KEY": SECRET,
        "MAX_SEND_RATE": 14, "CONFIGURATION_SET": "transactional", "TAGS": {"app": "shop"},
        "RETRY": {"waits": [5, 10, 30, 1200], "max_elapsed": 3600}, "MAX_ELAPSED": 120,
    }  # fmt: skip
    config = EmailBackend().config
    assert config.smtp_password == PASSWORD
    assert (config.max_send_rate, config.configuration_set, config.tags) == (
        14,
        "transactional",
        {"app": "shop"},
    )
    assert config.retry.max_elapsed == 120  # MAX_ELAPSED refines RETRY


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda s: None, r"SES_SMTP\['REGION'\]: set the SES region"),
        (lambda s: setattr(s, "SES_SMTP", {"REGION": "Ireland"}), r"SES_SMTP\['REGION'\]: 'Ireland' is not an AWS region"),
        (lambda s: (setattr(s, "SES_SMTP", {"REGION": "eu-west-1"}), setattr(s, "EMAIL_HOST_USER", "AKIA"),
                    setattr(s, "EMAIL_HOST_PASSWORD", SECRET)), r"EMAIL_HOST_PASSWORD: looks like an IAM secret access key"),
        (lambda s: (setattr(s, "SES_SMTP", {"REGION": "eu-west-1", "USERNAME": "A", "PASSWORD": "B"}),
                    setattr(s, "EMAIL_USE_TLS", False)), r"EMAIL_USE_TLS: plaintext is allowed only for a loopback"),
        (lambda s: (setattr(s, "SES_SMTP", {"REGION": "eu-west-1", "USERNAME": "A", "PASSWORD": "B"}),
                    setattr(s, "EMAIL_USE_TLS", True), setattr(s, "EMAIL_USE_SSL", True)), r"EMAIL_USE_TLS: .* exclude each other"),
        (lambda s: setattr(s, "SES_SMTP", {"REGION": "eu-west-1", "USERNAME": "A", "PASSWORD": "B", "RETRY": {"tries": 3}}),
         r"SES_SMTP\['RETRY'\]: unknown field\(s\) tries"),
        (lambda s: setattr(s, "SES_SMTP", {"REGION": "eu-west-1", "RETRIES": 3}), r"SES_SMTP has unknown key\(s\) RETRIES; valid keys: REGION"),
        (lambda s: setattr(s, "SES_SMTP", {"REGION": "eu-west-1"}), r"SES_SMTP\['USERNAME'\]: SES needs SMTP credentials"),
    ],
)  # fmt: skip
def test_configuration_errors_name_the_setting(legacy, setup, message):
    setup(legacy)
    with pytest.raises(ImproperlyConfigured, match=message) as raised:
        EmailBackend()
    assert SECRET not in str(raised.value)


def test_unknown_keyword_is_ignored_in_legacy_mode_as_django_does(legacy):
    legacy.SES_SMTP = {"REGION": "eu-west-1", "USERNAME": "A", "PASSWORD": "B"}
    if HAS_MAILERS:  # Django 6.1 warns, as for its own backends
        from django.utils.deprecation import RemovedInDjango2028Warning

        with pytest.warns(RemovedInDjango2028Warning, match="does not support 'colour'"):
            EmailBackend(colour="blue")
    else:
        assert EmailBackend(colour="blue").config.region == "eu-west-1"


def mailers(settings, **entries):
    settings.MAILERS = {
        alias: {"BACKEND": BACKEND, "OPTIONS": options} for alias, options in entries.items()
    }


@pytest.mark.mailers
@pytest.mark.skipif(not HAS_MAILERS, reason="MAILERS is Django 6.1+")
class TestMailers:
    def test_unknown_option_is_invalid_mailer(self, settings, ses_simulator):
        from django.core.mail import InvalidMailer

        mailers(settings, default=mailers_options(ses_simulator, colour="blue"))
        with pytest.raises(InvalidMailer, match=r"MAILERS\['default'\]: Unknown options 'colour'"):
            mail.mailers["default"]

    def test_errors_name_the_alias_and_option(self, settings, ses_simulator):
        from django.core.mail import InvalidMailer

        mailers(
            settings,
            default=mailers_options(ses_simulator),
            bulk=mailers_options(ses_simulator, region="Ireland"),
        )
        assert mail.mailers["default"].alias == "default"
        with pytest.raises(
            InvalidMailer,
            match=r"MAILERS\['bulk'\]: OPTIONS\['region'\]: 'Ireland' is not an AWS region",
        ):
            mail.mailers["bulk"]

    def test_no_email_or_ses_smtp_setting_is_read(self, settings, ses_simulator):
        # Under MAILERS Django refuses to hand out EMAIL_* at all; SES_SMTP is ignored.
        settings.SES_SMTP = {"REGION": "Ireland"}
        mailers(settings, default=mailers_options(ses_simulator))
        backend = mail.mailers["default"]
        assert backend.config.region == "us-east-1"

    def test_two_aliases_with_their_own_options(self, settings, ses_simulator):
        mailers(
            settings,
            default=mailers_options(ses_simulator),
            marketing=mailers_options(
                ses_simulator, configuration_set="marketing", tags={"kind": "news"}
            ),
        )
        mail.EmailMessage("A", "B", "app@example.com", ["u@example.org"]).send()
        mail.EmailMessage("A", "B", "app@example.com", ["u@example.org"]).send(using="marketing")
        first, second = ses_simulator.messages
        assert (first.configuration_set, second.configuration_set) == (None, "marketing")
        assert second.tags == {"kind": "news"}

    def test_fail_silently_option_for_admin_error_mail(self, settings, ses_simulator, fake_time):
        # Django's migration guide: give AdminEmailHandler its own mailer with
        # fail_silently, so a mail failure never breaks the request that logged the error.
        import logging

        from django.utils.log import AdminEmailHandler

        mailers(
            settings,
            default=mailers_options(ses_simulator),
            admins=mailers_options(ses_simulator, fail_silently=True),
        )
        settings.SERVER_EMAIL = "server@unverified.example"
        logger = logging.getLogger("tests.django.mailers_admin")
        handler = AdminEmailHandler(using="admins")
        logger.addHandler(handler)
        try:
            logger.error("Something broke")  # SES refuses the sender; nothing is raised
            settings.SERVER_EMAIL = "server@example.com"
            logger.error("Something else broke")
        finally:
            logger.removeHandler(handler)
        [stored] = ses_simulator.messages
        assert "Something else broke" in stored.message["Subject"]
