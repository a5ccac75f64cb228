"""SESConfig: defaults, derivations, and errors that name the key to fix."""

import pickle

import pytest

from ses_smtp_backends import RetryPolicy, SESConfig, SESConfigurationError

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
PASSWORD = "BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk"


def test_region_gives_host_port_and_tls():
    config = SESConfig(region="eu-west-1", username="AKIAEXAMPLE", password=PASSWORD)
    assert (config.host, config.port, config.tls, config.timeout) == (
        "email-smtp.eu-west-1.amazonaws.com",
        587,
        "starttls",
        30.0,
    )
    assert config.retry == RetryPolicy.ses()


def test_fips_host():
    config = SESConfig(region="us-east-1", fips=True, username="a", password="b")
    assert config.host == "email-smtp-fips.us-east-1.amazonaws.com"


@pytest.mark.parametrize(
    ("port", "tls"), [(465, "implicit"), (2465, "implicit"), (2587, "starttls"), (25, "starttls")]
)
def test_tls_follows_the_port(port, tls):
    assert SESConfig(region="us-east-1", port=port, username="a", password="b").tls == tls


def test_region_is_inferred_from_an_ses_host():
    config = SESConfig(host="email-smtp.ap-south-1.amazonaws.com", username="a", password="b")
    assert config.region == "ap-south-1"


def test_iam_keys_derive_the_smtp_password_for_the_region():
    config = SESConfig(
        region="eu-west-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key=SECRET
    )
    assert (config.smtp_username, config.smtp_password) == ("AKIAEXAMPLE", PASSWORD)


def test_secrets_stay_out_of_repr_and_pickles_restore_equal():
    config = SESConfig(
        region="eu-west-1", aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key=SECRET
    )
    assert SECRET not in repr(config)
    assert PASSWORD not in repr(SESConfig(region="eu-west-1", username="AKIA", password=PASSWORD))
    assert pickle.loads(pickle.dumps(config)) == config


def test_retry_accepts_a_dict():
    config = SESConfig(region="us-east-1", username="a", password="b", retry={"max_elapsed": 45})
    assert config.retry == RetryPolicy(max_elapsed=45)


@pytest.mark.parametrize(
    ("kwargs", "key", "message"),
    [
        ({}, "region", "set the SES region"),
        ({"region": "Ireland"}, "region", "not an AWS region name"),
        ({"region": "us-east-1", "password": SECRET, "username": "AKIA"}, "password",
         "looks like an IAM secret access key"),
        ({"region": "us-east-1", "username": "AKIA"}, "password", "is missing"),
        ({"region": "us-east-1"}, "username", "SES needs SMTP credentials"),
        ({"region": "us-east-1", "username": "a", "password": "b", "aws_access_key_id": "AKIA",
          "aws_secret_access_key": SECRET}, "password", "not both"),
        ({"region": "us-east-1", "aws_access_key_id": "AKIA"}, "aws_secret_access_key", "is missing"),
        ({"region": "us-east-1", "aws_access_key_id": "ASIATEMPORARY", "aws_secret_access_key": SECRET},
         "aws_access_key_id", "temporary .STS."),
        ({"host": "127.0.0.1", "aws_access_key_id": "AKIA", "aws_secret_access_key": SECRET},
         "region", "needed to derive the SMTP password"),
        ({"region": "us-east-1", "username": "a", "password": "b", "port": 70000}, "port", "not a TCP port"),
        ({"region": "us-east-1", "username": "a", "password": "b", "tls": "ssl"}, "tls", "use 'starttls'"),
        ({"region": "us-east-1", "tls": "none"}, "tls", "only for a loopback test server"),
        ({"region": "us-east-1", "username": "a", "password": "b", "timeout": None}, "timeout", "> 0"),
        ({"region": "us-east-1", "username": "a", "password": "b", "timeout": 0}, "timeout", "> 0"),
        ({"region": "us-east-1", "username": "a", "password": "b", "idle_reconnect": 12}, "idle_reconnect",
         "below SES's 10 s"),
        ({"region": "us-east-1", "username": "a", "password": "b", "max_connections": 0}, "max_connections",
         "whole number"),
        ({"region": "us-east-1", "username": "a", "password": "b", "cafile": "/nonexistent.pem"}, "cafile",
         "not a readable file"),
        ({"region": "us-east-1", "username": "a", "password": "b", "tags": {"team": "a b"}}, "tags",
         "letters, digits"),
        ({"region": "us-east-1", "username": "a", "password": "b", "configuration_set": "x y"},
         "configuration_set", "letters, digits"),
        ({"region": "us-east-1", "username": "a", "password": "b", "retry": {"tries": 3}}, "retry",
         "unknown field"),
    ],
)  # fmt: skip
def test_bad_configuration_names_the_key(kwargs, key, message):
    with pytest.raises(SESConfigurationError, match=message) as raised:
        SESConfig(**kwargs)
    assert raised.value.key.startswith(key)
    assert str(raised.value).startswith(key)
    assert SECRET not in str(raised.value)


def test_plaintext_is_allowed_for_loopback_only_and_needs_no_credentials():
    config = SESConfig(host="127.0.0.1", port=1025, tls="none")
    assert config.tls == "none"
    assert config.smtp_password is None


def test_from_env_prefers_ses_smtp_variables():
    config = SESConfig.from_env(
        {
            "SES_SMTP_REGION": "eu-west-1",
            "AWS_REGION": "us-west-2",
            "SES_SMTP_USERNAME": "AKIAEXAMPLE",
            "SES_SMTP_PASSWORD": PASSWORD,
            "SES_SMTP_PORT": "2587",
            "SES_SMTP_TIMEOUT": "12.5",
            "SES_SMTP_CONFIGURATION_SET": "transactional",
            "AWS_ACCESS_KEY_ID": "AKIAIGNORED",
            "AWS_SECRET_ACCESS_KEY": SECRET,
        }
    )
    assert (config.region, config.username, config.port, config.timeout, config.configuration_set) == (
        "eu-west-1", "AKIAEXAMPLE", 2587, 12.5, "transactional",
    )  # fmt: skip
    assert config.aws_access_key_id is None


def test_from_env_falls_back_to_aws_variables():
    config = SESConfig.from_env(
        {
            "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "AKIAX",
            "AWS_SECRET_ACCESS_KEY": SECRET,
        }
    )
    assert (config.region, config.smtp_username, config.smtp_password) == (
        "eu-west-1",
        "AKIAX",
        PASSWORD,
    )


def test_from_env_refuses_sts_credentials_and_bad_numbers():
    sts = {"AWS_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIAX", "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_SESSION_TOKEN": "token"}  # fmt: skip
    with pytest.raises(SESConfigurationError, match="AWS_SESSION_TOKEN: is set: temporary"):
        SESConfig.from_env(sts)
    with pytest.raises(SESConfigurationError, match="SES_SMTP_PORT: 'abc' is not valid"):
        SESConfig.from_env({"SES_SMTP_PORT": "abc"})


def test_from_env_overrides_win():
    config = SESConfig.from_env(
        {"SES_SMTP_REGION": "eu-west-1"}, username="a", password="b", port=465
    )
    assert (config.region, config.port, config.tls) == ("eu-west-1", 465, "implicit")
