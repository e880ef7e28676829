"""The steps only a planned switchover takes: both clusters answer, and the primary's
applications are stopped from writing before the roles reverse, so nothing they were
told was written is lost.

1. writes fenced: the primary's identity says "fenced" (compare-and-set, same role and
   epoch); its WebHDFS refuses application users' writes and its Spark Thrift Server
   every statement that writes, within a fraction of a second of the write;
2. (rounds in flight stopped, as in a failover: failover/steps.py)
3. final rounds: one round of every service of the pairing, prepared despite the hold
   on the pairing's backups, at a moment after the fence took hold; each must end
   consistent, and then holds every write acknowledged before the fence;
4. verified: each data set's tree on the new primary is compared with the fenced
   primary's live tree (nothing writes to either now): any difference stops it;
5. (user data, identities and the pairing, as in a failover.)

A final round that does not end consistent, or a difference found, fails the switchover
before any identity changed: the fence is lifted, so the primary's applications write
again, and the switchover can be resumed from its start once the cause is removed.
"""

import logging
import time
from datetime import timedelta

from backups.models import FINAL_STATES, DataSetTask, Round, RoundState
from backups.preparing import prepare_round
from backups.replication import Tree
from backups.verification import compare_trees, named
from console import clock
from console.clusters import webhdfs_of
from failover.events import publish_switchover
from failover.models import Switchover
from failover.reversal import IdentityConflict, write_fence
from failover.steps import POLL_INTERVAL, StepConflict, note, services_of

log = logging.getLogger(__name__)

# The final round's moment: far enough after the fence for both servers to have seen it
# (they watch or poll the identity, 200 ms at most) and for the snapshot job to reach a
# worker and wait for T there.
FINAL_ROUND_LEAD = timedelta(seconds=3)
# The steps a planned switchover starts again from when it failed before any identity
# changed (failover/switching.py records the first two with the decision).
DECIDED = ("confirmed", "backups_paused")


def fence_writes(switchover: Switchover) -> None:
    _fence(switchover, True)


def _fence(switchover: Switchover, fenced: bool) -> None:
    try:
        write_fence(switchover.old_primary, switchover.epoch_before, switchover.new_primary,
                    fenced, switchover.by)
    except IdentityConflict as conflict:
        raise StepConflict(str(conflict)) from conflict


def run_final_rounds(switchover: Switchover) -> None:
    """Start the final round of each service not started yet (recorded, so a resumed
    step waits for the same rounds), then wait until every one has ended."""
    entries = {entry["service"]: entry for entry in switchover.services}
    moment = clock.now().replace(microsecond=0) + FINAL_ROUND_LEAD
    for service in services_of(switchover):
        entry = entries.setdefault(service.pk, {"service": service.pk, "name": str(service)})
        if "final_round" in entry:
            continue
        round_ = prepare_round(service, moment, for_switchover=True)
        if round_ is None or round_.state == RoundState.SKIPPED:
            why = round_.reason if round_ is not None else "a round at that moment exists"
            raise StepConflict(f"the final round of {service} could not start: {why}")
        entry["final_round"] = round_.pk
        switchover.services = list(entries.values())
        switchover.save(update_fields=["services"])
    publish_switchover(switchover)
    rounds = [entry["final_round"] for entry in entries.values()]
    while Round.objects.filter(pk__in=rounds).exclude(state__in=FINAL_STATES).exists():
        time.sleep(POLL_INTERVAL)
    failed = Round.objects.filter(pk__in=rounds).exclude(
        state=RoundState.CONSISTENT).select_related("service")
    if failed:
        raise StepConflict("the final round did not end consistent: " + "; ".join(
            f"{r.service}: {r.get_state_display()} ({r.reason or 'no reason given'})"
            for r in failed))


def verify_copies(switchover: Switchover) -> None:
    """Each data set's tree on the new primary against the fenced primary's."""
    source, target = webhdfs_of(switchover.old_primary), webhdfs_of(switchover.new_primary)
    problems = []
    tasks = DataSetTask.objects.filter(
        round__in=[entry["final_round"] for entry in switchover.services])
    for task in tasks:
        problems += [f"{task.locator}: {problem}" for problem in compare_trees(
            Tree(source, task.storage_path), Tree(target, task.storage_path),
            lambda _: False)]
    if problems:
        raise StepConflict(f"after the final rounds {switchover.new_primary} differs from "
                           f"{switchover.old_primary}: {named(problems)}")


def abandon(switchover: Switchover) -> None:
    """A planned switchover that failed before any identity changed: lift the fence and
    forget its steps, so that a resume starts again from the fence."""
    if "primary_written" in switchover.steps:
        return
    try:
        _fence(switchover, False)
    except Exception as error:
        log.exception("switchover %s: lifting the fence", switchover.pk)
        note(switchover, f"The fence on {switchover.old_primary} could not be lifted "
                         f"({error}): its applications cannot write until it is (resume "
                         "the switchover, or write its identity without \"fenced\").")
    else:
        note(switchover, f"The fence on {switchover.old_primary} was lifted: its "
                         "applications write again. Resuming starts the switchover over.")
    switchover.steps = {step: at for step, at in switchover.steps.items() if step in DECIDED}
    switchover.services = [{k: v for k, v in entry.items() if k != "final_round"}
                           for entry in switchover.services]
    switchover.save(update_fields=["steps", "services"])
