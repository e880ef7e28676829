"""A failover reverts the secondary only once no round writes there any more: a round
taking its restore point is waited for (it cannot be stopped half-way), a cancelled one
until its copy in flight has returned."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backups import queueing
from backups.models import Round, RoundState
from backups.preparing import prepare_round
from failover.models import SwitchoverState
from failover.running import resume_switchovers, run_here
from failover.switching import failover
from tests.failover.conftest import identity_of

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("state", "ends_as", "job_of"), [
    (RoundState.FINALIZING, RoundState.FINALIZING, queueing.finish_job_id),
    (RoundState.REPLICATING, RoundState.CANCELLED,
     lambda round_: queueing.copy_job_id(round_.tasks.get())),
])
def test_a_failover_waits_until_no_round_writes_to_the_secondary(
    state, ends_as, job_of, bills_only, pairing, clusters, monkeypatch, settings
):
    settings.LOCKSTEP_FAILOVER_ROUND_WAIT = 1
    round_ = prepare_round(bills_only, timezone.now() + timedelta(hours=1))
    Round.objects.filter(pk=round_.pk).update(state=state)
    running = job_of(round_)
    monkeypatch.setattr(queueing, "job_running", lambda job_id: job_id == running)

    switchover = failover(pairing, "olga", "site-b", "site-a lost power", run=run_here)

    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.RUNNING
    assert "rounds_stopped" not in switchover.steps
    round_.refresh_from_db()
    assert switchover.error.startswith(
        f"rounds_stopped: rounds still write to site-b after 1 s: {round_} "
        f"({round_.get_state_display()}): {running}. The switchover goes on once they stop")
    assert round_.state == ends_as
    assert identity_of(clusters["site-b"]) == ("secondary", 1, "site-a")
    # Its job returned: the next pass carries the failover on.
    monkeypatch.setattr(queueing, "job_running", lambda job_id: False)

    assert resume_switchovers(run=run_here) == [switchover]

    switchover.refresh_from_db()
    assert switchover.state == SwitchoverState.DONE, switchover.error
    assert identity_of(clusters["site-b"]) == ("primary", 2, "site-a")
