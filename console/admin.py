from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from console import tokens
from console.models import ApiToken, AuditEntry, Tenant


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "created_at"]
    filter_horizontal = ["members"]
    search_fields = ["name", "display_name"]


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: an audit trail that administrators could edit would prove nothing."""

    list_display = ["at", "actor_name", "action", "object_repr", "outcome", "address"]
    list_filter = ["outcome", "action"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Administrators issue a token for any user (its secret is shown once) and revoke it.

    Tokens are never edited or deleted: a revoked token stays listed, for the audit trail.
    """

    list_display = ["id", "name", "user", "created_at", "created_by", "last_used_at",
                    "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "user__username"]
    actions = ["revoke_tokens"]

    def get_fields(self, request: HttpRequest, obj: ApiToken | None = None
                   ) -> tuple[str, ...]:
        if obj is None:
            return ("user", "name")
        return ("user", "name", "created_at", "created_by", "last_used_at", "revoked_at")

    def get_readonly_fields(self, request: HttpRequest, obj: ApiToken | None = None
                            ) -> tuple[str, ...]:
        return () if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: ApiToken | None = None
                              ) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        if not change:
            obj.issued_secret = tokens.issue(obj, request)

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue=None
                     ) -> HttpResponse:
        """Show the secret on this one page instead of redirecting: it is stored nowhere."""
        return TemplateResponse(request, "admin/console/apitoken/issued.html", {
            **self.admin_site.each_context(request),
            "opts": self.opts, "token": obj, "secret": obj.issued_secret,
            "title": f"{obj} issued",
        })

    @admin.action(description="Revoke the selected API tokens")
    def revoke_tokens(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = sum(tokens.revoke(token, request) for token in queryset)
        self.message_user(request, f"Revoked {revoked} API token(s).")
