from django import forms

from console.clusters import check_endpoints
from console.models import Cluster
from console.paths import PathRefused, normalize_hdfs_path


class ClusterForm(forms.ModelForm):
    """Registering or editing a cluster: saved only when every endpoint answers.

    The HiveServer2 password is write-only: never rendered back, and left blank on an
    edit it keeps the stored one (`forget_hiveserver2_password` clears it)."""

    forget_hiveserver2_password = forms.BooleanField(
        required=False, label="Forget the HiveServer2 password",
        help_text="Connect to HiveServer2 without authentication (NOSASL) from now on.",
    )

    class Meta:
        model = Cluster
        fields = [
            "name", "location", "description", "webhdfs_url", "webhdfs_user",
            "hiveserver2_host", "hiveserver2_port", "hiveserver2_password", "zookeeper_hosts",
            "ldap_url", "snapshot_root", "table_location_prefix", "nodes", "cores",
            "memory_gib", "storage_tib",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "hiveserver2_password": forms.PasswordInput(render_value=False),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Cluster endpoints are often plain HTTP inside a data centre: never guess https.
        self.fields["webhdfs_url"].assume_scheme = "http"
        password = self.fields["hiveserver2_password"]
        password.strip = False
        if self.instance.hiveserver2_password:
            password.help_text = "A password is stored: leave blank to keep it."
        else:
            del self.fields["forget_hiveserver2_password"]

    def _hiveserver2_password(self, cleaned: dict) -> str:
        """The password typed; else none when told to forget it; else the stored one."""
        if cleaned.get("hiveserver2_password"):
            return cleaned["hiveserver2_password"]
        if cleaned.get("forget_hiveserver2_password"):
            return ""
        return self.instance.hiveserver2_password

    def clean_snapshot_root(self) -> str:
        try:
            return normalize_hdfs_path(self.cleaned_data["snapshot_root"])
        except PathRefused as error:
            raise forms.ValidationError(str(error)) from error

    def clean_ldap_url(self) -> str:
        url = self.cleaned_data["ldap_url"].strip()
        if url and not url.startswith(("ldap://", "ldaps://")):
            raise forms.ValidationError("An LDAP URL starts with ldap:// or ldaps://.")
        return url

    def clean(self) -> dict:
        cleaned = super().clean()
        cleaned["hiveserver2_password"] = self._hiveserver2_password(cleaned)
        if self.errors:
            return cleaned
        probe = Cluster(**{name: cleaned.get(name) for name in self.Meta.fields})
        for check in check_endpoints(probe):
            if not check.ok:
                self.add_error(None, f"{check.endpoint} check failed: {check.detail}")
        return cleaned


class PairingForm(forms.Form):
    primary = forms.ModelChoiceField(Cluster.objects.all(), empty_label="choose the primary")
    secondary = forms.ModelChoiceField(Cluster.objects.all(), empty_label="choose the secondary")
