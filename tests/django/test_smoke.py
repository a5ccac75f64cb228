from django.core import mail


def test_send_mail_through_the_simulator(ses_settings, ses_simulator):
    assert mail.send_mail("Hi", "Body", "app@example.com", ["user@example.org"]) == 1
    assert ses_simulator.messages[0].recipients == ("user@example.org",)
