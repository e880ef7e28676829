"""The Users, Tenants and API tokens pages: administrators manage people, tenants and
tokens here instead of in Django's admin. Thin: forms validate, console/people.py and
console/tokens.py change things and audit them."""

from django.contrib import messages
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.models import User
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from console import audit, people, tokens
from console.accounts import stored_roles
from console.forms import error_summary
from console.listing import filters_of, page_of, query_of
from console.models import ApiToken, Tenant
from console.people_forms import AccountForm, NewUserForm, TenantForm, TokenForm
from console.refusals import refuse
from console.roles import Role, role_required

administrators_only = role_required(Role.ADMINISTRATOR)


@require_GET
@administrators_only
def user_list(request: HttpRequest) -> HttpResponse:
    filters = filters_of(request, ("q", "role", "tenant"))
    page = page_of(request, people.filtered_users(filters))
    return render(request, "console/users.html", {
        "page": page, "filters": filters, "query": query_of(filters),
        "rows": [(user, sorted(stored_roles(user))) for user in page],
        "all_roles": list(Role), "tenants": Tenant.objects.all(),
        "no_role": people.NO_ROLE, "no_tenant": people.NO_TENANT,
    })


@sensitive_post_parameters("password1", "password2")
@require_http_methods(["GET", "POST"])
@administrators_only
def user_new(request: HttpRequest) -> HttpResponse:
    form = NewUserForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            user = people.create_user(request, data["username"], data["email"],
                                      data["password1"], data["roles"], data["tenants"])
            messages.success(request, f"User {user} created.")
            return redirect("user-edit", pk=user.pk)
        audit.record(request, "user.create", request.POST.get("username", ""),
                     outcome=audit.Outcome.REFUSED, detail=error_summary(form))
    return render(request, "console/user_new.html", {"form": form})


@sensitive_post_parameters("new_password1", "new_password2")
@require_http_methods(["GET", "POST"])
@administrators_only
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """The account (e-mail, roles, tenants, active) and, as a second form, a new password."""
    user = get_object_or_404(User, pk=pk)
    account = AccountForm.of(user, request.POST if "account" in request.POST else None)
    password = SetPasswordForm(user, request.POST if "password" in request.POST else None)
    if account.is_bound:
        if account.is_valid():
            data = account.cleaned_data
            try:
                changed = people.change_user(request, user, data["email"], data["roles"],
                                             data["tenants"], data["active"])
            except people.PeopleRefused as refusal:
                refuse(request, "user.update", user, refusal, "Not saved")
            else:
                messages.success(request, f"User {user} saved: {changed or 'nothing changed'}.")
            return redirect("user-edit", pk=pk)
        audit.record(request, "user.update", user, outcome=audit.Outcome.REFUSED,
                     detail=error_summary(account))
    if password.is_bound:
        if password.is_valid():
            people.reset_password(request, user, password.cleaned_data["new_password1"])
            messages.success(request, f"The password of {user} is reset: tell them the new one.")
            return redirect("user-edit", pk=pk)
        audit.record(request, "user.password", user, outcome=audit.Outcome.REFUSED,
                     detail=error_summary(password))
    status = 400 if account.errors or password.errors else 200
    return render(request, "console/user_edit.html", {
        "subject": user, "account": account, "password": password,
        "tokens": user.api_tokens.all()}, status=status)


@require_GET
@administrators_only
def tenant_list(request: HttpRequest) -> HttpResponse:
    tenants = Tenant.objects.annotate(services_count=Count("services", distinct=True),
                                      members_count=Count("members", distinct=True))
    return render(request, "console/tenants.html", {"tenants": tenants})


@require_http_methods(["GET", "POST"])
@administrators_only
def tenant_edit(request: HttpRequest, name: str | None = None) -> HttpResponse:
    tenant = get_object_or_404(Tenant, name=name) if name else None
    form = TenantForm(request.POST or None, instance=tenant)
    if request.method == "POST":
        action = "tenant.update" if tenant else "tenant.create"
        if form.is_valid():
            saved = form.save(commit=False)
            changed = people.save_tenant(request, saved, form.cleaned_data["members"])
            messages.success(request, f"Tenant {saved.name} saved: {changed or 'nothing changed'}.")
            return redirect("tenants")
        audit.record(request, action, tenant or request.POST.get("name", ""),
                     outcome=audit.Outcome.REFUSED, detail=error_summary(form))
    return render(request, "console/tenant_form.html", {"form": form, "tenant": tenant},
                  status=400 if form.errors else 200)


@require_POST
@administrators_only
def tenant_delete(request: HttpRequest, name: str) -> HttpResponse:
    tenant = get_object_or_404(Tenant, name=name)
    try:
        people.delete_tenant(request, tenant)
    except people.PeopleRefused as refusal:
        refuse(request, "tenant.delete", tenant, refusal, "Not deleted")
    else:
        messages.success(request, f"Tenant {name} deleted.")
    return redirect("tenants")


@require_GET
@administrators_only
def token_list(request: HttpRequest) -> HttpResponse:
    filters = filters_of(request, ("q", "state"))
    found = ApiToken.objects.select_related("user").order_by("-created_at", "-pk")
    if filters["q"]:
        found = found.filter(Q(user__username__icontains=filters["q"])
                             | Q(name__icontains=filters["q"]))
    if filters["state"] in ("active", "revoked"):
        found = found.filter(revoked_at__isnull=filters["state"] == "active")
    return render(request, "console/tokens.html", {
        "page": page_of(request, found), "filters": filters, "query": query_of(filters)})


@never_cache  # the secret is on this page once: no cache may keep a copy
@require_http_methods(["GET", "POST"])
@administrators_only
def token_new(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None, initial={"user": request.GET.get("user")})
    if request.method == "POST":
        if form.is_valid():
            token = form.save(commit=False)
            secret = tokens.issue(token, request)
            return render(request, "console/token_issued.html",
                          {"token": token, "secret": secret})
        audit.record(request, "token.issue", request.POST.get("name", ""),
                     outcome=audit.Outcome.REFUSED, detail=error_summary(form))
    return render(request, "console/token_new.html", {"form": form},
                  status=400 if form.errors else 200)


@require_POST
@administrators_only
def token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_object_or_404(ApiToken.objects.select_related("user"), pk=pk)
    if tokens.revoke(token, request):
        messages.success(request, f"{token} revoked: scripts using it are refused from now on.")
    else:
        messages.error(request, f"{token} was revoked already.")
    return redirect("tokens")
