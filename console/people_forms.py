"""Forms of the Users, Tenants and API tokens pages: they validate; console/people.py and
console/tokens.py change things."""

from typing import Any

from django import forms
from django.contrib.auth.forms import UserCreationForm, UsernameField
from django.contrib.auth.models import User

from console.accounts import stored_roles
from console.models import ApiToken, Tenant
from console.roles import Role

ROLE_CHOICES = [(role.value, role.value) for role in Role]


def _tenant_choice() -> forms.ModelMultipleChoiceField:
    return forms.ModelMultipleChoiceField(
        Tenant.objects.all(), required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Tenant users see and change these tenants' services only.")


def _role_choice() -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(
        choices=ROLE_CHOICES, coerce=Role, required=False, widget=forms.CheckboxSelectMultiple,
        help_text="Administrators may do everything; none: the user sees only the Overview.")


class NewUserForm(UserCreationForm):
    """Username and password (twice, checked by Django's password validators), e-mail,
    roles and tenants."""

    email = forms.EmailField(label="E-mail", required=False)
    roles = _role_choice()
    tenants = _tenant_choice()

    class Meta:
        model = User
        fields = ("username", "email")
        field_classes = {"username": UsernameField}


class AccountForm(forms.Form):
    """What an administrator changes of an existing user."""

    email = forms.EmailField(label="E-mail", required=False)
    roles = _role_choice()
    tenants = _tenant_choice()
    active = forms.BooleanField(
        required=False, help_text="Unticked: the user can no longer log in, nor use their "
                                  "API tokens; nothing of theirs is deleted.")

    @classmethod
    def of(cls, user: User, data: Any = None) -> "AccountForm":
        return cls(data, initial={
            "email": user.email, "roles": [str(role) for role in stored_roles(user)],
            "tenants": list(user.tenants.all()), "active": user.is_active,
        })


class TenantForm(forms.ModelForm):
    """A tenant's names, HDFS roots, databases and members; the model refuses malformed
    roots and databases and another tenant's (console/models.py)."""

    class Meta:
        model = Tenant
        fields = ["name", "display_name", "hdfs_roots", "databases", "members"]
        widgets = {
            "hdfs_roots": forms.Textarea(attrs={"rows": 3}),
            "databases": forms.Textarea(attrs={"rows": 2}),
            "members": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Services, default roots and directory entries refer to the name.
            self.fields["name"].disabled = True
            self.fields["name"].help_text = "A tenant's name cannot change."

    def clean_databases(self) -> str:
        """One a line, in lower case as Hive stores them."""
        return "\n".join(name.lower() for name in self.cleaned_data["databases"].split())


class TokenForm(forms.ModelForm):
    class Meta:
        model = ApiToken
        fields = ["user", "name"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        user = self.fields["user"]
        assert isinstance(user, forms.ModelChoiceField)
        user.queryset = User.objects.filter(is_active=True).order_by("username")
        user.help_text = "The token acts as this user, with the user's roles."
