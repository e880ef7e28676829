"""Lists whose filters live in the query string, so that a filtered, paged list is a
link: it survives a reload, the pager's links keep it, and it can be shared."""

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TypeVar
from urllib.parse import urlencode

from django.core.exceptions import BadRequest
from django.core.paginator import Page, Paginator
from django.db.models import Model, QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50
M = TypeVar("M", bound=Model)


def filters_of(request: HttpRequest, keys: Iterable[str]) -> dict[str, str]:
    """Each filter of `keys` as given in the query string ("" when absent)."""
    return {key: request.GET.get(key, "").strip() for key in keys}


def query_of(filters: dict[str, str]) -> str:
    """The filters that are set, as a query string for links that keep them."""
    return urlencode({key: value for key, value in filters.items() if value})


def within_dates(items: QuerySet[M], filters: dict[str, str], field: str) -> QuerySet[M]:
    """`items` whose `field` falls on or after `since` and on or before `until` (dates,
    YYYY-MM-DD, in the user's time zone); a malformed date is a 400 naming it."""
    for key, lookup in (("since", "gte"), ("until", "lte")):
        if filters.get(key):
            try:
                day = date.fromisoformat(filters[key])
            except ValueError as error:
                raise BadRequest(f"?{key}= takes a date, YYYY-MM-DD.") from error
            items = items.filter(**{f"{field}__date__{lookup}": day})
    return items


def page_of(request: HttpRequest, items: QuerySet | Sequence, size: int = PAGE_SIZE) -> Page:
    """The page `?page=` asks for; a page out of range or malformed gives the nearest."""
    return Paginator(items, size).get_page(request.GET.get("page"))
