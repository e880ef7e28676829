"""Who sees which notifications and manages which channels: one place for every page."""

from django.db.models import Max, QuerySet
from django.http import HttpRequest

from console.roles import Role, has_role
from notifications.models import Channel, Notification, ReadMark


def visible_notifications(user) -> QuerySet[Notification]:
    """Administrators and operators see every notification; a tenant user only its
    tenants' (notifications without a tenant are about clusters, prompts and
    switchovers, which tenants never see)."""
    notifications = Notification.objects.select_related("tenant")
    if has_role(user, Role.ADMINISTRATOR, Role.OPERATOR):
        return notifications
    if has_role(user, Role.TENANT):
        return notifications.filter(tenant__members=user)
    return notifications.none()


def manageable_channels(user) -> QuerySet[Channel]:
    """Administrators manage every channel; a tenant user its tenants' channels."""
    channels = Channel.objects.select_related("tenant")
    if has_role(user, Role.ADMINISTRATOR):
        return channels
    if has_role(user, Role.TENANT):
        return channels.filter(tenant__members=user)
    return channels.none()


def last_read(user) -> int:
    return ReadMark.objects.filter(user=user).values_list("last_read", flat=True).first() or 0


def mark_read(user) -> None:
    """Everything the user may see now counts as read."""
    newest = visible_notifications(user).aggregate(newest=Max("pk"))["newest"]
    if newest is not None:
        ReadMark.objects.update_or_create(user=user, defaults={"last_read": newest})


def unread(request: HttpRequest) -> dict:
    """Template context: `unread_notifications`, the count in every page's header."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"unread_notifications": 0}
    return {"unread_notifications":
            visible_notifications(user).filter(pk__gt=last_read(user)).count()}
