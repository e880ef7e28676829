"""Notification pages: the list (everyone with a role), channels and their delivery logs
(administrators, and tenant users for their tenants' channels)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console import audit
from console.forms import error_summary
from console.listing import page_of
from console.roles import Role, role_required
from notifications.access import last_read, manageable_channels, mark_read, visible_notifications
from notifications.forms import ChannelForm
from notifications.models import DeliveryState
from notifications.notifying import send_test

MANAGERS = (Role.ADMINISTRATOR, Role.TENANT)


@require_GET
@role_required(*Role)
def notification_list(request: HttpRequest) -> HttpResponse:
    page = page_of(request, visible_notifications(request.user))
    read_until = last_read(request.user)
    # Opening the list reads it: the header's count starts again from here.
    mark_read(request.user)
    return render(request, "notifications/list.html", {"page": page, "read_until": read_until})


@require_GET
@role_required(*MANAGERS)
def channel_list(request: HttpRequest) -> HttpResponse:
    return render(request, "notifications/channels.html",
                  {"channels": manageable_channels(request.user)})


@require_http_methods(["GET", "POST"])
@role_required(*MANAGERS)
def channel_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    channel = get_object_or_404(manageable_channels(request.user), pk=pk) if pk else None
    form = ChannelForm(request.POST or None, instance=channel, user=request.user)
    action = "notifications.channel.update" if channel else "notifications.channel.create"
    if request.method == "POST":
        if form.is_valid():
            saved = form.save(commit=False)
            if channel is None:
                saved.created_by = request.user.get_username()
            saved.save()
            audit.record(request, action, saved, detail=f"{saved.scope}: {saved.target}")
            messages.success(request, f"Channel {saved} saved. Send it a test to check it.")
            return redirect("notification-channel", pk=saved.pk)
        audit.record(request, action, request.POST.get("name", ""),
                     outcome=audit.Outcome.REFUSED, detail=error_summary(form))
    return render(request, "notifications/channel_form.html",
                  {"form": form, "channel": channel})


@require_GET
@role_required(*MANAGERS)
def channel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The channel and its delivery log, newest first."""
    channel = get_object_or_404(manageable_channels(request.user), pk=pk)
    deliveries = channel.deliveries.select_related("notification")
    page = page_of(request, deliveries)
    return render(request, "notifications/channel_detail.html",
                  {"channel": channel, "page": page})


@require_POST
@role_required(*MANAGERS)
def channel_test(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(manageable_channels(request.user), pk=pk)
    delivery = send_test(channel, request)
    if delivery.state == DeliveryState.SENT:
        messages.success(request, f"Test sent through {channel}.")
    else:
        messages.error(request, f"The test through {channel} failed: {delivery.error}")
    return redirect("notification-channel", pk=channel.pk)


@require_POST
@role_required(*MANAGERS)
def channel_delete(request: HttpRequest, pk: int) -> HttpResponse:
    channel = get_object_or_404(manageable_channels(request.user), pk=pk)
    name, scope = str(channel), channel.scope
    channel.delete()
    audit.record(request, "notifications.channel.delete", name, detail=scope)
    messages.success(request, f"Channel {name} deleted, with its delivery log.")
    return redirect("notification-channels")
