"""Preparing rounds ahead of their moment T: recorded, frozen, claimed, then enqueued.

A round is frozen when it is prepared: its data sets (as tasks), source and target
clusters, direction, consistency mode, skew limit and retention are stored on it, so
an edit of the service applies from the next round. One round of a service runs at a
time: preparing one claims the service with a conditional update, and a round that
cannot claim it is skipped (by the scheduler) or refused (run now). So is every round of
a pairing whose failover waits for its decision (failover/holds.py).
"""

import logging
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction

from backups import queueing
from backups.events import publish_round
from backups.models import BackupPolicy, DataSetTask, Round, RoundState, Service
from backups.scheduling import moments_between, next_moment
from console import clock
from console.errors import Refused
from failover.holds import hold_reason

log = logging.getLogger(__name__)
MAX_MISSED_RECORDED = 100
# How far ahead of "now" a round started by hand is prepared: enough for the snapshot
# job to reach a worker and wait for T there.
RUN_NOW_LEAD = timedelta(seconds=3)


class RoundRefused(Refused):
    """A round that cannot be started now; the message says why and what to do."""


def snapshot_name(service: Service, moment: datetime) -> str:
    return f"lockstep-s{service.pk}-{moment.astimezone(UTC):%Y%m%dT%H%M%S.%f}"[:-3] + "Z"


def claim_holder(service: Service) -> Round | None:
    """The round that holds the service's claim now (read fresh, not from `service`)."""
    holder_id = Service.objects.values_list("active_round", flat=True).get(pk=service.pk)
    return Round.objects.filter(pk=holder_id).first() if holder_id else None


def _record(service: Service, moment: datetime) -> Round:
    """The round with the pairing's roles and epoch of now: the primary is its source."""
    pairing, policy = service.pairing, service.policy
    assert pairing is not None  # the scheduler and run-now's callers pick paired services
    for cluster in (pairing.primary, pairing.secondary):
        queueing.site_queue_name(cluster)
    round_ = Round.objects.create(
        service=service, moment=moment, source=pairing.primary, target=pairing.secondary,
        epoch=pairing.epoch, direction=policy.direction, consistency=policy.consistency,
        skew_limit=policy.skew_limit, retention=policy.retention,
        snapshot_name=snapshot_name(service, moment))
    DataSetTask.objects.bulk_create(
        DataSetTask(round=round_, component=d.component, locator=d.locator,
                    storage_path=d.storage_path)
        for d in service.data_sets.all())
    return round_


def prepare_round(service: Service, moment: datetime, for_switchover: bool = False
                  ) -> Round | None:
    """Record the round at `moment`, claim the service and enqueue its snapshot job.

    None if a round at `moment` exists already; a round with state *skipped* (and the
    reason) when a failover holds the pairing's backups or another round of the service
    holds the claim. A planned switchover's final round is prepared `for_switchover`,
    through the hold that switchover put on the pairing.
    """
    held = "" if for_switchover else hold_reason(service.pairing_id)
    try:
        with transaction.atomic():
            round_ = _record(service, moment)
            claimed = not held and Service.objects.filter(
                pk=service.pk, active_round__isnull=True).update(active_round=round_)
            if not claimed:
                holder = claim_holder(service)
                round_.state = RoundState.SKIPPED
                round_.reason = held or (
                    f"the round at {holder.moment:%H:%M:%S} had not finished "
                    f"({holder.get_state_display()})" if holder else
                    "another round of the service was running")
                round_.finished_at = clock.now()
                round_.save(update_fields=["state", "reason", "finished_at"])
    except IntegrityError:
        return None
    if claimed:
        transaction.on_commit(lambda: queueing.enqueue_snapshot(round_))
    publish_round(round_)
    return round_


def record_missed(policy: BackupPolicy, now: datetime) -> list[Round]:
    """Moments that passed with no round (console or workers down): shown as gaps."""
    last = policy.service.rounds.first()
    since = max(last.moment if last else policy.first_moment - timedelta(microseconds=1),
                policy.updated_at)
    missed = moments_between(policy.first_moment, policy.period, since,
                             now - timedelta(seconds=settings.LOCKSTEP_ROUND_LEAD))
    rounds = []
    for moment in missed[-MAX_MISSED_RECORDED:]:
        rounds.append(Round.objects.create(
            service=policy.service, moment=moment, state=RoundState.MISSED,
            reason="no round was prepared: the console's scheduler or its workers were down"))
    return rounds


def schedule_due_rounds(now: datetime | None = None) -> list[Round]:
    """Prepare every enabled policy's next round that falls within the lead time.

    Each policy on its own: one that fails is logged and its error shown on its service
    page, and the others are still prepared.
    """
    now = now or clock.now()
    prepared = []
    policies = BackupPolicy.objects.filter(enabled=True, service__pairing__isnull=False)
    for policy in policies.select_related("service__pairing"):
        try:
            round_ = _schedule(policy, now)
        except Exception as error:
            log.exception("preparing the round of %s failed", policy.service)
            BackupPolicy.objects.filter(pk=policy.pk).update(
                schedule_error=f"{now:%Y-%m-%d %H:%M:%S %Z}: preparing its round failed: "
                               f"{error}")
            continue
        if policy.schedule_error:
            BackupPolicy.objects.filter(pk=policy.pk).update(schedule_error="")
        if round_ is not None:
            prepared.append(round_)
    return prepared


def _schedule(policy: BackupPolicy, now: datetime) -> Round | None:
    record_missed(policy, now)
    moment = next_moment(policy.first_moment, policy.period, now)
    if moment is None or moment - now > timedelta(seconds=settings.LOCKSTEP_ROUND_LEAD):
        return None
    return prepare_round(policy.service, moment)


def holding(holder: Round) -> str:
    """The sentence that names the round holding a service's claim."""
    return (f"The round at {holder.moment:%H:%M:%S} is {holder.get_state_display()}: one "
            "round of a service runs at a time.")


def run_now(service: Service) -> Round:
    """A round a few seconds from now, outside the policy's schedule; refused while
    another round of the service is prepared or running, or while a failover holds the
    pairing's backups."""
    held = hold_reason(service.pairing_id)
    if held:
        raise RoundRefused(held)
    holder = claim_holder(service)
    if holder is not None:
        raise RoundRefused(f"{holding(holder)} Wait for it to end, or cancel it on its page.")
    round_ = prepare_round(service, clock.now().replace(microsecond=0) + RUN_NOW_LEAD)
    if round_ is None or round_.state == RoundState.SKIPPED:
        raise RoundRefused("Another round of the service started just now: wait for it to "
                           "end, or cancel it on its page.")
    return round_
