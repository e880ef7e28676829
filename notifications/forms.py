"""The channel form: where notifications go, for whom, and which kinds."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from backups.access import tenants_for
from console.roles import Role, has_role
from notifications.models import (
    CHANNEL_ROLES,
    CHOSEN_KINDS,
    OPERATOR_KINDS,
    TENANT_KINDS,
    Channel,
    Transport,
)

WEBHOOK_URL = URLValidator(schemes=["http", "https"])


def check_addresses(target: str) -> str:
    """One address a line (commas too); every one must be an address."""
    addresses = [part.strip() for line in target.splitlines() for part in line.split(",")
                 if part.strip()]
    if not addresses:
        raise ValidationError("Give at least one e-mail address, one a line.")
    bad = []
    for address in addresses:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address[:80])
    if bad:
        raise ValidationError("Not an e-mail address: " + ", ".join(bad) + ".")
    return "\n".join(addresses)


def check_webhook_url(target: str) -> str:
    url = target.strip()
    try:
        WEBHOOK_URL(url)
    except ValidationError as error:
        raise ValidationError(f"{url[:80]!r} is not a webhook URL: give the full address, "
                              "starting with http:// or https://.") from error
    return url


class ChannelForm(forms.ModelForm):
    """Administrators scope a channel to a tenant or a role; a tenant user to one of its
    tenants, and only to the kinds about its services."""

    kinds = forms.MultipleChoiceField(
        choices=[(kind.value, kind.label) for kind in CHOSEN_KINDS],
        widget=forms.CheckboxSelectMultiple, required=False,
        help_text="Clusters, fault prompts and switchovers reach only channels of a role.")

    class Meta:
        model = Channel
        fields = ["name", "transport", "target", "tenant", "role", "kinds", "enabled"]
        widgets = {"target": forms.Textarea(attrs={"rows": 3, "cols": 60})}
        labels = {"target": "Addresses or URL"}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        tenant_field = self.fields["tenant"]
        assert isinstance(tenant_field, forms.ModelChoiceField)
        tenant_field.queryset = tenants_for(user)
        if has_role(user, Role.ADMINISTRATOR):
            tenant_field.help_text = "A tenant's channel, or choose a role below."
            role_field = self.fields["role"]
            assert isinstance(role_field, forms.ChoiceField)
            role_field.choices = [("", "none: a tenant's channel"), *CHANNEL_ROLES]
            role_field.help_text = "A role's channel receives every notification of its kinds."
        else:
            del self.fields["role"]
            tenant_field.required = True
            tenant_field.empty_label = None
            kinds_field = self.fields["kinds"]
            assert isinstance(kinds_field, forms.MultipleChoiceField)
            kinds_field.choices = [(kind.value, kind.label) for kind in TENANT_KINDS]
            kinds_field.help_text = ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target, transport = data.get("target", ""), data.get("transport")
        if transport == Transport.EMAIL and target:
            try:
                data["target"] = check_addresses(target)
            except ValidationError as error:
                self.add_error("target", error)
        elif transport in (Transport.WEBHOOK, Transport.SLACK) and target:
            try:
                data["target"] = check_webhook_url(target)
            except ValidationError as error:
                self.add_error("target", error)
        tenant, role = data.get("tenant"), data.get("role", "")
        if (tenant is None) == (not role):
            self.add_error("tenant", "Choose either a tenant or a role for the channel.")
        kinds = data.get("kinds") or []
        if not kinds:
            self.add_error("kinds", "Choose at least one kind of event: a channel without "
                                    "kinds never sends anything.")
        elif tenant is not None and (operator_kinds := [
                str(kind.label) for kind in OPERATOR_KINDS if kind in kinds]):
            self.add_error("kinds", "A tenant's channel hears only of its services: "
                                    + ", ".join(operator_kinds)
                                    + " go to operators and administrators. Choose a role "
                                      "instead, or leave them out.")
        return data
