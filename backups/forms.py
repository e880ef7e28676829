from datetime import datetime, timedelta
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils import timezone

from backups.models import MAX_RETENTION, MAX_SKEW_LIMIT_MS, Component, Direction
from backups.scheduling import HORIZON, horizon_problem
from console.clock import zone_named
from console.models import Pairing, Tenant

PERIOD_UNITS = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1),
                "days": timedelta(days=1)}
COMPONENT_PREFIXES = {f"{c.value}:": c.value for c in Component}


def parse_identifier(line: str) -> tuple[str, str]:
    """`hdfs:/p`, `hive:db.t`, `sparksql:db.t`; a bare `/path` is HDFS, a bare `db.t` Hive."""
    line = line.strip()
    for prefix, component in COMPONENT_PREFIXES.items():
        if line.lower().startswith(prefix):
            return component, line[len(prefix):].strip()
    return (Component.HDFS if line.startswith("/") else Component.HIVE), line


class ServiceForm(forms.Form):
    """The policy page: service and moment → protection group → retention and mode."""

    tenant = forms.ModelChoiceField(Tenant.objects.none())
    name = forms.CharField(max_length=100, label="Service to be backed up")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    pairing = forms.ModelChoiceField(Pairing.objects.select_related("primary", "secondary"),
                                     label="Back up from → to")
    data_set = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    typed = forms.CharField(
        required=False, label="Or type identifiers",
        widget=forms.Textarea(attrs={
            "rows": 3,
            "placeholder": "/data/acme/bills\nhive:acme.customers\nsparksql:acme.settlements",
        }),
        help_text="One a line: an HDFS path, hive:database.table or sparksql:database.table.",
    )
    first_moment = forms.DateTimeField(
        label="First backup moment (T0)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": 1},
                                   format="%Y-%m-%dT%H:%M:%S"),
        input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M"],
    )
    time_zone = forms.CharField(required=False, widget=forms.HiddenInput)
    period_count = forms.IntegerField(required=False, min_value=0, label="Every", initial=1,
                                      max_value=HORIZON // PERIOD_UNITS["minutes"])
    period_unit = forms.ChoiceField(
        choices=[("minutes", "minutes"), ("hours", "hours"), ("days", "days"),
                 ("once", "once only")],
        initial="hours",
    )
    retention = forms.IntegerField(min_value=1, max_value=MAX_RETENTION, initial=24,
                                   label="Restore points kept")
    skew_limit_ms = forms.IntegerField(min_value=1, max_value=MAX_SKEW_LIMIT_MS, initial=50,
                                       label="Skew limit (ms)",
                                       help_text="synchronized mode only")
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.PULL)
    enabled = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args, tenants, candidates=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["tenant"]).queryset = tenants
        cast(forms.ChoiceField, self.fields["data_set"]).choices = [
            (c.key, c.locator) for c in candidates]

    def clean_first_moment(self) -> datetime:
        # The browser sends wall-clock time in the user's zone; make it aware in that zone.
        moment = self.cleaned_data["first_moment"]
        name = self.data.get("time_zone") or settings.TIME_ZONE
        zone = zone_named(name)
        if zone is None:
            raise forms.ValidationError(f"Unknown time zone {name[:60]!r}: reload the page.")
        # Django made it aware in the console's zone; keep the wall-clock time, change the zone.
        moment = timezone.make_naive(moment).replace(tzinfo=zone)
        if problem := horizon_problem(moment, timezone.now()):
            raise forms.ValidationError(f"The first backup moment {problem}")
        return moment

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        unit = cleaned.get("period_unit")
        count = cleaned.get("period_count")
        if unit == "once":
            cleaned["period"] = None
        elif unit in PERIOD_UNITS:
            if not count:
                self.add_error("period_count", "Give a period above zero, or choose 'once only'.")
            elif count * PERIOD_UNITS[unit] > HORIZON:
                self.add_error("period_count", "The period may be at most ten years.")
            else:
                cleaned["period"] = count * PERIOD_UNITS[unit]
        cleaned["identifiers"] = [item.split(":", 1) for item in cleaned.get("data_set", [])] + [
            list(parse_identifier(line))
            for line in cleaned.get("typed", "").splitlines() if line.strip()
        ]
        return cleaned
