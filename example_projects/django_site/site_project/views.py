from django.core.mail import EmailMessage
from django.http import HttpRequest, HttpResponse, JsonResponse


def send(request: HttpRequest) -> HttpResponse:
    """GET /send/?to=ADDRESS sends a mail and shows SES's message ID (or, when a background
    backend queued it, the task's ID)."""
    to = request.GET.get("to", "success@simulator.amazonses.com")
    message = EmailMessage("Hello from the example", "It works.", to=[to])
    sent = message.send()
    names = ("ses_message_id", "ses_task_id")
    return JsonResponse(
        {"sent": sent, **{n: getattr(message, n) for n in names if hasattr(message, n)}}
    )


def boom(request: HttpRequest) -> HttpResponse:
    """GET /boom/ raises: AdminEmailHandler mails the error report to ADMINS."""
    raise RuntimeError("example error for AdminEmailHandler")
