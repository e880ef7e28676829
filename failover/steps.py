"""The steps of a switchover, in order. Each is idempotent: run again after a crash, it
finds its work done, or finishes it, and changes nothing else.

A failover (the old primary failed; the secondary becomes primary):

1. rounds stopped: every round of the pairing's services is cancelled, and the step waits
   until none of them still writes to the secondary (a round taking its restore point
   cannot be cancelled half-way, and a cancelled copy finishes the file in flight);
2. rolled back: each service's data sets on the secondary return to that service's own
   last consistent restore point, its tables to that round's metadata;
3. user data synced: the old primary's users, tenants and groups are synced to the
   secondary one last time, when its directory still answers; when it does not, the
   secondary keeps what the last sync wrote, and the step notes when that was (the
   failover never waits for a cluster that is gone);
4. primary written: role=primary in the new epoch, in the secondary's own ZooKeeper;
   discovery moved: HiveServer2 discovery records name the new primary (failover/discovery.py);
5. old primary written: role=secondary in the new epoch, in the old primary's ZooKeeper
   if it answers (otherwise it is fenced when it returns: failover/reversal.py);
6. pairing swapped: the console's pairing takes the new roles and epoch.

The pairing's backups are paused from the moment the switchover is recorded
(failover/holds.py), before the first step: no round can start behind step 1's back.
That moment is recorded as `backups_paused`, with each service's policy as it was.

A rollback of a failover runs every step but 2 the other way: the old primary was left as the
failover found it, so there is nothing to revert. A planned switchover fences the primary
and runs final rounds instead of step 2 (failover/planned.py); failover/sequences.py lists
each kind's steps.

The secondary refuses applications' writes until step 4 (its WebHDFS answers
StandbyException), so nothing but the console writes there while step 2 runs; and once
step 2 is recorded it never runs again, so a resumed failover cannot undo what
applications wrote to the new primary.
"""

import logging
import time
from datetime import timedelta

from django.conf import settings

from adapters.zookeeper import ZooKeeperError
from backups.cancelling import stop_rounds
from backups.models import Service
from backups.reverting import revert_service
from console import clock
from console.models import Pairing
from failover import discovery
from failover.events import publish_switchover
from failover.identity import ClusterRole
from failover.models import Switchover
from failover.reversal import IdentityConflict, write_role
from userdata.models import RunState, Trigger
from userdata.syncing import last_synced, summary, sync_pairing

log = logging.getLogger(__name__)

# A round that ended before the switchover may still have a copy finishing its file in
# flight: rounds that ended this long before it are waited for too.
RECENTLY_ENDED = timedelta(hours=1)
POLL_INTERVAL = 0.5


class StepConflict(Exception):
    """Something another console or operator changed that no retry resolves: the
    switchover fails, saying what it found."""


class StepWaiting(Exception):
    """Not yet: the step is tried again when the switchover is resumed."""


def note(switchover: Switchover, text: str) -> None:
    if text not in switchover.notes:
        switchover.notes = [*switchover.notes, text]
        switchover.save(update_fields=["notes"])


def services_of(switchover: Switchover):
    return Service.objects.filter(pairing=switchover.pairing_id).select_related(
        "tenant", "policy").order_by("pk")


def stop_rounds_in_flight(switchover: Switchover) -> None:
    reason = (f"stopped by the {switchover.get_kind_display()} of {switchover.old_primary} → "
              f"{switchover.new_primary} (switchover {switchover.pk}, by {switchover.by})")
    since = switchover.started_at - RECENTLY_ENDED
    deadline = clock.monotonic() + settings.LOCKSTEP_FAILOVER_ROUND_WAIT
    while writing := stop_rounds(services_of(switchover), reason, since):
        if clock.monotonic() > deadline:
            raise StepWaiting(
                f"rounds still write to {switchover.new_primary} after "
                f"{settings.LOCKSTEP_FAILOVER_ROUND_WAIT:g} s: {'; '.join(writing)}. The "
                "switchover goes on once they stop (it is resumed by the scheduler, or by "
                "`manage.py failover resume`).")
        time.sleep(POLL_INTERVAL)


