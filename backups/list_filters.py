"""The filters that lists of moments share (rounds, restore points): a service and a range
of dates, read from the query string, so that a filtered list is a link that survives a
reload and its pages keep it."""

from datetime import date
from typing import TypeVar
from urllib.parse import urlencode

from django.core.exceptions import BadRequest
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from console.fields import parse_id

M = TypeVar("M", bound=Model)


def moment_filters(request: HttpRequest, objects: QuerySet[M], *more: str
                   ) -> tuple[QuerySet[M], dict[str, str]]:
    """`objects` (each with a `service` and a `moment`) narrowed by the query string's
    `service` (an id), `since` and `until` (dates, inclusive); and every filter as given,
    `more` keys included, for the caller to apply those and the page to keep in its links."""
    filters = {key: request.GET.get(key, "").strip()
               for key in ("service", *more, "since", "until")}
    if filters["service"]:
        service_id = parse_id(filters["service"])
        if service_id is None:
            raise BadRequest("?service= takes a service's id, a whole number.")
        objects = objects.filter(service_id=service_id)
    for key, lookup in (("since", "moment__date__gte"), ("until", "moment__date__lte")):
        if filters[key]:
            try:
                day = date.fromisoformat(filters[key])
            except ValueError as error:
                raise BadRequest(f"?{key}= takes a date, YYYY-MM-DD.") from error
            objects = objects.filter(**{lookup: day})
    return objects, filters


def query_of(filters: dict[str, str]) -> str:
    """The filters that are set, as a query string for the pager's links."""
    return urlencode({key: value for key, value in filters.items() if value})
