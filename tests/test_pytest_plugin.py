"""The ``ses_simulator`` fixture as a user's project gets it: through the entry point."""


def test_fixture_is_available_in_a_user_project(pytester):
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture
        def ses_simulator_options():
            return {"region": "eu-west-1", "verified_identities": ["shop.example"]}
        """
    )
    pytester.makepyfile(
        """
        import smtplib, ssl

        def test_signup_mail(ses_simulator):
            settings = ses_simulator.client_settings()
            assert settings["region"] == "eu-west-1"
            client = smtplib.SMTP(settings["host"], settings["port"], timeout=10)
            client.starttls(context=ssl.create_default_context(cafile=settings["cafile"]))
            client.login(settings["username"], settings["password"])
            data = b"Subject: hi\\r\\n\\r\\nhi\\r\\n"
            client.sendmail("hello@shop.example", ["new-user@example.org"], data)
            client.quit()
            assert ses_simulator.messages[0].recipients == ("new-user@example.org",)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