def revert_services(switchover: Switchover) -> None:
    """Each service on its own, recorded as it is done: a resumed step skips those."""
    entries = {entry["service"]: entry for entry in switchover.services}
    for service in services_of(switchover):
        entry = entries.get(service.pk, {"service": service.pk, "name": str(service)})
        if "reverted_at" in entry:
            continue
        reversion = revert_service(service, switchover.new_primary)
        point = reversion.point
        entry.update({
            "restore_point": point.name if point else None,
            "moment": point.moment.isoformat() if point else None,
            "round": point.round_id if point else None,
            "undone": reversion.undone[-1000:], "undone_count": len(reversion.undone),
            "tables": reversion.tables, "reverted_at": clock.now().isoformat()})
        entries[service.pk] = entry
        switchover.services = list(entries.values())
        switchover.save(update_fields=["services"])
        if point is None:
            note(switchover, f"{service} has no consistent restore point on "
                             f"{switchover.new_primary}: its data sets there were left as they "
                             "were, and are not consistent")
        publish_switchover(switchover)


def sync_user_data(switchover: Switchover) -> None:
    try:
        run = sync_pairing(switchover.pairing, by=switchover.by, trigger=Trigger.FAILOVER)
    except Exception as error:
        # The switchover never stands on the user-data sync: a fault of the sync itself is
        # noted, with the run's page holding the detail, and the switchover goes on.
        log.exception("switchover %s: user-data sync", switchover.pk)
        _note_unsynced(switchover, f"the sync stopped on an unexpected error ({error})")
        return
    if run.state == RunState.SYNCED:
        note(switchover, f"User data synced from {switchover.old_primary} to "
                         f"{switchover.new_primary}: sync #{run.pk} ({summary(run)}).")
    else:
        _note_unsynced(switchover, f"sync #{run.pk} {run.get_state_display()}: "
                                   f"{run.reason or 'entries were left apart, see its page'}")


def _note_unsynced(switchover: Switchover, what: str) -> None:
    last = last_synced(switchover.pairing)
    held = (f"what sync #{last.pk} wrote at {last.finished_at:%Y-%m-%d %H:%M:%S} UTC"
            if last is not None else "no synced user data: no sync of this pairing finished")
    note(switchover, f"User data not synced from {switchover.old_primary} ({what}); "
                     f"{switchover.new_primary} holds {held}.")


def write_new_primary(switchover: Switchover) -> None:
    try:
        write_role(switchover.new_primary, ClusterRole.PRIMARY, switchover.epoch_after,
                   switchover.old_primary, switchover.by)
    except IdentityConflict as conflict:
        raise StepConflict(str(conflict)) from conflict


def move_discovery(switchover: Switchover) -> None:
    """HiveServer2 discovery names the new primary in both ZooKeepers; an old primary's
    that does not answer is repaired by the monitor when it returns."""
    clusters = [switchover.new_primary, switchover.old_primary]
    warnings = discovery.point_at(switchover.new_primary, clusters)
    if any(warning.startswith(f"{switchover.new_primary}:") for warning in warnings):
        raise ZooKeeperError("; ".join(warnings))
    for warning in warnings:
        note(switchover, f"{warning}: the monitor moves it when that ZooKeeper answers.")


def write_old_primary(switchover: Switchover) -> None:
    try:
        write_role(switchover.old_primary, ClusterRole.SECONDARY, switchover.epoch_after,
                   switchover.new_primary, switchover.by)
    except IdentityConflict as conflict:
        raise StepConflict(str(conflict)) from conflict
    except ZooKeeperError as error:
        note(switchover, f"{switchover.old_primary} not reachable ({error}): it keeps its old "
                         "identity until it returns, and is then made secondary in epoch "
                         f"{switchover.epoch_after} (fenced); no round replicates from it")


def swap_pairing(switchover: Switchover) -> None:
    """A conditional update on the roles and epoch read when the switchover began."""
    pairing = Pairing.objects.filter(pk=switchover.pairing_id)
    swapped = pairing.filter(
        primary=switchover.old_primary, secondary=switchover.new_primary,
        epoch=switchover.epoch_before,
    ).update(primary=switchover.new_primary, secondary=switchover.old_primary,
             epoch=switchover.epoch_after)
    if swapped or pairing.filter(primary=switchover.new_primary, epoch=switchover.epoch_after,
                                 secondary=switchover.old_primary).exists():
        return
    found = pairing.select_related("primary", "secondary").get()
    raise StepConflict(f"the pairing changed since the switchover began: it is {found} in "
                       f"epoch {found.epoch}, not {switchover.old_primary} → "
                       f"{switchover.new_primary} in epoch {switchover.epoch_before}")
