from django import forms

from userdata.models import SyncSettings


class SyncSettingsForm(forms.ModelForm):
    class Meta:
        model = SyncSettings
        fields = ["remove_missing", "service_accounts"]
        widgets = {"service_accounts": forms.TextInput(attrs={"size": 60})}

    def clean_service_accounts(self) -> str:
        names = self.cleaned_data["service_accounts"].split()
        if any(len(name) > 100 or not name.isprintable() for name in names):
            raise forms.ValidationError("Separate the account names by spaces; each up to "
                                        "100 printable characters.")
        return " ".join(names)
