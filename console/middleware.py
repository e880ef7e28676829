"""Request middleware: malformed text refused up front; times in each user's zone."""

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils import timezone

from console.clock import zone_named

TIME_ZONE_COOKIE = "tz"
API_PREFIX = "/api/"


def _nul_field(request: HttpRequest) -> str | None:
    """The first query, form or cookie field whose name or value holds a NUL character."""
    sources: Iterable[tuple[str, Iterable[tuple[str, Iterable[object]]]]] = (
        ("query parameter", request.GET.lists()),
        ("form field", request.POST.lists()),
        ("cookie", ((name, [value]) for name, value in request.COOKIES.items())),
    )
    for kind, fields in sources:
        for name, values in fields:
            if "\x00" in name or any("\x00" in str(value) for value in values):
                return f"{kind} {name.replace(chr(0), '')!r}"
    return None


class RefuseNulCharacters:
    """400 for a NUL character anywhere in a query string, form body or cookie.

    No field of the console takes one, PostgreSQL refuses them in text (a 500 deep
    inside a view), and they are a common way to cut a string short in a check.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _nul_field(request)
        if field is None:
            return self.get_response(request)
        problem = f"The {field} contains a NUL character: send text without one."
        if request.path.startswith(API_PREFIX):
            return JsonResponse({"error": problem, "problems": [problem]}, status=400)
        return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")


class UserTimeZone:
    """Activates the zone named by the `tz` cookie (set by base.html's script); any
    other cookie value means the console's own zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = zone_named(request.COOKIES.get(TIME_ZONE_COOKIE, ""))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        return self.get_response(request)
