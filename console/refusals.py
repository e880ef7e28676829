"""A refusal that a user caused, on a page: said in red on the next page, and audited
with the reason (without the page's lead-in)."""

from django.contrib import messages
from django.http import HttpRequest

from console import audit


def refuse(request: HttpRequest, action: str, obj: object, reason: Exception | str,
           lead: str = "") -> None:
    """Tell the user `reason` (after `lead`, e.g. "Removal refused") and audit it."""
    messages.error(request, f"{lead}: {reason}" if lead else str(reason))
    audit.record(request, action, obj, outcome=audit.Outcome.REFUSED, detail=str(reason))
