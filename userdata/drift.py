"""The drift report: which entries differ between a pairing's directories, since when.

Kept from comparison to comparison (each sync and dry run compares): an entry that
still differs keeps the moment it was first seen to, one that no longer differs goes.
"""

from datetime import datetime

from django.db import transaction

from console.models import Pairing
from userdata.comparison import Difference
from userdata.models import DriftEntry

BATCH = 500


def record_drift(pairing: Pairing, differences: list[Difference], at: datetime) -> None:
    """Make the pairing's drift the entries of `differences`, as seen at `at`."""
    current = {(d.kind.name, d.key): d for d in differences}
    with transaction.atomic():
        existing = {(e.kind, e.key): e for e in DriftEntry.objects.filter(pairing=pairing)}
        settled = [entry.pk for name, entry in existing.items() if name not in current]
        for start in range(0, len(settled), BATCH):
            DriftEntry.objects.filter(pk__in=settled[start:start + BATCH]).delete()
        changed = []
        for name, difference in current.items():
            entry = existing.get(name)
            if entry is not None and (entry.action, entry.summary) != (
                    difference.action, difference.summary):
                entry.action, entry.summary = difference.action, difference.summary
                changed.append(entry)
        DriftEntry.objects.bulk_update(changed, ["action", "summary"], batch_size=BATCH)
        DriftEntry.objects.bulk_create(
            [DriftEntry(pairing=pairing, kind=kind, key=key, action=difference.action,
                        summary=difference.summary, first_seen=at, last_seen=at)
             for (kind, key), difference in current.items() if (kind, key) not in existing],
            batch_size=BATCH)
        DriftEntry.objects.filter(pairing=pairing).update(last_seen=at)
