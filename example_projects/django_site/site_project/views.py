from django.core.mail import EmailMessage
from django.http import HttpRequest, HttpResponse, JsonResponse


def send(request: HttpRequest) -> HttpResponse:
    """GET /send/?to=ADDRESS sends a mail and shows SES's message ID."""
    to = request.GET.get("to", "success@simulator.amazonses.com")
    message = EmailMessage("Hello from the example", "It works.", to=[to])
    sent = message.send()
    return JsonResponse({"sent": sent, "ses_message_id": message.ses_message_id})


def boom(request: HttpRequest) -> HttpResponse:
    """GET /boom/ raises: AdminEmailHandler mails the error report to ADMINS."""
    raise RuntimeError("example error for AdminEmailHandler")
