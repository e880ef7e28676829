import re
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.validators import MaxValueValidator, MinValueValidator

from console.clusters import check_endpoints
from console.models import Cluster
from console.paths import PathRefused, normalize_hdfs_path

# A host name, an IPv4 address or a bracketed IPv6 address.
HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])$")
MAX_PORT = 65535


def _check_host(host: str) -> None:
    if not HOST.match(host):
        raise forms.ValidationError(f"{host[:60]!r} is not a host name or address.")


def _check_port(port: str) -> None:
    if not (port.isascii() and port.isdecimal() and 1 <= int(port) <= MAX_PORT):
        raise forms.ValidationError(f"{port[:10]!r} is not a port (1-{MAX_PORT}).")


def _check_url(url: str, schemes: tuple[str, ...]) -> str:
    """`url` if it is scheme://host[:port][/path] with a valid host and port."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port out of range)
    except ValueError as error:  # a bracketed non-address, a port that is not a number
        raise forms.ValidationError(f"Not a URL: {error}.") from error
    if parts.scheme not in schemes:
        raise forms.ValidationError(f"The URL starts with {' or '.join(schemes)}://.")
    host = parts.hostname or ""
    _check_host(f"[{host}]" if ":" in host else host)
    return url


# Passwords the forms and the API take but never show back: blank on an edit keeps the
# stored one, and `forget_NAME` clears it.
WRITE_ONLY = ("hiveserver2_password", "ldap_password")


def _check_dn(dn: str) -> str:
    """`dn` stripped, if blank or a distinguished name (attribute=value, ...)."""
    dn = dn.strip()
    if dn and not all(re.fullmatch(r"\s*[A-Za-z][A-Za-z0-9-]*=.+", part)
                      for part in re.split(r"(?<!\\),", dn)):
        raise forms.ValidationError(f"{dn[:60]!r} is not a DN such as dc=example,dc=com.")
    return dn


class ClusterForm(forms.ModelForm):
    """Registering or editing a cluster: saved only when every endpoint answers.

    The HiveServer2 and LDAP passwords are write-only: never rendered back, and left
    blank on an edit they keep the stored ones (`forget_hiveserver2_password` and
    `forget_ldap_password` clear them)."""

    forget_hiveserver2_password = forms.BooleanField(
        required=False, label="Forget the HiveServer2 password",
        help_text="Connect to HiveServer2 without authentication (NOSASL) from now on.",
    )
    forget_ldap_password = forms.BooleanField(
        required=False, label="Forget the LDAP password",
        help_text="Stop reading and syncing this cluster's directory.",
    )

    class Meta:
        model = Cluster
        fields = [
            "name", "location", "description", "webhdfs_url", "webhdfs_user",
            "hiveserver2_host", "hiveserver2_port", "hiveserver2_password", "zookeeper_hosts",
            "ldap_url", "ldap_base_dn", "ldap_bind_dn", "ldap_password", "snapshot_root",
            "table_location_prefix", "nodes", "cores", "memory_gib", "storage_tib",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            **{name: forms.PasswordInput(render_value=False) for name in WRITE_ONLY},
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Cluster endpoints are often plain HTTP inside a data centre: never guess https.
        # (django-stubs 5.2 omits the attribute, which URLField sets from its argument.)
        self.fields["webhdfs_url"].assume_scheme = "http"  # type: ignore[attr-defined]
        self.fields["hiveserver2_port"].validators += [MinValueValidator(1),
                                                       MaxValueValidator(MAX_PORT)]
        for name in WRITE_ONLY:
            password = cast(forms.CharField, self.fields[name])
            password.strip = False
            if getattr(self.instance, name):
                password.help_text = "A password is stored: leave blank to keep it."
            else:
                del self.fields[f"forget_{name}"]

    def _write_only(self, cleaned: dict[str, Any], name: str) -> str:
        """The password typed; else none when told to forget it; else the stored one."""
        if cleaned.get(name):
            return cleaned[name]
        if cleaned.get(f"forget_{name}"):
            return ""
        return getattr(self.instance, name)

    def clean_webhdfs_url(self) -> str:
        return _check_url(self.cleaned_data["webhdfs_url"], ("http", "https"))

    def clean_hiveserver2_host(self) -> str:
        host = self.cleaned_data["hiveserver2_host"].strip()
        _check_host(host)
        return host

    def clean_zookeeper_hosts(self) -> str:
        """host:port[,host:port...][/chroot], as ZooKeeper's clients take it."""
        hosts = self.cleaned_data["zookeeper_hosts"].strip()
        servers, _, chroot = hosts.partition("/")
        for server in servers.split(","):
            host, colon, port = server.strip().rpartition(":")
            if not colon:
                raise forms.ValidationError(f"{server[:60]!r} needs a port: host:port.")
            _check_host(host)
            _check_port(port)
        if chroot and not re.fullmatch(r"[A-Za-z0-9_./-]+", chroot):
            raise forms.ValidationError(f"{chroot[:60]!r} is not a ZooKeeper path.")
        return hosts

    def clean_snapshot_root(self) -> str:
        try:
            return normalize_hdfs_path(self.cleaned_data["snapshot_root"])
        except PathRefused as error:
            raise forms.ValidationError(str(error)) from error

    def clean_ldap_url(self) -> str:
        url = self.cleaned_data["ldap_url"].strip()
        return _check_url(url, ("ldap", "ldaps")) if url else url

    def clean_ldap_base_dn(self) -> str:
        return _check_dn(self.cleaned_data["ldap_base_dn"])

    def clean_ldap_bind_dn(self) -> str:
        return _check_dn(self.cleaned_data["ldap_bind_dn"])

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        for name in WRITE_ONLY:
            cleaned[name] = self._write_only(cleaned, name)
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


def error_summary(form: forms.BaseForm) -> str:
    """Every reason a form was refused, for the audit log: "field: message; ...",
    the form's own reasons without a field name."""
    return "; ".join(
        f"{field}: {message}" if field != NON_FIELD_ERRORS else str(message)
        for field, messages in form.errors.items() for message in messages)
