import pytest

from ses_smtp_backends import smtp_password
from ses_smtp_backends.credentials import PasswordShape, legacy_smtp_password, password_shape

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("us-east-1", "BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9"),
        ("us-east-2", "BMPPgbAHoFVbze1Ud0oA5uNdXRwUXUZ+qOwphGJbl/cS"),
        ("us-west-2", "BF2PynzbSCAjX08zhZZnP/kW+T9P5zs/1Er0pi5vTEmd"),
        ("eu-west-1", "BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk"),
    ],
)
def test_smtp_password_matches_the_published_vectors(region, expected):
    assert smtp_password(SECRET, region) == expected


def test_legacy_password_matches_the_published_vector():
    assert legacy_smtp_password(SECRET) == "An60U4ZD3sd4fg+FvXUjayOipTt8LO4rUUmhpdX6ctDy"


@pytest.mark.parametrize(
    ("password", "shape"),
    [
        ("BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9", PasswordShape.V4),
        ("An60U4ZD3sd4fg+FvXUjayOipTt8LO4rUUmhpdX6ctDy", PasswordShape.V2),
        (SECRET, PasswordShape.IAM_SECRET),
        ("hunter2", PasswordShape.UNKNOWN),
        ("C" * 44, PasswordShape.UNKNOWN),
    ],
)
def test_password_shape_tells_an_iam_secret_from_an_smtp_password(password, shape):
    assert password_shape(password) == shape


def test_smtp_password_rejects_a_bad_region_and_an_empty_secret():
    with pytest.raises(ValueError, match="not an AWS region"):
        smtp_password(SECRET, "US East")
    with pytest.raises(ValueError, match="secret_access_key is empty"):
        smtp_password("", "us-east-1")
