"""The filters that lists of moments share (rounds, restore points): a service and a range
of dates, read from the query string (console/listing.py), so that a filtered list is a
link that survives a reload and its pages keep it."""

from django.core.exceptions import BadRequest
from django.db.models import QuerySet
from django.http import HttpRequest

from console.fields import parse_id
from console.listing import M, filters_of, within_dates


def moment_filters(request: HttpRequest, objects: QuerySet[M], *more: str
                   ) -> tuple[QuerySet[M], dict[str, str]]:
    """`objects` (each with a `service` and a `moment`) narrowed by the query string's
    `service` (an id), `since` and `until` (dates, inclusive); and every filter as given,
    `more` keys included, for the caller to apply those and the page to keep in its links."""
    filters = filters_of(request, ("service", *more, "since", "until"))
    if filters["service"]:
        service_id = parse_id(filters["service"])
        if service_id is None:
            raise BadRequest("?service= takes a service's id, a whole number.")
        objects = objects.filter(service_id=service_id)
    return within_dates(objects, filters, "moment"), filters
