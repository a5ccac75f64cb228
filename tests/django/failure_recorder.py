"""An app for worker processes under test: appends each ``message_failed`` it receives, as
a JSON line, to the file named by ``SES_SMTP_TEST_FAILURES``."""

from django.apps import AppConfig

from tests.helpers import record_failure


class FailureRecorder(AppConfig):
    name = "tests.django"
    label = "failure_recorder"

    def ready(self):
        from ses_smtp_backends.django.signals import message_failed

        message_failed.connect(record_failure)
