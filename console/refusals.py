"""A refusal that a user caused, on a page: said in red on the next page, and audited."""

from django.contrib import messages
from django.http import HttpRequest

from console import audit


def refuse(request: HttpRequest, action: str, obj: object, reason: str) -> None:
    messages.error(request, reason)
    audit.record(request, action, obj, outcome=audit.Outcome.REFUSED, detail=reason)
