from django import forms

from console.clusters import check_endpoints
from console.models import Cluster
from console.paths import PathRefused, normalize_hdfs_path


class ClusterForm(forms.ModelForm):
    """Registering or editing a cluster: saved only when every endpoint answers."""

    class Meta:
        model = Cluster
        fields = [
            "name", "location", "description", "webhdfs_url", "webhdfs_user",
            "hiveserver2_host", "hiveserver2_port", "zookeeper_hosts", "ldap_url",
            "snapshot_root", "table_location_prefix", "nodes", "cores", "memory_gib", "storage_tib",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Cluster endpoints are often plain HTTP inside a data centre: never guess https.
        self.fields["webhdfs_url"].assume_scheme = "http"

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
