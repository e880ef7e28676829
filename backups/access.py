"""Who sees and changes which services: one place for pages and API alike."""

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from backups.models import Service
from console.models import Tenant
from console.roles import Role, has_role


def visible_services(user) -> QuerySet[Service]:
    """Administrators and operators see every service; a tenant user only its tenants'."""
    services = Service.objects.select_related("tenant", "pairing__primary",
                                              "pairing__secondary", "policy")
    if has_role(user, Role.ADMINISTRATOR, Role.OPERATOR):
        return services
    if has_role(user, Role.TENANT):
        return services.filter(tenant__members=user)
    return services.none()


def tenants_for(user) -> QuerySet[Tenant]:
    """The tenants on whose behalf `user` may define services."""
    if has_role(user, Role.ADMINISTRATOR):
        return Tenant.objects.all()
    if has_role(user, Role.TENANT):
        return user.tenants.all()
    return Tenant.objects.none()


def can_change(user, service: Service) -> bool:
    return tenants_for(user).filter(pk=service.tenant_id).exists()


def changeable_service(user, pk: int) -> Service:
    """The service `pk` if `user` may change it: 404 when unseen, 403 when only seen."""
    service = get_object_or_404(visible_services(user), pk=pk)
    if not can_change(user, service):
        raise PermissionDenied("Only the service's tenant or an administrator may change it.")
    return service
