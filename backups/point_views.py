"""Restore points: the list, one point's browser, a file's download and the comparison of
two points. backups/browsing.py reads the clusters; these parse, scope and render."""

from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any
from urllib.parse import urlencode

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from backups.access import visible_services
from backups.browsing import (
    BrowseRefused,
    PointUnavailable,
    compare,
    data_sets_of,
    list_path,
    open_file,
    other_point,
)
from backups.list_filters import moment_filters
from backups.models import RestorePoint
from console import audit
from console.listing import page_of, query_of
from console.roles import Role, role_required

ANY_ROLE = (Role.ADMINISTRATOR, Role.OPERATOR, Role.TENANT)
# A directory's entries and a diff's changes per page: a large one is never one page.
ENTRIES_PAGE_SIZE = 200


def visible_points(user) -> QuerySet[RestorePoint]:
    """The restore points of the services `user` sees: another tenant's are not found."""
    return RestorePoint.objects.filter(service__in=visible_services(user)).select_related(
        "service__tenant", "round", "cluster")


@require_GET
@role_required(*ANY_ROLE)
def point_list(request: HttpRequest) -> HttpResponse:
    """Searched (`q`: the snapshot's or the service's name) and filtered by the query
    string, so that a filtered list is a link."""
    points, filters = moment_filters(request, visible_points(request.user), "q")
    if filters["q"]:
        points = points.filter(Q(name__icontains=filters["q"])
                               | Q(service__name__icontains=filters["q"]))
    return render(request, "backups/restore_points.html", {
        "page": page_of(request, points),
        "filters": filters, "query": query_of(filters),
        "services": visible_services(request.user),
    })


def _point_page(request: HttpRequest, point: RestorePoint, status: int = 200,
                **context: Any) -> HttpResponse:
    """The point's page: what it is, its data sets and tables, and whatever `context`
    adds (a listing, a refusal, a cluster that did not answer)."""
    data_sets = data_sets_of(point)
    return render(request, "backups/restore_point.html", {
        "point": point, "data_sets": data_sets,
        "tables": [(d, point.round.metadata.get(d.locator, {})) for d in data_sets
                   if d.is_table],
        "others": point.service.restore_points.filter(cluster=point.cluster).exclude(
            pk=point.pk),
        **context,
    }, status=status)


@require_GET
@role_required(*ANY_ROLE)
def point_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The point's page; `?path=` lists that directory of its snapshot."""
    point = get_object_or_404(visible_points(request.user), pk=pk)
    path = request.GET.get("path", "").strip()
    if not path:
        return _point_page(request, point)
    try:
        listing = list_path(point, path)
    except BrowseRefused as refused:
        return _point_page(request, point, 400, refusal=str(refused))
    except PointUnavailable as error:
        return _point_page(request, point, 503, unavailable=str(error))
    return _point_page(request, point, listing=listing, query=urlencode({"path": listing.path}),
                       page=page_of(request, listing.entries, ENTRIES_PAGE_SIZE))


@require_GET
@role_required(*ANY_ROLE)
def point_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One file of the point, streamed from the cluster as it is sent; audited, refusals
    (a path outside the point's data sets) too."""
    point = get_object_or_404(visible_points(request.user), pk=pk)
    path = request.GET.get("path", "")
    try:
        download = open_file(point, path)
    except BrowseRefused as refused:
        audit.record(request, "restore_point.download", point, outcome="refused",
                     detail=f"{path}: {refused}")
        return _point_page(request, point, 400, refusal=str(refused))
    except PointUnavailable as error:
        audit.record(request, "restore_point.download", point, outcome="failed",
                     detail=f"{path}: {error}")
        return _point_page(request, point, 503, unavailable=str(error))
    audit.record(request, "restore_point.download", point,
                 detail=f"{download.path} ({download.length} bytes) from {point.cluster}")
    # None only for an inline response without a file name, never for an attachment.
    disposition = content_disposition_header(True, download.name) or "attachment"
    return StreamingHttpResponse(_as_served(request, download.chunks),
                                 content_type="application/octet-stream",
                                 headers={"Content-Length": str(download.length),
                                          "Content-Disposition": disposition})


def _as_served(request: HttpRequest, chunks: Generator[bytes, None, None]
               ) -> Iterator[bytes] | AsyncIterator[bytes]:
    """The chunks as the server can send them one at a time: under ASGI (daphne, as the
    console is served) Django would read a synchronous iterator whole into memory before
    sending it, so there each chunk is read in a worker thread as it is sent."""
    if not isinstance(request, ASGIRequest):
        return chunks
    def read() -> bytes | None:
        return next(chunks, None)

    async def each() -> AsyncIterator[bytes]:
        try:
            while (chunk := await sync_to_async(read, thread_sensitive=False)()) is not None:
                yield chunk
        finally:  # a browser gone mid-file closes the cluster's stream too
            await sync_to_async(chunks.close, thread_sensitive=False)()

    return each()


@require_GET
@role_required(*ANY_ROLE)
def point_compare(request: HttpRequest, pk: int) -> HttpResponse:
    """The snapshot diff between this point and the one named by `?with=`."""
    point = get_object_or_404(visible_points(request.user), pk=pk)
    name = request.GET.get("with", "")
    context: dict[str, Any] = {"point": point, "name": name}
    try:
        comparison = compare(point, other_point(point, name, visible_points(request.user)))
    except BrowseRefused as refused:
        return render(request, "backups/restore_point_compare.html",
                      {**context, "refusal": str(refused)}, status=400)
    except PointUnavailable as error:
        return render(request, "backups/restore_point_compare.html",
                      {**context, "unavailable": str(error)}, status=503)
    return render(request, "backups/restore_point_compare.html", {
        **context, "comparison": comparison, "query": urlencode({"with": name}),
        "page": page_of(request, comparison.changes, ENTRIES_PAGE_SIZE),
    })
