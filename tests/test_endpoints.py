import pytest

from ses_smtp_backends import endpoint_for
from ses_smtp_backends.endpoints import message_id_domain, tls_mode_for_port, validate_region


def test_endpoint_for_region_and_fips():
    assert endpoint_for("eu-west-1") == "email-smtp.eu-west-1.amazonaws.com"
    assert endpoint_for("us-gov-west-1", fips=True) == "email-smtp-fips.us-gov-west-1.amazonaws.com"


@pytest.mark.parametrize(
    "region", ["ap-southeast-7", "mx-central-1", "us-gov-east-1", "il-central-1"]
)
def test_new_regions_are_accepted_by_shape(region):
    assert validate_region(region) == region


@pytest.mark.parametrize(
    "region", ["", "us-east", "US-EAST-1", "us_east_1", "useast1", "us-east-1 "]
)
def test_malformed_regions_are_refused(region):
    with pytest.raises(ValueError, match="not an AWS region name"):
        validate_region(region)


@pytest.mark.parametrize(
    ("port", "mode"),
    [
        (25, "starttls"),
        (587, "starttls"),
        (2587, "starttls"),
        (465, "implicit"),
        (2465, "implicit"),
    ],
)
def test_tls_mode_follows_the_port(port, mode):
    assert tls_mode_for_port(port) == mode


def test_message_id_domain_differs_in_us_east_1():
    assert message_id_domain("us-east-1") == "email.amazonses.com"
    assert message_id_domain("ap-south-1") == "ap-south-1.amazonses.com"
